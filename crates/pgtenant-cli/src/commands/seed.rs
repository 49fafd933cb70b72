//! `pgtenant seed setup|demo [--db NAME] [--yes]`: run the seed files of
//! every database (or one), each file in a transaction with its journal
//! row; unchanged files are skipped. Demo seeds need SEED_DEMO_OK=true or
//! --yes. Placeholders read the environment, then .env beside the manifest.

use crate::context::Context;
use crate::db;
use crate::manifest::{self, Database};
use crate::output::Report;
use anyhow::{Context as _, Result};
use pgtenant::seed::{self, DemoConsent, SeedEvent, SeedKind, SeedOptions, SeedReport};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Foundational data every database needs (idempotent).
    Setup,
    /// Sample data for development (needs SEED_DEMO_OK=true or --yes).
    Demo,
}

#[derive(Debug, Clone, clap::Args)]
pub struct SeedArgs {
    /// Which seeds.
    pub kind: Kind,
    /// Only this database of the manifest.
    #[arg(long, value_name = "NAME")]
    pub db: Option<String>,
    /// Allow demo seeds (as SEED_DEMO_OK=true does).
    #[arg(long)]
    pub yes: bool,
}

/// Seed one database.
pub async fn seed_database(
    ctx: &Context,
    database: &Database,
    kind: SeedKind,
    demo: DemoConsent,
) -> Result<SeedReport> {
    let manifest = ctx.manifest()?;
    let admin = ctx.admin_url()?;
    let connect = db::options(&admin.url, Some(&database.name), None)?;
    let dotenv = manifest::read_dotenv(&manifest.dir.join(".env"))?;
    let env = |k: &str| std::env::var(k).ok().or_else(|| dotenv.get(k).cloned());
    let dir = match kind {
        SeedKind::Setup => &database.seeds.setup,
        SeedKind::Demo => &database.seeds.demo,
    };
    let name = database.name.clone();
    let show = !ctx.json() && !ctx.quiet();
    let progress = move |e: &SeedEvent<'_>| {
        if let (true, SeedEvent::Applied { file, rows }) = (show, e) {
            match rows {
                Some(n) => crate::output::stderr_line(format_args!(
                    "{name}: seeded {} ({n} rows)",
                    file.key
                )),
                None => crate::output::stderr_line(format_args!("{name}: seeded {}", file.key)),
            }
        }
    };
    seed::seed(&connect, dir, SeedOptions { kind, demo }, &env, &progress)
        .await
        .with_context(|| {
            format!(
                "seeding {} data into database {}",
                kind.as_str(),
                database.name
            )
        })
}

/// The run's line, then one line per secret a `${NAME:=generate}` made:
/// shown this once, kept nowhere.
pub fn summary(db: &str, kind: SeedKind, r: &SeedReport) -> String {
    let mut out = format!(
        "{db}: {} seeds: {} applied, {} unchanged",
        kind.as_str(),
        r.applied.len(),
        r.skipped.len()
    );
    for m in &r.generated {
        out.push_str(&format!(
            "\n{db}: {}={} (generated; shown only now, not kept: set {} to choose it)",
            m.name,
            m.expose(),
            m.name
        ));
    }
    out
}

pub async fn run(ctx: &Context, args: &SeedArgs) -> Result<Report> {
    let manifest = ctx.manifest()?;
    let kind = match args.kind {
        Kind::Setup => SeedKind::Setup,
        Kind::Demo => SeedKind::Demo,
    };
    let demo = if args.yes {
        DemoConsent::Given
    } else {
        DemoConsent::from_env()
    };
    let mut json = Vec::new();
    let mut human = Vec::new();
    for database in manifest.select(args.db.as_deref())? {
        let mut modules = Vec::new();
        if kind == SeedKind::Setup {
            let admin = ctx.admin_url()?;
            modules = crate::modules::setup(&admin.url, database).await?;
            human.extend(modules.iter().cloned());
        }
        let r = seed_database(ctx, database, kind, demo).await?;
        human.push(summary(&database.name, kind, &r));
        let generated: Vec<_> = r
            .generated
            .iter()
            .map(|m| serde_json::json!({"name": m.name, "value": m.expose()}))
            .collect();
        json.push(serde_json::json!({"name": database.name, "modules": modules, "applied": r.applied, "unchanged": r.skipped, "generated": generated}));
    }
    Ok(Report::ok(
        serde_json::json!({"command": "seed", "kind": kind.as_str(), "databases": json}),
        human.join("\n"),
    ))
}
