//! `pgtenant up`.

use crate::context::Context;
use crate::output::Report;

#[derive(Debug, Clone, clap::Args)]
pub struct UpArgs {}

pub async fn run(ctx: &Context, _args: &UpArgs) -> anyhow::Result<Report> {
    let _ = ctx.manifest()?;
    anyhow::bail!("`pgtenant up` is not implemented yet")
}
