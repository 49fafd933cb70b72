//! `pgtenant status`: per database, each migration applied (when, how
//! long) / pending / out of order / checksum changed / missing file /
//! partially applied. Reads the journal; takes no lock, changes nothing.
//! Then the drift: whether the live database differs from what its applied
//! migrations produce, and whether `schema/` has changes no migration holds
//! (both computed on shadow databases, see `catalogs.rs` and `drift.rs`).

use crate::context::Context;
use crate::db;
use crate::output::{Report, Table};
use anyhow::{Context as _, Result};
use pgtenant::migrate::{self, State};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct StatusArgs {
    /// Only this database of the manifest.
    #[arg(long, value_name = "NAME")]
    pub db: Option<String>,
}

fn state_text(s: &State) -> String {
    match s {
        State::Applied => "applied".into(),
        State::Pending => "pending".into(),
        State::OutOfOrder => "pending, out of order".into(),
        State::ChecksumChanged { .. } => "checksum changed".into(),
        State::MissingFile => "missing file".into(),
        State::Partial {
            steps_done,
            steps_total,
        } => format!("partial ({steps_done}/{steps_total} statements)"),
    }
}

/// How many migrations are applied, pending, and need attention: the one
/// reading of a status report (`status` and the studio's project page).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub applied: usize,
    /// Pending, out of order, or partially applied.
    pub pending: usize,
    /// Checksum changed, missing file, or out of order.
    pub problems: usize,
}

pub fn counts(status: &migrate::StatusReport) -> Counts {
    let count = |f: &dyn Fn(&State) -> bool| status.entries.iter().filter(|e| f(&e.state)).count();
    Counts {
        applied: count(&|s| matches!(s, State::Applied)),
        pending: count(&|s| {
            matches!(
                s,
                State::Pending | State::OutOfOrder | State::Partial { .. }
            )
        }),
        problems: count(&|s| {
            matches!(
                s,
                State::ChecksumChanged { .. } | State::MissingFile | State::OutOfOrder
            )
        }),
    }
}

pub async fn run(ctx: &Context, args: &StatusArgs) -> Result<Report> {
    let manifest = ctx.manifest()?;
    let admin = ctx.admin_url()?;
    let mut json = Vec::new();
    let mut human = Vec::new();
    for database in manifest.select(args.db.as_deref())? {
        let connect = db::options(&admin.url, Some(&database.name), None)?;
        let status = migrate::status(&connect, &database.migrations_dir)
            .await
            .with_context(|| format!("reading the journal of database {}", database.name))?;
        let mut table = Table::new(["version", "name", "state", "applied at", "took"]);
        let mut rows = Vec::new();
        for e in &status.entries {
            let applied = e.applied.as_ref();
            table.row([
                e.version.to_string(),
                e.name.clone(),
                state_text(&e.state),
                applied
                    .map(|a| a.applied_at.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                    .unwrap_or_default(),
                applied
                    .map(|a| format!("{} ms", a.duration_ms))
                    .unwrap_or_default(),
            ]);
            rows.push(serde_json::json!({
                "version": e.version,
                "name": e.name,
                "state": e.state,
                "file": e.file.map(|i| status.files[i].display()),
                "applied_at": applied.map(|a| a.applied_at),
                "duration_ms": applied.map(|a| a.duration_ms),
                "applied_by": applied.map(|a| a.applied_by.clone()),
            }));
        }
        let Counts {
            applied,
            pending,
            problems,
        } = counts(&status);
        let head = format!(
            "{}: {} applied, {pending} pending{}",
            database.name,
            applied,
            if problems > 0 {
                format!(", {problems} need attention")
            } else {
                String::new()
            }
        );
        let drift = crate::drift::drift_of(&admin.url, database, &status)
            .await
            .with_context(|| format!("comparing the schemas of database {}", database.name))?;
        let drift_text = crate::drift::drift_lines(&database.name, true, &drift);
        human.push(if table.is_empty() {
            format!("{head} (no migrations)\n{drift_text}")
        } else {
            format!("{head}\n{}{drift_text}", table.render(2))
        });
        json.push(serde_json::json!({
            "name": database.name,
            "journal": status.journal_exists,
            "pending": pending,
            "problems": problems,
            "migrations": rows,
            "drift": crate::drift::drift_json(&drift),
        }));
    }
    Ok(Report::ok(
        serde_json::json!({"command": "status", "databases": json}),
        human.join("\n"),
    ))
}
