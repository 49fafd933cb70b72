use crate::mig_support::{connect_options, Files};
use pgtenant::seed::{self, DemoConsent, SeedError, SeedKind, SeedOptions, SeedReport};
use pgtenant_testkit::TestDb;
use std::collections::HashMap;
use std::path::Path;

const SETUP: SeedOptions = SeedOptions {
    kind: SeedKind::Setup,
    demo: DemoConsent::NotGiven,
};

async fn check(
    db: &TestDb,
    dir: &Path,
    opts: SeedOptions,
    env: &[(&str, &str)],
) -> Result<SeedReport, SeedError> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    seed::seed(
        &connect_options(&db.url),
        dir,
        opts,
        &|k| env.get(k).cloned(),
        &|_| {},
    )
    .await
}

async fn rows(db: &TestDb, sql: &str) -> Vec<String> {
    let mut c = db.conn().await;
    sqlx::query_scalar(sql).fetch_all(&mut c).await.unwrap()
}

#[tokio::test]
async fn setup_seeds_run_in_name_order_and_a_rerun_is_a_no_op() {
    let db = TestDb::new().await;
    db.exec("create table roles (name text primary key, rank int not null)")
        .await;
    let files = Files::new();
    files.write("02_more.sql", "insert into roles values ('member', (select max(rank) + 1 from roles)) on conflict do nothing;\n");
    files.write(
        "01_roles.sql",
        "insert into roles values ('owner', 1) on conflict do nothing;\n",
    );
    let r = check(&db, &files.dir, SETUP, &[]).await.unwrap();
    assert_eq!(r.applied, vec!["setup/01_roles.sql", "setup/02_more.sql"]);
    assert_eq!(
        rows(&db, "select name || rank from roles order by rank").await,
        vec!["owner1", "member2"]
    );
    let r = check(&db, &files.dir, SETUP, &[]).await.unwrap();
    assert!(r.applied.is_empty());
    assert_eq!(r.skipped.len(), 2);
    // A changed file runs again (and must be idempotent); a comment-only edit does not.
    files.write(
        "01_roles.sql",
        "-- the owner role\ninsert into roles values ('owner', 1) on conflict do nothing;\n",
    );
    assert!(check(&db, &files.dir, SETUP, &[])
        .await
        .unwrap()
        .applied
        .is_empty());
    files.write(
        "01_roles.sql",
        "insert into roles values ('owner', 1), ('admin', 0) on conflict do nothing;\n",
    );
    assert_eq!(
        check(&db, &files.dir, SETUP, &[]).await.unwrap().applied,
        vec!["setup/01_roles.sql"]
    );
    assert_eq!(
        rows(&db, "select name from roles order by rank").await,
        vec!["admin", "owner", "member"]
    );
}

#[tokio::test]
async fn demo_seeds_are_refused_without_consent() {
    let db = TestDb::new().await;
    db.exec("create table t (x text)").await;
    let files = Files::new();
    files.write("01_demo.sql", "insert into t values ('demo');\n");
    let demo = SeedOptions {
        kind: SeedKind::Demo,
        demo: DemoConsent::NotGiven,
    };
    let err = check(&db, &files.dir, demo, &[]).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "refusing to load demo seeds: they are sample data for development databases; set SEED_DEMO_OK=true or pass --yes"
    );
    assert!(rows(&db, "select x from t").await.is_empty());
    let demo = SeedOptions {
        kind: SeedKind::Demo,
        demo: DemoConsent::Given,
    };
    assert_eq!(
        check(&db, &files.dir, demo, &[]).await.unwrap().applied,
        vec!["demo/01_demo.sql"]
    );
    assert_eq!(rows(&db, "select x from t").await, vec!["demo"]);
}

#[tokio::test]
async fn placeholders_are_filled_as_data_and_an_unset_one_stops_everything() {
    let db = TestDb::new().await;
    db.exec("create table invites (email text, note text)")
        .await;
    let files = Files::new();
    files.write("01_a.sql", "insert into invites values ('first', null);\n");
    files.write(
        "02_invite.sql",
        "insert into invites values ('${DEMO_INVITE_EMAIL:-demo@example.com}', ${NOTE:-none});\n",
    );
    check(&db, &files.dir, SETUP, &[]).await.unwrap();
    assert_eq!(
        rows(
            &db,
            "select email || '/' || note from invites where note is not null"
        )
        .await,
        vec!["demo@example.com/none"]
    );
    // A value with a quote stays data; a new value re-runs the file.
    check(
        &db,
        &files.dir,
        SETUP,
        &[("DEMO_INVITE_EMAIL", "x'); drop table invites; --")],
    )
    .await
    .unwrap();
    assert_eq!(
        rows(
            &db,
            "select email from invites where note is not null order by email"
        )
        .await,
        vec!["demo@example.com", "x'); drop table invites; --"]
    );
    files.write("03_bad.sql", "select 1;\n\nselect '${SOME_SECRET_NAME}';\n");
    files.write(
        "00_first.sql",
        "insert into invites values ('must not run', null);\n",
    );
    let err = check(&db, &files.dir, SETUP, &[]).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:3: ${{SOME_SECRET_NAME}} is not set and has no default; set SOME_SECRET_NAME in the environment (or .env), or write ${{SOME_SECRET_NAME:-default}}",
            files.path("03_bad.sql")
        )
    );
    assert!(rows(
        &db,
        "select email from invites where email = 'must not run'"
    )
    .await
    .is_empty());
}

#[tokio::test]
async fn csv_files_load_into_the_table_they_name_and_reruns_keep_existing_keys() {
    let db = TestDb::new().await;
    db.exec("create schema app; create table app.plans (id int primary key, name text not null, price numeric, created timestamptz default now())").await;
    let files = Files::new();
    files.write(
        "010_app.plans.csv",
        "id,name,price\n1,Free,0\n2,\"Pro, yearly\",99.5\n",
    );
    let r = check(&db, &files.dir, SETUP, &[]).await.unwrap();
    assert_eq!(r.applied, vec!["setup/010_app.plans.csv"]);
    assert_eq!(
        rows(&db, "select name from app.plans order by id").await,
        vec!["Free", "Pro, yearly"]
    );
    files.write(
        "010_app.plans.csv",
        "id,name,price\n1,Free,0\n2,\"Pro, yearly\",99.5\n3,Team,200\n",
    );
    check(&db, &files.dir, SETUP, &[]).await.unwrap();
    assert_eq!(
        rows(&db, "select name from app.plans order by id").await,
        vec!["Free", "Pro, yearly", "Team"]
    );
    files.write("011_app.plans.csv", "id,nope\n1,x\n");
    let err = check(&db, &files.dir, SETUP, &[])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.starts_with(&files.path("011_app.plans.csv")), "{err}");
    assert!(err.contains("column \"nope\" does not exist"), "{err}");
}

#[tokio::test]
async fn failing_seed_is_rolled_back_and_names_file_and_line() {
    let db = TestDb::new().await;
    db.exec("create table t (x int primary key)").await;
    let files = Files::new();
    files.write("01_ok.sql", "insert into t values (1);\n");
    files.write(
        "02_bad.sql",
        "insert into t values (2);\n\ninsert into t values ('two');\n",
    );
    let err = check(&db, &files.dir, SETUP, &[]).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:3: invalid input syntax for type integer: \"two\"\nThis seed file was rolled back (earlier files stay applied); fix it and seed again.",
            files.path("02_bad.sql")
        )
    );
    assert_eq!(rows(&db, "select x::text from t").await, vec!["1"]);
}
