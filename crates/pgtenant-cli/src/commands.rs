//! One module per command; each exposes an args struct (clap derive) and
//! `pub async fn run(ctx: &Context, args: &XArgs) -> anyhow::Result<Report>`.

pub mod bootstrap;
pub mod doctor;
pub mod nuke;
pub mod up;
pub mod verify;
