//! `migrate --baseline VERSION`: a database made by hand is adopted by
//! journaling the migrations it already holds, after the shadow check.

use crate::support::Project;

const PLANS: &str = "create table plans (id int primary key, name text not null);\n-- pgtenant:down\ndrop table plans;\n";
const NOTES: &str = "create table notes (id int primary key, body text);\n";
const TAGS: &str = "create table tags (id int primary key);\n";

/// Three migrations on disk; the database bootstrapped and given `sql` by
/// hand.
async fn made_by_hand(sql: &str) -> Project {
    let p = Project::new();
    let dir = p.dir.path().join("migrations").join(&p.db);
    std::fs::create_dir_all(&dir).expect("mkdir");
    for (name, text) in [
        ("20240101000001_plans.sql", PLANS),
        ("20240101000002_notes.sql", NOTES),
        ("20240101000003_tags.sql", TAGS),
    ] {
        std::fs::write(dir.join(name), text).expect("write");
    }
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let mut conn = p.admin_conn().await;
    sqlx::raw_sql(sql)
        .execute(&mut conn)
        .await
        .expect("the hand-made schema");
    p
}

const BY_HAND: &str = "create table plans (id int primary key, name text not null);
create table notes (id int primary key, body text);
insert into plans values (1, 'free');\n";

/// The journal: (version, name, checksum, complete).
async fn journal(p: &Project) -> Vec<(i64, String, String, bool)> {
    let mut conn = p.admin_conn().await;
    sqlx::query_as(
        "SELECT version, name, checksum, complete FROM pgtenant.migrations ORDER BY version",
    )
    .fetch_all(&mut conn)
    .await
    .expect("journal")
}

async fn migrate_json(p: &Project, args: &[&str]) -> crate::support::Run {
    let mut all = vec!["--json", "migrate", "--db", p.db.as_str()];
    all.extend_from_slice(args);
    p.run(&all).await
}

#[tokio::test]
async fn migrate_baseline_records_the_first_two_then_migrate_applies_only_the_third() {
    let p = made_by_hand(BY_HAND).await;
    let run = p
        .run(&["migrate", "--db", &p.db, "--baseline", "20240101000002"])
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with(&format!(
            "{}: baseline at 20240101000002: 2 migration(s) recorded as applied without running them",
            p.db
        )),
        "{}",
        run.stdout
    );
    let recorded = journal(&p).await;
    assert_eq!(
        recorded.iter().map(|r| r.0).collect::<Vec<_>>(),
        [20240101000001, 20240101000002]
    );
    // The rows migrate itself writes: same names and checksums.
    let files =
        pgtenant::migrate::load_dir(&p.dir.path().join("migrations").join(&p.db)).expect("files");
    for (row, file) in recorded.iter().zip(&files) {
        assert_eq!((&row.1, &row.2, row.3), (&file.name, &file.checksum, true));
    }
    let run = p.run(&["migrate", "--db", &p.db]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains(&format!("{}: applied 1 migration (3 on disk)", p.db)),
        "{}",
        run.stdout
    );
    // Nothing ran twice: the hand-made row is still there, the database is
    // clean for check.
    let mut conn = p.admin_conn().await;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM plans")
        .fetch_one(&mut conn)
        .await
        .expect("plans");
    assert_eq!(n, 1);
    let run = p.run(&["status", "--db", &p.db]).await;
    assert!(
        run.stdout.contains("live: matches the applied migrations"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn migrate_baseline_refuses_a_differing_database_naming_the_difference_until_forced() {
    let p = made_by_hand(&format!(
        "{BY_HAND}alter table notes add column extra text;\n"
    ))
    .await;
    let run = migrate_json(&p, &["--baseline", "20240101000002"]).await;
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.json()["error"],
        format!(
            "--baseline 20240101000002: the live schema of database {} differs from what its migrations up to 20240101000002 produce (1 difference(s)); these statements would make the migrations' result match the live database:\n  ALTER TABLE public.notes ADD COLUMN extra text;\nnothing was recorded; make the database (or the migrations) match, or pass --force to record them anyway",
            p.db
        )
    );
    let mut conn = p.admin_conn().await;
    let journal_exists: bool =
        sqlx::query_scalar("SELECT to_regclass('pgtenant.migrations') IS NOT NULL")
            .fetch_one(&mut conn)
            .await
            .expect("journal");
    assert!(!journal_exists, "a refused baseline created the journal");

    let run = migrate_json(&p, &["--baseline", "20240101000002", "--force"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    assert_eq!(
        doc["recorded"],
        serde_json::json!([20240101000001_i64, 20240101000002_i64])
    );
    assert_eq!(doc["forced_differences"], 1);
    assert_eq!(journal(&p).await.len(), 2);
}

#[tokio::test]
async fn migrate_baseline_refuses_an_unknown_or_applied_version() {
    let p = made_by_hand(BY_HAND).await;
    let run = migrate_json(&p, &["--baseline", "20240101000009"]).await;
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.json()["error"],
        format!(
            "--baseline 20240101000009: no migration file of database {db} has that version; pass the version of a file in {dir} (see `pgtenant status`)",
            db = p.db,
            dir = p.dir.path().join("migrations").join(&p.db).display()
        )
    );
    // (notes exists by hand too: only --force records plans alone)
    let run = migrate_json(&p, &["--baseline", "20240101000001", "--force"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let run = migrate_json(&p, &["--baseline", "20240101000001"]).await;
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.json()["error"],
        format!(
            "--baseline 20240101000001: migration 20240101000001 (plans) is already applied in database {}; nothing to baseline (see `pgtenant status`)",
            p.db
        )
    );
    let run = p.run(&["migrate", "--force"]).await;
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("--baseline"), "{}", run.stderr);
}
