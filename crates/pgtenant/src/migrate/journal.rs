//! The journal tables in schema `pgtenant` and the migrate lock.
//!
//! ## The lock
//!
//! The migrate lock is a table lock on `pgtenant.migrate_lock`, an empty
//! table on which nobody but its owner (the role that runs migrate) holds
//! any privilege. A run takes it with `LOCK TABLE … IN EXCLUSIVE MODE` on a
//! *lock connection* of its own, inside a transaction that stays open for
//! the whole run (`idle_in_transaction_session_timeout` and
//! `statement_timeout` are 0 on that connection), while the migrations run
//! on the run's other, dedicated connection (never a pooled one).
//!
//! Why not an advisory lock: any role connected to the database can take
//! any advisory key, so the service role could hold the key and block every
//! migration. `LOCK TABLE` checks the table's privileges before it locks,
//! so a role without them gets "permission denied" and never holds it; a
//! statement that opens the table before its privilege check (a `SELECT …
//! FOR UPDATE` on it) fails at that check, and its lock goes with the
//! aborted (sub)transaction. EXCLUSIVE rather than ACCESS EXCLUSIVE mode:
//! it conflicts with itself, but not with the ACCESS SHARE locks of a
//! `pg_dump` (a backup taken during a migrate is not held up).
//!
//! The lock is released on every path:
//! - normally, by [`MigrateLock::release`] at the end of the run (ROLLBACK,
//!   then close);
//! - on an error return, a panic or a `kill -9`, by the lock connection
//!   closing: it is owned by the [`MigrateLock`], so dropping it ends the
//!   backend (an idle backend sees the closed socket at once), and its
//!   transaction with the lock. The migration connection sets
//!   `client_connection_check_interval`, so a backend busy in a long
//!   statement notices a dead client within a second and rolls back.
//!
//! A second run tries the lock (`NOWAIT`); when it is held, it reports
//! "another migrate holds the lock (pid N)" once and queues for it, up to
//! `lock_wait` (`lock_timeout` on the lock connection); when it gets the
//! lock it reads the journal again, so it only applies what the first run
//! did not. Every journal INSERT also has the version as primary key: even
//! without the lock a migration cannot be journaled twice, and its
//! transaction would roll back.
//!
//! `record_applied` writes its rows in one transaction, so it takes the
//! same lock inside that transaction on its own connection.

use super::file::MigrationFile;
use super::history::AppliedMigration;
use super::MigrateError;
use pgtenant_schema::ident::quote_literal;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, Row};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The lock table, created (before the lock is taken) when missing, with
/// every privilege on it that is not its owner's revoked (default
/// privileges or a hand-made grant would let a grantee lock it).
pub const LOCK_TABLE_SQL: &str = r#"
CREATE SCHEMA IF NOT EXISTS pgtenant;
REVOKE ALL ON SCHEMA pgtenant FROM PUBLIC;
CREATE TABLE IF NOT EXISTS pgtenant.migrate_lock ();
COMMENT ON TABLE pgtenant.migrate_lock IS 'pgtenant migrate lock: held by LOCK TABLE during a run';
DO $pgtenant$
DECLARE r record;
BEGIN
    FOR r IN
        SELECT DISTINCT a.grantee
        FROM pg_class c
        CROSS JOIN LATERAL aclexplode(c.relacl) a
        WHERE c.oid = 'pgtenant.migrate_lock'::regclass AND a.grantee <> c.relowner
    LOOP
        IF r.grantee = 0 THEN
            REVOKE ALL ON TABLE pgtenant.migrate_lock FROM PUBLIC;
        ELSE
            EXECUTE format('REVOKE ALL ON TABLE pgtenant.migrate_lock FROM %I', r.grantee::regrole::text);
        END IF;
    END LOOP;
END
$pgtenant$;
"#;

/// Whether the lock table exists with no privilege for anyone but its owner.
const LOCK_TABLE_OK_SQL: &str = "SELECT coalesce((SELECT NOT EXISTS (\
    SELECT 1 FROM aclexplode(c.relacl) a WHERE a.grantee <> c.relowner) \
    FROM pg_class c WHERE c.oid = to_regclass('pgtenant.migrate_lock')), false)";

/// The statement that takes the lock inside an open transaction.
const LOCK_SQL: &str = "LOCK TABLE pgtenant.migrate_lock IN EXCLUSIVE MODE";

/// Creates the journal schema and tables if missing, owned by the role that
/// runs migrate, with every privilege that default privileges may have
/// handed to other roles (service roles) revoked from the two journal
/// tables. Other objects in the schema (the modules') keep their grants.
pub const ENSURE_SQL: &str = r#"
CREATE SCHEMA IF NOT EXISTS pgtenant;
CREATE TABLE IF NOT EXISTS pgtenant.migrations (
    version      bigint PRIMARY KEY,
    name         text NOT NULL,
    checksum     text NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT now(),
    duration_ms  bigint NOT NULL DEFAULT 0,
    applied_by   text NOT NULL DEFAULT session_user,
    steps_done   integer,
    steps_total  integer,
    complete     boolean NOT NULL DEFAULT true
);
CREATE TABLE IF NOT EXISTS pgtenant.seeds (
    file        text PRIMARY KEY,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    duration_ms bigint NOT NULL DEFAULT 0,
    applied_by  text NOT NULL DEFAULT session_user
);
COMMENT ON SCHEMA pgtenant IS 'pgtenant journals: applied migrations and seeds';
REVOKE ALL ON SCHEMA pgtenant FROM PUBLIC;
DO $pgtenant$
DECLARE r record;
BEGIN
    FOR r IN
        SELECT DISTINCT c.oid::regclass AS rel, a.grantee
        FROM pg_class c
        CROSS JOIN LATERAL aclexplode(c.relacl) a
        WHERE c.relnamespace = 'pgtenant'::regnamespace AND a.grantee <> c.relowner
          AND c.relname IN ('migrations', 'seeds', 'migrate_lock')
    LOOP
        IF r.grantee = 0 THEN
            EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', r.rel);
        ELSE
            EXECUTE format('REVOKE ALL ON %s FROM %I', r.rel, r.grantee::regrole::text);
        END IF;
    END LOOP;
END
$pgtenant$;
"#;

/// Read the whole journal in one query; `None` when there is no journal yet.
pub async fn read(conn: &mut PgConnection) -> Result<Option<Vec<AppliedMigration>>, MigrateError> {
    let rows = sqlx::query(
        "SELECT version, name, checksum, applied_at, duration_ms, applied_by, steps_done, steps_total, complete \
         FROM pgtenant.migrations ORDER BY version",
    )
    .fetch_all(&mut *conn)
    .await;
    let rows = match rows {
        Ok(rows) => rows,
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("42P01" | "3F000")) => {
            return Ok(None)
        }
        Err(e) => return Err(MigrateError::Journal(e)),
    };
    rows.into_iter()
        .map(|r| {
            Ok(AppliedMigration {
                version: r.try_get("version")?,
                name: r.try_get("name")?,
                checksum: r.try_get("checksum")?,
                applied_at: r.try_get("applied_at")?,
                duration_ms: r.try_get("duration_ms")?,
                applied_by: r.try_get("applied_by")?,
                steps_done: r.try_get("steps_done")?,
                steps_total: r.try_get("steps_total")?,
                complete: r.try_get("complete")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map(Some)
        .map_err(MigrateError::Journal)
}

/// Create the journal if missing (call with the lock held).
pub async fn ensure(conn: &mut PgConnection) -> Result<(), MigrateError> {
    sqlx::raw_sql(ENSURE_SQL)
        .execute(&mut *conn)
        .await
        .map_err(MigrateError::Journal)?;
    Ok(())
}

/// Create the lock table when it is missing, and revoke what anyone but its
/// owner holds on it. Two runs may race on that: the loser finds the table
/// as it should be and goes on.
pub async fn ensure_lock_table(conn: &mut PgConnection) -> Result<(), MigrateError> {
    for _ in 0..3 {
        let ok: bool = sqlx::query_scalar(LOCK_TABLE_OK_SQL)
            .fetch_one(&mut *conn)
            .await
            .map_err(MigrateError::Journal)?;
        if ok {
            return Ok(());
        }
        let created = sqlx::raw_sql(&format!("BEGIN;{LOCK_TABLE_SQL}COMMIT;"))
            .execute(&mut *conn)
            .await;
        match created {
            Ok(_) => return Ok(()),
            Err(sqlx::Error::Database(e))
                // Unique violations of a concurrent CREATE, "tuple
                // concurrently updated" of a concurrent REVOKE.
                if matches!(e.code().as_deref(), Some("23505" | "42P06" | "42P07" | "XX000")) =>
            {
                rollback(conn).await?;
            }
            Err(e) => {
                let _ = rollback(conn).await;
                return Err(MigrateError::Journal(e));
            }
        }
    }
    Ok(())
}

async fn rollback(conn: &mut PgConnection) -> Result<(), MigrateError> {
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut *conn)
        .await
        .map_err(MigrateError::Journal)?;
    Ok(())
}

/// The pid holding the migrate lock in this database, if any.
pub async fn lock_holder(conn: &mut PgConnection) -> Result<Option<i32>, MigrateError> {
    sqlx::query_scalar(
        "SELECT pid FROM pg_locks WHERE locktype = 'relation' AND granted \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND relation = to_regclass('pgtenant.migrate_lock') AND mode = 'ExclusiveLock' \
         AND pid <> pg_backend_pid() LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await
    .map_err(MigrateError::Journal)
}

/// Take the lock inside a transaction on `conn`, waiting up to `wait`;
/// `on_busy` is called once with the holder's pid when another run holds
/// it. On success the transaction stays open and holds the lock; on error
/// no transaction is left open.
pub async fn lock_in_transaction(
    conn: &mut PgConnection,
    wait: Duration,
    mut on_busy: impl FnMut(Option<i32>),
) -> Result<(), MigrateError> {
    let start = Instant::now();
    ensure_lock_table(conn).await?;
    sqlx::raw_sql("BEGIN")
        .execute(&mut *conn)
        .await
        .map_err(MigrateError::Journal)?;
    match sqlx::raw_sql(&format!("{LOCK_SQL} NOWAIT"))
        .execute(&mut *conn)
        .await
    {
        Ok(_) => return Ok(()),
        Err(e) if is_lock_unavailable(&e) => rollback(conn).await?,
        Err(e) => {
            let _ = rollback(conn).await;
            return Err(MigrateError::Journal(e));
        }
    }
    on_busy(lock_holder(conn).await?);
    // Queue for the lock (a transient conflicting lock does not make the
    // wait fail) until the holder is done or the wait is over.
    let left = wait
        .saturating_sub(start.elapsed())
        .max(Duration::from_millis(1));
    let ms = left.as_millis().max(1);
    let queued = sqlx::raw_sql(&format!(
        "BEGIN; SET LOCAL lock_timeout = {ms}; {LOCK_SQL}; SET LOCAL lock_timeout = 0"
    ))
    .execute(&mut *conn)
    .await;
    match queued {
        Ok(_) => Ok(()),
        Err(e) => {
            let _ = rollback(conn).await;
            if !is_lock_unavailable(&e) {
                return Err(MigrateError::Journal(e));
            }
            let pid = lock_holder(conn).await?;
            Err(MigrateError::LockBusy {
                pid: pid_text(pid),
                waited: start.elapsed(),
            })
        }
    }
}

fn is_lock_unavailable(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("55P03"))
}

pub(crate) fn pid_text(pid: Option<i32>) -> String {
    pid.map_or_else(|| "unknown pid".to_owned(), |p| format!("pid {p}"))
}

/// The migrate lock, held by an open transaction on a connection of its
/// own for as long as this value lives. Dropping it closes the connection,
/// which releases the lock; [`MigrateLock::release`] does so cleanly.
#[derive(Debug)]
pub struct MigrateLock {
    conn: PgConnection,
}

impl MigrateLock {
    /// Open the lock connection and take the lock, waiting up to `wait`;
    /// `on_busy` is called once with the holder's pid.
    pub async fn acquire(
        options: &PgConnectOptions,
        wait: Duration,
        on_busy: impl FnMut(Option<i32>),
    ) -> Result<Self, MigrateError> {
        let mut conn = options
            .clone()
            .application_name("pgtenant migrate lock")
            .options([
                ("idle_in_transaction_session_timeout", "0"),
                ("statement_timeout", "0"),
            ])
            .disable_statement_logging()
            .connect()
            .await
            .map_err(MigrateError::Connect)?;
        match lock_in_transaction(&mut conn, wait, on_busy).await {
            Ok(()) => Ok(MigrateLock { conn }),
            Err(e) => {
                close(conn).await;
                Err(e)
            }
        }
    }

    /// The backend pid of the lock connection.
    pub async fn pid(&mut self) -> Result<i32, MigrateError> {
        sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut self.conn)
            .await
            .map_err(MigrateError::Journal)
    }

    /// Release the lock and close its connection.
    pub async fn release(mut self) {
        let _ = sqlx::raw_sql("ROLLBACK").execute(&mut self.conn).await;
        close(self.conn).await;
    }
}

/// Close a connection that may hold the lock; errors on close are moot (the
/// server ends the session either way).
pub async fn close(conn: PgConnection) {
    let _ = conn.close().await;
}

// ---------------------------------------------------------------------------
// Writing the migrations journal

/// The journal row of a transactional migration, in the same transaction;
/// the duration is measured by the server from the transaction's start.
pub(crate) fn insert_sql(f: &MigrationFile) -> String {
    format!(
        "INSERT INTO pgtenant.migrations (version, name, checksum, duration_ms, complete) VALUES ({}, {}, {}, \
         (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, true)",
        f.version,
        quote_literal(&f.name),
        quote_literal(&f.checksum)
    )
}

/// The journal row `migrate` leaves once `f` has run, for recording it as
/// applied without running it (adoption, baselines): a transactional file's
/// row as [`insert_sql`] writes it, a no-transaction file's with every step
/// done, as its last step leaves it.
pub(crate) fn recorded_sql(f: &MigrationFile) -> String {
    if !f.no_transaction {
        return insert_sql(f);
    }
    let steps = i32::try_from(f.up.len()).unwrap_or(i32::MAX);
    format!(
        "INSERT INTO pgtenant.migrations (version, name, checksum, duration_ms, steps_done, steps_total, complete) \
         VALUES ({}, {}, {}, 0, {steps}, {steps}, true)",
        f.version,
        quote_literal(&f.name),
        quote_literal(&f.checksum)
    )
}

/// Removes the journal row of a rolled back migration, in the transaction
/// of its down section.
pub(crate) fn delete_sql(version: i64) -> String {
    format!("DELETE FROM pgtenant.migrations WHERE version = {version}")
}

/// Record the new checksum of an edited file accepted with `--reapprove`.
pub(crate) async fn reapprove(
    conn: &mut PgConnection,
    version: i64,
    checksum: &str,
) -> Result<(), MigrateError> {
    sqlx::query("UPDATE pgtenant.migrations SET checksum = $2 WHERE version = $1")
        .bind(version)
        .bind(checksum)
        .execute(&mut *conn)
        .await
        .map_err(MigrateError::Journal)?;
    Ok(())
}

/// The row of a no-transaction file before its first step: incomplete,
/// with the number of steps (kept when it exists: the run resumes).
pub(crate) async fn start_steps(
    conn: &mut PgConnection,
    f: &MigrationFile,
) -> Result<(), MigrateError> {
    let total = i32::try_from(f.up.len()).unwrap_or(i32::MAX);
    sqlx::query(
        "INSERT INTO pgtenant.migrations (version, name, checksum, steps_done, steps_total, complete) \
         VALUES ($1, $2, $3, 0, $4, false) ON CONFLICT (version) DO UPDATE SET steps_total = EXCLUDED.steps_total",
    )
    .bind(f.version)
    .bind(&f.name)
    .bind(&f.checksum)
    .bind(total)
    .execute(&mut *conn)
    .await
    .map_err(MigrateError::Journal)?;
    Ok(())
}

/// `done` statements of a no-transaction file have run.
pub(crate) async fn step_done(
    conn: &mut PgConnection,
    version: i64,
    done: usize,
) -> Result<(), MigrateError> {
    let done = i32::try_from(done).unwrap_or(i32::MAX);
    sqlx::query("UPDATE pgtenant.migrations SET steps_done = $2 WHERE version = $1")
        .bind(version)
        .bind(done)
        .execute(&mut *conn)
        .await
        .map_err(MigrateError::Journal)?;
    Ok(())
}

/// Every step of a no-transaction file has run, in `elapsed`.
pub(crate) async fn complete_steps(
    conn: &mut PgConnection,
    version: i64,
    elapsed: Duration,
) -> Result<(), MigrateError> {
    let ms = i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX);
    sqlx::query(
        "UPDATE pgtenant.migrations SET complete = true, applied_at = now(), duration_ms = $2 WHERE version = $1",
    )
    .bind(version)
    .bind(ms)
    .execute(&mut *conn)
    .await
    .map_err(MigrateError::Journal)?;
    Ok(())
}

/// How many migrations the journal records; 0 without a journal.
pub async fn applied_count(conn: &mut PgConnection) -> Result<i64, MigrateError> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('pgtenant.migrations') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .map_err(MigrateError::Journal)?;
    if !exists {
        return Ok(0);
    }
    sqlx::query_scalar("SELECT count(*) FROM pgtenant.migrations")
        .fetch_one(&mut *conn)
        .await
        .map_err(MigrateError::Journal)
}

// ---------------------------------------------------------------------------
// The seeds journal

/// The checksum of every applied seed file, by file; `None` when there is
/// no journal yet.
pub async fn read_seeds(
    conn: &mut PgConnection,
) -> Result<Option<HashMap<String, String>>, MigrateError> {
    let rows: Result<Vec<(String, String)>, sqlx::Error> =
        sqlx::query_as("SELECT file, checksum FROM pgtenant.seeds")
            .fetch_all(&mut *conn)
            .await;
    match rows {
        Ok(rows) => Ok(Some(rows.into_iter().collect())),
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("42P01" | "3F000")) => {
            Ok(None)
        }
        Err(e) => Err(MigrateError::Journal(e)),
    }
}

/// Records a seed file as applied with `checksum`, in the transaction of
/// the seed itself; the duration is measured by the server.
pub(crate) fn seed_upsert_sql(file: &str, checksum: &str) -> String {
    format!(
        "INSERT INTO pgtenant.seeds (file, checksum, applied_at, duration_ms, applied_by) VALUES ({}, {}, now(), \
         (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, session_user) \
         ON CONFLICT (file) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = EXCLUDED.applied_at, \
         duration_ms = EXCLUDED.duration_ms, applied_by = EXCLUDED.applied_by",
        quote_literal(file),
        quote_literal(checksum)
    )
}
