use crate::support::{pgtenant, Project, SVC_PASSWORD};

#[tokio::test]
async fn doctor_passes_after_bootstrap_and_lists_tables() {
    let p = Project::new();
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(
        "CREATE TABLE tenants (id uuid PRIMARY KEY);
         CREATE TABLE projects (tenant_id uuid NOT NULL, id int, PRIMARY KEY (tenant_id, id));
         ALTER TABLE projects ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
         CREATE POLICY isolation ON projects USING (tenant_id = current_setting('app.tenant_id', true)::uuid);
         INSERT INTO tenants VALUES (gen_random_uuid()), (gen_random_uuid());",
    )
    .execute(&mut admin)
    .await
    .unwrap();
    let run = p.run(&["doctor"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    run.assert_never_shows(SVC_PASSWORD);
    assert!(
        run.stdout.contains(&format!(
            "  ok    service role {}: connects; not superuser, NOBYPASSRLS, owns nothing",
            p.svc
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("  public.projects  0     forced  1         yes"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("  public.tenants   2     off     0         no"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with("doctor: all checks passed\n"),
        "{}",
        run.stdout
    );

    let json = p.run(&["--json", "doctor"]).await.json();
    assert_eq!(json["ok"], true);
    assert_eq!(json["failed_checks"], 0);
    let db = &json["databases"][0];
    assert_eq!(db["name"], p.db.as_str());
    assert!(
        db["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["ok"] == true),
        "{db}"
    );
    assert_eq!(db["tables"][1]["name"], "tenants");
    assert_eq!(db["tables"][1]["rows"], 2);
}

#[tokio::test]
async fn doctor_fails_on_a_tenant_table_without_rls_and_a_privileged_service_role() {
    let p = Project::new();
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(&format!(
        "CREATE TABLE projects (tenant_id uuid NOT NULL, id int);
         ALTER ROLE {} BYPASSRLS;",
        p.svc
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    let run = p.run(&["doctor"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("  FAIL  service role {}: has BYPASSRLS", p.svc)),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "  FAIL  tenant isolation: without forced RLS or a policy: public.projects; apply the tenancy migration (`pgtenant up`)"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with("doctor: 2 checks failed\n"),
        "{}",
        run.stdout
    );
    assert_eq!(p.run(&["--json", "doctor"]).await.json()["exit_code"], 1);
}

#[tokio::test]
async fn doctor_reports_a_missing_database() {
    let p = Project::new();
    let run = p.run(&["doctor"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("  FAIL  database exists: missing; run `pgtenant bootstrap`"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn unreachable_server_is_explained_with_the_password_masked() {
    let p = Project::new();
    let run = p
        .run(&[
            "--admin-url",
            "postgres://postgres:hunter2@127.0.0.1:1/postgres",
            "doctor",
        ])
        .await;
    assert_eq!(run.code, 1, "{run:?}");
    run.assert_never_shows("hunter2");
    assert!(
        run.stderr
            .starts_with("error: cannot connect to postgres://postgres:***@127.0.0.1:1/postgres: "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hint: is PostgreSQL running? Start it"),
        "{}",
        run.stderr
    );
    let json = p
        .run(&[
            "--json",
            "--admin-url",
            "postgres://postgres:hunter2@127.0.0.1:1/postgres",
            "doctor",
        ])
        .await;
    assert_eq!(json.json()["exit_code"], 1);
    json.assert_never_shows("hunter2");
}

#[tokio::test]
async fn database_url_is_the_last_fallback() {
    // No manifest at all: the admin URL comes from DATABASE_URL; no project is an error (2).
    let dir = tempfile::tempdir().unwrap();
    let run = pgtenant(
        dir.path(),
        &["doctor"],
        &[("DATABASE_URL", "postgres://x@127.0.0.1:1/y")],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.starts_with("error: no pgtenant.toml in "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .ends_with(" or any folder above; run inside a project or pass --project DIR\n"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn doctor_fails_on_a_service_role_that_can_create_temp_tables() {
    let p = Project::new();
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    assert_eq!(p.run(&["doctor"]).await.code, 0);
    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(&format!("GRANT TEMPORARY ON DATABASE {} TO PUBLIC", p.db))
        .execute(&mut admin)
        .await
        .unwrap();
    let run = p.run(&["doctor"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains(&format!(
            "  FAIL  service role {}: can create temporary tables in the database (TEMPORARY, \
             often through PUBLIC); run `pgtenant bootstrap` to revoke it\n",
            p.svc
        )),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn doctor_names_the_roles_a_service_role_is_a_member_of() {
    let p = Project::new();
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    let group = pgtenant_testkit::TestRole::new("pgt_cli_grp", "NOLOGIN").await;
    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(&format!("GRANT {} TO {}", group.name, p.svc))
        .execute(&mut admin)
        .await
        .unwrap();
    let run = p.run(&["doctor"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains(&format!(
            "  FAIL  service role {}: is a member of {}\n",
            p.svc, group.name
        )),
        "{}",
        run.stdout
    );
}
