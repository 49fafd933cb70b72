//! `pgtenant import --record`: a database another tool migrated (its SQL
//! run, its journal table created by hand with the tool's real column
//! layout), imported and recorded, then `migrate` applies only the rest;
//! half-done entries in the other journal are refused, nothing written.

use crate::import::{
    drizzle_folder, prisma_folder, refused, target, write, DRIZZLE_0000, DRIZZLE_0001, PRISMA_INIT,
    PRISMA_POSTS,
};
use crate::import_tools::{
    golang_migrate_folder, rollback_one, sqlx_reversible, table_exists, DBMATE_INDEX_DOWN,
    DBMATE_INDEX_UP, DBMATE_USERS, GM_USERS_UP, SQLX_POSTS_UP, SQLX_USERS_UP,
};
use crate::support::Project;
use std::path::Path;

/// Bootstrap, then play the other tool: run `sql` (its migrations and its
/// journal) on the database.
async fn migrated_by_other_tool(p: &Project, sql: &str) {
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let mut conn = p.admin_conn().await;
    sqlx::raw_sql(sql)
        .execute(&mut conn)
        .await
        .expect("the other tool's migrations");
}

/// `import --record`; the versions recorded.
async fn import_record(p: &Project, tool: &str, dir: &Path) -> Vec<i64> {
    let d = dir.to_str().expect("utf-8");
    let run = p
        .run(&[
            "--json", "import", "--from", tool, d, "--db", &p.db, "--record",
        ])
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.json()["recorded"]
        .as_array()
        .expect("recorded")
        .iter()
        .map(|v| v.as_i64().expect("version"))
        .collect()
}

/// `migrate` applies exactly `n` migrations, then is up to date with `total`.
async fn migrate_applies(p: &Project, n: usize, total: usize) {
    let run = p.run(&["migrate", "--db", &p.db]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    if n > 0 {
        let s = if n == 1 { "" } else { "s" };
        assert!(
            run.stdout
                .contains(&format!("{}: applied {n} migration{s}", p.db)),
            "{}",
            run.stdout
        );
    }
    let run = p.run(&["migrate", "--db", &p.db]).await;
    assert_eq!(
        run.stdout.trim(),
        format!("{}: up to date ({total} migrations)", p.db)
    );
}

/// The journal rows a recorded migration got, as `migrate` writes them.
async fn journal(p: &Project) -> Vec<(i64, Option<i32>, Option<i32>, bool)> {
    let mut conn = p.admin_conn().await;
    sqlx::query_as(
        "SELECT version, steps_done, steps_total, complete FROM pgtenant.migrations ORDER BY version",
    )
    .fetch_all(&mut conn)
    .await
    .expect("journal")
}

const SQLX_TABLE: &str = "CREATE TABLE _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
    success BOOLEAN NOT NULL,
    checksum BYTEA NOT NULL,
    execution_time BIGINT NOT NULL
);\n";

#[tokio::test]
async fn import_record_sqlx_then_migrate_applies_only_the_rest() {
    let p = Project::new();
    let src = sqlx_reversible(p.dir.path());
    migrated_by_other_tool(
        &p,
        &format!(
            "{SQLX_USERS_UP}{SQLX_POSTS_UP}\n{SQLX_TABLE}INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES
             (20240105093000, 'create users', true, '\\x00', 1), (20240106100000, 'add posts', true, '\\x00', 1);"
        ),
    )
    .await;
    assert_eq!(
        import_record(&p, "sqlx", &src).await,
        [20240105093000, 20240106100000]
    );
    // The no-transaction index file is the one left to run.
    migrate_applies(&p, 1, 3).await;
    assert!(table_exists(&p, "posts_user_idx").await);
    assert_eq!(
        journal(&p).await,
        [
            (20240105093000, None, None, true),
            (20240106100000, None, None, true),
            (20240107110000, Some(1), Some(1), true)
        ]
    );
}

#[tokio::test]
async fn import_record_refuses_a_failed_or_unknown_sqlx_entry_and_writes_nothing() {
    let p = Project::new();
    let src = sqlx_reversible(p.dir.path());
    let s = src.to_str().expect("utf-8").to_owned();
    let args = [
        "--from",
        "sqlx",
        s.as_str(),
        "--db",
        p.db.as_str(),
        "--record",
    ];
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        refused(&p, &args).await,
        format!(
            "--record: database {} has no table _sqlx_migrations, so sqlx has applied nothing there; import without --record, or choose with --db the database it migrated",
            p.db
        )
    );
    let mut conn = p.admin_conn().await;
    sqlx::raw_sql(&format!(
        "{SQLX_TABLE}INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES
         (20240105093000, 'create users', true, '\\x00', 1), (20240106100000, 'add posts', false, '\\x00', 1);"
    ))
    .execute(&mut conn)
    .await
    .expect("journal");
    assert_eq!(
        refused(&p, &args).await,
        "--record: _sqlx_migrations records version 20240106100000 as failed (success = false); fix the database, then remove that row (or run `sqlx migrate run` until it succeeds) and import again"
    );
    sqlx::raw_sql(
        "UPDATE _sqlx_migrations SET success = true;
         INSERT INTO _sqlx_migrations VALUES (20240201000000, 'elsewhere', now(), true, '\\x00', 1);",
    )
    .execute(&mut conn)
    .await
    .expect("journal");
    assert_eq!(
        refused(&p, &args).await,
        format!(
            "--record: _sqlx_migrations records version 20240201000000, which no migration in {s} has; import the folder this database was migrated from"
        )
    );
    let journaled: bool =
        sqlx::query_scalar("SELECT to_regclass('pgtenant.migrations') IS NOT NULL")
            .fetch_one(&mut conn)
            .await
            .expect("journal");
    assert!(!journaled, "a refused import journaled something");
}

#[tokio::test]
async fn import_record_golang_migrate_up_to_its_version_and_refuses_dirty() {
    let p = Project::new();
    let src = golang_migrate_folder(p.dir.path());
    let s = src.to_str().expect("utf-8").to_owned();
    migrated_by_other_tool(
        &p,
        &format!(
            "{GM_USERS_UP}CREATE TABLE IF NOT EXISTS schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
             INSERT INTO schema_migrations (version, dirty) VALUES (1, true);"
        ),
    )
    .await;
    assert_eq!(
        refused(&p, &["--from", "golang-migrate", &s, "--db", &p.db, "--record"]).await,
        "--record: schema_migrations is dirty at version 1: golang-migrate stopped inside it; fix the database, then `migrate force 1` (or the version before it) and import again"
    );
    let mut conn = p.admin_conn().await;
    sqlx::raw_sql("UPDATE schema_migrations SET dirty = false")
        .execute(&mut conn)
        .await
        .expect("force");
    assert_eq!(
        import_record(&p, "golang-migrate", &src).await,
        [19700101000001]
    );
    migrate_applies(&p, 1, 2).await;
}

#[tokio::test]
async fn import_record_dbmate_including_a_no_transaction_file_then_rolls_back() {
    let p = Project::new();
    let src = p.dir.path().join("db").join("migrations");
    write(&src, "20151129054053_create_users.sql", DBMATE_USERS);
    write(
        &src,
        "20151129060000_users_email_index.sql",
        &format!("{DBMATE_INDEX_UP}{DBMATE_INDEX_DOWN}"),
    );
    migrated_by_other_tool(
        &p,
        "create table users (id integer, name varchar(255), email varchar(255) not null);
         create index users_email_idx on users (email);
         create table if not exists public.schema_migrations (version varchar(128) primary key);
         insert into public.schema_migrations (version) values ('20151129054053'), ('20151129060000');",
    )
    .await;
    assert_eq!(
        import_record(&p, "dbmate", &src).await,
        [20151129054053, 20151129060000]
    );
    migrate_applies(&p, 0, 2).await;
    assert_eq!(
        journal(&p).await,
        [
            (20151129054053, None, None, true),
            (20151129060000, Some(1), Some(1), true)
        ]
    );
    rollback_one(&p).await;
    assert!(!table_exists(&p, "users_email_idx").await);
}

#[tokio::test]
async fn import_record_refinery_history() {
    let p = Project::new();
    let src = p.dir.path().join("refinery");
    write(
        &src,
        "V1__initial.sql",
        "CREATE TABLE persons (id int PRIMARY KEY);\n",
    );
    write(
        &src,
        "V2__cars.sql",
        "CREATE TABLE cars (id int PRIMARY KEY);\n",
    );
    write(
        &src,
        "V3__brand.sql",
        "ALTER TABLE cars ADD COLUMN brand text;\n",
    );
    migrated_by_other_tool(
        &p,
        "CREATE TABLE persons (id int PRIMARY KEY); CREATE TABLE cars (id int PRIMARY KEY);
         CREATE TABLE IF NOT EXISTS refinery_schema_history (version INT4 PRIMARY KEY, name VARCHAR(255), applied_on VARCHAR(255), checksum VARCHAR(255));
         INSERT INTO refinery_schema_history VALUES (1, 'initial', '2024-01-01T00:00:00Z', '123'), (2, 'cars', '2024-01-02T00:00:00Z', '456');",
    )
    .await;
    assert_eq!(
        import_record(&p, "refinery", &src).await,
        [19700101000001, 19700101000002]
    );
    migrate_applies(&p, 1, 3).await;
}

#[tokio::test]
async fn import_record_drizzle_by_its_newest_created_at() {
    let p = Project::new();
    let src = drizzle_folder(p.dir.path());
    migrated_by_other_tool(
        &p,
        &format!(
            "{DRIZZLE_0000}{DRIZZLE_0001}
             CREATE SCHEMA IF NOT EXISTS \"drizzle\";
             CREATE TABLE IF NOT EXISTS \"drizzle\".\"__drizzle_migrations\" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint);
             INSERT INTO \"drizzle\".\"__drizzle_migrations\" (hash, created_at) VALUES ('a1', 1717000000000), ('b2', 1717000000400);"
        )
        .replace("--> statement-breakpoint", ""),
    )
    .await;
    assert_eq!(
        import_record(&p, "drizzle", &src).await,
        [20240529162640, 20240529162641]
    );
    migrate_applies(&p, 1, 3).await;
    assert!(table_exists(&p, "comments").await);
}

const PRISMA_TABLE: &str = r#"CREATE TABLE "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
);
"#;

#[tokio::test]
async fn import_record_prisma_finished_not_rolled_back_and_refuses_failed() {
    let p = Project::new();
    let src = prisma_folder(p.dir.path());
    let s = src.to_str().expect("utf-8").to_owned();
    migrated_by_other_tool(
        &p,
        &format!(
            "{PRISMA_INIT}{PRISMA_POSTS}{PRISMA_TABLE}
             INSERT INTO \"_prisma_migrations\" (id, checksum, finished_at, migration_name, rolled_back_at, applied_steps_count) VALUES
             ('1', 'c1', now(), '20240301090000_init', NULL, 1),
             ('2', 'c2', now(), '20240302101500_add_posts', NULL, 1),
             ('3', 'c3', NULL, '20240310120000_post_status', now(), 0),
             ('4', 'c3', NULL, '20240310120000_post_status', NULL, 0);"
        ),
    )
    .await;
    assert_eq!(
        refused(&p, &["--from", "prisma", &s, "--db", &p.db, "--record"]).await,
        "--record: _prisma_migrations records 20240310120000_post_status as failed (started, never finished); resolve it with `prisma migrate resolve --applied 20240310120000_post_status` or `--rolled-back 20240310120000_post_status`, then import again"
    );
    // `prisma migrate resolve --rolled-back`: the failed attempt is rolled back.
    let mut conn = p.admin_conn().await;
    sqlx::raw_sql("UPDATE \"_prisma_migrations\" SET rolled_back_at = now() WHERE id = '4'")
        .execute(&mut conn)
        .await
        .expect("resolve");
    assert_eq!(
        import_record(&p, "prisma", &src).await,
        [20240301090000, 20240302101500]
    );
    assert_eq!(crate::import::listing(&target(&p)).len(), 3);
    migrate_applies(&p, 1, 3).await;
}
