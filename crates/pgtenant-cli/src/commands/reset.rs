//! `pgtenant reset [--db NAME] --yes`: drop the project's databases (all,
//! or one) and build them again with `up`. Without --yes it lists what it
//! would drop and exits 2; a server that is not this machine needs
//! --allow-remote.

use super::up::{self, UpArgs};
use crate::context::Context;
use crate::db;
use crate::error::{usage, ExitStatus};
use crate::output::Report;
use crate::pgurl::{self, Target};
use anyhow::{Context as _, Result};
use pgtenant_schema::ident::quote_ident;
use sqlx::Connection;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct ResetArgs {
    /// Only this database of the manifest.
    #[arg(long, value_name = "NAME")]
    pub db: Option<String>,
    /// Really drop and rebuild (without it, only list what would be dropped).
    #[arg(long)]
    pub yes: bool,
    /// Allow a server that is not localhost, 127.0.0.1, ::1 or a unix socket.
    #[arg(long)]
    pub allow_remote: bool,
    /// Load the demo seeds too (as SEED_DEMO_OK=true does).
    #[arg(long)]
    pub demo: bool,
}

pub async fn run(ctx: &Context, args: &ResetArgs) -> Result<Report> {
    let manifest = ctx.manifest()?;
    let databases = manifest.select(args.db.as_deref())?;
    let admin = ctx.admin_url()?;
    if let Target::Remote(host) = pgurl::target(&admin.url) {
        if !args.allow_remote {
            return Err(usage(format!(
                "refusing to reset databases on {host} ({}): it is not this machine; pass --allow-remote if you really mean it",
                admin.masked()
            )));
        }
    }
    let names: Vec<String> = databases.iter().map(|d| d.name.clone()).collect();
    if !args.yes {
        return Ok(Report::ok(
            serde_json::json!({"command": "reset", "would_drop": names}),
            format!(
                "reset would drop and rebuild, on {}:\n{}\nnothing was dropped; pass --yes to reset",
                admin.masked(),
                names.iter().map(|n| format!("  database {n}")).collect::<Vec<_>>().join("\n")
            ),
        )
        .with_status(ExitStatus::Usage));
    }
    let mut conn = db::connect(&admin.url, None, None).await?;
    for name in &names {
        ctx.progress(format_args!("==> dropping database {name}"));
        sqlx::raw_sql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(name)
        ))
        .execute(&mut conn)
        .await
        .with_context(|| format!("dropping database {name}"))?;
    }
    let _ = conn.close().await;
    let report = up::run(ctx, &UpArgs { demo: args.demo }).await?;
    let human = format!("reset: dropped {}\n\n{}", names.join(", "), report.human);
    Ok(Report {
        status: report.status,
        json: serde_json::json!({"command": "reset", "dropped": names, "up": report.json}),
        human,
    })
}
