//! What a run reports as it goes: [`Event`]s to a [`Progress`].

use super::file::MigrationFile;
use std::time::Duration;

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
