//! `pgtenant check [--db NAME]`: the CI gate. Exit 1 when, for a database:
//! - a migration is edited, missing on disk, out of order, partial or
//!   pending (the journal vs the files);
//! - the live database drifted from what its migrations produce (the
//!   migrations replayed on a shadow database vs the live catalog); the
//!   grants held by the project's login roles come from bootstrap, not from
//!   migrations, and are left out of this comparison;
//! - `schema/` has changes no migration holds yet (run `pgtenant generate`).
//!
//! Differences are printed as the SQL that would remove them.

use super::generate;
use crate::context::Context;
use crate::db;
use crate::error::ExitStatus;
use crate::manifest::Database;
use crate::output::Report;
use anyhow::{Context as _, Result};
use pgtenant::migrate::{self, State};
use pgtenant_schema::{diff, introspect, Catalog, Grant};
use sqlx::Connection;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct CheckArgs {
    /// Only this database of the manifest.
    #[arg(long, value_name = "NAME")]
    pub db: Option<String>,
}

/// The catalog without grants to `roles` (and without owners).
pub(crate) fn without_grants_of(c: &Catalog, roles: &[String]) -> Catalog {
    let keep = |g: &mut Vec<Grant>| g.retain(|g| !roles.contains(&g.grantee));
    let mut c = c.normalized();
    c.schemas.values_mut().for_each(|s| keep(&mut s.grants));
    c.sequences.values_mut().for_each(|s| keep(&mut s.grants));
    c.views.values_mut().for_each(|v| keep(&mut v.grants));
    c.functions.values_mut().for_each(|f| keep(&mut f.grants));
    for t in c.tables.values_mut() {
        keep(&mut t.grants);
        t.columns.iter_mut().for_each(|col| keep(&mut col.grants));
    }
    c
}

pub(crate) async fn check_database(
    ctx: &Context,
    database: &Database,
) -> Result<(Vec<String>, serde_json::Value)> {
    let admin = ctx.admin_url()?;
    let connect = db::options(&admin.url, Some(&database.name), None)?;
    let status = migrate::status(&connect, &database.migrations_dir).await?;
    let mut findings = Vec::new();
    for e in &status.entries {
        let what = match &e.state {
            State::Applied => continue,
            State::Pending => "pending (run `pgtenant migrate`)",
            State::OutOfOrder => "pending and older than the newest applied migration",
            State::ChecksumChanged { .. } => "edited after it was applied",
            State::MissingFile => "applied but its file is missing",
            State::Partial { .. } => "partially applied (a no-transaction file)",
        };
        findings.push(format!("migration {}_{}: {what}", e.version, e.name));
    }
    let (shadow, from_migrations) = generate::replay(&admin.url, &status.files).await?;
    let _ = shadow.drop().await;
    let wanted = generate::desired(&admin.url, database).await?;
    let mut drift_sql = String::new();
    let history_clean = findings.is_empty();
    if history_clean {
        let mut conn = db::connect(&admin.url, Some(&database.name), None).await?;
        let live = introspect(&mut conn).await;
        let _ = conn.close().await;
        let live = live.with_context(|| format!("introspecting database {}", database.name))?;
        let roles: Vec<String> = database.roles().map(|(_, r)| r.name.clone()).collect();
        let drift = diff(
            &without_grants_of(&live, &roles),
            &without_grants_of(&from_migrations, &roles),
        );
        if !drift.is_empty() {
            drift_sql = drift.to_sql();
            findings.push(format!(
                "the live database drifted from its migrations; this SQL would bring it back:\n{}",
                drift_sql.trim_end()
            ));
        }
    }
    let pending = diff(&from_migrations, &wanted);
    let pending_sql = pending.to_sql();
    if !pending.is_empty() {
        findings.push(format!(
            "schema/ has changes no migration holds (run `pgtenant generate --db {} --name ...`):\n{}",
            database.name,
            pending_sql.trim_end()
        ));
    }
    let json = serde_json::json!({
        "name": database.name,
        "ok": findings.is_empty(),
        "findings": findings,
        "drift_sql": drift_sql,
        "ungenerated_sql": pending_sql,
        "drift_checked": history_clean,
    });
    Ok((findings, json))
}

pub async fn run(ctx: &Context, args: &CheckArgs) -> Result<Report> {
    let manifest = ctx.manifest()?;
    let mut json = Vec::new();
    let mut human = Vec::new();
    let mut failed = false;
    for database in manifest.select(args.db.as_deref())? {
        let (findings, j) = check_database(ctx, database)
            .await
            .with_context(|| format!("checking database {}", database.name))?;
        if findings.is_empty() {
            human.push(format!(
                "{}: ok (migrations applied, no drift, schema/ generated)",
                database.name
            ));
        } else {
            failed = true;
            human.push(format!("{}: {} problem(s)", database.name, findings.len()));
            human.extend(
                findings
                    .iter()
                    .map(|f| format!("  {}", f.replace('\n', "\n    "))),
            );
        }
        json.push(j);
    }
    let report = Report::ok(
        serde_json::json!({"command": "check", "databases": json}),
        human.join("\n"),
    );
    Ok(if failed {
        report.with_status(ExitStatus::Failed)
    } else {
        report
    })
}
