//! The tools that name a migration by a number (sqlx, refinery,
//! golang-migrate, dbmate): their versions become pgtenant versions, and
//! the sections they keep apart (up, down, no transaction) become one
//! pgtenant file.
//!
//! A number is one of two kinds, and one folder uses one kind:
//! - a `yyyymmddHHMMSS` time (14 digits, a valid UTC time): kept as is;
//! - seconds since 1970-01-01 00:00:00 UTC: a Unix time (`1481574547`,
//!   golang-migrate's older default) or a sequence number (`0001`, `V3`),
//!   which becomes the time that many seconds after 1970, so `1`, `2`, `3`
//!   are `19700101000001`, `19700101000002`, `19700101000003`.
//!
//! Both mappings keep the numeric order the tools run their files in. A
//! sequence (every number below 10^9) must have no gap: a missing number
//! is a migration lost from the folder.

use super::{read_sql, slug_of, usage, usage_at, Source};
use anyhow::Result;
use pgtenant::migrate::file;
use pgtenant_schema::directive::Directive;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One migration of a numbered tool, before it gets its version.
#[derive(Debug, Clone)]
pub struct Numbered {
    /// The digits of the version, as in the file name.
    pub digits: String,
    /// What the tool's journal records for it.
    pub key: String,
    pub slug: String,
    /// The file (for reversible layouts: the up file).
    pub path: PathBuf,
    /// The pgtenant file's bytes ([`compose`]).
    pub bytes: Vec<u8>,
}

/// Numbers at or above this are Unix times; below, a sequence.
const SEQUENCE_BELOW: u64 = 1_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Stamp,
    Seconds,
}

/// The digits as a number.
pub fn number(digits: &str) -> Option<u64> {
    digits.parse().ok()
}

fn kind_of(digits: &str) -> Kind {
    if digits.len() == 14 && file::parse_name(&format!("{digits}_x.sql")).is_ok() {
        Kind::Stamp
    } else {
        Kind::Seconds
    }
}

/// The pgtenant version of `n` seconds after 1970.
fn seconds_version(n: u64) -> Option<i64> {
    let secs = i64::try_from(n).ok()?;
    let at = chrono::DateTime::from_timestamp(secs, 0)?;
    let v = file::version_at(at.naive_utc());
    // Past 9999-12-31 the year has five digits.
    (v.to_string().len() == 14).then_some(v)
}

/// The versions of a numbered folder, in the tool's (numeric) order.
pub fn assign(mut items: Vec<Numbered>) -> Result<Vec<Source>> {
    let mut keyed = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        let Some(n) = number(&item.digits) else {
            return Err(usage_at(
                &item.path,
                &format!(
                    "the version {} is too large for a migration number",
                    item.digits
                ),
            ));
        };
        keyed.push((n, item));
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.path.cmp(&b.1.path)));
    for w in keyed.windows(2) {
        if w[0].0 == w[1].0 {
            return Err(super::usage(format!(
                "{} and {} both have the version {}; a version is one migration: renumber one of them",
                w[0].1.path.display(),
                w[1].1.path.display(),
                w[0].0
            )));
        }
    }
    let kinds: Vec<Kind> = keyed.iter().map(|(_, i)| kind_of(&i.digits)).collect();
    if let (Some(stamp), Some(count)) = (
        kinds.iter().position(|k| *k == Kind::Stamp),
        kinds.iter().position(|k| *k == Kind::Seconds),
    ) {
        return Err(super::usage(format!(
            "{} is numbered by a yyyymmddHHMMSS time and {} by a sequence number or Unix time; a folder numbers its migrations one way: rename the files of one kind to the other",
            keyed[stamp].1.path.display(),
            keyed[count].1.path.display()
        )));
    }
    let sequence = kinds.first() == Some(&Kind::Seconds)
        && keyed.last().is_some_and(|(n, _)| *n < SEQUENCE_BELOW);
    if sequence {
        if let Some(w) = keyed.windows(2).find(|w| w[1].0 != w[0].0 + 1) {
            let missing = if w[1].0 == w[0].0 + 2 {
                format!("the version {} is missing", w[0].0 + 1)
            } else {
                format!("the versions {} to {} are missing", w[0].0 + 1, w[1].0 - 1)
            };
            return Err(super::usage(format!(
                "{} is followed by {}: {missing}; restore the lost migration (the database may have run it), or renumber the files after it",
                w[0].1.path.display(),
                w[1].1.path.display()
            )));
        }
    }
    keyed
        .into_iter()
        .map(|(n, item)| {
            let version = match kind_of(&item.digits) {
                Kind::Stamp => i64::try_from(n).ok(),
                Kind::Seconds => seconds_version(n),
            };
            let version = version.ok_or_else(|| {
                usage_at(
                    &item.path,
                    &format!(
                        "the version {} is neither a yyyymmddHHMMSS time nor a count of seconds before the year 10000",
                        item.digits
                    ),
                )
            })?;
            Ok(Source {
                version,
                slug: item.slug,
                key: item.key,
                path: item.path,
                bytes: item.bytes,
            })
        })
        .collect()
}

/// A pgtenant migration from the other tool's sections: the up text byte
/// for byte, `-- pgtenant:no-transaction` before it when the tool runs it
/// outside a transaction, and the down text after `-- pgtenant:down`.
pub fn compose(no_transaction: bool, up: &[u8], down: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(up.len() + down.map_or(0, <[u8]>::len) + 64);
    if no_transaction {
        out.extend_from_slice(Directive::NoTransaction.comment().as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(up);
    if let Some(down) = down {
        if !out.is_empty() && !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        out.extend_from_slice(Directive::Down.comment().as_bytes());
        out.push(b'\n');
        out.extend_from_slice(down);
    }
    out
}

/// One migration file of a tool that keeps an up and a down file per
/// version (sqlx's reversible migrations, golang-migrate).
pub struct UpDown {
    pub digits: String,
    /// The name after the version, without its suffix.
    pub title: String,
    pub path: PathBuf,
}

/// Pair each up file with the down file of its version: each item's up and
/// down bytes are read and composed (`no_transaction` decides from both).
/// Two down files of one version, or a down file without its up file, are
/// refused naming the files.
pub fn pair_up_down(
    ups: Vec<UpDown>,
    down_files: Vec<UpDown>,
    no_transaction: impl Fn(&[u8], Option<&[u8]>) -> bool,
) -> Result<Vec<Numbered>> {
    let mut downs: BTreeMap<u64, UpDown> = BTreeMap::new();
    for n in down_files {
        let number = number(&n.digits).unwrap_or(u64::MAX);
        if let Some(other) = downs.get(&number) {
            return Err(usage(format!(
                "{} and {} are both down migrations of the version {number}; remove one of them",
                other.path.display(),
                n.path.display()
            )));
        }
        downs.insert(number, n);
    }
    let mut items = Vec::new();
    for up in ups {
        let number = number(&up.digits).unwrap_or(u64::MAX);
        let up_bytes = read_sql(&up.path)?;
        let down = downs.remove(&number);
        let down_bytes = down.as_ref().map(|d| read_sql(&d.path)).transpose()?;
        let no_tx = no_transaction(&up_bytes, down_bytes.as_deref());
        items.push(Numbered {
            key: number.to_string(),
            slug: slug_of(&up.title),
            bytes: compose(no_tx, &up_bytes, down_bytes.as_deref()),
            digits: up.digits,
            path: up.path,
        });
    }
    if let Some(down) = downs.values().next() {
        return Err(usage_at(
            &down.path,
            &format!(
                "a down migration without its up migration ({}_{}.up.sql); add the up file or remove this one",
                down.digits, down.title
            ),
        ));
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(digits: &str) -> Numbered {
        Numbered {
            digits: digits.to_owned(),
            key: digits.to_owned(),
            slug: "x".to_owned(),
            path: PathBuf::from(format!("m/{digits}_x.sql")),
            bytes: Vec::new(),
        }
    }

    fn versions(digits: &[&str]) -> Result<Vec<i64>, String> {
        assign(digits.iter().map(|d| item(d)).collect())
            .map(|s| s.iter().map(|s| s.version).collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn numbers_become_versions_in_numeric_order() {
        assert_eq!(
            versions(&["0002", "0001", "0003"]),
            Ok(vec![19700101000001, 19700101000002, 19700101000003])
        );
        assert_eq!(
            versions(&["20240102000000", "20240101120000"]),
            Ok(vec![20240101120000, 20240102000000])
        );
        // Unix times: gaps are normal.
        assert_eq!(
            versions(&["1481574547", "1481574600"]),
            Ok(vec![20161212202907, 20161212203000])
        );
        // Numerically 9 < 10 although "9" > "10" as text.
        assert_eq!(
            versions(&["9", "10"]),
            Ok(vec![19700101000009, 19700101000010])
        );
    }

    #[test]
    fn bad_numbering_is_refused_naming_the_files() {
        assert_eq!(
            versions(&["1", "2", "4"]).unwrap_err(),
            "m/2_x.sql is followed by m/4_x.sql: the version 3 is missing; restore the lost migration (the database may have run it), or renumber the files after it"
        );
        assert!(versions(&["1", "5"])
            .unwrap_err()
            .contains("the versions 2 to 4 are missing"));
        assert_eq!(
            versions(&["1", "01"]).unwrap_err(),
            "m/01_x.sql and m/1_x.sql both have the version 1; a version is one migration: renumber one of them"
        );
        assert_eq!(
            versions(&["20240101000000", "1"]).unwrap_err(),
            "m/20240101000000_x.sql is numbered by a yyyymmddHHMMSS time and m/1_x.sql by a sequence number or Unix time; a folder numbers its migrations one way: rename the files of one kind to the other"
        );
        assert!(versions(&["1700000000000000000"])
            .unwrap_err()
            .contains("is neither a yyyymmddHHMMSS time"));
    }

    #[test]
    fn compose_keeps_the_up_text_and_adds_directives() {
        assert_eq!(compose(false, b"select 1;", None), b"select 1;");
        assert_eq!(
            compose(true, b"select 1;", Some(b"select 2;\n")),
            b"-- pgtenant:no-transaction\nselect 1;\n-- pgtenant:down\nselect 2;\n"
        );
        assert_eq!(
            compose(false, b"a;\n", Some(b"")),
            b"a;\n-- pgtenant:down\n"
        );
    }
}
