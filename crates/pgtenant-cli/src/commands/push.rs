//! `pgtenant push --db NAME`: development only. Diff the live database
//! against `schema/` (with the tenancy transform) and apply the plan
//! directly, no migration file. Refuses a plan that deletes data without
//! --allow-data-loss, and a database that has a migrations journal (its
//! history would no longer match) without --force. Grants held by the
//! project's login roles come from bootstrap and are left alone.

use super::check::without_grants_of;
use super::generate;
use crate::context::Context;
use crate::db;
use crate::error::usage;
use crate::output::Report;
use anyhow::{Context as _, Result};
use pgtenant_schema::{diff, introspect, HazardKind};
use sqlx::Connection;

#[derive(Debug, Clone, clap::Args)]
pub struct PushArgs {
    /// The database of the manifest.
    #[arg(long, value_name = "NAME")]
    pub db: String,
    /// Apply a plan that deletes data (dropped tables, columns, ...).
    #[arg(long)]
    pub allow_data_loss: bool,
    /// Push even though the database has a migrations journal.
    #[arg(long)]
    pub force: bool,
}

pub async fn run(ctx: &Context, args: &PushArgs) -> Result<Report> {
    let manifest = ctx.manifest()?;
    let database = manifest.select(Some(&args.db))?[0];
    let admin = ctx.admin_url()?;
    let mut conn = db::connect(&admin.url, Some(&database.name), None).await?;
    let journaled: i64 = sqlx::query_scalar(
        "SELECT CASE WHEN to_regclass('pgtenant.migrations') IS NULL THEN 0 \
         ELSE (SELECT count(*) FROM pgtenant.migrations) END",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap_or(0);
    if journaled > 0 && !args.force {
        return Err(usage(format!(
            "database {} has {journaled} journaled migration(s); pushing would leave them behind the live schema; use `pgtenant generate` + `pgtenant migrate`, or pass --force",
            database.name
        )));
    }
    let wanted = generate::desired(&admin.url, database).await?;
    let live = introspect(&mut conn)
        .await
        .with_context(|| format!("introspecting database {}", database.name))?;
    let roles: Vec<String> = database.roles().map(|(_, r)| r.name.clone()).collect();
    let plan = diff(
        &without_grants_of(&live, &roles),
        &without_grants_of(&wanted, &roles),
    );
    if plan.is_empty() {
        let _ = conn.close().await;
        return Ok(Report::ok(
            serde_json::json!({"command": "push", "database": database.name, "applied": 0}),
            format!("{}: no changes", database.name),
        ));
    }
    let losses: Vec<String> = plan
        .hazards()
        .filter(|h| h.kind == HazardKind::DeletesData)
        .map(|h| h.message.clone())
        .collect();
    if !losses.is_empty() && !args.allow_data_loss {
        return Err(usage(format!(
            "the push would delete data: {}; nothing was changed; pass --allow-data-loss to apply it",
            losses.join("; ")
        )));
    }
    for group in plan.transaction_groups() {
        let mut sql = String::from("BEGIN;\n");
        for step in group {
            sql.push_str(&step.sql);
            sql.push_str(";\n");
        }
        sql.push_str("COMMIT;");
        if let Err(e) = sqlx::raw_sql(&sql).execute(&mut conn).await {
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut conn).await;
            return Err(
                anyhow::Error::new(e).context(format!("pushing to database {}", database.name))
            );
        }
    }
    let _ = conn.close().await;
    Ok(Report::ok(
        serde_json::json!({"command": "push", "database": database.name, "applied": plan.steps.len(), "sql": plan.to_sql()}),
        format!(
            "{}: pushed {} statement(s)\n{}",
            database.name,
            plan.steps.len(),
            plan.to_sql().trim_end()
        ),
    ))
}
