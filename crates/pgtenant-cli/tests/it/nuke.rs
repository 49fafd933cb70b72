use crate::support::Project;
use pgtenant_testkit::{admin_conn, TestDb, TestRole};
use sqlx::postgres::PgConnectOptions;
use sqlx::ConnectOptions;
use std::str::FromStr;

async fn exists(kind: &str, name: &str) -> bool {
    let sql = match kind {
        "database" => "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)",
        _ => "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)",
    };
    let mut conn = admin_conn().await;
    sqlx::query_scalar(sql)
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn nuke_without_yes_drops_nothing_and_with_yes_only_the_project() {
    let p = Project::new();
    let bystander = TestDb::with_prefix("pgt_cli_bystander").await;
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);

    let run = p.run(&["nuke"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "nuke would drop, on {url}:\n  database {db}\n  role {svc}\n  role {sa}\nnothing was dropped; pass --yes to drop them\n",
            url = pgtenant_testkit::admin_url(),
            db = p.db,
            svc = p.svc,
            sa = p.superadmin
        )
    );
    for (kind, name) in [
        ("database", &p.db),
        ("role", &p.svc),
        ("role", &p.superadmin),
    ] {
        assert!(
            exists(kind, name).await,
            "{kind} {name} survived nuke without --yes"
        );
    }

    let run = p.run(&["--json", "nuke", "--yes"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    let json = run.json();
    assert_eq!(
        json["dropped"],
        serde_json::json!([
            format!("database {}", p.db),
            format!("role {}", p.svc),
            format!("role {}", p.superadmin)
        ])
    );
    for (kind, name) in [
        ("database", &p.db),
        ("role", &p.svc),
        ("role", &p.superadmin),
    ] {
        assert!(!exists(kind, name).await, "{kind} {name} was not dropped");
    }
    assert!(
        exists("database", &bystander.name).await,
        "a database outside the manifest was dropped"
    );
    assert!(exists("role", &pgtenant_testkit::admin_role()).await);

    let run = p.run(&["nuke", "--yes"]).await;
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, "nuke: nothing to drop for project it\n");
}

#[tokio::test]
async fn nuke_refuses_a_remote_server_without_allow_remote() {
    let p = Project::new();
    let run = p
        .run(&[
            "--admin-url",
            "postgres://admin:hunter2@db.example.com:5432/postgres",
            "nuke",
            "--yes",
        ])
        .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr,
        "error: refusing to nuke databases on db.example.com (postgres://admin:***@db.example.com:5432/postgres): \
         it is not this machine; pass --allow-remote if you really mean it\n"
    );
}

#[tokio::test]
async fn nuke_never_drops_a_superuser_and_then_drops_nothing() {
    let p = Project::new();
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    let mut conn = admin_conn().await;
    sqlx::raw_sql(&format!("ALTER ROLE {} SUPERUSER", p.superadmin))
        .execute(&mut conn)
        .await
        .unwrap();
    let run = p.run(&["nuke", "--yes"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr,
        format!(
            "error: role {} is a superuser; nuke never drops a superuser, drop it yourself if it \
             really belongs to this project\n",
            p.superadmin
        )
    );
    assert!(exists("database", &p.db).await);
    assert!(exists("role", &p.svc).await);
}

/// A manifest that names the admin role itself as one of its roles: nuke
/// refuses before dropping anything (the admin here is no superuser, so
/// the superuser rule does not answer first).
#[tokio::test]
async fn nuke_never_drops_the_admin_role_and_then_drops_nothing() {
    let password = "adm-pw-1";
    let admin = TestRole::new(
        "pgt_cli_admin",
        &format!("LOGIN NOSUPERUSER CREATEDB CREATEROLE PASSWORD '{password}'"),
    )
    .await;
    let p = Project::new();
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    let admin_url = PgConnectOptions::from_str(&pgtenant_testkit::admin_url())
        .unwrap()
        .username(&admin.name)
        .password(password)
        .to_url_lossy()
        .to_string();
    p.write_manifest(
        &p.manifest_text()
            .replace(&pgtenant_testkit::admin_url(), &admin_url)
            .replace(
                &format!("name = \"{}\", password", p.superadmin),
                &format!("name = \"{}\", password", admin.name),
            ),
    );
    let run = p.run(&["nuke", "--yes"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr,
        format!(
            "error: role {} is the admin role of this connection; nuke will not drop it\n",
            admin.name
        )
    );
    assert!(exists("database", &p.db).await);
    assert!(exists("role", &p.svc).await);
    assert!(exists("role", &admin.name).await);
}
