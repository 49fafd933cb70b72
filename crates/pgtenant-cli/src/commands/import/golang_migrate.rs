//! golang-migrate's folder (flat): `<version>_<title>.up.sql` and,
//! optionally, `<version>_<title>.down.sql`. The version is a number
//! (`migrate create` writes a `yyyymmddHHMMSS` time by default, a Unix
//! time with `-format unix`, `000001` with `-seq`). golang-migrate runs a
//! file as one multi-statement query, which PostgreSQL runs as one
//! transaction: the pgtenant file is transactional.

use super::numbered::{self, UpDown};
use super::{files_of, leading_digits, usage_at, Source};
use anyhow::Result;
use std::path::Path;

fn parse(name: &str, path: &Path) -> Result<(UpDown, bool)> {
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
            UpDown {
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
    let (mut ups, mut downs) = (Vec::new(), Vec::new());
    for (name, path) in files_of(dir)? {
        if !name.ends_with(".sql") {
            continue;
        }
        let (n, up) = parse(&name, &path)?;
        if up {
            ups.push(n);
        } else {
            downs.push(n);
        }
    }
    numbered::assign(numbered::pair_up_down(ups, downs, |_, _| false)?)
}
