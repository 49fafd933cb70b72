//! Shadow databases: load SQL into a scratch database and introspect it.
//!
//! The desired schema is SQL, and PostgreSQL itself is its parser: the files
//! are loaded into a uniquely named, empty database (`pgtenant_shadow_…`,
//! created from `template0`), introspected, and the database is dropped.
//!
//! - A source is one `.sql` file or a folder. A folder is read recursively:
//!   every `*.sql` file under it (hidden files and folders skipped), in the
//!   order of their paths relative to the folder, compared component by
//!   component (so `01/b.sql` runs before `02.sql`).
//! - Each file runs on a fresh connection, so session settings a file makes
//!   (pg_dump's `set_config('search_path', '', false)`, `SET ...`) do not
//!   leak into the next file.
//! - Fast path: the whole file as one simple-protocol batch in one
//!   transaction with `synchronous_commit = off`. If that fails (or the file
//!   has its own `BEGIN`/`COMMIT`), the file is run again statement by
//!   statement in autocommit mode: that finds the failing statement (its
//!   file and line go into the error) and lets statements that refuse to
//!   run in a transaction block (`CREATE INDEX CONCURRENTLY`) load.
//! - The database is dropped (`WITH (FORCE)`) on every path: [`load_catalog`]
//!   drops it explicitly, and [`ShadowDb`]'s `Drop` drops it when the caller
//!   forgot, returned early or panicked.

use crate::ident::{quote_ident, validate_plain_ident};
use crate::introspect::{introspect, IntrospectError};
use crate::model::{Catalog, RenameHint};
use crate::renames::{parse_rename_hints, RenameHintError};
use crate::sqltext::{line_of, split_statements, Statement};
use serde::Serialize;
use sqlx::postgres::{PgConnectOptions, PgDatabaseError, PgErrorPosition};
use sqlx::{ConnectOptions, Connection, PgConnection};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long to wait for the server before giving up on a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Prefix of every shadow database name.
pub const SHADOW_PREFIX: &str = "pgtenant_shadow_";

/// Why SQL could not be loaded into a shadow database (or read back).
#[derive(Debug, thiserror::Error)]
pub enum ShadowError {
    #[error("{} does not exist; give a folder of .sql files, a .sql file or a postgres:// URL", .path.display())]
    MissingSource { path: PathBuf },
    #[error("{} contains no .sql files; put the schema in files ending in .sql", .path.display())]
    NoSqlFiles { path: PathBuf },
    #[error("cannot read {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    RenameHint(#[from] RenameHintError),
    #[error(
        "{url} is not a valid PostgreSQL URL; use postgres://user[:password]@host[:port]/database"
    )]
    InvalidUrl { url: String },
    #[error("cannot connect to PostgreSQL at {url}; check that the server is running and that --admin-url or DATABASE_URL points to it")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("no answer from PostgreSQL at {url} within {seconds} s; check that the server is running and that --admin-url or DATABASE_URL points to it")]
    ConnectTimeout { url: String, seconds: u64 },
    #[error(
        "cannot create the shadow database {name}; the admin role needs CREATEDB (or superuser)"
    )]
    CreateDatabase {
        name: String,
        #[source]
        source: sqlx::Error,
    },
    /// A statement of a file failed: PostgreSQL's message, with the file and
    /// line of the statement (or of the error position inside it).
    #[error(transparent)]
    Sql(Box<SqlError>),
    /// Something only psql understands (a meta-command, `COPY ... FROM
    /// stdin`).
    #[error("{}:{line}: {problem}", .file.display())]
    NotSql {
        file: PathBuf,
        line: usize,
        problem: String,
    },
    #[error("loading {} failed; check that the server is still reachable", .file.display())]
    Load {
        file: PathBuf,
        #[source]
        source: sqlx::Error,
    },
    #[error(transparent)]
    Introspect(#[from] IntrospectError),
    #[error(
        "cannot drop the shadow database {name}; drop it with DROP DATABASE {name} WITH (FORCE)"
    )]
    Drop {
        name: String,
        #[source]
        source: sqlx::Error,
    },
}

/// A statement PostgreSQL refused, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    pub file: PathBuf,
    /// 1-based line of the error position, or of the statement's start.
    pub line: usize,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// SQLSTATE, e.g. `42601` for a syntax error.
    pub code: String,
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)?;
        if let Some(detail) = &self.detail {
            write!(f, "\n  DETAIL: {detail}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  HINT: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SqlError {}

/// One SQL file of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlFile {
    /// The path as found (the source path joined with the relative path).
    pub path: PathBuf,
    pub text: String,
}

/// Read the SQL files of a source: one file, or every `*.sql` under a folder
/// (recursively, hidden entries skipped, sorted by relative path).
pub fn read_sql_files(source: &Path) -> Result<Vec<SqlFile>, ShadowError> {
    let meta = std::fs::metadata(source).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ShadowError::MissingSource {
            path: source.to_owned(),
        },
        _ => ShadowError::Read {
            path: source.to_owned(),
            source: e,
        },
    })?;
    let paths = if meta.is_dir() {
        let mut paths = Vec::new();
        collect_sql_files(source, &mut paths)?;
        paths.sort();
        if paths.is_empty() {
            return Err(ShadowError::NoSqlFiles {
                path: source.to_owned(),
            });
        }
        paths
    } else {
        vec![source.to_owned()]
    };
    paths
        .into_iter()
        .map(|path| match std::fs::read_to_string(&path) {
            Ok(text) => Ok(SqlFile { path, text }),
            Err(source) => Err(ShadowError::Read { path, source }),
        })
        .collect()
}

fn collect_sql_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ShadowError> {
    let read_err = |source| ShadowError::Read {
        path: dir.to_owned(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let meta = std::fs::metadata(&path).map_err(|source| ShadowError::Read {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            collect_sql_files(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("sql"))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// The rename hints of a set of files, in file order.
pub fn rename_hints(files: &[SqlFile]) -> Result<Vec<RenameHint>, ShadowError> {
    let mut hints = Vec::new();
    for f in files {
        hints.extend(parse_rename_hints(&f.path.display().to_string(), &f.text)?);
    }
    Ok(hints)
}

/// `url` with its password (in the user-info part or a `password=` query
/// parameter) replaced by `***`, for messages and logs. The one masking
/// rule of the workspace (the CLI prints URLs only through it). Works on
/// text that is not a valid URL too, so errors about bad URLs can use it.
pub fn mask_url(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some(scheme_end) = out.find("://") {
        let rest_start = scheme_end + 3;
        let authority_end = out[rest_start..]
            .find(['/', '?', '#'])
            .map_or(out.len(), |i| rest_start + i);
        if let Some(at) = out[rest_start..authority_end].rfind('@') {
            let userinfo = &out[rest_start..rest_start + at];
            if let Some(colon) = userinfo.find(':') {
                let pw_start = rest_start + colon + 1;
                let pw_end = rest_start + at;
                out.replace_range(pw_start..pw_end, "***");
            }
        }
    }
    mask_query_password(&out)
}

fn mask_query_password(url: &str) -> String {
    let Some(q) = url.find('?') else {
        return url.to_owned();
    };
    let (base, query) = url.split_at(q + 1);
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
            _ => kv.to_owned(),
        })
        .collect();
    format!("{base}{}", parts.join("&"))
}

fn connect_options(url: &str) -> Result<PgConnectOptions, ShadowError> {
    PgConnectOptions::from_str(url)
        .map(|o| o.disable_statement_logging())
        .map_err(|_| ShadowError::InvalidUrl { url: mask_url(url) })
}

async fn connect(
    opts: &PgConnectOptions,
    url_for_errors: &str,
) -> Result<PgConnection, ShadowError> {
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(opts)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(source)) => Err(ShadowError::Connect {
            url: mask_url(url_for_errors),
            source,
        }),
        Err(_) => Err(ShadowError::ConnectTimeout {
            url: mask_url(url_for_errors),
            seconds: CONNECT_TIMEOUT.as_secs(),
        }),
    }
}

/// A schema read from a source: the catalog PostgreSQL made of it and the
/// rename hints its SQL text carries (none for a live database). The hints
/// are not schema; they are the third input of [`crate::diff()`] when this
/// is the desired side. In JSON the catalog's fields come first, then
/// `renames`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoadedSchema {
    #[serde(flatten)]
    pub catalog: Catalog,
    pub renames: Vec<RenameHint>,
}

/// A uniquely named scratch database, dropped with `WITH (FORCE)` by
/// [`ShadowDb::drop`] or, failing that, when the value is dropped.
#[derive(Debug)]
pub struct ShadowDb {
    name: String,
    admin_url: String,
    admin: PgConnectOptions,
    options: PgConnectOptions,
    dropped: AtomicBool,
}

impl ShadowDb {
    /// Create an empty shadow database on the server of `admin_url` (a
    /// role allowed to create databases).
    pub async fn create(admin_url: &str) -> Result<ShadowDb, ShadowError> {
        let admin = connect_options(admin_url)?;
        let id = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("{SHADOW_PREFIX}{}", &id[..16]);
        debug_assert!(validate_plain_ident(&name).is_ok());
        let mut conn = connect(&admin, admin_url).await?;
        let created = sqlx::raw_sql(&format!(
            "CREATE DATABASE {} TEMPLATE template0",
            quote_ident(&name)
        ))
        .execute(&mut conn)
        .await;
        let _ = conn.close().await;
        if let Err(source) = created {
            return Err(ShadowError::CreateDatabase { name, source });
        }
        let options = admin.clone().database(&name);
        Ok(ShadowDb {
            name,
            admin_url: admin_url.to_owned(),
            admin,
            options,
            dropped: AtomicBool::new(false),
        })
    }

    /// The database name, `pgtenant_shadow_` and 16 hex digits.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connection options for the shadow database (as the admin role).
    pub fn connect_options(&self) -> &PgConnectOptions {
        &self.options
    }

    /// A URL of the shadow database. It carries the admin password if the
    /// admin URL has one: show it only through [`mask_url`].
    pub fn url(&self) -> String {
        self.options.to_url_lossy().to_string()
    }

    /// A new connection to the shadow database.
    pub async fn connect(&self) -> Result<PgConnection, ShadowError> {
        connect(&self.options, &self.url()).await
    }

    /// Load a source (one file or a folder of `*.sql`) into the database;
    /// returns its rename hints.
    pub async fn load(&self, source: &Path) -> Result<Vec<RenameHint>, ShadowError> {
        let files = read_sql_files(source)?;
        self.load_files(&files).await
    }

    /// Load already read files, in the given order; returns their rename
    /// hints (read, and checked, before anything loads).
    pub async fn load_files(&self, files: &[SqlFile]) -> Result<Vec<RenameHint>, ShadowError> {
        let hints = rename_hints(files)?;
        for file in files {
            self.load_file(file).await?;
        }
        Ok(hints)
    }

    /// Run a SQL text (e.g. a plan) on the shadow database, reporting errors
    /// against `file` like a loaded file.
    pub async fn execute(&self, file: &Path, text: &str) -> Result<(), ShadowError> {
        self.load_file(&SqlFile {
            path: file.to_owned(),
            text: text.to_owned(),
        })
        .await
    }

    async fn load_file(&self, file: &SqlFile) -> Result<(), ShadowError> {
        let text = without_dump_restrict_lines(&file.text);
        let file = &SqlFile {
            path: file.path.clone(),
            text,
        };
        let statements = split_statements(&file.text);
        if statements.is_empty() {
            return Ok(());
        }
        check_plain_sql(file, &statements)?;
        if !statements.iter().any(is_transaction_control) {
            let mut conn = self.connect().await?;
            match run_in_one_transaction(&mut conn, &file.text).await {
                Ok(()) => {
                    let _ = conn.close().await;
                    return Ok(());
                }
                // PostgreSQL refused something: run again statement by
                // statement to find it (or to load what cannot run in a
                // transaction block).
                Err(sqlx::Error::Database(_)) => {
                    let _ = conn.close().await;
                }
                Err(source) => {
                    return Err(ShadowError::Load {
                        file: file.path.clone(),
                        source,
                    })
                }
            }
        }
        let mut conn = self.connect().await?;
        let result = run_one_by_one(&mut conn, file, &statements).await;
        let _ = conn.close().await;
        result
    }

    /// Introspect the shadow database.
    pub async fn introspect(&self) -> Result<Catalog, ShadowError> {
        let mut conn = self.connect().await?;
        let result = introspect(&mut conn).await;
        let _ = conn.close().await;
        Ok(result?)
    }

    /// Load `files`, introspect, and drop the database whatever happened.
    pub async fn into_catalog(self, files: &[SqlFile]) -> Result<LoadedSchema, ShadowError> {
        let result = async {
            let renames = self.load_files(files).await?;
            let catalog = self.introspect().await?;
            Ok::<_, ShadowError>(LoadedSchema { catalog, renames })
        }
        .await;
        let dropped = self.drop().await;
        let loaded = result?;
        dropped?;
        Ok(loaded)
    }

    /// Drop the database now (`WITH (FORCE)`: open connections are ended).
    pub async fn drop(self) -> Result<(), ShadowError> {
        let result = drop_database(&self.admin, &self.admin_url, &self.name).await;
        if result.is_ok() {
            self.dropped.store(true, Ordering::SeqCst);
        }
        result
    }
}

impl Drop for ShadowDb {
    fn drop(&mut self) {
        if self.dropped.load(Ordering::SeqCst) {
            return;
        }
        let admin = self.admin.clone();
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside or outside a runtime, so the asynchronous DROP
        // DATABASE runs on a thread of its own with its own runtime.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                let _ = rt.block_on(drop_database(&admin, &admin_url, &name));
            }
        })
        .join();
    }
}

async fn drop_database(
    admin: &PgConnectOptions,
    admin_url: &str,
    name: &str,
) -> Result<(), ShadowError> {
    let mut conn = connect(admin, admin_url).await?;
    let result = sqlx::raw_sql(&format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(name)
    ))
    .execute(&mut conn)
    .await;
    let _ = conn.close().await;
    result.map(|_| ()).map_err(|source| ShadowError::Drop {
        name: name.to_owned(),
        source,
    })
}

async fn run_in_one_transaction(conn: &mut PgConnection, text: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql("BEGIN; SET LOCAL synchronous_commit = off")
        .execute(&mut *conn)
        .await?;
    sqlx::raw_sql(text).execute(&mut *conn).await?;
    sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;
    Ok(())
}

async fn run_one_by_one(
    conn: &mut PgConnection,
    file: &SqlFile,
    statements: &[Statement],
) -> Result<(), ShadowError> {
    sqlx::raw_sql("SET synchronous_commit = off")
        .execute(&mut *conn)
        .await
        .map_err(|source| ShadowError::Load {
            file: file.path.clone(),
            source,
        })?;
    for stmt in statements {
        if let Err(e) = sqlx::raw_sql(&stmt.sql).execute(&mut *conn).await {
            return Err(statement_error(file, stmt, e));
        }
    }
    Ok(())
}

fn statement_error(file: &SqlFile, stmt: &Statement, e: sqlx::Error) -> ShadowError {
    let sqlx::Error::Database(db) = &e else {
        return ShadowError::Load {
            file: file.path.clone(),
            source: e,
        };
    };
    let Some(pg) = db.try_downcast_ref::<PgDatabaseError>() else {
        return ShadowError::Load {
            file: file.path.clone(),
            source: e,
        };
    };
    let line = match pg.position() {
        // 1-based position in characters into the statement.
        Some(PgErrorPosition::Original(pos)) => {
            let byte = stmt
                .sql
                .char_indices()
                .nth(pos.saturating_sub(1))
                .map_or(0, |(i, _)| i);
            line_of(&file.text, stmt.offset + byte)
        }
        _ => stmt.line,
    };
    ShadowError::Sql(Box::new(SqlError {
        file: file.path.clone(),
        line,
        message: pg.message().to_owned(),
        detail: pg.detail().map(str::to_owned),
        hint: pg.hint().map(str::to_owned),
        code: pg.code().to_owned(),
    }))
}

/// pg_dump 17.6 and later wrap their output in `\restrict KEY` /
/// `\unrestrict KEY` psql meta-commands: blank those lines (keeping line
/// numbers) so a dump loads as it is.
fn without_dump_restrict_lines(text: &str) -> String {
    if !text.contains("\\restrict") && !text.contains("\\unrestrict") {
        return text.to_owned();
    }
    text.split_inclusive('\n')
        .map(|line| {
            let t = line.trim_start();
            if t.starts_with("\\restrict ") || t.starts_with("\\unrestrict ") {
                if line.ends_with('\n') {
                    "\n"
                } else {
                    ""
                }
            } else {
                line
            }
        })
        .collect()
}

/// Refuse what only psql understands, naming the line, instead of letting
/// the server report a confusing syntax error.
fn check_plain_sql(file: &SqlFile, statements: &[Statement]) -> Result<(), ShadowError> {
    for stmt in statements {
        let not_sql = |problem: String| ShadowError::NotSql {
            file: file.path.clone(),
            line: stmt.line,
            problem,
        };
        if stmt.sql.starts_with('\\') {
            let command = stmt.sql.split_whitespace().next().unwrap_or("\\");
            return Err(not_sql(format!(
                "`{command}` is a psql meta-command, not SQL; remove it (pgtenant runs plain SQL)"
            )));
        }
        let lower = stmt.sql.to_ascii_lowercase();
        if lower.starts_with("copy") && lower.contains("stdin") {
            return Err(not_sql(
                "COPY ... FROM stdin needs psql; write the rows as INSERT statements (or in a seed)".to_owned(),
            ));
        }
    }
    Ok(())
}

/// A statement that opens or ends a transaction block itself.
fn is_transaction_control(stmt: &Statement) -> bool {
    let first = stmt
        .sql
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("");
    ["begin", "start", "commit", "end", "rollback", "abort"]
        .iter()
        .any(|w| first.eq_ignore_ascii_case(w))
}

/// Load a source into a fresh shadow database, introspect it and drop the
/// database, on success and on failure alike. The files are read (and their
/// rename hints checked) before anything is created.
pub async fn load_catalog(admin_url: &str, source: &Path) -> Result<LoadedSchema, ShadowError> {
    let files = read_sql_files(source)?;
    rename_hints(&files)?;
    ShadowDb::create(admin_url)
        .await?
        .into_catalog(&files)
        .await
}

/// Where a catalog comes from: a live database or SQL files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A `postgres://` (or `postgresql://`) URL: introspected as it is.
    Url(String),
    /// A `.sql` file or a folder of them: loaded into a shadow database.
    Path(PathBuf),
}

impl Source {
    /// `postgres://…` and `postgresql://…` are URLs; anything else a path.
    pub fn parse(s: &str) -> Source {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Source::Url(s.to_owned())
        } else {
            Source::Path(PathBuf::from(s))
        }
    }

    /// The catalog of this source. SQL files go through a shadow database on
    /// the server of `admin_url`; a URL is introspected directly (and has no
    /// rename hints).
    pub async fn catalog(&self, admin_url: &str) -> Result<LoadedSchema, ShadowError> {
        match self {
            Source::Url(url) => {
                let mut conn = connect(&connect_options(url)?, url).await?;
                let result = introspect(&mut conn).await;
                let _ = conn.close().await;
                Ok(LoadedSchema {
                    catalog: result?,
                    renames: Vec::new(),
                })
            }
            Source::Path(path) => load_catalog(admin_url, path).await,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Url(url) => f.write_str(&mask_url(url)),
            Source::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_url_hides_passwords_only() {
        assert_eq!(
            mask_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(mask_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            mask_url("postgres://h/db?password=x&sslmode=off"),
            "postgres://h/db?password=***&sslmode=off"
        );
        assert_eq!(mask_url("postgres://u:p@ss@h"), "postgres://u:***@h");
        assert_eq!(mask_url("not a url"), "not a url");
        assert_eq!(mask_url("postgres://h/db"), "postgres://h/db");
        assert_eq!(mask_url("postgres://u:p@ss@h/db"), "postgres://u:***@h/db");
        assert_eq!(
            mask_url("postgres://u@h/db?sslmode=disable&password=x"),
            "postgres://u@h/db?sslmode=disable&password=***"
        );
        assert_eq!(mask_url("not a url u:pw@x"), "not a url u:pw@x");
        assert_eq!(
            mask_url("postgres://u:pw@/db?host=/run/pg"),
            "postgres://u:***@/db?host=/run/pg"
        );
        assert_eq!(
            mask_url("postgres://u:pw@h#frag"),
            "postgres://u:***@h#frag"
        );
    }

    #[test]
    fn transaction_control_statements() {
        let s = |sql: &str| Statement {
            sql: sql.into(),
            line: 1,
            offset: 0,
        };
        assert!(is_transaction_control(&s("BEGIN")));
        assert!(is_transaction_control(&s("commit")));
        assert!(is_transaction_control(&s(
            "START TRANSACTION ISOLATION LEVEL SERIALIZABLE"
        )));
        assert!(!is_transaction_control(&s("CREATE TABLE begin_x (id int)")));
        assert!(!is_transaction_control(&s("beginning")));
    }

    #[test]
    fn sources_are_urls_or_paths() {
        assert_eq!(
            Source::parse("postgres://a@b/c"),
            Source::Url("postgres://a@b/c".into())
        );
        assert_eq!(
            Source::parse("schema/app"),
            Source::Path("schema/app".into())
        );
        assert_eq!(
            Source::parse("postgresql://u:pw@h/d").to_string(),
            "postgresql://u:***@h/d"
        );
    }
}
