//! The drift of a managed database: the differences between its three
//! catalogs (`catalogs.rs`), and how `check` and `status` show them.

use crate::catalogs::{self, from_migrations, Replay};
use crate::manifest::Database;
use anyhow::Result;
use pgtenant::migrate::MigrationFile;
use pgtenant_schema::{diff, Catalog, Plan};
use std::fmt::Write as _;

/// Differences between the three catalogs of one database.
#[derive(Debug, Clone)]
pub struct Drift {
    /// `diff(from applied migrations, live)`: what was changed by hand.
    /// `None` when the database does not exist.
    pub live: Option<Plan>,
    /// `diff(from all migrations, desired)`: what `generate` would write.
    /// `None` when the database has no schema folder (migrations written by
    /// hand).
    pub schema: Option<Plan>,
}

impl Drift {
    pub fn is_clean(&self) -> bool {
        self.schema.as_ref().is_none_or(Plan::is_empty)
            && self.live.as_ref().is_none_or(Plan::is_empty)
    }
}

/// The drift of `db`: the live database against what its applied
/// migrations produce, and the schema folder against what all migrations
/// produce. `applied` is the applied versions (`None`: no journal).
/// `live` is the live catalog as a schema, or `None` when the database does
/// not exist. Shadows load concurrently and are dropped.
pub async fn drift(
    admin_url: &str,
    db: &Database,
    files: &[MigrationFile],
    applied: &[i64],
    live: Option<&Catalog>,
) -> Result<Drift> {
    let all_applied = files.iter().all(|f| applied.contains(&f.version));
    if !db.schema_dir.exists() {
        let live = match live {
            Some(l) => {
                let replay = if all_applied {
                    Replay::All
                } else {
                    Replay::Versions(applied)
                };
                Some(diff(
                    &from_migrations(admin_url, db, files, replay).await?,
                    l,
                    &[],
                ))
            }
            None => None,
        };
        return Ok(Drift { live, schema: None });
    }
    let (all, desired, applied_only) = if all_applied || live.is_none() {
        let (all, desired) = tokio::join!(
            from_migrations(admin_url, db, files, Replay::All),
            catalogs::desired(admin_url, db)
        );
        (all?, desired?, None)
    } else {
        let (all, desired, applied_only) = tokio::join!(
            from_migrations(admin_url, db, files, Replay::All),
            catalogs::desired(admin_url, db),
            from_migrations(admin_url, db, files, Replay::Versions(applied))
        );
        (all?, desired?, Some(applied_only?))
    };
    let schema = Some(diff(&all, &desired.catalog, &desired.renames));
    let live = live.map(|l| {
        let base = applied_only.as_ref().unwrap_or(&all);
        diff(base, l, &[])
    });
    Ok(Drift { live, schema })
}

/// The drift of a database whose journal `status` has read (for `status`).
pub async fn drift_of(
    admin_url: &str,
    db: &Database,
    status: &pgtenant::migrate::StatusReport,
) -> Result<Drift> {
    let applied: Vec<i64> = status
        .entries
        .iter()
        .filter(|e| e.applied.is_some() && e.file.is_some())
        .map(|e| e.version)
        .collect();
    let raw = catalogs::live_raw(admin_url, db).await?;
    let live = catalogs::live_schema(db, &raw);
    drift(admin_url, db, &status.files, &applied, Some(&live)).await
}

fn indent(sql: &str, by: &str) -> String {
    sql.lines()
        .map(|l| format!("{by}{l}\n"))
        .collect::<String>()
}

/// The drift as text lines (`check`, `status`).
pub fn drift_lines(db: &str, exists: bool, drift: &Drift) -> String {
    let mut out = String::new();
    match &drift.live {
        None if !exists => out.push_str("  live: the database does not exist (not checked)\n"),
        None => {}
        Some(p) if p.is_empty() => {
            out.push_str("  live: matches the applied migrations\n");
        }
        Some(p) => {
            let _ = writeln!(
                out,
                "  live: DRIFTED from the applied migrations ({} difference(s)); these statements would make the migrations' result match the live database:",
                p.steps.len()
            );
            out.push_str(&indent(&p.to_sql(), "    "));
        }
    }
    match &drift.schema {
        None => out.push_str("  schema: no schema folder (not compared)\n"),
        Some(p) if p.is_empty() => out.push_str("  schema: every change is in a migration\n"),
        Some(p) => {
            let _ = writeln!(
                out,
                "  schema: {} change(s) not in a migration yet; run `pgtenant generate --db {db} --name <name>`:",
                p.steps.len()
            );
            out.push_str(&indent(&p.to_sql(), "    "));
        }
    }
    out
}

/// The drift as JSON (`check`, `status`).
pub fn drift_json(drift: &Drift) -> serde_json::Value {
    serde_json::json!({
        "live": drift.live.as_ref().map(|p| serde_json::json!({
            "drifted": !p.is_empty(),
            "sql": p.to_sql(),
        })),
        "schema": drift.schema.as_ref().map(|p| serde_json::json!({
            "ungenerated": !p.is_empty(),
            "sql": p.to_sql(),
        })),
    })
}
