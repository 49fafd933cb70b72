use crate::database_exists;
use pgtenant_schema::shadow::{load_catalog, read_sql_files, ShadowDb, ShadowError, Source};
use pgtenant_schema::{QualName, RenameHint};
use pgtenant_testkit::admin_url;
use std::path::{Path, PathBuf};

/// A temporary folder of SQL files, removed on drop.
struct Files {
    dir: PathBuf,
}

impl Files {
    fn new(files: &[(&str, &str)]) -> Files {
        let dir = std::env::temp_dir().join(pgtenant_testkit::unique_name("pgt_sql"));
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        Files { dir }
    }

    fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Load through a shadow whose name the test knows, and check that the
/// database is gone afterwards, whatever happened.
async fn check_load(source: &Path) -> Result<pgtenant_schema::Catalog, ShadowError> {
    let files = read_sql_files(source)?;
    let shadow = ShadowDb::create(&admin_url()).await.unwrap();
    let name = shadow.name().to_owned();
    assert!(database_exists(&name).await);
    let result = shadow.into_catalog(&files).await;
    assert!(
        !database_exists(&name).await,
        "shadow database {name} left behind"
    );
    result.map(|loaded| loaded.catalog)
}

/// The error of loading `files`, with the temporary folder's path replaced
/// by `DIR` so the text can be pinned.
async fn load_error(files: &[(&str, &str)]) -> String {
    let f = Files::new(files);
    let err = check_load(f.path()).await.unwrap_err();
    err.to_string()
        .replace(&f.path().display().to_string(), "DIR")
}

#[tokio::test]
async fn folder_is_loaded_recursively_in_path_order_with_a_fresh_session_per_file() {
    let f = Files::new(&[
        // pg_dump style: empties search_path for the rest of its session.
        ("01_types.sql", "SELECT pg_catalog.set_config('search_path', '', false);\nCREATE TYPE public.mood AS ENUM ('ok');\n"),
        // Unqualified: works only if the previous file's setting is gone.
        ("02/a_tables.sql", "CREATE TABLE people (id int PRIMARY KEY, m mood);\n"),
        ("02/b_more.sql", "CREATE TABLE pets (owner int REFERENCES people (id));\n"),
        ("03_index.sql", "CREATE INDEX CONCURRENTLY pets_owner ON pets (owner);\n"),
        (".hidden/skip.sql", "this is not sql"),
        ("notes.txt", "neither is this"),
    ]);
    let files = read_sql_files(f.path()).unwrap();
    let rel: Vec<String> = files
        .iter()
        .map(|x| x.path.strip_prefix(f.path()).unwrap().display().to_string())
        .collect();
    assert_eq!(
        rel,
        [
            "01_types.sql",
            "02/a_tables.sql",
            "02/b_more.sql",
            "03_index.sql"
        ]
    );

    let c = check_load(f.path()).await.unwrap();
    let pets = &c.tables[&QualName::new("public", "pets")];
    assert!(
        pets.indexes.contains_key("pets_owner"),
        "CREATE INDEX CONCURRENTLY loads outside a transaction"
    );
    assert_eq!(
        c.tables[&QualName::new("public", "people")]
            .column("m")
            .unwrap()
            .data_type,
        "public.mood"
    );
}

#[tokio::test]
async fn one_file_and_files_with_their_own_transactions() {
    let f = Files::new(&[(
        "schema.sql",
        "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n",
    )]);
    let c = check_load(&f.path().join("schema.sql")).await.unwrap();
    assert_eq!(c.tables.len(), 2);
}

#[tokio::test]
async fn syntax_error_names_file_and_line() {
    let e = load_error(&[
        ("01.sql", "CREATE TABLE ok (id int);\n"),
        ("02.sql", "-- header\nCREATE TABLE a (id int);\n\nCREATE TABLE b (\n  id int,\n  name txet NOT NULL,\n  x int y\n);\n"),
    ])
    .await;
    assert_eq!(e, "DIR/02.sql:7: syntax error at or near \"y\"");

    let f = Files::new(&[("a.sql", "CREATE TABLEX a (id int);")]);
    match check_load(f.path()).await {
        Err(ShadowError::Sql(e)) => assert_eq!((e.line, e.code.as_str()), (1, "42601")),
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[tokio::test]
async fn rejected_object_names_file_line_and_position() {
    let e = load_error(&[(
        "s.sql",
        "CREATE TABLE a (id int);\n\nCREATE TABLE b (\n  id int,\n  name txet NOT NULL\n);\n",
    )])
    .await;
    assert_eq!(e, "DIR/s.sql:5: type \"txet\" does not exist");
    let e = load_error(&[(
        "s.sql",
        "CREATE TABLE a (id int);\nCREATE VIEW v AS SELECT id FROM missing;\n",
    )])
    .await;
    assert_eq!(e, "DIR/s.sql:2: relation \"missing\" does not exist");
}

#[tokio::test]
async fn errors_carry_detail_and_hint() {
    let e = load_error(&[(
        "seed.sql",
        "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p int REFERENCES p (id));\nINSERT INTO c VALUES (1);\n",
    )])
    .await;
    assert_eq!(
        e,
        "DIR/seed.sql:3: insert or update on table \"c\" violates foreign key constraint \"c_p_fkey\"\n  DETAIL: Key (p)=(1) is not present in table \"p\"."
    );
    let e = load_error(&[("f.sql", "SELECT lower(1, 2);\n")]).await;
    assert_eq!(
        e,
        "DIR/f.sql:1: function lower(integer, integer) does not exist\n  HINT: No function matches the given name and argument types. You might need to add explicit type casts."
    );
}

#[tokio::test]
async fn folder_without_sql_files() {
    let f = Files::new(&[("README.md", "# nothing")]);
    let e = load_catalog(&admin_url(), f.path()).await.unwrap_err();
    assert!(matches!(e, ShadowError::NoSqlFiles { .. }));
    assert_eq!(
        e.to_string()
            .replace(&f.path().display().to_string(), "DIR"),
        "DIR contains no .sql files; put the schema in files ending in .sql"
    );
}

#[tokio::test]
async fn missing_path() {
    let e = load_catalog(&admin_url(), Path::new("no/such/schema"))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "no/such/schema does not exist; give a folder of .sql files, a .sql file or a postgres:// URL"
    );
}

#[tokio::test]
async fn unreachable_server_masks_the_password() {
    let f = Files::new(&[("a.sql", "CREATE TABLE a (id int);")]);
    let e = load_catalog("postgres://postgres:s3cret@127.0.0.1:1/postgres", f.path())
        .await
        .unwrap_err();
    assert!(matches!(e, ShadowError::Connect { .. }), "{e:?}");
    let text = e.to_string();
    assert_eq!(
        text,
        "cannot connect to PostgreSQL at postgres://postgres:***@127.0.0.1:1/postgres; check that the server is running and that --admin-url or DATABASE_URL points to it"
    );
    assert!(!format!("{e:#}").contains("s3cret") && !text.contains("s3cret"));
}

#[tokio::test]
async fn bad_rename_hint_fails_before_anything_is_created() {
    let f = Files::new(&[(
        "a.sql",
        "CREATE VIEW v AS SELECT 1; -- pgtenant:renamed-from w\n",
    )]);
    let e = load_catalog("postgres://postgres@127.0.0.1:1/postgres", f.path())
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string()
            .replace(&f.path().display().to_string(), "DIR"),
        "DIR/a.sql:1: `-- pgtenant:renamed-from` must be on a line of a CREATE TABLE statement"
    );
}

#[tokio::test]
async fn rename_hints_reach_the_catalog() {
    let f = Files::new(&[(
        "a.sql",
        "CREATE TABLE members ( -- pgtenant:renamed-from team_members\n  id int,\n  \"teamId\" int -- pgtenant:renamed-from team_id\n);\n",
    )]);
    let c = load_catalog(&admin_url(), f.path()).await.unwrap();
    assert_eq!(
        c.renames,
        [
            RenameHint::Table {
                from: QualName::new("public", "team_members"),
                to: QualName::new("public", "members")
            },
            RenameHint::Column {
                table: QualName::new("public", "members"),
                from: "team_id".into(),
                to: "teamId".into()
            },
        ]
    );
    // The hints ride beside the catalog, after its fields in JSON.
    let json = serde_json::to_string(&c).unwrap();
    assert!(json.starts_with("{\"schemas\":"), "{json}");
    assert!(json.contains(",\"renames\":[{"), "{json}");
}

#[tokio::test]
async fn kept_shadow_can_be_changed_and_read_again_then_is_dropped() {
    let f = Files::new(&[("a.sql", "CREATE TABLE a (id int);")]);
    let shadow = ShadowDb::create(&admin_url()).await.unwrap();
    let name = shadow.name().to_owned();
    assert!(name.starts_with("pgtenant_shadow_"));
    shadow.load(f.path()).await.unwrap();
    let before = shadow.introspect().await.unwrap();
    shadow
        .execute(
            Path::new("plan.sql"),
            "ALTER TABLE public.a ADD COLUMN b text;",
        )
        .await
        .unwrap();
    let after = shadow.introspect().await.unwrap();
    assert_eq!(
        before.tables[&QualName::new("public", "a")].columns.len(),
        1
    );
    assert_eq!(after.tables[&QualName::new("public", "a")].columns.len(), 2);
    let e = shadow
        .execute(
            Path::new("plan.sql"),
            "ALTER TABLE public.a DROP COLUMN zz;",
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "plan.sql:1: column \"zz\" of relation \"a\" does not exist"
    );
    shadow.drop().await.unwrap();
    assert!(!database_exists(&name).await);
}

#[tokio::test]
async fn a_forgotten_shadow_is_dropped_by_its_guard() {
    let shadow = ShadowDb::create(&admin_url()).await.unwrap();
    let name = shadow.name().to_owned();
    let _open = shadow.connect().await.unwrap();
    drop(shadow);
    assert!(!database_exists(&name).await);
}

#[tokio::test]
async fn two_shadows_load_concurrently() {
    let a = Files::new(&[("a.sql", "CREATE TABLE a (id int);")]);
    let b = Files::new(&[("b.sql", "CREATE TABLE b (id int);")]);
    let url = admin_url();
    let (ca, cb) = tokio::join!(load_catalog(&url, a.path()), load_catalog(&url, b.path()));
    assert!(ca
        .unwrap()
        .catalog
        .tables
        .contains_key(&QualName::new("public", "a")));
    assert!(cb
        .unwrap()
        .catalog
        .tables
        .contains_key(&QualName::new("public", "b")));
}

#[tokio::test]
async fn sources_parse_and_a_url_is_introspected_directly() {
    let db = pgtenant_testkit::TestDb::new().await;
    db.exec("CREATE TABLE live (id int);").await;
    let c = Source::parse(&db.url).catalog(&admin_url()).await.unwrap();
    assert!(c.renames.is_empty());
    assert!(c
        .catalog
        .tables
        .contains_key(&QualName::new("public", "live")));
}

#[tokio::test]
async fn copy_from_stdin_is_refused_not_hung() {
    let f = Files::new(&[(
        "data.sql",
        "CREATE TABLE t (id int);\nCOPY t (id) FROM stdin;\n1\n\\.\n",
    )]);
    let result =
        tokio::time::timeout(std::time::Duration::from_secs(30), check_load(f.path())).await;
    let e = result.expect("loading must not hang").unwrap_err();
    assert_eq!(
        e.to_string().replace(&f.path().display().to_string(), "DIR"),
        "DIR/data.sql:2: COPY ... FROM stdin needs psql; write the rows as INSERT statements (or in a seed)"
    );
}

#[tokio::test]
async fn psql_meta_commands_are_named_and_pg_dump_restrict_lines_skipped() {
    let e = load_error(&[(
        "a.sql",
        "CREATE TABLE a (id int);
\\connect other
CREATE TABLE b (id int);
",
    )])
    .await;
    assert_eq!(
        e,
        "DIR/a.sql:2: `\\connect` is a psql meta-command, not SQL; remove it (pgtenant runs plain SQL)"
    );
    let f = Files::new(&[(
        "dump.sql",
        "\\restrict abc123\nSET client_encoding = 'UTF8';\nCREATE TABLE a (id int);\nCREATE TABLE b (x int, y intt);\n\\unrestrict abc123\n",
    )]);
    let e = check_load(f.path()).await.unwrap_err();
    assert_eq!(
        e.to_string()
            .replace(&f.path().display().to_string(), "DIR"),
        "DIR/dump.sql:4: type \"intt\" does not exist",
        "line numbers survive the blanked lines"
    );
}

#[tokio::test]
async fn enum_value_added_and_used_in_one_file_loads() {
    // In one transaction PostgreSQL refuses to use a value added by ALTER
    // TYPE ... ADD VALUE; the statement-by-statement path loads it.
    let f = Files::new(&[
        ("a.sql", "CREATE TYPE s AS ENUM ('a');\n"),
        (
            "b.sql",
            "ALTER TYPE s ADD VALUE 'b';\nCREATE TABLE t (x s DEFAULT 'b');\n",
        ),
    ]);
    let c = check_load(f.path()).await.unwrap();
    assert_eq!(c.enums[&QualName::new("public", "s")].values, ["a", "b"]);
    assert_eq!(
        c.tables[&QualName::new("public", "t")]
            .column("x")
            .unwrap()
            .default
            .as_deref(),
        Some("'b'::public.s")
    );
}

#[tokio::test]
async fn admin_role_without_createdb() {
    let role = pgtenant_testkit::TestRole::new("pgt_nocreatedb", "LOGIN NOCREATEDB").await;
    let url = {
        let opts: sqlx::postgres::PgConnectOptions = admin_url().parse().unwrap();
        sqlx::ConnectOptions::to_url_lossy(&opts.username(&role.name)).to_string()
    };
    let f = Files::new(&[("a.sql", "CREATE TABLE a (id int);")]);
    let e = load_catalog(&url, f.path()).await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with("cannot create the shadow database pgtenant_shadow_"),
        "{text}"
    );
    assert!(
        text.ends_with("; the admin role needs CREATEDB (or superuser)"),
        "{text}"
    );
}

/// The sweep after a test run looks for leftover shadow databases by the
/// testkit's copy of the prefix; it must be the engine's.
#[test]
fn the_testkit_sweeps_shadow_databases_by_their_real_prefix() {
    assert_eq!(
        pgtenant_testkit::SHADOW_PREFIX,
        pgtenant_schema::shadow::SHADOW_PREFIX
    );
}
