//! Least privilege for global tables: bootstrap grants the service role
//! only SELECT on global tables unless the manifest declares them writable,
//! applies per-table overrides exactly, and a re-run takes back what was
//! granted before. Every attack runs as the real service role.

use crate::support::{Project, SVC_PASSWORD};
use sqlx::PgConnection;

/// The project's manifest with `extra` in `[tenancy]` and `grants` as the
/// database's `[database.grants]`.
fn manifest(p: &Project, tenancy: &str, grants: &str) -> String {
    let base = p.manifest_text();
    let base = base.replace(
        "[[database]]",
        &format!("[tenancy]\n{tenancy}\n\n[[database]]"),
    );
    format!("{base}\n[database.grants]\n{grants}\n")
}

const SCHEMA: &str = "
CREATE TABLE tenants (id uuid PRIMARY KEY);
CREATE TABLE plans (id int PRIMARY KEY, name text);
CREATE TABLE signups (id int PRIMARY KEY, email text);
CREATE TABLE notes (id int PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants, body text);
CREATE TABLE audit_events (id int PRIMARY KEY, tenant_id uuid NOT NULL, what text);
INSERT INTO plans VALUES (1, 'free');
INSERT INTO audit_events VALUES (1, '00000000-0000-0000-0000-000000000001', 'seeded');
";

/// Run `sql` as the service role: Ok, or the server's message.
async fn attempt(svc: &mut PgConnection, sql: &str) -> Result<(), String> {
    sqlx::raw_sql(sql)
        .execute(&mut *svc)
        .await
        .map(|_| ())
        .map_err(|e| {
            e.as_database_error()
                .map_or(e.to_string(), |d| d.message().to_owned())
        })
}

async fn project_with_schema(tenancy: &str, grants: &str) -> Project {
    let p = Project::new();
    p.write_manifest(&manifest(&p, tenancy, grants));
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(SCHEMA).execute(&mut admin).await.unwrap();
    p
}

#[tokio::test]
async fn global_tables_are_read_only_for_the_service_role_unless_declared_writable() {
    let p = project_with_schema(
        "writable_global_tables = [\"signups\"]",
        "audit_events = [\"SELECT\", \"INSERT\"]",
    )
    .await;
    // An older bootstrap gave DML on everything: the next run takes it back.
    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(&format!(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON plans, audit_events TO {svc}; \
         GRANT UPDATE (name) ON plans TO {svc}",
        svc = p.svc
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    for expected in [
        format!(
            "revoke INSERT, UPDATE, DELETE on public.plans from {} (a global table is read-only \
             for the service role unless writable_global_tables lists it)",
            p.svc
        ),
        format!(
            "revoke UPDATE, DELETE on public.audit_events from {} (as [database.grants] declares)",
            p.svc
        ),
    ] {
        assert!(
            run.stdout.contains(&expected),
            "missing {expected:?} in\n{}",
            run.stdout
        );
    }
    let again = p.run(&["bootstrap"]).await;
    assert!(
        again.stdout.starts_with("bootstrap: nothing to do"),
        "{again:?}"
    );

    let mut svc = p.conn_as(&p.svc, SVC_PASSWORD).await.unwrap();
    let denied = |t: &str| Err(format!("permission denied for table {t}"));
    assert_eq!(attempt(&mut svc, "SELECT * FROM plans").await, Ok(()));
    assert_eq!(
        attempt(&mut svc, "DELETE FROM plans").await,
        denied("plans")
    );
    assert_eq!(
        attempt(&mut svc, "UPDATE plans SET name = 'pwned'").await,
        denied("plans")
    );
    assert_eq!(
        attempt(&mut svc, "INSERT INTO plans VALUES (2, 'x')").await,
        denied("plans")
    );
    // Declared writable: works.
    assert_eq!(
        attempt(&mut svc, "INSERT INTO signups VALUES (1, 'a@example.com')").await,
        Ok(())
    );
    assert_eq!(attempt(&mut svc, "DELETE FROM signups").await, Ok(()));
    // Declared SELECT and INSERT only: never widened to UPDATE or DELETE.
    assert_eq!(
        attempt(&mut svc, "UPDATE audit_events SET what = 'x'").await,
        denied("audit_events")
    );
    assert_eq!(
        attempt(&mut svc, "DELETE FROM audit_events").await,
        denied("audit_events")
    );
}

#[tokio::test]
async fn a_global_table_created_by_a_later_migration_is_read_only_too() {
    let p = project_with_schema("", "").await;
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    // Created after bootstrap, as a migration would: the default privileges
    // give the service role SELECT only, before any re-run.
    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(
        "CREATE TABLE features (id int PRIMARY KEY); \
         CREATE TABLE comments (id int PRIMARY KEY, tenant_id uuid NOT NULL)",
    )
    .execute(&mut admin)
    .await
    .unwrap();
    let mut svc = p.conn_as(&p.svc, SVC_PASSWORD).await.unwrap();
    let denied = |t: &str| Err(format!("permission denied for table {t}"));
    assert_eq!(attempt(&mut svc, "SELECT * FROM features").await, Ok(()));
    assert_eq!(
        attempt(&mut svc, "DELETE FROM features").await,
        denied("features")
    );
    assert_eq!(
        attempt(&mut svc, "DELETE FROM comments").await,
        denied("comments")
    );
    // The re-run (`up` does it after migrate) gives the tenant table DML.
    let run = p.run(&["bootstrap"]).await;
    assert!(
        run.stdout.contains(&format!(
            "grant INSERT, UPDATE, DELETE on public.comments to {}",
            p.svc
        )),
        "{run:?}"
    );
    assert_eq!(attempt(&mut svc, "DELETE FROM comments").await, Ok(()));
    assert_eq!(
        attempt(&mut svc, "DELETE FROM features").await,
        denied("features")
    );
}

#[tokio::test]
async fn a_grant_rule_naming_no_table_of_the_database_is_an_error_with_its_line() {
    let p = project_with_schema("writable_global_tables = [\"signup\"]", "").await;
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    let text = manifest(&p, "writable_global_tables = [\"signup\"]", "");
    let line = text.lines().position(|l| l.contains("\"signup\"")).unwrap() + 1;
    assert!(
        run.stderr.contains(&format!(
            "pgtenant.toml:{line}: database `{}`: public.signup is not a table of the database; \
             fix the name, or run `pgtenant migrate` first if a pending migration creates it \
             (`pgtenant up` does both)",
            p.db
        )),
        "{run:?}"
    );
}

#[tokio::test]
async fn a_privilege_name_the_manifest_cannot_grant_is_an_error_with_its_line() {
    let p = Project::new();
    for (privilege, why) in [
        (
            "TRUNCATE",
            "\"TRUNCATE\" is never granted to a login role; list the privileges it needs among \
             SELECT, INSERT, UPDATE and DELETE",
        ),
        (
            "SELEKT",
            "\"SELEKT\" is not a table privilege; use SELECT, INSERT, UPDATE or DELETE",
        ),
    ] {
        let text = manifest(
            &p,
            "",
            &format!("audit_events = [\"SELECT\", \"{privilege}\"]"),
        );
        p.write_manifest(&text);
        let run = p.run(&["bootstrap"]).await;
        assert_eq!(run.code, 2, "{run:?}");
        let line = text.lines().count();
        assert!(
            run.stderr.contains(&format!(
                "pgtenant.toml:{line}: database `{}`: grants.audit_events: {why}",
                p.db
            )),
            "{run:?}"
        );
    }
}

/// Load `schema` after bootstrap, isolate its tenant tables as `generate`
/// would, and bootstrap again as `up` does after migrate.
async fn isolated(p: &Project, schema: &str) {
    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(schema).execute(&mut admin).await.unwrap();
    let cfg = pgtenant_schema::tenancy::TenancyRules {
        root_table: Some(pgtenant_schema::model::QualName::new("public", "tenants")),
        ..pgtenant_schema::tenancy::TenancyRules::new("tenant_id", "app.tenant_id")
    };
    pgtenant_schema::tenancy::apply(&mut admin, &cfg)
        .await
        .unwrap();
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
}

#[tokio::test]
async fn verify_reports_a_cascading_key_to_a_writable_global_parent() {
    let p = Project::new();
    p.write_manifest(&manifest(&p, "writable_global_tables = [\"plans\"]", ""));
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    isolated(
        &p,
        "CREATE TABLE tenants (id uuid PRIMARY KEY);
         CREATE TABLE plans (id int PRIMARY KEY);
         CREATE TABLE subscriptions (id int PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants,
           plan_id int REFERENCES plans ON DELETE CASCADE);
         CREATE INDEX ON subscriptions (tenant_id);",
    )
    .await;
    let run = p.run(&["verify"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains(
            "error[fk-cascade-from-writable-global] constraint subscriptions_plan_id_fkey on \
             public.subscriptions: foreign key subscriptions_plan_id_fkey from tenant table \
             public.subscriptions to global table public.plans has ON DELETE CASCADE, and the \
             service role may change public.plans"
        ),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn a_tenant_table_the_service_role_cannot_reach_is_unproven_not_a_crash() {
    let p = Project::new();
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    isolated(
        &p,
        "CREATE TABLE tenants (id uuid PRIMARY KEY);
         CREATE SCHEMA vault;
         CREATE TABLE vault.notes (id int PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants);
         CREATE INDEX ON vault.notes (tenant_id);",
    )
    .await;
    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(&format!("REVOKE USAGE ON SCHEMA vault FROM {}", p.svc))
        .execute(&mut admin)
        .await
        .unwrap();
    let run = p.run(&["verify"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains(&format!(
            "warning[table-unproven] table vault.notes: isolation of vault.notes is not proven: \
             could not probe: service role {svc} cannot use schema vault (no USAGE)",
            svc = p.svc
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with(&format!(
            "verify: isolation NOT proven: 1 table(s) unproven: table vault.notes in {}; pass \
             --allow-unproven to accept them\n",
            p.db
        )),
        "{}",
        run.stdout
    );
    let allowed = p.run(&["verify", "--allow-unproven"]).await;
    assert_eq!(allowed.code, 0, "{allowed:?}");
}
