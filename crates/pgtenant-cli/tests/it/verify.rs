//! `pgtenant verify` on examples/quickstart with tenancy on: the isolated
//! project passes; each way of breaking it fails naming exactly that.

use crate::support::{Project, SVC_PASSWORD};
use pgtenant_schema::tenancy::{transform, TenancyConfig};
use pgtenant_schema::QualName;
use std::path::{Path, PathBuf};

fn quickstart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The *.sql files of a folder, sorted by name, concatenated.
fn sql_of(dir: &Path) -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A copy of examples/quickstart with unique database and role names,
/// bootstrapped, its schema loaded with the tenancy transform applied, and
/// its setup seed run: an isolated project.
async fn isolated_quickstart() -> Project {
    let p = Project::new();
    copy_dir(&quickstart(), p.dir.path());
    let manifest = std::fs::read_to_string(quickstart().join("pgtenant.toml"))
        .unwrap()
        .replace(
            "name = \"quickstart\"\nschema",
            &format!("name = \"{}\"\nschema", p.db),
        )
        .replace("svc_quickstart", &p.svc)
        .replace("quickstart_admin", &p.superadmin)
        .replace(
            "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}",
            &pgtenant_testkit::admin_url(),
        );
    assert!(
        manifest.contains(&p.db) && manifest.contains(&p.svc),
        "{manifest}"
    );
    p.write_manifest(&manifest);
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(run.code, 0, "{run:?}");

    let mut admin = p.admin_conn().await;
    let schema = sql_of(&p.dir.path().join("schema/quickstart"));
    sqlx::raw_sql(&schema).execute(&mut admin).await.unwrap();
    let cfg = TenancyConfig {
        root_table: Some(QualName::new("public", "tenants")),
        ..TenancyConfig::new("tenant_id", "app.tenant_id")
    };
    let catalog = pgtenant_schema::introspect(&mut admin).await.unwrap();
    let out = transform(&catalog, &cfg);
    assert!(out.findings.is_empty(), "{:?}", out.findings);
    assert_eq!(
        out.tenant_tables,
        [
            QualName::new("public", "memberships"),
            QualName::new("public", "projects"),
            QualName::new("public", "tenants"),
        ]
    );
    sqlx::raw_sql(&out.statements.join(";\n"))
        .execute(&mut admin)
        .await
        .unwrap();
    let seed = sql_of(&p.dir.path().join("seeds/quickstart/setup"));
    sqlx::raw_sql(&seed).execute(&mut admin).await.unwrap();
    p
}

async fn exec(p: &Project, sql: &str) {
    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(sql).execute(&mut admin).await.unwrap();
}

/// `verify --json`: exit code and the sorted "code object" of every error
/// finding and failed check.
async fn failures(p: &Project) -> (i32, Vec<String>) {
    let run = p.run(&["--json", "verify"]).await;
    run.assert_never_shows(SVC_PASSWORD);
    let json = run.json();
    let db = &json["databases"][0];
    let mut out = Vec::new();
    for f in db["findings"].as_array().unwrap() {
        if f["severity"] == "error" {
            out.push(format!(
                "{} {}",
                f["code"].as_str().unwrap(),
                object(&f["object"])
            ));
        }
    }
    for c in db["session"].as_array().unwrap() {
        if c["status"] == "failed" {
            out.push(format!("{} session", c["code"].as_str().unwrap()));
        }
    }
    for t in db["tables"].as_array().unwrap() {
        for c in t["checks"].as_array().unwrap() {
            if c["status"] == "failed" {
                let table = format!(
                    "{}.{}",
                    t["table"]["schema"].as_str().unwrap(),
                    t["table"]["name"].as_str().unwrap()
                );
                out.push(format!("{} {table}", c["code"].as_str().unwrap()));
            }
        }
    }
    out.sort();
    assert_eq!(json["ok"], out.is_empty(), "{json:#}");
    (run.code, out)
}

fn object(o: &serde_json::Value) -> String {
    let q = |v: &serde_json::Value| {
        format!(
            "{}.{}",
            v["schema"].as_str().unwrap(),
            v["name"].as_str().unwrap()
        )
    };
    match o["kind"].as_str().unwrap() {
        "table" => format!("table {}", q(&o["name"])),
        "view" => format!("view {}", q(&o["name"])),
        "policy" => format!(
            "policy {} on {}",
            o["name"].as_str().unwrap(),
            q(&o["table"])
        ),
        "constraint" => format!(
            "constraint {} on {}",
            o["name"].as_str().unwrap(),
            q(&o["table"])
        ),
        other => format!("{other} {o}"),
    }
}

#[tokio::test]
async fn isolated_quickstart_verifies() {
    let p = isolated_quickstart().await;
    let run = p.run(&["verify"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_never_shows(SVC_PASSWORD);
    for table in ["tenants", "memberships", "projects"] {
        assert!(
            run.stdout.contains(&format!("public.{table} (")),
            "{}",
            run.stdout
        );
    }
    assert!(
        run.stdout.contains("  ok      select-hides-other-tenant"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("could not probe"), "{}", run.stdout);
    assert!(
        run.stdout.ends_with("verify: tenant isolation proven\n"),
        "{}",
        run.stdout
    );
    assert_eq!(failures(&p).await, (0, vec![]));
}

#[tokio::test]
async fn dropping_force_fails() {
    let p = isolated_quickstart().await;
    exec(&p, "ALTER TABLE projects NO FORCE ROW LEVEL SECURITY").await;
    assert_eq!(
        failures(&p).await,
        (1, vec!["rls-not-forced table public.projects".to_owned()])
    );
    let run = p.run(&["verify"]).await;
    assert!(
        run.stdout.contains(
            "error[rls-not-forced] table public.projects: tenant table public.projects does not \
             force row level security; its owner bypasses the policies\n    \
             fix: ALTER TABLE public.projects FORCE ROW LEVEL SECURITY;"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .ends_with(&format!("verify: isolation NOT proven in {}\n", p.db)),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn a_using_true_policy_fails() {
    let p = isolated_quickstart().await;
    exec(&p, "CREATE POLICY everyone ON projects USING (true)").await;
    assert_eq!(
        failures(&p).await,
        (
            1,
            vec![
                "delete-skips-other-tenant public.projects".to_owned(),
                "insert-other-tenant-rejected public.projects".to_owned(),
                "policy-always-true policy everyone on public.projects".to_owned(),
                "reads-empty-with-empty-tenant public.projects".to_owned(),
                "reads-empty-without-tenant public.projects".to_owned(),
                "select-hides-other-tenant public.projects".to_owned(),
                "update-skips-other-tenant public.projects".to_owned(),
                "update-to-other-tenant-rejected public.projects".to_owned(),
            ]
        )
    );
}

#[tokio::test]
async fn granting_truncate_fails() {
    let p = isolated_quickstart().await;
    exec(&p, &format!("GRANT TRUNCATE ON projects TO {}", p.svc)).await;
    assert_eq!(
        failures(&p).await,
        (
            1,
            vec!["service-role-dangerous-privilege table public.projects".to_owned()]
        )
    );
}

#[tokio::test]
async fn service_role_owning_a_table_fails() {
    let p = isolated_quickstart().await;
    exec(&p, &format!("ALTER TABLE memberships OWNER TO {}", p.svc)).await;
    assert_eq!(
        failures(&p).await,
        (
            1,
            vec!["service-role-owns-object table public.memberships".to_owned()]
        )
    );
}

#[tokio::test]
async fn a_plain_foreign_key_across_tenant_tables_fails() {
    let p = isolated_quickstart().await;
    exec(
        &p,
        "ALTER TABLE projects ADD CONSTRAINT projects_id_key UNIQUE (id);
         ALTER TABLE memberships ADD COLUMN default_project uuid
             CONSTRAINT memberships_default_project_fkey REFERENCES projects (id);",
    )
    .await;
    assert_eq!(
        failures(&p).await,
        (
            1,
            vec![
                "fk-without-tenant-column constraint memberships_default_project_fkey on public.memberships"
                    .to_owned()
            ]
        )
    );
}

#[tokio::test]
async fn a_definer_view_fails() {
    let p = isolated_quickstart().await;
    exec(
        &p,
        "CREATE VIEW project_names AS SELECT tenant_id, name FROM projects",
    )
    .await;
    assert_eq!(
        failures(&p).await,
        (
            1,
            vec!["view-not-security-invoker view public.project_names".to_owned()]
        )
    );
}

#[tokio::test]
async fn unknown_database_is_a_usage_error() {
    let p = isolated_quickstart().await;
    let run = p.run(&["verify", "--db", "nope"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("no database named `nope`"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn a_missing_service_role_says_to_bootstrap() {
    let p = isolated_quickstart().await;
    exec(
        &p,
        &format!(
            "DROP OWNED BY {0}; REVOKE CONNECT ON DATABASE {1} FROM {0}",
            p.svc, p.db
        ),
    )
    .await;
    let mut admin = pgtenant_testkit::admin_conn().await;
    sqlx::raw_sql(&format!("DROP ROLE {}", p.svc))
        .execute(&mut admin)
        .await
        .unwrap();
    let run = p.run(&["verify"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr.lines().last().unwrap_or_default(),
        format!(
            "error: verifying database {}: service role {} does not exist; run `pgtenant bootstrap` first",
            p.db, p.svc
        )
    );
}

#[tokio::test]
async fn databases_with_tenancy_off_are_skipped() {
    let p = Project::new();
    p.write_manifest(
        &p.manifest_text()
            .replace("tenancy = true", "tenancy = false"),
    );
    let run = p.run(&["verify"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "database {}: tenancy is off, nothing to verify\n\nverify: tenant isolation proven\n",
            p.db
        )
    );
    let json = p.run(&["--json", "verify"]).await.json();
    assert_eq!(json["databases"][0]["status"], "skipped");
}
