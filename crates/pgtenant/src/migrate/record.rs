//! Recording migrations as applied without running them: for a database
//! another tool (or a hand) already brought to those migrations. The rows
//! are the ones `migrate` writes ([`journal::recorded_sql`]), all in one
//! transaction under the migrate lock, so the next `migrate` applies only
//! the rest.

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
    journal::lock(conn, lock_wait, |_| {}).await?;
    let result = record_locked(conn, files).await;
    match result {
        Ok(_) => journal::unlock(conn).await?,
        // The connection closing releases the lock too.
        Err(_) => {
            let _ = journal::unlock(conn).await;
        }
    }
    result
}

async fn record_locked(
    conn: &mut PgConnection,
    files: &[&MigrationFile],
) -> Result<RecordReport, MigrateError> {
    let applied = match journal::read(conn).await? {
        Some(a) => a,
        None => {
            journal::ensure(conn).await?;
            Vec::new()
        }
    };
    let mut report = RecordReport::default();
    let mut batch = String::from("BEGIN;\n");
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
    batch.push_str("COMMIT;");
    if !report.recorded.is_empty() {
        if let Err(e) = sqlx::raw_sql(&batch).execute(&mut *conn).await {
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
            return Err(MigrateError::Journal(e));
        }
    }
    Ok(report)
}
