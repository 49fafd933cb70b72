//! `rollback`: run down sections, newest first, each with the removal of
//! its journal row.

use super::apply::{load_and_connect, set_lock_timeout};
use super::exec::{self, Batch};
use super::file::MigrationFile;
use super::history::{self, Entry, Problem, Problems, State};
use super::{journal, Event, MigrateError, Progress};
use sqlx::postgres::PgConnectOptions;
use sqlx::PgConnection;
use std::path::Path;
use std::time::{Duration, Instant};

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
    let result = rollback_files(&mut conn, options, &files, target, opts, progress).await;
    journal::close(conn).await;
    result
}

/// Roll back on `conn`; the lock is taken on a connection of its own,
/// opened with `options`.
pub async fn rollback_files(
    conn: &mut PgConnection,
    options: &PgConnectOptions,
    files: &[MigrationFile],
    target: RollbackTarget,
    opts: &RollbackOptions,
    progress: &dyn Progress,
) -> Result<Vec<i64>, MigrateError> {
    let lock = journal::MigrateLock::acquire(options, opts.lock_wait, |pid| {
        progress.event(&Event::LockBusy { pid });
    })
    .await?;
    let result = rollback_locked(conn, files, target, opts, progress).await;
    lock.release().await;
    result
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
        let delete = journal::delete_sql(f.version);
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
