//! Recording migrations as applied without running them: for a database
//! another tool (or a hand) already brought to those migrations. The rows
//! are the ones `migrate` writes ([`journal::recorded_sql`]), all in one
//! transaction that takes the migrate lock first, so the next `migrate`
//! applies only the rest.

use super::file::MigrationFile;
use super::{journal, MigrateError};
use sqlx::PgConnection;
use std::time::Duration;

/// What [`record_applied`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordReport {
    /// Versions recorded now, in order.
    pub recorded: Vec<i64>,
    /// Versions the journal already had with the same checksum.
    pub already: Vec<i64>,
}

/// Journal `files` as applied on `conn` (a dedicated connection, as for
/// [`super::migrate_files`]). A version the journal already holds with the
/// same checksum is left as it is; with another checksum, nothing is
/// recorded.
pub async fn record_applied(
    conn: &mut PgConnection,
    files: &[&MigrationFile],
    lock_wait: Duration,
) -> Result<RecordReport, MigrateError> {
    // The lock, the journal read and the rows: one transaction.
    journal::lock_in_transaction(conn, lock_wait, |_| {}).await?;
    let result = record_locked(conn, files).await;
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = sqlx::raw_sql(end).execute(&mut *conn).await;
    let report = result?;
    ended.map_err(MigrateError::Journal)?;
    Ok(report)
}

async fn record_locked(
    conn: &mut PgConnection,
    files: &[&MigrationFile],
) -> Result<RecordReport, MigrateError> {
    journal::ensure(conn).await?;
    let applied = journal::read(conn).await?.unwrap_or_default();
    let mut report = RecordReport::default();
    let mut batch = String::new();
    for f in files {
        match applied.iter().find(|a| a.version == f.version) {
            Some(a) if a.checksum == f.checksum && a.complete => report.already.push(f.version),
            Some(_) => {
                return Err(MigrateError::RecordConflict {
                    version: f.version,
                    name: f.name.clone(),
                })
            }
            None => {
                batch.push_str(&journal::recorded_sql(f));
                batch.push_str(";\n");
                report.recorded.push(f.version);
            }
        }
    }
    if !report.recorded.is_empty() {
        sqlx::raw_sql(&batch)
            .execute(&mut *conn)
            .await
            .map_err(MigrateError::Journal)?;
    }
    Ok(report)
}
