//! The SQL text of the probes, the savepoints around every statement that
//! may fail, and how a refusal is read. Identifiers are quoted through
//! [`quote_ident`]; values are always bound.

use super::rows::ColumnValue;
use super::{qerr, VerifyError};
use pgtenant_schema::ident::quote_ident;
use pgtenant_schema::model::{QualName, Table};
use sqlx::PgConnection;

/// A statement PostgreSQL may refuse without the probes stopping: what it
/// gave, or the refusal.
#[derive(Debug)]
pub(super) enum Attempt<T> {
    Done(T),
    Refused(sqlx::Error),
}

impl<T> Attempt<T> {
    pub(super) fn from_result(r: Result<T, sqlx::Error>) -> Attempt<T> {
        match r {
            Ok(v) => Attempt::Done(v),
            Err(e) => Attempt::Refused(e),
        }
    }

    pub(super) fn done(self) -> Option<T> {
        match self {
            Attempt::Done(v) => Some(v),
            Attempt::Refused(_) => None,
        }
    }

    /// Keep what succeeded, undo what failed.
    fn savepoint_end(&self) -> SavepointEnd {
        match self {
            Attempt::Done(_) => SavepointEnd::Release,
            Attempt::Refused(_) => SavepointEnd::RollBack,
        }
    }
}

/// `ctid`, `tableoid` and every column of `t`, as text.
fn returning_list(t: &Table) -> String {
    let mut cols = vec!["ctid::text".to_owned(), "tableoid::oid::text".to_owned()];
    cols.extend(
        t.columns
            .iter()
            .map(|c| format!("{}::text", quote_ident(&c.name))),
    );
    cols.join(", ")
}

/// One row of `t` (any), as [`returning_list`] reads it.
pub(super) fn select_one(t: &Table) -> String {
    format!("SELECT {} FROM {} LIMIT 1", returning_list(t), t.name.sql())
}

/// Insert one row of `values` (bound as `$1..` cast to their types), or of
/// defaults only, returning it as [`returning_list`] reads it.
pub(super) fn insert(t: &Table, values: &[ColumnValue]) -> String {
    if values.is_empty() {
        return format!(
            "INSERT INTO {} DEFAULT VALUES RETURNING {}",
            t.name.sql(),
            returning_list(t)
        );
    }
    let cols: Vec<String> = values.iter().map(|v| quote_ident(&v.column)).collect();
    let params: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("${}::{}", i + 1, v.ty))
        .collect();
    format!(
        "INSERT INTO {} ({}) VALUES ({}) RETURNING {}",
        t.name.sql(),
        cols.join(", "),
        params.join(", "),
        returning_list(t)
    )
}

/// The condition that finds one probe row: `$1` its tableoid, `$2` its ctid.
const THE_ROW: &str = "tableoid = $1::oid AND ctid = $2::tid";

/// The rows of `t` visible; with `one_row`, only the row at `$1`/`$2`.
pub(super) fn count(t: &QualName, one_row: bool) -> String {
    if one_row {
        format!("SELECT count(*) FROM {} WHERE {THE_ROW}", t.sql())
    } else {
        format!("SELECT count(*) FROM {}", t.sql())
    }
}

/// Assign `column` (quoted) to itself in the row at `$1`/`$2`.
pub(super) fn update_in_place(t: &QualName, column: &str) -> String {
    format!("UPDATE {} SET {column} = {column} WHERE {THE_ROW}", t.sql())
}

/// Delete the row at `$1`/`$2`.
pub(super) fn delete(t: &QualName) -> String {
    format!("DELETE FROM {} WHERE {THE_ROW}", t.sql())
}

/// Move the row at `$1`/`$2` to the tenant `$3` (of type `ty`).
pub(super) fn move_to_tenant(t: &QualName, key_column: &str, ty: &str) -> String {
    format!(
        "UPDATE {} SET {} = $3::{ty} WHERE {THE_ROW}",
        t.sql(),
        quote_ident(key_column)
    )
}

/// How to end a savepoint.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum SavepointEnd {
    Release,
    RollBack,
}

pub(super) async fn savepoint(conn: &mut PgConnection) -> Result<(), VerifyError> {
    sqlx::raw_sql("SAVEPOINT pgtenant_probe")
        .execute(&mut *conn)
        .await
        .map_err(qerr("creating a savepoint"))?;
    Ok(())
}

pub(super) async fn end_savepoint(
    conn: &mut PgConnection,
    end: SavepointEnd,
) -> Result<(), VerifyError> {
    let sql = match end {
        SavepointEnd::Release => "RELEASE SAVEPOINT pgtenant_probe",
        SavepointEnd::RollBack => "ROLLBACK TO SAVEPOINT pgtenant_probe",
    };
    sqlx::raw_sql(sql)
        .execute(&mut *conn)
        .await
        .map_err(qerr("ending a savepoint"))?;
    Ok(())
}

/// End the savepoint keeping what `attempt` did when it succeeded.
pub(super) async fn end_savepoint_for<T>(
    conn: &mut PgConnection,
    attempt: &Attempt<T>,
) -> Result<(), VerifyError> {
    end_savepoint(conn, attempt.savepoint_end()).await
}

/// Set the tenant for the rest of the probe transaction.
pub(super) async fn set_tenant(
    conn: &mut PgConnection,
    setting: &str,
    value: &str,
) -> Result<(), VerifyError> {
    sqlx::query("SELECT set_config($1, $2, true)")
        .bind(setting)
        .bind(value)
        .execute(&mut *conn)
        .await
        .map_err(qerr("setting the tenant"))?;
    Ok(())
}

/// PostgreSQL's message, without sqlx's wrapping.
pub(super) fn db_message(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => d.message().to_owned(),
        other => other.to_string(),
    }
}

/// A row-level security policy refused the row.
pub(super) fn is_rls_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.code().as_deref() == Some("42501") && d.message().contains("row-level security")
        }
        _ => false,
    }
}
