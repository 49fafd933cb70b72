//! The journal tables in schema `pgtenant` and the migrate lock.
//!
//! ## The lock
//!
//! A migrate run takes a *session* advisory lock on its own dedicated
//! connection (never a pooled one) and runs every migration on that same
//! connection. A transaction-level lock would be released at the first
//! migration's COMMIT, leaving the next one unprotected; re-taking it in
//! every transaction would let two runs interleave their migrations.
//!
//! The session lock is released on every path:
//! - normally, by `pg_advisory_unlock` at the end of the run;
//! - on an error return, a panic or a `kill -9`, by the connection closing:
//!   the connection is owned by the run and never returned to a pool, so
//!   dropping it ends the backend, and the lock with it. The session sets
//!   `client_connection_check_interval`, so a backend busy in a long
//!   statement notices a dead client within a second and rolls back instead
//!   of running on, holding the lock.
//!
//! A second run tries the lock (`pg_try_advisory_lock`) in a loop, reports
//! "another migrate holds the lock (pid N)" once, and waits up to
//! `lock_wait`; when it gets the lock it reads the journal again, so it only
//! applies what the first run did not. Every journal INSERT also has the
//! version as primary key: even without the lock a migration cannot be
//! journaled twice, and its transaction would roll back.

use super::file::MigrationFile;
use super::history::AppliedMigration;
use super::MigrateError;
use pgtenant_schema::ident::quote_literal;
use sqlx::{Connection, PgConnection, Row};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The advisory lock key: the bytes of "pgtenant" as a big-endian i64.
pub const LOCK_KEY: i64 = 0x7067_7465_6e61_6e74;

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
          AND c.relname IN ('migrations', 'seeds')
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

/// The pid holding the migrate lock in this database, if any.
pub async fn lock_holder(conn: &mut PgConnection) -> Result<Option<i32>, MigrateError> {
    // A bigint advisory key shows in pg_locks as classid = high 32 bits,
    // objid = low 32 bits, objsubid = 1.
    sqlx::query_scalar(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND classid = ($1 >> 32)::oid AND objid = ($1 & 4294967295)::oid AND objsubid = 1 \
         AND pid <> pg_backend_pid() LIMIT 1",
    )
    .bind(LOCK_KEY)
    .fetch_optional(&mut *conn)
    .await
    .map_err(MigrateError::Journal)
}

/// Take the migrate lock, waiting up to `wait`; `on_busy` is called once
/// with the holder's pid when the lock is taken by someone else.
pub async fn lock(
    conn: &mut PgConnection,
    wait: Duration,
    mut on_busy: impl FnMut(Option<i32>),
) -> Result<(), MigrateError> {
    let start = Instant::now();
    let mut reported = false;
    loop {
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(LOCK_KEY)
            .fetch_one(&mut *conn)
            .await
            .map_err(MigrateError::Journal)?;
        if got {
            return Ok(());
        }
        let pid = lock_holder(conn).await?;
        if !reported {
            on_busy(pid);
            reported = true;
        }
        let waited = start.elapsed();
        if waited >= wait {
            return Err(MigrateError::LockBusy {
                pid: pid_text(pid),
                waited,
            });
        }
        tokio::time::sleep((wait - waited).min(Duration::from_millis(200))).await;
    }
}

pub(crate) fn pid_text(pid: Option<i32>) -> String {
    pid.map_or_else(|| "unknown pid".to_owned(), |p| format!("pid {p}"))
}

/// Release the lock (the connection closing releases it too).
pub async fn unlock(conn: &mut PgConnection) -> Result<(), MigrateError> {
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *conn)
        .await
        .map_err(MigrateError::Journal)?;
    Ok(())
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
