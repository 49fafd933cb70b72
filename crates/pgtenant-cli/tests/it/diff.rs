//! `pgtenant diff`: folders, files and URLs; SQL and JSON output; bad input.

use crate::support::pgtenant;
use pgtenant_testkit::{admin_url, TestDb};
use std::path::Path;

fn write(dir: &Path, file: &str, sql: &str) {
    let path = dir.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, sql).unwrap();
}

#[tokio::test]
async fn prints_the_plan_with_hazard_comments() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "old/01_users.sql",
        "CREATE TABLE users (id int PRIMARY KEY, email text);\n",
    );
    write(
        dir.path(),
        "new/01_users.sql",
        "CREATE TABLE users (id int PRIMARY KEY);\n",
    );
    let url = admin_url();
    let run = pgtenant(
        dir.path(),
        &["diff", "--from", "old", "--to", "new", "--admin-url", &url],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "-- hazard: DELETES_DATA: dropping column public.users.email\n\
         ALTER TABLE public.users DROP COLUMN email;\n"
    );
}

#[tokio::test]
async fn json_lists_steps_with_hazards() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "old.sql", "CREATE TABLE t (id int);\n");
    write(
        dir.path(),
        "new.sql",
        "CREATE TABLE t (id bigint);\nALTER TABLE t FORCE ROW LEVEL SECURITY;\n",
    );
    let url = admin_url();
    let run = pgtenant(
        dir.path(),
        &["diff", "--from", "old.sql", "--to", "new.sql", "--json"],
        &[("DATABASE_URL", &url)],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    let steps = doc["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(
        steps[0]["sql"],
        "ALTER TABLE public.t ALTER COLUMN id TYPE bigint USING id::bigint"
    );
    let kinds: Vec<&str> = steps[0]["hazards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["REWRITES_TABLE", "ACCESS_EXCLUSIVE_LOCK"]);
    assert_eq!(
        steps[1]["sql"],
        "ALTER TABLE public.t FORCE ROW LEVEL SECURITY"
    );
    assert_eq!(steps[1]["hazards"][0]["kind"], "AUTHZ_CHANGE");
}

#[tokio::test]
async fn identical_schemas_print_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a/s.sql",
        "CREATE TYPE s AS ENUM ('x'); CREATE TABLE t (id int, s s);\n",
    );
    write(
        dir.path(),
        "b/s.sql",
        "CREATE TYPE s AS ENUM ('x'); CREATE TABLE t (id int, s s);\n",
    );
    let url = admin_url();
    let run = pgtenant(
        dir.path(),
        &["diff", "--from", "a", "--to", "b", "--admin-url", &url],
        &[],
    )
    .await;
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    let run = pgtenant(
        dir.path(),
        &[
            "diff",
            "--from",
            "a",
            "--to",
            "b",
            "--admin-url",
            &url,
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 0);
    assert_eq!(run.json()["steps"], serde_json::json!([]));
}

#[tokio::test]
async fn a_live_database_can_be_either_side() {
    let db = TestDb::new().await;
    db.exec("CREATE TABLE t (id int);").await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "want/t.sql",
        "CREATE TABLE t (id int, note text);\n",
    );
    let url = admin_url();
    let run = pgtenant(
        dir.path(),
        &[
            "diff",
            "--from",
            &db.url,
            "--to",
            "want",
            "--admin-url",
            &url,
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "ALTER TABLE public.t ADD COLUMN note text;\n");
    // URL to URL needs no admin URL at all.
    let run = pgtenant(
        dir.path(),
        &["diff", "--from", &db.url, "--to", &db.url],
        &[],
    )
    .await;
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
}

#[tokio::test]
async fn a_failing_statement_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "old/a.sql", "CREATE TABLE t (id int);\n");
    write(
        dir.path(),
        "new/a.sql",
        "CREATE TABLE t (id int);\n\nCREATE TABLE u (id int REFERENCES missing);\n",
    );
    let url = admin_url();
    let run = pgtenant(
        dir.path(),
        &["diff", "--from", "old", "--to", "new", "--admin-url", &url],
        &[],
    )
    .await;
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.starts_with("error: --to new: ")
            && run
                .stderr
                .contains("a.sql:3: relation \"missing\" does not exist"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn a_missing_source_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "empty/readme.txt", "no sql here");
    let url = admin_url();
    let run = pgtenant(
        dir.path(),
        &[
            "diff",
            "--from",
            "nowhere",
            "--to",
            "empty",
            "--admin-url",
            &url,
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: --from: nowhere does not exist; give a folder of .sql files, a .sql file or a postgres:// URL\n"
    );
    let run = pgtenant(
        dir.path(),
        &[
            "diff",
            "--from",
            "empty",
            "--to",
            "empty",
            "--admin-url",
            &url,
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: --from: empty contains no .sql files; put the schema in files ending in .sql\n"
    );
}

#[tokio::test]
async fn sql_sources_need_an_admin_url() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.sql", "CREATE TABLE t (id int);\n");
    let run = pgtenant(
        dir.path(),
        &["diff", "--from", "a.sql", "--to", "a.sql"],
        &[],
    )
    .await;
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: no admin URL: pass --admin-url, set connection.admin_url in pgtenant.toml, or set DATABASE_URL\n"
    );
}

#[tokio::test]
async fn a_plan_that_adds_an_enum_value_loads_and_applies_as_a_migration() {
    let db = TestDb::new().await;
    let old = "CREATE TYPE mood AS ENUM ('ok');\nCREATE TABLE t (m mood);\n";
    db.exec(old).await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "old.sql", old);
    write(
        dir.path(),
        "new.sql",
        "CREATE TYPE mood AS ENUM ('ok', 'great');\nCREATE TABLE t (m mood DEFAULT 'great');\n",
    );
    let url = admin_url();
    let run = pgtenant(
        dir.path(),
        &[
            "diff",
            "--from",
            "old.sql",
            "--to",
            "new.sql",
            "--admin-url",
            &url,
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("-- pgtenant:commit"), "{}", run.stdout);
    // Saved unchanged as a migration, the runner loads and applies it.
    let migrations = dir.path().join("migrations");
    write(&migrations, "20240101000001_great.sql", &run.stdout);
    let files = pgtenant::migrate::load_dir(&migrations).expect("diff output loads");
    assert!(files[0].no_transaction);
    let opts: sqlx::postgres::PgConnectOptions = db.url.parse().unwrap();
    pgtenant::migrate::migrate(
        &opts,
        &migrations,
        &pgtenant::migrate::MigrateOptions::default(),
        &pgtenant::migrate::Quiet,
    )
    .await
    .expect("the migration applies");
    let default: Option<String> = sqlx::query_scalar(
        "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 't'::regclass",
    )
    .fetch_optional(&mut db.conn().await)
    .await
    .unwrap();
    assert_eq!(default.as_deref(), Some("'great'::mood"));
}

/// A migrations folder whose down section drops the table.
fn migrations_folder(dir: &Path) {
    write(
        dir,
        "migrations/20240101000001_t.sql",
        "CREATE TABLE t (id int);\n-- pgtenant:down\nDROP TABLE t;\n",
    );
    write(
        dir,
        "migrations/20240101000002_u.sql",
        "ALTER TABLE t ADD COLUMN note text;\n-- pgtenant:down\nALTER TABLE t DROP COLUMN note;\n",
    );
}

#[tokio::test]
async fn a_migrations_folder_is_read_as_migrations_without_down_sections() {
    let dir = tempfile::tempdir().unwrap();
    migrations_folder(dir.path());
    write(
        dir.path(),
        "want.sql",
        "CREATE TABLE t (id int, note text, n int);\n",
    );
    let url = admin_url();
    let run = pgtenant(
        dir.path(),
        &[
            "diff",
            "--from",
            "migrations",
            "--to",
            "want.sql",
            "--admin-url",
            &url,
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "ALTER TABLE public.t ADD COLUMN n integer;\n");
}
