//! `pgtenant nuke`.

use crate::context::Context;
use crate::output::Report;

#[derive(Debug, Clone, clap::Args)]
pub struct NukeArgs {}

pub async fn run(ctx: &Context, _args: &NukeArgs) -> anyhow::Result<Report> {
    let _ = ctx.manifest()?;
    anyhow::bail!("`pgtenant nuke` is not implemented yet")
}
