//! The example projects under `examples/` stay loadable and honest.
//!
//! For every `examples/*/pgtenant.toml` and each of its `[[database]]`
//! entries, on a fresh scratch database of the real server:
//!
//! 1. the schema files (`schema/<db>/*.sql`, name order) load, and every
//!    `CREATE TABLE` in them produced a table;
//! 2. with tenancy on, the catalog keeps the promises pgtenant's tenancy
//!    lints check: the tenant column is NOT NULL with an index leading with
//!    it, foreign keys between tenant tables include it, unique keys on
//!    tenant tables include it;
//! 3. the setup seeds, then the demo seeds, load file by file (each in a
//!    transaction, `${VAR:-default}` placeholders filled with their
//!    defaults), every file inserts rows, and running them all again changes
//!    no row count (they are idempotent).
//!
//! Then the policies and triggers the examples write by hand (global roles
//! next to tenant roles, "my memberships" across tenants, an append-only
//! audit log) are exercised as a role shaped like a service role.
//!
//! Finally the real binary runs on a copy of each manifest with unique
//! database and role names: `bootstrap`, the schema and seeds loaded, then
//! `doctor --json` must pass every check but tenant isolation (which the
//! tenancy migration brings), and `nuke --yes` cleans up.
//!
//! The manifest is read here with a small private struct (only the fields
//! these checks need, unknown keys ignored) so this module depends on
//! nothing but the manifest's agreed shape.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a failed cleanup is reported on stderr, not panicked in Drop"
)]

use anyhow::{bail, ensure, Context, Result};
use pgtenant_schema::ident::{quote_ident, quote_literal, quote_qualified};
use pgtenant_schema::sqltext::split_statements;
use pgtenant_testkit::{TestDb, TestRole};
use serde::Deserialize;
use sqlx::postgres::PgDatabaseError;
use sqlx::{Connection, PgConnection, Row};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod flows;
mod hoolsy;
mod startkit;
mod tokens;

/// The examples that model the seed systems; each must exist.
const SEED_EXAMPLES: [&str; 5] = ["hoolsy", "core", "carcosa", "tasks", "startkit"];

#[derive(Debug, Deserialize)]
struct Manifest {
    #[serde(default)]
    tenancy: TenancyFields,
    #[serde(default)]
    database: Vec<DatabaseEntry>,
}

#[derive(Debug, Default, Clone, Deserialize)]
struct TenancyFields {
    column: Option<String>,
    root_table: Option<String>,
    global_tables: Option<Vec<String>>,
}

/// `tenancy = true | false | { inline overrides }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum TenancySetting {
    Flag(bool),
    Inline(TenancyFields),
}

#[derive(Debug, Deserialize)]
struct DatabaseEntry {
    name: String,
    schema: Option<String>,
    migrations: Option<String>,
    #[serde(default)]
    modules: Vec<String>,
    seeds: Option<SeedDirs>,
    tenancy: Option<TenancySetting>,
    service_role: Option<RoleEntry>,
    superadmin_role: Option<RoleEntry>,
}

#[derive(Debug, Deserialize)]
struct SeedDirs {
    setup: Option<String>,
    demo: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RoleEntry {
    name: String,
}

/// The tenancy rules in force for one database.
#[derive(Debug)]
struct Tenancy {
    column: String,
    root_table: String,
    global_tables: Vec<String>,
}

struct Example {
    name: String,
    dir: PathBuf,
    manifest: Manifest,
}

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn load_examples() -> Result<Vec<Example>> {
    let root = examples_dir();
    let mut out = Vec::new();
    let entries =
        std::fs::read_dir(&root).with_context(|| format!("reading {}", root.display()))?;
    for entry in entries {
        let dir = entry?.path();
        let path = dir.join("pgtenant.toml");
        if !path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let manifest: Manifest =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push(Example {
            name,
            dir,
            manifest,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

impl DatabaseEntry {
    fn schema_dir(&self, example: &Path) -> PathBuf {
        example.join(
            self.schema
                .clone()
                .unwrap_or_else(|| format!("schema/{}", self.name)),
        )
    }

    fn migrations_dir(&self, example: &Path) -> PathBuf {
        example.join(
            self.migrations
                .clone()
                .unwrap_or_else(|| format!("migrations/{}", self.name)),
        )
    }

    /// The SQL that builds this database's schema, (label, text) in order:
    /// the schema files; for a database with modules, whose schema files
    /// hold only the user's part, the up sections of its migrations (which
    /// `generate` wrote with the modules' SQL).
    fn schema_texts(&self, example: &Example) -> Result<Vec<(String, String)>> {
        if self.modules.is_empty() {
            return sql_files(&self.schema_dir(&example.dir))?
                .into_iter()
                .map(|f| {
                    let label = shown(example, &f);
                    let text =
                        std::fs::read_to_string(&f).with_context(|| format!("reading {label}"))?;
                    Ok((label, text))
                })
                .collect();
        }
        let dir = self.migrations_dir(&example.dir);
        let files = pgtenant::migrate::file::load_dir(&dir)
            .with_context(|| format!("reading {}", shown(example, &dir)))?;
        // migrate creates the journal (and its schema, the modules') first.
        let journal = (
            "<pgtenant journal>".to_owned(),
            pgtenant::migrate::journal::ENSURE_SQL.to_owned(),
        );
        Ok(std::iter::once(journal)
            .chain(files.iter().map(|f| (shown(example, &f.path), f.up_text())))
            .collect())
    }

    /// The modules' part of `seed setup`: the rbac catalog and global roles
    /// from the example's files (the defaults, `rbac/*.txt`).
    async fn module_setup(&self, conn: &mut PgConnection, example: &Example) -> Result<()> {
        if !self.modules.iter().any(|m| m == "rbac") {
            return Ok(());
        }
        let read = |name: &str| {
            let path = example.dir.join("rbac").join(name);
            std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
        };
        let catalog =
            pgtenant::rbac::Catalog::parse("rbac/permissions.txt", &read("permissions.txt")?)?;
        let roles = pgtenant::rbac::parse_roles("rbac/roles.txt", &read("roles.txt")?, &catalog)?;
        pgtenant::rbac::seed(conn, pgtenant::module::DEFAULT_SCHEMA, &catalog, &roles).await?;
        Ok(())
    }

    /// The modules' grants to `role` (bootstrap's part for the service
    /// role), as one script.
    fn module_grants(&self, role: &str) -> String {
        self.modules
            .iter()
            .flat_map(|m| {
                pgtenant::module::by_name(m)
                    .unwrap()
                    .render_grants(pgtenant::module::DEFAULT_SCHEMA, role, None)
                    .unwrap()
            })
            .map(|f| f.sql)
            .collect()
    }

    fn seed_dir(&self, example: &Path, kind: SeedKind) -> PathBuf {
        let configured = self.seeds.as_ref().and_then(|s| match kind {
            SeedKind::Setup => s.setup.clone(),
            SeedKind::Demo => s.demo.clone(),
        });
        example.join(configured.unwrap_or_else(|| format!("seeds/{}/{}", self.name, kind.dir())))
    }

    fn tenancy(&self, defaults: &TenancyFields) -> Result<Option<Tenancy>> {
        let fields = match &self.tenancy {
            None | Some(TenancySetting::Flag(false)) => return Ok(None),
            Some(TenancySetting::Flag(true)) => defaults.clone(),
            Some(TenancySetting::Inline(inline)) => TenancyFields {
                column: inline.column.clone().or_else(|| defaults.column.clone()),
                root_table: inline
                    .root_table
                    .clone()
                    .or_else(|| defaults.root_table.clone()),
                global_tables: inline
                    .global_tables
                    .clone()
                    .or_else(|| defaults.global_tables.clone()),
            },
        };
        let column = fields
            .column
            .context("tenancy is on but no tenancy column is set")?;
        let root_table = fields
            .root_table
            .context("tenancy is on but no root_table is set")?;
        Ok(Some(Tenancy {
            column,
            root_table,
            global_tables: fields.global_tables.unwrap_or_default(),
        }))
    }
}

#[derive(Debug, Clone, Copy)]
enum SeedKind {
    Setup,
    Demo,
}

impl SeedKind {
    fn dir(self) -> &'static str {
        match self {
            SeedKind::Setup => "setup",
            SeedKind::Demo => "demo",
        }
    }
}

/// Replace every `${NAME:-default}` with its default. A `${NAME}` without a
/// default is an error: example seeds must work with no environment set.
/// Other `$` uses (`$1`, `$$`, `$tag$`, `$argon2id$`) are left alone.
fn fill_defaults(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unterminated `${{` in `{}`", first_line(after)))?;
        let inner = &after[..end];
        let name_len = inner
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(inner.len());
        let (name, tail) = inner.split_at(name_len);
        if name.is_empty() {
            return Err(format!("`${{{inner}}}` has no variable name"));
        }
        match tail.strip_prefix(":-") {
            Some(default) => out.push_str(default),
            // A secret the seed runner would make: any value will do here.
            None if tail == ":=generate" => out.push_str("generated-for-the-test"),
            None => {
                return Err(format!(
                    "`${{{inner}}}` has no default; write `${{{name}:-value}}`"
                ))
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// The `*.sql` files of `dir` in name order; a missing folder has none.
fn sql_files(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    Ok(files)
}

/// `example/relative/path` for messages.
fn shown(example: &Example, path: &Path) -> String {
    let rel = path.strip_prefix(&example.dir).unwrap_or(path);
    format!("examples/{}/{}", example.name, rel.display())
}

/// Run every statement of `text` on `conn`, naming `file:line` on failure.
async fn run_statements(conn: &mut PgConnection, text: &str, file: &str) -> Result<()> {
    for stmt in split_statements(text) {
        if let Err(e) = sqlx::raw_sql(&stmt.sql).execute(&mut *conn).await {
            bail!("{file}:{}: {}", stmt.line, describe(&e));
        }
    }
    Ok(())
}

/// PostgreSQL's message with its detail and hint (sqlx's own Display
/// repeats the message through its source chain).
fn describe(e: &sqlx::Error) -> String {
    let Some(pg) = e
        .as_database_error()
        .and_then(|d| d.try_downcast_ref::<PgDatabaseError>())
    else {
        return e.to_string();
    };
    let mut text = pg.message().to_owned();
    if let Some(detail) = pg.detail() {
        text.push_str(&format!(" (detail: {detail})"));
    }
    if let Some(hint) = pg.hint() {
        text.push_str(&format!(" (hint: {hint})"));
    }
    text
}

fn count_create_tables(text: &str) -> usize {
    split_statements(text)
        .iter()
        .filter(|s| {
            let words: Vec<String> = s
                .sql
                .split_whitespace()
                .take(2)
                .map(str::to_ascii_uppercase)
                .collect();
            words == ["CREATE", "TABLE"]
        })
        .count()
}

/// Row count of every user table, keyed by `schema.table`.
async fn row_counts(conn: &mut PgConnection) -> Result<BTreeMap<String, i64>> {
    let tables = sqlx::query(
        "SELECT n.nspname::text AS schema, c.relname::text AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p')
           AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgtenant')
           AND n.nspname NOT LIKE 'pg\\_toast%'",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut counts = BTreeMap::new();
    for row in tables {
        let schema: String = row.get("schema");
        let name: String = row.get("name");
        let sql = format!("SELECT count(*) FROM {}", quote_qualified(&schema, &name));
        let n: i64 = sqlx::query_scalar(&sql).fetch_one(&mut *conn).await?;
        counts.insert(format!("{schema}.{name}"), n);
    }
    Ok(counts)
}

fn total(counts: &BTreeMap<String, i64>) -> i64 {
    counts.values().sum()
}

/// Load one kind of seeds: every file must insert rows; a second pass over
/// all files must change no row count. Returns the rows the kind added.
async fn load_seeds(
    conn: &mut PgConnection,
    example: &Example,
    db: &DatabaseEntry,
    kind: SeedKind,
) -> Result<i64> {
    let files = sql_files(&db.seed_dir(&example.dir, kind))?;
    let before = total(&row_counts(conn).await?);
    let mut after_first_pass = BTreeMap::new();
    for pass in 1..=2 {
        for file in &files {
            let label = shown(example, file);
            let text = std::fs::read_to_string(file).with_context(|| format!("reading {label}"))?;
            let sql = fill_defaults(&text)
                .map_err(anyhow::Error::msg)
                .with_context(|| label.clone())?;
            let rows_before = total(&row_counts(conn).await?);
            let mut tx = conn.begin().await?;
            run_statements(&mut tx, &sql, &label).await?;
            tx.commit().await?;
            let rows_after = total(&row_counts(conn).await?);
            if pass == 1 {
                ensure!(
                    rows_after > rows_before,
                    "{label}: the seed file inserted no rows"
                );
            }
        }
        let counts = row_counts(conn).await?;
        if pass == 1 {
            after_first_pass = counts;
        } else if counts != after_first_pass {
            let changed: Vec<String> = counts
                .iter()
                .filter(|(t, n)| after_first_pass.get(*t) != Some(n))
                .map(|(t, n)| {
                    format!(
                        "{t}: {} -> {n}",
                        after_first_pass.get(t).copied().unwrap_or(0)
                    )
                })
                .collect();
            bail!(
                "{} seeds of {} are not idempotent: running them again changed {}; use ON CONFLICT",
                kind.dir(),
                db.name,
                changed.join(", ")
            );
        }
    }
    Ok(total(&after_first_pass) - before)
}

/// The tenancy promises of a loaded database (see the module docs).
async fn check_tenancy(conn: &mut PgConnection, tenancy: &Tenancy) -> Result<()> {
    let root = sqlx::query(
        "SELECT c.oid::int8 AS oid, i.indkey[0] AS pk_attnum
         FROM pg_class c
         JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
         WHERE c.relnamespace = 'public'::regnamespace AND c.relname = $1",
    )
    .bind(&tenancy.root_table)
    .fetch_optional(&mut *conn)
    .await?
    .with_context(|| {
        format!(
            "root table {} is missing or has no primary key",
            tenancy.root_table
        )
    })?;
    let root_oid: i64 = root.get("oid");
    let root_pk: i16 = root.get("pk_attnum");

    let rows = sqlx::query(
        "SELECT c.oid::int8 AS oid, c.relname::text AS name, a.attnum, a.attnotnull,
                EXISTS (SELECT 1 FROM pg_index i
                        WHERE i.indrelid = c.oid AND i.indkey[0] = a.attnum) AS indexed
         FROM pg_class c
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $1 AND NOT a.attisdropped
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')",
    )
    .bind(&tenancy.column)
    .fetch_all(&mut *conn)
    .await?;

    let col = &tenancy.column;
    let mut problems = Vec::new();
    // oid -> (table name, attnum of the tenant column)
    let mut tenant_tables: BTreeMap<i64, (String, i16)> = BTreeMap::new();
    for row in rows {
        let oid: i64 = row.get("oid");
        let name: String = row.get("name");
        if oid == root_oid || tenancy.global_tables.contains(&name) {
            continue;
        }
        if !row.get::<bool, _>("attnotnull") {
            problems.push(format!("{name}.{col} is nullable"));
        }
        if !row.get::<bool, _>("indexed") {
            problems.push(format!("{name} has no index leading with {col}"));
        }
        tenant_tables.insert(oid, (name, row.get("attnum")));
    }
    ensure!(
        !tenant_tables.is_empty(),
        "tenancy is on but no table has the column {col}"
    );

    let fks = sqlx::query(
        "SELECT conname::text AS name, conrelid::int8 AS child, confrelid::int8 AS parent,
                conkey, confkey
         FROM pg_constraint
         WHERE contype = 'f' AND connamespace = 'public'::regnamespace",
    )
    .fetch_all(&mut *conn)
    .await?;
    for fk in fks {
        let child: i64 = fk.get("child");
        let parent: i64 = fk.get("parent");
        let Some((child_name, child_att)) = tenant_tables.get(&child) else {
            continue;
        };
        let parent_att = if parent == root_oid {
            root_pk
        } else if let Some((_, att)) = tenant_tables.get(&parent) {
            *att
        } else {
            continue; // a global table
        };
        let conkey: Vec<i16> = fk.get("conkey");
        let confkey: Vec<i16> = fk.get("confkey");
        let pairs_tenant = conkey
            .iter()
            .zip(&confkey)
            .any(|(c, p)| c == child_att && *p == parent_att);
        if !pairs_tenant {
            let name: String = fk.get("name");
            problems.push(format!(
                "foreign key {name} on {child_name} does not include {col}"
            ));
        }
    }

    let uniques = sqlx::query(
        "SELECT indexrelid::regclass::text AS name, indrelid::int8 AS tbl, string_to_array(indkey::text, ' ')::int2[] AS keys
         FROM pg_index
         WHERE indisunique AND NOT indisprimary",
    )
    .fetch_all(&mut *conn)
    .await?;
    for u in uniques {
        let tbl: i64 = u.get("tbl");
        let Some((table, att)) = tenant_tables.get(&tbl) else {
            continue;
        };
        let keys: Vec<i16> = u.get("keys");
        if !keys.contains(att) {
            let name: String = u.get("name");
            problems.push(format!(
                "unique index {name} on {table} does not include {col}"
            ));
        }
    }

    ensure!(problems.is_empty(), "tenancy: {}", problems.join("; "));
    Ok(())
}

/// What one database of one example loaded.
#[derive(Debug)]
struct Loaded {
    tables: i64,
    setup_rows: i64,
    demo_rows: i64,
}

/// Load `schema`, then setup and demo seeds once (no checks), as the admin.
async fn load_plain(conn: &mut PgConnection, example: &Example, db: &DatabaseEntry) -> Result<()> {
    for (label, text) in db.schema_texts(example)? {
        run_statements(conn, &text, &label).await?;
    }
    db.module_setup(conn, example).await?;
    for kind in [SeedKind::Setup, SeedKind::Demo] {
        for file in sql_files(&db.seed_dir(&example.dir, kind))? {
            let label = shown(example, &file);
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("reading {label}"))?;
            let sql = fill_defaults(&text)
                .map_err(anyhow::Error::msg)
                .with_context(|| label.clone())?;
            run_statements(conn, &sql, &label).await?;
        }
    }
    Ok(())
}

async fn check_database(example: &Example, db: &DatabaseEntry) -> Result<Loaded> {
    let scratch = TestDb::with_prefix("pgt_example").await;
    let mut conn = scratch.conn().await;

    let schema_dir = db.schema_dir(&example.dir);
    ensure!(
        schema_dir.is_dir(),
        "{} is missing",
        shown(example, &schema_dir)
    );
    let mut declared = 0;
    for file in sql_files(&schema_dir)? {
        let label = shown(example, &file);
        let text = std::fs::read_to_string(&file).with_context(|| format!("reading {label}"))?;
        declared += count_create_tables(&text);
    }
    for (label, text) in db.schema_texts(example)? {
        run_statements(&mut conn, &text, &label).await?;
    }
    db.module_setup(&mut conn, example).await?;
    let tables = i64::try_from(row_counts(&mut conn).await?.len())?;
    ensure!(
        tables == i64::try_from(declared)?,
        "{}: the schema declares {declared} tables but {tables} exist after loading it",
        db.name
    );

    if let Some(tenancy) = db.tenancy(&example.manifest.tenancy)? {
        check_tenancy(&mut conn, &tenancy).await?;
    }

    let setup_rows = load_seeds(&mut conn, example, db, SeedKind::Setup).await?;
    let demo_rows = load_seeds(&mut conn, example, db, SeedKind::Demo).await?;
    drop(conn);
    scratch.drop_now().await;
    Ok(Loaded {
        tables,
        setup_rows,
        demo_rows,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_loads_its_schema_and_seeds() {
    let examples = load_examples().unwrap();
    let names: BTreeSet<&str> = examples.iter().map(|e| e.name.as_str()).collect();
    for expected in SEED_EXAMPLES {
        assert!(
            names.contains(expected),
            "examples/{expected}/pgtenant.toml is missing"
        );
    }

    let jobs = examples.iter().flat_map(|ex| {
        ex.manifest.database.iter().map(move |db| async move {
            let label = format!("{}/{}", ex.name, db.name);
            (label, check_database(ex, db).await)
        })
    });
    let results = futures::future::join_all(jobs).await;

    let mut failures = Vec::new();
    let mut loaded = BTreeMap::new();
    for (label, result) in results {
        match result {
            Ok(l) => {
                loaded.insert(label, l);
            }
            Err(e) => failures.push(format!("{label}: {e:#}")),
        }
    }
    assert!(
        failures.is_empty(),
        "examples failed to load:\n{}",
        failures.join("\n")
    );

    // Each seed example has tables and demo data; where the seed system has
    // foundational data, setup inserted it.
    for expected in SEED_EXAMPLES {
        let of_example: Vec<(&String, &Loaded)> = loaded
            .iter()
            .filter(|(label, _)| label.split('/').next() == Some(expected))
            .collect();
        assert!(
            of_example.iter().any(|(_, l)| l.tables > 0),
            "{expected}: no tables loaded"
        );
        assert!(
            of_example.iter().any(|(_, l)| l.demo_rows > 0),
            "{expected}: demo seeds inserted nothing"
        );
    }
    for with_setup in [
        "hoolsy/hoolsy_users",
        "hoolsy/hoolsy_workstation",
        "startkit/startkit",
    ] {
        let l = loaded
            .get(with_setup)
            .unwrap_or_else(|| panic!("{with_setup} was not loaded"));
        assert!(
            l.setup_rows > 0,
            "{with_setup}: setup seeds inserted nothing"
        );
    }
}

#[test]
fn example_database_and_role_names_do_not_collide() {
    let examples = load_examples().unwrap();
    let mut databases: BTreeMap<String, String> = BTreeMap::new();
    let mut roles: BTreeMap<String, String> = BTreeMap::new();
    for ex in &examples {
        for db in &ex.manifest.database {
            if let Some(other) = databases.insert(db.name.clone(), ex.name.clone()) {
                panic!(
                    "database {} is in both examples/{other} and examples/{}",
                    db.name, ex.name
                );
            }
            for role in [&db.service_role, &db.superadmin_role]
                .into_iter()
                .flatten()
            {
                let owner = format!("examples/{} database {}", ex.name, db.name);
                if let Some(other) = roles.insert(role.name.clone(), owner.clone()) {
                    panic!("role {} is used by {other} and by {owner}", role.name);
                }
            }
        }
    }
    // Every seed example's databases have a service role.
    for ex in examples
        .iter()
        .filter(|e| SEED_EXAMPLES.contains(&e.name.as_str()))
    {
        for db in &ex.manifest.database {
            assert!(
                db.service_role.is_some(),
                "examples/{}: database {} has no service_role",
                ex.name,
                db.name
            );
        }
    }
}

#[test]
fn fill_defaults_replaces_placeholders_and_leaves_other_dollars() {
    let sql = "SELECT '${EMAIL:-demo@example.com}', $1, $$body$$, '$argon2id$v=19', '${N:-}'";
    assert_eq!(
        fill_defaults(sql).unwrap(),
        "SELECT 'demo@example.com', $1, $$body$$, '$argon2id$v=19', ''"
    );
}

#[test]
fn fill_defaults_refuses_a_placeholder_without_default() {
    assert_eq!(
        fill_defaults("SELECT '${EMAIL}'").unwrap_err(),
        "`${EMAIL}` has no default; write `${EMAIL:-value}`"
    );
    assert_eq!(
        fill_defaults("SELECT '${EMAIL:-x'").unwrap_err(),
        "unterminated `${` in `EMAIL:-x'`"
    );
}

// ---------------------------------------------------------------------------
// The hand-written policies and triggers of the examples do what their
// comments say. Tenant tables get pgtenant's generated isolation policy; the
// tests add an equivalent one where they need it.

/// One example database loaded (schema, setup, demo) into a scratch
/// database, with a role that is not superuser and cannot bypass RLS, holding
/// DML on every table: the shape of a service role.
struct PolicyFixture {
    db: TestDb,
    role: TestRole,
    conn: PgConnection,
}

impl PolicyFixture {
    async fn new(example: &str, database: &str) -> PolicyFixture {
        let examples = load_examples().unwrap();
        let ex = examples.iter().find(|e| e.name == example).unwrap();
        let entry = ex
            .manifest
            .database
            .iter()
            .find(|d| d.name == database)
            .unwrap();
        let db = TestDb::with_prefix("pgt_example").await;
        let role = TestRole::new("pgt_example_svc", "NOLOGIN NOSUPERUSER NOBYPASSRLS").await;
        let mut conn = db.conn().await;
        load_plain(&mut conn, ex, entry).await.unwrap();
        let r = quote_ident(&role.name);
        let grants = format!(
            "GRANT USAGE ON SCHEMA public TO {r};
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r};
             {}",
            entry.module_grants(&role.name)
        );
        sqlx::raw_sql(&grants).execute(&mut conn).await.unwrap();
        PolicyFixture { db, role, conn }
    }

    async fn admin(&mut self, sql: &str) {
        if let Err(e) = sqlx::raw_sql(sql).execute(&mut self.conn).await {
            panic!("{}\n{sql}", describe(&e));
        }
    }

    /// Enable and force RLS on `table` with the isolation policy pgtenant
    /// generates (`column = setting`, cast to `ty`).
    async fn isolate(&mut self, table: &str, column: &str, setting: &str, ty: &str) {
        let t = quote_ident(table);
        let expr = format!(
            "{} = (SELECT NULLIF(current_setting({}, true), '')::{ty})",
            quote_ident(column),
            quote_literal(setting)
        );
        self.admin(&format!(
            "ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;
             ALTER TABLE {t} FORCE ROW LEVEL SECURITY;
             CREATE POLICY test_isolation ON {t} USING ({expr}) WITH CHECK ({expr});"
        ))
        .await;
    }

    /// Run `sql` as the role, in a transaction that is rolled back, with the
    /// given settings; the first column of each row as text, sorted.
    async fn as_role(
        &mut self,
        settings: &[(&str, &str)],
        sql: &str,
    ) -> Result<Vec<String>, String> {
        let mut tx = self.conn.begin().await.unwrap();
        let set_role = format!("SET LOCAL ROLE {}", quote_ident(&self.role.name));
        sqlx::raw_sql(&set_role).execute(&mut *tx).await.unwrap();
        for (name, value) in settings {
            sqlx::query("SELECT set_config($1, $2, true)")
                .bind(name)
                .bind(value)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        let result = sqlx::query_scalar::<_, Option<String>>(&format!(
            "WITH q(x) AS ({sql}) SELECT x::text FROM q"
        ))
        .fetch_all(&mut *tx)
        .await;
        tx.rollback().await.unwrap();
        let mut rows: Vec<String> = result
            .map_err(|e| describe(&e))?
            .into_iter()
            .flatten()
            .collect();
        rows.sort();
        Ok(rows)
    }

    /// `pgtenant.has_permission(permission)` as the role, for `user` in
    /// `tenant`.
    async fn allowed(&mut self, tenant: &str, user: &str, permission: &str) -> bool {
        let settings = [("app.tenant_id", tenant), ("app.user_id", user)];
        let sql = format!("SELECT pgtenant.has_permission('{permission}')");
        self.as_role(&settings, &sql).await.unwrap() == ["true"]
    }

    /// Act as the role on the fixture's own connection, outside any
    /// transaction (what the module functions commit stays), with exactly
    /// these settings (session-level) in force. [`Self::admin`] works again
    /// after [`Self::leave`].
    async fn enter(&mut self, settings: &[(&str, &str)]) {
        self.leave().await;
        let set_role = format!("SET ROLE {}", quote_ident(&self.role.name));
        sqlx::raw_sql(&set_role)
            .execute(&mut self.conn)
            .await
            .unwrap();
        for (name, value) in settings {
            sqlx::query("SELECT set_config($1, $2, false)")
                .bind(name)
                .bind(value)
                .execute(&mut self.conn)
                .await
                .unwrap();
        }
    }

    /// Back to the admin, every `app.*` setting cleared.
    async fn leave(&mut self) {
        sqlx::raw_sql("RESET ROLE")
            .execute(&mut self.conn)
            .await
            .unwrap();
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM pg_settings WHERE name LIKE 'app.%' AND setting <> ''",
        )
        .fetch_all(&mut self.conn)
        .await
        .unwrap();
        for name in names {
            sqlx::query("SELECT set_config($1, '', false)")
                .bind(name)
                .execute(&mut self.conn)
                .await
                .unwrap();
        }
    }

    async fn finish(self) {
        drop(self.conn);
        self.db.drop_now().await;
        drop(self.role);
    }
}

const DEMO_TENANT: &str = "00000000-0000-4000-8000-00000000d001";
const OTHER_TENANT: &str = "00000000-0000-4000-8000-00000000d002";
const USER_U: &str = "00000000-0000-4000-8000-00000000f001";
const USER_V: &str = "00000000-0000-4000-8000-00000000f002";

#[tokio::test]
async fn hoolsy_roles_show_global_and_own_roles_and_accept_writes_only_to_own() {
    let mut t = PolicyFixture::new("hoolsy", "hoolsy_workstation").await;
    t.admin(&format!(
        "INSERT INTO tenants (tenant_id, name, slug) VALUES ('{OTHER_TENANT}', 'Other', 'other');
         INSERT INTO pgtenant.roles (tenant_id, name, allow) VALUES ('{OTHER_TENANT}', 'other-role', '{{content.nodes.view}}');"
    ))
    .await;
    let names = "SELECT name FROM pgtenant.roles";
    let demo = [("app.tenant_id", DEMO_TENANT)];
    let other = [("app.tenant_id", OTHER_TENANT)];
    assert_eq!(
        t.as_role(&demo, names).await.unwrap(),
        ["admin", "editor", "member", "owner"]
    );
    assert_eq!(
        t.as_role(&other, names).await.unwrap(),
        ["admin", "member", "other-role", "owner"]
    );
    assert_eq!(
        t.as_role(&[], names).await.unwrap(),
        ["admin", "member", "owner"]
    );
    assert_eq!(
        t.as_role(&[("app.tenant_id", "")], names).await.unwrap(),
        ["admin", "member", "owner"]
    );

    // The catalog is the seed's 204 codes (rbac/permissions.txt), and the
    // module refused any role pattern that matches none of them.
    let codes: i64 = sqlx::query_scalar("SELECT count(*) FROM pgtenant.permissions")
        .fetch_one(&mut t.conn)
        .await
        .unwrap();
    assert_eq!(codes, 204);

    // A tenant cannot create, change or delete a global role.
    let insert_global =
        "INSERT INTO pgtenant.roles (tenant_id, name) VALUES (NULL, 'sneaky') RETURNING name";
    let err = t.as_role(&demo, insert_global).await.unwrap_err();
    assert!(err.contains("row-level security"), "{err}");
    let touch_global =
        "UPDATE pgtenant.roles SET deny = '{}' WHERE tenant_id IS NULL RETURNING name";
    assert_eq!(
        t.as_role(&demo, touch_global).await.unwrap(),
        Vec::<String>::new()
    );
    let delete_global = "DELETE FROM pgtenant.roles WHERE tenant_id IS NULL RETURNING name";
    assert_eq!(
        t.as_role(&demo, delete_global).await.unwrap(),
        Vec::<String>::new()
    );
    // Nor create a role in another tenant; its own roles it can, with
    // patterns the catalog knows.
    let insert_other = format!(
        "INSERT INTO pgtenant.roles (tenant_id, name) VALUES ('{OTHER_TENANT}', 'x') RETURNING name"
    );
    let err = t.as_role(&demo, &insert_other).await.unwrap_err();
    assert!(err.contains("row-level security"), "{err}");
    let insert_own = format!(
        "INSERT INTO pgtenant.roles (tenant_id, name, allow) VALUES ('{DEMO_TENANT}', 'reviewer', '{{content.comments.*}}') RETURNING name"
    );
    assert_eq!(t.as_role(&demo, &insert_own).await.unwrap(), ["reviewer"]);
    let unknown = format!(
        "INSERT INTO pgtenant.roles (tenant_id, name, allow) VALUES ('{DEMO_TENANT}', 'odd', '{{content.nodes.fly}}') RETURNING name"
    );
    assert_eq!(
        t.as_role(&demo, &unknown).await.unwrap_err(),
        "role odd: pattern 'content.nodes.fly' matches no permission in the catalog \
         (hint: Add the permission to the catalog first, or fix the pattern.)"
    );
    t.finish().await;
}

#[tokio::test]
async fn hoolsy_role_grants_accept_global_and_own_roles_only() {
    let mut t = PolicyFixture::new("hoolsy", "hoolsy_workstation").await;
    t.admin(&format!(
        "INSERT INTO tenants (tenant_id, name, slug) VALUES ('{OTHER_TENANT}', 'Other', 'other');
         INSERT INTO pgtenant.roles (tenant_id, name) VALUES ('{OTHER_TENANT}', 'other-role');
         INSERT INTO ws_memberships (tenant_id, user_id) VALUES ('{DEMO_TENANT}', '{USER_U}');"
    ))
    .await;
    let grant = |role: &str| {
        format!(
            "INSERT INTO pgtenant.role_grants (tenant_id, user_id, role_id)
             SELECT '{DEMO_TENANT}', '{USER_U}', role_id FROM pgtenant.roles WHERE name = '{role}'
             RETURNING role_id"
        )
    };
    let demo = [("app.tenant_id", DEMO_TENANT)];
    assert_eq!(t.as_role(&demo, &grant("member")).await.unwrap().len(), 1);
    assert_eq!(t.as_role(&demo, &grant("editor")).await.unwrap().len(), 1);
    // Even the admin, who sees every role, cannot grant another tenant's role.
    let err = sqlx::raw_sql(&grant("other-role"))
        .execute(&mut t.conn)
        .await
        .unwrap_err();
    assert!(
        describe(&err).ends_with(&format!(
            "belongs to another tenant and cannot be granted in tenant {DEMO_TENANT} \
             (hint: Grant a global role or one of this tenant's own roles.)"
        )),
        "{}",
        describe(&err)
    );
    // A grant needs a membership.
    let stranger = format!(
        "INSERT INTO pgtenant.role_grants (tenant_id, user_id, role_id)
         SELECT '{DEMO_TENANT}', '{USER_V}', role_id FROM pgtenant.roles WHERE name = 'member'
         RETURNING role_id"
    );
    let err = t.as_role(&demo, &stranger).await.unwrap_err();
    assert!(err.contains("role_grants_membership_fkey"), "{err}");
    t.finish().await;
}

/// The seed's flows: an editor (content.* and media.* allowed, deleting a
/// project denied) edits and cannot delete a project; the admin role in one
/// tenant means nothing in another; a suspended member holds nothing; a
/// deny in a global role beats an allow in a tenant role; a revoke takes
/// effect at once.
#[tokio::test]
async fn hoolsy_permissions_follow_roles_grants_and_membership() {
    let mut t = PolicyFixture::new("hoolsy", "hoolsy_workstation").await;
    t.admin(&format!(
        "INSERT INTO tenants (tenant_id, name, slug) VALUES ('{OTHER_TENANT}', 'Other', 'other');
         INSERT INTO ws_memberships (tenant_id, user_id, status) VALUES
           ('{DEMO_TENANT}', '{USER_U}', 'active'), ('{OTHER_TENANT}', '{USER_U}', 'active'),
           ('{DEMO_TENANT}', '{USER_V}', 'suspended');
         INSERT INTO pgtenant.roles (tenant_id, name, allow) VALUES
           ('{DEMO_TENANT}', 'tenant-boss', '{{admin.tenant.*}}');
         INSERT INTO pgtenant.role_grants (tenant_id, user_id, role_id)
         SELECT '{DEMO_TENANT}', u, role_id FROM pgtenant.roles r,
                (VALUES ('{USER_U}'::uuid), ('{USER_V}'::uuid)) AS v(u)
          WHERE r.name IN ('editor', 'admin', 'tenant-boss');"
    ))
    .await;
    assert!(
        t.allowed(DEMO_TENANT, USER_U, "content.projects.update")
            .await
    );
    assert!(t.allowed(DEMO_TENANT, USER_U, "media.assets.delete").await);
    // editor denies it; the admin role allows content.* but no deny of
    // one role is undone by another's allow.
    assert!(
        !t.allowed(DEMO_TENANT, USER_U, "content.projects.delete")
            .await
    );
    assert!(t.allowed(DEMO_TENANT, USER_U, "admin.members.invite").await);
    // admin (global) denies admin.tenant.delete; tenant-boss allows it.
    assert!(t.allowed(DEMO_TENANT, USER_U, "admin.tenant.update").await);
    assert!(!t.allowed(DEMO_TENANT, USER_U, "admin.tenant.delete").await);
    // The same user in the other tenant holds no role there.
    assert!(
        !t.allowed(OTHER_TENANT, USER_U, "admin.members.invite")
            .await
    );
    assert!(
        !t.allowed(OTHER_TENANT, USER_U, "content.projects.update")
            .await
    );
    // Suspended: the same grants, nothing.
    assert!(
        !t.allowed(DEMO_TENANT, USER_V, "content.projects.update")
            .await
    );
    // A user sees only their own effective permissions.
    let theirs = "SELECT count(*) FROM pgtenant.effective_permissions WHERE user_id <> current_setting('app.user_id')::uuid";
    let settings = [("app.tenant_id", DEMO_TENANT), ("app.user_id", USER_U)];
    assert_eq!(t.as_role(&settings, theirs).await.unwrap(), ["0"]);

    let decide = |user: &str, permission: &str| {
        format!("SELECT pgtenant.rbac_decide('{user}', '{DEMO_TENANT}', '{permission}')")
    };
    for (user, permission, decision) in [
        (USER_U, "content.projects.delete", "denied"),
        (USER_U, "content.projects.update", "allowed"),
        (USER_U, "content.projects.fly", "unknown_permission"),
        (USER_V, "content.projects.update", "not_a_member"),
    ] {
        let got: String = sqlx::query_scalar(&decide(user, permission))
            .fetch_one(&mut t.conn)
            .await
            .unwrap();
        assert_eq!(got, decision, "{user} {permission}");
    }

    // The tenant revokes editor and admin: the permission is gone at the
    // next statement of the same transaction.
    let mut tx = t.conn.begin().await.unwrap();
    let role = quote_ident(&t.role.name);
    sqlx::raw_sql(&format!(
        "SET LOCAL ROLE {role}; SET LOCAL app.tenant_id = '{DEMO_TENANT}'; SET LOCAL app.user_id = '{USER_U}';
         DELETE FROM pgtenant.role_grants g USING pgtenant.roles r
          WHERE g.role_id = r.role_id AND r.name IN ('editor', 'admin') AND g.user_id = '{USER_U}'"
    ))
    .execute(&mut *tx)
    .await
    .unwrap();
    let still: bool =
        sqlx::query_scalar("SELECT pgtenant.has_permission('content.projects.update')")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    tx.rollback().await.unwrap();
    assert!(!still);
    t.finish().await;
}

#[tokio::test]
async fn hoolsy_users_list_their_own_memberships_and_tenants_across_tenants() {
    let mut t = PolicyFixture::new("hoolsy", "hoolsy_workstation").await;
    t.admin(&format!(
        "INSERT INTO tenants (tenant_id, name, slug) VALUES ('{OTHER_TENANT}', 'Other', 'other');
         INSERT INTO ws_memberships (tenant_id, user_id) VALUES
           ('{DEMO_TENANT}', '{USER_U}'), ('{OTHER_TENANT}', '{USER_U}'), ('{OTHER_TENANT}', '{USER_V}');"
    ))
    .await;
    t.isolate("ws_memberships", "tenant_id", "app.tenant_id", "uuid")
        .await;
    t.isolate("tenants", "tenant_id", "app.tenant_id", "uuid")
        .await;

    let members = "SELECT user_id || '@' || tenant_id FROM ws_memberships";
    let tenants = "SELECT name FROM tenants";
    let u = [("app.user_id", USER_U)];
    let v = [("app.user_id", USER_V)];
    assert_eq!(
        t.as_role(&u, members).await.unwrap(),
        [
            format!("{USER_U}@{DEMO_TENANT}"),
            format!("{USER_U}@{OTHER_TENANT}")
        ]
    );
    assert_eq!(
        t.as_role(&v, members).await.unwrap(),
        [format!("{USER_V}@{OTHER_TENANT}")]
    );
    assert_eq!(
        t.as_role(&u, tenants).await.unwrap(),
        ["Demo Workspace", "Other"]
    );
    assert_eq!(t.as_role(&v, tenants).await.unwrap(), ["Other"]);
    // No context: nothing. A tenant context: that tenant's rows (all users).
    assert_eq!(t.as_role(&[], members).await.unwrap(), Vec::<String>::new());
    assert_eq!(t.as_role(&[], tenants).await.unwrap(), Vec::<String>::new());
    let in_other = [("app.tenant_id", OTHER_TENANT)];
    assert_eq!(t.as_role(&in_other, members).await.unwrap().len(), 2);
    // The user policy is read-only: U cannot change a membership it can see
    // only through it.
    let update = format!("UPDATE ws_memberships SET status = 'suspended' WHERE tenant_id = '{OTHER_TENANT}' RETURNING 1");
    assert_eq!(t.as_role(&u, &update).await.unwrap(), Vec::<String>::new());
    t.finish().await;
}

#[tokio::test]
async fn startkit_audit_log_is_append_only_but_follows_deletions() {
    let mut t = PolicyFixture::new("startkit", "startkit").await;
    let acme = "b0000000-0000-4000-8000-000000000001";
    let bob = "a0000000-0000-4000-8000-000000000002";
    let org = [("app.current_org_id", acme)];
    let err = t
        .as_role(&org, "UPDATE audit_logs SET action = 'x.y' RETURNING 1")
        .await
        .unwrap_err();
    assert_eq!(
        err,
        "audit_logs is append-only: UPDATE is not allowed \
         (hint: Record a new audit entry instead of changing an old one.)"
    );
    let err = t
        .as_role(&org, "DELETE FROM audit_logs RETURNING 1")
        .await
        .unwrap_err();
    assert!(
        err.starts_with("audit_logs is append-only: DELETE"),
        "{err}"
    );
    let insert = format!(
        "INSERT INTO audit_logs (organization_id, action, resource_type) VALUES ('{acme}', 'project.viewed', 'project') RETURNING 1"
    );
    assert_eq!(t.as_role(&org, &insert).await.unwrap(), ["1"]);

    // Deleting a user clears user_id; deleting an organization removes its entries.
    t.admin(&format!("DELETE FROM users WHERE id = '{bob}'"))
        .await;
    let orphaned: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_logs WHERE user_id IS NULL")
        .fetch_one(&mut t.conn)
        .await
        .unwrap();
    assert_eq!(orphaned, 1);
    t.admin(&format!("DELETE FROM organizations WHERE id = '{acme}'"))
        .await;
    let left: Vec<String> = sqlx::query_scalar("SELECT organization_id::text FROM audit_logs")
        .fetch_all(&mut t.conn)
        .await
        .unwrap();
    assert_eq!(left, ["b0000000-0000-4000-8000-000000000002"]);
    t.finish().await;
}

// ---------------------------------------------------------------------------
// The real CLI on every example: the manifest parses with pgtenant's own
// parser, `bootstrap` creates the databases and roles, and `doctor` finds
// them healthy with the loaded schema. Database and role names are replaced
// by unique ones (paths made absolute) so the test runs beside anything.

/// A copy of an example's manifest with unique names, in a temporary
/// folder; `nuke --yes` and removal on drop.
pub(crate) struct RenamedProject {
    pub(crate) dir: tempfile::TempDir,
    /// original database name -> unique name
    pub(crate) names: BTreeMap<String, String>,
}

/// Every example under unique names (not brought up): its folder name, the
/// project, and its databases' unique names in manifest order.
pub(crate) fn renamed_examples() -> Result<Vec<(String, RenamedProject, Vec<String>)>> {
    let mut out = Vec::new();
    for ex in load_examples()? {
        let project = RenamedProject::new(&ex)?;
        let names = ex
            .manifest
            .database
            .iter()
            .map(|d| project.names[&d.name].clone())
            .collect();
        out.push((ex.name, project, names));
    }
    Ok(out)
}

/// The example `name` under unique names (not brought up).
pub(crate) fn renamed_example(name: &str) -> Result<RenamedProject> {
    let ex = load_examples()?
        .into_iter()
        .find(|e| e.name == name)
        .with_context(|| format!("no example {name}"))?;
    RenamedProject::new(&ex)
}

fn pgtenant(project: &Path, args: &[&str]) -> std::process::Output {
    let admin = pgtenant_testkit::admin_url();
    std::process::Command::new(env!("CARGO_BIN_EXE_pgtenant"))
        .arg("--project")
        .arg(project)
        .arg("--admin-url")
        .arg(&admin)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("SEED_DEMO_OK")
        .output()
        .expect("run pgtenant")
}

impl RenamedProject {
    fn new(example: &Example) -> Result<RenamedProject> {
        let path = example.dir.join("pgtenant.toml");
        let text = std::fs::read_to_string(&path)?;
        let mut doc: toml::Table = toml::from_str(&text)?;
        let abs = |rel: &str| example.dir.join(rel).to_string_lossy().into_owned();
        let mut names = BTreeMap::new();
        let dbs = doc
            .get_mut("database")
            .and_then(toml::Value::as_array_mut)
            .context("no [[database]]")?;
        for db in dbs {
            let t = db.as_table_mut().context("[[database]] is not a table")?;
            let name = t
                .get("name")
                .and_then(toml::Value::as_str)
                .context("no name")?
                .to_owned();
            let fresh = pgtenant_testkit::unique_name("pgt_exdb");
            let get = |t: &toml::Table, key: &str| {
                t.get(key).and_then(toml::Value::as_str).map(str::to_owned)
            };
            let schema = get(t, "schema").unwrap_or_else(|| format!("schema/{name}"));
            let migrations = get(t, "migrations").unwrap_or_else(|| format!("migrations/{name}"));
            let seeds = t
                .get("seeds")
                .and_then(toml::Value::as_table)
                .cloned()
                .unwrap_or_default();
            let setup = get(&seeds, "setup").unwrap_or_else(|| format!("seeds/{name}/setup"));
            let demo = get(&seeds, "demo").unwrap_or_else(|| format!("seeds/{name}/demo"));
            t.insert("name".into(), fresh.clone().into());
            t.insert("schema".into(), abs(&schema).into());
            t.insert("migrations".into(), abs(&migrations).into());
            let mut s = toml::Table::new();
            s.insert("setup".into(), abs(&setup).into());
            s.insert("demo".into(), abs(&demo).into());
            t.insert("seeds".into(), s.into());
            // The rbac module's catalog files, relative to the project too.
            let mut rbac = t
                .get("rbac")
                .and_then(toml::Value::as_table)
                .cloned()
                .unwrap_or_default();
            for (key, default) in [
                ("permissions", "rbac/permissions.txt"),
                ("roles", "rbac/roles.txt"),
            ] {
                let rel = get(&rbac, key).unwrap_or_else(|| default.to_owned());
                rbac.insert(key.into(), abs(&rel).into());
            }
            t.insert("rbac".into(), rbac.into());
            for key in ["service_role", "superadmin_role"] {
                if let Some(role) = t.get_mut(key).and_then(toml::Value::as_table_mut) {
                    role.insert(
                        "name".into(),
                        pgtenant_testkit::unique_name("pgt_exrole").into(),
                    );
                }
            }
            names.insert(name, fresh);
        }
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("pgtenant.toml"), toml::to_string(&doc)?)?;
        Ok(RenamedProject { dir, names })
    }
}

impl Drop for RenamedProject {
    fn drop(&mut self) {
        let out = pgtenant(self.dir.path(), &["nuke", "--yes"]);
        if !out.status.success() {
            eprintln!(
                "cleanup: nuke failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

async fn bootstrap_and_doctor(example: &Example) -> Result<()> {
    let project = RenamedProject::new(example)?;
    let out = pgtenant(project.dir.path(), &["--json", "bootstrap"]);
    ensure!(
        out.status.success(),
        "bootstrap failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for db in &example.manifest.database {
        let fresh = &project.names[&db.name];
        let url = pgtenant_testkit::url_for_db(&pgtenant_testkit::admin_url(), fresh);
        let mut conn = PgConnection::connect(&url).await?;
        load_plain(&mut conn, example, db).await?;
    }
    // Bootstrap again, as `up` does after migrate: the grants on what the
    // schema created (the modules' objects).
    let out = pgtenant(project.dir.path(), &["bootstrap"]);
    ensure!(
        out.status.success(),
        "second bootstrap failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = pgtenant(project.dir.path(), &["--json", "doctor"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "doctor printed no JSON: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let databases = report["databases"]
        .as_array()
        .context("doctor JSON has no databases")?;
    ensure!(
        databases.len() == example.manifest.database.len(),
        "doctor saw {} databases",
        databases.len()
    );
    for (db, seen) in example.manifest.database.iter().zip(databases) {
        ensure!(
            seen["name"] == project.names[&db.name].as_str(),
            "doctor's databases are out of order"
        );
        for check in seen["checks"].as_array().context("no checks")? {
            let name = check["check"].as_str().unwrap_or_default();
            // Isolation arrives with the tenancy migration (`pgtenant up`);
            // everything else must already hold.
            if check["ok"] != true && name != "tenant isolation" {
                bail!(
                    "{}: doctor check `{name}` failed: {}",
                    db.name,
                    check["detail"]
                );
            }
        }
        let roles = [&db.service_role, &db.superadmin_role]
            .into_iter()
            .flatten()
            .count();
        let role_checks = seen["checks"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter(|c| c["check"].as_str().is_some_and(|n| n.contains(" role ")))
                    .count()
            })
            .unwrap_or(0);
        ensure!(
            role_checks == roles,
            "{}: doctor checked {role_checks} roles, the manifest has {roles}",
            db.name
        );
        let declared = sql_files(&db.schema_dir(&example.dir))?
            .iter()
            .map(|f| std::fs::read_to_string(f).map(|t| count_create_tables(&t)))
            .sum::<Result<usize, _>>()?;
        // The modules' tables are listed apart (marked `module`).
        let tables = seen["tables"]
            .as_array()
            .map(|t| t.iter().filter(|t| t["module"] != true).count())
            .unwrap_or(0);
        ensure!(
            tables == declared,
            "{}: doctor lists {tables} tables, the schema declares {declared}",
            db.name
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_bootstraps_and_passes_doctor() {
    let examples = load_examples().unwrap();
    let mut failures = Vec::new();
    for ex in &examples {
        if let Err(e) = bootstrap_and_doctor(ex).await {
            failures.push(format!("{}: {e:#}", ex.name));
        }
    }
    assert!(
        failures.is_empty(),
        "examples failed with the CLI:\n{}",
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------
// The examples' migrations are generated by `pgtenant generate` and kept
// current: `check` on a database that does not exist compares the schema
// folder with what the migrations produce, and finds nothing ungenerated.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_migration_folder_holds_its_schema() {
    let mut failures = Vec::new();
    for ex in &load_examples().unwrap() {
        let project = RenamedProject::new(ex).unwrap();
        let out = pgtenant(project.dir.path(), &["--json", "check"]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{}: check printed no JSON ({e}): {}",
                ex.name,
                String::from_utf8_lossy(&out.stderr)
            )
        });
        for db in &ex.manifest.database {
            let seen = report["databases"]
                .as_array()
                .and_then(|d| {
                    d.iter()
                        .find(|d| d["name"] == project.names[&db.name].as_str())
                })
                .unwrap_or_else(|| panic!("{}: {} not checked: {report}", ex.name, db.name));
            assert_eq!(seen["exists"], false);
            let ungenerated = &seen["drift"]["schema"]["ungenerated"];
            if ungenerated != false {
                failures.push(format!(
                    "{}/{}: schema changes not in a migration: {}",
                    ex.name, db.name, seen["drift"]["schema"]["sql"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_comes_up_from_its_migrations_and_checks_clean() {
    let ex = load_examples()
        .unwrap()
        .into_iter()
        .find(|e| e.name == "quickstart")
        .expect("examples/quickstart");
    let project = RenamedProject::new(&ex).unwrap();
    let out = pgtenant(project.dir.path(), &["up"]);
    assert!(
        out.status.success(),
        "up failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = pgtenant(project.dir.path(), &["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "check failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = &project.names["quickstart"];
    assert!(text.contains(&format!("{db}: ok")), "{text}");
    assert!(
        text.contains("  migrations: 1 applied, 0 pending"),
        "{text}"
    );
}
