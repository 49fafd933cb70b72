//! StartKit's flows through the library as its service role, on the
//! example brought up by the CLI (migrations, seeds, grants): projects
//! soft-deleted as the seed does, hidden from every query of the
//! organization, restorable, and never visible to another organization.

use super::renamed_example;
use pgtenant::{MembershipConfig, TenancyConfig, TenantDb, TenantKeyType};

const ACME: &str = "b0000000-0000-4000-8000-000000000001";
const TECH: &str = "b0000000-0000-4000-8000-000000000002";
const ALICE: &str = "a0000000-0000-4000-8000-000000000001";
const BOB: &str = "a0000000-0000-4000-8000-000000000002";
const MOBILE_APP: &str = "c0000000-0000-4000-8000-000000000002";

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

/// The organization's project names as `user` sees them (sorted), with
/// `pgtenant.include_deleted` on when `deleted` is.
async fn projects(db: &TenantDb, org: &str, user: &str, deleted: bool) -> Vec<String> {
    let mut tx = db.enter(user, org).await.unwrap();
    if deleted {
        sqlx::raw_sql("SET LOCAL pgtenant.include_deleted = on")
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM projects ORDER BY name")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    names
}

#[tokio::test]
async fn startkit_projects_are_soft_deleted_hidden_and_restored() {
    let project = renamed_example("startkit").unwrap();
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
    let name = &project.names["startkit"];
    let mut url = url::Url::parse(&pgtenant_testkit::url_for_db(
        &pgtenant_testkit::admin_url(),
        name,
    ))
    .unwrap();
    url.set_username(svc).unwrap();
    url.set_password(Some("startkit-dev-password")).unwrap();
    let config = TenancyConfig::new(TenantKeyType::Uuid)
        .setting("app.current_org_id")
        .user_setting("app.current_user_id")
        .membership(MembershipConfig::new(
            "organization_members",
            "user_id",
            "organization_id",
        ));
    let db = TenantDb::connect(url.as_str(), config).await.unwrap();

    // Bob deletes Acme's mobile app as the seed's API does: with DELETE.
    let mut tx = db.enter(BOB, ACME).await.unwrap();
    let deleted = sqlx::query("DELETE FROM projects WHERE id = $1::uuid")
        .bind(MOBILE_APP)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 0, "kept and stamped, not removed");
    tx.commit().await.unwrap();
    assert_eq!(
        projects(&db, ACME, ALICE, false).await,
        ["Website relaunch"]
    );
    assert_eq!(
        projects(&db, ACME, ALICE, true).await,
        ["Mobile app", "Website relaunch"]
    );
    // Tech Startup sees only its own, deleted ones included.
    assert_eq!(projects(&db, TECH, BOB, true).await, ["MVP"]);

    let restored = cli(
        dir,
        &[
            "soft-delete",
            "restore",
            "--table",
            "projects",
            "--tenant",
            ACME,
            "--id",
            MOBILE_APP,
        ],
    );
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    assert_eq!(
        projects(&db, ACME, ALICE, false).await,
        ["Mobile app", "Website relaunch"]
    );
    drop(db);
    let verify = cli(dir, &["verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}
