//! migrate, status, rollback, seed, up and reset through the real binary.

use crate::support::{pgtenant, Project};

impl Project {
    fn file(&self, rel: &str, text: &str) {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    fn migration(&self, name: &str, text: &str) {
        self.file(&format!("migrations/{}/{name}", self.db), text);
    }

    async fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> crate::support::Run {
        let project = self.dir.path().to_str().expect("utf-8").to_owned();
        let mut all = vec!["--project", project.as_str()];
        all.extend_from_slice(args);
        pgtenant(self.dir.path(), &all, env).await
    }
}

#[tokio::test]
async fn up_migrates_and_seeds_then_status_rollback_and_reruns() {
    let p = Project::new();
    p.migration(
        "20240101000001_plans.sql",
        "create table plans (id int primary key, name text not null);\n-- pgtenant:down\ndrop table plans;\n",
    );
    p.migration(
        "20240101000002_notes.sql",
        "create table notes (id int primary key, body text);\n-- pgtenant:down\ndrop table notes;\n",
    );
    p.file(
        &format!("seeds/{}/setup/01_plans.sql", p.db),
        "insert into plans values (1, 'free') on conflict do nothing;\n",
    );
    p.file(
        &format!("seeds/{}/demo/01_notes.sql", p.db),
        "insert into notes values (1, '${DEMO_NOTE:-hello}');\n",
    );
    let run = p.run(&["up"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains(&format!("{}: applied 2 migrations (2 on disk)", p.db)),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("setup seeds: 1 applied, 0 unchanged"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("demo seeds: skipped"), "{}", run.stdout);

    let run = p.run(&["--json", "status"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    let migrations = &doc["databases"][0]["migrations"];
    assert_eq!(migrations[0]["state"]["state"], "applied");
    assert_eq!(migrations[1]["name"], "notes");
    assert!(migrations[1]["applied_at"].is_string());

    // Reruns change nothing.
    let run = p.run(&["migrate"]).await;
    assert_eq!(
        run.stdout.trim(),
        format!("{}: up to date (2 migrations)", p.db)
    );
    let run = p.run(&["seed", "setup"]).await;
    assert_eq!(
        run.stdout.trim(),
        format!("{}: setup seeds: 0 applied, 1 unchanged", p.db)
    );

    // Demo seeds: refused without consent, loaded with it.
    let run = p.run(&["seed", "demo"]).await;
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr.trim(),
        format!(
            "error: seeding demo data into database {}: refusing to load demo seeds: they are sample data for development databases; set SEED_DEMO_OK=true or pass --yes",
            p.db
        )
    );
    let run = p
        .run_env(
            &["seed", "demo"],
            &[("SEED_DEMO_OK", "true"), ("DEMO_NOTE", "it's me")],
        )
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut c = p.admin_conn().await;
    let body: String = sqlx::query_scalar("select body from notes")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(body, "it's me");
    drop(c);

    let run = p.run(&["rollback", "--db", &p.db, "--steps", "1"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.trim(),
        format!("{}: rolled back 1 migration(s): 20240101000002", p.db)
    );
    let run = p.run(&["status"]).await;
    assert!(
        run.stdout.contains("1 applied, 1 pending"),
        "{}",
        run.stdout
    );
    let run = p.run(&["rollback", "--db", &p.db]).await;
    assert_eq!(run.code, 2, "--steps or --to is required: {}", run.stderr);
}

#[tokio::test]
async fn failing_migration_exits_1_naming_file_and_line_and_keeps_earlier_ones() {
    let p = Project::new();
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    p.migration("20240101000001_a.sql", "create table a (id int);\n");
    p.migration(
        "20240101000002_b.sql",
        "create table b (id int);\nselect * from nope;\n",
    );
    let run = p.run(&["migrate"]).await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    let file = p
        .dir
        .path()
        .join(format!("migrations/{}/20240101000002_b.sql", p.db));
    assert!(
        run.stderr
            .contains(&format!("{}: applied 20240101000001_a (", p.db)),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "\nerror: migrating database {}: {}:2: relation \"nope\" does not exist\n",
            p.db,
            file.display()
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("the 1 migration before it in this run stays applied"),
        "{}",
        run.stderr
    );
    let run = p.run(&["status"]).await;
    assert!(
        run.stdout.contains("1 applied, 1 pending"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn two_migrate_processes_at_once_each_migration_once_and_the_waiting_one_reports_the_lock() {
    let p = Project::new();
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    p.migration(
        "20240101000001_slow.sql",
        "create table slow (id int);\nselect pg_sleep(1.5);\n",
    );
    for i in 2..=5 {
        p.migration(
            &format!("2024010100000{i}_t{i}.sql"),
            &format!("create table t{i} (id int);\n"),
        );
    }
    let (one, two) = tokio::join!(p.run(&["migrate"]), async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        p.run(&["migrate"]).await
    });
    assert_eq!(
        (one.code, two.code),
        (0, 0),
        "{}\n{}",
        one.stderr,
        two.stderr
    );
    // The sleep makes the first start likely to win the lock, not certain
    // on a loaded machine: either may win, exactly one waits.
    let (winner, loser) = if one.stdout.contains("applied 5 migrations") {
        (&one, &two)
    } else {
        (&two, &one)
    };
    assert!(
        winner.stdout.contains("applied 5 migrations"),
        "{}\n{}",
        one.stdout,
        two.stdout
    );
    assert!(
        loser
            .stderr
            .contains(&format!("{}: another migrate holds the lock (pid ", p.db)),
        "{}",
        loser.stderr
    );
    assert!(
        loser.stdout.contains("up to date (5 migrations)"),
        "{}",
        loser.stdout
    );
    let mut c = p.admin_conn().await;
    let (rows, distinct): (i64, i64) =
        sqlx::query_as("select count(*), count(distinct version) from pgtenant.migrations")
            .fetch_one(&mut c)
            .await
            .unwrap();
    assert_eq!((rows, distinct), (5, 5));
}

#[tokio::test]
async fn edited_migration_is_refused_until_reapproved_through_the_cli() {
    let p = Project::new();
    p.migration("20240101000001_a.sql", "create table a (id int);\n");
    assert_eq!(p.run(&["up"]).await.code, 0);
    p.migration("20240101000001_a.sql", "create table a (id int, x int);\n");
    let run = p.run(&["migrate"]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("20240101000001_a.sql was edited after it was applied; restore the applied text, or accept the edit with `pgtenant migrate --reapprove 20240101000001`"),
        "{}",
        run.stderr
    );
    let run = p.run(&["status"]).await;
    assert!(run.stdout.contains("checksum changed"), "{}", run.stdout);
    let run = p.run(&["migrate", "--reapprove", "20240101000009"]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--reapprove 20240101000009: no migration file has that version"),
        "{}",
        run.stderr
    );
    let run = p.run(&["migrate", "--reapprove", "20240101000001"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(p.run(&["migrate"]).await.code, 0);
}

#[tokio::test]
async fn reset_without_yes_lists_and_with_yes_rebuilds() {
    let p = Project::new();
    p.migration("20240101000001_a.sql", "create table a (id int);\n");
    assert_eq!(p.run(&["up"]).await.code, 0);
    let mut c = p.admin_conn().await;
    sqlx::query("insert into a values (1)")
        .execute(&mut c)
        .await
        .unwrap();
    drop(c);
    let run = p.run(&["reset"]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stdout
            .contains("nothing was dropped; pass --yes to reset"),
        "{}",
        run.stdout
    );
    let run = p.run(&["reset", "--yes"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let mut c = p.admin_conn().await;
    let n: i64 = sqlx::query_scalar("select count(*) from a")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(n, 0, "rebuilt empty by up");
}

/// `${NAME:=generate}` in a demo seed: `seed demo` makes the secret, uses
/// it (here stored hashed), prints it once; a second run finds the file
/// applied and makes and prints none; a set NAME is used and not printed.
#[tokio::test]
async fn a_generated_demo_secret_is_printed_once_and_stored_only_hashed() {
    let p = Project::new();
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    p.migration(
        "20240101000001_invites.sql",
        "create table invites (token_hash bytea primary key);\n",
    );
    p.file(
        &format!("seeds/{}/demo/01_invite.sql", p.db),
        "insert into invites values (sha256(convert_to('${INVITE_TOKEN:=generate}', 'UTF8')))\n\
         on conflict do nothing;\n",
    );
    assert_eq!(p.run(&["migrate"]).await.code, 0);
    let demo = [("SEED_DEMO_OK", "true")];
    let run = p.run_env(&["seed", "demo"], &demo).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let prefix = format!("{}: INVITE_TOKEN=", p.db);
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    let token = line[prefix.len()..].split(' ').next().unwrap();
    assert_eq!(token.len(), 43, "{line}");
    assert!(
        line.ends_with("(generated; shown only now, not kept: set INVITE_TOKEN to choose it)"),
        "{line}"
    );
    let mut c = p.admin_conn().await;
    let stored: bool = sqlx::query_scalar(
        "select exists (select 1 from invites where token_hash = sha256(convert_to($1, 'UTF8')))",
    )
    .bind(token)
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert!(stored);
    // Neither the journal nor the table holds the token itself.
    let anywhere: i64 = sqlx::query_scalar(
        "select (select count(*) from pgtenant.seeds s where s::text like '%' || $1 || '%') \
              + (select count(*) from invites i where encode(i.token_hash, 'escape') like '%' || $1 || '%')",
    )
    .bind(token)
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!(anywhere, 0);

    let run = p.run_env(&["seed", "demo"], &demo).await;
    assert_eq!(
        run.stdout.trim(),
        format!("{}: demo seeds: 0 applied, 1 unchanged", p.db)
    );
    let run = p
        .run_env(
            &["seed", "demo"],
            &[("SEED_DEMO_OK", "true"), ("INVITE_TOKEN", "chosen-token")],
        )
        .await;
    assert_eq!(
        run.stdout.trim(),
        format!("{}: demo seeds: 1 applied, 0 unchanged", p.db)
    );
    let rows: i64 = sqlx::query_scalar("select count(*) from invites")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(rows, 2);
}
