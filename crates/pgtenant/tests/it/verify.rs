//! `verify` on real databases: a transformed schema passes, and each way of
//! breaking isolation fails naming exactly what broke.

use pgtenant::schema::finding::{FindingCode, Severity};
use pgtenant::schema::model::{Catalog, QualName};
use pgtenant::schema::tenancy::{transform, TenancyRules};
use pgtenant::verify::{codes, verify, Outcome, Probe, Report, VerifyTarget};
use pgtenant_testkit::{TestDb, TestRole};
use sqlx::postgres::PgConnectOptions;
use std::str::FromStr;

const PASSWORD: &str = "verify-test-password";

/// A tenant schema with uuid keys: tenants, notes, comments (composite key
/// to notes), a global `plans` table.
const UUID_SCHEMA: &str = r#"
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE tenants (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL
);
CREATE TABLE plans (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE notes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    title text NOT NULL,
    plan_id bigint REFERENCES plans(id),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id)
);
CREATE TABLE comments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants(id),
    note_id bigint NOT NULL,
    body text NOT NULL,
    FOREIGN KEY (tenant_id, note_id) REFERENCES notes (tenant_id, id)
);
CREATE INDEX comments_tenant_idx ON comments (tenant_id, note_id);
"#;

/// The same shape with text tenant keys and no defaults anywhere.
const TEXT_SCHEMA: &str = r#"
CREATE TABLE tenants (slug varchar(20) PRIMARY KEY, name text NOT NULL);
CREATE TABLE notes (
    tenant_id varchar(20) NOT NULL REFERENCES tenants(slug),
    code text NOT NULL,
    amount numeric(10,2) NOT NULL,
    PRIMARY KEY (tenant_id, code)
);
"#;

/// bigint identity keys.
const BIGINT_SCHEMA: &str = r#"
CREATE TABLE tenants (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE notes (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id),
    title text NOT NULL
);
CREATE INDEX notes_tenant_idx ON notes (tenant_id);
"#;

struct Setup {
    // Field order matters: the database is dropped before the role.
    db: TestDb,
    svc: TestRole,
    cfg: TenancyRules,
}

fn cfg() -> TenancyRules {
    TenancyRules {
        root_table: Some(QualName::new("public", "tenants")),
        global_tables: vec![QualName::new("public", "plans")],
        ..TenancyRules::new("tenant_id", "app.tenant_id")
    }
}

async fn catalog(db: &TestDb) -> Catalog {
    let mut conn = db.conn().await;
    pgtenant::schema::introspect(&mut conn)
        .await
        .expect("introspect")
}

/// Load `schema`, create the service role with DML grants, apply the
/// tenancy transform.
async fn setup(schema: &str) -> Setup {
    let svc = TestRole::new(
        "pgt_svc",
        &format!("LOGIN PASSWORD '{PASSWORD}' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"),
    )
    .await;
    let db = TestDb::with_prefix("pgt_verify").await;
    db.exec(schema).await;
    db.exec(&format!(
        "GRANT USAGE ON SCHEMA public TO {0};
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {0};
         GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {0};",
        svc.name
    ))
    .await;
    if schema.contains("CREATE TABLE plans") {
        // A global table: read-only for the service role, as bootstrap grants.
        db.exec(&format!(
            "REVOKE INSERT, UPDATE, DELETE ON plans FROM {}",
            svc.name
        ))
        .await;
    }
    let cfg = cfg();
    let out = transform(&catalog(&db).await, &cfg);
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
    db.exec(&out.statements.join(";\n")).await;
    Setup { db, svc, cfg }
}

impl Setup {
    async fn verify(&self) -> Report {
        let admin = PgConnectOptions::from_str(&self.db.url).unwrap();
        let service = admin.clone().username(&self.svc.name).password(PASSWORD);
        let target = VerifyTarget {
            admin,
            service,
            service_role: self.svc.name.clone(),
        };
        verify(&target, &catalog(&self.db).await, &self.cfg)
            .await
            .expect("verify runs")
    }
}

/// Codes of the error findings and failed checks, sorted.
fn failures(r: &Report) -> Vec<String> {
    let mut out: Vec<String> = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{} {}", f.code, f.object))
        .collect();
    out.extend(
        r.failures()
            .into_iter()
            .map(|f| format!("{} {}", f.check, f.table)),
    );
    out.sort();
    out
}

fn assert_all_proven(r: &Report) {
    assert!(r.passed(), "{}", r.render());
    for t in &r.tables {
        assert!(
            !matches!(t.probe, Probe::NotProbed { .. }),
            "{}",
            r.render()
        );
        for c in &t.checks {
            assert_eq!(
                c.outcome,
                Outcome::Proven,
                "{} {}\n{}",
                t.table,
                c.code,
                r.render()
            );
        }
        assert_eq!(t.checks.len(), 8, "{}", r.render());
    }
    for c in &r.session {
        assert_eq!(c.outcome, Outcome::Proven, "{}\n{}", c.code, r.render());
    }
}

#[tokio::test]
async fn transformed_uuid_schema_passes_and_everything_is_proven() {
    let s = setup(UUID_SCHEMA).await;
    // Existing data: tenant rows are copied, and stay untouched.
    s.db.exec(
        "INSERT INTO tenants (id, name) VALUES ('11111111-1111-1111-1111-111111111111', 'acme');
         INSERT INTO notes (tenant_id, title) VALUES ('11111111-1111-1111-1111-111111111111', 'n');",
    )
    .await;
    let r = s.verify().await;
    assert_all_proven(&r);
    let probes: Vec<(String, Probe)> = r
        .tables
        .iter()
        .map(|t| (t.table.to_string(), t.probe.clone()))
        .collect();
    assert_eq!(
        probes,
        [
            ("public.comments".to_owned(), Probe::Synthesised),
            ("public.notes".to_owned(), Probe::Copied),
            ("public.tenants".to_owned(), Probe::ProbeTenants),
        ]
    );
    // Nothing was committed.
    let mut conn = s.db.conn().await;
    let n: i64 = sqlx::query_scalar("SELECT (SELECT count(*) FROM tenants) + (SELECT count(*) FROM notes) + (SELECT count(*) FROM comments)")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert!(
        r.render().ends_with(
            "isolation verified: 0 error finding(s), 0 failed check(s), 0 unproven table(s)\n"
        ),
        "{}",
        r.render()
    );
}

#[tokio::test]
async fn text_keys_pass() {
    let s = setup(TEXT_SCHEMA).await;
    assert_all_proven(&s.verify().await);
}

#[tokio::test]
async fn bigint_identity_keys_pass() {
    let s = setup(BIGINT_SCHEMA).await;
    let r = s.verify().await;
    assert!(r.passed(), "{}", r.render());
    // A GENERATED ALWAYS key cannot be moved to another tenant at all.
    let tenants = r.tables.iter().find(|t| t.table.name == "tenants").unwrap();
    let moved = tenants
        .checks
        .iter()
        .find(|c| c.code == codes::MOVE_REJECTED)
        .unwrap();
    assert_eq!(
        moved.outcome,
        Outcome::Skipped {
            reason: "id is GENERATED ALWAYS and cannot be updated at all".into()
        }
    );
    let notes = r.tables.iter().find(|t| t.table.name == "notes").unwrap();
    assert!(
        notes.checks.iter().all(|c| c.outcome == Outcome::Proven),
        "{}",
        r.render()
    );
}

#[tokio::test]
async fn dropping_force_fails_with_rls_not_forced() {
    let s = setup(UUID_SCHEMA).await;
    s.db.exec("ALTER TABLE notes NO FORCE ROW LEVEL SECURITY")
        .await;
    let r = s.verify().await;
    assert!(!r.passed());
    assert_eq!(failures(&r), ["rls-not-forced table public.notes"]);
}

#[tokio::test]
async fn a_using_true_policy_fails_statically_and_behaviourally() {
    let s = setup(UUID_SCHEMA).await;
    s.db.exec("CREATE POLICY open_read ON notes FOR SELECT USING (true)")
        .await;
    let r = s.verify().await;
    assert_eq!(
        failures(&r),
        [
            "policy-always-true policy open_read on public.notes",
            "reads-empty-with-empty-tenant public.notes",
            "reads-empty-without-tenant public.notes",
            "select-hides-other-tenant public.notes",
        ]
    );
    let detail = r
        .failures()
        .into_iter()
        .find(|f| f.check == codes::SELECT_HIDES)
        .map(|f| f.detail)
        .unwrap();
    assert_eq!(detail, "as tenant A, SELECT returns tenant B's row");
}

#[tokio::test]
async fn a_write_grant_on_a_read_only_global_table_fails_even_on_one_column() {
    let s = setup(UUID_SCHEMA).await;
    s.db.exec(&format!("GRANT UPDATE (name) ON plans TO {}", s.svc.name))
        .await;
    let report = s.verify().await;
    let f = report
        .findings
        .iter()
        .find(|f| f.code == FindingCode::ServiceRoleGrantTooWide)
        .expect("a grant-too-wide finding");
    assert_eq!(
        f.message,
        format!(
            "service role {} can UPDATE on public.plans (a read-only global table); any request \
             could change rows other tenants depend on",
            s.svc.name
        )
    );
    assert!(!report.passed());
}

#[tokio::test]
async fn granting_truncate_fails() {
    let s = setup(UUID_SCHEMA).await;
    s.db.exec(&format!("GRANT TRUNCATE ON notes TO {}", s.svc.name))
        .await;
    let r = s.verify().await;
    assert_eq!(
        failures(&r),
        ["service-role-dangerous-privilege table public.notes"]
    );
    let f = &r
        .findings
        .iter()
        .find(|f| f.severity == Severity::Error)
        .unwrap();
    assert_eq!(
        f.message,
        format!(
            "service role {} holds TRUNCATE on public.notes; TRUNCATE ignores row level security, \
             REFERENCES and TRIGGER reach beyond DML",
            s.svc.name
        )
    );
}

#[tokio::test]
async fn service_role_owning_a_table_fails() {
    let s = setup(UUID_SCHEMA).await;
    s.db.exec(&format!("ALTER TABLE comments OWNER TO {}", s.svc.name))
        .await;
    let r = s.verify().await;
    assert_eq!(
        failures(&r),
        ["service-role-owns-object table public.comments"]
    );
}

#[tokio::test]
async fn a_plain_foreign_key_across_tenant_tables_fails() {
    let s = setup(UUID_SCHEMA).await;
    s.db.exec("ALTER TABLE comments ADD CONSTRAINT comments_note_plain_fkey FOREIGN KEY (note_id) REFERENCES notes (id)").await;
    let r = s.verify().await;
    assert_eq!(
        failures(&r),
        ["fk-without-tenant-column constraint comments_note_plain_fkey on public.comments"]
    );
}

#[tokio::test]
async fn a_definer_view_fails() {
    let s = setup(UUID_SCHEMA).await;
    s.db.exec(&format!(
        "CREATE VIEW note_titles AS SELECT tenant_id, title FROM notes; GRANT SELECT ON note_titles TO {}",
        s.svc.name
    ))
    .await;
    let r = s.verify().await;
    assert_eq!(
        failures(&r),
        ["view-not-security-invoker view public.note_titles"]
    );
}

#[tokio::test]
async fn a_tenant_set_at_login_fails() {
    let s = setup(UUID_SCHEMA).await;
    s.db.exec(&format!(
        "ALTER ROLE {} IN DATABASE {} SET app.tenant_id = '11111111-1111-1111-1111-111111111111'",
        s.svc.name, s.db.name
    ))
    .await;
    let r = s.verify().await;
    // The role default comes back after every commit too.
    assert_eq!(
        failures(&r),
        [
            "login-carries-no-tenant session",
            "no-tenant-after-commit session"
        ]
    );
}

#[tokio::test]
async fn unprobeable_tables_are_reported_with_the_reason() {
    let s = setup(
        "CREATE TABLE tenants (id uuid PRIMARY KEY);
         CREATE TABLE shapes (tenant_id uuid NOT NULL REFERENCES tenants(id), p point NOT NULL);
         CREATE INDEX ON shapes (tenant_id);",
    )
    .await;
    let r = s.verify().await;
    assert!(r.passed(), "{}", r.render());
    let shapes = r.tables.iter().find(|t| t.table.name == "shapes").unwrap();
    assert_eq!(
        shapes.probe,
        Probe::NotProbed {
            reason: "cannot synthesise a value of type point for column p".into()
        }
    );
    assert!(r.render().contains("tenant public.shapes (could not probe: cannot synthesise a value of type point for column p)"), "{}", r.render());
}

#[tokio::test]
async fn partitioned_tenant_tables_are_proven_on_parent_and_partitions() {
    let s = setup(
        "CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL);
         CREATE TABLE events (
             tenant_id uuid NOT NULL REFERENCES tenants(id),
             at timestamptz NOT NULL DEFAULT now(),
             kind text NOT NULL
         ) PARTITION BY RANGE (at);
         CREATE INDEX ON events (tenant_id, at);
         CREATE TABLE events_all PARTITION OF events DEFAULT;",
    )
    .await;
    let r = s.verify().await;
    assert_all_proven(&r);
    let tables: Vec<String> = r.tables.iter().map(|t| t.table.to_string()).collect();
    assert_eq!(
        tables,
        ["public.events", "public.events_all", "public.tenants"]
    );
    // A partition without RLS of its own leaks when read directly.
    s.db.exec("ALTER TABLE events_all NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY")
        .await;
    let r = s.verify().await;
    assert_eq!(
        failures(&r),
        [
            "reads-empty-with-empty-tenant public.events_all",
            "reads-empty-without-tenant public.events_all",
            "rls-not-enabled table public.events_all",
            "rls-not-forced table public.events_all",
            "select-hides-other-tenant public.events_all",
            "update-skips-other-tenant public.events_all",
            "delete-skips-other-tenant public.events_all",
            "insert-other-tenant-rejected public.events_all",
            "update-to-other-tenant-rejected public.events_all",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
}
