//! drizzle-kit's folder: `DIR/<idx>_<tag>.sql` files and
//! `DIR/meta/_journal.json`, whose entries (`idx`, `when` in milliseconds
//! since the epoch, `tag`, `breakpoints`) give the order. Statements are
//! separated by `--> statement-breakpoint` lines, SQL comments kept as
//! they are.

use super::{read_sql, slug_of, Source};
use crate::error::usage;
use anyhow::Result;
use pgtenant::migrate::file;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Debug, Deserialize)]
struct Journal {
    #[serde(default)]
    dialect: Option<String>,
    entries: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    idx: i64,
    when: i64,
    tag: String,
}

/// The slug of a tag: its name after the `0000_` index.
fn slug_of_tag(tag: &str) -> String {
    match tag.split_once('_') {
        Some((idx, rest)) if !idx.is_empty() && idx.bytes().all(|b| b.is_ascii_digit()) => {
            slug_of(rest)
        }
        _ => slug_of(tag),
    }
}

/// The migrations of a drizzle-kit folder, in the journal's order.
pub fn read(dir: &Path) -> Result<Vec<Source>> {
    let journal_path = dir.join("meta").join("_journal.json");
    let text = match std::fs::read_to_string(&journal_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(usage(format!(
                "{} is missing: a drizzle-kit folder keeps its order there (is {} the `out` folder of drizzle.config?)",
                journal_path.display(),
                dir.display()
            )))
        }
        Err(e) => return Err(usage(format!("cannot read {} ({e})", journal_path.display()))),
    };
    let journal: Journal = serde_json::from_str(&text).map_err(|e| {
        usage(format!(
            "{} is not a drizzle-kit journal: {e}",
            journal_path.display()
        ))
    })?;
    if let Some(dialect) = &journal.dialect {
        if !matches!(dialect.as_str(), "postgresql" | "pg") {
            return Err(usage(format!(
                "{} is for the {dialect} dialect; pgtenant imports PostgreSQL migrations only",
                journal_path.display()
            )));
        }
    }
    if journal.entries.is_empty() {
        return Err(usage(format!(
            "{} has no entries: there are no migrations to import",
            journal_path.display()
        )));
    }
    let mut entries = journal.entries;
    entries.sort_by_key(|e| e.idx);
    let mut tags = BTreeSet::new();
    let mut sources = Vec::new();
    let mut previous: Option<i64> = None;
    for e in &entries {
        if !tags.insert(e.tag.clone()) {
            return Err(usage(format!(
                "{} lists the tag {} twice",
                journal_path.display(),
                e.tag
            )));
        }
        let path = dir.join(format!("{}.sql", e.tag));
        if !path.is_file() {
            return Err(usage(format!(
                "{} lists {} (idx {}) but {} does not exist",
                journal_path.display(),
                e.tag,
                e.idx,
                path.display()
            )));
        }
        let at = chrono::DateTime::from_timestamp_millis(e.when).ok_or_else(|| {
            usage(format!(
                "{}: the `when` of {} ({}) is not a time",
                journal_path.display(),
                e.tag,
                e.when
            ))
        })?;
        let mut version = file::version_at(at.naive_utc());
        // Versions are unique and increase in the journal's order.
        if let Some(prev) = previous.filter(|p| version <= *p) {
            version = file::next_version(prev)
                .ok_or_else(|| usage(format!("no version after {prev} for {}", path.display())))?;
        }
        previous = Some(version);
        sources.push(Source {
            version,
            slug: slug_of_tag(&e.tag),
            key: e.when.to_string(),
            bytes: read_sql(&path)?,
            path,
        });
    }
    let mut strays: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| usage(format!("cannot read {} ({e})", dir.display())))?
        .flatten()
        .map(|f| f.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.strip_suffix(".sql")
                .is_some_and(|tag| !tags.contains(tag))
        })
        .collect();
    strays.sort();
    if let Some(stray) = strays.first() {
        return Err(usage(format!(
            "{} is not in {}: drizzle-kit would not run it; add it to the journal (drizzle-kit generate) or move it away",
            dir.join(stray).display(),
            journal_path.display()
        )));
    }
    Ok(sources)
}
