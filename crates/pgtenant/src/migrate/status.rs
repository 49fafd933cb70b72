//! `status`: the journal and the files lined up, without a lock.

use super::apply::load_and_connect;
use super::file::MigrationFile;
use super::history::{self, Entry};
use super::{journal, MigrateError};
use sqlx::postgres::PgConnectOptions;
use std::path::Path;

/// The journal and the files, lined up (for `status`).
#[derive(Debug, Clone)]
pub struct StatusReport {
    pub files: Vec<MigrationFile>,
    pub entries: Vec<Entry>,
    /// False when the database has no journal yet.
    pub journal_exists: bool,
}

/// The journal and the files of `dir`, lined up. Takes no lock.
pub async fn status(options: &PgConnectOptions, dir: &Path) -> Result<StatusReport, MigrateError> {
    let (files, mut conn) = load_and_connect(options, dir).await?;
    let applied = journal::read(&mut conn).await;
    journal::close(conn).await;
    let applied = applied?;
    let entries = history::reconcile(applied.as_deref().unwrap_or_default(), &files);
    Ok(StatusReport {
        files,
        entries,
        journal_exists: applied.is_some(),
    })
}
