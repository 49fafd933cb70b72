//! `pgtenant rollback --db NAME (--steps N | --to VERSION)`: run down
//! sections newest first, each in a transaction with its journal row.

use crate::context::Context;
use crate::db;
use crate::output::Report;
use crate::progress::{parse_duration, CliProgress};
use anyhow::{Context as _, Result};
use pgtenant::migrate::{self, RollbackOptions, RollbackTarget};
use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["steps", "to"])))]
pub struct RollbackArgs {
    /// The database of the manifest.
    #[arg(long, value_name = "NAME")]
    pub db: String,
    /// Roll back the newest N applied migrations.
    #[arg(long, value_name = "N")]
    pub steps: Option<usize>,
    /// Roll back every migration newer than VERSION (which stays applied).
    #[arg(long, value_name = "VERSION")]
    pub to: Option<i64>,
    /// PostgreSQL lock_timeout for the down statements (e.g. 5s).
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub lock_timeout: Option<Duration>,
}

pub async fn run(ctx: &Context, args: &RollbackArgs) -> Result<Report> {
    let manifest = ctx.manifest()?;
    let database = manifest.select(Some(&args.db))?[0];
    let admin = ctx.admin_url()?;
    let connect = db::options(&admin.url, Some(&database.name), None)?;
    let target = match (args.steps, args.to) {
        (Some(n), _) => RollbackTarget::Steps(n),
        (None, Some(v)) => RollbackTarget::To(v),
        (None, None) => unreachable!("clap requires --steps or --to"),
    };
    let opts = RollbackOptions {
        lock_timeout: args.lock_timeout,
        ..Default::default()
    };
    let progress = CliProgress::new(ctx, &database.name, opts.lock_wait);
    let result =
        migrate::rollback(&connect, &database.migrations_dir, target, &opts, &progress).await;
    progress.finish();
    let done = result.with_context(|| format!("rolling back database {}", database.name))?;
    let human = match done.len() {
        0 => format!("{}: nothing to roll back", database.name),
        n => format!(
            "{}: rolled back {n} migration(s): {}",
            database.name,
            done.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Ok(Report::ok(
        serde_json::json!({"command": "rollback", "database": database.name, "rolled_back": done}),
        human,
    ))
}
