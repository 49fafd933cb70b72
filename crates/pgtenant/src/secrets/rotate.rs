//! Re-encrypt a column under the keyring's newest key: in batches, each its
//! own short transaction taking only row locks (no table lock), resumable
//! (rows already under the newest key are skipped, so a stopped run simply
//! starts again), and safe against concurrent writers (a row is rewritten
//! only if it still holds the value that was read).

use super::{open_combined, Key, Keyring, SecretError, ALGORITHM, ENVELOPE_TAG};
use crate::config::TableName;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use pgtenant_schema::ident::quote_ident;
use sqlx::PgPool;

/// How a rotation runs.
#[derive(Debug, Clone)]
pub struct RotateOptions {
    /// Rows per batch (one transaction each).
    pub batch_size: i64,
    /// A key for values written before pgtenant: standard base64 of
    /// libsodium's combined `nonce ‖ mac ‖ ciphertext`. Without it such a
    /// value stops the run.
    pub legacy_key: Option<Key>,
}

impl Default for RotateOptions {
    fn default() -> Self {
        RotateOptions {
            batch_size: 500,
            legacy_key: None,
        }
    }
}

/// What a rotation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotateReport {
    /// Rows rewritten under the newest key.
    pub rotated: u64,
    /// Rows another transaction changed between read and write; they are
    /// left as they are (a second run picks them up if needed).
    pub changed_meanwhile: u64,
    /// Batches run.
    pub batches: u64,
}

/// Why a rotation stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RotateError {
    /// The table cannot be rotated as it is.
    #[error("cannot rotate {table}.{column}: {problem}")]
    Table {
        table: String,
        column: String,
        problem: String,
    },
    /// A value did not open; the rows before it are already rotated.
    #[error("row {key} of {table}: {source}")]
    Value {
        table: String,
        key: String,
        #[source]
        source: SecretError,
    },
    /// The database failed.
    #[error("rotating {table}: {source}")]
    Db {
        table: String,
        #[source]
        source: sqlx::Error,
    },
}

struct Target {
    table_sql: String,
    column_sql: String,
    key_sql: String,
    key_type: String,
}

async fn target(pool: &PgPool, table: &TableName, column: &str) -> Result<Target, RotateError> {
    let problem = |p: &str| RotateError::Table {
        table: table.to_string(),
        column: column.to_owned(),
        problem: p.to_owned(),
    };
    let db = |source| RotateError::Db {
        table: table.to_string(),
        source,
    };
    let col_type: Option<String> = sqlx::query_scalar(
        "SELECT format_type(a.atttypid, a.atttypmod)
           FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = $3
            AND a.attnum > 0 AND NOT a.attisdropped",
    )
    .bind(&table.schema)
    .bind(&table.name)
    .bind(column)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    let Some(col_type) = col_type else {
        return Err(problem("no such table or column"));
    };
    if !(col_type == "text" || col_type.starts_with("character varying")) {
        return Err(problem(&format!(
            "the column has type {col_type}; envelopes are stored in text columns"
        )));
    }
    let keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT a.attname::text, format_type(a.atttypid, NULL)
           FROM pg_index i
           JOIN pg_class c ON c.oid = i.indrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
          WHERE n.nspname = $1 AND c.relname = $2 AND i.indisprimary",
    )
    .bind(&table.schema)
    .bind(&table.name)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let [(key, key_type)] = keys.as_slice() else {
        return Err(problem(
            "the table needs a single-column primary key to be rotated in batches",
        ));
    };
    Ok(Target {
        table_sql: table.quoted(),
        column_sql: quote_ident(column),
        key_sql: quote_ident(key),
        key_type: key_type.clone(),
    })
}

/// Re-encrypt every value of `table.column` that is not yet under the
/// keyring's newest key. NULLs are left alone.
pub async fn rotate_column(
    pool: &PgPool,
    table: &TableName,
    column: &str,
    ring: &Keyring,
    options: &RotateOptions,
) -> Result<RotateReport, RotateError> {
    let t = target(pool, table, column).await?;
    let done_prefix = format!("{ENVELOPE_TAG}:{ALGORITHM}:{}:", ring.newest().id());
    let select = format!(
        "SELECT r.{k}::text AS pgtenant_key, r.{c} AS pgtenant_value FROM {t} AS r
          WHERE r.{c} IS NOT NULL AND NOT starts_with(r.{c}, $1)
            AND ($2::text IS NULL OR r.{k} > $2::text::{ty})
          ORDER BY r.{k} LIMIT $3",
        k = t.key_sql,
        c = t.column_sql,
        t = t.table_sql,
        ty = t.key_type,
    );
    let update = format!(
        "UPDATE {t} SET {c} = v.new
           FROM unnest($1::text[], $2::text[], $3::text[]) AS v (key, old, new)
          WHERE {t}.{k} = v.key::{ty} AND {t}.{c} = v.old",
        k = t.key_sql,
        c = t.column_sql,
        t = t.table_sql,
        ty = t.key_type,
    );
    let db = |source| RotateError::Db {
        table: table.to_string(),
        source,
    };
    let mut report = RotateReport::default();
    let mut last: Option<String> = None;
    loop {
        let rows: Vec<(String, String)> = sqlx::query_as(&select)
            .bind(&done_prefix)
            .bind(&last)
            .bind(options.batch_size)
            .fetch_all(pool)
            .await
            .map_err(db)?;
        let Some((last_key, _)) = rows.last() else {
            return Ok(report);
        };
        last = Some(last_key.clone());
        let mut keys = Vec::with_capacity(rows.len());
        let mut olds = Vec::with_capacity(rows.len());
        let mut news = Vec::with_capacity(rows.len());
        for (key, old) in rows {
            let new = reseal(ring, options.legacy_key.as_ref(), &old).map_err(|source| {
                RotateError::Value {
                    table: table.to_string(),
                    key: key.clone(),
                    source,
                }
            })?;
            keys.push(key);
            olds.push(old);
            news.push(new);
        }
        let updated = sqlx::query(&update)
            .bind(&keys)
            .bind(&olds)
            .bind(&news)
            .execute(pool)
            .await
            .map_err(db)?
            .rows_affected();
        report.batches += 1;
        report.rotated += updated;
        report.changed_meanwhile += keys.len() as u64 - updated;
    }
}

/// The value sealed again under the newest key; a legacy value (not an
/// envelope) is opened with the legacy key.
fn reseal(ring: &Keyring, legacy: Option<&Key>, old: &str) -> Result<String, SecretError> {
    if old.starts_with(&format!("{ENVELOPE_TAG}:")) {
        return ring.reseal(old);
    }
    let Some(legacy) = legacy else {
        return Err(SecretError::Malformed(
            "not an envelope, and no legacy key was given to open it",
        ));
    };
    let combined = STANDARD
        .decode(old.trim())
        .map_err(|_| SecretError::Malformed("a legacy value that is not base64"))?;
    let plain = open_combined(legacy, &combined)?;
    Ok(ring.seal(&plain))
}
