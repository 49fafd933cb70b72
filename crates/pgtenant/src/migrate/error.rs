//! Everything that can stop a migrate, status or rollback, and the
//! `file:line: message` of a statement PostgreSQL refused.

use super::history::Problems;
use std::fmt;
use std::time::Duration;

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
    #[error("migration {version} ({name}) is already in the journal with another checksum; the journal and the files disagree: see `pgtenant status`")]
    RecordConflict { version: i64, name: String },
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
