//! A new migration file in a database's migrations folder: the one owner of
//! the slug rule, of the next free version (now, UTC, bumped past the newest
//! file) and of the exclusive create. `generate` and `new` write through it,
//! so a generated and a hand-written migration are named alike.

use crate::error::usage;
use anyhow::{bail, Context as _, Result};
use pgtenant::migrate::file;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Where a migration's name goes wrong, if it does.
fn validate_slug(slug: &str) -> Result<(), String> {
    if slug.is_empty() {
        return Err("it is empty".into());
    }
    if slug.len() > 100 {
        return Err("it is longer than 100 characters".into());
    }
    match slug
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
    {
        Some(c) => Err(format!("it contains {c:?}")),
        None => Ok(()),
    }
}

/// `--name SLUG` checked: a usage error saying what is allowed.
pub fn check_slug(slug: &str) -> Result<()> {
    validate_slug(slug).map_err(|why| {
        usage(format!(
            "--name {slug:?}: {why}; use lower-case letters, digits, `_` and `-`, e.g. --name add_invoices"
        ))
    })
}

/// The next free version: now (UTC), or one second after the newest
/// migration on disk if that is not earlier.
fn next_version(dir: &Path, now: chrono::DateTime<chrono::Utc>) -> Result<i64> {
    let newest = newest_version(dir)?;
    let now_v = file::version_at(now.naive_utc());
    Ok(match newest {
        Some(n) if n >= now_v => bump(n)?,
        _ => now_v,
    })
}

/// One second after `v`.
fn bump(v: i64) -> Result<i64> {
    file::next_version(v).with_context(|| format!("version {v} is not yyyymmddHHMMSS"))
}

/// The newest version among the file names of `dir` (any `<14 digits>_`).
fn newest_version(dir: &Path) -> Result<Option<i64>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    let mut newest = None;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
        if digits.len() == 14 {
            if let Ok(v) = digits.parse::<i64>() {
                newest = newest.max(Some(v));
            }
        }
    }
    Ok(newest)
}

/// Write `text` to a new file `<version>_<slug>.sql` in `dir`, bumping the
/// version while a file with it exists (created exclusively: two runs never
/// write the same file).
pub fn write_new(dir: &Path, slug: &str, text: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut version = next_version(dir, chrono::Utc::now())?;
    for _ in 0..100 {
        let taken = newest_version(dir)?.is_some_and(|n| n >= version);
        if !taken {
            let path = dir.join(file::file_name(version, slug));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    // Another generate may have taken the same version with
                    // another slug between the check and the create: the
                    // smaller file name keeps it, the other one moves on.
                    if lost_the_version(dir, version, &path)? {
                        drop(f);
                        std::fs::remove_file(&path)
                            .with_context(|| format!("removing {}", path.display()))?;
                    } else {
                        f.write_all(text.as_bytes())
                            .with_context(|| format!("writing {}", path.display()))?;
                        return Ok(path);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
            }
        }
        version = bump(version)?;
    }
    bail!(
        "{}: no free migration version found; remove stray files there",
        dir.display()
    )
}

/// Whether another file of `dir` has `version` and a smaller name than `ours`.
fn lost_the_version(dir: &Path, version: i64, ours: &Path) -> Result<bool> {
    let prefix = format!("{version}_");
    let our_name = ours.file_name().map(|n| n.to_string_lossy().into_owned());
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let name = entry
            .with_context(|| format!("reading {}", dir.display()))?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.starts_with(&prefix)
            && Some(&name) != our_name.as_ref()
            && Some(&name) < our_name.as_ref()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_letters_digits_underscore_dash() {
        assert!(validate_slug("add_users-2").is_ok());
        assert_eq!(validate_slug("Add").unwrap_err(), "it contains 'A'");
        assert_eq!(validate_slug("a b").unwrap_err(), "it contains ' '");
        assert_eq!(validate_slug("").unwrap_err(), "it is empty");
        assert!(validate_slug("../x").is_err());
    }

    #[test]
    fn versions_bump_past_the_newest_file() {
        let dir = tempfile::tempdir().unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(next_version(dir.path(), now).unwrap(), 20260102030405);
        std::fs::write(dir.path().join("20260102030405_a.sql"), "").unwrap();
        assert_eq!(next_version(dir.path(), now).unwrap(), 20260102030406);
        std::fs::write(dir.path().join("20260102035959_b.sql"), "").unwrap();
        assert_eq!(next_version(dir.path(), now).unwrap(), 20260102040000);
        assert_eq!(bump(20261231235959).unwrap(), 20270101000000);
    }

    #[test]
    fn two_writes_in_one_second_get_two_versions() {
        let dir = tempfile::tempdir().unwrap();
        let a = write_new(dir.path(), "a", "SELECT 1;\n").unwrap();
        let b = write_new(dir.path(), "a", "SELECT 1;\n").unwrap();
        assert_ne!(a, b);
        let files = pgtenant::migrate::load_dir(dir.path()).unwrap();
        assert_eq!(files.len(), 2);
        assert!(files[0].version < files[1].version);
    }

    #[test]
    fn a_version_taken_by_a_smaller_name_is_given_up() {
        let dir = tempfile::tempdir().unwrap();
        let ours = dir.path().join("20260102030405_b.sql");
        std::fs::write(&ours, "").unwrap();
        assert!(!lost_the_version(dir.path(), 20260102030405, &ours).unwrap());
        std::fs::write(dir.path().join("20260102030405_c.sql"), "").unwrap();
        assert!(!lost_the_version(dir.path(), 20260102030405, &ours).unwrap());
        std::fs::write(dir.path().join("20260102030405_a.sql"), "").unwrap();
        assert!(lost_the_version(dir.path(), 20260102030405, &ours).unwrap());
    }
}
