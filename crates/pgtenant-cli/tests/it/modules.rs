//! Building-block modules through the CLI: `modules = [...]` in the
//! manifest, the modules' SQL in the generated migration, applied, with no
//! drift afterwards, and the modules' grants (not bootstrap's) on their
//! objects.

use crate::support::{Project, Run};
use sqlx::Connection;

const SCHEMA: &str = "CREATE TABLE tenants (
    id   uuid PRIMARY KEY,
    name text NOT NULL
);

CREATE TABLE memberships (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id   uuid NOT NULL,
    status    text NOT NULL DEFAULT 'active',
    PRIMARY KEY (tenant_id, user_id)
);
";

const TENANT: &str = "00000000-0000-4000-8000-00000000000a";
const USER: &str = "00000000-0000-4000-8000-0000000000f1";

impl Project {
    /// The project's manifest with `[tenancy]` set for modules and the
    /// database listing `modules`.
    fn with_modules(modules: &str) -> Project {
        let p = Project::new();
        let text = p.manifest_text().replacen(
            "[[database]]",
            "[tenancy]\nuser_setting = \"app.user_id\"\nmembership = { table = \"memberships\", \
             user_column = \"user_id\", tenant_column = \"tenant_id\", status_column = \"status\" }\n\n\
             [[database]]",
            1,
        );
        p.write_manifest(&format!("{text}modules = [{modules}]\n"));
        let dir = p.dir.path().join("schema").join(&p.db);
        std::fs::create_dir_all(&dir).expect("mkdir schema");
        std::fs::write(dir.join("01_tenants.sql"), SCHEMA).expect("write schema");
        p
    }

    async fn must(&self, args: &[&str]) -> Run {
        let run = self.run(args).await;
        assert_eq!(
            run.code, 0,
            "pgtenant {args:?}\nstdout: {}\nstderr: {}",
            run.stdout, run.stderr
        );
        run
    }

    fn migration_text(&self) -> String {
        let dir = self.dir.path().join("migrations").join(&self.db);
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("migrations dir")
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect()
    }
}

/// The first message of a statement the connection refuses.
async fn refused(conn: &mut sqlx::PgConnection, sql: &str) -> String {
    let mut tx = conn.begin().await.unwrap();
    let err = sqlx::raw_sql(sql).execute(&mut *tx).await.unwrap_err();
    tx.rollback().await.unwrap();
    err.as_database_error().unwrap().message().to_owned()
}

#[tokio::test]
async fn modules_are_generated_into_a_migration_applied_and_converge() {
    let p = Project::with_modules("\"rbac\", \"audit\", \"flags\"");
    p.must(&["bootstrap"]).await;
    p.must(&["generate", "--db", &p.db, "--name", "init"]).await;
    let text = p.migration_text();
    for expected in [
        "CREATE TABLE pgtenant.roles (",
        "CREATE TABLE pgtenant.audit_log (",
        "CREATE TABLE pgtenant.flags (",
        "CREATE OR REPLACE FUNCTION pgtenant.has_permission(",
        &format!("GRANT INSERT ON TABLE pgtenant.audit_log TO {};", p.svc),
    ] {
        assert!(text.contains(expected), "no {expected:?} in\n{text}");
    }
    p.must(&["migrate"]).await;
    // Nothing left to generate, no drift: the live grants are the modules'
    // own, not widened by default privileges.
    let again = p
        .must(&["generate", "--db", &p.db, "--name", "again"])
        .await;
    assert!(again.stdout.contains("no changes"), "{}", again.stdout);
    p.must(&["check"]).await;

    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(&format!(
        "INSERT INTO tenants VALUES ('{TENANT}', 'A');
         INSERT INTO memberships (tenant_id, user_id) VALUES ('{TENANT}', '{USER}');
         INSERT INTO pgtenant.permissions (name) VALUES ('content.read'), ('content.delete');
         INSERT INTO pgtenant.roles (name, allow, deny) VALUES ('member', '{{content.*}}', '{{content.delete}}');"
    ))
    .execute(&mut admin)
    .await
    .unwrap();

    let mut svc = p
        .conn_as(&p.svc, crate::support::SVC_PASSWORD)
        .await
        .unwrap();
    let mut tx = svc.begin().await.unwrap();
    sqlx::raw_sql(&format!(
        "SELECT set_config('app.tenant_id', '{TENANT}', true), set_config('app.user_id', '{USER}', true);
         INSERT INTO pgtenant.role_grants (tenant_id, user_id, role_id)
           SELECT '{TENANT}', '{USER}', role_id FROM pgtenant.roles WHERE name = 'member';"
    ))
    .execute(&mut *tx)
    .await
    .unwrap();
    let (read, delete, seq): (bool, bool, i64) = sqlx::query_as(
        "SELECT pgtenant.has_permission('content.read'), pgtenant.has_permission('content.delete'), \
         pgtenant.audit('content.node.create')",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!((read, delete, seq), (true, false, 1));
    tx.commit().await.unwrap();

    // The modules' grants, not bootstrap's DML on everything.
    for (sql, table) in [
        ("DELETE FROM pgtenant.audit_log", "audit_log"),
        (
            "INSERT INTO pgtenant.permissions VALUES ('x.y')",
            "permissions",
        ),
        ("UPDATE pgtenant.flags SET default_enabled = true", "flags"),
    ] {
        assert_eq!(
            refused(&mut svc, sql).await,
            format!("permission denied for table {table}")
        );
    }
    // The tenancy transform left the module tables' own policies alone.
    let policies: Vec<String> = sqlx::query_scalar(
        "SELECT policyname::text FROM pg_policies WHERE schemaname = 'pgtenant' \
         AND tablename = 'roles' ORDER BY 1",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(policies, ["roles_read", "roles_tenant_write"]);
}

#[tokio::test]
async fn an_unknown_or_repeated_module_is_a_manifest_error() {
    let p = Project::with_modules("\"rbac\", \"acl\"");
    let run = p.run(&["generate", "--db", &p.db, "--name", "x"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(
            "database `{}`: modules: unknown module \"acl\"; the known modules are: audit, flags, rbac"
                .replace("{}", &p.db)
                .as_str()
        ),
        "{}",
        run.stderr
    );
    let p = Project::with_modules("\"audit\", \"audit\"");
    let run = p.run(&["generate", "--db", &p.db, "--name", "x"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "database `{}`: module \"audit\" is listed twice",
            p.db
        )),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn modules_before_bootstrap_say_to_run_it() {
    let p = Project::with_modules("\"audit\"");
    let run = p.run(&["generate", "--db", &p.db, "--name", "init"]).await;
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "the module grants privileges to the service role {}: run `pgtenant bootstrap` first to create it",
            p.svc
        )),
        "{}",
        run.stderr
    );
}
