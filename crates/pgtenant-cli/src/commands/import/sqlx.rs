//! sqlx's folder (`migrations/`, flat): simple migrations
//! `<version>_<description>.sql`, or reversible ones
//! `<version>_<description>.up.sql` + `<version>_<description>.down.sql`
//! (`sqlx migrate add -r`), never both kinds in one folder. The version is
//! a number (`sqlx migrate add` writes a `yyyymmddHHMMSS` time, or `0001`
//! with `--sequential`); a file starting with `-- no-transaction` runs
//! outside a transaction.

use super::numbered::{self, UpDown};
use super::{files_of, leading_digits, usage, usage_at, Source};
use anyhow::Result;
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
    let (mut ups, mut downs) = (Vec::new(), Vec::new());
    for n in named {
        let file = UpDown {
            digits: n.digits,
            title: n.description,
            path: n.path,
        };
        if n.kind == Kind::Down {
            downs.push(file);
        } else {
            ups.push(file);
        }
    }
    let no_transaction = |up: &[u8], down: Option<&[u8]>| {
        up.starts_with(NO_TRANSACTION) || down.is_some_and(|d| d.starts_with(NO_TRANSACTION))
    };
    numbered::assign(numbered::pair_up_down(ups, downs, no_transaction)?)
}
