//! golang-migrate's folder (flat): `<version>_<title>.up.sql` and,
//! optionally, `<version>_<title>.down.sql`. The version is a number
//! (`migrate create` writes a `yyyymmddHHMMSS` time by default, a Unix
//! time with `-format unix`, `000001` with `-seq`). golang-migrate runs a
//! file as one multi-statement query, which PostgreSQL runs as one
//! transaction: the pgtenant file is transactional.

use super::numbered::{self, compose, Numbered};
use super::{files_of, leading_digits, read_sql, slug_of, usage, usage_at, Source};
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

struct Named {
    digits: String,
    title: String,
    path: PathBuf,
}

fn parse(name: &str, path: &Path) -> Result<(Named, bool)> {
    let (stem, up) = if let Some(s) = name.strip_suffix(".up.sql") {
        (s, true)
    } else if let Some(s) = name.strip_suffix(".down.sql") {
        (s, false)
    } else {
        (name, true)
    };
    let (digits, rest) = leading_digits(stem);
    let title = rest.strip_prefix('_');
    match title {
        Some(title) if !digits.is_empty() && stem.len() < name.len() => Ok((
            Named {
                digits: digits.to_owned(),
                title: title.to_owned(),
                path: path.to_owned(),
            },
            up,
        )),
        _ => Err(usage_at(
            path,
            "not named as golang-migrate names migrations: <version>_<title>.up.sql and <version>_<title>.down.sql; rename it or move it away",
        )),
    }
}

/// The migrations of a golang-migrate folder, in version order.
pub fn read(dir: &Path) -> Result<Vec<Source>> {
    let mut ups = Vec::new();
    let mut downs: BTreeMap<u64, Named> = BTreeMap::new();
    for (name, path) in files_of(dir)? {
        if !name.ends_with(".sql") {
            continue;
        }
        let (n, up) = parse(&name, &path)?;
        if up {
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
        items.push(Numbered {
            key: number.to_string(),
            slug: slug_of(&up.title),
            bytes: compose(false, &up_bytes, down_bytes.as_deref()),
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
    numbered::assign(items)
}
