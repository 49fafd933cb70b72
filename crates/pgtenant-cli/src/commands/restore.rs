//! `pgtenant restore --db NAME --from FILE --yes`: `pg_restore --clean
//! --if-exists --no-owner --single-transaction` of a dump written by
//! `pgtenant backup` into a database of the manifest, as the admin
//! connection. It replaces what the dump holds, in one transaction: on an
//! error nothing changes.
//!
//! Guards, as nuke's: without `--yes` it says what it would do and exits 2;
//! a server that is not on this machine needs `--allow-remote`. The
//! database must exist (run `pgtenant bootstrap` first: it also creates the
//! roles the dump's grants name). The password reaches pg_restore through
//! `PGPASSWORD` only (see `backup`).

use crate::catalogs::database_exists;
use crate::context::Context;
use crate::error::{usage, ExitStatus};
use crate::output::Report;
use crate::pgtool::{require_file, run_tool, ToolTarget};
use crate::pgurl::{self, Target};
use anyhow::{Context as _, Result};
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct RestoreArgs {
    /// The database to restore into (a `[[database]]` name of the manifest).
    #[arg(long, value_name = "NAME")]
    pub db: String,

    /// The dump file (`pgtenant backup` writes them).
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,

    /// Really restore (without it, only say what would happen).
    #[arg(long)]
    pub yes: bool,

    /// Allow a server that is not localhost, 127.0.0.1, ::1 or a unix socket.
    #[arg(long)]
    pub allow_remote: bool,
}

pub async fn run(ctx: &Context, args: &RestoreArgs) -> Result<Report> {
    let manifest = ctx.manifest()?;
    let database = manifest.select(Some(&args.db))?[0];
    require_file("--from", &args.from)?;
    let admin = ctx.admin_url()?;
    if let Target::Remote(host) = pgurl::target(&admin.url) {
        if !args.allow_remote {
            return Err(usage(format!(
                "refusing to restore into a database on {host} ({}): it is not this machine; \
                 pass --allow-remote if you really mean it",
                admin.masked()
            )));
        }
    }
    if !database_exists(&admin.url, &database.name).await? {
        return Err(usage(format!(
            "database {} does not exist on {}; run `pgtenant bootstrap --db {}` first (it \
             creates the database and the roles the dump grants to), then restore",
            database.name,
            admin.masked(),
            database.name
        )));
    }
    let json = serde_json::json!({
        "command": "restore",
        "database": database.name,
        "from": args.from.display().to_string(),
        "restored": args.yes,
    });
    if !args.yes {
        return Ok(Report::ok(
            json,
            format!(
                "restore would replace the objects and rows of database {} on {} with those of \
                 {}\nnothing was changed; pass --yes to restore",
                database.name,
                admin.masked(),
                args.from.display()
            ),
        )
        .with_status(ExitStatus::Usage));
    }
    ctx.progress(format_args!(
        "restore: {} into {}",
        args.from.display(),
        database.name
    ));
    let target = ToolTarget::new(&admin.url, &database.name)?;
    run_tool(
        "pg_restore",
        &target,
        &[
            "--clean".into(),
            "--if-exists".into(),
            "--no-owner".into(),
            "--single-transaction".into(),
            format!("--dbname={}", target.url).into(),
            args.from.as_os_str().to_owned(),
        ],
    )
    .await
    .with_context(|| {
        format!(
            "restoring {} into database {} (nothing was changed)",
            args.from.display(),
            database.name
        )
    })?;
    Ok(Report::ok(
        json,
        format!(
            "restore: database {} restored from {}",
            database.name,
            args.from.display()
        ),
    ))
}
