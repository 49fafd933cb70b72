use crate::support::{snapshot, Project, ADMIN_PASSWORD, SVC_PASSWORD};
use pgtenant_testkit::{admin_conn, admin_url, TestRole};
use sqlx::Row;

/// (login, super, createdb, createrole, inherit, replication, bypassrls)
async fn attributes(role: &str) -> (bool, bool, bool, bool, bool, bool, bool) {
    let mut conn = admin_conn().await;
    let r = sqlx::query(
        "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolinherit, rolreplication, \
         rolbypassrls FROM pg_roles WHERE rolname = $1",
    )
    .bind(role)
    .fetch_one(&mut conn)
    .await
    .expect("role exists");
    (
        r.get(0),
        r.get(1),
        r.get(2),
        r.get(3),
        r.get(4),
        r.get(5),
        r.get(6),
    )
}

#[tokio::test]
async fn bootstrap_creates_databases_roles_and_grants() {
    let p = Project::new();
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    run.assert_never_shows(SVC_PASSWORD);
    run.assert_never_shows(ADMIN_PASSWORD);
    assert!(
        run.stdout.starts_with("bootstrap: 17 changes\n"),
        "{}",
        run.stdout
    );
    assert!(run
        .stdout
        .contains(&format!("create database {} (owner postgres)", p.db)));

    //                                 login super createdb createrole inherit repl  bypassrls
    assert_eq!(
        attributes(&p.svc).await,
        (true, false, false, false, false, false, false)
    );
    assert_eq!(
        attributes(&p.superadmin).await,
        (true, false, false, false, false, false, true)
    );

    let mut admin = p.admin_conn().await;
    let row = sqlx::query(
        "SELECT pg_get_userbyid(datdba)::text = current_user,
                has_database_privilege($1, current_database(), 'CONNECT'),
                has_database_privilege($2, current_database(), 'CONNECT'),
                has_database_privilege('public', current_database(), 'CONNECT'),
                has_database_privilege($1, current_database(), 'CREATE'),
                has_schema_privilege($1, 'public', 'USAGE'),
                has_schema_privilege($1, 'public', 'CREATE')
         FROM pg_database WHERE datname = current_database()",
    )
    .bind(&p.svc)
    .bind(&p.superadmin)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    let got: (bool, bool, bool, bool, bool, bool, bool) = (
        row.get(0),
        row.get(1),
        row.get(2),
        row.get(3),
        row.get(4),
        row.get(5),
        row.get(6),
    );
    assert_eq!(got, (true, true, true, false, false, true, false));

    // Default privileges FOR ROLE admin, per application schema (here only
    // public), per object type; none global (the journal's and the modules'
    // schemas get nothing from them).
    let defaults: Vec<(String, String)> = sqlx::query_as(
        "SELECT coalesce(n.nspname, '<global>') || ' ' || d.defaclobjtype::text,
                string_agg(a.privilege_type, ',' ORDER BY a.privilege_type)
         FROM pg_default_acl d CROSS JOIN aclexplode(d.defaclacl) a
         LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
         WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)
           AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)
         GROUP BY 1 ORDER BY 1",
    )
    .bind(&p.svc)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    // New tables get SELECT only (a new global table stays read-only);
    // bootstrap, run again after migrate, grants DML on new tenant tables.
    let expected = [
        ("public S", "SELECT,USAGE"),
        ("public f", "EXECUTE"),
        ("public r", "SELECT"),
    ];
    assert_eq!(
        defaults,
        expected.map(|(a, b)| (a.to_owned(), b.to_owned())).to_vec()
    );

    // A tenant table the admin creates afterwards is readable by the service
    // role at once, and writable after the next bootstrap (`up` runs it
    // after migrate)...
    sqlx::raw_sql(
        "CREATE TABLE notes (id bigserial PRIMARY KEY, tenant_id uuid, body text NOT NULL);
         CREATE FUNCTION note_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM notes';",
    )
    .execute(&mut admin)
    .await
    .unwrap();
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    let mut svc = p
        .conn_as(&p.svc, SVC_PASSWORD)
        .await
        .expect("service role connects");
    sqlx::query("INSERT INTO notes (body) VALUES ('hello')")
        .execute(&mut svc)
        .await
        .unwrap();
    sqlx::query("UPDATE notes SET body = 'hi'")
        .execute(&mut svc)
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT note_count()")
        .fetch_one(&mut svc)
        .await
        .unwrap();
    assert_eq!(n, 1);
    sqlx::query("DELETE FROM notes")
        .execute(&mut svc)
        .await
        .unwrap();
    // ...but never truncatable, referenceable, triggerable or owned.
    let err = sqlx::query("TRUNCATE notes")
        .execute(&mut svc)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("permission denied for table notes"),
        "{err}"
    );
    let err = sqlx::query("CREATE TABLE mine (id int)")
        .execute(&mut svc)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("permission denied for schema public"),
        "{err}"
    );
    let row = sqlx::query(
        "SELECT has_table_privilege($1, 'notes', 'TRUNCATE'), has_table_privilege($1, 'notes', 'REFERENCES'),
                has_table_privilege($1, 'notes', 'TRIGGER'), pg_get_userbyid(relowner)::text = $1
         FROM pg_class WHERE relname = 'notes'",
    )
    .bind(&p.svc)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    let got: (bool, bool, bool, bool) = (row.get(0), row.get(1), row.get(2), row.get(3));
    assert_eq!(got, (false, false, false, false));
}

#[tokio::test]
async fn second_bootstrap_changes_nothing() {
    let p = Project::new();
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    let before = snapshot(&p).await;
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        "bootstrap: nothing to do (1 database, 2 roles already in place)\n"
    );
    let json = p.run(&["--json", "bootstrap"]).await.json();
    assert_eq!(json["actions"], serde_json::json!([]));
    assert_eq!(json["changed"], serde_json::json!(false));
    assert_eq!(snapshot(&p).await, before);

    // A table created since is covered by the default privileges: still nothing to do.
    let mut admin = p.admin_conn().await;
    sqlx::raw_sql("CREATE TABLE later (id int)")
        .execute(&mut admin)
        .await
        .unwrap();
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(
        run.stdout,
        "bootstrap: nothing to do (1 database, 2 roles already in place)\n"
    );
}

#[tokio::test]
async fn bootstrap_grants_on_existing_objects_and_revokes_forbidden_ones() {
    let p = Project::new();
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    let mut admin = p.admin_conn().await;
    // Objects made before the roles had default privileges, plus a stray TRUNCATE.
    sqlx::raw_sql(&format!(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {svc};
         ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO {svc};
         CREATE SCHEMA app;
         CREATE TABLE app.items (id serial PRIMARY KEY);
         GRANT TRUNCATE ON app.items TO {svc};",
        svc = p.svc
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    for expected in [
        format!("grant USAGE on schema app to {}", p.svc),
        format!(
            "revoke TRUNCATE, REFERENCES, TRIGGER on 1 table in app from {}",
            p.svc
        ),
        format!(
            "default privileges: SELECT on new tables of postgres in public to {}",
            p.svc
        ),
        format!(
            "default privileges: SELECT on new tables of postgres in app to {}",
            p.svc
        ),
        format!(
            "grant SELECT, INSERT, UPDATE, DELETE on 1 table in app to {}",
            p.superadmin
        ),
        format!(
            "default privileges: revoke SELECT on new tables of postgres in every schema from {} (now per schema)",
            p.svc
        ),
    ] {
        assert!(
            run.stdout.contains(&expected),
            "missing {expected:?} in\n{}",
            run.stdout
        );
    }
    // app.items has no tenant column: global, so SELECT only.
    let (select, insert, truncate): (bool, bool, bool) = sqlx::query_as(
        "SELECT has_table_privilege($1, 'app.items', 'SELECT'), has_table_privilege($1, 'app.items', 'INSERT'), \
         has_table_privilege($1, 'app.items', 'TRUNCATE')",
    )
    .bind(&p.svc)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!((select, insert, truncate), (true, false, false));
    let again = p.run(&["bootstrap"]).await;
    assert!(
        again.stdout.starts_with("bootstrap: nothing to do"),
        "{}",
        again.stdout
    );
}

#[tokio::test]
async fn bootstrap_refuses_an_existing_superuser_as_service_role() {
    let p = Project::new();
    let role = TestRole::new("pgt_cli_su", "LOGIN SUPERUSER BYPASSRLS").await;
    let text = p.manifest_text().replace(&p.svc, &role.name);
    p.write_manifest(&text);
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr,
        format!(
            "error: role {r} already exists with SUPERUSER, BYPASSRLS; a service role must not \
             have them. pgtenant does not change an existing role's privileges: fix it with \
             `ALTER ROLE {r} NOSUPERUSER NOBYPASSRLS;` (or pick another role name in \
             pgtenant.toml), then run bootstrap again\n",
            r = role.name
        )
    );
    let (sup, bypass) = (
        attributes(&role.name).await.1,
        attributes(&role.name).await.6,
    );
    assert!(sup && bypass, "the existing role is left alone");
}

#[tokio::test]
async fn existing_role_keeps_its_password_unless_reset_is_asked() {
    let p = Project::new();
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    let hash = || async {
        let mut conn = admin_conn().await;
        sqlx::query_scalar::<_, Option<String>>(
            "SELECT rolpassword FROM pg_authid WHERE rolname = $1",
        )
        .bind(&p.svc)
        .fetch_one(&mut conn)
        .await
        .unwrap()
    };
    let first = hash().await;
    let stored = first.clone().expect("the password was set on create");
    assert!(
        stored.starts_with("SCRAM-SHA-256$4096:"),
        "a verifier, never the plain text: {stored}"
    );
    let run = p.run(&["bootstrap", "--reset-passwords"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    run.assert_never_shows(SVC_PASSWORD);
    assert!(
        run.stdout
            .contains(&format!("set the password of role {}", p.svc)),
        "{}",
        run.stdout
    );
    assert_ne!(
        hash().await,
        first,
        "a new password hash (new salt) was stored"
    );
}

#[tokio::test]
async fn bootstrap_fixes_harmless_attributes_of_an_existing_role() {
    let p = Project::new();
    let mut conn = admin_conn().await;
    sqlx::raw_sql(&format!("CREATE ROLE {} NOLOGIN INHERIT", p.svc))
        .execute(&mut conn)
        .await
        .unwrap();
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("alter role {}: LOGIN NOINHERIT", p.svc)),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("set the password of role {}", p.svc)),
        "{}",
        run.stdout
    );
    assert_eq!(
        attributes(&p.svc).await,
        (true, false, false, false, false, false, false)
    );
}

#[tokio::test]
async fn concurrent_bootstraps_of_one_project_do_not_race() {
    let p = Project::new();
    let (a, b) = tokio::join!(p.run(&["bootstrap"]), p.run(&["bootstrap"]));
    assert_eq!((a.code, b.code), (0, 0), "{a:?}\n{b:?}");
    let nothing = "bootstrap: nothing to do (1 database, 2 roles already in place)\n";
    let firsts = [&a, &b]
        .iter()
        .filter(|r| r.stdout.starts_with("bootstrap: 17 changes\n"))
        .count();
    let seconds = [&a, &b].iter().filter(|r| r.stdout == nothing).count();
    assert_eq!((firsts, seconds), (1, 1), "{a:?}\n{b:?}");
}

#[tokio::test]
async fn quiet_prints_nothing_on_success() {
    let p = Project::new();
    let run = p.run(&["-q", "bootstrap"]).await;
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "", "")
    );
}

/// What bootstrap sends, seen through a recording proxy: the role
/// passwords travel only as SCRAM verifiers, never as text the server would
/// hash itself (and could log).
#[tokio::test]
async fn role_passwords_reach_the_server_only_as_scram_verifiers() {
    let p = Project::new();
    let tap = pgtenant_testkit::WireTap::start(&admin_url()).await;
    p.write_manifest(
        &p.manifest_text()
            .replace(&admin_url(), &tap.url(&admin_url())),
    );
    for args in [&["bootstrap"][..], &["bootstrap", "--reset-passwords"]] {
        tap.clear();
        let run = p.run(args).await;
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        let sent = tap.messages();
        for secret in [SVC_PASSWORD, ADMIN_PASSWORD, "S3cret"] {
            assert!(
                !sent
                    .iter()
                    .any(|m| m.body.windows(secret.len()).any(|w| w == secret.as_bytes())),
                "{args:?} sent {secret:?} to the server"
            );
        }
        let sql = tap.sql();
        for role in [&p.svc, &p.superadmin] {
            assert!(
                sql.iter()
                    .any(|q| q.contains(role.as_str())
                        && q.contains("PASSWORD 'SCRAM-SHA-256$4096:")),
                "{args:?}: no SCRAM verifier sent for {role}: {sql:#?}"
            );
        }
    }
    // And the verifiers work: both roles log in with their passwords.
    assert!(p.conn_as(&p.svc, SVC_PASSWORD).await.is_ok());
    assert!(p.conn_as(&p.superadmin, ADMIN_PASSWORD).await.is_ok());
}

/// Temp tables (and temp triggers on them) would let one request shadow a
/// table and capture later requests' writes on the same pooled connection:
/// bootstrap takes TEMPORARY from PUBLIC, so the service role has none.
#[tokio::test]
async fn bootstrap_takes_temporary_from_public_so_the_service_role_cannot_create_temp_tables() {
    let p = Project::new();
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains(&format!(
            "  {}  revoke TEMPORARY on database {} from PUBLIC\n",
            p.db, p.db
        )),
        "{}",
        run.stdout
    );
    let mut svc = p.conn_as(&p.svc, SVC_PASSWORD).await.unwrap();
    let err = sqlx::raw_sql("CREATE TEMP TABLE items (id int)")
        .execute(&mut svc)
        .await
        .unwrap_err();
    assert!(
        err.to_string().ends_with(&format!(
            "permission denied to create temporary tables in database \"{}\"",
            p.db
        )),
        "{err}"
    );

    // Granted again behind bootstrap's back: the next run takes it again.
    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(&format!("GRANT TEMPORARY ON DATABASE {} TO PUBLIC", p.db))
        .execute(&mut admin)
        .await
        .unwrap();
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(
        run.stdout,
        format!(
            "bootstrap: 1 change\n  database{pad}  change\n  {db}  revoke TEMPORARY on database {db} from PUBLIC\n",
            pad = " ".repeat(p.db.len() - "database".len()),
            db = p.db
        ),
        "{run:?}"
    );
    let again = p.run(&["bootstrap"]).await;
    assert!(
        again.stdout.starts_with("bootstrap: nothing to do"),
        "{again:?}"
    );
}

async fn show(conn: &mut sqlx::PgConnection, setting: &str) -> String {
    sqlx::query_scalar(&format!("SHOW {setting}"))
        .fetch_one(conn)
        .await
        .unwrap()
}

/// The service role's logins get the manifest's timeouts (defaults
/// lock_timeout 5s and idle_in_transaction_session_timeout 60s), so a
/// request cannot wait on a lock, or sit in an open transaction, for ever.
#[tokio::test]
async fn bootstrap_sets_the_service_role_timeouts_of_the_manifest() {
    let p = Project::new();
    let with = |extra: &str| {
        p.manifest_text().replace(
            &format!("password = \"${{IT_SVC_PASSWORD:-{SVC_PASSWORD}}}\" }}"),
            &format!("password = \"${{IT_SVC_PASSWORD:-{SVC_PASSWORD}}}\"{extra} }}"),
        )
    };
    p.write_manifest(&with(", statement_timeout = \"30s\""));
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    for line in [
        format!(
            "set statement_timeout = 30s for role {} in database {}",
            p.svc, p.db
        ),
        format!(
            "set lock_timeout = 5s for role {} in database {}",
            p.svc, p.db
        ),
        format!(
            "set idle_in_transaction_session_timeout = 60s for role {} in database {}",
            p.svc, p.db
        ),
    ] {
        assert!(run.stdout.contains(&line), "{line}\n{}", run.stdout);
    }
    let mut svc = p.conn_as(&p.svc, SVC_PASSWORD).await.unwrap();
    assert_eq!(show(&mut svc, "statement_timeout").await, "30s");
    assert_eq!(show(&mut svc, "lock_timeout").await, "5s");
    assert_eq!(
        show(&mut svc, "idle_in_transaction_session_timeout").await,
        "1min"
    );
    // The superadmin role gets none.
    let mut sa = p.conn_as(&p.superadmin, ADMIN_PASSWORD).await.unwrap();
    assert_eq!(show(&mut sa, "lock_timeout").await, "0");

    let again = p.run(&["bootstrap"]).await;
    assert_eq!(
        again.stdout, "bootstrap: nothing to do (1 database, 2 roles already in place)\n",
        "{again:?}"
    );

    // statement_timeout dropped from the manifest and lock_timeout changed:
    // the one reset, the other set; the next login sees both.
    p.write_manifest(&with(", lock_timeout = \"500ms\""));
    let run = p.run(&["bootstrap"]).await;
    assert!(
        run.stdout.starts_with("bootstrap: 2 changes\n")
            && run.stdout.contains(&format!(
                "reset statement_timeout of role {} in database {}",
                p.svc, p.db
            ))
            && run.stdout.contains(&format!(
                "set lock_timeout = 500ms for role {} in database {}",
                p.svc, p.db
            )),
        "{run:?}"
    );
    let mut svc = p.conn_as(&p.svc, SVC_PASSWORD).await.unwrap();
    assert_eq!(show(&mut svc, "statement_timeout").await, "0");
    assert_eq!(show(&mut svc, "lock_timeout").await, "500ms");

    // A bad value never reaches the server: exit 2, file:line and key.
    p.write_manifest(&with(", lock_timeout = \"5 seconds\""));
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(
            "pgtenant.toml:10: service_role.lock_timeout = \"5 seconds\" is not a PostgreSQL duration; \
             write a whole number with a unit (us, ms, s, min, h, d) such as \"500ms\", \"30s\" or \
             \"5min\", or \"0\" for no limit"
        ),
        "{}",
        run.stderr
    );
}
