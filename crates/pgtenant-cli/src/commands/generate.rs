//! `pgtenant generate --db NAME --name SLUG`: write the next migration.
//!
//! The migration files are replayed into one shadow database and the
//! desired schema (with its tenancy transform) loaded into another,
//! concurrently; the plan between them is applied to the migrations shadow
//! and the result must diff empty against the desired catalog (the
//! convergence check) before any file is written. The reverse plan is
//! checked the same way (applied after the up plan, it must give back the
//! migrations' catalog) and becomes the `-- pgtenant:down` section when it
//! does.
//!
//! A plan that deletes data is written only with `--allow-data-loss`. The
//! file is `<migrations>/<UTC yyyymmddHHMMSS>_<slug>.sql`; the version is
//! bumped past the newest file already there, so two runs within one
//! second (or a clock behind the newest file) never collide.

use crate::context::Context;
use crate::error::usage;
use crate::manifest::Database;
use crate::output::Report;
use crate::schema_state::{self, reversed_renames};
use anyhow::{bail, Context as _, Result};
use pgtenant::migrate::file::{self, MigrationText, WrittenStatement};
use pgtenant_schema::{diff, Catalog, HazardKind, Plan, TxBoundary};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, clap::Args)]
pub struct GenerateArgs {
    /// The database (a `[[database]]` name of the manifest).
    #[arg(long, value_name = "NAME")]
    pub db: String,

    /// The migration's name: lower-case letters, digits, `_` and `-`.
    #[arg(long, value_name = "SLUG")]
    pub name: String,

    /// Write the migration even though it deletes data (drops a table, a
    /// column, ...).
    #[arg(long)]
    pub allow_data_loss: bool,
}

/// Whether data-deleting steps are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataLoss {
    Refuse,
    Allow,
}

impl DataLoss {
    pub fn from_flag(allow: bool) -> DataLoss {
        if allow {
            DataLoss::Allow
        } else {
            DataLoss::Refuse
        }
    }
}

/// Where a migration's name goes wrong, if it does.
pub fn validate_slug(slug: &str) -> Result<(), String> {
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

/// Refuse a plan with `DELETES_DATA` unless allowed; the error names every
/// object that loses data and the flag.
pub fn check_data_loss(plan: &Plan, allow: DataLoss, what: &str, action: &str) -> Result<()> {
    if allow == DataLoss::Allow {
        return Ok(());
    }
    let lost: Vec<&str> = plan
        .hazards()
        .filter(|h| h.kind == HazardKind::DeletesData)
        .map(|h| h.message.as_str())
        .collect();
    if lost.is_empty() {
        return Ok(());
    }
    Err(usage(format!(
        "{what} deletes data:\n  - {}\nreview it, then pass --allow-data-loss to {action}",
        lost.join("\n  - "),
    )))
}

/// The plan's statements as the library writes them: hazards as comments
/// before their statement, one statement per `;`.
fn written(plan: &Plan) -> Vec<WrittenStatement> {
    plan.steps
        .iter()
        .map(|step| WrittenStatement {
            comments: step
                .hazards
                .iter()
                .map(|h| format!("hazard: {}: {}", h.kind, one_line(&h.message)))
                .collect(),
            sql: step.sql.clone(),
        })
        .collect()
}

/// The plan's statements as a script the migrate runner accepts.
pub fn plan_sql(plan: &Plan) -> String {
    file::script(&written(plan))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a statement must commit before a later one runs (`ALTER TYPE ...
/// ADD VALUE` followed by a use of the value).
fn needs_commit_inside(plan: &Plan) -> bool {
    let n = plan.steps.len();
    plan.steps
        .iter()
        .enumerate()
        .any(|(i, s)| s.tx == TxBoundary::CommitAfter && i + 1 < n)
}

/// A short description of a step: its first line, up to an opening
/// parenthesis, 100 characters at most.
fn summary(sql: &str) -> String {
    let first = sql.lines().next().unwrap_or("").trim();
    let cut = first.split(" (").next().unwrap_or(first);
    let mut s: String = cut.chars().take(100).collect();
    if s.len() < cut.len() {
        s.push_str(" ...");
    }
    s
}

/// What goes into a generated file.
struct Content<'a> {
    db: &'a str,
    slug: &'a str,
    up: &'a Plan,
    down: Result<&'a Plan, String>,
}

/// The text of a migration file. Deterministic: nothing in it depends on
/// the time (the version is only in the file name).
fn render(c: &Content<'_>) -> String {
    let mut header = vec![
        format!("Migration {} of database {}.", c.slug, c.db),
        "Generated by `pgtenant generate` from the schema folder; review before applying.".into(),
        String::new(),
        "Changes:".into(),
    ];
    let no_transaction =
        needs_commit_inside(c.up) || c.down.as_ref().is_ok_and(|d| needs_commit_inside(d));
    for step in &c.up.steps {
        header.push(format!("  {}", summary(&step.sql)));
    }
    header.push(String::new());
    header.push("Hazards:".into());
    let hazards: Vec<String> =
        c.up.hazards()
            .map(|h| format!("  {}: {}", h.kind, one_line(&h.message)))
            .collect();
    if hazards.is_empty() {
        header.push("  none".into());
    }
    header.extend(hazards);
    header.push(String::new());
    header.push(match &c.down {
        Ok(_) => "The down section undoes it (`pgtenant rollback`).".into(),
        Err(why) => format!(
            "No down section: {}; `pgtenant rollback` refuses this migration.",
            one_line(why)
        ),
    });
    if no_transaction {
        header.push(String::new());
        header.push("A new enum value must commit before it is used: this file runs".into());
        header.push("statement by statement, outside a transaction.".into());
    }
    MigrationText {
        header,
        no_transaction,
        up: written(c.up),
        down: c.down.as_ref().ok().map(|d| written(d)),
    }
    .render()
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
fn write_new(dir: &Path, slug: &str, text: &str) -> Result<PathBuf> {
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

/// What did not converge, for the bug report.
fn not_converged(what: &str, rest: &Plan) -> anyhow::Error {
    anyhow::anyhow!(
        "{what} does not converge: after applying it to the migrations shadow database, these differences remain:\n{}\nno file was written; this is a pgtenant bug: please report it with the schema change that caused it",
        plan_sql(rest).trim_end()
    )
}

/// Apply `plan` on the shadow and return the catalog it leaves.
async fn apply_on_shadow(
    m: &schema_state::MigrationsShadow,
    db: &Database,
    plan: &Plan,
    label: &str,
) -> Result<Catalog> {
    m.shadow
        .execute(Path::new(label), &plan_sql(plan))
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "the generated {label} fails on the migrations shadow database: {e}\nno file was written; this is a pgtenant bug: please report it with the schema change that caused it"
            )
        })?;
    let after = m.shadow.introspect().await?;
    let roles = db.roles().map(|(_, r)| r.name.clone()).collect();
    Ok(schema_state::without_grants_to(after, &roles))
}

/// The up plan, checked; the down plan, or why there is none.
async fn plans(
    m: &schema_state::MigrationsShadow,
    db: &Database,
    desired: &Catalog,
    up: &Plan,
) -> Result<Result<Plan, String>> {
    let after = apply_on_shadow(m, db, up, "up plan").await?;
    let rest = diff(&after, desired);
    if !rest.is_empty() {
        return Err(not_converged("the plan", &rest));
    }
    let mut target = m.catalog.clone();
    let mut from = after;
    from.renames = Vec::new();
    target.renames = reversed_renames(&desired.renames);
    let down = diff(&from, &target);
    if down.is_empty() {
        return Ok(Err("the reverse plan is empty".into()));
    }
    // The down plan runs after the up plan; it must give back the
    // migrations' catalog, else the file gets no down section.
    let reverted = match m
        .shadow
        .execute(Path::new("down plan"), &plan_sql(&down))
        .await
    {
        Ok(()) => m.shadow.introspect().await?,
        Err(e) => return Ok(Err(format!("the reverse plan fails: {e}"))),
    };
    let roles = db.roles().map(|(_, r)| r.name.clone()).collect();
    let reverted = schema_state::without_grants_to(reverted, &roles);
    let left = diff(&reverted, &m.catalog);
    if !left.is_empty() {
        return Ok(Err(format!(
            "the reverse plan does not give back the previous schema ({} difference(s) remain)",
            left.steps.len()
        )));
    }
    Ok(Ok(down))
}

pub async fn run(ctx: &Context, args: &GenerateArgs) -> Result<Report> {
    if let Err(why) = validate_slug(&args.name) {
        return Err(usage(format!(
            "--name {:?}: {why}; use lower-case letters, digits, `_` and `-`, e.g. --name add_invoices",
            args.name
        )));
    }
    let manifest = ctx.manifest()?;
    let db = manifest.select(Some(&args.db))?[0];
    let admin = ctx.admin_url()?;
    let files = schema_state::migration_files(db)?;
    ctx.detail(format_args!(
        "replaying {} migration(s) and loading schema {}",
        files.len(),
        db.schema_dir.display()
    ));
    let (m, desired) = schema_state::migrations_and_desired(&admin.url, db, &files).await?;
    let result = async {
        let up = diff(&m.catalog, &desired);
        if up.is_empty() {
            return anyhow::Ok(None);
        }
        check_data_loss(
            &up,
            DataLoss::from_flag(args.allow_data_loss),
            "the migration",
            "write it",
        )?;
        let down = plans(&m, db, &desired, &up).await?;
        Ok(Some((up, down)))
    }
    .await;
    let dropped = m.shadow.drop().await;
    let planned = result?;
    dropped?;
    let Some((up, down)) = planned else {
        return Ok(Report::ok(
            serde_json::json!({"command": "generate", "database": db.name, "changes": false}),
            format!("{}: no changes", db.name),
        ));
    };
    let text = render(&Content {
        db: &db.name,
        slug: &args.name,
        up: &up,
        down: down.as_ref().map_err(Clone::clone),
    });
    // The runner must accept what we write.
    pgtenant::migrate::file::parse(Path::new("generated migration"), 0, &args.name, &text)
        .context("the generated migration does not parse; this is a pgtenant bug")?;
    let path = write_new(&db.migrations_dir, &args.name, &text)?;
    let shown = path
        .strip_prefix(&manifest.dir)
        .unwrap_or(&path)
        .display()
        .to_string();
    let hazards: Vec<String> = up.hazards().map(ToString::to_string).collect();
    let mut human = format!("{shown}\n");
    let _ = write!(
        human,
        "  {} statement(s), {}",
        up.steps.len(),
        if down.is_ok() {
            "with a down section"
        } else {
            "no down section"
        }
    );
    for h in &hazards {
        let _ = write!(human, "\n  hazard {h}");
    }
    Ok(Report::ok(
        serde_json::json!({
            "command": "generate",
            "database": db.name,
            "changes": true,
            "path": path.display().to_string(),
            "statements": up.steps.len(),
            "down": down.is_ok(),
            "hazards": hazards,
        }),
        human,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pgtenant_schema::{Hazard, Step};

    fn step(sql: &str, hazards: Vec<Hazard>, tx: TxBoundary) -> Step {
        Step {
            sql: sql.into(),
            hazards,
            objects: vec![],
            tx,
        }
    }

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

    #[test]
    fn data_loss_is_refused_naming_objects_and_flag() {
        let plan = Plan {
            steps: vec![step(
                "DROP TABLE public.t",
                vec![Hazard::new(
                    HazardKind::DeletesData,
                    "dropping table public.t",
                )],
                TxBoundary::None,
            )],
        };
        let err =
            check_data_loss(&plan, DataLoss::Refuse, "the migration", "write it").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the migration deletes data:\n  - dropping table public.t\nreview it, then pass --allow-data-loss to write it"
        );
        assert_eq!(crate::error::status_of(&err).code(), 2);
        assert!(check_data_loss(&plan, DataLoss::Allow, "the migration", "write it").is_ok());
    }

    #[test]
    fn rendered_files_parse_with_their_down_section() {
        let up = Plan {
            steps: vec![step(
                "CREATE TABLE public.t (id integer)",
                vec![],
                TxBoundary::None,
            )],
        };
        let down = Plan {
            steps: vec![step(
                "DROP TABLE public.t",
                vec![Hazard::new(
                    HazardKind::DeletesData,
                    "dropping table public.t",
                )],
                TxBoundary::None,
            )],
        };
        let text = render(&Content {
            db: "app",
            slug: "t",
            up: &up,
            down: Ok(&down),
        });
        let f = pgtenant::migrate::file::parse(Path::new("x.sql"), 1, "t", &text).unwrap();
        assert_eq!(f.up.len(), 1);
        assert_eq!(f.down.as_ref().map(Vec::len), Some(1));
        assert!(!f.no_transaction);
        assert!(text.contains("--   CREATE TABLE public.t\n"));
        assert!(text.contains("-- Hazards:\n--   none\n"));
    }

    #[test]
    fn enum_values_used_in_the_same_file_make_it_non_transactional() {
        let up = Plan {
            steps: vec![
                step(
                    "ALTER TYPE public.e ADD VALUE 'b'",
                    vec![],
                    TxBoundary::CommitAfter,
                ),
                step(
                    "ALTER TABLE public.t ALTER COLUMN c SET DEFAULT 'b'",
                    vec![],
                    TxBoundary::None,
                ),
            ],
        };
        let text = render(&Content {
            db: "app",
            slug: "e",
            up: &up,
            down: Err("no".into()),
        });
        let f = pgtenant::migrate::file::parse(Path::new("x.sql"), 1, "e", &text).unwrap();
        assert!(f.no_transaction);
        assert!(f.down.is_none());
    }
}
