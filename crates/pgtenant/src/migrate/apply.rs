//! `migrate`: apply the pending migrations, each transactional one as one
//! batch with its journal row, no-transaction files statement by statement
//! with a journaled step after each.

use super::exec::{self, Batch, IndexState};
use super::file::{load_dir, MigrationFile};
use super::history::{self, Entry, OutOfOrder, State};
use super::{journal, Event, MigrateError, Progress};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgConnection};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
pub(super) async fn load_and_connect(
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
    let result = migrate_files(&mut conn, options, &files, opts, progress).await;
    journal::close(conn).await;
    result
}

/// Apply pending `files` on `conn` (a dedicated connection); the lock is
/// taken on a connection of its own, opened with `options` (see
/// [`journal`]).
pub async fn migrate_files(
    conn: &mut PgConnection,
    options: &PgConnectOptions,
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

    let lock = journal::MigrateLock::acquire(options, opts.lock_wait, |pid| {
        progress.event(&Event::LockBusy { pid });
    })
    .await?;
    let result = migrate_locked(conn, files, opts, progress, &mut report).await;
    lock.release().await;
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
        journal::reapprove(conn, *version, checksum).await?;
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
    batch.raw(&journal::insert_sql(f));
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
    journal::start_steps(conn, f).await?;
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
        journal::step_done(conn, f.version, k + 1).await?;
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
    journal::complete_steps(conn, f.version, started.elapsed()).await?;
    Ok(())
}

pub(super) async fn set_lock_timeout(
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
