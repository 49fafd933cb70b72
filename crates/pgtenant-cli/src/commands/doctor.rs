//! `pgtenant doctor`.

use crate::context::Context;
use crate::output::Report;

#[derive(Debug, Clone, clap::Args)]
pub struct DoctorArgs {}

pub async fn run(ctx: &Context, _args: &DoctorArgs) -> anyhow::Result<Report> {
    let _ = ctx.manifest()?;
    anyhow::bail!("`pgtenant doctor` is not implemented yet")
}
