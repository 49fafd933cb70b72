//! `pgtenant up`: the one command. Runs its steps in order and stops at the
//! first that does not succeed. Each step is a command with its default
//! arguments; to add one, insert it in [`STEPS`] and [`run_step`].

use crate::context::Context;
use crate::error::ExitStatus;
use crate::output::Report;
use anyhow::{Context as _, Result};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct UpArgs {
    /// Load the demo seeds too (as SEED_DEMO_OK=true does).
    #[arg(long)]
    pub demo: bool,
}

/// The pipeline, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Databases, roles, grants.
    Bootstrap,
    /// Pending migrations of every database.
    Migrate,
    /// Bootstrap again: the grants on schemas the migrations created.
    Grants,
    /// Setup seeds of every database.
    SeedSetup,
    /// Demo seeds, when allowed (SEED_DEMO_OK=true or --demo).
    SeedDemo,
    /// The final health report.
    Doctor,
}

const STEPS: &[Step] = &[
    Step::Bootstrap,
    Step::Migrate,
    Step::Grants,
    Step::SeedSetup,
    Step::SeedDemo,
    Step::Doctor,
];

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Bootstrap => "bootstrap",
            Step::Migrate => "migrate",
            Step::Grants => "grants",
            Step::SeedSetup => "seed setup",
            Step::SeedDemo => "seed demo",
            Step::Doctor => "doctor",
        }
    }
}

fn demo_consent(args: &UpArgs) -> pgtenant::seed::DemoConsent {
    if args.demo {
        pgtenant::seed::DemoConsent::Given
    } else {
        pgtenant::seed::DemoConsent::from_env()
    }
}

async fn run_step(ctx: &Context, step: Step, args: &UpArgs) -> Result<Report> {
    use super::*;
    match step {
        // Before migrate, a table the grant rules name may still be to come;
        // the grants step after it checks every name.
        Step::Bootstrap => {
            let args = bootstrap::BootstrapArgs {
                unknown_tables: bootstrap::UnknownTables::Later,
                ..bootstrap::BootstrapArgs::default()
            };
            bootstrap::run(ctx, &args).await
        }
        Step::Grants => bootstrap::run(ctx, &bootstrap::BootstrapArgs::default()).await,
        Step::Migrate => migrate::run(ctx, &migrate::MigrateArgs::default()).await,
        Step::SeedSetup => {
            seed::run(
                ctx,
                &seed::SeedArgs {
                    kind: seed::Kind::Setup,
                    db: None,
                    yes: false,
                },
            )
            .await
        }
        Step::SeedDemo => match demo_consent(args) {
            pgtenant::seed::DemoConsent::Given => {
                seed::run(
                    ctx,
                    &seed::SeedArgs {
                        kind: seed::Kind::Demo,
                        db: None,
                        yes: true,
                    },
                )
                .await
            }
            pgtenant::seed::DemoConsent::NotGiven => Ok(Report::ok(
                serde_json::json!({"command": "seed", "kind": "demo", "skipped": true}),
                "demo seeds: skipped (set SEED_DEMO_OK=true or pass --demo to load them)",
            )),
        },
        Step::Doctor => doctor::run(ctx, &doctor::DoctorArgs::default()).await,
    }
}

pub async fn run(ctx: &Context, args: &UpArgs) -> Result<Report> {
    let mut json_steps = Vec::new();
    let mut human = String::new();
    let mut status = ExitStatus::Ok;
    for &step in STEPS {
        ctx.progress(format_args!("==> {}", step.name()));
        let report = run_step(ctx, step, args)
            .await
            .with_context(|| format!("up: step {}", step.name()))?;
        json_steps.push(serde_json::json!({"step": step.name(), "ok": report.status == ExitStatus::Ok, "report": report.json}));
        if !human.is_empty() {
            human.push_str("\n\n");
        }
        human.push_str(report.human.trim_end());
        if report.status != ExitStatus::Ok {
            status = report.status;
            break;
        }
    }
    Ok(Report::ok(
        serde_json::json!({"command": "up", "steps": json_steps}),
        human,
    )
    .with_status(status))
}
