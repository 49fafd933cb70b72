//! `import --record`: which of the imported migrations the other tool has
//! already applied to the database, read from that tool's own journal
//! table (its real column layout):
//!
//! | tool | table | applied |
//! |---|---|---|
//! | sqlx | `_sqlx_migrations (version, success)` | every row; `success = false` is refused |
//! | refinery | `refinery_schema_history (version)` | every row |
//! | golang-migrate | `schema_migrations (version, dirty)` | one row: every file up to that version; `dirty` is refused |
//! | dbmate | `schema_migrations (version)` | every row |
//! | drizzle | `drizzle.__drizzle_migrations (hash, created_at)` | as drizzle decides: every entry whose `when` is at most the newest `created_at` |
//! | prisma | `_prisma_migrations (migration_name, finished_at, rolled_back_at)` | finished and not rolled back; started and neither is refused |
//!
//! A row naming no migration of the folder is refused too: the folder is
//! not the one the database was migrated from.

use super::{usage, Format, Source};
use anyhow::{Context as _, Result};
use sqlx::PgConnection;
use std::collections::BTreeSet;

/// The other tool's journal table, as messages name it.
pub fn table(format: Format) -> &'static str {
    match format {
        Format::Sqlx => "_sqlx_migrations",
        Format::Refinery => "refinery_schema_history",
        Format::GolangMigrate | Format::Dbmate => "schema_migrations",
        Format::Drizzle => "drizzle.__drizzle_migrations",
        Format::Prisma => "_prisma_migrations",
    }
}

/// One row of the other journal: its key (as [`Source::key`]) and whether
/// the tool left it half done.
struct Row {
    key: String,
    broken: bool,
}

/// The rows, keys as text; the statements name fixed tables only.
async fn rows(conn: &mut PgConnection, format: Format) -> Result<Vec<Row>> {
    let sql = match format {
        Format::Sqlx => "SELECT version::text, NOT success FROM _sqlx_migrations ORDER BY version",
        Format::Refinery => {
            "SELECT version::text, false FROM refinery_schema_history ORDER BY version"
        }
        Format::GolangMigrate => "SELECT version::text, dirty FROM schema_migrations",
        Format::Dbmate => "SELECT version::text, false FROM schema_migrations ORDER BY version",
        Format::Drizzle => {
            "SELECT created_at::text, false FROM drizzle.__drizzle_migrations ORDER BY created_at"
        }
        Format::Prisma => {
            "SELECT migration_name::text, finished_at IS NULL FROM _prisma_migrations \
             WHERE rolled_back_at IS NULL ORDER BY started_at, migration_name"
        }
    };
    let rows: Vec<(Option<String>, Option<bool>)> = sqlx::query_as(sql)
        .fetch_all(&mut *conn)
        .await
        .with_context(|| format!("reading {}", table(format)))?;
    Ok(rows
        .into_iter()
        .filter_map(|(key, broken)| {
            key.map(|key| Row {
                key,
                broken: broken.unwrap_or(false),
            })
        })
        .collect())
}

/// Why a half-done row is refused, and what to do.
fn broken_text(format: Format, key: &str) -> String {
    let t = table(format);
    match format {
        Format::Sqlx => format!(
            "--record: {t} records version {key} as failed (success = false); fix the database, then remove that row (or run `sqlx migrate run` until it succeeds) and import again"
        ),
        Format::GolangMigrate => format!(
            "--record: {t} is dirty at version {key}: golang-migrate stopped inside it; fix the database, then `migrate force {key}` (or the version before it) and import again"
        ),
        Format::Prisma => format!(
            "--record: {t} records {key} as failed (started, never finished); resolve it with `prisma migrate resolve --applied {key}` or `--rolled-back {key}`, then import again"
        ),
        _ => format!("--record: {t} records {key} as unfinished; fix it, then import again"),
    }
}

/// The indices of `sources` the other tool has applied on `conn`'s
/// database; refused (nothing written yet) when its journal is missing,
/// half done, or names a migration the folder does not have.
pub async fn applied(
    conn: &mut PgConnection,
    format: Format,
    database: &str,
    dir: &std::path::Path,
    sources: &[Source],
) -> Result<BTreeSet<usize>> {
    let t = table(format);
    let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(t)
        .fetch_one(&mut *conn)
        .await
        .context("looking for the other tool's journal")?;
    if !exists {
        return Err(usage(format!(
            "--record: database {database} has no table {t}, so {} has applied nothing there; import without --record, or choose with --db the database it migrated",
            format.name()
        )));
    }
    let rows = rows(conn, format).await?;
    if let Some(r) = rows.iter().find(|r| r.broken) {
        return Err(usage(broken_text(format, &r.key)));
    }
    let mut out = BTreeSet::new();
    for r in &rows {
        let Some(i) = sources.iter().position(|s| s.key == r.key) else {
            let what = match format {
                Format::Drizzle => "created_at",
                Format::Prisma => "the migration",
                _ => "version",
            };
            return Err(usage(format!(
                "--record: {t} records {what} {}, which no migration in {} has; import the folder this database was migrated from",
                r.key,
                dir.display()
            )));
        };
        out.insert(i);
    }
    // golang-migrate keeps the current version, drizzle its newest time:
    // everything up to it in the tool's order counts as applied.
    if matches!(format, Format::GolangMigrate | Format::Drizzle) {
        if let Some(last) = out.iter().max().copied() {
            out.extend(0..=last);
        }
    }
    Ok(out)
}
