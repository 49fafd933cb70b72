//! `pgtenant bootstrap`.

use crate::context::Context;
use crate::output::Report;

#[derive(Debug, Clone, clap::Args)]
pub struct BootstrapArgs {}

pub async fn run(ctx: &Context, _args: &BootstrapArgs) -> anyhow::Result<Report> {
    let _ = ctx.manifest()?;
    anyhow::bail!("`pgtenant bootstrap` is not implemented yet")
}
