//! `pgtenant inspect SRC`: the catalog of a schema, for debugging.
//!
//! SRC is a folder of `.sql` files, one `.sql` file (both loaded into a
//! shadow database on the server of the admin URL, then dropped) or a
//! `postgres://` URL (introspected as it is, read-only). A migrations folder
//! is read as migrations: the up sections in version order. Works without a
//! manifest given `--admin-url` or `DATABASE_URL`. Text output is a summary;
//! `--json` prints the whole `Catalog`.

use crate::context::Context;
use crate::error::usage;
use crate::output::{Report, Table};
use anyhow::{Context as _, Result};
use pgtenant_schema::shadow::{LoadedSchema, ShadowError, Source};
use pgtenant_schema::TableKind;
use std::fmt::Write as _;

#[derive(Debug, Clone, clap::Args)]
pub struct InspectArgs {
    /// A folder of .sql files (read recursively, in path order), one .sql
    /// file, or a postgres:// URL.
    #[arg(value_name = "SRC")]
    pub source: String,
}

pub async fn run(ctx: &Context, args: &InspectArgs) -> Result<Report> {
    let source = Source::parse(&args.source);
    let result = match &source {
        // A live database needs no shadow, hence no admin URL.
        Source::Url(_) => source.catalog("").await,
        Source::Path(path) => {
            let admin = ctx.admin_url()?;
            ctx.detail(format_args!("shadow database on {}", admin.masked()));
            // A migrations folder is read as migrations: up sections only.
            let migrations = crate::catalogs::migrations_source_catalog(&admin.url, path)
                .await
                .with_context(|| format!("inspecting {source}"))?;
            match migrations {
                Some(c) => Ok(c),
                None => source.catalog(&admin.url).await,
            }
        }
    };
    let loaded = result
        .map_err(|e| match e {
            // The argument itself is wrong: a usage error (exit 2).
            ShadowError::MissingSource { .. }
            | ShadowError::NoSqlFiles { .. }
            | ShadowError::InvalidUrl { .. } => usage(e.to_string()),
            other => anyhow::Error::new(other),
        })
        .with_context(|| format!("inspecting {source}"))?;
    let human = summary(&source.to_string(), &loaded);
    Ok(Report::ok(&loaded, human))
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn names<'a>(items: impl Iterator<Item = String> + 'a) -> String {
    let all: Vec<String> = items.collect();
    const SHOWN: usize = 8;
    if all.len() > SHOWN {
        format!(
            "{}, … ({} more)",
            all[..SHOWN].join(", "),
            all.len() - SHOWN
        )
    } else {
        all.join(", ")
    }
}

/// A readable summary: counts per object kind, then one line per table.
fn summary(source: &str, loaded: &LoadedSchema) -> String {
    let c = &loaded.catalog;
    let mut out = String::new();
    let _ = writeln!(out, "{source}");
    let mut kinds = Table::new(["kind", "count", "names"]);
    kinds.row([
        "schemas".into(),
        c.schemas.len().to_string(),
        names(c.schemas.keys().cloned()),
    ]);
    kinds.row([
        "extensions".into(),
        c.extensions.len().to_string(),
        names(
            c.extensions
                .values()
                .map(|e| format!("{} {}", e.name, e.version)),
        ),
    ]);
    kinds.row([
        "enums".into(),
        c.enums.len().to_string(),
        names(c.enums.keys().map(ToString::to_string)),
    ]);
    kinds.row([
        "domains".into(),
        c.domains.len().to_string(),
        names(c.domains.keys().map(ToString::to_string)),
    ]);
    kinds.row([
        "composite types".into(),
        c.composite_types.len().to_string(),
        names(c.composite_types.keys().map(ToString::to_string)),
    ]);
    kinds.row([
        "sequences".into(),
        c.sequences.len().to_string(),
        names(c.sequences.keys().map(ToString::to_string)),
    ]);
    let partitions = c
        .tables
        .values()
        .filter(|t| t.partition_of.is_some())
        .count();
    kinds.row([
        "tables".into(),
        c.tables.len().to_string(),
        if partitions > 0 {
            format!("({} are partitions)", partitions)
        } else {
            String::new()
        },
    ]);
    let (mat, plain): (Vec<_>, Vec<_>) = c.views.values().partition(|v| v.materialized);
    kinds.row([
        "views".into(),
        plain.len().to_string(),
        names(plain.iter().map(|v| v.name.to_string())),
    ]);
    kinds.row([
        "materialized views".into(),
        mat.len().to_string(),
        names(mat.iter().map(|v| v.name.to_string())),
    ]);
    kinds.row([
        "functions".into(),
        c.functions.len().to_string(),
        names(
            c.functions
                .keys()
                .map(|f| format!("{}.{}({})", f.schema, f.name, f.args)),
        ),
    ]);
    out.push_str(&kinds.render(2));

    if !c.tables.is_empty() {
        out.push('\n');
        let mut tables = Table::new([
            "table",
            "columns",
            "constraints",
            "indexes",
            "triggers",
            "policies",
            "rls",
        ]);
        for t in c.tables.values() {
            let mut name = t.name.to_string();
            if t.kind == TableKind::Partitioned {
                name.push_str(" (partitioned)");
            }
            if let Some(p) = &t.partition_of {
                let _ = write!(name, " (partition of {})", p.parent);
            }
            if t.unlogged {
                name.push_str(" (unlogged)");
            }
            let rls = match (t.rls_enabled, t.rls_forced) {
                (true, true) => "enabled, forced",
                (true, false) => "enabled",
                (false, true) => "forced (not enabled)",
                (false, false) => "off",
            };
            tables.row([
                name,
                t.columns.len().to_string(),
                t.constraints.len().to_string(),
                t.indexes.len().to_string(),
                t.triggers.len().to_string(),
                t.policies.len().to_string(),
                rls.to_owned(),
            ]);
        }
        out.push_str(&tables.render(2));
    }
    if !loaded.renames.is_empty() {
        let _ = writeln!(out, "\n  {}", plural(loaded.renames.len(), "rename hint"));
    }
    out
}
