//! sqlx's folder (`migrations/`, flat): simple migrations
//! `<version>_<description>.sql`, or reversible ones
//! `<version>_<description>.up.sql` + `<version>_<description>.down.sql`
//! (`sqlx migrate add -r`), never both kinds in one folder. The version is
//! a number (`sqlx migrate add` writes a `yyyymmddHHMMSS` time, or `0001`
//! with `--sequential`); a file starting with `-- no-transaction` runs
//! outside a transaction.

use super::numbered::{self, compose, Numbered};
use super::{files_of, leading_digits, read_sql, slug_of, usage, usage_at, Source};
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// sqlx's marker, at the very start of a file.
const NO_TRANSACTION: &[u8] = b"-- no-transaction";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Simple,
    Up,
    Down,
}

struct Named {
    digits: String,
    description: String,
    kind: Kind,
    path: PathBuf,
}

fn parse(name: &str, path: &Path) -> Result<Named> {
    let (stem, kind) = if let Some(s) = name.strip_suffix(".up.sql") {
        (s, Kind::Up)
    } else if let Some(s) = name.strip_suffix(".down.sql") {
        (s, Kind::Down)
    } else {
        (name.strip_suffix(".sql").unwrap_or(name), Kind::Simple)
    };
    let (digits, rest) = leading_digits(stem);
    let description = rest.strip_prefix('_').unwrap_or_default();
    if digits.is_empty() || description.is_empty() {
        return Err(usage_at(
            path,
            "not named as sqlx names migrations: <version>_<description>.sql, or .up.sql and .down.sql for reversible ones; rename it or move it away",
        ));
    }
    Ok(Named {
        digits: digits.to_owned(),
        description: description.to_owned(),
        kind,
        path: path.to_owned(),
    })
}

/// The migrations of a sqlx folder, in version order.
pub fn read(dir: &Path) -> Result<Vec<Source>> {
    let mut named = Vec::new();
    for (name, path) in files_of(dir)? {
        if !name.ends_with(".sql") {
            continue;
        }
        named.push(parse(&name, &path)?);
    }
    let simple = named.iter().find(|n| n.kind == Kind::Simple);
    let reversible = named.iter().find(|n| n.kind != Kind::Simple);
    if let (Some(s), Some(r)) = (simple, reversible) {
        return Err(usage(format!(
            "{} is a simple migration and {} a reversible one; sqlx keeps one kind in a folder: make them all simple or all reversible (.up.sql and .down.sql)",
            s.path.display(),
            r.path.display()
        )));
    }
    let mut downs: BTreeMap<u64, Named> = BTreeMap::new();
    let mut ups = Vec::new();
    for n in named {
        if n.kind != Kind::Down {
            ups.push(n);
            continue;
        }
        let number = numbered::number(&n.digits).unwrap_or(u64::MAX);
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
        let number = numbered::number(&up.digits).unwrap_or(u64::MAX);
        let up_bytes = read_sql(&up.path)?;
        let down = downs.remove(&number);
        let down_bytes = down.as_ref().map(|d| read_sql(&d.path)).transpose()?;
        let no_transaction = up_bytes.starts_with(NO_TRANSACTION)
            || down_bytes
                .as_ref()
                .is_some_and(|d| d.starts_with(NO_TRANSACTION));
        items.push(Numbered {
            key: number.to_string(),
            slug: slug_of(&up.description),
            bytes: compose(no_transaction, &up_bytes, down_bytes.as_deref()),
            digits: up.digits,
            path: up.path,
        });
    }
    if let Some(down) = downs.values().next() {
        return Err(usage_at(
            &down.path,
            &format!(
                "a down migration without its up migration ({}_{}.up.sql); add the up file or remove this one",
                down.digits, down.description
            ),
        ));
    }
    numbered::assign(items)
}
