//! The migrations runner: `migrate`, `status` and `rollback` over a folder
//! of `<version>_<slug>.sql` files and the journal `pgtenant.migrations`.
//!
//! - [`file`]: names, directives, sections, checksums; [`load_dir`].
//! - [`history`]: the pure history check (journal × files → plan or problems).
//! - [`journal`]: the journal tables and the migrate lock (why it is a
//!   session lock on a dedicated connection is explained there).
//! - `exec`: one round trip per transactional migration; no-transaction
//!   files statement by statement.
//!
//! Each transactional migration is sent as one simple-query batch
//! `BEGIN; <statements>; INSERT INTO pgtenant.migrations ...; COMMIT;`: the
//! migration and its journal row commit together or not at all, and a run
//! of many small migrations costs one round trip each.

pub mod file;
pub mod history;
pub mod journal;

pub(crate) mod exec;

pub use file::{load_dir, MigrationFile};
pub use history::{AppliedMigration, Entry, OutOfOrder, Problem, Problems, State};

use exec::{Batch, IndexState};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgConnection};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Everything that can stop a migrate, status or rollback.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("cannot read the migrations folder {path}")]
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
    #[error(
        "{file}: not a migration file name: {reason}; name it <yyyymmddHHMMSS>_<name>.sql with the UTC time, e.g. 20240131120000_add_users.sql"
    )]
    BadName { file: String, reason: String },
    #[error(
        "{file} and {other} have the same version {version}; give one of them a newer version"
    )]
    DuplicateVersion {
        version: i64,
        file: String,
        other: String,
    },
    #[error("{file}:{line}: {reason}")]
    Directive {
        file: String,
        line: usize,
        reason: String,
    },
    #[error(
        "{file}:{line}: {statement} inside a migration; remove it (pgtenant runs each migration in its own transaction with its journal row), or mark the file `-- pgtenant:no-transaction`"
    )]
    TransactionControl {
        file: String,
        line: usize,
        statement: String,
    },
    #[error(transparent)]
    History(#[from] Problems),
    #[error(
        "cannot connect to the database; check that the server runs and the database exists (`pgtenant bootstrap` creates it)"
    )]
    Connect(#[source] sqlx::Error),
    #[error("{0}")]
    Statement(Box<StatementError>),
    #[error(
        "{file}:{line}: still blocked after {attempts} tries with lock_timeout {timeout_ms}ms: another session holds a lock this statement needs; retry when the database is quieter, or raise --lock-timeout"
    )]
    LockTimeout {
        file: String,
        line: usize,
        attempts: u32,
        timeout_ms: u128,
    },
    #[error(
        "another migrate holds the lock ({pid}) and did not finish within {:.1}s; retry when it has finished",
        .waited.as_secs_f64()
    )]
    LockBusy { pid: String, waited: Duration },
    #[error("{file} has no down section; add `-- pgtenant:down` and the statements that undo it, then roll back")]
    NoDown { file: String },
    #[error("migration {version} ({name}) is applied but its file is missing; restore the file to roll it back")]
    RollbackMissingFile { version: i64, name: String },
    #[error("{file} is partially applied (a no-transaction file); finish it with `pgtenant migrate` before rolling back")]
    RollbackPartial { file: String },
    #[error("--to {version}: no applied migration has that version; see `pgtenant status` for the applied versions")]
    RollbackTargetUnknown { version: i64 },
    #[error("the journal query failed")]
    Journal(#[source] sqlx::Error),
}

/// A statement PostgreSQL refused: `file:line: message`, then detail and hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// SQLSTATE.
    pub code: Option<String>,
    /// What state things are in and what to do.
    pub what_next: String,
}

impl fmt::Display for StatementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file, self.message)?,
            None => write!(f, "{}: {}", self.file, self.message)?,
        }
        if let Some(d) = &self.detail {
            write!(f, "\n  detail: {d}")?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        write!(f, "\n{}", self.what_next)
    }
}

/// What happens, as it happens (the CLI draws a progress bar from these).
#[derive(Debug)]
pub enum Event<'a> {
    /// Another run holds the lock; this one waits.
    LockBusy { pid: Option<i32> },
    /// The plan: how many migrations will run.
    Planned { total: usize },
    Start {
        file: &'a MigrationFile,
        index: usize,
        total: usize,
    },
    Done {
        file: &'a MigrationFile,
        elapsed: Duration,
    },
    /// A no-transaction file finished statement `step` (1-based) of `total`.
    StepDone {
        file: &'a MigrationFile,
        step: usize,
        total: usize,
    },
    /// A lock timeout (55P03); retrying after `wait`.
    Retry {
        file: &'a MigrationFile,
        attempt: u32,
        wait: Duration,
    },
    /// An INVALID index left by an interrupted concurrent build was dropped
    /// before building it again.
    DroppedInvalidIndex {
        file: &'a MigrationFile,
        index: String,
    },
    /// A concurrent index build had finished before its step was journaled.
    IndexAlreadyBuilt {
        file: &'a MigrationFile,
        index: String,
    },
    /// A changed checksum accepted with `--reapprove`.
    Reapproved { version: i64 },
    /// Applied, but its file is gone.
    MissingFile { version: i64, name: String },
    /// Rollback: the down section of this file is about to run.
    RollingBack {
        file: &'a MigrationFile,
        index: usize,
        total: usize,
    },
    RolledBack {
        file: &'a MigrationFile,
        elapsed: Duration,
    },
}

/// Receives [`Event`]s.
pub trait Progress: Sync {
    fn event(&self, event: &Event<'_>);
}

/// Ignores every event.
pub struct Quiet;

impl Progress for Quiet {
    fn event(&self, _: &Event<'_>) {}
}

/// How `migrate` runs.
#[derive(Debug, Clone)]
pub struct MigrateOptions {
    pub out_of_order: OutOfOrder,
    /// Versions whose edited file is accepted (new checksum recorded).
    pub reapprove: Vec<i64>,
    /// PostgreSQL's `lock_timeout` for the migrations' statements.
    pub lock_timeout: Option<Duration>,
    /// How many times a statement stopped by `lock_timeout` is retried.
    pub lock_retries: u32,
    /// How long to wait for another run's migrate lock.
    pub lock_wait: Duration,
}

impl Default for MigrateOptions {
    fn default() -> Self {
        MigrateOptions {
            out_of_order: OutOfOrder::Refuse,
            reapprove: Vec::new(),
            lock_timeout: None,
            lock_retries: 5,
            lock_wait: Duration::from_secs(60),
        }
    }
}

/// What a migrate run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrateReport {
    /// Versions applied (or finished), in order.
    pub applied: Vec<i64>,
    pub reapproved: Vec<i64>,
    /// Applied versions whose file is missing.
    pub missing: Vec<i64>,
    /// Migrations on disk.
    pub total_files: usize,
}

/// The journal and the files, lined up (for `status`).
#[derive(Debug, Clone)]
pub struct StatusReport {
    pub files: Vec<MigrationFile>,
    pub entries: Vec<Entry>,
    /// False when the database has no journal yet.
    pub journal_exists: bool,
}

/// Open the dedicated connection a run works on (see [`journal`] for why it
/// is never a pooled one).
pub async fn connect(options: &PgConnectOptions) -> Result<PgConnection, MigrateError> {
    options
        .clone()
        .application_name("pgtenant migrate")
        .options([("client_connection_check_interval", "1000")])
        .disable_statement_logging()
        .connect()
        .await
        .map_err(MigrateError::Connect)
}

/// Load the folder (hashing on all cores) while connecting.
async fn load_and_connect(
    options: &PgConnectOptions,
    dir: &Path,
) -> Result<(Vec<MigrationFile>, PgConnection), MigrateError> {
    let dir: PathBuf = dir.to_owned();
    let load = tokio::task::spawn_blocking(move || load_dir(&dir));
    let (files, conn) = tokio::join!(load, connect(options));
    let files = files.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
    Ok((files, conn?))
}

/// Apply the pending migrations of `dir`.
pub async fn migrate(
    options: &PgConnectOptions,
    dir: &Path,
    opts: &MigrateOptions,
    progress: &dyn Progress,
) -> Result<MigrateReport, MigrateError> {
    let (files, mut conn) = load_and_connect(options, dir).await?;
    let result = migrate_files(&mut conn, &files, opts, progress).await;
    journal::close(conn).await;
    result
}

/// Apply pending `files` on `conn` (a dedicated connection: the lock is a
/// session lock on it).
pub async fn migrate_files(
    conn: &mut PgConnection,
    files: &[MigrationFile],
    opts: &MigrateOptions,
    progress: &dyn Progress,
) -> Result<MigrateReport, MigrateError> {
    let mut report = MigrateReport {
        total_files: files.len(),
        ..Default::default()
    };
    // The fast path: one query, no lock, when nothing is to be done.
    let applied = journal::read(conn).await?;
    let entries = history::reconcile(applied.as_deref().unwrap_or_default(), files);
    let plan = history::plan(&entries, files, opts.out_of_order, &opts.reapprove)?;
    if plan.run.is_empty() && plan.reapprove.is_empty() {
        report_missing(&entries, progress, &mut report);
        return Ok(report);
    }

    journal::lock(conn, opts.lock_wait, |pid| {
        progress.event(&Event::LockBusy { pid })
    })
    .await?;
    let result = migrate_locked(conn, files, opts, progress, &mut report).await;
    match result {
        Ok(()) => journal::unlock(conn).await?,
        // Best effort: the connection may be broken; closing it (which
        // `migrate` always does) releases the lock in any case.
        Err(_) => {
            let _ = journal::unlock(conn).await;
        }
    }
    result.map(|()| report)
}

fn report_missing(entries: &[Entry], progress: &dyn Progress, report: &mut MigrateReport) {
    for e in entries.iter().filter(|e| e.state == State::MissingFile) {
        progress.event(&Event::MissingFile {
            version: e.version,
            name: e.name.clone(),
        });
        report.missing.push(e.version);
    }
}

async fn migrate_locked(
    conn: &mut PgConnection,
    files: &[MigrationFile],
    opts: &MigrateOptions,
    progress: &dyn Progress,
    report: &mut MigrateReport,
) -> Result<(), MigrateError> {
    // Read again under the lock: another run may have applied some.
    let applied = match journal::read(conn).await? {
        Some(a) => a,
        None => {
            journal::ensure(conn).await?;
            Vec::new()
        }
    };
    let entries = history::reconcile(&applied, files);
    let plan = history::plan(&entries, files, opts.out_of_order, &opts.reapprove)?;
    report_missing(&entries, progress, report);
    for (version, checksum) in &plan.reapprove {
        sqlx::query("UPDATE pgtenant.migrations SET checksum = $2 WHERE version = $1")
            .bind(version)
            .bind(checksum)
            .execute(&mut *conn)
            .await
            .map_err(MigrateError::Journal)?;
        progress.event(&Event::Reapproved { version: *version });
        report.reapproved.push(*version);
    }
    progress.event(&Event::Planned {
        total: plan.run.len(),
    });
    let total = plan.run.len();
    for (index, step) in plan.run.iter().enumerate() {
        let f = &files[step.file];
        progress.event(&Event::Start {
            file: f,
            index,
            total,
        });
        let started = Instant::now();
        let earlier = report.applied.len();
        if f.no_transaction {
            let journaled = applied.iter().any(|a| a.version == f.version);
            apply_steps(conn, f, step.resume_at, journaled, opts, progress).await?;
        } else {
            apply_transaction(conn, f, opts, progress, earlier).await?;
        }
        progress.event(&Event::Done {
            file: f,
            elapsed: started.elapsed(),
        });
        report.applied.push(f.version);
    }
    Ok(())
}

/// After a lock timeout: with retries left, report the retry and wait
/// (the caller then tries again); otherwise the error naming the attempts.
async fn retry_after_lock_timeout(
    attempt: &mut u32,
    f: &MigrationFile,
    line: usize,
    opts: &MigrateOptions,
    progress: &dyn Progress,
) -> Result<(), MigrateError> {
    if *attempt >= opts.lock_retries {
        return Err(MigrateError::LockTimeout {
            file: f.display(),
            line,
            attempts: *attempt + 1,
            timeout_ms: opts.lock_timeout.map_or(0, |t| t.as_millis()),
        });
    }
    *attempt += 1;
    let wait = backoff(*attempt - 1);
    progress.event(&Event::Retry {
        file: f,
        attempt: *attempt,
        wait,
    });
    tokio::time::sleep(wait).await;
    Ok(())
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200u64.saturating_mul(1u64 << attempt.min(5)))
}

fn earlier_text(earlier: usize) -> String {
    match earlier {
        0 => "This migration was rolled back; fix it and run migrate again.".to_owned(),
        1 => "This migration was rolled back; the 1 migration before it in this run stays applied. Fix it and run migrate again.".to_owned(),
        n => format!("This migration was rolled back; the {n} migrations before it in this run stay applied. Fix it and run migrate again."),
    }
}

async fn apply_transaction(
    conn: &mut PgConnection,
    f: &MigrationFile,
    opts: &MigrateOptions,
    progress: &dyn Progress,
    earlier: usize,
) -> Result<(), MigrateError> {
    let mut batch = Batch::new(opts.lock_timeout, true);
    for s in &f.up {
        batch.statement(s);
    }
    batch.raw(&exec::journal_insert(f));
    batch.raw("COMMIT");
    let mut attempt = 0u32;
    loop {
        match batch.run(conn).await {
            Ok(()) => return Ok(()),
            Err(failure) if failure.is_lock_timeout() => {
                let line = failure.line.unwrap_or(1);
                retry_after_lock_timeout(&mut attempt, f, line, opts, progress).await?;
            }
            Err(failure) => return Err(failure.into_error(f, earlier_text(earlier))),
        }
    }
}

/// A no-transaction file: each statement on its own, its step journaled
/// after it, so a crash resumes at the next statement.
async fn apply_steps(
    conn: &mut PgConnection,
    f: &MigrationFile,
    resume_at: usize,
    journaled: bool,
    opts: &MigrateOptions,
    progress: &dyn Progress,
) -> Result<(), MigrateError> {
    let total = f.up.len();
    let started = Instant::now();
    let total_i32 = i32::try_from(total).unwrap_or(i32::MAX);
    sqlx::query(
        "INSERT INTO pgtenant.migrations (version, name, checksum, steps_done, steps_total, complete) \
         VALUES ($1, $2, $3, 0, $4, false) ON CONFLICT (version) DO UPDATE SET steps_total = EXCLUDED.steps_total",
    )
    .bind(f.version)
    .bind(&f.name)
    .bind(&f.checksum)
    .bind(total_i32)
    .execute(&mut *conn)
    .await
    .map_err(MigrateError::Journal)?;
    // Session-level: a SET in the same batch would make the statement part of
    // an implicit transaction block, which CREATE INDEX CONCURRENTLY refuses.
    set_lock_timeout(conn, opts.lock_timeout).await?;
    for (k, s) in f.up.iter().enumerate().skip(resume_at) {
        let mut attempt = 0u32;
        // Only a build that may have run before can have left an index behind.
        let mut maybe_ran_before = journaled && k == resume_at;
        loop {
            if maybe_ran_before {
                if let Some((index, table)) = exec::concurrent_index(&s.sql) {
                    let state = exec::prepare_concurrent_index(conn, &index, &table)
                        .await
                        .map_err(|e| {
                            exec::statement_error(&f.display(), Some(s.line), e, resume_text(f, k))
                        })?;
                    match state {
                        IndexState::Absent => {}
                        IndexState::DroppedInvalid(q) => {
                            progress.event(&Event::DroppedInvalidIndex { file: f, index: q })
                        }
                        IndexState::Valid => {
                            progress.event(&Event::IndexAlreadyBuilt { file: f, index });
                            break;
                        }
                    }
                }
            }
            let mut batch = Batch::new(None, false);
            batch.statement(s);
            match batch.run(conn).await {
                Ok(()) => break,
                Err(failure) if failure.is_lock_timeout() => {
                    let line = failure.line.unwrap_or(s.line);
                    retry_after_lock_timeout(&mut attempt, f, line, opts, progress).await?;
                    maybe_ran_before = true;
                }
                Err(failure) => {
                    let line = failure.line.unwrap_or(s.line);
                    return Err(exec::statement_error(
                        &f.display(),
                        Some(line),
                        failure.error,
                        resume_text(f, k),
                    ));
                }
            }
        }
        let done = i32::try_from(k + 1).unwrap_or(i32::MAX);
        sqlx::query("UPDATE pgtenant.migrations SET steps_done = $2 WHERE version = $1")
            .bind(f.version)
            .bind(done)
            .execute(&mut *conn)
            .await
            .map_err(MigrateError::Journal)?;
        progress.event(&Event::StepDone {
            file: f,
            step: k + 1,
            total,
        });
    }
    if opts.lock_timeout.is_some() {
        sqlx::raw_sql("RESET lock_timeout")
            .execute(&mut *conn)
            .await
            .map_err(MigrateError::Journal)?;
    }
    let ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    sqlx::query(
        "UPDATE pgtenant.migrations SET complete = true, applied_at = now(), duration_ms = $2 WHERE version = $1",
    )
    .bind(f.version)
    .bind(ms)
    .execute(&mut *conn)
    .await
    .map_err(MigrateError::Journal)?;
    Ok(())
}

async fn set_lock_timeout(
    conn: &mut PgConnection,
    t: Option<Duration>,
) -> Result<(), MigrateError> {
    if let Some(t) = t {
        sqlx::raw_sql(&format!("SET lock_timeout = '{}ms'", t.as_millis()))
            .execute(&mut *conn)
            .await
            .map_err(MigrateError::Journal)?;
    }
    Ok(())
}

fn resume_text(f: &MigrationFile, k: usize) -> String {
    format!(
        "This file runs outside a transaction: its first {k} statement(s) stay applied and are journaled. Fix this statement, then `pgtenant migrate --reapprove {}` resumes here.",
        f.version
    )
}

/// The journal and the files of `dir`, lined up. Takes no lock.
pub async fn status(options: &PgConnectOptions, dir: &Path) -> Result<StatusReport, MigrateError> {
    let (files, mut conn) = load_and_connect(options, dir).await?;
    let applied = journal::read(&mut conn).await;
    journal::close(conn).await;
    let applied = applied?;
    let entries = history::reconcile(applied.as_deref().unwrap_or_default(), &files);
    Ok(StatusReport {
        files,
        entries,
        journal_exists: applied.is_some(),
    })
}

/// How far `rollback` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollbackTarget {
    /// The newest N applied migrations.
    Steps(usize),
    /// Every migration newer than this applied version (which stays).
    To(i64),
}

/// Options of `rollback`.
#[derive(Debug, Clone)]
pub struct RollbackOptions {
    pub lock_timeout: Option<Duration>,
    pub lock_wait: Duration,
}

impl Default for RollbackOptions {
    fn default() -> Self {
        RollbackOptions {
            lock_timeout: None,
            lock_wait: Duration::from_secs(60),
        }
    }
}

/// Run down sections, newest first, each in a transaction with the removal
/// of its journal row. Every migration to undo is checked (file present,
/// unchanged, has a down section) before any runs. Returns the versions
/// rolled back.
pub async fn rollback(
    options: &PgConnectOptions,
    dir: &Path,
    target: RollbackTarget,
    opts: &RollbackOptions,
    progress: &dyn Progress,
) -> Result<Vec<i64>, MigrateError> {
    let (files, mut conn) = load_and_connect(options, dir).await?;
    let result = rollback_files(&mut conn, &files, target, opts, progress).await;
    journal::close(conn).await;
    result
}

pub async fn rollback_files(
    conn: &mut PgConnection,
    files: &[MigrationFile],
    target: RollbackTarget,
    opts: &RollbackOptions,
    progress: &dyn Progress,
) -> Result<Vec<i64>, MigrateError> {
    journal::lock(conn, opts.lock_wait, |pid| {
        progress.event(&Event::LockBusy { pid })
    })
    .await?;
    let result = rollback_locked(conn, files, target, opts, progress).await;
    // On error, best effort: closing the connection releases the lock anyway.
    let unlocked = journal::unlock(conn).await;
    let done = result?;
    unlocked?;
    Ok(done)
}

async fn rollback_locked(
    conn: &mut PgConnection,
    files: &[MigrationFile],
    target: RollbackTarget,
    opts: &RollbackOptions,
    progress: &dyn Progress,
) -> Result<Vec<i64>, MigrateError> {
    let applied = journal::read(conn).await?.unwrap_or_default();
    let entries = history::reconcile(&applied, files);
    let mut undo: Vec<&Entry> = entries.iter().filter(|e| e.applied.is_some()).collect();
    undo.reverse();
    let undo: Vec<&Entry> = match target {
        RollbackTarget::Steps(n) => undo.into_iter().take(n).collect(),
        RollbackTarget::To(v) => {
            if !applied.iter().any(|a| a.version == v) {
                return Err(MigrateError::RollbackTargetUnknown { version: v });
            }
            undo.into_iter().take_while(|e| e.version > v).collect()
        }
    };
    let mut problems = Vec::new();
    for e in &undo {
        let Some(fi) = e.file else {
            return Err(MigrateError::RollbackMissingFile {
                version: e.version,
                name: e.name.clone(),
            });
        };
        let f = &files[fi];
        match &e.state {
            State::ChecksumChanged { .. } => problems.push(Problem::ChecksumChanged {
                file: f.display(),
                version: e.version,
            }),
            State::Partial { .. } => {
                return Err(MigrateError::RollbackPartial { file: f.display() })
            }
            _ => {}
        }
        if f.down.is_none() {
            return Err(MigrateError::NoDown { file: f.display() });
        }
    }
    if !problems.is_empty() {
        return Err(Problems(problems).into());
    }
    let total = undo.len();
    let mut done = Vec::new();
    for (index, e) in undo.iter().enumerate() {
        let f = &files[e.file.unwrap_or_default()];
        let down = f.down.as_deref().unwrap_or_default();
        progress.event(&Event::RollingBack {
            file: f,
            index,
            total,
        });
        let started = Instant::now();
        let delete = format!(
            "DELETE FROM pgtenant.migrations WHERE version = {}",
            f.version
        );
        let what_next = |n: usize| {
            format!("Nothing of this down section stays applied (rolled back); {n} newer migration(s) were rolled back before it. Fix the down section and roll back again.")
        };
        if f.no_transaction {
            set_lock_timeout(conn, opts.lock_timeout).await?;
            for s in down {
                let mut batch = Batch::new(None, false);
                batch.statement(s);
                batch.run(conn).await.map_err(|failure| {
                    let line = failure.line.unwrap_or(s.line);
                    exec::statement_error(
                        &f.display(),
                        Some(line),
                        failure.error,
                        "This file runs outside a transaction: the down statements before this one stay done. Fix it and roll back again.".into(),
                    )
                })?;
            }
            let reset = if opts.lock_timeout.is_some() {
                "; RESET lock_timeout"
            } else {
                ""
            };
            sqlx::raw_sql(&format!("{delete}{reset}"))
                .execute(&mut *conn)
                .await
                .map_err(MigrateError::Journal)?;
        } else {
            let mut batch = Batch::new(opts.lock_timeout, true);
            for s in down {
                batch.statement(s);
            }
            batch.raw(&delete);
            batch.raw("COMMIT");
            batch
                .run(conn)
                .await
                .map_err(|failure| failure.into_error(f, what_next(index)))?;
        }
        progress.event(&Event::RolledBack {
            file: f,
            elapsed: started.elapsed(),
        });
        done.push(f.version);
    }
    Ok(done)
}
