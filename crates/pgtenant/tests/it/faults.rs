//! Faults: a migrate process killed with SIGKILL mid-migration, two
//! processes at once, a concurrent index build killed half-way.

use crate::child;
use crate::mig_support::{connect_options, journal, table_exists, Events, Files};
use pgtenant::migrate::{self, MigrateOptions, Quiet};
use pgtenant_testkit::TestDb;
use std::time::{Duration, Instant};

/// Wait (up to 30 s) until the migrate backend of `db` matches `cond`
/// (an SQL condition on pg_stat_activity); its pid.
async fn wait_for_backend(db: &TestDb, cond: &str) -> i32 {
    let mut c = pgtenant_testkit::admin_conn().await;
    let sql = format!(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'pgtenant migrate' AND {cond}"
    );
    let start = Instant::now();
    loop {
        let pid: Option<i32> = sqlx::query_scalar(&sql)
            .bind(&db.name)
            .fetch_optional(&mut c)
            .await
            .unwrap();
        if let Some(pid) = pid {
            return pid;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no migrate backend with {cond}"
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

/// Wait until backend `pid` is gone; how long it took.
async fn wait_gone(pid: i32) -> Duration {
    let mut c = pgtenant_testkit::admin_conn().await;
    let start = Instant::now();
    loop {
        let alive: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)")
                .bind(pid)
                .fetch_one(&mut c)
                .await
                .unwrap();
        if !alive {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "backend {pid} of a killed migrate is still there"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn kill_9_mid_migration_leaves_it_unapplied_and_the_next_run_applies_it_once() {
    let db = TestDb::new().await;
    let files = Files::new();
    files.write("20240101000001_a.sql", "create table a (id int);\n");
    files.write(
        "20240101000002_slow.sql",
        "create table slow (id int);\nselect pg_sleep(60);\n",
    );
    files.write("20240101000003_c.sql", "create table c (id int);\n");
    let mut child = child::spawn(&db.url, &files.dir);
    let pid = wait_for_backend(&db, "state = 'active' AND query LIKE '%pg_sleep(60)%'").await;
    // The run's lock connection holds the lock while it migrates.
    let lock_pid = migrate::journal::lock_holder(&mut db.conn().await)
        .await
        .unwrap()
        .expect("the running migrate holds the lock");
    child.kill().expect("SIGKILL the migrate process");
    child.wait().unwrap();
    // The server notices the dead client (client_connection_check_interval)
    // and ends the backend, rolling back its transaction, long before the
    // sleep would end.
    let took = wait_gone(pid).await;
    assert!(took < Duration::from_secs(15), "{took:?}");
    let took = wait_gone(lock_pid).await;
    assert!(took < Duration::from_secs(15), "{took:?}");
    assert_eq!(journal(&db).await, vec![20240101000001]);
    assert!(!table_exists(&db, "slow").await);
    let mut c = pgtenant_testkit::admin_conn().await;
    let locks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_locks WHERE locktype IN ('advisory', 'relation') \
         AND mode = 'ExclusiveLock' AND database = (SELECT oid FROM pg_database WHERE datname = $1)",
    )
    .bind(&db.name)
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!(locks, 0, "the killed run's lock went with its session");
    // The next run applies it once (not yet applied, so it may be edited).
    files.write(
        "20240101000002_slow.sql",
        "create table slow (id int);\nselect pg_sleep(0);\n",
    );
    let report = migrate::migrate(
        &connect_options(&db.url),
        &files.dir,
        &MigrateOptions::default(),
        &Quiet,
    )
    .await
    .unwrap();
    assert_eq!(report.applied, vec![20240101000002, 20240101000003]);
    assert_eq!(
        journal(&db).await,
        vec![20240101000001, 20240101000002, 20240101000003]
    );
}

#[tokio::test]
async fn two_processes_at_once_apply_each_migration_exactly_once() {
    let db = TestDb::new().await;
    let files = Files::new();
    files.write(
        "20240101000001_a.sql",
        "create table a (id int);\nselect pg_sleep(1);\n",
    );
    for i in 2..=6 {
        files.write(
            &format!("2024010100000{i}_t{i}.sql"),
            &format!("create table t{i} (id int);\n"),
        );
    }
    let one = child::spawn(&db.url, &files.dir);
    let two = child::spawn(&db.url, &files.dir);
    let one = one.wait_with_output().unwrap();
    let two = two.wait_with_output().unwrap();
    let out = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).into_owned();
    let (a, b) = (out(&one), out(&two));
    assert!(one.status.success() && two.status.success(), "{a}\n{b}");
    let all = "APPLIED [20240101000001, 20240101000002, 20240101000003, 20240101000004, 20240101000005, 20240101000006]";
    let (winner, loser) = if a.contains(all) { (&a, &b) } else { (&b, &a) };
    assert!(winner.contains(all), "{a}\n{b}");
    assert!(
        loser.contains("EVENT lock busy Some("),
        "the second run reports the lock: {loser}"
    );
    assert!(loser.contains("APPLIED []"), "{loser}");
    let mut c = db.conn().await;
    let (rows, distinct): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT version) FROM pgtenant.migrations")
            .fetch_one(&mut c)
            .await
            .unwrap();
    assert_eq!((rows, distinct), (6, 6));
}

#[tokio::test]
async fn concurrent_index_build_killed_half_way_is_rebuilt_on_resume() {
    let db = TestDb::new().await;
    db.exec("create table t (id int, v int); insert into t select g, g % 10 from generate_series(1, 1000) g;")
        .await;
    let files = Files::new();
    files.write(
        "20240101000001_idx.sql",
        "-- pgtenant:no-transaction\ncreate index concurrently t_v on t (v);\ncreate index concurrently t_id on t (id);\n",
    );
    // An open writing transaction: the concurrent build registers its index
    // (INVALID), then waits for this transaction to end.
    let mut writer = db.conn().await;
    sqlx::raw_sql("BEGIN; INSERT INTO t VALUES (0, 0)")
        .execute(&mut writer)
        .await
        .unwrap();
    let mut child = child::spawn(&db.url, &files.dir);
    let pid = wait_for_backend(
        &db,
        "wait_event_type = 'Lock' AND query LIKE 'create index concurrently t_v%'",
    )
    .await;
    child.kill().expect("SIGKILL the migrate process");
    child.wait().unwrap();
    wait_gone(pid).await;
    let mut c = db.conn().await;
    let invalid: Vec<String> = sqlx::query_scalar(
        "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 't'::regclass AND NOT indisvalid",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    assert_eq!(
        invalid,
        vec!["t_v".to_string()],
        "the killed build left its index INVALID"
    );
    let (done, complete): (Option<i32>, bool) = sqlx::query_as(
        "SELECT steps_done, complete FROM pgtenant.migrations WHERE version = 20240101000001",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!((done, complete), (Some(0), false));
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut writer)
        .await
        .unwrap();

    let events = Events::default();
    migrate::migrate(
        &connect_options(&db.url),
        &files.dir,
        &MigrateOptions::default(),
        &events,
    )
    .await
    .unwrap();
    assert!(
        events
            .lines()
            .contains(&"dropped invalid public.t_v".to_string()),
        "{:?}",
        events.lines()
    );
    let (total, valid): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE indisvalid) FROM pg_index WHERE indrelid = 't'::regclass",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!((total, valid), (2, 2), "both built, no INVALID index left");
    assert_eq!(journal(&db).await, vec![20240101000001]);
}
