//! `pgtenant new [--db NAME] --name SLUG`: an empty migration for
//! hand-written SQL, named as `generate` names its files
//! (`<UTC yyyymmddHHMMSS>_<slug>.sql`, through `new_file.rs`), with a header
//! saying it is written by hand. `--db` may be left out when the manifest
//! has one database.

use crate::context::Context;
use crate::error::usage;
use crate::new_file::{check_slug, write_new};
use crate::output::Report;
use anyhow::{Context as _, Result};
use std::path::Path;

#[derive(Debug, Clone, clap::Args)]
pub struct NewArgs {
    /// The database (a `[[database]]` name of the manifest); optional when
    /// the manifest has one.
    #[arg(long, value_name = "NAME")]
    pub db: Option<String>,

    /// The migration's name: lower-case letters, digits, `_` and `-`.
    #[arg(long, value_name = "SLUG")]
    pub name: String,
}

/// The text of a new hand-written migration: comments only.
fn text(db: &str, slug: &str) -> String {
    format!(
        "-- Migration {slug} of database {db}.\n\
         -- Written by hand (`pgtenant new`), not generated from the schema folder:\n\
         -- put its SQL below; statements after a `-- pgtenant:down` line undo it\n\
         -- (`pgtenant rollback`); `-- pgtenant:no-transaction` on a line of its own\n\
         -- before them runs the file outside a transaction.\n\n"
    )
}

pub async fn run(ctx: &Context, args: &NewArgs) -> Result<Report> {
    check_slug(&args.name)?;
    let manifest = ctx.manifest()?;
    let databases = manifest.select(args.db.as_deref())?;
    let [db] = databases.as_slice() else {
        return Err(usage(format!(
            "the manifest has {} databases; pass --db NAME to choose the one the migration is for",
            databases.len()
        )));
    };
    let text = text(&db.name, &args.name);
    // The runner must accept what we write.
    pgtenant::migrate::file::parse(Path::new("new migration"), 0, &args.name, &text)
        .context("the new migration does not parse; this is a pgtenant bug")?;
    let path = write_new(&db.migrations_dir, &args.name, &text)?;
    let shown = path
        .strip_prefix(&manifest.dir)
        .unwrap_or(&path)
        .display()
        .to_string();
    Ok(Report::ok(
        serde_json::json!({
            "command": "new",
            "database": db.name,
            "path": path.display().to_string(),
        }),
        shown,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_migration_is_comments_only_and_parses_empty() {
        let t = text("app", "backfill");
        assert!(t.lines().all(|l| l.is_empty() || l.starts_with("-- ")));
        let f = pgtenant::migrate::file::parse(Path::new("x.sql"), 1, "backfill", &t).unwrap();
        assert!(f.up.is_empty());
        assert!(f.down.is_none());
        assert!(!f.no_transaction);
    }
}
