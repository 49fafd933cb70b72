//! Prisma Migrate's folder: `DIR/<yyyymmddHHMMSS>_<name>/migration.sql`,
//! ordered by folder name, and `DIR/migration_lock.toml` naming the
//! provider.

use super::{read_sql, slug_of, Source};
use crate::error::usage;
use anyhow::Result;
use std::path::Path;

/// The provider in `migration_lock.toml`, when the file is there.
fn check_lock(dir: &Path) -> Result<()> {
    let lock = dir.join("migration_lock.toml");
    let Ok(text) = std::fs::read_to_string(&lock) else {
        return Ok(());
    };
    let value: toml::Table = text
        .parse()
        .map_err(|e| usage(format!("{} is not TOML: {e}", lock.display())))?;
    match value.get("provider").and_then(|p| p.as_str()) {
        Some("postgresql" | "postgres") | None => Ok(()),
        Some(other) => Err(usage(format!(
            "{} names the provider {other}; pgtenant imports PostgreSQL migrations only",
            lock.display()
        ))),
    }
}

/// The migrations of a Prisma folder, in folder-name order.
pub fn read(dir: &Path) -> Result<Vec<Source>> {
    check_lock(dir)?;
    let mut folders = Vec::new();
    for entry in std::fs::read_dir(dir)
        .map_err(|e| usage(format!("cannot read {} ({e})", dir.display())))?
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if !path.is_dir() {
            if name == "migration_lock.toml" || name.starts_with('.') {
                continue;
            }
            return Err(usage(format!(
                "{} is not a migration folder: Prisma keeps each migration in <yyyymmddHHMMSS>_<name>/migration.sql; move it away",
                path.display()
            )));
        }
        folders.push((name, path));
    }
    folders.sort();
    if folders.is_empty() {
        return Err(usage(format!(
            "{} holds no migration folders: there are no migrations to import",
            dir.display()
        )));
    }
    let mut sources = Vec::new();
    for (name, path) in folders {
        let parsed = name.split_once('_').filter(|(stamp, rest)| {
            stamp.len() == 14 && stamp.bytes().all(|b| b.is_ascii_digit()) && !rest.is_empty()
        });
        let Some((stamp, rest)) = parsed else {
            return Err(usage(format!(
                "{} is not named <yyyymmddHHMMSS>_<name> as Prisma names its migration folders",
                path.display()
            )));
        };
        let version = stamp.parse::<i64>().unwrap_or_default();
        let sql = path.join("migration.sql");
        if !sql.is_file() {
            return Err(usage(format!("{} is missing", sql.display())));
        }
        sources.push(Source {
            version,
            slug: slug_of(rest),
            key: name.clone(),
            bytes: read_sql(&sql)?,
            path: sql,
        });
    }
    Ok(sources)
}
