use crate::mig_support::{connect_options, journal, table_exists, Events, Files};
use pgtenant::migrate::{
    self, MigrateError, MigrateOptions, OutOfOrder, Quiet, RollbackOptions, RollbackTarget, State,
};
use pgtenant_testkit::{admin_role, TestDb, TestRole};
use std::time::Duration;

async fn check(
    db: &TestDb,
    files: &Files,
    opts: &MigrateOptions,
) -> Result<Vec<i64>, MigrateError> {
    migrate::migrate(&connect_options(&db.url), &files.dir, opts, &Quiet)
        .await
        .map(|r| r.applied)
}

fn five(files: &Files) {
    files.write(
        "20240101000001_a.sql",
        "create table a (id int primary key);\n",
    );
    files.write(
        "20240101000002_b.sql",
        "create table b (id int primary key, a_id int references a);\n",
    );
    files.write(
        "20240101000003_c.sql",
        "create table c (id int primary key);\n\ncreate index on c (id);\ncreate tabel oops (id int);\n",
    );
    files.write("20240101000004_d.sql", "create table d (id int);\n");
    files.write("20240101000005_e.sql", "create table e (id int);\n");
}

#[tokio::test]
async fn applies_in_order_journals_each_and_a_second_run_is_a_no_op() {
    let db = TestDb::new().await;
    let files = Files::new();
    files.write(
        "20240101000001_users.sql",
        "create table users (id bigint primary key, email text not null);\n",
    );
    files.write(
        "20240101000002_posts.sql",
        "-- posts belong to users\ncreate table posts (id bigint primary key, user_id bigint not null references users);\ncreate index posts_user on posts (user_id);\n",
    );
    let applied = check(&db, &files, &MigrateOptions::default())
        .await
        .unwrap();
    assert_eq!(applied, vec![20240101000001, 20240101000002]);
    assert!(table_exists(&db, "posts").await);
    assert_eq!(journal(&db).await, applied);
    let mut c = db.conn().await;
    let (name, by, ms): (String, String, i64) =
        sqlx::query_as("SELECT name, applied_by, duration_ms FROM pgtenant.migrations WHERE version = 20240101000002")
            .fetch_one(&mut c)
            .await
            .unwrap();
    assert_eq!(
        (name.as_str(), by.as_str()),
        ("posts", admin_role().as_str())
    );
    assert!(ms >= 0);
    assert!(check(&db, &files, &MigrateOptions::default())
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn syntax_error_in_migration_3_of_5_keeps_1_and_2_and_names_file_and_line() {
    let db = TestDb::new().await;
    let files = Files::new();
    five(&files);
    let err = check(&db, &files, &MigrateOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:4: syntax error at or near \"tabel\"\nThis migration was rolled back; the 2 migrations before it in this run stay applied. Fix it and run migrate again.",
            files.path("20240101000003_c.sql")
        )
    );
    assert_eq!(journal(&db).await, vec![20240101000001, 20240101000002]);
    assert!(table_exists(&db, "b").await);
    assert!(!table_exists(&db, "c").await, "migration 3 rolled back");
    assert!(!table_exists(&db, "d").await);
}

#[tokio::test]
async fn runtime_error_without_position_is_traced_to_its_statement() {
    let db = TestDb::new().await;
    let files = Files::new();
    files.write(
        "20240101000001_a.sql",
        "create table a (id int primary key);\ninsert into a values (1);\n\ninsert into a values (1);\n",
    );
    let err = check(&db, &files, &MigrateOptions::default())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "{}:4: duplicate key value violates unique constraint \"a_pkey\"\n  detail: Key (id)=(1) already exists.",
            files.path("20240101000001_a.sql")
        )),
        "{text}"
    );
    assert!(!table_exists(&db, "a").await);
}

#[tokio::test]
async fn error_hint_is_shown_and_concurrent_index_outside_no_transaction_gets_one() {
    let db = TestDb::new().await;
    let files = Files::new();
    files.write(
        "20240101000001_a.sql",
        "create table a (id int);\ncreate index concurrently a_id on a (id);\n",
    );
    let err = check(&db, &files, &MigrateOptions::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(":2: CREATE INDEX CONCURRENTLY cannot run inside a transaction block"),
        "{err}"
    );
    assert!(
        err.contains("hint: mark the file `-- pgtenant:no-transaction`"),
        "{err}"
    );
}

#[tokio::test]
async fn edited_applied_file_is_refused_until_reapproved() {
    let db = TestDb::new().await;
    let files = Files::new();
    files.write("20240101000001_a.sql", "create table a (id int);\n");
    check(&db, &files, &MigrateOptions::default())
        .await
        .unwrap();
    files.write("20240101000001_a.sql", "create table a (id bigint);\n");
    files.write("20240101000002_b.sql", "create table b (id int);\n");
    let err = check(&db, &files, &MigrateOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{} was edited after it was applied; restore the applied text, or accept the edit with `pgtenant migrate --reapprove 20240101000001`",
            files.path("20240101000001_a.sql")
        )
    );
    assert!(
        !table_exists(&db, "b").await,
        "nothing runs while the history is refused"
    );
    let opts = MigrateOptions {
        reapprove: vec![20240101000001],
        ..Default::default()
    };
    let report = migrate::migrate(&connect_options(&db.url), &files.dir, &opts, &Quiet)
        .await
        .unwrap();
    assert_eq!(report.reapproved, vec![20240101000001]);
    assert_eq!(report.applied, vec![20240101000002]);
    // The new checksum is recorded: a plain run is clean again.
    assert!(check(&db, &files, &MigrateOptions::default())
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn crlf_whitespace_and_comment_edits_keep_the_checksum() {
    let db = TestDb::new().await;
    let files = Files::new();
    files.write(
        "20240101000001_a.sql",
        "create table a (\n  id int primary key,\n  note text default 'x -- y'\n);\n",
    );
    check(&db, &files, &MigrateOptions::default())
        .await
        .unwrap();
    files.write(
        "20240101000001_a.sql",
        "\u{feff}-- Table a: the first table.\r\ncreate table a (   \r\n\r\n  id int primary key, /* the key */\r\n  note text default 'x -- y' -- kept\r\n);   \r\n\r\n",
    );
    assert!(check(&db, &files, &MigrateOptions::default())
        .await
        .unwrap()
        .is_empty());
    // ... but an edit inside a string is an edit.
    files.write(
        "20240101000001_a.sql",
        "create table a (id int primary key, note text default 'x --  y');\n",
    );
    assert!(matches!(
        check(&db, &files, &MigrateOptions::default()).await,
        Err(MigrateError::History(_))
    ));
}

#[tokio::test]
async fn out_of_order_file_is_refused_naming_it_unless_allowed() {
    let db = TestDb::new().await;
    let files = Files::new();
    files.write("20240101000001_a.sql", "create table a (id int);\n");
    files.write("20240101000003_c.sql", "create table c (id int);\n");
    check(&db, &files, &MigrateOptions::default())
        .await
        .unwrap();
    files.write("20240101000002_b.sql", "create table b (id int);\n");
    let err = check(&db, &files, &MigrateOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{} is older than the newest applied migration (20240101000003) but was never applied; give it a newer version, or apply it with `pgtenant migrate --allow-out-of-order`",
            files.path("20240101000002_b.sql")
        )
    );
    let status = migrate::status(&connect_options(&db.url), &files.dir)
        .await
        .unwrap();
    assert_eq!(status.entries[1].state, State::OutOfOrder);
    let opts = MigrateOptions {
        out_of_order: OutOfOrder::Allow,
        ..Default::default()
    };
    assert_eq!(
        check(&db, &files, &opts).await.unwrap(),
        vec![20240101000002]
    );
}

#[tokio::test]
async fn status_lines_up_applied_pending_changed_and_missing() {
    let db = TestDb::new().await;
    let files = Files::new();
    let status = migrate::status(&connect_options(&db.url), &files.dir)
        .await
        .unwrap();
    assert!(!status.journal_exists);
    files.write("20240101000001_a.sql", "create table a (id int);\n");
    files.write("20240101000002_b.sql", "create table b (id int);\n");
    files.write("20240101000003_c.sql", "create table c (id int);\n");
    check(&db, &files, &MigrateOptions::default())
        .await
        .unwrap();
    std::fs::remove_file(files.dir.join("20240101000001_a.sql")).unwrap();
    files.write("20240101000002_b.sql", "create table b (id int, x int);\n");
    files.write("20240101000004_d.sql", "create table d (id int);\n");
    let status = migrate::status(&connect_options(&db.url), &files.dir)
        .await
        .unwrap();
    let states: Vec<_> = status
        .entries
        .iter()
        .map(|e| (e.version, e.state.clone()))
        .collect();
    assert_eq!(states[0], (20240101000001, State::MissingFile));
    assert!(matches!(states[1].1, State::ChecksumChanged { .. }));
    assert_eq!(states[2], (20240101000003, State::Applied));
    assert_eq!(states[3], (20240101000004, State::Pending));
    assert!(status.entries[2]
        .applied
        .as_ref()
        .is_some_and(|a| a.applied_by == admin_role()));
}

#[tokio::test]
async fn bad_file_names_are_refused_naming_the_file() {
    let db = TestDb::new().await;
    let files = Files::new();
    files.write("20240101000001_a.sql", "select 1;\n");
    files.write("README.md", "not a migration");
    files.write("2024_b.sql", "select 1;\n");
    let err = check(&db, &files, &MigrateOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: not a migration file name: the version `2024` is not 14 digits (yyyymmddHHMMSS, UTC); name it <yyyymmddHHMMSS>_<name>.sql with the UTC time, e.g. 20240131120000_add_users.sql",
            files.path("2024_b.sql")
        )
    );
    assert!(journal(&db).await.is_empty());
}

#[tokio::test]
async fn no_transaction_file_runs_step_by_step_and_journals_each_step() {
    let db = TestDb::new().await;
    let files = Files::new();
    files.write("20240101000001_a.sql", "create table a (id int, v int);\ninsert into a select g, g from generate_series(1, 100) g;\n");
    files.write(
        "20240101000002_idx.sql",
        "-- pgtenant:no-transaction\ncreate index concurrently a_v on a (v);\ncreate index concurrently a_id on a (id);\n-- pgtenant:down\ndrop index concurrently a_id;\ndrop index concurrently a_v;\n",
    );
    let events = Events::default();
    // With a lock_timeout: it must not put the concurrent builds in a transaction block.
    let opts = MigrateOptions {
        lock_timeout: Some(Duration::from_secs(5)),
        ..Default::default()
    };
    migrate::migrate(&connect_options(&db.url), &files.dir, &opts, &events)
        .await
        .unwrap();
    let lines = events.lines();
    assert!(
        lines.contains(&"step 20240101000002 2/2".to_string()),
        "{lines:?}"
    );
    let mut c = db.conn().await;
    let (done, total, complete): (Option<i32>, Option<i32>, bool) =
        sqlx::query_as("SELECT steps_done, steps_total, complete FROM pgtenant.migrations WHERE version = 20240101000002")
            .fetch_one(&mut c)
            .await
            .unwrap();
    assert_eq!((done, total, complete), (Some(2), Some(2), true));
    let valid: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_index WHERE indrelid = 'a'::regclass AND indisvalid",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!(valid, 2);
    // And back.
    let rolled = migrate::rollback(
        &connect_options(&db.url),
        &files.dir,
        RollbackTarget::Steps(1),
        &RollbackOptions {
            lock_timeout: Some(Duration::from_secs(5)),
            ..Default::default()
        },
        &Quiet,
    )
    .await
    .unwrap();
    assert_eq!(rolled, vec![20240101000002]);
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_index WHERE indrelid = 'a'::regclass")
            .fetch_one(&mut c)
            .await
            .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn journal_is_not_granted_to_service_roles_even_with_default_privileges() {
    let db = TestDb::new().await;
    let svc = TestRole::new("pgt_svc", "LOGIN").await;
    db.exec(&format!(
        "ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}",
        svc.name
    ))
    .await;
    let files = Files::new();
    files.write("20240101000001_a.sql", "create table a (id int);\n");
    check(&db, &files, &MigrateOptions::default())
        .await
        .unwrap();
    let mut c = db.conn().await;
    let (journal_grant, table_grant, schema_usage, owner): (bool, bool, bool, String) = sqlx::query_as(
        "SELECT has_table_privilege($1, 'pgtenant.migrations', 'SELECT,INSERT,UPDATE,DELETE'), \
                has_table_privilege($1, 'public.a', 'SELECT'), \
                has_schema_privilege($1, 'pgtenant', 'USAGE'), \
                (SELECT tableowner::text FROM pg_tables WHERE schemaname = 'pgtenant' AND tablename = 'migrations')",
    )
    .bind(&svc.name)
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert!(
        table_grant,
        "default privileges do apply to application tables"
    );
    assert!(!journal_grant);
    assert!(!schema_usage);
    assert_eq!(owner, admin_role());
    drop(c);
    db.exec(&format!("DROP OWNED BY {}", svc.name)).await;
}

#[tokio::test]
async fn rollback_runs_down_sections_newest_first_and_refuses_without_one() {
    let db = TestDb::new().await;
    let files = Files::new();
    files.write(
        "20240101000001_a.sql",
        "create table a (id int primary key);\n-- pgtenant:down\ndrop table a;\n",
    );
    files.write(
        "20240101000002_b.sql",
        "create table b (id int references a);\n-- pgtenant:down\ndrop table b;\n",
    );
    files.write(
        "20240101000003_c.sql",
        "create table c (id int);\n-- pgtenant:down\ndrop table c;\n",
    );
    files.write("20240101000004_d.sql", "create table d (id int);\n");
    check(&db, &files, &MigrateOptions::default())
        .await
        .unwrap();
    let opts = connect_options(&db.url);
    let err = migrate::rollback(
        &opts,
        &files.dir,
        RollbackTarget::Steps(2),
        &RollbackOptions::default(),
        &Quiet,
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{} has no down section; add `-- pgtenant:down` and the statements that undo it, then roll back",
            files.path("20240101000004_d.sql")
        )
    );
    assert!(table_exists(&db, "c").await, "nothing was rolled back");
    // Give d a down section; applied files may not change, so reapprove it.
    files.write(
        "20240101000004_d.sql",
        "create table d (id int);\n-- pgtenant:down\ndrop table d;\n",
    );
    let o = MigrateOptions {
        reapprove: vec![20240101000004],
        ..Default::default()
    };
    check(&db, &files, &o).await.unwrap();
    let events = Events::default();
    let rolled = migrate::rollback(
        &opts,
        &files.dir,
        RollbackTarget::To(20240101000001),
        &RollbackOptions::default(),
        &events,
    )
    .await
    .unwrap();
    assert_eq!(rolled, vec![20240101000004, 20240101000003, 20240101000002]);
    assert_eq!(journal(&db).await, vec![20240101000001]);
    assert!(table_exists(&db, "a").await);
    assert!(!table_exists(&db, "b").await);
    let err = migrate::rollback(
        &opts,
        &files.dir,
        RollbackTarget::To(20240101000009),
        &RollbackOptions::default(),
        &Quiet,
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "--to 20240101000009: no applied migration has that version; see `pgtenant status` for the applied versions"
    );
    // Migrating again re-applies what was rolled back.
    assert_eq!(
        check(&db, &files, &MigrateOptions::default())
            .await
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn failing_down_section_rolls_back_that_step_and_names_the_line() {
    let db = TestDb::new().await;
    let files = Files::new();
    files.write(
        "20240101000001_a.sql",
        "create table a (id int);\n-- pgtenant:down\ndrop table a;\n",
    );
    files.write(
        "20240101000002_b.sql",
        "create table b (id int);\n-- pgtenant:down\ndrop table b;\ndrop table nope;\n",
    );
    check(&db, &files, &MigrateOptions::default())
        .await
        .unwrap();
    let err = migrate::rollback(
        &connect_options(&db.url),
        &files.dir,
        RollbackTarget::Steps(2),
        &RollbackOptions::default(),
        &Quiet,
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "{}:4: table \"nope\" does not exist",
            files.path("20240101000002_b.sql")
        )),
        "{err}"
    );
    assert!(
        table_exists(&db, "b").await,
        "the failed down step was rolled back"
    );
    assert_eq!(journal(&db).await, vec![20240101000001, 20240101000002]);
}

#[tokio::test]
async fn second_run_waits_for_the_lock_then_finds_nothing_to_do_or_gives_up() {
    let db = TestDb::new().await;
    let files = Files::new();
    files.write("20240101000001_a.sql", "create table a (id int);\n");
    let mut holder = db.conn().await;
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut holder)
        .await
        .unwrap();
    migrate::journal::ensure_lock_table(&mut holder)
        .await
        .unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE pgtenant.migrate_lock IN EXCLUSIVE MODE")
        .execute(&mut holder)
        .await
        .unwrap();
    let opts = MigrateOptions {
        lock_wait: Duration::from_millis(600),
        ..Default::default()
    };
    let err = check(&db, &files, &opts).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "another migrate holds the lock (pid {pid}) and did not finish within 0."
        )),
        "{text}"
    );
    assert!(text.ends_with("s; retry when it has finished"), "{text}");
    // The holder finishes a little later: the waiting run goes on.
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(700)).await;
        sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
        holder
    });
    let events = Events::default();
    let opts = MigrateOptions {
        lock_wait: Duration::from_secs(20),
        ..Default::default()
    };
    let report = migrate::migrate(&connect_options(&db.url), &files.dir, &opts, &events)
        .await
        .unwrap();
    assert_eq!(report.applied, vec![20240101000001]);
    assert_eq!(events.lines()[0], format!("lock busy Some({pid})"));
    drop(release.await.unwrap());
}

#[tokio::test]
async fn lock_timeout_is_retried_with_backoff_then_reported() {
    let db = TestDb::new().await;
    db.exec("create table busy (id int)").await;
    let files = Files::new();
    files.write(
        "20240101000001_a.sql",
        "create table a (id int);\nalter table busy add column x int;\n",
    );
    let mut blocker = db.conn().await;
    sqlx::raw_sql("BEGIN; LOCK TABLE busy IN ACCESS EXCLUSIVE MODE")
        .execute(&mut blocker)
        .await
        .unwrap();
    let opts = MigrateOptions {
        lock_timeout: Some(Duration::from_millis(50)),
        lock_retries: 2,
        ..Default::default()
    };
    let events = Events::default();
    let err = migrate::migrate(&connect_options(&db.url), &files.dir, &opts, &events)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2: still blocked after 3 tries with lock_timeout 50ms: another session holds a lock this statement needs; retry when the database is quieter, or raise --lock-timeout",
            files.path("20240101000001_a.sql")
        )
    );
    assert_eq!(
        events
            .lines()
            .iter()
            .filter(|l| l.starts_with("retry"))
            .count(),
        2,
        "{:?}",
        events.lines()
    );
    assert!(!table_exists(&db, "a").await);
    // Released during the retries: it goes through.
    let release = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        sqlx::raw_sql("ROLLBACK")
            .execute(&mut blocker)
            .await
            .unwrap();
    };
    let opts = MigrateOptions {
        lock_retries: 5,
        ..opts
    };
    let co = connect_options(&db.url);
    let (result, ()) = tokio::join!(migrate::migrate(&co, &files.dir, &opts, &Quiet), release);
    result.unwrap();
    assert!(table_exists(&db, "a").await);
}

#[tokio::test]
async fn a_failed_run_releases_the_lock_even_while_its_connection_stays_open() {
    let db = TestDb::new().await;
    let files = Files::new();
    files.write(
        "20240101000001_a.sql",
        "create table a (id int);\nselect 1/0;\n",
    );
    let loaded = migrate::load_dir(&files.dir).unwrap();
    let mut conn = migrate::connect(&connect_options(&db.url)).await.unwrap();
    let err = migrate::migrate_files(
        &mut conn,
        &connect_options(&db.url),
        &loaded,
        &MigrateOptions::default(),
        &Quiet,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains(":2: division by zero"), "{err}");
    let held: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'relation' \
         AND relation = 'pgtenant.migrate_lock'::regclass AND mode = 'ExclusiveLock'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(held, 0);
}

/// The journal row of each migration, every column but the times.
async fn rows_without_times(
    db: &TestDb,
) -> Vec<(i64, String, String, String, Option<i32>, Option<i32>, bool)> {
    let mut c = db.conn().await;
    sqlx::query_as(
        "SELECT version, name, checksum, applied_by, steps_done, steps_total, complete FROM pgtenant.migrations ORDER BY version",
    )
    .fetch_all(&mut c)
    .await
    .unwrap()
}

#[tokio::test]
async fn migrate_after_record_applied_runs_only_the_rest_and_the_rows_match_what_migrate_writes() {
    let files = Files::new();
    files.write(
        "20240101000001_a.sql",
        "create table a (id int primary key);\n",
    );
    files.write(
        "20240101000002_i.sql",
        "-- pgtenant:no-transaction\ncreate index concurrently a_i on a (id);\n",
    );
    files.write("20240101000003_b.sql", "create table b (id int);\n");
    let loaded = migrate::load_dir(&files.dir).unwrap();

    // The reference: migrate runs the first two.
    let ran = TestDb::new().await;
    let first_two = Files::new();
    first_two.write(
        "20240101000001_a.sql",
        "create table a (id int primary key);\n",
    );
    first_two.write(
        "20240101000002_i.sql",
        "-- pgtenant:no-transaction\ncreate index concurrently a_i on a (id);\n",
    );
    check(&ran, &first_two, &MigrateOptions::default())
        .await
        .unwrap();

    // Recorded without running them (the schema made by other means).
    let db = TestDb::new().await;
    let mut c = db.conn().await;
    sqlx::raw_sql("create table a (id int primary key); create index a_i on a (id);")
        .execute(&mut c)
        .await
        .unwrap();
    let mut conn = migrate::connect(&connect_options(&db.url)).await.unwrap();
    let chosen: Vec<_> = loaded.iter().take(2).collect();
    let r = migrate::record_applied(&mut conn, &chosen, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(r.recorded, [20240101000001, 20240101000002]);
    assert_eq!(
        rows_without_times(&db).await,
        rows_without_times(&ran).await
    );
    // Again: already there, nothing changes.
    let r = migrate::record_applied(&mut conn, &chosen, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!((r.recorded.len(), r.already.len()), (0, 2));

    let applied = check(&db, &files, &MigrateOptions::default())
        .await
        .unwrap();
    assert_eq!(applied, [20240101000003]);

    // Another checksum for a journaled version is refused.
    let edited = Files::new();
    edited.write(
        "20240101000001_a.sql",
        "create table a (id bigint primary key);\n",
    );
    let other = migrate::load_dir(&edited.dir).unwrap();
    let err = migrate::record_applied(&mut conn, &[&other[0]], Duration::from_secs(5))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "migration 20240101000001 (a) is already in the journal with another checksum; the journal and the files disagree: see `pgtenant status`"
    );
}

#[tokio::test]
async fn the_service_role_can_neither_take_nor_hold_the_migrate_lock() {
    let db = TestDb::new().await;
    let svc = TestRole::new("pgt_svc", "LOGIN NOSUPERUSER NOBYPASSRLS").await;
    // What the modules give it, and default privileges that would hand it
    // DML on every new table of the admin.
    db.exec(&format!(
        "ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {0}; \
         CREATE SCHEMA pgtenant; GRANT USAGE ON SCHEMA pgtenant TO {0}; \
         ALTER DEFAULT PRIVILEGES IN SCHEMA pgtenant GRANT ALL ON TABLES TO {0}",
        svc.name
    ))
    .await;
    let files = Files::new();
    files.write("20240101000001_a.sql", "create table a (id int);\n");
    check(&db, &files, &MigrateOptions::default())
        .await
        .unwrap();
    let svc_options = connect_options(&db.url).username(&svc.name);
    let mut attacker = sqlx::ConnectOptions::connect(&svc_options).await.unwrap();
    for mode in ["ACCESS EXCLUSIVE", "EXCLUSIVE", "ACCESS SHARE"] {
        let err = sqlx::raw_sql(&format!(
            "BEGIN; LOCK TABLE pgtenant.migrate_lock IN {mode} MODE NOWAIT"
        ))
        .execute(&mut attacker)
        .await
        .unwrap_err();
        assert_eq!(
            err.as_database_error().and_then(|e| e.code()).as_deref(),
            Some("42501"),
            "{mode}: {err}"
        );
        assert!(
            err.to_string()
                .contains("permission denied for table migrate_lock"),
            "{err}"
        );
        sqlx::query("ROLLBACK")
            .execute(&mut attacker)
            .await
            .unwrap();
    }
    // The advisory key the lock used to be does not block migrate.
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(0x7067_7465_6e61_6e74_i64)
        .execute(&mut attacker)
        .await
        .unwrap();
    files.write("20240101000002_b.sql", "create table b (id int);\n");
    let events = Events::default();
    let opts = MigrateOptions {
        lock_wait: Duration::from_secs(20),
        ..Default::default()
    };
    let report = migrate::migrate(&connect_options(&db.url), &files.dir, &opts, &events)
        .await
        .unwrap();
    assert_eq!(report.applied, vec![20240101000002]);
    assert!(
        !events.lines().iter().any(|l| l.starts_with("lock busy")),
        "{:?}",
        events.lines()
    );
    drop(attacker);
    // The database first: its default privileges name the role, which
    // cannot be dropped while they exist.
    db.drop_now().await;
    drop(svc);
}
