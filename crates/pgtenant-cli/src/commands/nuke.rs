//! `pgtenant nuke`: drop the project's databases and login roles, nothing
//! else. Without `--yes` it lists what it would drop and exits 2. It
//! refuses a server that is not on this machine unless `--allow-remote`,
//! and never drops a superuser role or the admin role itself.

use crate::context::Context;
use crate::db;
use crate::error::{usage, ExitStatus};
use crate::output::Report;
use crate::pgurl::{self, Target};
use anyhow::{Context as _, Result};
use pgtenant_schema::ident::quote_ident;
use sqlx::Connection;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct NukeArgs {
    /// Really drop (without it, only list what would be dropped).
    #[arg(long)]
    pub yes: bool,

    /// Allow a server that is not localhost, 127.0.0.1, ::1 or a unix socket.
    #[arg(long)]
    pub allow_remote: bool,
}

pub async fn run(ctx: &Context, args: &NukeArgs) -> Result<Report> {
    let manifest = ctx.manifest()?;
    let admin = ctx.admin_url()?;
    if let Target::Remote(host) = pgurl::target(&admin.url) {
        if !args.allow_remote {
            return Err(usage(format!(
                "refusing to nuke databases on {host} ({}): it is not this machine; pass \
                 --allow-remote if you really mean it",
                admin.masked()
            )));
        }
    }
    let mut conn = db::connect(&admin.url, None, None).await?;
    let current: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&mut conn)
        .await?;

    let mut databases = Vec::new();
    let mut roles = Vec::new();
    for database in &manifest.databases {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&database.name)
                .fetch_one(&mut conn)
                .await?;
        if exists {
            databases.push(database.name.clone());
        }
        for (_, role) in database.roles() {
            let superuser: Option<bool> =
                sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = $1")
                    .bind(&role.name)
                    .fetch_optional(&mut conn)
                    .await?;
            match superuser {
                None => {}
                Some(true) => anyhow::bail!(
                    "role {} is a superuser; nuke never drops a superuser, drop it yourself if it \
                     really belongs to this project",
                    role.name
                ),
                Some(false) if role.name == current => {
                    anyhow::bail!(
                        "role {} is the admin role of this connection; nuke will not drop it",
                        role.name
                    )
                }
                Some(false) => roles.push(role.name.clone()),
            }
        }
    }

    let listing: Vec<String> = databases
        .iter()
        .map(|d| format!("database {d}"))
        .chain(roles.iter().map(|r| format!("role {r}")))
        .collect();
    if listing.is_empty() {
        return Ok(Report::ok(
            serde_json::json!({"command": "nuke", "dropped": [], "would_drop": []}),
            format!(
                "nuke: nothing to drop for project {}",
                manifest.project.name
            ),
        ));
    }
    if !args.yes {
        let human = format!(
            "nuke would drop, on {}:\n{}\nnothing was dropped; pass --yes to drop them",
            admin.masked(),
            listing
                .iter()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        return Ok(Report::ok(
            serde_json::json!({"command": "nuke", "dropped": [], "would_drop": listing}),
            human,
        )
        .with_status(ExitStatus::Usage));
    }

    let mut dropped = Vec::new();
    for d in &databases {
        sqlx::raw_sql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(d)
        ))
        .execute(&mut conn)
        .await
        .with_context(|| format!("dropping database {d}"))?;
        ctx.detail(format_args!("dropped database {d}"));
        dropped.push(format!("database {d}"));
    }
    for r in &roles {
        sqlx::raw_sql(&format!("DROP ROLE IF EXISTS {}", quote_ident(r)))
            .execute(&mut conn)
            .await
            .with_context(|| {
                format!(
                    "dropping role {r} (it still has privileges or objects in a database outside \
                     this project; run `DROP OWNED BY {}` there first)",
                    quote_ident(r)
                )
            })?;
        dropped.push(format!("role {r}"));
    }
    let _ = conn.close().await;
    let human = format!(
        "nuke: dropped\n{}",
        dropped
            .iter()
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    Ok(Report::ok(
        serde_json::json!({"command": "nuke", "dropped": dropped, "would_drop": []}),
        human,
    ))
}
