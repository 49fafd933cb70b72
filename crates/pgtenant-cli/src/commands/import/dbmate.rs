//! dbmate's folder (`db/migrations`, flat): `<version>_<name>.sql`, each
//! file holding a `-- migrate:up` section and a `-- migrate:down` section
//! after it; `transaction:false` after either marker runs that section
//! outside a transaction. The version is a number (`dbmate new` writes a
//! `yyyymmddHHMMSS` time); files not named so are not migrations to dbmate.
//!
//! The pgtenant file is the dbmate file unchanged, the marker lines kept
//! as comments, with `-- pgtenant:down` before the down marker and
//! `-- pgtenant:no-transaction` on top when a section says
//! `transaction:false` (in pgtenant the marker applies to both sections).

use super::numbered::{self, compose, Numbered};
use super::{files_of, leading_digits, read_sql, slug_of, usage_at, Source};
use anyhow::Result;
use std::path::Path;

/// A `-- migrate:<section>` marker line: its start and its options.
struct Marker<'a> {
    at: usize,
    options: &'a str,
}

/// The first line that is `--`, optional spaces, `migrate:<section>`, then
/// the end or spaces and options (as dbmate matches it).
fn find_marker<'a>(text: &'a str, section: &str) -> Option<Marker<'a>> {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let Some(rest) = content.strip_prefix("--") else {
            continue;
        };
        let Some(after) = rest.trim_start().strip_prefix("migrate:") else {
            continue;
        };
        let Some(options) = after.strip_prefix(section) else {
            continue;
        };
        if options.is_empty() || options.starts_with(char::is_whitespace) {
            return Some(Marker {
                at: start,
                options: options.trim(),
            });
        }
    }
    None
}

fn no_transaction(options: &str) -> bool {
    options.split_whitespace().any(|o| o == "transaction:false")
}

fn translate(path: &Path, bytes: &[u8]) -> Result<Vec<u8>> {
    let text = std::str::from_utf8(bytes).unwrap_or_default();
    let Some(up) = find_marker(text, "up") else {
        return Err(usage_at(
            path,
            "there is no `-- migrate:up` line; dbmate requires one before the migration's statements",
        ));
    };
    let down = find_marker(text, "down");
    if let Some(down) = down.as_ref().filter(|d| d.at < up.at) {
        let line = text[..down.at].matches('\n').count() + 1;
        return Err(usage_at(
            path,
            &format!("line {line}: `-- migrate:down` comes before `-- migrate:up`; dbmate requires the up section first"),
        ));
    }
    let before_up = text[..up.at]
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with("--"));
    if !before_up {
        return Err(usage_at(
            path,
            "statements before `-- migrate:up`; dbmate refuses them too: move them into the up section",
        ));
    }
    let tx_off =
        no_transaction(up.options) || down.as_ref().is_some_and(|d| no_transaction(d.options));
    Ok(match down {
        Some(d) => compose(tx_off, &bytes[..d.at], Some(&bytes[d.at..])),
        None => compose(tx_off, bytes, None),
    })
}

/// The migrations of a dbmate folder, in version order.
pub fn read(dir: &Path) -> Result<Vec<Source>> {
    let mut items = Vec::new();
    for (name, path) in files_of(dir)? {
        let Some(stem) = name.strip_suffix(".sql") else {
            continue;
        };
        let (digits, rest) = leading_digits(stem);
        let Some(slug) = rest.strip_prefix('_').filter(|_| !digits.is_empty()) else {
            return Err(usage_at(
                &path,
                "not named as dbmate names migrations: <version>_<name>.sql; rename it or move it away",
            ));
        };
        let bytes = read_sql(&path)?;
        items.push(Numbered {
            key: digits.to_owned(),
            digits: digits.to_owned(),
            slug: slug_of(slug),
            bytes: translate(&path, &bytes)?,
            path,
        });
    }
    numbered::assign(items)
}
