//! Migration files on disk: names, directives, sections and checksums.
//!
//! A migration is `<version>_<slug>.sql` where the version is the UTC time
//! it was written, `yyyymmddHHMMSS`. Three directives, each alone on its
//! line:
//!
//! - `-- pgtenant:no-transaction`: run statement by statement outside a
//!   transaction (needed by `CREATE INDEX CONCURRENTLY`), journaling each
//!   step so that a crash resumes at the next one.
//! - `-- pgtenant:down`: everything after it is the down section, run by
//!   `rollback`.
//! - `-- pgtenant:commit` (a note may follow): the statement above must
//!   commit before the next ones run, as a printed plan marks it; the file
//!   then runs as if marked no-transaction.
//!
//! The checksum is taken over the statements in canonical form (see
//! [`pgtenant_schema::sqltext::lex::canonical`]): line endings, trailing whitespace, a BOM,
//! blank lines and ordinary comments do not count; the directives and the
//! text inside strings, quoted identifiers and dollar quotes do.

use super::MigrateError;
use pgtenant_schema::directive::{self, Directive};
use pgtenant_schema::sqltext::lex::{self, Kind};
use pgtenant_schema::sqltext::{line_of, split_statements, Statement};
use pgtenant_schema::Plan;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// One migration file, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationFile {
    /// `yyyymmddHHMMSS` as a number.
    pub version: i64,
    /// The slug after the version.
    pub name: String,
    /// The path as given (joined to the folder), for messages.
    pub path: PathBuf,
    /// The up statements, lines counted in the whole file.
    pub up: Vec<Statement>,
    /// The down section's statements, when the file has one.
    pub down: Option<Vec<Statement>>,
    /// Marked `-- pgtenant:no-transaction`.
    pub no_transaction: bool,
    /// Hex SHA-256 of the canonical text.
    pub checksum: String,
}

impl MigrationFile {
    /// The path for messages.
    pub fn display(&self) -> String {
        self.path.display().to_string()
    }
}

/// The file name of a migration: `<version>_<slug>.sql`.
pub fn file_name(version: i64, slug: &str) -> String {
    format!("{version}_{slug}.sql")
}

/// The version of a migration written at `t` (UTC): `yyyymmddHHMMSS`.
pub fn version_at(t: chrono::NaiveDateTime) -> i64 {
    t.format("%Y%m%d%H%M%S")
        .to_string()
        .parse()
        .unwrap_or_default()
}

/// The version one second after `version`; `None` when it is not a
/// `yyyymmddHHMMSS` time.
pub fn next_version(version: i64) -> Option<i64> {
    let t = chrono::NaiveDateTime::parse_from_str(&version.to_string(), "%Y%m%d%H%M%S").ok()?;
    Some(version_at(t + chrono::Duration::seconds(1)))
}

/// A migration to write; [`parse`] reads back what [`MigrationText::render`]
/// writes: the same up and down statements and the same directive. The
/// sections are plans, rendered by [`Plan::statements_sql`] (hazards as
/// comments before their statement).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigrationText<'a> {
    /// Comment lines at the top, without `-- ` (an empty one writes `--`).
    pub header: &'a [String],
    /// Run outside a transaction (`-- pgtenant:no-transaction`): needed when
    /// a step must commit before a later one runs.
    pub no_transaction: bool,
    pub up: &'a Plan,
    /// The down section, when there is one.
    pub down: Option<&'a Plan>,
}

impl MigrationText<'_> {
    /// The file's text. Deterministic: the version is only in the name.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for line in self.header {
            if line.is_empty() {
                out.push_str("--\n");
            } else {
                out.push_str("-- ");
                out.push_str(line);
                out.push('\n');
            }
        }
        if self.no_transaction {
            out.push('\n');
            out.push_str(&Directive::NoTransaction.comment());
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.up.statements_sql());
        if let Some(down) = self.down {
            out.push('\n');
            out.push_str(&Directive::Down.comment());
            out.push('\n');
            out.push_str(&down.statements_sql());
        }
        out
    }
}

/// Why an unknown (or misspelt) directive is refused.
fn unknown_directive(written: &str) -> String {
    format!(
        "unknown directive `{written}`; the directives of a migration are {}, {} and {}",
        Directive::NoTransaction,
        Directive::Down,
        Directive::Commit
    )
}

/// Check a file name; returns the version and the slug, or why not.
pub fn parse_name(file_name: &str) -> Result<(i64, String), String> {
    let Some(stem) = file_name.strip_suffix(".sql") else {
        return Err("it does not end in .sql".into());
    };
    let Some((version, slug)) = stem.split_once('_') else {
        return Err("there is no `_` between the version and the name".into());
    };
    if version.len() != 14 || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "the version `{version}` is not 14 digits (yyyymmddHHMMSS, UTC)"
        ));
    }
    if chrono::NaiveDateTime::parse_from_str(version, "%Y%m%d%H%M%S").is_err() {
        return Err(format!(
            "the version `{version}` is not a valid date and time (yyyymmddHHMMSS, UTC)"
        ));
    }
    if slug.is_empty() {
        return Err("the name after the version is empty".into());
    }
    if let Some(c) = slug
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(format!(
            "the name contains {c:?}; use letters, digits, `_` and `-`"
        ));
    }
    let v = version.parse::<i64>().map_err(|e| e.to_string())?;
    Ok((v, slug.to_owned()))
}

/// Normalise line endings and drop a BOM; statements and lines are counted
/// in this text.
pub fn normalize_text(raw: &str) -> String {
    let t = raw.strip_prefix('\u{feff}').unwrap_or(raw);
    if t.contains('\r') {
        t.replace("\r\n", "\n")
    } else {
        t.to_owned()
    }
}

/// Parse a migration's text. `path` is used in messages only.
pub fn parse(
    path: &Path,
    version: i64,
    name: &str,
    raw: &str,
) -> Result<MigrationFile, MigrateError> {
    let text = normalize_text(raw);
    let file = path.display().to_string();
    let mut no_transaction = false;
    let mut commit = false;
    let mut down_at: Option<usize> = None;
    for t in lex::lex(&text) {
        if t.kind != Kind::LineComment {
            continue;
        }
        let Some(found) = directive::parse(&text[t.start + 2..t.end]) else {
            continue;
        };
        let line_start = text[..t.start].rfind('\n').map_or(0, |p| p + 1);
        let alone = text[line_start..t.start].trim().is_empty();
        let line = line_of(&text, t.start);
        let bad = |reason: String| MigrateError::Directive {
            file: file.clone(),
            line,
            reason,
        };
        match found.directive {
            // The commit marker of a printed plan carries a note.
            Some(Directive::Commit) if alone => commit = true,
            Some(Directive::NoTransaction | Directive::Down) if !found.argument.is_empty() => {
                return Err(bad(unknown_directive(&found.written())));
            }
            Some(Directive::NoTransaction) if alone && down_at.is_none() => no_transaction = true,
            Some(Directive::Down) if alone && down_at.is_none() => down_at = Some(line_start),
            Some(Directive::Down) if down_at.is_some() => {
                return Err(bad(format!(
                    "a second {}; a file has one down section",
                    Directive::Down
                )))
            }
            Some(Directive::NoTransaction) if down_at.is_some() => {
                return Err(bad(format!(
                    "{} belongs before {} (it applies to both sections)",
                    Directive::NoTransaction,
                    Directive::Down
                )))
            }
            Some(d @ (Directive::NoTransaction | Directive::Down | Directive::Commit)) => {
                return Err(bad(format!("{d} must be alone on its line")))
            }
            _ => return Err(bad(unknown_directive(&found.written()))),
        }
    }
    // A commit inside a file needs statements outside a transaction.
    let no_transaction = no_transaction || commit;
    let (up_text, down) = match down_at {
        Some(at) => {
            let first_line = line_of(&text, at);
            let mut stmts = split_statements(&text[at..]);
            for s in &mut stmts {
                s.line += first_line - 1;
                s.offset += at;
            }
            (&text[..at], Some(stmts))
        }
        None => (&text[..], None),
    };
    let up = split_statements(up_text);
    if !no_transaction {
        for s in up.iter().chain(down.iter().flatten()) {
            if let Some(word) = transaction_control(&s.sql) {
                return Err(MigrateError::TransactionControl {
                    file,
                    line: s.line,
                    statement: word,
                });
            }
        }
    }
    let checksum = checksum(no_transaction, &up, down.as_deref());
    Ok(MigrationFile {
        version,
        name: name.to_owned(),
        path: path.to_owned(),
        up,
        down,
        no_transaction,
        checksum,
    })
}

/// The transaction-control statement `sql` is, if it is one.
pub(crate) fn transaction_control(sql: &str) -> Option<String> {
    let canon = lex::canonical(sql).to_ascii_lowercase();
    let mut words = canon
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty());
    let first = words.next()?;
    let second = words.next();
    match (first, second) {
        ("begin" | "commit" | "rollback" | "end" | "abort", _) => Some(first.to_ascii_uppercase()),
        ("start", Some("transaction")) => Some("START TRANSACTION".into()),
        _ => None,
    }
}

/// Hex SHA-256 over the canonical statements and the directives.
pub fn checksum(no_transaction: bool, up: &[Statement], down: Option<&[Statement]>) -> String {
    let mut h = Sha256::new();
    h.update(b"pgtenant-migration-v1\n");
    if no_transaction {
        h.update(Directive::NoTransaction.comment().as_bytes());
        h.update(b"\n");
    }
    for s in up {
        h.update(lex::canonical(&s.sql).as_bytes());
        h.update(b";\n");
    }
    if let Some(down) = down {
        h.update(Directive::Down.comment().as_bytes());
        h.update(b"\n");
        for s in down {
            h.update(lex::canonical(&s.sql).as_bytes());
            h.update(b";\n");
        }
    }
    hex::encode(h.finalize())
}

/// Read and parse every `*.sql` file of `dir`, sorted by version. A folder
/// that does not exist holds no migrations. Files are read and hashed on all
/// cores. Other files (a README, `.gitkeep`) are ignored.
pub fn load_dir(dir: &Path) -> Result<Vec<MigrationFile>, MigrateError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(MigrateError::ReadDir {
                path: dir.display().to_string(),
                source,
            })
        }
    };
    let mut named = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| MigrateError::ReadDir {
            path: dir.display().to_string(),
            source,
        })?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if !file_name.ends_with(".sql") {
            continue;
        }
        let path = dir.join(&file_name);
        let (version, name) = parse_name(&file_name).map_err(|reason| MigrateError::BadName {
            file: path.display().to_string(),
            reason,
        })?;
        named.push((version, name, path));
    }
    named.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.2.cmp(&b.2)));
    for w in named.windows(2) {
        if w[0].0 == w[1].0 {
            return Err(MigrateError::DuplicateVersion {
                version: w[0].0,
                file: w[0].2.display().to_string(),
                other: w[1].2.display().to_string(),
            });
        }
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = named.len().div_ceil(threads).max(64);
    let results: Vec<Result<Vec<MigrationFile>, MigrateError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = named
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(version, name, path)| {
                            let raw = std::fs::read_to_string(path).map_err(|source| {
                                MigrateError::ReadFile {
                                    path: path.display().to_string(),
                                    source,
                                }
                            })?;
                            parse(path, *version, name, &raw)
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut out = Vec::with_capacity(named.len());
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}

/// Whether `path` holds migrations rather than plain SQL: a `.sql` file
/// named `<version>_<slug>.sql` or carrying a migration directive, or a
/// folder with such a file. A migration's down section must never run when
/// its folder is loaded as a schema: read such a source with [`load_path`].
pub fn holds_migrations(path: &Path) -> bool {
    let is_migration = |p: &Path| {
        let named = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| parse_name(n).is_ok());
        named
            || std::fs::read_to_string(p).is_ok_and(|text| {
                text.lines().any(|l| {
                    l.strip_prefix("--")
                        .and_then(directive::parse)
                        .is_some_and(|d| {
                            matches!(
                                d.directive,
                                Some(Directive::Down | Directive::NoTransaction)
                            )
                        })
                })
            })
    };
    if path.is_file() {
        return is_migration(path);
    }
    std::fs::read_dir(path).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let p = e.path();
            p.extension().is_some_and(|x| x == "sql") && p.is_file() && is_migration(&p)
        })
    })
}

/// The migrations of a folder ([`load_dir`]) or of one migration file.
pub fn load_path(path: &Path) -> Result<Vec<MigrationFile>, MigrateError> {
    if !path.is_file() {
        return load_dir(path);
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (version, name) = parse_name(&file_name).map_err(|reason| MigrateError::BadName {
        file: path.display().to_string(),
        reason,
    })?;
    let raw = std::fs::read_to_string(path).map_err(|source| MigrateError::ReadFile {
        path: path.display().to_string(),
        source,
    })?;
    Ok(vec![parse(path, version, &name, &raw)?])
}

impl MigrationFile {
    /// The up section's statements as one text, each statement on the line
    /// it has in its file (so an error names the file's own line).
    pub fn up_text(&self) -> String {
        let mut out = String::new();
        let mut line = 1usize;
        for s in &self.up {
            while line < s.line {
                out.push('\n');
                line += 1;
            }
            out.push_str(&s.sql);
            out.push_str(";\n");
            line += s.sql.matches('\n').count() + 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> MigrationFile {
        parse(
            Path::new("m/20240101000000_x.sql"),
            20240101000000,
            "x",
            text,
        )
        .unwrap()
    }

    fn err(text: &str) -> String {
        parse(
            Path::new("m/20240101000000_x.sql"),
            20240101000000,
            "x",
            text,
        )
        .unwrap_err()
        .to_string()
    }

    #[test]
    fn names() {
        assert_eq!(
            parse_name("20240131120000_add_users.sql"),
            Ok((20240131120000, "add_users".into()))
        );
        assert_eq!(
            parse_name("20240131120000_add-users2.sql").unwrap().1,
            "add-users2"
        );
        assert!(parse_name("2024_add.sql")
            .unwrap_err()
            .contains("not 14 digits"));
        assert!(parse_name("20241331120000_x.sql")
            .unwrap_err()
            .contains("not a valid date"));
        assert!(parse_name("20240131120000.sql")
            .unwrap_err()
            .contains("no `_`"));
        assert!(parse_name("20240131120000_.sql")
            .unwrap_err()
            .contains("empty"));
        assert!(parse_name("20240131120000_a b.sql")
            .unwrap_err()
            .contains("' '"));
    }

    #[test]
    fn formatting_and_comment_edits_keep_the_checksum() {
        let base = p("create table t (id int primary key, s text default 'a -- b');\ncreate index on t (s);\n");
        let variants = [
            "\u{feff}create table t (id int primary key, s text default 'a -- b');\r\ncreate index on t (s);\r\n",
            "-- a header comment\ncreate table t (\n  id int primary key,   \n  s text default 'a -- b' -- why\n);\n\n\n/* block */\ncreate index on t (s);",
            "create table t (id int primary key, s text default 'a -- b');   \n\ncreate index on t (s); -- trailing\n",
        ];
        for v in variants {
            assert_eq!(p(v).checksum, base.checksum, "{v:?}");
        }
    }

    #[test]
    fn real_edits_change_the_checksum() {
        let base = p("create table t (s text default 'a');\n");
        for v in [
            "create table t (s text default 'b');\n",
            "create table t (s text default 'a ');\n",
            "create table t (s varchar default 'a');\n",
            "-- pgtenant:no-transaction\ncreate table t (s text default 'a');\n",
            "create table t (s text default 'a');\n-- pgtenant:down\n",
            "create table t (s text default 'a');\n-- pgtenant:down\ndrop table t;\n",
            "create function f() returns int language sql as $$ select 1 -- x\n $$;\n",
        ] {
            assert_ne!(p(v).checksum, base.checksum, "{v:?}");
        }
        // A comment inside a dollar-quoted body is part of the body.
        assert_ne!(
            p("create function f() returns int language sql as $$ select 1 -- x\n $$;").checksum,
            p("create function f() returns int language sql as $$ select 1 -- y\n $$;").checksum
        );
    }

    #[test]
    fn directives_and_sections() {
        let f = p("-- pgtenant:no-transaction\ncreate index concurrently i on t (a);\n\n-- pgtenant:down\ndrop index concurrently i;\n");
        assert!(f.no_transaction);
        assert_eq!(f.up.len(), 1);
        assert_eq!(f.up[0].line, 2);
        let down = f.down.unwrap();
        assert_eq!(down.len(), 1);
        assert_eq!(down[0].line, 5);
        assert_eq!(down[0].sql, "drop index concurrently i");
        // A directive-looking text inside a string is not a directive.
        let f = p("select '\n-- pgtenant:down\n';\n");
        assert!(f.down.is_none());
        assert_eq!(f.up.len(), 1);
    }

    #[test]
    fn bad_directives_are_refused_with_file_and_line() {
        assert_eq!(
            err("select 1;\n-- pgtenant:nontransaction\n"),
            "m/20240101000000_x.sql:2: unknown directive `pgtenant:nontransaction`; the directives of a migration are `-- pgtenant:no-transaction`, `-- pgtenant:down` and `-- pgtenant:commit`"
        );
        assert!(err("select 1; -- pgtenant:down\n")
            .contains(":1: `-- pgtenant:down` must be alone on its line"));
        assert!(
            err("-- pgtenant:down\n-- pgtenant:down\n").contains(":2: a second `-- pgtenant:down`")
        );
        assert!(err("select 1;\n-- pgtenant:renamed-from x\n")
            .contains(":2: unknown directive `pgtenant:renamed-from x`"));
    }

    #[test]
    fn a_commit_marker_makes_the_file_run_outside_a_transaction() {
        let f = p("alter type e add value 'b';\n-- pgtenant:commit (the statement above must commit before the next ones run)\nalter table t alter column c set default 'b';\n");
        assert!(f.no_transaction);
        assert_eq!(f.up.len(), 2);
        assert!(err("select 1; -- pgtenant:commit\n").contains("must be alone on its line"));
    }

    #[test]
    fn transaction_control_is_refused_in_transactional_files() {
        assert_eq!(
            err("create table a (id int);\nCOMMIT;\n"),
            "m/20240101000000_x.sql:2: COMMIT inside a migration; remove it (pgtenant runs each migration in its own transaction with its journal row), or mark the file `-- pgtenant:no-transaction`"
        );
        assert!(err("begin;\nselect 1;").contains(":1: BEGIN inside"));
        // BEGIN ATOMIC bodies are fine.
        p("create function f() returns int language sql begin atomic select 1; end;");
    }

    #[test]
    fn what_the_writer_writes_the_reader_reads_back() {
        use pgtenant_schema::{Hazard, HazardKind, Step, TxBoundary};
        let st = |hazards: Vec<Hazard>, sql: &str, tx| Step {
            sql: sql.to_owned(),
            hazards,
            objects: vec![],
            tx,
        };
        let up = Plan {
            steps: vec![
                st(
                    vec![Hazard::new(HazardKind::IndexBuild, "building i")],
                    "create index concurrently i on t (a)",
                    TxBoundary::None,
                ),
                st(
                    vec![],
                    "create table u (\n  s text default 'a; -- b'\n)",
                    TxBoundary::None,
                ),
            ],
        };
        let down = Plan {
            steps: vec![
                // The boundary is the file's no-transaction directive.
                st(vec![], "drop table u", TxBoundary::CommitAfter),
                st(vec![], "drop index concurrently i", TxBoundary::None),
            ],
        };
        let header = ["Migration x.".into(), String::new(), "Changes:".into()];
        for (no_transaction, down) in [(true, Some(&down)), (false, None), (false, Some(&down))] {
            let m = MigrationText {
                header: &header,
                no_transaction,
                up: &up,
                down,
            };
            let text = m.render();
            let f = p(&text);
            let sqls = |v: &[Statement]| v.iter().map(|s| s.sql.clone()).collect::<Vec<_>>();
            let written = |p: &Plan| p.steps.iter().map(|s| s.sql.clone()).collect::<Vec<_>>();
            assert_eq!(f.no_transaction, no_transaction, "{text}");
            assert_eq!(sqls(&f.up), written(&up), "{text}");
            assert_eq!(f.down.as_deref().map(sqls), down.map(written), "{text}");
            assert!(text.starts_with("-- Migration x.\n--\n-- Changes:\n"));
            assert!(text.contains("\n-- hazard: INDEX_BUILD: building i\ncreate index"));
            assert!(!text.contains("pgtenant:commit"), "{text}");
        }
        assert_eq!(
            file_name(20240131120000, "add_users"),
            "20240131120000_add_users.sql"
        );
        assert_eq!(
            parse_name(&file_name(20240131120000, "add_users")),
            Ok((20240131120000, "add_users".into()))
        );
        assert_eq!(next_version(20261231235959), Some(20270101000000));
        assert_eq!(next_version(1), None);
    }
}
