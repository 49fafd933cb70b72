//! `pgtenant inspect SRC`: folder, file or URL; summary or --json catalog.

use crate::support::pgtenant;
use pgtenant_testkit::{admin_url, TestDb};

fn schema_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write sql");
    }
    dir
}

#[tokio::test]
async fn folder_as_json_is_the_catalog() {
    let dir = schema_dir(&[
        ("01_types.sql", "CREATE TYPE mood AS ENUM ('ok', 'meh');\n"),
        ("02_tables.sql", "CREATE TABLE people (id int PRIMARY KEY, m mood NOT NULL);\nALTER TABLE people ENABLE ROW LEVEL SECURITY;\nCREATE RULE people_keep AS ON DELETE TO people DO INSTEAD NOTHING;\n"),
    ]);
    let url = admin_url();
    let run = pgtenant(
        dir.path(),
        &["inspect", ".", "--json", "--admin-url", &url],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let json = run.json();
    let tables = json["tables"].as_array().expect("tables is a list");
    assert_eq!(tables.len(), 1);
    assert_eq!(tables[0]["name"]["name"], "people");
    assert_eq!(tables[0]["rls_enabled"], true);
    assert_eq!(tables[0]["columns"][1]["data_type"], "public.mood");
    let rule = &tables[0]["rules"]["people_keep"];
    assert_eq!(rule["name"], "people_keep");
    assert_eq!(rule["enabled"], "O");
    assert_eq!(
        rule["definition"],
        "CREATE RULE people_keep AS\n    ON DELETE TO public.people DO INSTEAD NOTHING;"
    );
    assert_eq!(json["enums"][0]["values"], serde_json::json!(["ok", "meh"]));
}

#[tokio::test]
async fn file_as_text_summary() {
    let dir = schema_dir(&[(
        "s.sql",
        "CREATE TABLE a (id int PRIMARY KEY);\nCREATE VIEW v AS SELECT id FROM a;\n",
    )]);
    let url = admin_url();
    let run = pgtenant(dir.path(), &["inspect", "s.sql"], &[("DATABASE_URL", &url)]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.starts_with("s.sql\n"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("  views               1      public.v\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("  public.a  1        1            0        0         0         off\n"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn live_database_by_url_needs_no_admin_url() {
    let db = TestDb::new().await;
    db.exec("CREATE TABLE live (id int);").await;
    let dir = tempfile::tempdir().unwrap();
    let run = pgtenant(dir.path(), &["inspect", &db.url, "--json"], &[]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["tables"][0]["name"]["name"], "live");
}

#[tokio::test]
async fn missing_source_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let url = admin_url();
    let run = pgtenant(dir.path(), &["inspect", "nope", "--admin-url", &url], &[]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr,
        "error: inspecting nope: nope does not exist; give a folder of .sql files, a .sql file or a postgres:// URL\n"
    );
}

#[tokio::test]
async fn sql_error_names_file_and_line() {
    let dir = schema_dir(&[(
        "s.sql",
        "CREATE TABLE a (id int);\nCREATE TABLE b (id int REFERENCES nope (id));\n",
    )]);
    let url = admin_url();
    let run = pgtenant(dir.path(), &["inspect", "s.sql", "--admin-url", &url], &[]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr,
        "error: inspecting s.sql: s.sql:2: relation \"nope\" does not exist\n"
    );
}

#[tokio::test]
async fn unreachable_server_masks_the_password() {
    let dir = schema_dir(&[("s.sql", "CREATE TABLE a (id int);\n")]);
    let run = pgtenant(
        dir.path(),
        &[
            "inspect",
            "s.sql",
            "--admin-url",
            "postgres://postgres:hunter2@127.0.0.1:1/postgres",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.starts_with(
            "error: inspecting s.sql: cannot connect to PostgreSQL at postgres://postgres:***@127.0.0.1:1/postgres; check that the server is running and that --admin-url or DATABASE_URL points to it: "
        ),
        "{}",
        run.stderr
    );
    run.assert_never_shows("hunter2");
}

#[tokio::test]
async fn a_migrations_folder_is_read_without_its_down_sections() {
    let dir = schema_dir(&[
        (
            "20240101000001_t.sql",
            "CREATE TABLE t (id int);\n-- pgtenant:down\nDROP TABLE t;\n",
        ),
        (
            "20240101000002_note.sql",
            "ALTER TABLE t ADD COLUMN note text;\n-- pgtenant:down\nALTER TABLE t DROP COLUMN note;\n",
        ),
    ]);
    let url = admin_url();
    let run = pgtenant(
        dir.path(),
        &["inspect", ".", "--json", "--admin-url", &url],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let json = run.json();
    let tables = json["tables"].as_array().expect("tables is a list");
    assert_eq!(tables.len(), 1, "{json}");
    assert_eq!(tables[0]["name"]["name"], "t");
    assert_eq!(tables[0]["columns"].as_array().map(Vec::len), Some(2));
}
