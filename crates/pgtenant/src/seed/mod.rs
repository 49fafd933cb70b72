//! Seeds: `setup` (foundational data every database needs) and `demo`
//! (sample data for development, gated).
//!
//! A seed folder holds `*.sql` and `*.csv` files, run in name order, each in
//! its own transaction together with its row in `pgtenant.seeds` (file,
//! checksum, applied_at). A file already applied with the same checksum is
//! skipped; a changed one runs again, so setup seeds must be idempotent
//! (`INSERT ... ON CONFLICT DO NOTHING` / `DO UPDATE`).
//!
//! - `*.sql`: `${VAR}` / `${VAR:-default}` placeholders are filled from the
//!   environment first (see [`placeholder`] for the exact, injection-safe
//!   semantics); the checksum is taken over the filled text, so a new value
//!   re-runs the file. An unset placeholder without default stops the whole
//!   run before anything runs. `${VAR:=generate}` makes a secret when VAR
//!   is unset (the checksum keeps the placeholder, so a re-run makes none);
//!   the report carries it, to be shown once.
//! - `*.csv`: loaded with `COPY ... FROM STDIN (FORMAT csv, HEADER)` into the
//!   table named by the file: `users.csv` → `users`, `auth.users.csv` →
//!   `auth.users`, and a leading ordering prefix of digits and `_`/`-` is
//!   dropped (`010_users.csv` → `users`). The header row names the columns.
//!   Rows go through a temporary table and `INSERT ... ON CONFLICT DO
//!   NOTHING`, so re-running a CSV keeps rows whose key already exists.

pub mod placeholder;

use crate::migrate::exec::{statement_error, Batch};
use crate::migrate::{file, journal, MigrateError, StatementError};
use pgtenant_schema::ident::{quote_ident, quote_qualified};
use pgtenant_schema::sqltext::{lex, split_statements, Statement};
use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnectOptions;
use sqlx::PgConnection;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Which seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedKind {
    Setup,
    Demo,
}

impl SeedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SeedKind::Setup => "setup",
            SeedKind::Demo => "demo",
        }
    }
}

/// Whether demo data may be loaded (`SEED_DEMO_OK=true` or `--yes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoConsent {
    Given,
    NotGiven,
}

impl DemoConsent {
    /// `Given` when `SEED_DEMO_OK` is `true` (or `1`).
    pub fn from_env() -> DemoConsent {
        match std::env::var("SEED_DEMO_OK")
            .ok()
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("true" | "1") => DemoConsent::Given,
            _ => DemoConsent::NotGiven,
        }
    }
}

/// Everything that can stop a seed run.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(
        "refusing to load demo seeds: they are sample data for development databases; set SEED_DEMO_OK=true or pass --yes"
    )]
    DemoRefused,
    #[error("cannot read the seeds folder {path}")]
    ReadDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {path}")]
    ReadFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", .0.join("\n"))]
    Placeholders(Vec<String>),
    #[error("{file}:{line}: {statement} inside a seed; remove it (each seed file runs in its own transaction)")]
    TransactionControl {
        file: String,
        line: usize,
        statement: String,
    },
    #[error("{file}: {reason}")]
    Csv { file: String, reason: String },
    #[error("{0}")]
    Statement(Box<StatementError>),
    #[error(transparent)]
    Migrate(#[from] MigrateError),
}

/// What one seed file holds, ready to run.
#[derive(Debug, Clone)]
pub enum Content {
    Sql(Vec<Statement>),
    Csv {
        table: String,
        columns: Vec<String>,
        data: Vec<u8>,
    },
}

/// One seed file, placeholders filled.
#[derive(Debug, Clone)]
pub struct SeedFile {
    /// Journal key, e.g. `setup/01_roles.sql`.
    pub key: String,
    pub path: PathBuf,
    pub checksum: String,
    pub content: Content,
    /// The secrets its `${NAME:=generate}` placeholders made.
    pub generated: Vec<placeholder::MadeSecret>,
}

/// What a seed run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub applied: Vec<String>,
    pub skipped: Vec<String>,
    /// The secrets made for the applied files (each once): their only
    /// appearance; nothing keeps them.
    pub generated: Vec<placeholder::MadeSecret>,
}

/// What happens, as it happens.
#[derive(Debug)]
pub enum SeedEvent<'a> {
    Skipped {
        file: &'a SeedFile,
    },
    Applied {
        file: &'a SeedFile,
        rows: Option<u64>,
    },
}

/// Read `dir` (a `setup` or `demo` folder), fill placeholders from `env`.
/// A missing folder has no seeds.
pub fn load(
    dir: &Path,
    kind: SeedKind,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<SeedFile>, SeedError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(SeedError::ReadDir {
                path: dir.display().to_string(),
                source,
            })
        }
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| SeedError::ReadDir {
            path: dir.display().to_string(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".sql") || name.ends_with(".csv") {
            names.push(name);
        }
    }
    names.sort();
    let mut out = Vec::new();
    let mut placeholder_errors = Vec::new();
    let mut made = placeholder::Generated::default();
    for name in names {
        let path = dir.join(&name);
        let display = path.display().to_string();
        let key = format!("{}/{name}", kind.as_str());
        let bytes = std::fs::read(&path).map_err(|source| SeedError::ReadFile {
            path: display.clone(),
            source,
        })?;
        if let Some(stem) = name.strip_suffix(".csv") {
            let (table, columns) = csv_target(stem, &bytes).map_err(|reason| SeedError::Csv {
                file: display.clone(),
                reason,
            })?;
            let checksum = hex::encode(Sha256::digest(&bytes));
            out.push(SeedFile {
                key,
                path,
                checksum,
                content: Content::Csv {
                    table,
                    columns,
                    data: bytes,
                },
                generated: Vec::new(),
            });
            continue;
        }
        let raw = String::from_utf8(bytes).map_err(|e| SeedError::ReadFile {
            path: display.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })?;
        let text = file::normalize_text(&raw);
        let rendered = match placeholder::render_seed(&text, env, &mut made) {
            Ok(r) => r,
            Err(errors) => {
                placeholder_errors.extend(
                    errors
                        .into_iter()
                        .map(|e| format!("{display}:{}: {}", e.line, e.message)),
                );
                continue;
            }
        };
        let statements = split_statements(&rendered.text);
        for s in &statements {
            if let Some(word) = file::transaction_control(&s.sql) {
                return Err(SeedError::TransactionControl {
                    file: display,
                    line: s.line,
                    statement: word,
                });
            }
        }
        // Over the text with made secrets left as placeholders: a re-run
        // finds the file unchanged instead of making a second secret.
        let mut h = Sha256::new();
        h.update(b"pgtenant-seed-v1\n");
        for s in &split_statements(&rendered.stable) {
            h.update(lex::canonical(&s.sql).as_bytes());
            h.update(b";\n");
        }
        let checksum = hex::encode(h.finalize());
        out.push(SeedFile {
            key,
            path,
            checksum,
            content: Content::Sql(statements),
            generated: rendered.generated,
        });
    }
    if !placeholder_errors.is_empty() {
        return Err(SeedError::Placeholders(placeholder_errors));
    }
    Ok(out)
}

/// The table (quoted) and the quoted header columns of a CSV seed.
fn csv_target(stem: &str, bytes: &[u8]) -> Result<(String, Vec<String>), String> {
    let digits = stem.bytes().take_while(u8::is_ascii_digit).count();
    let name = if digits > 0 && matches!(stem.as_bytes().get(digits), Some(b'_' | b'-')) {
        &stem[digits + 1..]
    } else {
        stem
    };
    let table = match name.split_once('.') {
        Some((schema, table)) if !schema.is_empty() && !table.is_empty() && !table.contains('.') => {
            quote_qualified(schema, table)
        }
        None if !name.is_empty() => quote_ident(name),
        _ => {
            return Err(format!(
                "cannot tell the table from the file name `{stem}.csv`; name it <table>.csv or <schema>.<table>.csv (an ordering prefix like 010_ is allowed)"
            ))
        }
    };
    let text = std::str::from_utf8(bytes).map_err(|_| "the file is not UTF-8".to_owned())?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header = text.lines().next().unwrap_or("").trim_end_matches('\r');
    let columns = csv_fields(header);
    if columns.iter().all(|c| c.trim().is_empty()) {
        return Err("the first line must name the columns (a header row)".into());
    }
    if let Some(c) = columns.iter().find(|c| c.trim().is_empty()) {
        return Err(format!(
            "the header row has an empty column name ({c:?}); name every column"
        ));
    }
    Ok((
        table,
        columns.iter().map(|c| quote_ident(c.trim())).collect(),
    ))
}

/// The fields of one CSV line (double quotes, `""` for a quote).
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (false, '"') => quoted = true,
            (false, ',') => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Options of a seed run.
#[derive(Debug, Clone, Copy)]
pub struct SeedOptions {
    pub kind: SeedKind,
    pub demo: DemoConsent,
}

/// Run the seeds of `dir`. Placeholders come from `env` (usually
/// `|k| std::env::var(k).ok()`).
pub async fn seed(
    options: &PgConnectOptions,
    dir: &Path,
    opts: SeedOptions,
    env: &dyn Fn(&str) -> Option<String>,
    progress: &(dyn Fn(&SeedEvent<'_>) + Sync),
) -> Result<SeedReport, SeedError> {
    if opts.kind == SeedKind::Demo && opts.demo != DemoConsent::Given {
        return Err(SeedError::DemoRefused);
    }
    let files = load(dir, opts.kind, env)?;
    if files.is_empty() {
        return Ok(SeedReport::default());
    }
    let mut conn = crate::migrate::connect(options).await?;
    let result = seed_files(&mut conn, options, &files, progress).await;
    journal::close(conn).await;
    result
}

/// Run loaded seed files on a dedicated connection; the migrate lock is
/// taken on a connection of its own, opened with `options`.
pub async fn seed_files(
    conn: &mut PgConnection,
    options: &PgConnectOptions,
    files: &[SeedFile],
    progress: &(dyn Fn(&SeedEvent<'_>) + Sync),
) -> Result<SeedReport, SeedError> {
    let mut report = SeedReport::default();
    let mut done = applied_checksums(conn).await?;
    let all_done = done
        .as_ref()
        .is_some_and(|d| files.iter().all(|f| d.get(&f.key) == Some(&f.checksum)));
    let mut lock = None;
    if !all_done {
        lock = Some(
            journal::MigrateLock::acquire(options, std::time::Duration::from_secs(60), |_| {})
                .await?,
        );
        journal::ensure(conn).await?;
        done = applied_checksums(conn).await?;
    }
    let result = seed_locked(conn, files, done.unwrap_or_default(), progress, &mut report).await;
    if let Some(lock) = lock {
        lock.release().await;
    }
    result.map(|()| report)
}

async fn seed_locked(
    conn: &mut PgConnection,
    files: &[SeedFile],
    done: HashMap<String, String>,
    progress: &(dyn Fn(&SeedEvent<'_>) + Sync),
    report: &mut SeedReport,
) -> Result<(), SeedError> {
    for f in files {
        if done.get(&f.key) == Some(&f.checksum) {
            progress(&SeedEvent::Skipped { file: f });
            report.skipped.push(f.key.clone());
            continue;
        }
        let rows = run_one(conn, f).await?;
        progress(&SeedEvent::Applied { file: f, rows });
        report.applied.push(f.key.clone());
        for m in &f.generated {
            if !report.generated.iter().any(|g| g.name == m.name) {
                report.generated.push(m.clone());
            }
        }
    }
    Ok(())
}

async fn applied_checksums(
    conn: &mut PgConnection,
) -> Result<Option<HashMap<String, String>>, SeedError> {
    Ok(journal::read_seeds(conn).await?)
}

fn journal_upsert(f: &SeedFile) -> String {
    journal::seed_upsert_sql(&f.key, &f.checksum)
}

const WHAT_NEXT: &str =
    "This seed file was rolled back (earlier files stay applied); fix it and seed again.";

async fn run_one(conn: &mut PgConnection, f: &SeedFile) -> Result<Option<u64>, SeedError> {
    let display = f.path.display().to_string();
    match &f.content {
        Content::Sql(statements) => {
            let mut batch = Batch::new(None, true);
            for s in statements {
                batch.statement(s);
            }
            batch.raw(&journal_upsert(f));
            batch.raw("COMMIT");
            batch.run(conn).await.map_err(|failure| {
                let line = failure.line.or(failure.statement.map(|s| s.line));
                match statement_error(&display, line, failure.error, WHAT_NEXT.into()) {
                    MigrateError::Statement(s) => SeedError::Statement(s),
                    other => other.into(),
                }
            })?;
            Ok(None)
        }
        Content::Csv {
            table,
            columns,
            data,
        } => {
            let cols = columns.join(", ");
            let fail = |e: sqlx::Error| match statement_error(&display, None, e, WHAT_NEXT.into()) {
                MigrateError::Statement(s) => SeedError::Statement(s),
                other => other.into(),
            };
            let result: Result<u64, sqlx::Error> = async {
                sqlx::raw_sql(&format!(
                    "BEGIN; CREATE TEMP TABLE pgtenant_seed_rows ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA"
                ))
                .execute(&mut *conn)
                .await?;
                let mut copy = conn
                    .copy_in_raw(&format!("COPY pgtenant_seed_rows ({cols}) FROM STDIN WITH (FORMAT csv, HEADER true)"))
                    .await?;
                copy.send(data.as_slice()).await?;
                copy.finish().await?;
                let inserted = sqlx::raw_sql(&format!(
                    "INSERT INTO {table} ({cols}) SELECT {cols} FROM pgtenant_seed_rows ON CONFLICT DO NOTHING"
                ))
                .execute(&mut *conn)
                .await?
                .rows_affected();
                sqlx::raw_sql(&format!("{}; COMMIT", journal_upsert(f))).execute(&mut *conn).await?;
                Ok(inserted)
            }
            .await;
            match result {
                Ok(n) => Ok(Some(n)),
                Err(e) => {
                    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
                    Err(fail(e))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_table_names() {
        assert_eq!(
            csv_target("users", b"id,email\n").unwrap(),
            ("users".into(), vec!["id".into(), "email".into()])
        );
        assert_eq!(csv_target("010_users", b"id\n").unwrap().0, "users");
        assert_eq!(
            csv_target("2-auth.Users", b"id\n").unwrap().0,
            "auth.\"Users\""
        );
        assert_eq!(
            csv_target("users", b"\"Full Name\",\"a\"\"b\"\r\n")
                .unwrap()
                .1,
            vec!["\"Full Name\"".to_string(), "\"a\"\"b\"".to_string()]
        );
        assert!(csv_target("users", b"id,,x\n")
            .unwrap_err()
            .contains("empty column name"));
        assert!(csv_target("a.b.c", b"id\n")
            .unwrap_err()
            .contains("cannot tell the table"));
    }
}
