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

pub(crate) const TENANT: &str = "00000000-0000-4000-8000-00000000000a";
pub(crate) const USER: &str = "00000000-0000-4000-8000-0000000000f1";

impl Project {
    /// The project's manifest with `[tenancy]` set for modules and the
    /// database listing `modules`.
    pub(crate) fn with_modules(modules: &str) -> Project {
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

    pub(crate) async fn must(&self, args: &[&str]) -> Run {
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
    ] {
        assert!(text.contains(expected), "no {expected:?} in\n{text}");
    }
    // A role name belongs to an environment: no migration carries one.
    assert!(!text.contains(&p.svc), "{text}");
    let migrate = p.must(&["migrate"]).await;
    assert!(
        migrate.stdout.contains(&format!(
            "{}: grant the privileges of modules rbac, audit, flags on schema pgtenant to {}",
            p.db, p.svc
        )),
        "{}",
        migrate.stdout
    );
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
            "database `{}`: modules: unknown module \"acl\"; the known modules are: api_keys, audit, flags, invites, rbac, sessions"
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

/// The modules' privileges are bootstrap's to give, for the role the
/// manifest names: `generate` needs no role, `migrate` before bootstrap
/// says what to run, bootstrap then grants exactly the modules' privileges
/// (a wider one added by hand is revoked) and a second run changes nothing.
#[tokio::test]
async fn module_privileges_follow_the_manifest_role_not_the_migrations() {
    let p = Project::with_modules("\"audit\"");
    p.must(&["generate", "--db", &p.db, "--name", "init"]).await;
    assert!(!p.migration_text().contains(&p.svc));

    let admin_url = pgtenant_testkit::admin_url();
    let mut server = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::raw_sql(&format!("CREATE DATABASE {}", p.db))
        .execute(&mut server)
        .await
        .unwrap();
    let migrate = p.must(&["migrate"]).await;
    assert!(
        migrate.stdout.contains(&format!(
            "{}: warning: role {} does not exist, so it has no privileges on what the migrations created; run `pgtenant bootstrap`",
            p.db, p.svc
        )),
        "{}",
        migrate.stdout
    );
    let first = p.must(&["bootstrap"]).await;
    assert!(
        first.stdout.contains(&format!(
            "grant the privileges of module audit on schema pgtenant to {} and {} (6 privileges)",
            p.svc, p.superadmin
        )),
        "{}",
        first.stdout
    );
    let again = p.must(&["bootstrap"]).await;
    assert!(
        !again.stdout.contains("privileges of module"),
        "{}",
        again.stdout
    );

    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(&format!(
        "GRANT UPDATE, DELETE ON pgtenant.audit_log TO {}",
        p.svc
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    let widened = p.must(&["bootstrap"]).await;
    assert!(
        widened.stdout.contains("privileges of module audit"),
        "{}",
        widened.stdout
    );
    let privileges: Vec<String> = sqlx::query_scalar(
        "SELECT privilege_type::text FROM information_schema.role_table_grants \
         WHERE grantee = $1 AND table_schema = 'pgtenant' AND table_name = 'audit_log' ORDER BY 1",
    )
    .bind(&p.svc)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(privileges, ["INSERT", "SELECT"]);
    drop(admin);
    drop(server);
}

impl Project {
    fn rbac_file(&self, name: &str, text: &str) {
        let dir = self.dir.path().join("rbac");
        std::fs::create_dir_all(&dir).expect("mkdir rbac");
        std::fs::write(dir.join(name), text).expect("write rbac file");
    }
}

#[tokio::test]
async fn seed_setup_loads_the_rbac_files_and_access_explains_the_decision() {
    let p = Project::with_modules("\"rbac\"");
    p.rbac_file(
        "permissions.txt",
        "# the catalog\ncontent.read    Read content\ncontent.edit\ncontent.delete\nadmin.users.list\n",
    );
    p.rbac_file(
        "roles.txt",
        "member allow content.*\nmember deny content.delete\nowner allow *\n",
    );
    p.must(&["bootstrap"]).await;
    p.must(&["generate", "--db", &p.db, "--name", "init"]).await;
    p.must(&["migrate"]).await;
    let first = p.must(&["seed", "setup"]).await;
    assert!(
        first.stdout.contains(&format!(
            "{}: rbac: 4 permissions and 2 global roles in the files; 4 permissions and 2 roles changed",
            p.db
        )),
        "{}",
        first.stdout
    );
    let again = p.must(&["seed", "setup"]).await;
    assert!(
        again.stdout.contains("; 0 permissions and 0 roles changed"),
        "{}",
        again.stdout
    );

    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(&format!(
        "INSERT INTO tenants VALUES ('{TENANT}', 'A');
         INSERT INTO memberships (tenant_id, user_id) VALUES ('{TENANT}', '{USER}');
         INSERT INTO pgtenant.role_grants (tenant_id, user_id, role_id)
           SELECT '{TENANT}', '{USER}', role_id FROM pgtenant.roles WHERE name = 'member';"
    ))
    .execute(&mut admin)
    .await
    .unwrap();

    let who = ["--user", USER, "--tenant", TENANT];
    let denied = p
        .run(&[&["access", "explain"][..], &who, &["content.delete"]].concat())
        .await;
    assert_eq!(denied.code, 1, "{denied:?}");
    assert_eq!(
        denied.stdout,
        format!(
            "content.delete: denied (a deny rule matched) for user {USER} in tenant {TENANT}\n\
             decided by: deny content.delete in role member (global)\n\
             matching rules:\n  \
             effect  pattern         role\n  \
             deny    content.delete  member (global)\n  \
             allow   content.*       member (global)\n"
        )
    );
    let allowed = p
        .run(&[&["access", "explain"][..], &who, &["content.edit"]].concat())
        .await;
    assert_eq!(allowed.code, 0, "{allowed:?}");
    assert!(
        allowed.stdout.starts_with("content.edit: allowed"),
        "{}",
        allowed.stdout
    );
    let list = p.must(&[&["access", "list"][..], &who].concat()).await;
    assert_eq!(
        list.stdout,
        format!("user {USER} in tenant {TENANT}: 2 permissions\n  content.edit\n  content.read\n")
    );
    let bad = p
        .run(&["access", "list", "--user", "bob", "--tenant", TENANT])
        .await;
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(
        bad.stderr.contains("--user \"bob\": not a UUID"),
        "{}",
        bad.stderr
    );

    // A role naming a pattern the catalog does not have: the file and line.
    p.rbac_file(
        "roles.txt",
        "member allow content.*\nmember allow billing.*\n",
    );
    let run = p.run(&["seed", "setup"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("roles.txt:2:") && run.stderr.contains("billing.*"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn the_rbac_module_without_its_catalog_file_says_what_to_create() {
    let p = Project::with_modules("\"rbac\"");
    p.must(&["bootstrap"]).await;
    p.must(&["generate", "--db", &p.db, "--name", "init"]).await;
    p.must(&["migrate"]).await;
    let run = p.run(&["seed", "setup"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "database {} uses the rbac module but its permission catalog {} cannot be read",
            p.db,
            p.dir.path().join("rbac/permissions.txt").display()
        )),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn token_modules_need_rbac_and_their_api_passes_the_lints() {
    let p = Project::with_modules("\"invites\"");
    let run = p.run(&["generate", "--db", &p.db, "--name", "x"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "database {}: module invites needs module rbac; add \"rbac\" to its modules",
            p.db
        )),
        "{}",
        run.stderr
    );
    // Listed before rbac, rendered after it; the definer functions the
    // modules offer the service role are their API, not a lint error.
    let p = Project::with_modules("\"invites\", \"sessions\", \"api_keys\", \"rbac\"");
    p.must(&["bootstrap"]).await;
    p.must(&["generate", "--db", &p.db, "--name", "init"]).await;
    p.must(&["migrate"]).await;
    p.must(&["check"]).await;
    // The modules' REVOKE EXECUTE … FROM PUBLIC reached the database.
    let mut admin = p.admin_conn().await;
    let public_can: bool = sqlx::query_scalar(
        "SELECT has_function_privilege('public', 'pgtenant.rbac_refresh_all()', 'EXECUTE')",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(
        !public_can,
        "PUBLIC may execute an rbac maintenance function"
    );
}

/// Doctor and verify know the modules' tables: doctor lists them (marked
/// `module`), both check their policies and the service role's
/// privileges, and both fail, saying what to run, on a privilege wider
/// than the modules give or on a module table without row level security.
#[tokio::test]
async fn doctor_and_verify_check_the_modules_tables_and_privileges() {
    let p = Project::with_modules("\"rbac\", \"audit\"");
    p.must(&["bootstrap"]).await;
    p.must(&["generate", "--db", &p.db, "--name", "init"]).await;
    p.must(&["migrate"]).await;
    let doctor = p.must(&["doctor"]).await;
    assert!(
        doctor.stdout.contains(
            "  ok    modules rbac, audit: 7 table(s) in schema pgtenant, each tenant one under its own policies; \
             the service role holds exactly the modules' privileges"
        ),
        "{}",
        doctor.stdout
    );
    let roles_line = doctor
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("pgtenant.roles "))
        .unwrap_or_else(|| panic!("{}", doctor.stdout));
    assert!(roles_line.ends_with("module"), "{roles_line}");
    let verify = p.must(&["verify"]).await;
    assert!(
        verify.stdout.contains(
            "  ok      modules rbac, audit: 4 tenant table(s) under their own policies; \
             the service role holds exactly the modules' privileges"
        ),
        "{}",
        verify.stdout
    );

    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(&format!("GRANT DELETE ON pgtenant.audit_log TO {}", p.svc))
        .execute(&mut admin)
        .await
        .unwrap();
    let wider = format!(
        "service role {} does not hold exactly the modules' privileges; run `pgtenant bootstrap`",
        p.svc
    );
    let doctor = p.run(&["doctor"]).await;
    assert_eq!(doctor.code, 1, "{doctor:?}");
    assert!(
        doctor
            .stdout
            .contains(&format!("  FAIL  modules rbac, audit: {wider}")),
        "{}",
        doctor.stdout
    );
    let verify = p.run(&["verify"]).await;
    assert_eq!(verify.code, 1, "{verify:?}");
    assert!(
        verify
            .stdout
            .contains(&format!("  FAIL    modules rbac, audit: {wider}")),
        "{}",
        verify.stdout
    );
    // Checking changed nothing; bootstrap takes the privilege back.
    assert_eq!(p.run(&["doctor"]).await.code, 1);
    p.must(&["bootstrap"]).await;
    p.must(&["doctor"]).await;

    sqlx::raw_sql("ALTER TABLE pgtenant.role_grants DISABLE ROW LEVEL SECURITY")
        .execute(&mut admin)
        .await
        .unwrap();
    let doctor = p.run(&["doctor"]).await;
    assert_eq!(doctor.code, 1, "{doctor:?}");
    assert!(
        doctor.stdout.contains(
            "table pgtenant.role_grants has no row level security or no policy; \
             run `pgtenant generate` and `pgtenant migrate`"
        ),
        "{}",
        doctor.stdout
    );
}

/// `sessions` in a database with tenancy off: the users table named by
/// `user_table` types and anchors `sessions.user_id`; the session's tenant
/// is a plain text value; verify checks the module's tables and
/// privileges there too, and fails on a wider grant.
#[tokio::test]
async fn sessions_serve_a_database_with_tenancy_off_through_user_table() {
    let p = Project::new();
    let text = p
        .manifest_text()
        .replacen("tenancy = true", "tenancy = false", 1)
        .replacen(
            "[[database]]",
            "[tenancy]\nuser_setting = \"app.user_id\"\n\n[[database]]",
            1,
        );
    p.write_manifest(&format!("{text}modules = [\"sessions\"]\n"));
    let dir = p.dir.path().join("schema").join(&p.db);
    std::fs::create_dir_all(&dir).expect("mkdir schema");
    std::fs::write(
        dir.join("01_users.sql"),
        "CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL);\n",
    )
    .unwrap();
    // Without user_table the module has no user type: said, nothing done.
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "database `{}`: module sessions in a database with tenancy off needs user_table = \"<table>\", \
             the table whose one-column primary key is the user id",
            p.db
        )),
        "{}",
        run.stderr
    );
    p.write_manifest(&format!(
        "{text}modules = [\"sessions\"]\nuser_table = \"accounts\"\n"
    ));
    p.must(&["bootstrap"]).await;
    p.must(&["generate", "--db", &p.db, "--name", "init"]).await;
    let migration = p.migration_text();
    assert!(
        migration.contains("user_id bigint NOT NULL") && migration.contains("tenant_id text"),
        "{migration}"
    );
    p.must(&["migrate"]).await;
    p.must(&["bootstrap"]).await;
    let mut admin = p.admin_conn().await;
    let fks: Vec<String> = sqlx::query_scalar(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint
          WHERE conrelid = 'pgtenant.sessions'::regclass AND contype = 'f'",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(
        fks,
        ["FOREIGN KEY (user_id) REFERENCES accounts(id) ON DELETE CASCADE"]
    );
    let verify = p.must(&["verify"]).await;
    assert!(
        verify.stdout.contains(&format!(
            "database {}: tenancy is off; its modules' tables:\n  ok      modules sessions: 1 table(s) \
             under their own policies; the service role holds exactly the modules' privileges",
            p.db
        )),
        "{}",
        verify.stdout
    );
    let json = p.must(&["--json", "verify"]).await.json();
    assert_eq!(json["databases"][0]["status"], "modules_only", "{json:#}");
    sqlx::raw_sql(&format!("GRANT UPDATE ON pgtenant.sessions TO {}", p.svc))
        .execute(&mut admin)
        .await
        .unwrap();
    let verify = p.run(&["verify"]).await;
    assert_eq!(verify.code, 1, "{verify:?}");
    assert!(
        verify.stdout.contains(&format!(
            "  FAIL    modules sessions: service role {} does not hold exactly the modules' privileges; run `pgtenant bootstrap`",
            p.svc
        )) && verify
            .stdout
            .ends_with(&format!("verify: isolation NOT proven in {}\n", p.db)),
        "{}",
        verify.stdout
    );
}
