use crate::support::{pgtenant, Project};

async fn count(p: &Project) -> i64 {
    let mut conn = p.admin_conn().await;
    sqlx::query_scalar("SELECT count(*) FROM notes")
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn backup_then_restore_brings_deleted_rows_back() {
    let p = Project::new();
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(
        "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);
         INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 25) g;",
    )
    .execute(&mut admin)
    .await
    .unwrap();

    let out = p.dir.path().join("dumps");
    let run = p
        .run(&["--json", "backup", "--out", out.to_str().unwrap()])
        .await;
    assert_eq!(run.code, 0, "{run:?}");
    let json = run.json();
    let file = json["dumps"][0]["file"].as_str().unwrap().to_owned();
    let name = std::path::Path::new(&file)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let stamp = name
        .strip_prefix(&format!("{}-", p.db))
        .and_then(|r| r.strip_suffix(".dump"))
        .unwrap_or_else(|| panic!("unexpected dump name {name}"));
    assert_eq!(stamp.len(), 14, "{name}");
    assert!(stamp.chars().all(|c| c.is_ascii_digit()), "{name}");
    assert!(std::fs::metadata(&file).unwrap().len() > 0);

    sqlx::raw_sql("DELETE FROM notes WHERE id > 5")
        .execute(&mut admin)
        .await
        .unwrap();
    assert_eq!(count(&p).await, 5);

    // Without --yes: exit 2, nothing changes.
    let run = p.run(&["restore", "--db", &p.db, "--from", &file]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "restore would replace the objects and rows of database {db} on {url} with those of \
             {file}\nnothing was changed; pass --yes to restore\n",
            db = p.db,
            url = pgtenant_testkit::admin_url(),
        )
    );
    assert_eq!(count(&p).await, 5);

    let run = p
        .run(&["restore", "--db", &p.db, "--from", &file, "--yes"])
        .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(count(&p).await, 25);
    let body: String = sqlx::query_scalar("SELECT body FROM notes WHERE id = 17")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(body, "note 17");
    // The service role still reaches the restored table.
    let mut svc = p
        .conn_as(&p.svc, crate::support::SVC_PASSWORD)
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM notes")
        .fetch_one(&mut svc)
        .await
        .unwrap();
    assert_eq!(n, 25);
}

#[tokio::test]
async fn backup_passes_the_password_by_environment_and_masks_failures() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::new();
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    // A stand-in pg_dump records its arguments and PGPASSWORD, then fails
    // with a message quoting the password.
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("log");
    let script = bin.path().join("pg_dump");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > {log}\nprintf 'PGPASSWORD=%s\\n' \"$PGPASSWORD\" >> {log}\n\
             echo \"pg_dump: error: auth failed for postgres://u:$PGPASSWORD@h/db\" >&2\nexit 1\n",
            log = log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let project = p.dir.path().to_str().unwrap().to_owned();
    let url = "postgres://postgres:Pw-S3cret-9@127.0.0.1:5432/postgres";
    let path = format!("{}:/usr/bin:/bin", bin.path().display());
    let run = pgtenant(
        p.dir.path(),
        &["--project", &project, "--admin-url", url, "-q", "backup"],
        &[("PATH", path.as_str())],
    )
    .await;
    run.assert_never_shows("Pw-S3cret-9");
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr,
        format!(
            "error: backing up database {}: pg_dump failed (exit code 1):\n\
             pg_dump: error: auth failed for postgres://u:***@h/db\n",
            p.db
        )
    );
    let recorded = std::fs::read_to_string(&log).unwrap();
    let (args, env) = recorded.split_once("PGPASSWORD=").unwrap();
    assert!(!args.contains("Pw-S3cret-9"), "{args}");
    assert!(
        args.contains(&format!(
            "--dbname=postgres://postgres@127.0.0.1:5432/{}\n",
            p.db
        )),
        "{args}"
    );
    assert_eq!(env, "Pw-S3cret-9\n");
    // The failed dump leaves no file behind.
    assert_eq!(
        std::fs::read_dir(p.dir.path().join("backups"))
            .unwrap()
            .count(),
        0
    );
}

#[tokio::test]
async fn backup_without_pg_dump_says_how_to_install_it() {
    let p = Project::new();
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    let empty = tempfile::tempdir().unwrap();
    let project = p.dir.path().to_str().unwrap().to_owned();
    let run = pgtenant(
        p.dir.path(),
        &["--project", &project, "-q", "backup"],
        &[("PATH", empty.path().to_str().unwrap())],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr,
        format!(
            "error: backing up database {}: pg_dump is not installed (not found on PATH); install \
             the PostgreSQL client tools matching your server, e.g. `sudo apt-get install \
             postgresql-client`\n",
            p.db
        )
    );
    assert!(std::fs::read_dir(p.dir.path().join("backups"))
        .unwrap()
        .next()
        .is_none());
}

#[tokio::test]
async fn restore_refuses_a_missing_database_and_a_remote_server() {
    let p = Project::new();
    let dump = p.dir.path().join("x.dump");
    std::fs::write(&dump, "not a dump").unwrap();
    let dump = dump.to_str().unwrap();
    let run = p
        .run(&["restore", "--db", &p.db, "--from", dump, "--yes"])
        .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr,
        format!(
            "error: database {db} does not exist on {url}; run `pgtenant bootstrap --db {db}` \
             first (it creates the database and the roles the dump grants to), then restore\n",
            db = p.db,
            url = pgtenant_testkit::admin_url()
        )
    );
    let run = p
        .run(&[
            "--admin-url",
            "postgres://admin:hunter2@db.example.com:5432/postgres",
            "restore",
            "--db",
            &p.db,
            "--from",
            dump,
            "--yes",
        ])
        .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr,
        "error: refusing to restore into a database on db.example.com \
         (postgres://admin:***@db.example.com:5432/postgres): it is not this machine; pass \
         --allow-remote if you really mean it\n"
    );
    // A file that is not a dump: pg_restore's error, and nothing changes.
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    let run = p
        .run(&["-q", "restore", "--db", &p.db, "--from", dump, "--yes"])
        .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr,
        format!(
            "error: restoring {dump} into database {} (nothing was changed): pg_restore failed (exit code 1):\n\
             pg_restore: error: input file does not appear to be a valid archive (too short?)\n",
            p.db
        )
    );
}
