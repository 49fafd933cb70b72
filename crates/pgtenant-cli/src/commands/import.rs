//! `pgtenant import --from TOOL DIR [--db NAME]`: translate another tool's
//! migration folder into pgtenant migrations in the database's migrations
//! folder, in the other tool's order, each file's SQL kept byte for byte
//! (the file name changes to `<version>_<slug>.sql`; a tool's down file or
//! section follows `-- pgtenant:down`, its no-transaction marker becomes
//! `-- pgtenant:no-transaction`).
//!
//! Everything is read and checked first (each file must parse as a pgtenant
//! migration), then written into a temporary sibling folder that is renamed
//! into place: a refused import writes nothing. The target folder must be
//! missing or empty; import never mixes its files with existing ones.

mod dbmate;
mod drizzle;
mod golang_migrate;
mod numbered;
mod prisma;
mod record;
mod refinery;
mod sqlx;

use crate::context::Context;
use crate::error::usage;
use crate::output::{Report, Table};
use anyhow::{Context as _, Result};
use pgtenant::migrate::{file, MigrationFile};
use serde::Serialize;
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The tools whose migration folders import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// drizzle-kit: `DIR/<idx>_<tag>.sql` ordered by `DIR/meta/_journal.json`.
    Drizzle,
    /// Prisma Migrate: `DIR/<yyyymmddHHMMSS>_<name>/migration.sql`.
    Prisma,
    /// sqlx: `DIR/<version>_<description>.sql`, or reversible
    /// `<version>_<description>.up.sql` + `.down.sql`.
    Sqlx,
    /// refinery: `DIR/V<n>__<name>.sql` (and unversioned `U<n>__<name>.sql`),
    /// in sub-folders too.
    Refinery,
    /// golang-migrate: `DIR/<version>_<title>.up.sql` + `.down.sql`.
    GolangMigrate,
    /// dbmate: `DIR/<version>_<name>.sql` with `-- migrate:up` and
    /// `-- migrate:down` sections.
    Dbmate,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Drizzle => "drizzle",
            Format::Prisma => "prisma",
            Format::Sqlx => "sqlx",
            Format::Refinery => "refinery",
            Format::GolangMigrate => "golang-migrate",
            Format::Dbmate => "dbmate",
        }
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// The tool that wrote the folder.
    #[arg(long, value_enum, value_name = "TOOL")]
    pub from: Format,
    /// The other tool's migrations folder.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The database of the manifest whose migrations folder receives the
    /// files (may be omitted when the manifest has one database).
    #[arg(long, value_name = "NAME")]
    pub db: Option<String>,
    /// Also record in pgtenant's journal the migrations the other tool has
    /// already applied to that database, read from the tool's own journal
    /// table, so the next `migrate` applies only the rest.
    #[arg(long)]
    pub record: bool,
}

/// One migration read from the other tool's folder, before writing.
#[derive(Debug, Clone)]
pub struct Source {
    /// The pgtenant version it gets.
    pub version: i64,
    /// The slug of its new name.
    pub slug: String,
    /// What the other tool's journal records for it (its version, name or
    /// time), to tell which migrations it applied.
    pub key: String,
    /// Where it was read (for messages and the report).
    pub path: PathBuf,
    /// Its bytes, unchanged.
    pub bytes: Vec<u8>,
}

/// One file written.
#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    pub version: i64,
    pub name: String,
    pub file: String,
    pub source: String,
    /// The migration's version, name or time in the other tool's journal.
    pub tool_version: String,
}

/// A slug for a pgtenant file name from another tool's name: letters,
/// digits, `_` and `-` are kept, anything else becomes `_`.
pub fn slug_of(name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if slug.is_empty() {
        "migration".to_owned()
    } else {
        slug
    }
}

/// A refusal naming a file.
pub fn usage_at(path: &Path, reason: &str) -> anyhow::Error {
    usage(format!("{}: {reason}", path.display()))
}

/// Read a migration's bytes; they must be UTF-8 to be SQL.
pub fn read_sql(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if std::str::from_utf8(&bytes).is_err() {
        return Err(usage(format!("{} is not UTF-8 text", path.display())));
    }
    Ok(bytes)
}

/// The files of a folder (not its sub-folders), by name.
pub fn files_of(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for entry in
        std::fs::read_dir(dir).map_err(|e| usage(format!("cannot read {} ({e})", dir.display())))?
    {
        let entry = entry.map_err(|e| usage(format!("cannot read {} ({e})", dir.display())))?;
        let path = entry.path();
        if path.is_file() {
            out.push((entry.file_name().to_string_lossy().into_owned(), path));
        }
    }
    out.sort();
    Ok(out)
}

/// The digits a name starts with, and the rest after them.
pub fn leading_digits(name: &str) -> (&str, &str) {
    let end = name
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(name.len());
    name.split_at(end)
}

/// The folder must exist and hold something.
fn check_source_dir(dir: &Path) -> Result<()> {
    let mut entries = std::fs::read_dir(dir).map_err(|e| {
        usage(format!(
            "cannot read the folder {} to import ({e})",
            dir.display()
        ))
    })?;
    if entries.next().is_none() {
        return Err(usage(format!(
            "{} is empty: there are no migrations to import",
            dir.display()
        )));
    }
    Ok(())
}

/// Every migration parses as pgtenant reads it, and no two share a file
/// name or a version.
fn check_sources(sources: &[Source]) -> Result<()> {
    let mut names: BTreeMap<String, &Path> = BTreeMap::new();
    let mut versions: BTreeMap<i64, &Path> = BTreeMap::new();
    for s in sources {
        let name = file::file_name(s.version, &s.slug);
        file::parse_name(&name).map_err(|reason| {
            usage(format!(
                "{} cannot become the migration {name}: {reason}",
                s.path.display()
            ))
        })?;
        if let Some(other) = names.insert(name.clone(), &s.path) {
            return Err(usage(format!(
                "{} and {} would both become {name}; rename one of them",
                other.display(),
                s.path.display()
            )));
        }
        if let Some(other) = versions.insert(s.version, &s.path) {
            return Err(usage(format!(
                "{} and {} would both get the version {}; a version is one migration: give one of them another timestamp",
                other.display(),
                s.path.display(),
                s.version
            )));
        }
        let text = String::from_utf8_lossy(&s.bytes);
        // The message names the file and its line.
        file::parse(&s.path, s.version, &s.slug, &text).map_err(|e| usage(e.to_string()))?;
    }
    Ok(())
}

/// The target must be missing or an empty folder.
fn check_target(target: &Path, db: &str) -> Result<()> {
    let entries = match std::fs::read_dir(target) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("reading {}", target.display())))
        }
    };
    let mut present: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if present.is_empty() {
        return Ok(());
    }
    present.sort();
    Err(usage(format!(
        "the migrations folder {} of database {db} already holds {} (first: {}); import writes only into an empty folder: move those files away, or set `migrations` of this [[database]] to a new folder, and import again",
        target.display(),
        if present.len() == 1 { "1 entry".to_owned() } else { format!("{} entries", present.len()) },
        present[0]
    )))
}

/// Write the files into a temporary sibling of `target`, check that they
/// load, then rename it into place.
fn write_all(target: &Path, sources: &[Source]) -> Result<(Vec<Imported>, Vec<MigrationFile>)> {
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let leaf = target
        .file_name()
        .map_or_else(|| "migrations".into(), |n| n.to_string_lossy().into_owned());
    let tmp = parent.join(format!(".{leaf}.import-{}", std::process::id()));
    let result = (|| -> Result<(Vec<Imported>, Vec<MigrationFile>)> {
        std::fs::create_dir(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let mut out = Vec::new();
        for s in sources {
            let name = file::file_name(s.version, &s.slug);
            let path = tmp.join(&name);
            std::fs::write(&path, &s.bytes)
                .with_context(|| format!("writing {}", path.display()))?;
            out.push(Imported {
                version: s.version,
                name: s.slug.clone(),
                file: target.join(&name).display().to_string(),
                source: s.path.display().to_string(),
                tool_version: s.key.clone(),
            });
        }
        let loaded =
            pgtenant::migrate::load_dir(&tmp).context("reading back the imported files")?;
        let order: Vec<i64> = loaded.iter().map(|m| m.version).collect();
        let expected: Vec<i64> = sources.iter().map(|s| s.version).collect();
        if order != expected {
            anyhow::bail!("the imported files do not load in the other tool's order");
        }
        if target.exists() {
            std::fs::remove_dir(target)
                .with_context(|| format!("replacing {}", target.display()))?;
        }
        std::fs::rename(&tmp, target)
            .with_context(|| format!("moving the imported files into {}", target.display()))?;
        Ok((out, loaded))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

/// Journal the files at the positions `applied` as applied; their versions.
async fn record_applied(
    conn: &mut ::sqlx::PgConnection,
    files: &[MigrationFile],
    applied: &BTreeSet<usize>,
) -> Result<Vec<i64>> {
    let chosen: Vec<&MigrationFile> = applied.iter().filter_map(|i| files.get(*i)).collect();
    // Versions journaled already with the same checksum count as recorded.
    pgtenant::migrate::record_applied(conn, &chosen, std::time::Duration::from_secs(60)).await?;
    Ok(chosen.iter().map(|f| f.version).collect())
}

pub async fn run(ctx: &Context, args: &ImportArgs) -> Result<Report> {
    let manifest = ctx.manifest()?;
    let databases = manifest.select(args.db.as_deref())?;
    let [database] = databases.as_slice() else {
        return Err(usage(format!(
            "the manifest has {} databases; pass --db NAME to choose the one to import into",
            databases.len()
        )));
    };
    check_source_dir(&args.dir)?;
    let sources = match args.from {
        Format::Drizzle => drizzle::read(&args.dir)?,
        Format::Prisma => prisma::read(&args.dir)?,
        Format::Sqlx => sqlx::read(&args.dir)?,
        Format::Refinery => refinery::read(&args.dir)?,
        Format::GolangMigrate => golang_migrate::read(&args.dir)?,
        Format::Dbmate => dbmate::read(&args.dir)?,
    };
    check_sources(&sources)?;
    let target = &database.migrations_dir;
    check_target(target, &database.name)?;
    let existed = target.exists();
    // The other journal is read before anything is written.
    let mut record_on = None;
    if args.record {
        let admin = ctx.admin_url()?;
        let mut conn = crate::db::connect(&admin.url, Some(&database.name), None).await?;
        let applied =
            record::applied(&mut conn, args.from, &database.name, &args.dir, &sources).await?;
        record_on = Some((conn, applied));
    }
    ctx.progress(format_args!(
        "import: writing {} migrations into {}",
        sources.len(),
        target.display()
    ));
    let (imported, files) = write_all(target, &sources)?;
    let mut recorded = Vec::new();
    if let Some((mut conn, applied)) = record_on {
        match record_applied(&mut conn, &files, &applied).await {
            Ok(r) => recorded = r,
            Err(e) => {
                // Back to the folder as it was: missing or empty.
                let _ = std::fs::remove_dir_all(target);
                if existed {
                    let _ = std::fs::create_dir(target);
                }
                return Err(e.context(format!(
                    "recording the applied migrations in database {}; nothing was imported",
                    database.name
                )));
            }
        }
    }
    let mut t = Table::new(["version", "file", "from"]);
    for i in &imported {
        t.row([i.version.to_string(), i.file.clone(), i.source.clone()]);
    }
    Ok(Report::ok(
        serde_json::json!({
            "command": "import",
            "from": args.from,
            "database": database.name,
            "folder": target.display().to_string(),
            "migrations": imported,
            "recorded": recorded,
        }),
        format!(
            "import: {} {} migration{} into {}{} (run `pgtenant migrate --db {}` to apply {})\n{}",
            imported.len(),
            args.from.name(),
            if imported.len() == 1 { "" } else { "s" },
            target.display(),
            if args.record {
                format!(
                    "; {} recorded as applied, from {}",
                    recorded.len(),
                    record::table(args.from)
                )
            } else {
                String::new()
            },
            database.name,
            if args.record { "the others" } else { "them" },
            t.render(2)
        ),
    ))
}
