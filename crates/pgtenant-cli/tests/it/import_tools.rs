//! `pgtenant import --from sqlx|refinery|golang-migrate|dbmate`: folders
//! in each tool's own layout, imported (up text byte for byte, down files
//! and sections after `-- pgtenant:down`), migrated and rolled back on a
//! real database; every refusal's message, with nothing written.

use crate::import::{bootstrap_and_migrate, columns, listing, refused, target, write};
use crate::support::Project;
use std::path::{Path, PathBuf};

/// Import `dir` from `tool`; the files written, by name.
async fn import_ok(p: &Project, tool: &str, dir: &Path) -> Vec<String> {
    let d = dir.to_str().expect("utf-8");
    let run = p.run(&["import", "--from", tool, d, "--db", &p.db]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with("import: "),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    listing(&target(p))
}

fn imported(p: &Project, name: &str) -> String {
    std::fs::read_to_string(target(p).join(name)).expect("imported file")
}

pub(crate) async fn rollback_one(p: &Project) {
    let run = p.run(&["rollback", "--db", &p.db, "--steps", "1"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

pub(crate) async fn table_exists(p: &Project, name: &str) -> bool {
    let mut conn = p.admin_conn().await;
    sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(format!("public.{name}"))
        .fetch_one(&mut conn)
        .await
        .expect("to_regclass")
}

pub(crate) const SQLX_USERS_UP: &str = "-- Add migration script here\nCREATE TABLE users (\n    id bigserial PRIMARY KEY,\n    email text NOT NULL UNIQUE\n);\n";
pub(crate) const SQLX_USERS_DOWN: &str = "-- Add down migration script here\nDROP TABLE users;\n";
pub(crate) const SQLX_POSTS_UP: &str =
    "CREATE TABLE posts (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), title text NOT NULL);";
pub(crate) const SQLX_POSTS_DOWN: &str = "DROP TABLE posts;\n";
pub(crate) const SQLX_INDEX_UP: &str =
    "-- no-transaction\nCREATE INDEX CONCURRENTLY posts_user_idx ON posts (user_id);\n";
pub(crate) const SQLX_INDEX_DOWN: &str =
    "-- no-transaction\nDROP INDEX CONCURRENTLY posts_user_idx;\n";

/// A folder as `sqlx migrate add -r` leaves it.
pub(crate) fn sqlx_reversible(root: &Path) -> PathBuf {
    let dir = root.join("migrations-sqlx");
    write(&dir, "20240105093000_create_users.up.sql", SQLX_USERS_UP);
    write(
        &dir,
        "20240105093000_create_users.down.sql",
        SQLX_USERS_DOWN,
    );
    write(&dir, "20240106100000_add_posts.up.sql", SQLX_POSTS_UP);
    write(&dir, "20240106100000_add_posts.down.sql", SQLX_POSTS_DOWN);
    write(
        &dir,
        "20240107110000_posts_user_index.up.sql",
        SQLX_INDEX_UP,
    );
    write(
        &dir,
        "20240107110000_posts_user_index.down.sql",
        SQLX_INDEX_DOWN,
    );
    dir
}

#[tokio::test]
async fn import_sqlx_reversible_becomes_down_sections_then_migrates_and_rolls_back() {
    let p = Project::new();
    let src = sqlx_reversible(p.dir.path());
    assert_eq!(
        import_ok(&p, "sqlx", &src).await,
        [
            "20240105093000_create_users.sql",
            "20240106100000_add_posts.sql",
            "20240107110000_posts_user_index.sql"
        ]
    );
    assert_eq!(
        imported(&p, "20240105093000_create_users.sql"),
        format!("{SQLX_USERS_UP}-- pgtenant:down\n{SQLX_USERS_DOWN}")
    );
    // No newline at the end of the up file: one is added before the directive.
    assert_eq!(
        imported(&p, "20240106100000_add_posts.sql"),
        format!("{SQLX_POSTS_UP}\n-- pgtenant:down\n{SQLX_POSTS_DOWN}")
    );
    assert_eq!(
        imported(&p, "20240107110000_posts_user_index.sql"),
        format!("-- pgtenant:no-transaction\n{SQLX_INDEX_UP}-- pgtenant:down\n{SQLX_INDEX_DOWN}")
    );
    let out = bootstrap_and_migrate(&p).await;
    assert!(
        out.contains(&format!("{}: applied 3 migrations", p.db)),
        "{out}"
    );
    assert_eq!(
        columns(&p, "posts").await,
        ["id int8", "user_id int8", "title text"]
    );
    assert!(table_exists(&p, "posts_user_idx").await);
    rollback_one(&p).await;
    assert!(!table_exists(&p, "posts_user_idx").await);
    rollback_one(&p).await;
    assert!(!table_exists(&p, "posts").await);
    assert!(table_exists(&p, "users").await);
}

#[tokio::test]
async fn import_sqlx_sequential_simple_files_and_refusals() {
    let p = Project::new();
    let root = p.dir.path();
    let dir = root.join("migrations");
    let src = root.join("sqlx-seq");
    write(&src, "0001_init.sql", "CREATE TABLE a (id int);\n");
    write(&src, "0002_more.sql", "CREATE TABLE b (id int);\n");
    write(&src, "README.md", "not a migration\n");
    let s = src.to_str().expect("utf-8").to_owned();
    let args = ["--from", "sqlx", s.as_str(), "--db", p.db.as_str()];

    // A reversible file among simple ones.
    write(&src, "0003_c.up.sql", "CREATE TABLE c (id int);\n");
    assert_eq!(
        refused(&p, &args).await,
        format!(
            "{} is a simple migration and {} a reversible one; sqlx keeps one kind in a folder: make them all simple or all reversible (.up.sql and .down.sql)",
            src.join("0001_init.sql").display(),
            src.join("0003_c.up.sql").display()
        )
    );
    std::fs::remove_file(src.join("0003_c.up.sql")).expect("rm");

    // A gap in the sequence.
    write(&src, "0004_d.sql", "CREATE TABLE d (id int);\n");
    assert_eq!(
        refused(&p, &args).await,
        format!(
            "{} is followed by {}: the version 3 is missing; restore the lost migration (the database may have run it), or renumber the files after it",
            src.join("0002_more.sql").display(),
            src.join("0004_d.sql").display()
        )
    );
    std::fs::remove_file(src.join("0004_d.sql")).expect("rm");

    // One version twice.
    write(&src, "2_again.sql", "CREATE TABLE e (id int);\n");
    assert_eq!(
        refused(&p, &args).await,
        format!(
            "{} and {} both have the version 2; a version is one migration: renumber one of them",
            src.join("0002_more.sql").display(),
            src.join("2_again.sql").display()
        )
    );
    std::fs::remove_file(src.join("2_again.sql")).expect("rm");

    // A name sqlx does not read.
    write(&src, "init.sql", "select 1;\n");
    assert_eq!(
        refused(&p, &args).await,
        format!(
            "{}: not named as sqlx names migrations: <version>_<description>.sql, or .up.sql and .down.sql for reversible ones; rename it or move it away",
            src.join("init.sql").display()
        )
    );
    std::fs::remove_file(src.join("init.sql")).expect("rm");

    // A file that is not text.
    std::fs::write(src.join("0003_bin.sql"), b"\xff\xfe\x00").expect("write");
    assert_eq!(
        refused(&p, &args).await,
        format!("{} is not UTF-8 text", src.join("0003_bin.sql").display())
    );
    std::fs::remove_file(src.join("0003_bin.sql")).expect("rm");

    // A reversible folder: a down file without its up file.
    let rev = sqlx_reversible(root);
    std::fs::remove_file(rev.join("20240106100000_add_posts.up.sql")).expect("rm");
    let r = rev.to_str().expect("utf-8");
    assert_eq!(
        refused(&p, &["--from", "sqlx", r, "--db", &p.db]).await,
        format!(
            "{}: a down migration without its up migration (20240106100000_add_posts.up.sql); add the up file or remove this one",
            rev.join("20240106100000_add_posts.down.sql").display()
        )
    );

    assert_eq!(
        import_ok(&p, "sqlx", &src).await,
        ["19700101000001_init.sql", "19700101000002_more.sql"]
    );
    assert_eq!(
        std::fs::read_to_string(dir.join(&p.db).join("19700101000001_init.sql")).expect("read"),
        "CREATE TABLE a (id int);\n"
    );
    let out = bootstrap_and_migrate(&p).await;
    assert!(
        out.contains(&format!("{}: applied 2 migrations", p.db)),
        "{out}"
    );
}

#[tokio::test]
async fn import_refinery_versioned_and_unversioned_in_subfolders() {
    let p = Project::new();
    let root = p.dir.path();
    let src = root.join("refinery");
    write(
        &src,
        "V1__initial.sql",
        "CREATE TABLE persons (id int PRIMARY KEY, name varchar(255));\n",
    );
    write(
        &src,
        "V2__add_cars.sql",
        "CREATE TABLE cars (id int PRIMARY KEY, owner int REFERENCES persons (id));\n",
    );
    write(
        &src,
        "2024/V3__add_brand.sql",
        "ALTER TABLE cars ADD COLUMN brand text;\n",
    );
    write(
        &src,
        "U4__backfill.sql",
        "UPDATE cars SET brand = 'unknown' WHERE brand IS NULL;\n",
    );
    let s = src.to_str().expect("utf-8").to_owned();
    let args = ["--from", "refinery", s.as_str(), "--db", p.db.as_str()];

    write(
        &src,
        "V5__code.rs",
        "pub fn migration() -> String { String::new() }\n",
    );
    assert_eq!(
        refused(&p, &args).await,
        format!(
            "{}: a Rust migration; pgtenant imports SQL migrations only: write its SQL into a V<n>__<name>.sql file with the same version instead",
            src.join("V5__code.rs").display()
        )
    );
    std::fs::remove_file(src.join("V5__code.rs")).expect("rm");
    write(&src, "V5_one_underscore.sql", "select 1;\n");
    assert_eq!(
        refused(&p, &args).await,
        format!(
            "{}: not named as refinery names migrations: V<n>__<name>.sql (or U<n>__<name>.sql); rename it or move it away",
            src.join("V5_one_underscore.sql").display()
        )
    );
    std::fs::remove_file(src.join("V5_one_underscore.sql")).expect("rm");
    write(&src, "sub/V2__twice.sql", "select 1;\n");
    assert_eq!(
        refused(&p, &args).await,
        format!(
            "{} and {} both have the version 2; a version is one migration: renumber one of them",
            src.join("V2__add_cars.sql").display(),
            src.join("sub/V2__twice.sql").display()
        )
    );
    std::fs::remove_dir_all(src.join("sub")).expect("rm");

    assert_eq!(
        import_ok(&p, "refinery", &src).await,
        [
            "19700101000001_initial.sql",
            "19700101000002_add_cars.sql",
            "19700101000003_add_brand.sql",
            "19700101000004_backfill.sql"
        ]
    );
    let out = bootstrap_and_migrate(&p).await;
    assert!(
        out.contains(&format!("{}: applied 4 migrations", p.db)),
        "{out}"
    );
    assert_eq!(
        columns(&p, "cars").await,
        ["id int4", "owner int4", "brand text"]
    );
}

pub(crate) const GM_USERS_UP: &str = "CREATE TABLE IF NOT EXISTS users(\n   user_id serial PRIMARY KEY,\n   username VARCHAR (50) UNIQUE NOT NULL\n);\n";
pub(crate) const GM_USERS_DOWN: &str = "DROP TABLE IF EXISTS users;\n";
pub(crate) const GM_EMAIL_UP: &str = "ALTER TABLE users ADD COLUMN email VARCHAR (300);\n";

/// A folder as `migrate create -ext sql -dir db/migrations -seq` leaves it.
pub(crate) fn golang_migrate_folder(root: &Path) -> PathBuf {
    let dir = root.join("db").join("migrations");
    write(&dir, "000001_create_users_table.up.sql", GM_USERS_UP);
    write(&dir, "000001_create_users_table.down.sql", GM_USERS_DOWN);
    write(&dir, "000002_add_email.up.sql", GM_EMAIL_UP);
    write(&dir, "000002_add_email.down.sql", "");
    dir
}

#[tokio::test]
async fn import_golang_migrate_pairs_up_and_down_files_then_rolls_back() {
    let p = Project::new();
    let root = p.dir.path();
    let src = golang_migrate_folder(root);
    let s = src.to_str().expect("utf-8").to_owned();
    let args = [
        "--from",
        "golang-migrate",
        s.as_str(),
        "--db",
        p.db.as_str(),
    ];

    write(&src, "000003_orphan.down.sql", "DROP TABLE x;\n");
    assert_eq!(
        refused(&p, &args).await,
        format!(
            "{}: a down migration without its up migration (000003_orphan.up.sql); add the up file or remove this one",
            src.join("000003_orphan.down.sql").display()
        )
    );
    std::fs::remove_file(src.join("000003_orphan.down.sql")).expect("rm");
    write(&src, "000003_plain.sql", "select 1;\n");
    assert_eq!(
        refused(&p, &args).await,
        format!(
            "{}: not named as golang-migrate names migrations: <version>_<title>.up.sql and <version>_<title>.down.sql; rename it or move it away",
            src.join("000003_plain.sql").display()
        )
    );
    std::fs::remove_file(src.join("000003_plain.sql")).expect("rm");
    write(&src, "20240101000000_stamped.up.sql", "select 1;\n");
    assert_eq!(
        refused(&p, &args).await,
        format!(
            "{} is numbered by a yyyymmddHHMMSS time and {} by a sequence number or Unix time; a folder numbers its migrations one way: rename the files of one kind to the other",
            src.join("20240101000000_stamped.up.sql").display(),
            src.join("000001_create_users_table.up.sql").display()
        )
    );
    std::fs::remove_file(src.join("20240101000000_stamped.up.sql")).expect("rm");

    assert_eq!(
        import_ok(&p, "golang-migrate", &src).await,
        [
            "19700101000001_create_users_table.sql",
            "19700101000002_add_email.sql"
        ]
    );
    assert_eq!(
        imported(&p, "19700101000001_create_users_table.sql"),
        format!("{GM_USERS_UP}-- pgtenant:down\n{GM_USERS_DOWN}")
    );
    assert_eq!(
        imported(&p, "19700101000002_add_email.sql"),
        format!("{GM_EMAIL_UP}-- pgtenant:down\n")
    );
    bootstrap_and_migrate(&p).await;
    assert_eq!(
        columns(&p, "users").await,
        ["user_id int4", "username varchar", "email varchar"]
    );
    rollback_one(&p).await;
    rollback_one(&p).await;
    assert!(!table_exists(&p, "users").await);
}

pub(crate) const DBMATE_USERS: &str = "-- migrate:up\ncreate table users (\n  id integer,\n  name varchar(255),\n  email varchar(255) not null\n);\n\n-- migrate:down\ndrop table users;\n";
pub(crate) const DBMATE_INDEX_UP: &str =
    "-- migrate:up transaction:false\ncreate index concurrently users_email_idx on users (email);\n\n";
pub(crate) const DBMATE_INDEX_DOWN: &str =
    "-- migrate:down transaction:false\ndrop index concurrently users_email_idx;\n";

#[tokio::test]
async fn import_dbmate_sections_and_transaction_false_then_rolls_back() {
    let p = Project::new();
    let root = p.dir.path();
    let src = root.join("db").join("migrations");
    write(&src, "20151129054053_create_users.sql", DBMATE_USERS);
    write(
        &src,
        "20151129060000_users_email_index.sql",
        &format!("{DBMATE_INDEX_UP}{DBMATE_INDEX_DOWN}"),
    );
    write(
        &root.join("db"),
        "schema.sql",
        "-- dbmate's dump, not a migration\n",
    );
    let s = src.to_str().expect("utf-8").to_owned();
    let args = ["--from", "dbmate", s.as_str(), "--db", p.db.as_str()];

    let bad = src.join("20151129070000_bad.sql");
    for (text, reason) in [
        (
            "create table x (id int);\n",
            "there is no `-- migrate:up` line; dbmate requires one before the migration's statements",
        ),
        (
            "-- migrate:down\ndrop table x;\n-- migrate:up\ncreate table x (id int);\n",
            "line 1: `-- migrate:down` comes before `-- migrate:up`; dbmate requires the up section first",
        ),
        (
            "create type s as enum ('a');\n-- migrate:up\ncreate table x (s s);\n-- migrate:down\n",
            "statements before `-- migrate:up`; dbmate refuses them too: move them into the up section",
        ),
    ] {
        std::fs::write(&bad, text).expect("write");
        assert_eq!(
            refused(&p, &args).await,
            format!("{}: {reason}", bad.display()),
            "{text}"
        );
    }
    std::fs::remove_file(&bad).expect("rm");

    assert_eq!(
        import_ok(&p, "dbmate", &src).await,
        [
            "20151129054053_create_users.sql",
            "20151129060000_users_email_index.sql"
        ]
    );
    assert_eq!(
        imported(&p, "20151129054053_create_users.sql"),
        "-- migrate:up\ncreate table users (\n  id integer,\n  name varchar(255),\n  email varchar(255) not null\n);\n\n-- pgtenant:down\n-- migrate:down\ndrop table users;\n"
    );
    assert_eq!(
        imported(&p, "20151129060000_users_email_index.sql"),
        format!(
            "-- pgtenant:no-transaction\n{DBMATE_INDEX_UP}-- pgtenant:down\n{DBMATE_INDEX_DOWN}"
        )
    );
    bootstrap_and_migrate(&p).await;
    assert!(table_exists(&p, "users_email_idx").await);
    rollback_one(&p).await;
    assert!(!table_exists(&p, "users_email_idx").await);
    assert!(table_exists(&p, "users").await);
}
