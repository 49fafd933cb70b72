//! The `pgtenant` command-line tool.
//!
//! This file only declares the command line and dispatches; each command
//! lives in `commands/<name>.rs` and returns a [`output::Report`].
//! To add a command: a variant in [`Command`] and a line in [`dispatch`].

mod catalogs;
mod commands;
mod context;
mod db;
mod drift;
mod error;
mod manifest;
mod modules;
mod new_file;
mod output;
mod pgtool;
mod pgurl;
mod plans;
mod progress;
mod scram;
mod tenancy;

use clap::{Parser, Subcommand};
use context::{Context, GlobalArgs};
use output::Report;
use std::process::ExitCode;

/// A complete, secure multi-tenant PostgreSQL foundation.
#[derive(Debug, Parser)]
#[command(name = "pgtenant", version, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// What the rbac module decides for a user in a tenant: explain one
    /// permission (exit 1 when not allowed) or list the effective ones.
    Access(commands::access::AccessArgs),
    /// The audit module's log: verify every tenant's hash chain (exit 1 on
    /// an edited, deleted or reordered row).
    Audit(commands::audit::AuditArgs),
    /// Create the project's databases, service roles and grants (idempotent).
    Bootstrap(commands::bootstrap::BootstrapArgs),
    /// pg_dump each database (custom format) into backups/<db>-<UTC time>.dump.
    Backup(commands::backup::BackupArgs),
    /// Types for a database's tables and enums, from its schema folder or the
    /// live database: Rust (sqlx::FromRow structs, sqlx::Type enums) or, with
    /// --lang ts, TypeScript with zod schemas and withTenant.
    Codegen(commands::codegen::CodegenArgs),
    /// Print the plan (SQL with hazard comments) from one schema to another.
    Diff(commands::diff::DiffArgs),
    /// Citus readiness: the calls that distribute a tenancy database by its
    /// tenant column (plan), and what blocks them (lint: exit 1 when anything does).
    Distribute(commands::distribute::DistributeArgs),
    /// Check connections, roles, tables, row counts and RLS of every database.
    Doctor(commands::doctor::DoctorArgs),
    /// Print the catalog of a schema: a folder of .sql files, a .sql file
    /// or a postgres:// URL (summary, or the whole catalog with --json).
    Inspect(commands::inspect::InspectArgs),
    /// Translate another tool's migration folder (drizzle-kit, Prisma) into
    /// pgtenant migrations, in order, SQL kept byte for byte.
    Import(commands::import::ImportArgs),
    /// Scaffold a new project: manifest, schema, migrations, seeds, .env.example.
    Init(commands::init::InitArgs),
    /// CI gate: fail on drift, ungenerated schema changes, edited or missing
    /// migrations, tenancy lint errors.
    Check(commands::check::CheckArgs),
    /// The flags module: list definitions (and a tenant's values, with why),
    /// set or unset a tenant's override.
    Flags(commands::flags::FlagsArgs),
    /// Rows kept by `soft_delete` tables: restore one, or purge those
    /// deleted long enough ago.
    #[command(name = "soft-delete")]
    SoftDelete(commands::soft_delete::SoftDeleteArgs),
    /// Write the next migration from the schema folder (checked on a shadow).
    Generate(commands::generate::GenerateArgs),
    /// Write an empty, correctly named migration for hand-written SQL.
    New(commands::new::NewArgs),
    /// Drop the project's databases and roles (guarded by --yes).
    Nuke(commands::nuke::NukeArgs),
    /// Development only: apply the schema folder to the live database, no file.
    Push(commands::push::PushArgs),
    /// The one command: bootstrap, migrate, seed setup (and demo when
    /// allowed), then doctor.
    Up(commands::up::UpArgs),
    /// Apply pending migrations (journal, checksums, lock).
    Migrate(commands::migrate::MigrateArgs),
    /// Applied / pending / changed / missing migrations of each database.
    Status(commands::status::StatusArgs),
    /// A local web UI (127.0.0.1, per-run token) to browse the databases as
    /// the admin or as a tenant; read-only (--write is a later slice).
    Studio(commands::studio::StudioArgs),
    /// Undo the newest migrations with their down sections.
    Rollback(commands::rollback::RollbackArgs),
    /// Encrypted columns: re-encrypt a column under the newest key of
    /// [database.secrets], in batches, resumable.
    Secrets(commands::secrets::SecretsArgs),
    /// Load setup seeds, or demo seeds (gated).
    Seed(commands::seed::SeedArgs),
    /// Drop the databases and rebuild them with `up` (guarded by --yes).
    Reset(commands::reset::ResetArgs),
    /// pg_restore a dump into a database of the manifest (guarded by --yes).
    Restore(commands::restore::RestoreArgs),
    /// One tenant's rows: export them to an archive, import an archive
    /// (optionally under a new id), or delete them (guarded by --yes).
    Tenant(commands::tenant::TenantArgs),
    /// Prove tenant isolation on the live databases (static lints and
    /// rollback-only probes as the service role).
    Verify(commands::verify::VerifyArgs),
}

async fn dispatch(ctx: &Context, command: &Command) -> anyhow::Result<Report> {
    match command {
        Command::Access(args) => commands::access::run(ctx, args).await,
        Command::Audit(args) => commands::audit::run(ctx, args).await,
        Command::Bootstrap(args) => commands::bootstrap::run(ctx, args).await,
        Command::Backup(args) => commands::backup::run(ctx, args).await,
        Command::Codegen(args) => commands::codegen::run(ctx, args).await,
        Command::Diff(args) => commands::diff::run(ctx, args).await,
        Command::Distribute(args) => commands::distribute::run(ctx, args).await,
        Command::Doctor(args) => commands::doctor::run(ctx, args).await,
        Command::Inspect(args) => commands::inspect::run(ctx, args).await,
        Command::Import(args) => commands::import::run(ctx, args).await,
        Command::Init(args) => commands::init::run(ctx, args).await,
        Command::Check(args) => commands::check::run(ctx, args).await,
        Command::Flags(args) => commands::flags::run(ctx, args).await,
        Command::SoftDelete(args) => commands::soft_delete::run(ctx, args).await,
        Command::Generate(args) => commands::generate::run(ctx, args).await,
        Command::New(args) => commands::new::run(ctx, args).await,
        Command::Nuke(args) => commands::nuke::run(ctx, args).await,
        Command::Push(args) => commands::push::run(ctx, args).await,
        Command::Up(args) => commands::up::run(ctx, args).await,
        Command::Migrate(args) => commands::migrate::run(ctx, args).await,
        Command::Status(args) => commands::status::run(ctx, args).await,
        Command::Studio(args) => commands::studio::run(ctx, args).await,
        Command::Rollback(args) => commands::rollback::run(ctx, args).await,
        Command::Secrets(args) => commands::secrets::run(ctx, args).await,
        Command::Seed(args) => commands::seed::run(ctx, args).await,
        Command::Reset(args) => commands::reset::run(ctx, args).await,
        Command::Restore(args) => commands::restore::run(ctx, args).await,
        Command::Tenant(args) => commands::tenant::run(ctx, args).await,
        Command::Verify(args) => commands::verify::run(ctx, args).await,
    }
}

fn main() -> ExitCode {
    // Usage errors exit with 2 (clap's default); --help and --version with 0.
    let cli = Cli::parse();
    let ctx = Context::new(cli.global);
    ctx.init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return output::print_error(&ctx, &anyhow::Error::new(e)),
    };
    match runtime.block_on(dispatch(&ctx, &cli.command)) {
        Ok(report) => output::print_report(&ctx, &report),
        Err(err) => output::print_error(&ctx, &err),
    }
}
