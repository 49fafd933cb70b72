//! `migrate --baseline VERSION`: journal every migration up to VERSION as
//! applied without running it, for a database created by other means.
//!
//! Before anything is written, those migrations are replayed into a shadow
//! database (`catalogs.rs`, [`Replay::Versions`]) and the live schema must
//! equal the result; a difference is refused, shown as the statements that
//! would make the migrations' result match the live database (as `check`
//! shows drift), unless `--force`. The journal rows are the ones `migrate`
//! writes, through [`pgtenant::migrate::record_applied`], in one transaction
//! under the migrate lock.

use crate::catalogs::{self, Replay};
use crate::context::Context;
use crate::db;
use crate::error::usage;
use crate::manifest::Database;
use anyhow::{Context as _, Result};
use pgtenant::migrate::MigrationFile;
use pgtenant_schema::{diff, Plan};
use std::time::Duration;

/// Whether a difference between the live schema and the migrations'
/// result stops the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Difference {
    Refuse,
    Accept,
}

/// What a baseline did.
#[derive(Debug, Clone)]
pub struct Baselined {
    /// Versions journaled now, in order.
    pub recorded: Vec<i64>,
    /// Versions the journal already had with the same checksum.
    pub already: Vec<i64>,
    /// The difference accepted with `--force` (empty when there was none).
    pub accepted: Plan,
}

/// The files up to `version` of `db`, refused when `version` is not one of
/// its files.
fn files_up_to(db: &Database, files: &[MigrationFile], version: i64) -> Result<Vec<i64>> {
    if !files.iter().any(|f| f.version == version) {
        return Err(usage(format!(
            "--baseline {version}: no migration file of database {} has that version; pass the version of a file in {} (see `pgtenant status`)",
            db.name,
            db.migrations_dir.display()
        )));
    }
    Ok(files
        .iter()
        .map(|f| f.version)
        .filter(|v| *v <= version)
        .collect())
}

/// Baseline `db` at `version`.
pub async fn baseline(
    ctx: &Context,
    db: &Database,
    version: i64,
    difference: Difference,
    lock_wait: Duration,
) -> Result<Baselined> {
    let files = catalogs::migration_files(db)?;
    let versions = files_up_to(db, &files, version)?;
    let admin = ctx.admin_url()?;
    if !catalogs::database_exists(&admin.url, &db.name).await? {
        return Err(usage(format!(
            "--baseline {version}: database {} does not exist; --baseline is for a database created by other means (run `pgtenant migrate` to create the schema from the migrations)",
            db.name
        )));
    }
    let mut conn = db::connect(&admin.url, Some(&db.name), None).await?;
    let journal = pgtenant::migrate::journal::read(&mut conn)
        .await
        .with_context(|| format!("reading the journal of database {}", db.name))?
        .unwrap_or_default();
    if let Some(a) = journal.iter().find(|a| a.version == version) {
        return Err(usage(format!(
            "--baseline {version}: migration {version} ({}) is already applied in database {}; nothing to baseline (see `pgtenant status`)",
            a.name, db.name
        )));
    }
    if let Some(a) = journal.iter().find(|a| a.version > version) {
        return Err(usage(format!(
            "--baseline {version}: database {} already has the later migration {} ({}) applied; a baseline only marks the oldest migrations (see `pgtenant status`)",
            db.name, a.version, a.name
        )));
    }
    ctx.detail(format_args!(
        "replaying {} migration(s) of {} into a shadow database",
        versions.len(),
        db.name
    ));
    let (from_migrations, raw) = tokio::join!(
        catalogs::from_migrations(&admin.url, db, &files, Replay::Versions(&versions)),
        catalogs::live_raw(&admin.url, db)
    );
    let live = catalogs::live_schema(db, &raw?);
    let plan = diff(&from_migrations?, &live, &[]);
    if !plan.is_empty() && difference == Difference::Refuse {
        return Err(usage(format!(
            "--baseline {version}: the live schema of database {} differs from what its migrations up to {version} produce ({} difference(s)); these statements would make the migrations' result match the live database:\n{}\nnothing was recorded; make the database (or the migrations) match, or pass --force to record them anyway",
            db.name,
            plan.steps.len(),
            indent(&plan.to_sql())
        )));
    }
    let chosen: Vec<&MigrationFile> = files
        .iter()
        .filter(|f| versions.contains(&f.version))
        .collect();
    let report = pgtenant::migrate::record_applied(&mut conn, &chosen, lock_wait)
        .await
        .with_context(|| format!("recording the baseline of database {}", db.name))?;
    Ok(Baselined {
        recorded: report.recorded,
        already: report.already,
        accepted: plan,
    })
}

fn indent(sql: &str) -> String {
    sql.trim_end()
        .lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
