//! The migrations runner: `migrate`, `status` and `rollback` over a folder
//! of `<version>_<slug>.sql` files and the journal `pgtenant.migrations`.
//!
//! - [`file`]: names, directives, sections, checksums; [`load_dir`].
//! - [`history`]: the pure history check (journal × files → plan or problems).
//! - [`journal`]: the journal tables and the migrate lock (why it is a
//!   session lock on a dedicated connection is explained there).
//! - `record`: journal migrations as applied without running them.
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

mod apply;
mod error;
mod event;
pub(crate) mod exec;
mod record;
mod rollback;
mod status;

pub use apply::{connect, migrate, migrate_files, MigrateOptions, MigrateReport};
pub use error::{MigrateError, StatementError};
pub use event::{Event, Progress, Quiet};
pub use file::{load_dir, MigrationFile};
pub use history::{AppliedMigration, Entry, OutOfOrder, Problem, Problems, State};
pub use record::{record_applied, RecordReport};
pub use rollback::{rollback, rollback_files, RollbackOptions, RollbackTarget};
pub use status::{status, StatusReport};
