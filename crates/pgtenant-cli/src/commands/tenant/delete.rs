//! `tenant delete`: count the tenant's rows per table (children first);
//! without `--yes` that is the whole run (exit 2). With it, one transaction:
//! the root row locked, each table's rows deleted children first, a
//! re-scan of every tenant table that must find none, the audit event, and
//! only then COMMIT.
//!
//! A table whose direct DELETE is refused (an append-only log that only
//! follows deletions of its tenant, through `ON DELETE CASCADE`) is left to
//! that cascade when it has one: the DELETE runs under a savepoint, and
//! the re-scan proves the rows went.
//!
//! The audit module's log is never deleted from (it is append-only and
//! keeps the tenant's history); the deletion is recorded on its system
//! chain (tenant NULL, as superadmin events are), which no tenant can read
//! and which stays verifiable by `pgtenant audit verify`.

use super::archive;
use super::plan::{Kind, TablePlan};
use super::{refuse_unclassified, rows_text, Target};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::output::{Report, Table};
use anyhow::{Context as _, Result};
use pgtenant_schema::ident::{quote_ident, quote_literal, quote_qualified};

struct Counted<'p> {
    table: &'p TablePlan,
    rows: u64,
    /// The direct DELETE was refused and the cascade removed the rows.
    by_cascade: Option<String>,
}

async fn count(target: &mut Target<'_>, t: &TablePlan) -> Result<u64> {
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM {} WHERE {}",
        t.quoted(),
        t.filter
    ))
    .fetch_one(&mut target.conn)
    .await
    .with_context(|| format!("counting the rows of {}", t.name))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub async fn run(
    ctx: &Context,
    target: &mut Target<'_>,
    tenant: &str,
    yes: bool,
) -> Result<Report> {
    let id = target.tenant_id("--tenant", tenant)?;
    let plan = target.plan(&id)?;
    let dbname = target.db.name.clone();
    refuse_unclassified(target, &id, &plan, "deleted")?;
    // Soft-delete tables remove the tenant's rows for real here: the
    // admin bypasses row level security, and asks.
    sqlx::raw_sql(&format!(
        "BEGIN; {}; SET LOCAL {} = 'on'",
        archive::SESSION_SETTINGS,
        pgtenant_schema::ident::quote_setting(pgtenant_schema::tenancy::HARD_DELETE_SETTING)
    ))
    .execute(&mut target.conn)
    .await
    .context("starting the delete transaction")?;
    let lock = format!(
        "SELECT 1 FROM {} WHERE {} = {} FOR UPDATE",
        quote_qualified(&plan.root.schema, &plan.root.name),
        quote_ident(&plan.root_key),
        quote_literal(&id)
    );
    let found: Option<i32> = sqlx::query_scalar(&lock)
        .fetch_optional(&mut target.conn)
        .await
        .with_context(|| format!("looking up tenant {id} in {}", plan.root))?;
    if found.is_none() {
        return Err(anyhow::anyhow!(
            "tenant {id} does not exist in {} of database {dbname}; check the id; nothing was deleted",
            plan.root
        ));
    }
    // Children first: the load order reversed.
    let order: Vec<&TablePlan> = plan
        .tables
        .iter()
        .rev()
        .filter(|t| t.kind == Kind::Tenant)
        .collect();
    let mut counted = Vec::new();
    for t in &order {
        let rows = count(target, t).await?;
        counted.push(Counted {
            table: t,
            rows,
            by_cascade: None,
        });
    }
    if !yes {
        sqlx::raw_sql("ROLLBACK").execute(&mut target.conn).await?;
        return Ok(report(&dbname, &id, &counted, false, None).with_status(ExitStatus::Usage));
    }
    for c in &mut counted {
        let t = c.table;
        ctx.detail(format_args!("{}: {}", t.name, rows_text(c.rows)));
        sqlx::raw_sql("SAVEPOINT pgtenant_tenant_delete")
            .execute(&mut target.conn)
            .await?;
        let sql = format!("DELETE FROM {} WHERE {}", t.quoted(), t.filter);
        match sqlx::raw_sql(&sql).execute(&mut target.conn).await {
            Ok(_) => {
                sqlx::raw_sql("RELEASE SAVEPOINT pgtenant_tenant_delete")
                    .execute(&mut target.conn)
                    .await?;
            }
            Err(e) if t.cascades_from_tenant && t.name != plan.root => {
                sqlx::raw_sql("ROLLBACK TO SAVEPOINT pgtenant_tenant_delete")
                    .execute(&mut target.conn)
                    .await?;
                c.by_cascade = Some(message(&e));
            }
            Err(e) => {
                return Err(anyhow::anyhow!(
                    "deleting the rows of tenant {id} from {} failed: {}; nothing was deleted",
                    t.name,
                    message(&e)
                ))
            }
        }
    }
    // Before COMMIT: no tenant table may hold a row of the tenant.
    for c in &counted {
        let left = count(target, c.table).await?;
        if left > 0 {
            let why = c
                .by_cascade
                .as_ref()
                .map(|m| format!(" (its direct DELETE was refused: {m})"))
                .unwrap_or_default();
            return Err(anyhow::anyhow!(
                "after the deletes, {} still holds {} of tenant {id}{why}; nothing was deleted",
                c.table.name,
                rows_text(left)
            ));
        }
    }
    let audited = match &target.audit_log {
        Some(log) => {
            let log = log.clone();
            let metadata = serde_json::json!({
                "database": dbname,
                "tables": counted.iter().map(|c| serde_json::json!({
                    "table": c.table.name.to_string(), "rows": c.rows,
                })).collect::<Vec<_>>(),
            });
            let sql = format!(
                "INSERT INTO {} ({}, actor, action, resource_type, resource_id, metadata) \
                 VALUES (NULL, current_user, 'tenant.deleted', 'tenant', $1, $2)",
                quote_qualified(&log.schema, &log.name),
                quote_ident(&target.rules.column)
            );
            sqlx::query(&sql)
                .bind(&id)
                .bind(sqlx::types::Json(&metadata))
                .execute(&mut target.conn)
                .await
                .with_context(|| format!("recording the deletion in {log}; nothing was deleted"))?;
            Some(log)
        }
        None => None,
    };
    sqlx::raw_sql("COMMIT")
        .execute(&mut target.conn)
        .await
        .context("committing the deletion")?;
    Ok(report(&dbname, &id, &counted, true, audited.as_ref()))
}

fn message(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => d.message().to_owned(),
        other => other.to_string(),
    }
}

fn report(
    db: &str,
    id: &str,
    counted: &[Counted<'_>],
    deleted: bool,
    audit: Option<&pgtenant_schema::QualName>,
) -> Report {
    let total: u64 = counted.iter().map(|c| c.rows).sum();
    let mut table = Table::new(["table", "rows"]);
    for c in counted {
        let note = if c.by_cascade.is_some() {
            " (by ON DELETE CASCADE)"
        } else {
            ""
        };
        table.row([c.table.name.to_string(), format!("{}{note}", c.rows)]);
    }
    let head = if deleted {
        format!(
            "tenant delete: database {db}, tenant {id}: {} deleted",
            rows_text(total)
        )
    } else {
        format!(
            "tenant delete: database {db}, tenant {id}: would delete {}; nothing was deleted \
             (pass --yes to delete)",
            rows_text(total)
        )
    };
    let mut human = format!("{head}\n{}", table.render(2));
    if let Some(log) = audit {
        human.push_str(&format!(
            "  recorded in {log} as tenant.deleted (system chain)\n"
        ));
    }
    Report::ok(
        serde_json::json!({
            "command": "tenant delete",
            "database": db,
            "tenant": id,
            "deleted": deleted,
            "rows": total,
            "tables": counted.iter().map(|c| serde_json::json!({
                "schema": c.table.name.schema, "name": c.table.name.name, "rows": c.rows,
                "by_cascade": c.by_cascade.is_some(),
            })).collect::<Vec<_>>(),
            "audit_event": audit.map(|l| l.to_string()),
        }),
        human,
    )
}
