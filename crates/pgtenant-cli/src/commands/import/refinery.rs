//! refinery's folder: `V<n>__<name>.sql` (versioned) and `U<n>__<name>.sql`
//! (unversioned: refinery runs them in the same order, only its history
//! checks skip them), found in sub-folders too. refinery has no down
//! migrations; `.rs` migrations are Rust code, which pgtenant cannot import.

use super::numbered::{self, compose, Numbered};
use super::{leading_digits, read_sql, usage, usage_at, Source};
use anyhow::Result;
use std::path::{Path, PathBuf};

/// Every file under `dir`, sub-folders included, sorted.
fn walk(dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<()> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| usage(format!("cannot read {} ({e})", dir.display())))?;
    for entry in entries {
        let entry = entry.map_err(|e| usage(format!("cannot read {} ({e})", dir.display())))?;
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push((entry.file_name().to_string_lossy().into_owned(), path));
        }
    }
    Ok(())
}

/// `V<n>__<name>` or `U<n>__<name>`: the digits and the name.
fn parse_stem(stem: &str) -> Option<(&str, &str)> {
    let rest = stem.strip_prefix('V').or_else(|| stem.strip_prefix('U'))?;
    let (digits, rest) = leading_digits(rest);
    let name = rest.strip_prefix("__")?;
    let word = |c: char| c.is_alphanumeric() || c == '_';
    (!digits.is_empty() && !name.is_empty() && name.chars().all(word)).then_some((digits, name))
}

/// The migrations of a refinery folder, in version order.
pub fn read(dir: &Path) -> Result<Vec<Source>> {
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    files.sort_by(|a, b| a.1.cmp(&b.1));
    let mut items = Vec::new();
    for (name, path) in files {
        if let Some(stem) = name.strip_suffix(".rs") {
            if parse_stem(stem).is_some() {
                return Err(usage_at(
                    &path,
                    "a Rust migration; pgtenant imports SQL migrations only: write its SQL into a V<n>__<name>.sql file with the same version instead",
                ));
            }
            continue;
        }
        let Some(stem) = name.strip_suffix(".sql") else {
            continue;
        };
        let Some((digits, slug)) = parse_stem(stem) else {
            return Err(usage_at(
                &path,
                "not named as refinery names migrations: V<n>__<name>.sql (or U<n>__<name>.sql); rename it or move it away",
            ));
        };
        let bytes = read_sql(&path)?;
        items.push(Numbered {
            key: numbered::number(digits).unwrap_or(u64::MAX).to_string(),
            digits: digits.to_owned(),
            slug: slug.to_owned(),
            bytes: compose(false, &bytes, None),
            path,
        });
    }
    numbered::assign(items)
}
