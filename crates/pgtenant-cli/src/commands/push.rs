//! `pgtenant push --db NAME`: development only. Applies the difference
//! between the live database and the desired schema directly, without a
//! migration file, in one transaction (split only where a new enum value
//! must commit before it is used).
//!
//! It refuses a plan that deletes data without `--allow-data-loss`, and a
//! database whose migrations journal has rows without `--force`: such a
//! database is managed by migrations, and a push would make it drift from
//! them.

use crate::catalogs;
use crate::context::Context;
use crate::db;
use crate::error::usage;
use crate::output::Report;
use crate::plans::{check_data_loss, DataLoss};
use anyhow::{Context as _, Result};
use pgtenant_schema::diff;
use sqlx::{Connection, PgConnection};
use std::fmt::Write as _;

#[derive(Debug, Clone, clap::Args)]
pub struct PushArgs {
    /// The database (a `[[database]]` name of the manifest).
    #[arg(long, value_name = "NAME")]
    pub db: String,

    /// Apply the changes even though they delete data.
    #[arg(long)]
    pub allow_data_loss: bool,

    /// Push even though the database has applied migrations.
    #[arg(long)]
    pub force: bool,
}

/// How many migrations the journal of the database records (0 without a
/// journal).
pub async fn journal_rows(conn: &mut PgConnection) -> Result<i64> {
    pgtenant::migrate::journal::applied_count(conn)
        .await
        .context("reading the migrations journal")
}

pub async fn run(ctx: &Context, args: &PushArgs) -> Result<Report> {
    let manifest = ctx.manifest()?;
    let db = manifest.select(Some(&args.db))?[0];
    let admin = ctx.admin_url()?;
    if !catalogs::database_exists(&admin.url, &db.name).await? {
        return Err(usage(format!(
            "database {} does not exist; create it with `pgtenant bootstrap` first",
            db.name
        )));
    }
    let mut conn = db::connect(&admin.url, Some(&db.name), None).await?;
    let rows = journal_rows(&mut conn).await?;
    if rows > 0 && !args.force {
        return Err(usage(format!(
            "database {} is managed by migrations ({rows} applied in pgtenant.migrations); \
             use `pgtenant generate` and `pgtenant migrate`, or pass --force to push anyway \
             (the database will then drift from its migrations)",
            db.name
        )));
    }
    let (live, desired) = tokio::join!(
        catalogs::live_raw(&admin.url, db),
        catalogs::desired(&admin.url, db)
    );
    let live = catalogs::live_schema(db, &live?);
    let desired = desired?;
    let plan = diff(&live, &desired.catalog, &desired.renames);
    if plan.is_empty() {
        let _ = conn.close().await;
        return Ok(Report::ok(
            serde_json::json!({"command": "push", "database": db.name, "changes": false}),
            format!("{}: no changes", db.name),
        ));
    }
    check_data_loss(
        &plan,
        DataLoss::from_flag(args.allow_data_loss),
        "the push",
        "apply it",
    )?;
    for group in plan.transaction_groups() {
        let mut tx = conn
            .begin()
            .await
            .context("starting the push transaction")?;
        for step in group {
            sqlx::raw_sql(&step.sql)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    let msg = match &e {
                        sqlx::Error::Database(d) => d.message().to_owned(),
                        other => other.to_string(),
                    };
                    anyhow::anyhow!(
                        "push failed at:\n{}\n{msg}\nnothing of this transaction was applied; fix the schema and push again",
                        step.sql.trim_end()
                    )
                })?;
        }
        tx.commit().await.context("committing the push")?;
    }
    let _ = conn.close().await;
    let mut human = format!("{}: pushed {} statement(s)", db.name, plan.steps.len());
    for h in plan.hazards() {
        let _ = write!(human, "\n  hazard {h}");
    }
    Ok(Report::ok(
        serde_json::json!({
            "command": "push",
            "database": db.name,
            "changes": true,
            "statements": plan.steps.len(),
            "sql": plan.to_sql(),
        }),
        human,
    ))
}
