//! The tenancy transform and the lints on schemas loaded into a real
//! server and read back by introspection.

use pgtenant_schema::finding::FindingCode;
use pgtenant_schema::lint::{lint, RoleFacts};
use pgtenant_schema::tenancy::{apply, transform, TenancyRules, ISOLATION_POLICY};
use pgtenant_schema::{Catalog, PolicyCommand, QualName};
use pgtenant_testkit::TestDb;

fn cfg() -> TenancyRules {
    TenancyRules {
        root_table: Some(QualName::new("public", "tenants")),
        ..TenancyRules::new("tenant_id", "app.tenant_id")
    }
}

fn q(name: &str) -> QualName {
    QualName::new("public", name)
}

/// Load `sql`, apply the transform; returns the database and the
/// transformed catalog.
async fn transformed(sql: &str) -> (TestDb, Catalog) {
    let db = TestDb::new().await;
    db.exec(sql).await;
    let mut conn = db.conn().await;
    let (catalog, out) = apply(&mut conn, &cfg()).await.expect("apply");
    assert!(!out.statements.is_empty());
    (db, catalog)
}

fn schema(key_type: &str) -> String {
    format!(
        "CREATE TABLE tenants (id {key_type} PRIMARY KEY, name text NOT NULL);
         CREATE TABLE notes (
             tenant_id {key_type} NOT NULL REFERENCES tenants(id),
             id bigint GENERATED ALWAYS AS IDENTITY,
             body text,
             PRIMARY KEY (tenant_id, id)
         );"
    )
}

#[tokio::test]
async fn the_transform_is_idempotent_on_what_postgres_prints() {
    for key_type in ["uuid", "text", "character varying(20)", "bigint"] {
        let (_db, c) = transformed(&schema(key_type)).await;
        let again = transform(&c, &cfg());
        assert_eq!(again.statements, Vec::<String>::new(), "{key_type}");
        for t in ["tenants", "notes"] {
            let t = &c.tables[&q(t)];
            assert!(t.rls_enabled && t.rls_forced, "{key_type}");
            let p = &t.policies[ISOLATION_POLICY];
            assert_eq!(p.command, PolicyCommand::All);
            assert_eq!(p.using, p.with_check);
        }
        // And the result is clean under every lint.
        assert_eq!(
            lint(&c, &cfg(), &RoleFacts::default()),
            vec![],
            "{key_type}"
        );
    }
}

#[tokio::test]
async fn the_policy_postgres_prints_for_uuid_keys() {
    let (_db, c) = transformed(&schema("uuid")).await;
    assert_eq!(
        c.tables[&q("notes")].policies[ISOLATION_POLICY].using.as_deref(),
        Some(
            "(tenant_id = ( SELECT (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid AS \"nullif\"))"
        )
    );
}

/// The (object, code) pairs of the lints on a transformed schema plus
/// `flaw`, for the service role `svc`. The part of `flaw` after a line
/// `--after--` runs after the transform.
async fn check(flaw: &str) -> Vec<(String, FindingCode)> {
    let svc = pgtenant_testkit::TestRole::new("pgt_lint_svc", "LOGIN").await;
    let flaw = flaw.replace("{svc}", &svc.name);
    let (before, after) = flaw.split_once("--after--").unwrap_or((&flaw, ""));
    let sql = format!("{}\n{before}", schema("uuid"));
    let out = {
        let (db, mut c) = transformed(&sql).await;
        if !after.trim().is_empty() {
            db.exec(after).await;
            let mut conn = db.conn().await;
            c = pgtenant_schema::introspect(&mut conn).await.unwrap();
        }
        let roles = {
            let mut conn = db.conn().await;
            let member_of: Vec<String> = sqlx::query_scalar(
                "SELECT m.rolname::text FROM pg_roles r, pg_roles m \
                 WHERE r.rolname = $1 AND m.oid <> r.oid AND pg_has_role(r.oid, m.oid, 'MEMBER')",
            )
            .bind(&svc.name)
            .fetch_all(&mut conn)
            .await
            .unwrap();
            RoleFacts {
                service_role: Some(svc.name.clone()),
                member_of,
            }
        };
        let out: Vec<(String, FindingCode)> = lint(&c, &cfg(), &roles)
            .into_iter()
            .map(|f| (f.object.to_string(), f.code))
            .collect();
        db.drop_now().await;
        out
    };
    out
}

/// Lint `flaw` (see [`check`]) and compare with the expected findings.
async fn lint_case(flaw: &str, want: Vec<(&str, FindingCode)>) {
    // A role a case creates is cluster-wide: make it unique.
    let owner = pgtenant_testkit::unique_name("pgt_lint_owner");
    let flaw = flaw.replace("{owner}", &owner);
    let got = check(&flaw).await;
    pgtenant_testkit::drop_role(&owner).await;
    let want: Vec<(String, FindingCode)> =
        want.into_iter().map(|(o, c)| (o.to_owned(), c)).collect();
    assert_eq!(got, want, "{flaw}");
}

#[tokio::test]
async fn lint_clean_schema_has_no_findings() {
    lint_case("", vec![]).await;
}

#[tokio::test]
async fn lint_nullable_tenant_column() {
    use FindingCode::*;
    lint_case(
        "CREATE TABLE loose (tenant_id uuid, x int); CREATE INDEX ON loose (tenant_id);",
        vec![("column public.loose.tenant_id", TenantColumnNullable)],
    )
    .await;
}

#[tokio::test]
async fn lint_unindexed_tenant_column() {
    use FindingCode::*;
    lint_case(
        "CREATE TABLE unindexed (tenant_id uuid NOT NULL, x int);",
        vec![("table public.unindexed", TenantColumnNotIndexed)],
    )
    .await;
}

#[tokio::test]
async fn lint_fk_without_tenant_column_and_unique_without_it() {
    use FindingCode::*;
    lint_case(
        "CREATE TABLE c (tenant_id uuid NOT NULL, note_id bigint, PRIMARY KEY (tenant_id, note_id));
         ALTER TABLE notes ADD CONSTRAINT notes_id_key UNIQUE (id);
         ALTER TABLE c ADD CONSTRAINT c_note_fkey FOREIGN KEY (note_id) REFERENCES notes (id);",
        vec![
            ("constraint c_note_fkey on public.c", FkWithoutTenantColumn),
            ("constraint notes_id_key on public.notes", UniqueWithoutTenantColumn),
        ],
    )
    .await;
}

#[tokio::test]
async fn lint_unique_index_without_tenant_column() {
    use FindingCode::*;
    lint_case(
        "CREATE UNIQUE INDEX notes_body_idx ON notes (body);",
        vec![("index public.notes_body_idx", UniqueWithoutTenantColumn)],
    )
    .await;
}

#[tokio::test]
async fn lint_definer_and_materialized_views() {
    use FindingCode::*;
    lint_case(
        "CREATE VIEW v AS SELECT * FROM notes;
         CREATE VIEW v_ok WITH (security_invoker = true) AS SELECT * FROM notes;
         CREATE MATERIALIZED VIEW mv AS SELECT * FROM notes; GRANT SELECT ON mv TO {svc};",
        vec![
            ("view public.mv", MaterializedViewOverTenantTables),
            ("view public.v", ViewNotSecurityInvoker),
        ],
    )
    .await;
}

#[tokio::test]
async fn lint_security_definer_functions() {
    use FindingCode::*;
    lint_case(
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
         CREATE FUNCTION g() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS 'SELECT 1';
         REVOKE EXECUTE ON FUNCTION g() FROM PUBLIC;
         CREATE FUNCTION h() RETURNS int LANGUAGE sql AS 'SELECT 1';",
        vec![
            ("function public.f()", DefinerFunctionUnpinnedSearchPath),
            ("function public.f()", DefinerFunctionExecutableByServiceRole),
        ],
    )
    .await;
}

#[tokio::test]
async fn lint_service_role_privileges_and_ownership() {
    use FindingCode::*;
    lint_case(
        "GRANT TRUNCATE, REFERENCES ON notes TO {svc}; ALTER TABLE tenants OWNER TO {svc};",
        vec![
            ("table public.notes", ServiceRoleDangerousPrivilege),
            ("table public.tenants", ServiceRoleOwnsObject),
        ],
    )
    .await;
}

#[tokio::test]
async fn lint_service_role_member_of_an_owner() {
    use FindingCode::*;
    lint_case(
        "CREATE ROLE {owner} NOLOGIN; GRANT {owner} TO {svc};
         ALTER TABLE notes OWNER TO {owner};",
        vec![("table public.notes", ServiceRoleMemberOfOwner)],
    )
    .await;
}

#[tokio::test]
async fn lint_unsafe_user_policies_and_unforced_rls() {
    use FindingCode::*;
    lint_case(
        "CREATE POLICY open ON notes FOR SELECT USING (true);
         CREATE POLICY upd ON notes FOR UPDATE USING (body IS NOT NULL);
         --after--
         ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY;",
        vec![
            ("table public.tenants", RlsNotForced),
            ("policy open on public.notes", PolicyAlwaysTrue),
            ("policy upd on public.notes", PolicyWithoutWithCheck),
        ],
    )
    .await;
}
