//! `pgtenant up`: the one command. Runs its steps in order and stops at the
//! first that does not succeed. Each step is a command with its default
//! arguments; to add one, insert it in [`STEPS`] and [`run_step`].

use crate::context::Context;
use crate::error::ExitStatus;
use crate::output::Report;
use anyhow::{Context as _, Result};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct UpArgs {}

/// The pipeline, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Databases, roles, grants.
    Bootstrap,
    // Migrate and seed setup go here, between bootstrap and doctor.
    /// The final health report.
    Doctor,
}

const STEPS: &[Step] = &[Step::Bootstrap, Step::Doctor];

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Bootstrap => "bootstrap",
            Step::Doctor => "doctor",
        }
    }
}

async fn run_step(ctx: &Context, step: Step) -> Result<Report> {
    use super::*;
    match step {
        Step::Bootstrap => bootstrap::run(ctx, &bootstrap::BootstrapArgs::default()).await,
        Step::Doctor => doctor::run(ctx, &doctor::DoctorArgs::default()).await,
    }
}

pub async fn run(ctx: &Context, _args: &UpArgs) -> Result<Report> {
    let mut json_steps = Vec::new();
    let mut human = String::new();
    let mut status = ExitStatus::Ok;
    for &step in STEPS {
        ctx.progress(format_args!("==> {}", step.name()));
        let report = run_step(ctx, step)
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
