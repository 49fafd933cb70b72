//! `pgtenant migrate`: apply the pending migrations of every database (or
//! one, `--db`), each with its journal row in one transaction. The work is
//! done by `pgtenant::migrate`; this file maps flags and prints.
//! `--baseline VERSION` journals the oldest migrations without running them
//! (`migrate/baseline.rs`).

mod baseline;

use crate::context::Context;
use crate::db;
use crate::error::usage;
use crate::manifest::Database;
use crate::output::Report;
use crate::progress::{parse_duration, CliProgress};
use anyhow::{Context as _, Result};
use pgtenant::migrate::{self, MigrateOptions, MigrateReport, OutOfOrder};
use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
pub struct MigrateArgs {
    /// Only this database of the manifest.
    #[arg(long, value_name = "NAME")]
    pub db: Option<String>,
    /// Apply pending files older than the newest applied migration.
    #[arg(long)]
    pub allow_out_of_order: bool,
    /// Accept the edited text of this applied migration (records its new
    /// checksum). Repeatable.
    #[arg(long, value_name = "VERSION")]
    pub reapprove: Vec<i64>,
    /// PostgreSQL lock_timeout for the migrations' statements (e.g. 5s,
    /// 500ms); a statement stopped by it is retried with backoff.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub lock_timeout: Option<Duration>,
    /// How long to wait while another migrate holds the lock.
    #[arg(long, value_name = "DUR", value_parser = parse_duration, default_value = "60s")]
    pub lock_wait: Duration,
    /// Mark every migration up to VERSION applied without running it, for a
    /// database created by other means (after checking in a shadow database
    /// that the live schema equals what they produce).
    #[arg(long, value_name = "VERSION", conflicts_with_all = ["reapprove", "allow_out_of_order"])]
    pub baseline: Option<i64>,
    /// With --baseline: record the migrations even though the live schema
    /// differs from what they produce.
    #[arg(long, requires = "baseline")]
    pub force: bool,
}

impl Default for MigrateArgs {
    fn default() -> Self {
        MigrateArgs {
            db: None,
            allow_out_of_order: false,
            reapprove: Vec::new(),
            lock_timeout: None,
            lock_wait: Duration::from_secs(60),
            baseline: None,
            force: false,
        }
    }
}

/// Migrate one database of the manifest.
pub async fn migrate_database(
    ctx: &Context,
    database: &Database,
    opts: &MigrateOptions,
) -> Result<MigrateReport> {
    let admin = ctx.admin_url()?;
    let connect = db::options(&admin.url, Some(&database.name), None)?;
    let progress = CliProgress::new(ctx, &database.name, opts.lock_wait);
    let result = migrate::migrate(&connect, &database.migrations_dir, opts, &progress).await;
    progress.finish();
    result.with_context(|| format!("migrating database {}", database.name))
}

pub async fn run(ctx: &Context, args: &MigrateArgs) -> Result<Report> {
    let manifest = ctx.manifest()?;
    let databases = manifest.select(args.db.as_deref())?;
    if let Some(version) = args.baseline {
        let [database] = databases.as_slice() else {
            return Err(usage(format!(
                "--baseline {version}: the manifest has {} databases; pass --db NAME to choose the one to baseline",
                databases.len()
            )));
        };
        return run_baseline(ctx, database, version, args).await;
    }
    // A version to reapprove belongs to the database whose folder has it.
    let mut reapprove_per_db = Vec::new();
    for database in &databases {
        let versions: Vec<i64> = if args.reapprove.is_empty() {
            Vec::new()
        } else {
            let files = migrate::load_dir(&database.migrations_dir)
                .with_context(|| format!("reading the migrations of {}", database.name))?;
            args.reapprove
                .iter()
                .copied()
                .filter(|v| files.iter().any(|f| f.version == *v))
                .collect()
        };
        reapprove_per_db.push(versions);
    }
    if let Some(v) = args
        .reapprove
        .iter()
        .find(|v| !reapprove_per_db.iter().flatten().any(|x| x == *v))
    {
        return Err(usage(format!(
            "--reapprove {v}: no migration file has that version{}; see `pgtenant status`",
            args.db
                .as_deref()
                .map(|d| format!(" in database {d}"))
                .unwrap_or_default()
        )));
    }
    let mut json = Vec::new();
    let mut human = Vec::new();
    for (database, reapprove) in databases.iter().zip(reapprove_per_db) {
        let opts = MigrateOptions {
            out_of_order: if args.allow_out_of_order {
                OutOfOrder::Allow
            } else {
                OutOfOrder::Refuse
            },
            reapprove,
            lock_timeout: args.lock_timeout,
            lock_wait: args.lock_wait,
            ..Default::default()
        };
        let r = migrate_database(ctx, database, &opts).await?;
        human.push(summary(&database.name, &r));
        // What the migrations created gets its privileges now (bootstrap's
        // grants step: no migration names a role).
        let admin = ctx.admin_url()?;
        human.extend(super::bootstrap::grants_after_migrate(ctx, &admin.url, database).await?);
        json.push(serde_json::json!({
            "name": database.name,
            "applied": r.applied,
            "reapproved": r.reapproved,
            "missing_files": r.missing,
            "migrations": r.total_files,
        }));
    }
    Ok(Report::ok(
        serde_json::json!({"command": "migrate", "databases": json}),
        human.join("\n"),
    ))
}

async fn run_baseline(
    ctx: &Context,
    database: &Database,
    version: i64,
    args: &MigrateArgs,
) -> Result<Report> {
    let difference = if args.force {
        baseline::Difference::Accept
    } else {
        baseline::Difference::Refuse
    };
    let b = baseline::baseline(ctx, database, version, difference, args.lock_wait).await?;
    let mut human = format!(
        "{}: baseline at {version}: {} migration(s) recorded as applied without running them",
        database.name,
        b.recorded.len()
    );
    if !b.already.is_empty() {
        human.push_str(&format!(", {} already applied", b.already.len()));
    }
    if !b.accepted.is_empty() {
        human.push_str(&format!(
            "\n{}: warning: --force: the live schema differs from the migrations' result ({} difference(s)); `pgtenant check` will report it as drift",
            database.name,
            b.accepted.steps.len()
        ));
    }
    // The tables the database already has get the service role's
    // privileges, as after a migrate.
    let admin = ctx.admin_url()?;
    let grants = super::bootstrap::grants_after_migrate(ctx, &admin.url, database).await?;
    for line in grants {
        human.push('\n');
        human.push_str(&line);
    }
    Ok(Report::ok(
        serde_json::json!({
            "command": "migrate",
            "database": database.name,
            "baseline": version,
            "recorded": b.recorded,
            "already": b.already,
            "forced_differences": b.accepted.steps.len(),
            "difference_sql": b.accepted.to_sql(),
        }),
        human,
    ))
}

pub fn summary(db: &str, r: &MigrateReport) -> String {
    let mut s = match r.applied.len() {
        0 => format!("{db}: up to date ({} migrations)", r.total_files),
        1 => format!("{db}: applied 1 migration ({} on disk)", r.total_files),
        n => format!("{db}: applied {n} migrations ({} on disk)", r.total_files),
    };
    if !r.missing.is_empty() {
        s.push_str(&format!(
            "\n{db}: warning: applied but missing on disk: {}",
            r.missing
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    s
}
