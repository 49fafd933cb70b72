//! `pgtenant distribute plan|lint --db NAME [--live]`: Citus readiness of a
//! tenancy database.
//!
//! The catalog is the desired schema (the schema folder, the modules and the
//! tenancy transform, in a shadow, as `codegen` and `check` read it) or with
//! `--live` the live database; the tenancy rules are the manifest's, with
//! the modules' tables as `check` sees them (crate::tenancy::for_database).
//! The analysis is pure: pgtenant_schema::distribute.
//!
//! - `plan` prints the Citus calls in order (the setting the tenant context
//!   needs, reference tables, the root, the colocated tenant tables), then the
//!   findings; it exits 0, and says first when blocking findings make the
//!   plan not runnable yet;
//! - `lint` prints the findings and exits 1 when any is blocking (for CI).
//!
//! A database with tenancy off has no tenant column to distribute by: a
//! usage error (exit 2).

use crate::catalogs;
use crate::context::Context;
use crate::error::{usage, ExitStatus};
use crate::output::Report;
use anyhow::Result;
use pgtenant_schema::distribute::{self, CallKind, DistributionPlan};
use std::fmt::Write as _;

#[derive(Debug, Clone, clap::Args)]
pub struct DistributeArgs {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Action {
    /// Print the Citus calls that distribute the database (reference tables,
    /// the tenants root, colocated tenant tables) and what blocks them.
    Plan(Target),
    /// Print what blocks distribution; exit 1 when anything does.
    Lint(Target),
}

#[derive(Debug, Clone, clap::Args)]
pub struct Target {
    /// The database (a `[[database]]` name of the manifest).
    #[arg(long, value_name = "NAME")]
    pub db: String,

    /// Read the live database instead of the schema folder.
    #[arg(long)]
    pub live: bool,
}

pub async fn run(ctx: &Context, args: &DistributeArgs) -> Result<Report> {
    let (target, lint) = match &args.action {
        Action::Plan(t) => (t, false),
        Action::Lint(t) => (t, true),
    };
    let manifest = ctx.manifest()?;
    let database = manifest.select(Some(&target.db))?[0];
    let Some(tenancy) = &database.tenancy else {
        return Err(usage(format!(
            "database {} has tenancy off: there is no tenant column to distribute it by; turn \
             tenancy on for it in the manifest, or plan a tenancy database",
            database.name
        )));
    };
    let rules = crate::tenancy::for_database(database, tenancy)?;
    let admin = ctx.admin_url()?;
    let catalog = if target.live {
        catalogs::live_raw(&admin.url, database).await?
    } else {
        catalogs::desired(&admin.url, database).await?.catalog
    };
    let plan = distribute::plan(&catalog, &rules, &database.name);
    let source = if target.live {
        "the live database"
    } else {
        "its schema folder"
    };
    let command = if lint {
        "distribute lint"
    } else {
        "distribute plan"
    };
    let json = serde_json::json!({
        "command": command,
        "database": database.name,
        "source": if target.live { "live" } else { "schema" },
        "runnable": plan.runnable(),
        "blocking": plan.blocking(),
        "warnings": plan.warnings(),
        "calls": plan.calls,
        "placements": plan.placements.iter().map(|(t, p)| serde_json::json!({"table": t, "placement": p})).collect::<Vec<_>>(),
        "findings": plan.findings,
    });
    let report = if lint {
        let status = if plan.runnable() {
            ExitStatus::Ok
        } else {
            ExitStatus::Failed
        };
        Report::ok(json, lint_text(&plan, &database.name, source)).with_status(status)
    } else {
        Report::ok(json, plan_text(&plan, &database.name, source))
    };
    Ok(report)
}

fn counts(plan: &DistributionPlan) -> String {
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    format!(
        "{}, {}",
        plural(plan.blocking(), "blocking finding", "blocking findings"),
        plural(plan.warnings(), "warning", "warnings")
    )
}

fn findings_text(plan: &DistributionPlan, out: &mut String) {
    for f in &plan.findings {
        for line in f.to_string().lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
}

/// The plan as SQL text (comments and statements), then the findings.
fn plan_text(plan: &DistributionPlan, database: &str, source: &str) -> String {
    let mut out = String::new();
    if plan.runnable() {
        let _ = writeln!(
            out,
            "-- distribute plan: database {database}, from {source}: no blocking findings ({})",
            counts(plan)
        );
    } else {
        let _ = writeln!(
            out,
            "-- distribute plan: database {database}, from {source}: NOT RUNNABLE YET: {} \
             (listed after the plan; `pgtenant distribute lint --db {database}` exits 1 until \
             they are fixed)",
            counts(plan)
        );
    }
    let _ = writeln!(
        out,
        "-- Checked against Citus's documented rules only; pgtenant has not run it on a Citus \
         cluster. Run on the coordinator, after CREATE EXTENSION citus and adding the workers."
    );
    let mut section = None;
    for call in &plan.calls {
        let is_root = call
            .table
            .as_ref()
            .is_some_and(|t| plan.placements.get(t) == Some(&distribute::Placement::Root));
        let heading = match (call.kind, !is_root) {
            (CallKind::Setting, _) => {
                "-- 1. The tenant context: SET LOCAL of the tenant (and user) settings reaches the \
                 workers only with this setting."
            }
            (CallKind::CreateReferenceTable, _) => {
                "-- 2. Global tables become reference tables (a copy on every node), referenced \
                 tables first."
            }
            (CallKind::CreateDistributedTable, false) => {
                "-- 3. The tenants root, distributed by its key."
            }
            (CallKind::CreateDistributedTable, true) => {
                "-- 4. Tenant tables, distributed by the tenant column and colocated with the \
                 root, referenced tables first."
            }
        };
        if section != Some(heading) {
            out.push('\n');
            let _ = writeln!(out, "{heading}");
            section = Some(heading);
        }
        let _ = writeln!(out, "{}", call.sql);
    }
    let unplaced: Vec<String> = plan
        .placements
        .iter()
        .filter(|(_, p)| **p == distribute::Placement::Unclassified)
        .map(|(t, _)| t.to_string())
        .collect();
    if !unplaced.is_empty() {
        let _ = writeln!(
            out,
            "\n-- Not placed (unclassified-table): {}",
            unplaced.join(", ")
        );
    }
    if !plan.findings.is_empty() {
        let _ = writeln!(out, "\nfindings ({}):", counts(plan));
        findings_text(plan, &mut out);
    }
    out
}

/// The findings, with a one-line verdict first.
fn lint_text(plan: &DistributionPlan, database: &str, source: &str) -> String {
    let mut out = String::new();
    if plan.runnable() {
        let _ = writeln!(
            out,
            "distribute lint: database {database}, from {source}: ready for Citus ({}); see \
             `pgtenant distribute plan --db {database}`",
            counts(plan)
        );
    } else {
        let _ = writeln!(
            out,
            "distribute lint: database {database}, from {source}: not ready for Citus: {}",
            counts(plan)
        );
    }
    findings_text(plan, &mut out);
    out
}
