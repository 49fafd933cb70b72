//! Two examples' flows on the building-block modules, each brought up by
//! the CLI (`up --demo`: migrations, seeds, grants) under unique names and
//! then used through the library as its service role:
//!
//! - core: workspace ids come from `short_id(12)`, pgtenant::ids's
//!   database-side generator, and the CHECK refuses what
//!   `pgtenant::ids::validate` refuses;
//! - tasks: the audit trail is the audit module, append-only for the
//!   service role, and `pgtenant audit verify` names the row an admin
//!   edited behind its back.

use super::{renamed_example, RenamedProject};
use pgtenant::audit::AuditEvent;
use pgtenant::{MembershipConfig, TenancyConfig, TenantDb, TenantKeyType};
use sqlx::{Connection, PgConnection};

fn cli(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_pgtenant"))
        .arg("--project")
        .arg(dir)
        .arg("--admin-url")
        .arg(pgtenant_testkit::admin_url())
        .args(args)
        .env_remove("DATABASE_URL")
        .env("SEED_DEMO_OK", "true")
        .output()
        .unwrap()
}

/// `example` renamed and brought up with its demo seeds; the admin URL and
/// the service role's URL (the manifest's default dev password) of its
/// database `db`.
fn up(example: &str, db: &str, password: &str) -> (RenamedProject, String, url::Url) {
    let project = renamed_example(example).unwrap();
    let dir = project.dir.path();
    let up = cli(dir, &["up", "--demo"]);
    assert!(
        up.status.success(),
        "up --demo: {}",
        String::from_utf8_lossy(&up.stderr)
    );
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(dir.join("pgtenant.toml")).unwrap()).unwrap();
    let svc = manifest["database"][0]["service_role"]["name"]
        .as_str()
        .unwrap();
    let admin = pgtenant_testkit::url_for_db(&pgtenant_testkit::admin_url(), &project.names[db]);
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_username(svc).unwrap();
    url.set_password(Some(password)).unwrap();
    (project, admin, url)
}

fn db_error(e: &sqlx::Error) -> (String, Option<String>) {
    let d = e.as_database_error().expect("a database error");
    (d.message().to_owned(), d.constraint().map(str::to_owned))
}

const CORE_OWNER: &str = "00000000-0000-4000-8000-0000000c0001";

/// Samples for the CHECK and `pgtenant::ids::validate`: valid ones at both
/// ends of the length range, and every way to be invalid.
const ID_SAMPLES: [&str; 12] = [
    "OtherWorkspace1",
    "AbCdEf0123",
    "abcdefghij0123456789",
    "abcdefghi",
    "abcdefghij0123456789x",
    "abcde-fghij",
    "abcde_fghij",
    "abcde fghij",
    "abcdéfghijk",
    "abcdefghij\n",
    "",
    "0123456789",
];

#[tokio::test]
async fn core_workspace_ids_are_generated_by_the_database_and_checked() {
    let (project, admin_url, svc_url) = up("core", "core_crm", "core-crm-dev-password");
    let mut admin = PgConnection::connect(&admin_url).await.unwrap();

    // The root table's policy ties a row's id to app.workspace_id, so a new
    // workspace (whose id nobody knows yet) is created on the admin path.
    let id: String = sqlx::query_scalar(
        "INSERT INTO workspaces (name, created_by) VALUES ('Generated', $1::uuid) RETURNING id",
    )
    .bind(CORE_OWNER)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(id.len(), 12, "{id}");
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
    pgtenant::ids::validate(&id).unwrap();
    sqlx::query(
        "INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2::uuid, 'owner')",
    )
    .bind(&id)
    .bind(CORE_OWNER)
    .execute(&mut admin)
    .await
    .unwrap();

    // The generated id is a working tenant key for the service role.
    let config = TenancyConfig::new(TenantKeyType::Varchar(20))
        .setting("app.workspace_id")
        .user_setting("app.user_id")
        .membership(MembershipConfig::new(
            "workspace_members",
            "user_id",
            "workspace_id",
        ));
    let db = TenantDb::connect(svc_url.as_str(), config).await.unwrap();
    let mut tx = db.enter(CORE_OWNER, &id).await.unwrap();
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM workspaces ORDER BY name")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    // Its own workspace, and the demo one through the switcher's policy.
    assert_eq!(names, ["Demo Workspace", "Generated"]);
    // The service role inserting with an invalid id inside that id's own
    // tenant transaction: the policy lets the row through, the CHECK not.
    tx.commit().await.unwrap();
    let mut conn = PgConnection::connect(svc_url.as_str()).await.unwrap();
    for bad in ["abcdefghi", "abcde-fghij"] {
        let mut tx = conn.begin().await.unwrap();
        sqlx::query("SELECT set_config('app.workspace_id', $1, true)")
            .bind(bad)
            .execute(&mut *tx)
            .await
            .unwrap();
        let err = sqlx::query(
            "INSERT INTO workspaces (id, name, created_by) VALUES ($1, 'Bad', $2::uuid)",
        )
        .bind(bad)
        .bind(CORE_OWNER)
        .execute(&mut *tx)
        .await
        .unwrap_err();
        assert_eq!(
            db_error(&err),
            (
                "new row for relation \"workspaces\" violates check constraint \"workspaces_id_format\""
                    .to_owned(),
                Some("workspaces_id_format".to_owned())
            ),
            "{bad}"
        );
        tx.rollback().await.unwrap();
    }
    conn.close().await.unwrap();

    // The generator refuses a length outside 10..=20 with the library's text.
    let err = sqlx::query("SELECT short_id(9)")
        .execute(&mut admin)
        .await
        .unwrap_err();
    assert_eq!(
        db_error(&err).0,
        pgtenant::ids::IdError::Length(9).to_string()
    );

    // Rust and the database agree on every sample: the table accepts
    // exactly what validate accepts, and so does the domain.
    for sample in ID_SAMPLES {
        let mut tx = admin.begin().await.unwrap();
        let table = sqlx::query(
            "INSERT INTO workspaces (id, name, created_by) VALUES ($1, 'Sample', $2::uuid)",
        )
        .bind(sample)
        .bind(CORE_OWNER)
        .execute(&mut *tx)
        .await;
        tx.rollback().await.unwrap();
        let domain = sqlx::query("SELECT $1::text::short_id")
            .bind(sample)
            .execute(&mut admin)
            .await;
        let rust = pgtenant::ids::validate(sample);
        assert_eq!(
            table.is_ok(),
            rust.is_ok(),
            "{sample:?}: {table:?} {rust:?}"
        );
        assert_eq!(domain.is_ok(), rust.is_ok(), "{sample:?}: {domain:?}");
        if rust.is_err() && sample.chars().count() <= 20 {
            assert_eq!(
                db_error(table.as_ref().unwrap_err()).1.as_deref(),
                Some("workspaces_id_format"),
                "{sample:?}"
            );
        }
    }
    // The seed's demo workspace id stays valid.
    pgtenant::ids::validate("DemoWorkspace01").unwrap();
    let demo: i64 =
        sqlx::query_scalar("SELECT count(*) FROM workspaces WHERE id = 'DemoWorkspace01'")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert_eq!(demo, 1);
    admin.close().await.unwrap();
    drop(db);
    drop(project);
}

const ACME: &str = "20000000-0000-4000-8000-000000000001";
const TECHSTART: &str = "20000000-0000-4000-8000-000000000002";
/// Alex Thompson, the consultant in both tenants.
const CONSULTANT: &str = "10000000-0000-4000-8000-000000000041";
const TASK: &str = "50000000-0000-4000-8000-000000000001";

#[tokio::test]
async fn tasks_audit_events_are_append_only_and_verified() {
    let (project, admin_url, svc_url) = up("tasks", "tasks_app", "tasks-app-dev-password");
    let name = project.names["tasks_app"].clone();
    let config = TenancyConfig::new(TenantKeyType::Uuid)
        .setting("app.tenant_id")
        .user_setting("app.user_id")
        .membership(MembershipConfig::new(
            "user_tenant_associations",
            "user_id",
            "tenant_id",
        ));
    let db = TenantDb::connect(svc_url.as_str(), config).await.unwrap();

    for (tenant, action) in [(ACME, "task.update"), (TECHSTART, "site.create")] {
        let mut tx = db.enter(CONSULTANT, tenant).await.unwrap();
        let event = AuditEvent::new(action)
            .resource("task", TASK)
            .metadata(serde_json::json!({ "by": "flows test" }))
            .ip("192.0.2.7".parse().unwrap());
        let seq = pgtenant::audit::record(&mut tx, "pgtenant", &event)
            .await
            .unwrap();
        assert!(seq >= 1, "{seq}");
        tx.commit().await.unwrap();
    }

    // Each tenant reads only its own events; the consultant is the actor.
    let mut tx = db.enter(CONSULTANT, TECHSTART).await.unwrap();
    let rows: Vec<(String, Option<String>, String)> = sqlx::query_as(
        "SELECT action, actor, tenant_id::text FROM pgtenant.audit_log ORDER BY seq",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert_eq!(
        rows,
        [(
            "site.create".to_owned(),
            Some(CONSULTANT.to_owned()),
            TECHSTART.to_owned()
        )]
    );
    tx.commit().await.unwrap();

    // No UPDATE or DELETE privilege for the service role.
    for (sql, verb) in [
        (
            "UPDATE pgtenant.audit_log SET action = 'task.delete'",
            "UPDATE",
        ),
        ("DELETE FROM pgtenant.audit_log", "DELETE"),
    ] {
        let mut tx = db.enter(CONSULTANT, ACME).await.unwrap();
        let err = sqlx::query(sql).execute(&mut *tx).await.unwrap_err();
        assert_eq!(
            db_error(&err).0,
            "permission denied for table audit_log",
            "{verb}"
        );
        tx.rollback().await.unwrap();
    }
    drop(db);

    let dir = project.dir.path();
    let verify = cli(dir, &["audit", "verify", "--db", &name]);
    let out = String::from_utf8_lossy(&verify.stdout).into_owned();
    assert_eq!(verify.status.code(), Some(0), "{out}");
    assert!(
        out.contains(&format!("tenant {ACME}: 3 rows checked, intact")),
        "{out}"
    );
    assert!(
        out.contains(&format!("tenant {TECHSTART}: 1 row checked, intact")),
        "{out}"
    );

    // The admin rewrites one of Acme's events with the triggers off: the
    // append-only trigger cannot stop that, the chain shows it.
    let mut admin = PgConnection::connect(&admin_url).await.unwrap();
    let mut tx = admin.begin().await.unwrap();
    sqlx::raw_sql("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .unwrap();
    let edited: i64 = sqlx::query_scalar(
        "UPDATE pgtenant.audit_log SET metadata = '{\"priority\": \"low\"}'
         WHERE tenant_id = $1::uuid AND action = 'task.create' RETURNING audit_id",
    )
    .bind(ACME)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    admin.close().await.unwrap();

    let verify = cli(dir, &["audit", "verify", "--db", &name]);
    let out = String::from_utf8_lossy(&verify.stdout).into_owned();
    assert_eq!(verify.status.code(), Some(1), "{out}");
    assert!(
        out.contains(&format!(
            "tenant {ACME}: 3 rows checked, broken at row {edited} (seq 2): edited: \
             its content does not match its hash (edited)"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("tenant {TECHSTART}: 1 row checked, intact")),
        "{out}"
    );
    drop(project);
}
