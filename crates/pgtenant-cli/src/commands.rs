//! One module per command; each exposes an args struct (clap derive) and
//! `pub async fn run(ctx: &Context, args: &XArgs) -> anyhow::Result<Report>`.
//! A command never imports another command, except `up` and `reset`,
//! which compose them; shared code lives in the crate's other modules.

pub mod access;
pub mod audit;
pub mod backup;
pub mod bootstrap;
pub mod check;
pub mod codegen;
pub mod diff;
pub mod distribute;
pub mod doctor;
pub mod flags;
pub mod generate;
pub mod import;
pub mod init;
pub mod inspect;
pub mod migrate;
pub mod new;
pub mod nuke;
pub mod push;
pub mod reset;
pub mod restore;
pub mod rollback;
pub mod secrets;
pub mod seed;
pub mod soft_delete;
pub mod status;
pub mod studio;
pub mod tenant;
pub mod up;
pub mod verify;
