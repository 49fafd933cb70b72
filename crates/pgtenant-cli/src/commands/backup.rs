//! `pgtenant backup [--db NAME] [--out DIR]`: `pg_dump --format=custom` of
//! each database, as the admin connection, into
//! `<out>/<db>-<UTC yyyymmddHHMMSS>.dump` (default out: `backups/` in the
//! project folder).
//!
//! The PostgreSQL client tools get the connection as a URL without its
//! password; the password goes through the child's `PGPASSWORD`, so it is
//! never on a command line (visible to every user of the machine) nor in
//! output. The tools' stderr is masked before it is shown.

use crate::context::Context;
use crate::error::usage;
use crate::output::{Report, Table};
use crate::pgurl;
use crate::schema_state::database_exists;
use anyhow::{Context as _, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

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

/// How a client tool reaches one database: a URL without any password,
/// and the password for `PGPASSWORD`.
pub struct ToolTarget {
    /// Safe to pass on a command line: no password in it.
    pub url: String,
    password: Option<String>,
}

impl ToolTarget {
    /// The admin URL pointed at `database`, with its password moved out
    /// (from the user-info part or a `password=` parameter).
    pub fn new(admin_url: &str, database: &str) -> Result<ToolTarget> {
        let mut parsed = url::Url::parse(admin_url).map_err(|_| {
            usage(format!(
                "the admin URL {} is not a valid PostgreSQL URL",
                pgurl::mask(admin_url)
            ))
        })?;
        let mut password = parsed.password().map(percent_decode);
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut kept = Vec::new();
        for (k, v) in pairs {
            if k.eq_ignore_ascii_case("password") {
                password = Some(v);
            } else {
                kept.push((k, v));
            }
        }
        if kept.is_empty() {
            parsed.set_query(None);
        } else {
            parsed.query_pairs_mut().clear().extend_pairs(kept);
        }
        let _ = parsed.set_password(None);
        parsed.set_path(&format!("/{database}"));
        Ok(ToolTarget {
            url: parsed.to_string(),
            password,
        })
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Run a PostgreSQL client tool (`pg_dump`, `pg_restore`) with `args`,
/// the password in its environment; its stderr, masked, is the error.
pub async fn run_tool(tool: &str, target: &ToolTarget, args: &[std::ffi::OsString]) -> Result<()> {
    let mut cmd = tokio::process::Command::new(tool);
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    match &target.password {
        Some(p) => {
            cmd.env("PGPASSWORD", p);
        }
        None => {
            cmd.env_remove("PGPASSWORD");
        }
    }
    let out = match cmd.output().await {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(usage(format!(
                "{tool} is not installed (not found on PATH); install the PostgreSQL client \
                 tools matching your server, e.g. `sudo apt-get install postgresql-client`"
            )))
        }
        Err(e) => return Err(anyhow::Error::new(e).context(format!("running {tool}"))),
    };
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut shown: String = stderr
        .lines()
        .map(pgurl::mask)
        .collect::<Vec<_>>()
        .join("\n");
    if let Some(p) = target.password.as_deref().filter(|p| !p.is_empty()) {
        shown = shown.replace(p, "***");
    }
    let code = out
        .status
        .code()
        .map_or_else(|| "a signal".to_owned(), |c| format!("exit code {c}"));
    anyhow::bail!("{tool} failed ({code}):\n{}", shown.trim_end())
}

/// Whether `path` is a file (for `--from` flags).
pub fn require_file(flag: &str, path: &Path) -> Result<()> {
    if path.is_file() {
        Ok(())
    } else {
        Err(usage(format!(
            "{flag} {}: no such file; pass a dump written by `pgtenant backup`",
            path.display()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tool_url_never_holds_the_password() {
        let t = ToolTarget::new(
            "postgres://admin:s%40cret@db.example.com:6432/postgres?sslmode=require",
            "app",
        )
        .unwrap();
        assert_eq!(
            t.url,
            "postgres://admin@db.example.com:6432/app?sslmode=require"
        );
        assert_eq!(t.password.as_deref(), Some("s@cret"));
        let t = ToolTarget::new(
            "postgres://admin@127.0.0.1/postgres?password=pw&sslmode=disable",
            "app",
        )
        .unwrap();
        assert_eq!(t.url, "postgres://admin@127.0.0.1/app?sslmode=disable");
        assert_eq!(t.password.as_deref(), Some("pw"));
        let t = ToolTarget::new("postgres://postgres@127.0.0.1:5432/postgres", "x").unwrap();
        assert_eq!(t.url, "postgres://postgres@127.0.0.1:5432/x");
        assert_eq!(t.password, None);
    }
}
