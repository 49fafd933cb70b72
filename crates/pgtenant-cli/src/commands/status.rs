//! `pgtenant status`: per database, each migration applied (when, how
//! long) / pending / out of order / checksum changed / missing file /
//! partially applied. Reads the journal; takes no lock, changes nothing.

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
    /// Also compare the live database with its migrations, and schema/ with
    /// the migrations (two shadow databases; as `pgtenant check` does).
    #[arg(long)]
    pub drift: bool,
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
        let count =
            |f: &dyn Fn(&State) -> bool| status.entries.iter().filter(|e| f(&e.state)).count();
        let pending = count(&|s| {
            matches!(
                s,
                State::Pending | State::OutOfOrder | State::Partial { .. }
            )
        });
        let problems = count(&|s| {
            matches!(
                s,
                State::ChecksumChanged { .. } | State::MissingFile | State::OutOfOrder
            )
        });
        let head = format!(
            "{}: {} applied, {pending} pending{}",
            database.name,
            count(&|s| matches!(s, State::Applied)),
            if problems > 0 {
                format!(", {problems} need attention")
            } else {
                String::new()
            }
        );
        human.push(if status.entries.is_empty() {
            format!("{head} (no migrations)")
        } else {
            format!("{head}\n{}", table.render(2))
        });
        let mut drift_json = serde_json::Value::Null;
        if args.drift {
            let (findings, j) = super::check::check_database(ctx, database)
                .await
                .with_context(|| format!("checking drift of database {}", database.name))?;
            let drift: Vec<&String> = findings
                .iter()
                .filter(|f| !f.starts_with("migration "))
                .collect();
            if let Some(last) = human.last_mut() {
                if !last.ends_with('\n') {
                    last.push('\n');
                }
                if drift.is_empty() {
                    last.push_str("  no drift: the live database matches its migrations, schema/ is generated\n");
                } else {
                    for f in drift {
                        last.push_str(&format!("  {}\n", f.replace('\n', "\n    ")));
                    }
                }
            }
            drift_json = j;
        }
        json.push(serde_json::json!({
            "name": database.name,
            "drift": drift_json,
            "journal": status.journal_exists,
            "pending": pending,
            "problems": problems,
            "migrations": rows,
        }));
    }
    Ok(Report::ok(
        serde_json::json!({"command": "status", "databases": json}),
        human.join("\n"),
    ))
}
