//! `pgtenant backup [--db NAME] [--out DIR]`: `pg_dump --format=custom` of
//! each database, as the admin connection, into
//! `<out>/<db>-<UTC yyyymmddHHMMSS>.dump` (default out: `backups/` in the
//! project folder).
//!
//! The PostgreSQL client tools get the connection as a URL without its
//! password; the password goes through the child's `PGPASSWORD`, so it is
//! never on a command line (visible to every user of the machine) nor in
//! output. The tools' stderr is masked before it is shown.

use crate::catalogs::database_exists;
use crate::context::Context;
use crate::error::usage;
use crate::output::{Report, Table};
use crate::pgtool::{run_tool, ToolTarget};
use anyhow::{Context as _, Result};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct BackupArgs {
    /// Only this database of the manifest.
    #[arg(long, value_name = "NAME")]
    pub db: Option<String>,

    /// Folder for the dump files (created if missing). Default: `backups/`
    /// in the project folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// One dump written.
#[derive(Debug, Clone, Serialize)]
pub struct Dump {
    pub database: String,
    pub file: String,
    pub bytes: u64,
}

pub async fn run(ctx: &Context, args: &BackupArgs) -> Result<Report> {
    let manifest = ctx.manifest()?;
    let admin = ctx.admin_url()?;
    let databases = manifest.select(args.db.as_deref())?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| manifest.dir.join("backups"));
    for database in &databases {
        if !database_exists(&admin.url, &database.name).await? {
            return Err(usage(format!(
                "database {} does not exist on {}; run `pgtenant up` (or bootstrap) first, or pass --db",
                database.name,
                admin.masked()
            )));
        }
    }
    std::fs::create_dir_all(&out)
        .with_context(|| format!("creating the backup folder {}", out.display()))?;
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S").to_string();
    let mut dumps = Vec::new();
    for database in &databases {
        let file = out.join(format!("{}-{stamp}.dump", database.name));
        if file.exists() {
            return Err(usage(format!(
                "{} already exists; backup never overwrites a dump (wait a second, or pass another --out)",
                file.display()
            )));
        }
        ctx.progress(format_args!("backup: dumping {}", database.name));
        let target = ToolTarget::new(&admin.url, &database.name)?;
        let file_arg = file.as_os_str().to_owned();
        let result = run_tool(
            "pg_dump",
            &target,
            &[
                "--format=custom".into(),
                "--file".into(),
                file_arg,
                format!("--dbname={}", target.url).into(),
            ],
        )
        .await
        .with_context(|| format!("backing up database {}", database.name));
        if let Err(e) = result {
            let _ = std::fs::remove_file(&file);
            return Err(e);
        }
        let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        dumps.push(Dump {
            database: database.name.clone(),
            file: file.display().to_string(),
            bytes,
        });
    }
    let mut t = Table::new(["database", "file", "bytes"]);
    for d in &dumps {
        t.row([d.database.clone(), d.file.clone(), d.bytes.to_string()]);
    }
    Ok(Report::ok(
        serde_json::json!({"command": "backup", "dumps": dumps}),
        format!(
            "backup: {} dump{}\n{}",
            dumps.len(),
            if dumps.len() == 1 { "" } else { "s" },
            t.render(2)
        ),
    ))
}
