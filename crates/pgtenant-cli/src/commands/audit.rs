//! `pgtenant audit verify`: recompute every tenant's hash chain of the
//! audit module's log as the admin (with `pgtenant::audit::verify`, the
//! Rust implementation, not the SQL that wrote the rows) and name the first
//! broken row of each chain. Exit 1 on any breach.

use crate::context::Context;
use crate::db;
use crate::error::{usage, ExitStatus};
use crate::modules;
use crate::output::Report;
use anyhow::{Context as _, Result};
use pgtenant::audit::{Breach, ChainReport};
use sqlx::Connection;

#[derive(Debug, Clone, clap::Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Action {
    /// Recompute each tenant's hash chain; name the first edited, deleted or
    /// reordered row (exit 1 on any).
    Verify {
        /// The database (needed when several use the audit module).
        #[arg(long, value_name = "NAME")]
        db: Option<String>,
        /// Only this tenant's chain.
        #[arg(long, value_name = "ID")]
        tenant: Option<String>,
    },
}

/// What broke, in the words the report uses.
fn kind(breach: &Breach) -> &'static str {
    match breach {
        Breach::Edited | Breach::HeadMismatch => "edited",
        Breach::Missing { .. } | Breach::TailRemoved { .. } => "deleted",
        Breach::Relinked => "reordered",
    }
}

fn chain_name(tenant: Option<&str>) -> String {
    tenant.map_or_else(
        || "system (superadmin events)".to_owned(),
        |t| format!("tenant {t}"),
    )
}

fn rows_text(n: u64) -> String {
    format!("{n} row{} checked", if n == 1 { "" } else { "s" })
}

pub async fn run(ctx: &Context, args: &AuditArgs) -> Result<Report> {
    let Action::Verify { db, tenant } = &args.action;
    let manifest = ctx.manifest()?;
    let database = modules::pick(&manifest.select(db.as_deref())?, "audit")?;
    let admin = ctx.admin_url()?;
    let mut conn = db::connect(&admin.url, Some(&database.name), None).await?;
    let column = modules::tenant_column(database);
    let key = modules::live_key_type(&mut conn, database, "audit_log", column).await?;
    let tenant = tenant
        .as_deref()
        .map(|t| {
            key.canonical(t)
                .map_err(|why| usage(format!("--tenant {t:?}: {why}")))
        })
        .transpose()?;
    let mut reports = pgtenant::audit::verify(
        &mut conn,
        &database.module_schema,
        column,
        tenant.as_deref(),
    )
    .await
    .with_context(|| format!("reading the audit log of database {}", database.name))?;
    let _ = conn.close().await;
    reports.sort_by(|a, b| a.tenant.cmp(&b.tenant));
    Ok(report(&database.name, tenant.as_deref(), &reports))
}

fn report(db: &str, tenant: Option<&str>, reports: &[ChainReport]) -> Report {
    let mut human = format!("{db}: audit log");
    if reports.is_empty() {
        human.push_str(&match tenant {
            Some(t) => format!("\n  tenant {t}: no rows"),
            None => "\n  no rows".to_owned(),
        });
    }
    let mut chains = Vec::new();
    let mut any_broken = false;
    for r in reports {
        let name = chain_name(r.tenant.as_deref());
        let broken = r.broken.as_ref().map(|b| {
            let what = kind(&b.breach);
            let row = b.audit_id.map_or_else(
                || "after the last row".to_owned(),
                |id| format!("at row {id}"),
            );
            let line = format!(
                "{name}: {}, broken {row} (seq {}): {what}: {}",
                rows_text(r.rows),
                b.seq,
                b.breach
            );
            serde_json::json!({
                "audit_id": b.audit_id, "seq": b.seq, "kind": what,
                "detail": b.breach.to_string(), "line": line,
            })
        });
        match &broken {
            Some(b) => {
                human.push_str("\n  ");
                human.push_str(b["line"].as_str().unwrap_or_default());
                any_broken = true;
            }
            None => human.push_str(&format!(
                "\n  {name}: {}, intact (last seq {})",
                rows_text(r.rows),
                r.last_seq
            )),
        }
        chains.push(serde_json::json!({
            "tenant": r.tenant, "rows": r.rows, "last_seq": r.last_seq,
            "last_hash": hex::encode(r.last_hash), "broken": broken,
        }));
    }
    let status = if any_broken {
        human.push_str(
            "\nthe audit log was changed after it was written (pgtenant.audit() only appends); \
             keep the database as it is for investigation, find who held the admin role at the \
             time, and restore the rows from a backup taken before the first broken row",
        );
        ExitStatus::Failed
    } else {
        ExitStatus::Ok
    };
    Report::ok(
        serde_json::json!({ "command": "audit verify", "database": db, "chains": chains }),
        human,
    )
    .with_status(status)
}
