//! `pgtenant access explain|list`: what the rbac module decides for a user
//! in a tenant, read from the live database with the module's own SQL
//! functions (the ones policies use), so the answer is the database's.
//!
//! `explain` exits 0 when the permission is allowed and 1 otherwise, so a
//! script can test it.

use crate::context::Context;
use crate::db;
use crate::error::{usage, ExitStatus};
use crate::manifest::Database;
use crate::modules;
use crate::output::{Report, Table};
use anyhow::{Context as _, Result};
use pgtenant_schema::ident::quote_ident;
use sqlx::{Connection, PgConnection};

#[derive(Debug, Clone, clap::Args)]
pub struct AccessArgs {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Action {
    /// Allowed or denied, and every allow and deny rule that matched.
    Explain {
        #[command(flatten)]
        who: Who,
        /// The permission, e.g. content.nodes.delete.
        permission: String,
    },
    /// The effective permissions of the user in the tenant.
    List {
        #[command(flatten)]
        who: Who,
    },
}

#[derive(Debug, Clone, clap::Args)]
pub struct Who {
    /// The database (needed when the manifest has several).
    #[arg(long, value_name = "NAME")]
    pub db: Option<String>,
    /// The user id.
    #[arg(long, value_name = "ID")]
    pub user: String,
    /// The tenant id.
    #[arg(long, value_name = "ID")]
    pub tenant: String,
}

/// One matching rule, as `rbac_explain` returns it.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
struct Rule {
    effect: String,
    role_name: String,
    global: bool,
    pattern: String,
}

pub async fn run(ctx: &Context, args: &AccessArgs) -> Result<Report> {
    let who = match &args.action {
        Action::Explain { who, .. } | Action::List { who } => who,
    };
    let manifest = ctx.manifest()?;
    let database = modules::pick(&manifest.select(who.db.as_deref())?, "rbac")?;
    let admin = ctx.admin_url()?;
    let mut conn = db::connect(&admin.url, Some(&database.name), None).await?;
    let s = quote_ident(&database.module_schema);
    let (user, tenant) = ids(&mut conn, database, who).await?;
    let report = match &args.action {
        Action::Explain { permission, .. } => {
            explain(&mut conn, &s, &user, &tenant, permission).await?
        }
        Action::List { .. } => list(&mut conn, database, &s, &user, &tenant).await?,
    };
    let _ = conn.close().await;
    Ok(report)
}

/// `--user` and `--tenant` checked against the key types, canonical.
async fn ids(conn: &mut PgConnection, db: &Database, who: &Who) -> Result<(String, String)> {
    let column = modules::tenant_column(db);
    let user_type = modules::live_key_type(conn, db, "effective_permissions", "user_id").await?;
    let tenant_type = modules::live_key_type(conn, db, "effective_permissions", column).await?;
    let user = user_type
        .canonical(&who.user)
        .map_err(|why| usage(format!("--user {:?}: {why}", who.user)))?;
    let tenant = tenant_type
        .canonical(&who.tenant)
        .map_err(|why| usage(format!("--tenant {:?}: {why}", who.tenant)))?;
    Ok((user, tenant))
}

fn decision_text(decision: &str) -> &'static str {
    match decision {
        "allowed" => "allowed",
        "denied" => "denied (a deny rule matched)",
        "not_a_member" => "denied (the user is not an active member of the tenant)",
        "unknown_permission" => "denied (the permission is not in the catalog)",
        _ => "denied (no role the user holds allows it)",
    }
}

async fn explain(
    conn: &mut PgConnection,
    s: &str,
    user: &str,
    tenant: &str,
    permission: &str,
) -> Result<Report> {
    let decision: String = sqlx::query_scalar(&format!("SELECT {s}.rbac_decide($1, $2, $3)"))
        .bind(user)
        .bind(tenant)
        .bind(permission)
        .fetch_one(&mut *conn)
        .await
        .context("asking the rbac module")?;
    let rules: Vec<Rule> = sqlx::query_as(&format!(
        "SELECT effect, role_name, global, pattern FROM {s}.rbac_explain($1, $2, $3)"
    ))
    .bind(user)
    .bind(tenant)
    .bind(permission)
    .fetch_all(&mut *conn)
    .await
    .context("listing the matching rules")?;
    let mut human = format!(
        "{permission}: {} for user {user} in tenant {tenant}",
        decision_text(&decision)
    );
    if let Some(first) = rules.first() {
        if decision == "allowed" || decision == "denied" {
            human.push_str(&format!(
                "\ndecided by: {} {} in role {}{}",
                first.effect,
                first.pattern,
                first.role_name,
                if first.global { " (global)" } else { "" }
            ));
        }
        let mut t = Table::new(["effect", "pattern", "role"]);
        for r in &rules {
            let role = if r.global {
                format!("{} (global)", r.role_name)
            } else {
                r.role_name.clone()
            };
            t.row([r.effect.clone(), r.pattern.clone(), role]);
        }
        human.push_str("\nmatching rules:\n");
        human.push_str(&t.render(2));
    } else {
        human.push_str("\nno rule of a role the user holds matches it");
    }
    let status = if decision == "allowed" {
        ExitStatus::Ok
    } else {
        ExitStatus::Failed
    };
    Ok(Report::ok(
        serde_json::json!({
            "command": "access explain",
            "user": user, "tenant": tenant, "permission": permission,
            "decision": decision, "rules": rules,
        }),
        human,
    )
    .with_status(status))
}

async fn list(
    conn: &mut PgConnection,
    db: &Database,
    s: &str,
    user: &str,
    tenant: &str,
) -> Result<Report> {
    let column = modules::tenant_column(db);
    let permissions: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT permission FROM {s}.effective_permissions \
         WHERE {}::text = $2 AND user_id::text = $1 ORDER BY 1",
        quote_ident(column)
    ))
    .bind(user)
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await
    .context("reading the effective permissions")?;
    let mut human = format!(
        "user {user} in tenant {tenant}: {} permission{}",
        permissions.len(),
        if permissions.len() == 1 { "" } else { "s" }
    );
    for p in &permissions {
        human.push_str("\n  ");
        human.push_str(p);
    }
    Ok(Report::ok(
        serde_json::json!({
            "command": "access list", "user": user, "tenant": tenant, "permissions": permissions,
        }),
        human,
    ))
}
