//! `pgtenant verify [--db NAME]`: prove tenant isolation on the live
//! databases (the engine is `pgtenant::verify`). Exit 1 when any error
//! finding or failed check remains; databases with tenancy off are listed
//! and skipped. Checks that were proven are summarised per table; `-v`
//! lists every one. A database with modules also has its modules' tables
//! checked: each self-policed one under row level security with its
//! policies, the service role holding exactly the modules' privileges.

use crate::context::Context;
use crate::db::{self, Login};
use crate::error::ExitStatus;
use crate::output::Report;
use anyhow::{Context as _, Result};
use pgtenant::verify::{verify, Detail, VerifyTarget};
use serde::Serialize;
use sqlx::Connection;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct VerifyArgs {
    /// Only this database of the manifest.
    #[arg(long, value_name = "NAME")]
    pub db: Option<String>,

    /// Exit 0 even when some table could not be probed (its isolation is
    /// then not proven; the report still names it and why).
    #[arg(long)]
    pub allow_unproven: bool,
}

#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum DatabaseResult {
    /// Tenancy is off: nothing to verify.
    Skipped { name: String, reason: String },
    /// Tenancy is off, but the database has modules: their tables and
    /// privileges are checked.
    ModulesOnly {
        name: String,
        passed: bool,
        module_problems: Vec<String>,
    },
    Verified {
        passed: bool,
        /// What is wrong with the modules' tables and privileges.
        module_problems: Vec<String>,
        /// Passed, and no table is unproven.
        proven: bool,
        #[serde(flatten)]
        report: pgtenant::verify::Report,
    },
}

pub async fn run(ctx: &Context, args: &VerifyArgs) -> Result<Report> {
    let manifest = ctx.manifest()?;
    let admin = ctx.admin_url()?;
    let databases = manifest.select(args.db.as_deref())?;
    let mut results = Vec::new();
    let mut human = String::new();
    for database in databases {
        let Some(tenancy) = &database.tenancy else {
            if !database.modules.is_empty() {
                let mut conn = db::connect(&admin.url, Some(&database.name), None).await?;
                let module_problems = crate::modules::problems(&mut conn, database).await?;
                let _ = conn.close().await;
                human.push_str(&format!(
                    "database {}: tenancy is off; its modules' tables:\n{}\n",
                    database.name,
                    modules_line(database, &module_problems)?
                ));
                results.push(DatabaseResult::ModulesOnly {
                    name: database.name.clone(),
                    passed: module_problems.is_empty(),
                    module_problems,
                });
                continue;
            }
            human.push_str(&format!(
                "database {}: tenancy is off, nothing to verify\n\n",
                database.name
            ));
            results.push(DatabaseResult::Skipped {
                name: database.name.clone(),
                reason: "tenancy is off".to_owned(),
            });
            continue;
        };
        let cfg = crate::tenancy::for_database(database, tenancy)?;
        ctx.progress(format_args!("verifying {}", database.name));
        let mut conn = db::connect(&admin.url, Some(&database.name), None).await?;
        let catalog = pgtenant_schema::introspect(&mut conn)
            .await
            .with_context(|| format!("reading the schema of database {}", database.name))?;
        let module_problems = crate::modules::problems(&mut conn, database).await?;
        let _ = conn.close().await;
        let login = Login {
            user: &database.service_role.name,
            password: database.service_role.password.expose(),
        };
        let target = VerifyTarget {
            admin: db::options(&admin.url, Some(&database.name), None)?,
            service: db::options(&admin.url, Some(&database.name), Some(login))?,
            service_role: database.service_role.name.clone(),
        };
        let report = verify(&target, &catalog, &cfg)
            .await
            .with_context(|| format!("verifying database {}", database.name))?;
        let detail = if ctx.verbose() > 0 {
            Detail::Every
        } else {
            Detail::Summary
        };
        human.push_str(&report.render_with(detail));
        human.push_str(&modules_line(database, &module_problems)?);
        human.push('\n');
        results.push(DatabaseResult::Verified {
            passed: report.passed() && module_problems.is_empty(),
            proven: report.proven(),
            module_problems,
            report,
        });
    }
    let (mut failed, mut unproven): (Vec<&str>, Vec<String>) = (Vec::new(), Vec::new());
    for r in &results {
        match r {
            DatabaseResult::Verified { passed, report, .. } => {
                if !passed {
                    failed.push(report.database.as_str());
                }
                unproven.extend(
                    report
                        .unproven()
                        .iter()
                        .map(|f| format!("{} in {}", f.object, report.database)),
                );
            }
            DatabaseResult::ModulesOnly { passed, name, .. } if !passed => {
                failed.push(name.as_str());
            }
            _ => {}
        }
    }
    let unproven_line = || {
        format!(
            "{} table(s) unproven: {}",
            unproven.len(),
            unproven.join(", ")
        )
    };
    human.push_str(&if !failed.is_empty() {
        format!("verify: isolation NOT proven in {}", failed.join(", "))
    } else if unproven.is_empty() {
        "verify: tenant isolation proven".to_owned()
    } else if args.allow_unproven {
        format!(
            "verify: no failure, but {} (accepted with --allow-unproven)",
            unproven_line()
        )
    } else {
        format!(
            "verify: isolation NOT proven: {}; pass --allow-unproven to accept them",
            unproven_line()
        )
    });
    let failed_run = !failed.is_empty() || (!unproven.is_empty() && !args.allow_unproven);
    let report = Report::ok(
        serde_json::json!({ "command": "verify", "databases": results }),
        human,
    );
    Ok(if !failed_run {
        report
    } else {
        report.with_status(ExitStatus::Failed)
    })
}

/// The modules' line of a database's report (empty without modules).
fn modules_line(database: &crate::manifest::Database, problems: &[String]) -> Result<String> {
    let modules = crate::modules::of(database)?;
    if modules.is_empty() {
        return Ok(String::new());
    }
    let names: Vec<&str> = modules.iter().map(|m| m.name).collect();
    let tables = crate::modules::self_policed_tables(database)?.len();
    let kind = if database.tenancy.is_some() {
        "tenant "
    } else {
        ""
    };
    Ok(if problems.is_empty() {
        format!(
            "  ok      modules {}: {tables} {kind}table(s) under their own policies; the service role holds exactly the modules' privileges\n",
            names.join(", ")
        )
    } else {
        format!(
            "  FAIL    modules {}: {}\n",
            names.join(", "),
            problems.join("; ")
        )
    })
}
