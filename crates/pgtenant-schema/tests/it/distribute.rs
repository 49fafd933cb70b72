//! The distribution plan on schemas loaded into a real server and read back
//! by introspection: what PostgreSQL prints (function definitions, policy
//! expressions, sequence defaults) is what the rules read.

use pgtenant_schema::distribute::{plan, Code};
use pgtenant_schema::tenancy::{apply, TenancyRules};
use pgtenant_schema::QualName;
use pgtenant_testkit::TestDb;

fn rules() -> TenancyRules {
    TenancyRules {
        root_table: Some(QualName::new("public", "tenants")),
        ..TenancyRules::new("tenant_id", "app.tenant_id")
    }
}

/// `code object` of each finding of `sql` as introspected (no transform).
async fn findings(sql: &str) -> Vec<String> {
    let db = TestDb::new().await;
    db.exec(sql).await;
    let mut conn = db.conn().await;
    let c = pgtenant_schema::introspect(&mut conn)
        .await
        .expect("introspect");
    plan(&c, &rules(), "app")
        .findings
        .iter()
        .map(|f| format!("{} {}", f.code, f.object))
        .collect()
}

const BASE: &str = "
CREATE TABLE tenants (id uuid PRIMARY KEY);
CREATE TABLE notes (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id bigserial,
    author uuid,
    PRIMARY KEY (tenant_id, id)
);
";

#[tokio::test]
async fn distribute_reads_introspected_functions_in_policies() {
    let sql = format!(
        "{BASE}
CREATE FUNCTION current_tenant() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;
CREATE FUNCTION author_ok(a uuid) RETURNS boolean LANGUAGE sql STABLE
    BEGIN ATOMIC SELECT a IS NOT NULL; END;
CREATE FUNCTION reads_notes(t uuid) RETURNS boolean LANGUAGE sql STABLE
    AS $$ SELECT count(*) > 0 FROM notes WHERE tenant_id = t $$;
CREATE FUNCTION volatile_check(t uuid) RETURNS boolean LANGUAGE sql
    AS $$ SELECT t IS NOT NULL $$;
CREATE POLICY fine ON notes USING (tenant_id = current_tenant() AND author_ok(author));
CREATE POLICY reads ON notes USING (reads_notes(tenant_id));
CREATE POLICY volatile ON notes USING (volatile_check(tenant_id));
"
    );
    assert_eq!(
        findings(&sql).await,
        [
            "policy-function-not-pushable policy reads on public.notes",
            "policy-function-not-pushable policy volatile on public.notes",
        ]
    );
}

#[tokio::test]
async fn distribute_reads_introspected_serials_and_the_transform_policy() {
    let sql = format!(
        "{BASE}
CREATE TABLE small (tenant_id uuid NOT NULL, id serial, n int GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (tenant_id, id));
"
    );
    assert_eq!(
        findings(&sql).await,
        [
            "sequence-not-bigint column public.small.id",
            "sequence-not-bigint column public.small.n",
        ]
    );
    // After the tenancy transform, pgtenant's own policy is the blocker.
    let db = TestDb::new().await;
    db.exec(BASE).await;
    let mut conn = db.conn().await;
    let (c, _) = apply(&mut conn, &rules()).await.expect("apply");
    let p = plan(&c, &rules(), "app");
    let codes: Vec<Code> = p.findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, [Code::PolicySubquery, Code::PolicySubquery]);
}
