//! Rename hints in the desired SQL: `-- pgtenant:renamed-from old_name`.
//!
//! A catalog cannot tell a rename from a drop and an add, so the desired SQL
//! says so in a comment at the end of a line of a `CREATE TABLE` statement:
//!
//! ```sql
//! CREATE TABLE app.members (          -- pgtenant:renamed-from team_members
//!     id bigint PRIMARY KEY,
//!     "teamId" uuid NOT NULL,         -- pgtenant:renamed-from team_id
//!     email text
//! );
//! ```
//!
//! - On the line that holds `CREATE TABLE`: the table was renamed. An
//!   unqualified old name is in the same schema as the new one.
//! - On a column definition line: that column was renamed.
//! - Names are SQL identifiers: bare ones fold to lower case, `"Quoted"` ones
//!   keep their case. An unqualified `CREATE TABLE` name is in `public`.
//!
//! A hint anywhere else (another statement, a constraint line) is an error
//! naming its file and line, rather than being silently ignored.

use crate::directive::{self, Directive};
use crate::model::{QualName, RenameHint};
use crate::sqltext::{split_statements, LineIndex};
use std::collections::BTreeSet;

/// The directive of a rename hint.
const MARKER: Directive = Directive::RenamedFrom;

/// A rename hint that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {problem}")]
pub struct RenameHintError {
    pub file: String,
    pub line: usize,
    pub problem: String,
}

/// Read the rename hints of one SQL text. `file` names it in errors.
pub fn parse_rename_hints(file: &str, text: &str) -> Result<Vec<RenameHint>, RenameHintError> {
    let lines: Vec<&str> = text.lines().collect();
    let err = |line: usize, problem: String| RenameHintError {
        file: file.to_owned(),
        line,
        problem,
    };
    let mut hints = Vec::new();
    let mut used = BTreeSet::new();
    let index = LineIndex::new(text);

    for stmt in split_statements(text) {
        let Some(table) = create_table_name(&stmt.sql) else {
            continue;
        };
        let table = qualify(table, "public");
        let first = stmt.line;
        let last = index.line_of(stmt.offset + stmt.sql.len());
        for line_no in first..=last {
            let Some(line) = lines.get(line_no - 1) else {
                break;
            };
            let Some(old) = hint_of(line) else { continue };
            used.insert(line_no);
            if old.is_empty() {
                return Err(err(
                    line_no,
                    format!("{MARKER} needs the old name after it"),
                ));
            }
            if line_no == first {
                let from = parse_name(old)
                    .ok_or_else(|| err(line_no, format!("`{old}` is not a table name")))?;
                hints.push(RenameHint::Table {
                    from: qualify(from, &table.schema),
                    to: table.clone(),
                });
            } else {
                let to = column_of_line(line).ok_or_else(|| {
                    err(
                        line_no,
                        format!(
                            "{MARKER} must end the line that defines a column (or the CREATE TABLE line)"
                        ),
                    )
                })?;
                let from = match parse_name(old) {
                    Some((None, name)) => name,
                    _ => return Err(err(line_no, format!("`{old}` is not a column name"))),
                };
                hints.push(RenameHint::Column {
                    table: table.clone(),
                    from,
                    to,
                });
            }
        }
    }

    for (i, line) in lines.iter().enumerate() {
        if hint_of(line).is_some() && !used.contains(&(i + 1)) {
            return Err(err(
                i + 1,
                format!("{MARKER} must be on a line of a CREATE TABLE statement"),
            ));
        }
    }
    Ok(hints)
}

fn qualify((schema, name): (Option<String>, String), default_schema: &str) -> QualName {
    QualName::new(schema.unwrap_or_else(|| default_schema.to_owned()), name)
}

/// The text after `-- pgtenant:renamed-from` when the line ends with such a
/// comment (outside string literals and quoted identifiers).
fn hint_of(line: &str) -> Option<&str> {
    let comment = line_comment(line)?;
    let found = directive::parse(comment)?;
    (found.directive == Some(MARKER)).then_some(found.argument)
}

/// The text after the `--` that starts a comment on `line`, if any.
fn line_comment(line: &str) -> Option<&str> {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += 1;
                }
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => return Some(&line[i + 2..]),
            _ => {}
        }
        i += 1;
    }
    None
}

/// One identifier at the start of `s`: `(name, rest)`. Bare words fold to
/// lower case; quoted ones keep their text with `""` unescaped.
fn ident(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    if let Some(body) = s.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if chars.peek().map(|&(_, n)| n) == Some('"') {
                    out.push('"');
                    chars.next();
                    continue;
                }
                return (!out.is_empty()).then(|| (out, &body[i + 1..]));
            }
            out.push(c);
        }
        return None;
    }
    let end = s
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .map_or(s.len(), |(i, _)| i);
    let word = &s[..end];
    if word.is_empty() || word.starts_with(|c: char| c.is_ascii_digit() || c == '$') {
        return None;
    }
    Some((word.to_lowercase(), &s[end..]))
}

/// `[schema.]name` followed by nothing else but whitespace.
fn parse_name(s: &str) -> Option<(Option<String>, String)> {
    let (first, rest) = ident(s)?;
    if let Some(rest) = rest.trim_start().strip_prefix('.') {
        let (second, rest) = ident(rest)?;
        return rest.trim().is_empty().then_some((Some(first), second));
    }
    rest.trim().is_empty().then_some((None, first))
}

/// The table name of a `CREATE [GLOBAL|LOCAL] [TEMP|TEMPORARY|UNLOGGED]
/// TABLE [IF NOT EXISTS] name` statement.
fn create_table_name(sql: &str) -> Option<(Option<String>, String)> {
    let mut rest = skip_comments(sql);
    let word = |rest: &mut &str| -> Option<String> {
        let (w, r) = ident(rest)?;
        *rest = skip_comments(r);
        Some(w)
    };
    if word(&mut rest)? != "create" {
        return None;
    }
    let mut w = word(&mut rest)?;
    if w == "global" || w == "local" {
        w = word(&mut rest)?;
    }
    if matches!(w.as_str(), "temp" | "temporary" | "unlogged") {
        w = word(&mut rest)?;
    }
    if w != "table" {
        return None;
    }
    let save = rest;
    if word(&mut rest).as_deref() == Some("if") {
        if word(&mut rest).as_deref() != Some("not") || word(&mut rest).as_deref() != Some("exists")
        {
            return None;
        }
    } else {
        rest = save;
    }
    let (first, r) = ident(rest)?;
    let r = skip_comments(r);
    if let Some(r) = r.strip_prefix('.') {
        let (second, _) = ident(skip_comments(r))?;
        return Some((Some(first), second));
    }
    Some((None, first))
}

fn skip_comments(mut s: &str) -> &str {
    loop {
        s = s.trim_start();
        if let Some(r) = s.strip_prefix("--") {
            s = r.find('\n').map_or("", |i| &r[i + 1..]);
        } else if let Some(r) = s.strip_prefix("/*") {
            s = r.find("*/").map_or("", |i| &r[i + 2..]);
        } else {
            return s;
        }
    }
}

/// The column a line of a CREATE TABLE defines: its first identifier, unless
/// the line starts a table constraint or a `LIKE` clause.
fn column_of_line(line: &str) -> Option<String> {
    let trimmed = line
        .trim_start()
        .trim_start_matches(['(', ','])
        .trim_start();
    let quoted = trimmed.starts_with('"');
    let (name, _) = ident(trimmed)?;
    const NOT_COLUMNS: &[&str] = &[
        "constraint",
        "primary",
        "unique",
        "check",
        "foreign",
        "exclude",
        "like",
        ")",
    ];
    if !quoted && NOT_COLUMNS.contains(&name.as_str()) {
        return None;
    }
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints(text: &str) -> Vec<RenameHint> {
        parse_rename_hints("schema/01.sql", text).unwrap()
    }

    fn table(from: (&str, &str), to: (&str, &str)) -> RenameHint {
        RenameHint::Table {
            from: QualName::new(from.0, from.1),
            to: QualName::new(to.0, to.1),
        }
    }

    fn column(table: (&str, &str), from: &str, to: &str) -> RenameHint {
        RenameHint::Column {
            table: QualName::new(table.0, table.1),
            from: from.into(),
            to: to.into(),
        }
    }

    #[test]
    fn table_and_column_hints() {
        let text = "-- a comment\nCREATE TABLE app.members ( -- pgtenant:renamed-from team_members\n    id bigint PRIMARY KEY,\n    \"teamId\" uuid NOT NULL, -- pgtenant:renamed-from team_id\n    email text -- pgtenant:renamed-from \"E-Mail\"\n);\n";
        assert_eq!(
            hints(text),
            vec![
                table(("app", "team_members"), ("app", "members")),
                column(("app", "members"), "team_id", "teamId"),
                column(("app", "members"), "E-Mail", "email"),
            ]
        );
    }

    #[test]
    fn unqualified_tables_are_public_and_old_names_may_be_qualified() {
        let text = "create table if not exists \"Users\" ( -- pgtenant:renamed-from legacy.people\n  Id int\n);\ncreate unlogged table t (x int); -- pgtenant:renamed-from \"T\"";
        assert_eq!(
            hints(text),
            vec![
                table(("legacy", "people"), ("public", "Users")),
                table(("public", "T"), ("public", "t"))
            ]
        );
    }

    #[test]
    fn no_hints_no_renames_and_other_comments_are_ignored() {
        let text = "create table a (\n  id int, -- pgtenant is great\n  b text -- renamed-from c\n);\nselect '-- pgtenant:renamed-from x';";
        assert!(hints(text).is_empty());
    }

    #[test]
    fn hint_outside_a_create_table_is_an_error() {
        let e = parse_rename_hints(
            "s.sql",
            "create view v as select 1; -- pgtenant:renamed-from w\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "s.sql:1: `-- pgtenant:renamed-from` must be on a line of a CREATE TABLE statement"
        );
    }

    #[test]
    fn hint_on_a_constraint_line_is_an_error() {
        let e = parse_rename_hints(
            "s.sql",
            "create table t (\n  id int,\n  constraint k unique (id) -- pgtenant:renamed-from k2\n);",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "s.sql:3: `-- pgtenant:renamed-from` must end the line that defines a column (or the CREATE TABLE line)"
        );
    }

    #[test]
    fn hint_without_a_name_is_an_error() {
        let e = parse_rename_hints(
            "s.sql",
            "create table t ( -- pgtenant:renamed-from\n id int);",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "s.sql:1: `-- pgtenant:renamed-from` needs the old name after it"
        );
        let e = parse_rename_hints(
            "s.sql",
            "create table t (\n id int -- pgtenant:renamed-from a.b\n);",
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "s.sql:2: `a.b` is not a column name");
    }
}
