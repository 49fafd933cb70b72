//! `pgtenant check [--db NAME]`: the CI gate. Per database it fails (exit 1)
//! when
//!
//! - a migration is modified after it was applied, missing from disk,
//!   partially applied or older than the newest applied one but not applied
//!   (the migrate runner's history check);
//! - the live database drifted from what its applied migrations produce
//!   (the differences are printed as SQL);
//! - the schema folder has changes no migration holds yet;
//! - the tenancy lints report an error.
//!
//! Pending migrations and lint warnings are reported, not failed. A
//! database that does not exist yet is checked without its live part.

use crate::catalogs;
use crate::context::Context;
use crate::db;
use crate::drift::{drift_json, drift_lines, Drift};
use crate::error::ExitStatus;
use crate::manifest::Database;
use crate::output::Report;
use anyhow::{Context as _, Result};
use pgtenant::migrate::{Entry, State};
use pgtenant_schema::finding::{Finding, Severity};
use pgtenant_schema::lint::{lint, RoleFacts};
use serde::Serialize;
use std::fmt::Write as _;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct CheckArgs {
    /// Check only this database (default: every database of the manifest).
    #[arg(long, value_name = "NAME")]
    pub db: Option<String>,
}

/// One migration the history check objects to.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryProblem {
    pub version: i64,
    pub name: String,
    #[serde(flatten)]
    pub state: State,
    pub message: String,
}

/// Everything `check` (and the drift lines of `status`) knows about one
/// database.
#[derive(Debug, Clone)]
pub struct DatabaseCheck {
    pub name: String,
    /// False when the database does not exist on the server.
    pub exists: bool,
    pub applied: usize,
    pub pending: Vec<i64>,
    pub problems: Vec<HistoryProblem>,
    pub drift: Drift,
    pub findings: Vec<Finding>,
}

impl DatabaseCheck {
    pub fn failed(&self) -> bool {
        !self.problems.is_empty()
            || !self.drift.is_clean()
            || self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

fn problem_of(e: &Entry, file: Option<String>) -> Option<HistoryProblem> {
    let file = file.unwrap_or_else(|| format!("{}_{}.sql", e.version, e.name));
    let message = match &e.state {
        State::Applied | State::Pending => return None,
        State::ChecksumChanged { .. } => format!(
            "{file} was edited after it was applied; restore the applied text, or accept the edit with `pgtenant migrate --reapprove {}`",
            e.version
        ),
        State::MissingFile => format!(
            "migration {} ({}) is applied but its file is missing; restore it from version control",
            e.version, e.name
        ),
        State::OutOfOrder => format!(
            "{file} is older than the newest applied migration but was never applied; give it a newer version, or apply it with `pgtenant migrate --allow-out-of-order`"
        ),
        State::Partial {
            steps_done,
            steps_total,
        } => format!(
            "{file} is partially applied ({steps_done} of {steps_total} statements); finish it with `pgtenant migrate`"
        ),
    };
    Some(HistoryProblem {
        version: e.version,
        name: e.name.clone(),
        state: e.state.clone(),
        message,
    })
}

/// Check one database: history, drift, lints.
pub async fn check_database(admin_url: &str, db: &Database) -> Result<DatabaseCheck> {
    let files = catalogs::migration_files(db)?;
    let exists = catalogs::database_exists(admin_url, &db.name).await?;
    let mut check = DatabaseCheck {
        name: db.name.clone(),
        exists,
        applied: 0,
        pending: Vec::new(),
        problems: Vec::new(),
        drift: Drift {
            live: None,
            schema: None,
        },
        findings: Vec::new(),
    };
    let mut applied_versions = Vec::new();
    let mut live_raw = None;
    if exists {
        let options = db::options(admin_url, Some(&db.name), None)?;
        let status = pgtenant::migrate::status(&options, &db.migrations_dir)
            .await
            .with_context(|| format!("reading the migrations journal of database {}", db.name))?;
        for e in &status.entries {
            if e.applied.is_some() && e.file.is_some() {
                applied_versions.push(e.version);
            }
            match e.state {
                State::Applied => check.applied += 1,
                State::Pending => check.pending.push(e.version),
                _ => {}
            }
            let file = e.file.map(|i| status.files[i].display());
            check.problems.extend(problem_of(e, file));
        }
        live_raw = Some(catalogs::live_raw(admin_url, db).await?);
    }
    let live = live_raw.as_ref().map(|raw| catalogs::live_schema(db, raw));
    check.drift =
        crate::drift::drift(admin_url, db, &files, &applied_versions, live.as_ref()).await?;
    if let Some(t) = &db.tenancy {
        let cfg = crate::tenancy::for_database(db, t)?;
        check.findings = match &live_raw {
            Some(raw) => {
                let roles = service_role_facts(admin_url, db).await?;
                lint(raw, &cfg, &roles)
            }
            None if db.schema_dir.exists() => {
                let desired = catalogs::desired(admin_url, db).await?;
                lint(&desired.catalog, &cfg, &RoleFacts::default())
            }
            None => Vec::new(),
        };
    }
    Ok(check)
}

/// The service role and the roles it belongs to (for the ownership
/// lints); a role bootstrap has not created yet belongs to none.
async fn service_role_facts(admin_url: &str, db: &Database) -> Result<RoleFacts> {
    use sqlx::Connection as _;
    let role = db.service_role.name.clone();
    let mut conn = db::connect(admin_url, Some(&db.name), None).await?;
    let info = pgtenant::verify::role_info(&mut conn, &role).await;
    let _ = conn.close().await;
    let member_of = match info {
        Ok(info) => info.member_of,
        Err(pgtenant::verify::VerifyError::NoServiceRole(_)) => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("reading the memberships of role {role}")),
    };
    Ok(RoleFacts {
        service_role: Some(role),
        member_of,
    })
}

pub async fn run(ctx: &Context, args: &CheckArgs) -> Result<Report> {
    let manifest = ctx.manifest()?;
    let dbs = manifest.select(args.db.as_deref())?;
    let admin = ctx.admin_url()?;
    let mut human = String::new();
    let mut json_dbs = Vec::new();
    let mut failed = false;
    for db in dbs {
        ctx.progress(format_args!("checking {}", db.name));
        let c = check_database(&admin.url, db)
            .await
            .with_context(|| format!("checking database {}", db.name))?;
        failed |= c.failed();
        let _ = writeln!(
            human,
            "{}: {}",
            c.name,
            if c.failed() { "FAILED" } else { "ok" }
        );
        if c.exists {
            let _ = writeln!(
                human,
                "  migrations: {} applied, {} pending",
                c.applied,
                c.pending.len()
            );
        }
        for p in &c.problems {
            let _ = writeln!(human, "  migration: {}", p.message);
        }
        human.push_str(&drift_lines(&c.name, c.exists, &c.drift));
        for f in &c.findings {
            let _ = writeln!(
                human,
                "  lint {} {} ({}): {}",
                f.severity, f.code, f.object, f.message
            );
        }
        json_dbs.push(serde_json::json!({
            "name": c.name,
            "ok": !c.failed(),
            "exists": c.exists,
            "applied": c.applied,
            "pending": c.pending,
            "problems": c.problems,
            "drift": drift_json(&c.drift),
            "findings": c.findings,
        }));
    }
    let status = if failed {
        ExitStatus::Failed
    } else {
        ExitStatus::Ok
    };
    Ok(Report::ok(
        serde_json::json!({"command": "check", "databases": json_dbs}),
        human,
    )
    .with_status(status))
}
