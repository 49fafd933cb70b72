//! `pgtenant diff --from SRC --to SRC`: the plan that turns one schema into
//! another.
//!
//! SRC is a folder of `.sql` files, one `.sql` file, or a `postgres://` URL;
//! a migrations folder is read as migrations (up sections, version order).
//! SQL sources are loaded into shadow databases on the admin server (both at
//! once) and dropped afterwards, also when loading fails; URLs are
//! introspected as they are. The plan is printed as SQL with one
//! `-- hazard:` comment per hazard before its statement (nothing for an
//! empty plan), or with `--json` as `{"steps": [...]}`.

use crate::context::Context;
use crate::error::usage;
use crate::output::Report;
use anyhow::{Context as _, Result};
use pgtenant_schema::diff;
use pgtenant_schema::shadow::{LoadedSchema, ShadowError, Source};

#[derive(Debug, Clone, clap::Args)]
pub struct DiffArgs {
    /// The current schema: a folder of .sql files, a .sql file or a postgres:// URL.
    #[arg(long, value_name = "SRC")]
    pub from: String,
    /// The desired schema: a folder of .sql files, a .sql file or a postgres:// URL.
    #[arg(long, value_name = "SRC")]
    pub to: String,
}

pub async fn run(ctx: &Context, args: &DiffArgs) -> Result<Report> {
    let from = Source::parse(&args.from);
    let to = Source::parse(&args.to);
    // Only SQL sources need the admin server (for their shadow databases).
    let admin = if matches!(from, Source::Path(_)) || matches!(to, Source::Path(_)) {
        Some(ctx.admin_url()?.url)
    } else {
        None
    };
    let admin = admin.as_deref().unwrap_or_default();
    let (a, b) = tokio::join!(catalog(&from, admin, "--from"), catalog(&to, admin, "--to"));
    let (a, b) = (a?, b?);
    let plan = diff(&a.catalog, &b.catalog, &b.renames);
    ctx.detail(format!("{} step(s)", plan.steps.len()));
    Ok(Report::ok(&plan, plan.to_sql()))
}

async fn catalog(source: &Source, admin_url: &str, flag: &str) -> Result<LoadedSchema> {
    // A migrations folder is read as migrations: up sections only.
    if let Source::Path(path) = source {
        if let Some(c) = crate::catalogs::migrations_source_catalog(admin_url, path)
            .await
            .with_context(|| format!("{flag} {source}"))?
        {
            return Ok(c);
        }
    }
    match source.catalog(admin_url).await {
        Ok(c) => Ok(c),
        // A source that is not there is a usage error (exit 2).
        Err(
            e @ (ShadowError::MissingSource { .. }
            | ShadowError::NoSqlFiles { .. }
            | ShadowError::InvalidUrl { .. }),
        ) => Err(usage(format!("{flag}: {e}"))),
        Err(e) => Err(e).with_context(|| format!("{flag} {source}")),
    }
}
