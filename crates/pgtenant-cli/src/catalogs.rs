//! The three catalogs of a managed database (the drift between them is
//! `drift.rs`).
//!
//! - **from migrations**: the up sections of the migration files, replayed in
//!   version order into a shadow database (all files, or only the applied
//!   ones);
//! - **desired**: the `schema/<db>` folder loaded into a shadow database,
//!   then, for a database with tenancy on, the tenancy transform's
//!   statements run there and the shadow introspected again (so PostgreSQL
//!   itself prints the policy expressions), then rebuilt in a fresh shadow
//!   from its own plan so it is printed like the migrations are;
//! - **live**: the real database, introspected.
//!
//! The two shadows load concurrently. Shadows are always dropped
//! ([`ShadowDb`] drops itself on every path).
//!
//! Grants to the database's own service and superadmin roles are removed
//! from every catalog before comparing, in one place ([`comparable`]):
//! bootstrap owns them (default privileges hand them out), they are not
//! part of the schema, and the shadows cannot have them.

use crate::db;
use crate::manifest::Database;
use anyhow::{Context as _, Result};
use pgtenant::migrate::MigrationFile;
use pgtenant::module::RenderedFile;
use pgtenant_schema::shadow::{read_sql_files, LoadedSchema, ShadowDb, SqlFile};
use pgtenant_schema::tenancy;
use pgtenant_schema::{diff, Catalog, Grant, QualName, RenameHint};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The path reported when the tenancy statements fail on the shadow.
const TENANCY_SOURCE: &str = "<tenancy transform>";

/// The path reported when creating the journal in a shadow fails.
const JOURNAL_SOURCE: &str = "<pgtenant journal>";

/// The path reported when rebuilding the desired schema from its own
/// printed text fails on the shadow.
const REBUILD_SOURCE: &str = "<desired schema rebuilt from its plan>";

/// `catalog` as a schema to compare: without the grants to the roles
/// bootstrap manages for `db`. Every catalog that is compared passes here.
/// That includes the grants on the modules' objects: the modules' grant
/// files give them, applied by bootstrap for the role the manifest names,
/// so no migration carries a role name.
fn comparable(db: &Database, mut catalog: Catalog) -> Catalog {
    let roles: BTreeSet<&str> = db.roles().map(|(_, r)| r.name.as_str()).collect();
    let keep = |grants: &mut Vec<Grant>| grants.retain(|g| !roles.contains(g.grantee.as_str()));
    for s in catalog.schemas.values_mut() {
        keep(&mut s.grants);
    }
    for s in catalog.sequences.values_mut() {
        keep(&mut s.grants);
    }
    for t in catalog.tables.values_mut() {
        keep(&mut t.grants);
        for c in &mut t.columns {
            keep(&mut c.grants);
        }
    }
    for v in catalog.views.values_mut() {
        keep(&mut v.grants);
    }
    for f in catalog.functions.values_mut() {
        keep(&mut f.grants);
    }
    catalog
}

/// Create the journal in a fresh shadow, as migrate does on a live
/// database before its first migration runs: the modules' default schema is
/// the journal's, which plans never create.
async fn journal_first(shadow: &ShadowDb) -> Result<()> {
    shadow
        .execute(
            Path::new(JOURNAL_SOURCE),
            pgtenant::migrate::journal::ENSURE_SQL,
        )
        .await
        .context("creating the journal in a shadow database")
}

/// Which migration files a replay runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay<'a> {
    /// Every file on disk.
    All,
    /// Only these versions (the applied ones).
    Versions(&'a [i64]),
}

/// The up section of `file`, each statement on its line in the file.
fn up_text(file: &MigrationFile) -> String {
    file.up_text()
}

/// The catalog of a `diff`/`inspect` source that holds migrations
/// (see [`pgtenant::migrate::file::holds_migrations`]), read as migrations:
/// the up sections in version order, never the down sections. `None` when
/// `path` holds plain SQL.
pub async fn migrations_source_catalog(
    admin_url: &str,
    path: &Path,
) -> Result<Option<LoadedSchema>> {
    if !pgtenant::migrate::file::holds_migrations(path) {
        return Ok(None);
    }
    let files = pgtenant::migrate::file::load_path(path)
        .with_context(|| format!("reading {} as migrations", path.display()))?;
    let texts: Vec<SqlFile> = files
        .iter()
        .map(|f| SqlFile {
            path: f.path.clone(),
            text: f.up_text(),
        })
        .collect();
    let shadow = ShadowDb::create(admin_url)
        .await
        .context("creating the migrations shadow database")?;
    Ok(Some(shadow.into_catalog(&texts).await?))
}

/// A shadow database holding the migrations' result, kept open (generate
/// applies its plan there to check convergence).
pub struct MigrationsShadow {
    pub shadow: ShadowDb,
    /// The migrations' catalog, comparable.
    pub catalog: Catalog,
    database: Database,
}

impl MigrationsShadow {
    /// The shadow's catalog now (after a plan ran on it), comparable.
    pub async fn introspect(&self) -> Result<Catalog> {
        Ok(comparable(&self.database, self.shadow.introspect().await?))
    }
}

/// Create a shadow and replay the migration files' up sections into it.
pub async fn migrations_shadow(
    admin_url: &str,
    db: &Database,
    files: &[MigrationFile],
    replay: Replay<'_>,
) -> Result<MigrationsShadow> {
    let shadow = ShadowDb::create(admin_url)
        .await
        .context("creating the migrations shadow database")?;
    journal_first(&shadow).await?;
    for f in files {
        if let Replay::Versions(v) = replay {
            if !v.contains(&f.version) {
                continue;
            }
        }
        shadow
            .execute(&f.path, &up_text(f))
            .await
            .with_context(|| format!("replaying the migrations of database {}", db.name))?;
    }
    let catalog = comparable(db, shadow.introspect().await?);
    Ok(MigrationsShadow {
        shadow,
        catalog,
        database: db.clone(),
    })
}

/// Read the migration files of `db` (names, directives, checksums checked).
pub fn migration_files(db: &Database) -> Result<Vec<MigrationFile>> {
    pgtenant::migrate::load_dir(&db.migrations_dir)
        .with_context(|| format!("reading the migrations of database {}", db.name))
}

/// The catalog the migration files produce; the shadow is dropped.
pub async fn from_migrations(
    admin_url: &str,
    db: &Database,
    files: &[MigrationFile],
    replay: Replay<'_>,
) -> Result<Catalog> {
    let m = migrations_shadow(admin_url, db, files, replay).await?;
    m.shadow.drop().await?;
    Ok(m.catalog)
}

/// The desired catalog: `schema/<db>` loaded into a shadow, with the
/// tenancy transform applied for a database with tenancy on, and the rename
/// hints of its files.
pub async fn desired(admin_url: &str, db: &Database) -> Result<LoadedSchema> {
    let files = read_sql_files(&db.schema_dir)
        .with_context(|| format!("reading the schema of database {}", db.name))?;
    let renames = pgtenant_schema::shadow::rename_hints(&files)?;
    let cfg = match &db.tenancy {
        Some(t) => Some(crate::tenancy::for_database(db, t)?),
        None => None,
    };
    let shadow = ShadowDb::create(admin_url)
        .await
        .context("creating the desired-schema shadow database")?;
    let result = async {
        shadow
            .load_files(&files)
            .await
            .with_context(|| format!("loading the schema of database {}", db.name))?;
        let mut catalog = shadow.introspect().await?;
        let module_files = crate::modules::render(db, &catalog)?;
        if !module_files.is_empty() {
            load_modules(&shadow, db, &module_files).await?;
            catalog = shadow.introspect().await?;
        }
        if let Some(cfg) = &cfg {
            let out = tenancy::transform(&catalog, cfg);
            let unusable: Vec<String> = out
                .findings
                .iter()
                .filter(|f| {
                    f.code == pgtenant_schema::finding::FindingCode::SoftDeleteTableUnusable
                })
                .map(|f| match &f.suggestion {
                    Some(s) => format!("{}; {s}", f.message),
                    None => f.message.clone(),
                })
                .collect();
            if !unusable.is_empty() {
                return Err(crate::error::usage(format!(
                    "database {}: {}",
                    db.name,
                    unusable.join("\n")
                )));
            }
            if !out.statements.is_empty() {
                let text: String = out.statements.iter().map(|s| format!("{s};\n")).collect();
                shadow
                    .execute(Path::new(TENANCY_SOURCE), &text)
                    .await
                    .with_context(|| {
                        format!("applying the tenancy transform of database {}", db.name)
                    })?;
                catalog = shadow.introspect().await?;
            }
        }
        anyhow::Ok(catalog)
    }
    .await;
    let dropped = shadow.drop().await;
    let catalog = result?;
    dropped?;
    let catalog = rendered(admin_url, db, comparable(db, catalog)).await?;
    Ok(LoadedSchema { catalog, renames })
}

/// Run the rendered module files on the desired shadow, after the user's
/// schema files (the modules reference the root and membership tables).
async fn load_modules(shadow: &ShadowDb, db: &Database, files: &[RenderedFile]) -> Result<()> {
    for f in files {
        let source = PathBuf::from(format!("<module {}>", f.name));
        shadow.execute(&source, &f.sql).await.with_context(|| {
            format!(
                "loading module {} into the schema of database {}",
                f.name, db.name
            )
        })?;
    }
    Ok(())
}

/// `catalog` as PostgreSQL prints it once built from its own printed text.
///
/// PostgreSQL does not always print an expression as a fixed point: the
/// user's `role IN ('a','b')` on a varchar column prints as an `= ANY
/// (ARRAY[...]::text[])` that prints differently again once parsed. The
/// migrations shadow is built from printed text (the generated plans), so
/// the desired catalog must be too, or the two never converge. Rather than
/// normalising each kind of expression, the desired catalog is rebuilt by
/// applying `diff(fresh shadow, desired)` to a fresh shadow and
/// introspecting it: every check, default, index, view and policy passes
/// through the same rendering as the migrations.
async fn rendered(admin_url: &str, db: &Database, catalog: Catalog) -> Result<Catalog> {
    let shadow = ShadowDb::create(admin_url)
        .await
        .context("creating the desired-schema shadow database")?;
    let result = async {
        journal_first(&shadow).await?;
        let base = shadow.introspect().await?;
        // Renames are between migrations; the rebuild starts from nothing.
        let plan = diff(&base, &catalog, &[]);
        shadow
            .execute(Path::new(REBUILD_SOURCE), &plan.to_sql())
            .await
            .with_context(|| format!("rebuilding the desired schema of database {}", db.name))?;
        anyhow::Ok(shadow.introspect().await?)
    }
    .await;
    let dropped = shadow.drop().await;
    let rebuilt = result?;
    dropped?;
    Ok(comparable(db, rebuilt))
}

/// Whether the database exists on the server.
pub async fn database_exists(admin_url: &str, name: &str) -> Result<bool> {
    let mut conn = db::connect(admin_url, None, None).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await
            .context("looking up the database")?;
    Ok(exists)
}

/// The live catalog, exactly as introspected (grants to the managed roles
/// included: the lints need them). Compare it through [`live_schema`].
pub async fn live_raw(admin_url: &str, db: &Database) -> Result<Catalog> {
    use sqlx::Connection as _;
    let mut conn = db::connect(admin_url, Some(&db.name), None).await?;
    let catalog = pgtenant_schema::introspect(&mut conn)
        .await
        .with_context(|| format!("introspecting database {}", db.name));
    let _ = conn.close().await;
    catalog
}

/// The live catalog as a schema (grants to the managed roles removed).
pub fn live_schema(db: &Database, raw: &Catalog) -> Catalog {
    comparable(db, raw.clone())
}

/// Load the migrations shadow and the desired catalog concurrently.
pub async fn migrations_and_desired(
    admin_url: &str,
    db: &Database,
    files: &[MigrationFile],
) -> Result<(MigrationsShadow, LoadedSchema)> {
    let (m, d) = tokio::join!(
        migrations_shadow(admin_url, db, files, Replay::All),
        desired(admin_url, db)
    );
    match (m, d) {
        (Ok(m), Ok(d)) => Ok((m, d)),
        (Err(e), Ok(_)) => Err(e),
        (Ok(m), Err(e)) => {
            let _ = m.shadow.drop().await;
            Err(e)
        }
        (Err(e), Err(_)) => Err(e),
    }
}

/// The rename hints read backwards, for the reverse plan (down section).
pub fn reversed_renames(hints: &[RenameHint]) -> Vec<RenameHint> {
    let old_table = |t: &QualName| {
        hints
            .iter()
            .find_map(|h| match h {
                RenameHint::Table { from, to } if to == t => Some(from.clone()),
                _ => None,
            })
            .unwrap_or_else(|| t.clone())
    };
    hints
        .iter()
        .map(|h| match h {
            RenameHint::Table { from, to } => RenameHint::Table {
                from: to.clone(),
                to: from.clone(),
            },
            RenameHint::Column { table, from, to } => RenameHint::Column {
                table: old_table(table),
                from: to.clone(),
                to: from.clone(),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replayed_statements_keep_their_file_lines() {
        let raw = "-- header\n\nCREATE TABLE a (\n  id int\n);\n\n-- note\nCREATE TABLE b (id int);\n-- pgtenant:down\nDROP TABLE b;\n";
        let f = pgtenant::migrate::file::parse(Path::new("m.sql"), 1, "m", raw).unwrap();
        let text = up_text(&f);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[2], "CREATE TABLE a (");
        assert_eq!(lines[7], "CREATE TABLE b (id int);");
        assert!(!text.contains("DROP TABLE"));
    }

    #[test]
    fn reversed_renames_swap_names_and_follow_the_table() {
        let hints = vec![
            RenameHint::Table {
                from: QualName::new("public", "old"),
                to: QualName::new("public", "new"),
            },
            RenameHint::Column {
                table: QualName::new("public", "new"),
                from: "a".into(),
                to: "b".into(),
            },
        ];
        assert_eq!(
            reversed_renames(&hints),
            vec![
                RenameHint::Table {
                    from: QualName::new("public", "new"),
                    to: QualName::new("public", "old"),
                },
                RenameHint::Column {
                    table: QualName::new("public", "old"),
                    from: "b".into(),
                    to: "a".into(),
                },
            ]
        );
    }
}
