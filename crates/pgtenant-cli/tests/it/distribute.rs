//! `pgtenant distribute plan|lint`: the Citus plan and its blocking findings
//! on real schemas (loaded into shadows, or a live database), every example
//! and the pagila corpus. Nothing here runs on Citus (not installable in CI):
//! the texts are pinned against Citus's documented rules.

use crate::support::{Project, Run};
use pgtenant_schema::ident::{quote_ident, quote_literal, quote_qualified};
use pgtenant_testkit::admin_url;
use sqlx::{Connection, PgConnection};
use std::collections::BTreeSet;

/// A project whose schema folder holds `sql` (one file).
fn project(sql: &str) -> Project {
    let p = Project::new();
    let dir = p.dir.path().join("schema").join(&p.db);
    std::fs::create_dir_all(&dir).expect("schema dir");
    std::fs::write(dir.join("schema.sql"), sql).expect("schema file");
    p
}

/// The run's stdout with the project's unique database name as `DB`.
fn text(p: &Project, run: &Run) -> String {
    run.stdout.replace(&p.db, "DB")
}

/// The `code object` of every finding of a `--json` run.
fn findings(run: &Run) -> Vec<String> {
    let json = run.json();
    json["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings in {json}"))
        .iter()
        .map(|f| {
            let o = &f["object"];
            let table = |t: &serde_json::Value| {
                format!(
                    "{}.{}",
                    t["schema"].as_str().unwrap_or(""),
                    t["name"].as_str().unwrap_or("")
                )
            };
            let object = match o["kind"].as_str().unwrap_or("") {
                "table" | "index" => table(&o["name"]),
                "column" => format!(
                    "{}.{}",
                    table(&o["table"]),
                    o["column"].as_str().unwrap_or("")
                ),
                _ => format!(
                    "{}.{}",
                    table(&o["table"]),
                    o["name"].as_str().unwrap_or("")
                ),
            };
            format!("{} {object}", f["code"].as_str().unwrap_or(""))
        })
        .collect()
}

const CLEAN: &str = "
CREATE TABLE users (id uuid PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE kinds (code text PRIMARY KEY);
CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL);
CREATE TABLE \"Projects\" (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    kind text REFERENCES kinds (code),
    owner uuid REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE tasks (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id bigserial,
    project_id bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, project_id) REFERENCES \"Projects\" (tenant_id, id) ON DELETE CASCADE
);
";

const CLEAN_PLAN: &str = "\
-- distribute plan: database DB, from the live database: no blocking findings (0 blocking findings, 0 warnings)
-- Checked against Citus's documented rules only; pgtenant has not run it on a Citus cluster. Run on the coordinator, after CREATE EXTENSION citus and adding the workers.

-- 1. The tenant context: SET LOCAL of the tenant (and user) settings reaches the workers only with this setting.
ALTER DATABASE DB SET citus.propagate_set_commands = 'local';

-- 2. Global tables become reference tables (a copy on every node), referenced tables first.
SELECT create_reference_table('public.kinds');
SELECT create_reference_table('public.users');

-- 3. The tenants root, distributed by its key.
SELECT create_distributed_table('public.tenants', 'id');

-- 4. Tenant tables, distributed by the tenant column and colocated with the root, referenced tables first.
SELECT create_distributed_table('public.\"Projects\"', 'tenant_id', colocate_with => 'public.tenants');
SELECT create_distributed_table('public.tasks', 'tenant_id', colocate_with => 'public.tenants');
";

/// Create the project's database and load `sql` into it as it is (no
/// tenancy transform: the live side of a clean plan).
async fn live(p: &Project, sql: &str) {
    let mut admin = PgConnection::connect(&admin_url()).await.expect("admin");
    sqlx::raw_sql(&format!("CREATE DATABASE {}", quote_ident(&p.db)))
        .execute(&mut admin)
        .await
        .expect("create database");
    let mut conn = p.admin_conn().await;
    sqlx::raw_sql(sql)
        .execute(&mut conn)
        .await
        .expect("load schema");
}

#[tokio::test]
async fn distribute_plan_of_a_clean_live_schema_is_pinned_and_lint_passes() {
    let p = project(CLEAN);
    live(&p, CLEAN).await;
    let run = p
        .run(&["distribute", "plan", "--db", &p.db, "--live"])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(text(&p, &run), CLEAN_PLAN);
    let run = p
        .run(&["distribute", "lint", "--db", &p.db, "--live"])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        text(&p, &run),
        "distribute lint: database DB, from the live database: ready for Citus (0 blocking \
         findings, 0 warnings); see `pgtenant distribute plan --db DB`\n"
    );
    let run = p
        .run(&["--json", "distribute", "plan", "--db", &p.db, "--live"])
        .await;
    let json = run.json();
    assert_eq!(json["runnable"], true);
    assert_eq!(json["ok"], true);
    let calls: Vec<(&str, &str)> = json["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["kind"].as_str().unwrap(), c["sql"].as_str().unwrap()))
        .collect();
    assert_eq!(
        calls[1],
        (
            "create_reference_table",
            "SELECT create_reference_table('public.kinds');"
        )
    );
    assert_eq!(calls[3].0, "create_distributed_table");
    assert_eq!(json["calls"][4]["column"], "tenant_id");
    assert_eq!(
        json["calls"][4]["colocate_with"],
        serde_json::json!({"schema": "public", "name": "tenants"})
    );
}

#[tokio::test]
async fn distribute_plan_of_the_schema_folder_names_the_isolation_policies_citus_refuses() {
    // The same schema through the tenancy transform: pgtenant's isolation
    // policy compares with a sub-select, which Citus refuses.
    let p = project(CLEAN);
    let run = p.run(&["distribute", "plan", "--db", &p.db]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = text(&p, &run);
    assert!(
        out.starts_with(
            "-- distribute plan: database DB, from its schema folder: NOT RUNNABLE YET: 3 \
             blocking findings, 0 warnings (listed after the plan; `pgtenant distribute lint \
             --db DB` exits 1 until they are fixed)\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(&CLEAN_PLAN[CLEAN_PLAN.find("\n-- 1.").unwrap()..]),
        "{out}"
    );
    assert!(
        out.contains(
            "  blocking[policy-subquery] policy pgtenant_tenant_isolation on public.tasks: policy \
             pgtenant_tenant_isolation on public.tasks holds a sub-query; Citus refuses \
             sub-queries in the policies of distributed and reference tables\n    fix: \
             pgtenant's tenancy transform writes this sub-select (evaluated once per statement, \
             for speed on one node) and has no Citus form yet; the form Citus accepts compares \
             the column with the setting directly: USING (tenant_id = \
             NULLIF(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = \
             NULLIF(current_setting('app.tenant_id', true), '')::uuid)\n"
        ),
        "{out}"
    );
    let run = p
        .run(&["--json", "distribute", "lint", "--db", &p.db])
        .await;
    assert_eq!(run.code, 1);
    assert_eq!(
        findings(&run),
        [
            "policy-subquery public.Projects.pgtenant_tenant_isolation",
            "policy-subquery public.tasks.pgtenant_tenant_isolation",
            "policy-subquery public.tenants.pgtenant_tenant_isolation",
        ]
    );
}

/// Every lint class, each triggered by a few lines of SQL, checked on the
/// live database (so pgtenant's own policies do not add to the list).
#[tokio::test]
async fn distribute_lint_reports_each_blocking_class_and_exits_1() {
    let sql = "
CREATE TABLE tenants (id uuid PRIMARY KEY, slug text NOT NULL UNIQUE);
CREATE TABLE users (id uuid PRIMARY KEY);
CREATE TABLE notes (
    tenant_id uuid REFERENCES tenants (id),
    id serial,
    author uuid REFERENCES users (id),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (id)
);
CREATE TABLE events (tenant_id uuid, body text);
CREATE TABLE comments (
    tenant_id text NOT NULL,
    id bigint GENERATED BY DEFAULT AS IDENTITY,
    note_tenant uuid NOT NULL,
    note_id integer NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (note_tenant, note_id) REFERENCES notes (tenant_id, id)
);
CREATE TABLE tags (
    tenant_id uuid NOT NULL,
    note_id integer NOT NULL,
    PRIMARY KEY (tenant_id, note_id),
    FOREIGN KEY (tenant_id, note_id) REFERENCES notes (tenant_id, id) ON UPDATE CASCADE
);
CREATE TABLE note_links (note_id integer, target integer);
CREATE UNIQUE INDEX note_links_note_idx ON note_links (note_id);
CREATE TABLE attachments (note_tenant uuid, note_id integer,
    FOREIGN KEY (note_tenant, note_id) REFERENCES notes (tenant_id, id));
CREATE FUNCTION is_author(a uuid) RETURNS boolean LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN a IS NOT NULL; END $$;
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_author ON notes USING (is_author(author));
CREATE POLICY via_users ON tags USING (EXISTS (SELECT 1 FROM users));
";
    let p = project(sql);
    live(&p, sql).await;
    let run = p
        .run(&["--json", "distribute", "lint", "--db", &p.db, "--live"])
        .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.json()["runnable"], false);
    assert_eq!(
        findings(&run),
        [
            "unclassified-table public.attachments",
            "distribution-type-mismatch public.comments.tenant_id",
            "tenant-column-nullable public.events.tenant_id",
            "sequence-not-bigint public.notes.id",
            "fk-without-tenant-column public.comments.comments_note_tenant_note_id_fkey",
            "unique-without-tenant-column public.notes.notes_id_key",
            "fk-action-on-tenant-column public.tags.tags_tenant_id_note_id_fkey",
            "unique-without-tenant-column public.tenants.tenants_slug_key",
            "policy-function-not-pushable public.notes.by_author",
            "policy-subquery public.tags.via_users",
        ]
    );
    let run = p
        .run(&["distribute", "lint", "--db", &p.db, "--live"])
        .await;
    assert_eq!(run.code, 1);
    let out = text(&p, &run);
    assert!(
        out.starts_with(
            "distribute lint: database DB, from the live database: not ready for Citus: 10 \
             blocking findings, 0 warnings\n  blocking[unclassified-table] table \
             public.attachments: table public.attachments has no tenant_id column and is not \
             listed in global_tables, yet its foreign key attachments_note_tenant_note_id_fkey \
             references distributed table public.notes"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "  blocking[policy-function-not-pushable] policy by_author on public.notes: policy \
             by_author on public.notes calls function public.is_author(a uuid), which is \
             LANGUAGE plpgsql; a function in a policy runs on every shard and must be LANGUAGE \
             sql, STABLE or IMMUTABLE, and read no table\n"
        ),
        "{out}"
    );
    // note_links (no tenant column, nothing into a distributed table) is a
    // reference table: its unique index is fine there.
    let run = p
        .run(&["--json", "distribute", "plan", "--db", &p.db, "--live"])
        .await;
    assert_eq!(run.code, 0);
    let sql: Vec<String> = run.json()["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sql"].as_str().unwrap().to_owned())
        .collect();
    assert!(sql.contains(&"SELECT create_reference_table('public.note_links');".to_owned()));
    assert!(sql.iter().all(|s| !s.contains("attachments")));
}

/// A reference table pointing into a distributed one (a listed global table).
#[tokio::test]
async fn distribute_lint_refuses_a_global_table_referencing_a_tenant_table() {
    let sql = "
CREATE TABLE tenants (id uuid PRIMARY KEY);
CREATE TABLE plans (code text PRIMARY KEY, tenant_id uuid REFERENCES tenants (id));
";
    let p = project(sql);
    let manifest = p.manifest_text().replace(
        "[[database]]",
        "[tenancy]\nglobal_tables = [\"plans\"]\n\n[[database]]",
    );
    p.write_manifest(&manifest);
    live(&p, sql).await;
    let run = p
        .run(&["distribute", "lint", "--db", &p.db, "--live"])
        .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        text(&p, &run),
        "distribute lint: database DB, from the live database: not ready for Citus: 1 blocking \
         finding, 0 warnings\n  blocking[reference-fk-to-distributed] constraint \
         plans_tenant_id_fkey on public.plans: foreign key plans_tenant_id_fkey from global \
         table public.plans (a reference table) to distributed table public.tenants; Citus \
         refuses foreign keys from reference tables to distributed tables\n    fix: drop \
         plans_tenant_id_fkey; or, if the rows of public.plans belong to a tenant, remove it \
         from global_tables so it is distributed by the tenant column\n"
    );
}

#[tokio::test]
async fn distribute_names_an_unknown_database_and_refuses_tenancy_off() {
    let p = project("CREATE TABLE t (id int);");
    let run = p.run(&["distribute", "plan", "--db", "nope"]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!(
            "no database named `nope`; the manifest has: {}",
            p.db
        )),
        "{}",
        run.stderr
    );
    p.write_manifest(
        &p.manifest_text()
            .replace("tenancy = true", "tenancy = false"),
    );
    let run = p.run(&["distribute", "lint", "--db", &p.db]).await;
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr.replace(&p.db, "DB"),
        "error: database DB has tenancy off: there is no tenant column to distribute it by; \
         turn tenancy on for it in the manifest, or plan a tenancy database\n"
    );
}

/// Every example: `plan` names every tenant table, `lint` exits 1 exactly
/// when blocking findings exist, and each example's blockers are pinned
/// (fixing the examples is their own work; these pins say what it is).
#[tokio::test]
async fn distribute_runs_on_every_example() {
    let mut seen = BTreeSet::new();
    let mut mismatched: Vec<String> = Vec::new();
    for (example, project, databases) in crate::examples::renamed_examples().unwrap() {
        let dir = project.dir.path().to_str().unwrap().to_owned();
        for (original, db) in project.names.iter() {
            if !databases.contains(db) {
                continue;
            }
            let run = |args: Vec<&str>| {
                let dir = dir.clone();
                let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
                async move {
                    let mut all = vec!["--project".to_owned(), dir.clone()];
                    all.extend(args);
                    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
                    crate::support::pgtenant(std::path::Path::new(&dir), &refs, &[]).await
                }
            };
            let plan = run(vec!["--json", "distribute", "plan", "--db", db]).await;
            let key = format!("{example}/{original}");
            seen.insert(key.clone());
            if plan.code == 2 {
                assert!(
                    plan.json()["error"]
                        .as_str()
                        .unwrap_or("")
                        .contains("has tenancy off"),
                    "{key}: {}",
                    plan.stdout
                );
                assert_eq!(expected_blockers(&key), None, "{key} has tenancy off");
                continue;
            }
            assert_eq!(plan.code, 0, "{key}: {}{}", plan.stdout, plan.stderr);
            let json = plan.json();
            let sql: String = json["calls"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| format!("{}\n", c["sql"].as_str().unwrap()))
                .collect();
            for p in json["placements"].as_array().unwrap() {
                if matches!(p["placement"].as_str(), Some("colocated" | "root")) {
                    let t = &p["table"];
                    let name =
                        quote_qualified(t["schema"].as_str().unwrap(), t["name"].as_str().unwrap());
                    assert!(
                        sql.contains(&format!(
                            "create_distributed_table({}",
                            quote_literal(&name)
                        )),
                        "{key}: {name} missing from\n{sql}"
                    );
                }
            }
            let lint = run(vec!["--json", "distribute", "lint", "--db", db]).await;
            let blockers: Vec<String> = findings(&lint)
                .into_iter()
                .zip(lint.json()["findings"].as_array().unwrap().iter())
                .filter(|(_, f)| f["severity"] == "blocking")
                .map(|(s, _)| s)
                .collect();
            assert_eq!(lint.code, if blockers.is_empty() { 0 } else { 1 }, "{key}");
            let got = summary(&blockers);
            if expected_blockers(&key) != Some(got.as_str()) {
                mismatched.push(format!("        \"{key}\" => \"\\\n{got}\",\n"));
            }
        }
    }
    assert!(
        mismatched.is_empty(),
        "pins differ:\n{}",
        mismatched.concat()
    );
    assert!(seen.len() >= 6, "{seen:?}");
}

/// `code: object, object, …` per code, codes in the order they first come.
fn summary(blockers: &[String]) -> String {
    let mut by_code: Vec<(String, Vec<String>)> = Vec::new();
    for b in blockers {
        let (code, object) = b.split_once(' ').unwrap_or((b, ""));
        match by_code.iter_mut().find(|(c, _)| c == code) {
            Some((_, v)) => v.push(object.to_owned()),
            None => by_code.push((code.to_owned(), vec![object.to_owned()])),
        }
    }
    by_code
        .into_iter()
        .map(|(c, v)| format!("{c}: {}\n", v.join(", ")))
        .collect()
}

/// The blocking findings of each example database as [`summary`] prints
/// them (`None`: tenancy off).
fn expected_blockers(key: &str) -> Option<&'static str> {
    Some(match key {
        "carcosa/carcosa" => "\
reference-fk-to-distributed: pgtenant.api_keys.api_keys_organizationId_fkey, pgtenant.role_grants.role_grants_membership_fkey, pgtenant.roles.roles_organizationId_fkey
fk-action-on-tenant-column: public.AuditLog.AuditLog_organizationId_fkey, public.Bucket.Bucket_organizationId_fkey, public.Bucket.Bucket_organizationId_ownerTeamId_fkey, public.BucketTeamAccess.BucketTeamAccess_organizationId_bucketId_fkey, public.BucketTeamAccess.BucketTeamAccess_organizationId_teamId_fkey, public.File.File_organizationId_projectId_fkey, public.File.File_organizationId_tenantId_fkey, public.File.File_organizationId_uploadId_fkey, public.Invitation.Invitation_organizationId_fkey, public.Invitation.Invitation_organizationId_teamId_fkey, public.OrganizationMember.OrganizationMember_organizationId_fkey, public.Project.Project_organizationId_bucketId_fkey, public.Project.Project_organizationId_teamId_fkey, public.Team.Team_organizationId_fkey, public.TeamMember.TeamMember_organizationId_teamId_fkey, public.TeamMember.TeamMember_organizationId_userId_fkey, public.Tenant.Tenant_organizationId_projectId_fkey, public.Transform.Transform_organizationId_fileId_fkey, public.Transform.Transform_organizationId_projectId_fkey, public.Upload.Upload_organizationId_projectId_fkey, public.Upload.Upload_organizationId_tenantId_fkey
unique-without-tenant-column: public.AuditLog.AuditLog_pkey, public.Bucket.Bucket_pkey, public.BucketTeamAccess.BucketTeamAccess_pkey, public.File.File_pkey, public.Invitation.Invitation_pkey, public.OrganizationMember.OrganizationMember_pkey, public.Project.Project_pkey, public.Team.Team_pkey, public.TeamMember.TeamMember_pkey, public.Tenant.Tenant_pkey, public.Transform.Transform_pkey, public.Upload.Upload_pkey, public.Organization_slug_key
policy-subquery: pgtenant.api_keys.api_keys_read, pgtenant.effective_permissions.effective_permissions_own, pgtenant.role_grants.role_grants_tenant, pgtenant.roles.roles_read, pgtenant.roles.roles_tenant_write, public.AuditLog.pgtenant_tenant_isolation, public.Bucket.pgtenant_tenant_isolation, public.BucketTeamAccess.pgtenant_tenant_isolation, public.File.pgtenant_tenant_isolation, public.Invitation.pgtenant_tenant_isolation, public.Organization.Organization_member_read, public.Organization.pgtenant_tenant_isolation, public.OrganizationMember.OrganizationMember_own_rows, public.OrganizationMember.pgtenant_tenant_isolation, public.Project.pgtenant_tenant_isolation, public.Team.pgtenant_tenant_isolation, public.TeamMember.pgtenant_tenant_isolation, public.Tenant.pgtenant_tenant_isolation, public.Transform.pgtenant_tenant_isolation, public.Upload.pgtenant_tenant_isolation
",
        "core/core_crm" => "\
reference-fk-to-distributed: pgtenant.sessions.sessions_workspace_id_fkey
unique-without-tenant-column: public.workspace_members.workspace_members_pkey
policy-subquery: pgtenant.sessions.sessions_own, public.workspace_members.pgtenant_tenant_isolation, public.workspace_members.workspace_members_own_rows, public.workspaces.pgtenant_tenant_isolation, public.workspaces.workspaces_member_read
",
        "hoolsy/hoolsy_workstation" => "\
reference-fk-to-distributed: pgtenant.invites.invites_tenant_id_fkey, pgtenant.role_grants.role_grants_membership_fkey, pgtenant.roles.roles_tenant_id_fkey
unique-without-tenant-column: public.tenants.tenants_slug_key, public.ws_content.ws_content_pkey, public.ws_media_assets.ws_media_assets_pkey, public.ws_media_variants.ws_media_variants_pkey, public.ws_members.ws_members_pkey, public.ws_memberships.ws_memberships_pkey
policy-subquery: pgtenant.effective_permissions.effective_permissions_own, pgtenant.invites.invites_read, pgtenant.role_grants.role_grants_tenant, pgtenant.roles.roles_read, pgtenant.roles.roles_tenant_write, public.tenants.pgtenant_tenant_isolation, public.tenants.tenants_member_read, public.ws_content.pgtenant_tenant_isolation, public.ws_media_assets.pgtenant_tenant_isolation, public.ws_media_variants.pgtenant_tenant_isolation, public.ws_members.pgtenant_tenant_isolation, public.ws_memberships.pgtenant_tenant_isolation, public.ws_memberships.ws_memberships_own_rows
",
        "quickstart/quickstart" => "\
fk-action-on-tenant-column: public.projects.projects_tenant_id_created_by_fkey
unique-without-tenant-column: public.tenants.tenants_slug_key
policy-subquery: public.memberships.pgtenant_tenant_isolation, public.projects.pgtenant_tenant_isolation, public.tenants.pgtenant_tenant_isolation
",
        "startkit/startkit" => "\
unique-without-tenant-column: public.audit_logs.audit_logs_pkey, public.organization_feature_flags.organization_feature_flags_pkey, public.organization_members.organization_members_pkey, public.organizations.organizations_clerk_org_id_unique, public.organizations.organizations_slug_unique, public.projects.projects_pkey, public.subscriptions.subscriptions_pkey
policy-subquery: public.audit_logs.pgtenant_tenant_isolation, public.organization_feature_flags.pgtenant_tenant_isolation, public.organization_members.organization_members_own_rows, public.organization_members.pgtenant_tenant_isolation, public.organizations.organizations_member_read, public.organizations.pgtenant_tenant_isolation, public.projects.pgtenant_tenant_isolation, public.subscriptions.pgtenant_tenant_isolation
",
        "tasks/tasks_app" => "\
unique-without-tenant-column: public.devices.devices_pkey, public.sites.sites_pkey, public.tasks.tasks_pkey, public.tenant_invitations.tenant_invitations_pkey, public.tenants.tenants_keycloak_group_id_unique, public.tenants.tenants_slug_unique, public.user_site_assignments.user_site_assignments_pkey, public.user_tenant_associations.user_tenant_associations_pkey
fk-action-on-tenant-column: public.tasks.tasks_assignee_fkey, public.tasks.tasks_device_fkey, public.tasks.tasks_site_fkey
policy-subquery: pgtenant.audit_log.audit_log_append, pgtenant.audit_log.audit_log_read, public.devices.pgtenant_tenant_isolation, public.sites.pgtenant_tenant_isolation, public.tasks.pgtenant_tenant_isolation, public.tenant_invitations.pgtenant_tenant_isolation, public.tenants.pgtenant_tenant_isolation, public.tenants.tenants_member_read, public.user_site_assignments.pgtenant_tenant_isolation, public.user_tenant_associations.pgtenant_tenant_isolation, public.user_tenant_associations.user_tenant_associations_own_rows
",
        _ => return None,
    })
}

/// The pagila corpus, read as a multi-tenant schema by store (`store_id`,
/// root `store`): the plan names its store tables and the blockers are
/// pinned.
#[tokio::test]
async fn distribute_runs_on_the_pagila_corpus_by_store() {
    let p = Project::new();
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../pgtenant-schema/tests/corpus/pagila");
    let corpus = corpus.canonicalize().expect("pagila corpus");
    let manifest = p
        .manifest_text()
        .replace(
            "[[database]]",
            "[tenancy]\ncolumn = \"store_id\"\nroot_table = \"store\"\n\n[[database]]",
        )
        .replace(
            "tenancy = true",
            &format!(
                "tenancy = true\nschema = {}",
                toml::Value::from(corpus.to_string_lossy().into_owned())
            ),
        );
    p.write_manifest(&manifest);
    let run = p
        .run(&["--json", "distribute", "plan", "--db", &p.db])
        .await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let sql: String = run.json()["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{}\n", c["sql"].as_str().unwrap()))
        .collect();
    for t in ["customer", "inventory", "staff"] {
        assert!(
            sql.contains(&format!(
                "SELECT create_distributed_table('public.{t}', 'store_id', colocate_with => 'public.store');"
            )),
            "{t}: {sql}"
        );
    }
    assert!(sql.contains("SELECT create_distributed_table('public.store', 'store_id');"));
    assert!(sql.contains("SELECT create_reference_table('public.film');"));
    let lint = p
        .run(&["--json", "distribute", "lint", "--db", &p.db])
        .await;
    assert_eq!(lint.code, 1);
    // rental has no store_id but references inventory and customer; payment
    // (no store_id) is partitioned, so it cannot be a reference table; every
    // key is a serial integer; customer and inventory cascade updates of
    // store_id.
    assert_eq!(
        summary(&findings(&lint)),
        "\
partitioned-reference-table: public.payment
unclassified-table: public.rental
sequence-not-bigint: public.actor.actor_id, public.address.address_id, public.category.category_id, public.city.city_id, public.country.country_id, public.customer.customer_id, public.film.film_id, public.inventory.inventory_id, public.language.language_id, public.payment.payment_id, public.staff.staff_id, public.store.store_id
unique-without-tenant-column: public.customer.customer_pkey, public.inventory.inventory_pkey, public.staff.staff_pkey, public.idx_unq_manager_staff_id
fk-action-on-tenant-column: public.customer.customer_store_id_fkey, public.inventory.inventory_store_id_fkey
policy-subquery: public.customer.pgtenant_tenant_isolation, public.inventory.pgtenant_tenant_isolation, public.staff.pgtenant_tenant_isolation, public.store.pgtenant_tenant_isolation
"
    );
}
