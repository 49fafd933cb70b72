//! `pgtenant secrets rotate`: re-encrypt a column's envelopes under the
//! newest key of `[database.secrets]`, with `pgtenant::secrets::rotate`
//! (batches keyed by the primary key, each its own short transaction, row
//! locks only; rows already under the newest key are skipped, so a run
//! stopped for any reason finishes when run again).
//!
//! Keys come from the environment variables the manifest names (the real
//! environment first, then `.env`). No key, plaintext or envelope is ever
//! printed: a value that does not open is named by its primary key.

use crate::context::Context;
use crate::db;
use crate::error::usage;
use crate::manifest::{read_dotenv, Database, Manifest, SecretKeys};
use crate::output::Report;
use anyhow::Result;
use pgtenant::secrets::rotate::{rotate_column, RotateError, RotateOptions};
use pgtenant::secrets::{Key, Keyring, SecretError};
use pgtenant::TableName;
use sqlx::postgres::PgPoolOptions;

#[derive(Debug, Clone, clap::Args)]
pub struct SecretsArgs {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Action {
    /// Re-encrypt every value of a column not yet under the newest key, in
    /// batches (resumable: run it again after an interruption).
    Rotate {
        #[arg(long, value_name = "NAME")]
        db: String,
        /// The table, `name` or `schema.name`; it needs a one-column primary key.
        #[arg(long, value_name = "TABLE")]
        table: String,
        /// The text column holding the envelopes.
        #[arg(long, value_name = "COLUMN")]
        column: String,
        /// Rows per batch (one transaction each).
        #[arg(long, value_name = "N", default_value_t = 500,
              value_parser = clap::value_parser!(i64).range(1..=100_000))]
        batch: i64,
    },
}

/// Read one key: the environment, then `.env`.
fn read_key(
    id: &str,
    var: &str,
    dotenv: &std::collections::BTreeMap<String, String>,
) -> Result<Key> {
    let key = match std::env::var_os(var) {
        Some(_) => Key::from_env(id, var),
        None => match dotenv.get(var) {
            Some(text) => Key::from_text(id, text),
            None => Err(SecretError::MissingKeyVar(var.to_owned())),
        },
    };
    key.map_err(|e| usage(format!("[database.secrets] key {id:?} (from {var}): {e}")))
}

/// The keyring (newest first) and the legacy key of `secrets`.
fn keys(manifest: &Manifest, secrets: &SecretKeys) -> Result<(Keyring, Option<Key>)> {
    let dotenv = read_dotenv(&manifest.dir.join(".env"))?;
    let mut iter = secrets.keys.iter();
    let newest = iter
        .next()
        .ok_or_else(|| usage("[database.secrets] lists no keys"))?;
    let mut ring = Keyring::new(read_key(&newest.id, &newest.env, &dotenv)?);
    for k in iter {
        ring = ring
            .with_older(read_key(&k.id, &k.env, &dotenv)?)
            .map_err(|e| usage(e.to_string()))?;
    }
    let legacy = secrets
        .legacy_env
        .as_deref()
        .map(|var| read_key("legacy", var, &dotenv))
        .transpose()?;
    Ok((ring, legacy))
}

fn secrets_of(db: &Database) -> Result<&SecretKeys> {
    db.secrets.as_ref().ok_or_else(|| {
        usage(format!(
            "database {} has no [database.secrets]; add one naming the keys, newest first: \
             secrets = {{ keys = [{{ id = \"k2\", env = \"APP_KEY_V2\" }}, {{ id = \"k1\", env = \"APP_KEY_V1\" }}] }}",
            db.name
        ))
    })
}

pub async fn run(ctx: &Context, args: &SecretsArgs) -> Result<Report> {
    let Action::Rotate {
        db,
        table,
        column,
        batch,
    } = &args.action;
    let manifest = ctx.manifest()?;
    let database = manifest
        .select(Some(db))?
        .first()
        .copied()
        .ok_or_else(|| usage(format!("no database {db} in the manifest")))?;
    let (ring, legacy_key) = keys(manifest, secrets_of(database)?)?;
    let admin = ctx.admin_url()?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(db::options(&admin.url, Some(&database.name), None)?)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot connect to {}: {e}",
                db::display_url(&admin.url, Some(&database.name), None)
            )
        })?;
    let target = TableName::parse(table);
    let options = RotateOptions {
        batch_size: *batch,
        legacy_key,
    };
    let result = rotate_column(&pool, &target, column, &ring, &options).await;
    pool.close().await;
    let newest = ring.newest().id().to_owned();
    let report = match result {
        Ok(r) => r,
        Err(e @ RotateError::Table { .. }) => return Err(usage(e.to_string())),
        Err(RotateError::Value { table, key, source }) => {
            return Err(anyhow::anyhow!(
                "row {key} of {table}: {source}\nthe rows before it are under key {newest}; \
                 restore that row's value (or add the key it names to [database.secrets]) and \
                 run the rotation again: it continues where it stopped"
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let mut human = format!(
        "{}: {target}.{column}: {} value{} re-encrypted under key {newest} in {} batch{}",
        database.name,
        report.rotated,
        if report.rotated == 1 { "" } else { "s" },
        report.batches,
        if report.batches == 1 { "" } else { "es" },
    );
    if report.rotated == 0 {
        human = format!(
            "{}: {target}.{column}: every value is already under key {newest}; nothing to do",
            database.name
        );
    }
    if report.changed_meanwhile > 0 {
        human.push_str(&format!(
            "\n{} row{} changed by another transaction meanwhile and left as written; run again to check them",
            report.changed_meanwhile,
            if report.changed_meanwhile == 1 { "" } else { "s" }
        ));
    }
    Ok(Report::ok(
        serde_json::json!({
            "command": "secrets rotate", "database": database.name,
            "table": target.to_string(), "column": column, "key": newest,
            "rotated": report.rotated, "batches": report.batches,
            "changed_meanwhile": report.changed_meanwhile,
        }),
        human,
    ))
}
