//! `pgtenant verify` on examples/quickstart with tenancy on: the isolated
//! project passes; each way of breaking it fails naming exactly that.

use crate::support::{Project, SVC_PASSWORD};
use pgtenant_schema::tenancy::{transform, TenancyRules};
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

/// A copy of examples/quickstart with unique database and role names (not
/// bootstrapped).
fn quickstart_project() -> Project {
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
    p
}

/// The whole pipeline through the binary: the generated migration carries
/// the isolation, migrate applies it, verify proves it.
#[tokio::test]
async fn generate_migrate_verify_on_quickstart() {
    let p = quickstart_project();
    // Generate the migration from the schema, not run the example's
    // committed one.
    let migrations = p.dir.path().join("migrations/quickstart");
    std::fs::remove_dir_all(&migrations).unwrap();
    for args in [
        vec!["bootstrap"],
        vec!["generate", "--db", p.db.as_str(), "--name", "init"],
        vec!["migrate"],
        vec!["seed", "setup"],
    ] {
        let run = p.run(&args).await;
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
    }
    let generated: Vec<_> = std::fs::read_dir(&migrations)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(generated.len(), 1, "{generated:?}");
    assert!(
        generated[0].to_string_lossy().ends_with("_init.sql"),
        "{generated:?}"
    );
    let migration = std::fs::read_to_string(&generated[0]).unwrap();
    for sql in [
        "ALTER TABLE public.projects FORCE ROW LEVEL SECURITY",
        "CREATE POLICY pgtenant_tenant_isolation ON public.projects",
    ] {
        assert!(migration.contains(sql), "{sql}\n{migration}");
    }
    let run = p.run(&["verify"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("could not probe"), "{}", run.stdout);
    // And generate has nothing left to do.
    let again = p
        .run(&["generate", "--db", p.db.as_str(), "--name", "again"])
        .await;
    assert_eq!(again.code, 0, "{again:?}");
    let files = std::fs::read_dir(&migrations).unwrap().count();
    assert_eq!(files, 1, "{again:?}");
}

/// A copy of examples/quickstart with unique database and role names,
/// bootstrapped, its schema loaded with the tenancy transform applied, and
/// its setup seed run: an isolated project.
async fn isolated_quickstart() -> Project {
    let p = quickstart_project();
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(run.code, 0, "{run:?}");

    let mut admin = p.admin_conn().await;
    let schema = sql_of(&p.dir.path().join("schema/quickstart"));
    sqlx::raw_sql(&schema).execute(&mut admin).await.unwrap();
    let cfg = TenancyRules {
        root_table: Some(QualName::new("public", "tenants")),
        ..TenancyRules::new("tenant_id", "app.tenant_id")
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
    // Bootstrap again, as `up` does after migrate: DML on the new tenant
    // tables (global ones stay read-only).
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(run.code, 0, "{run:?}");
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
    failures_of(p, &p.db).await
}

/// [`failures`] of one database.
async fn failures_of(p: &Project, db: &str) -> (i32, Vec<String>) {
    let run = p.run(&["--json", "verify", "--db", db]).await;
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
        run.stdout.contains("  ok      session: 3 checks proven\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("  tenant public.projects (synthesised rows): all 8 checks proven\n"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("could not probe"), "{}", run.stdout);
    // -v lists every check.
    let verbose = p.run(&["-v", "verify"]).await;
    assert!(
        verbose
            .stdout
            .contains("    ok      select-hides-other-tenant\n"),
        "{}",
        verbose.stdout
    );
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

/// Every example database with tenancy on, under unique names: bootstrap,
/// schema, the tenancy transform, setup seeds, then `verify --db`.
/// Returns (database in the manifest, exit code, failures) per database.
async fn verify_example(example: &str) -> Vec<(String, i32, Vec<String>)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(example);
    let text = std::fs::read_to_string(src.join("pgtenant.toml")).unwrap();
    let doc: toml::Value = toml::from_str(&text).unwrap();
    let defaults = doc
        .get("tenancy")
        .cloned()
        .unwrap_or(toml::Value::Table(Default::default()));
    let mut out = Vec::new();
    for db in doc["database"].as_array().unwrap() {
        let name = db["name"].as_str().unwrap();
        let tenancy = match db.get("tenancy") {
            Some(toml::Value::Boolean(false)) | None => continue,
            Some(toml::Value::Table(t)) => {
                let mut merged = defaults.as_table().unwrap().clone();
                merged.extend(t.clone());
                merged
            }
            Some(_) => defaults.as_table().unwrap().clone(),
        };
        let p = Project::new();
        copy_dir(&src, p.dir.path());
        let svc = db["service_role"]["name"].as_str().unwrap();
        let mut manifest = text
            .replace(&format!("\"{svc}\""), &format!("\"{}\"", p.svc))
            .replace(
                &format!("name = \"{name}\""),
                &format!("name = \"{}\"", p.db),
            );
        if let Some(sa) = db.get("superadmin_role") {
            let sa = sa["name"].as_str().unwrap();
            manifest = manifest.replace(&format!("\"{sa}\""), &format!("\"{}\"", p.superadmin));
        }
        // The admin URL of the tests, whatever the example says.
        let admin_line = manifest
            .lines()
            .find(|l| l.starts_with("admin_url"))
            .unwrap()
            .to_owned();
        manifest = manifest.replace(
            &admin_line,
            &format!("admin_url = \"{}\"", pgtenant_testkit::admin_url()),
        );
        p.write_manifest(&manifest);
        let run = p.run(&["bootstrap", "--db", &p.db]).await;
        assert_eq!(run.code, 0, "{example}/{name}: {run:?}");
        let schema_dir = db
            .get("schema")
            .and_then(|s| s.as_str())
            .map(|s| p.dir.path().join(s))
            .unwrap_or_else(|| p.dir.path().join("schema").join(name));
        let mut admin = p.admin_conn().await;
        if db.get("modules").is_some() {
            // The schema files hold only the user's part; the migrations
            // (under the renamed database's folder) hold the modules' SQL
            // too, and `seed setup` loads the modules' catalogs.
            copy_dir(
                &p.dir.path().join("migrations").join(name),
                &p.dir.path().join("migrations").join(&p.db),
            );
            let steps: [&[&str]; 2] = [
                &["migrate", "--db", &p.db],
                &["seed", "setup", "--db", &p.db],
            ];
            for args in steps {
                let run = p.run(args).await;
                assert_eq!(run.code, 0, "{example}/{name} {args:?}: {run:?}");
            }
        } else {
            sqlx::raw_sql(&sql_of(&schema_dir))
                .execute(&mut admin)
                .await
                .unwrap();
            let table =
                |v: &toml::Value| TenancyRules::parse_table_name(v.as_str().unwrap()).unwrap();
            let cfg = TenancyRules {
                column: tenancy["column"].as_str().unwrap().to_owned(),
                setting: tenancy["setting"].as_str().unwrap().to_owned(),
                user_setting: None,
                root_table: Some(table(&tenancy["root_table"])),
                global_tables: tenancy
                    .get("global_tables")
                    .and_then(|g| g.as_array())
                    .map(|a| a.iter().map(table).collect())
                    .unwrap_or_default(),
                definer_api: Vec::new(),
                grants: Default::default(),
                soft_delete: Vec::new(),
            };
            pgtenant_schema::tenancy::apply(&mut admin, &cfg)
                .await
                .unwrap();
        }
        // Bootstrap again, as `up` does after migrate: DML on the tenant
        // tables the schema made.
        let run = p.run(&["bootstrap", "--db", &p.db]).await;
        assert_eq!(run.code, 0, "{example}/{name}: {run:?}");
        // Setup and demo seeds: existing rows are what verify copies.
        for kind in ["setup", "demo"] {
            let dir = p.dir.path().join("seeds").join(name).join(kind);
            if dir.is_dir() {
                sqlx::raw_sql(&sql_of(&dir))
                    .execute(&mut admin)
                    .await
                    .unwrap();
            }
        }
        let (code, failures) = failures_of(&p, &p.db).await;
        let human = p.run(&["-v", "verify", "--db", &p.db]).await;
        // Something was proven behaviourally, and (with the demo seeds'
        // rows to copy) every table could be probed.
        assert!(
            !human.stdout.contains("could not probe"),
            "{}",
            human.stdout
        );
        assert!(
            human.stdout.contains("  ok      select-hides-other-tenant"),
            "{}",
            human.stdout
        );
        out.push((name.to_owned(), code, failures));
    }
    out
}

/// The real-world examples: once the transform has run, verify finds no
/// error and no failed check (tables it cannot probe are reported, not
/// failed: e.g. CHECK constraints a synthesised row cannot meet).
async fn check_example(example: &str) {
    let results = verify_example(example).await;
    assert!(
        !results.is_empty(),
        "{example} has no database with tenancy on"
    );
    for (db, code, failures) in results {
        assert_eq!((code, failures), (0, vec![]), "{example}/{db}");
    }
}

#[tokio::test]
async fn example_carcosa_verifies() {
    check_example("carcosa").await;
}

#[tokio::test]
async fn example_core_verifies() {
    check_example("core").await;
}

#[tokio::test]
async fn example_hoolsy_verifies() {
    check_example("hoolsy").await;
}

#[tokio::test]
async fn example_startkit_verifies() {
    check_example("startkit").await;
}

#[tokio::test]
async fn example_tasks_verifies() {
    check_example("tasks").await;
}

/// `check` reports the lints too, with the service role's memberships:
/// membership in a role that owns a table is found by both commands.
#[tokio::test]
async fn membership_in_an_owning_role_is_reported_by_check_and_verify() {
    let p = isolated_quickstart().await;
    let owner = pgtenant_testkit::unique_name("pgt_cli_owner");
    exec(
        &p,
        &format!(
            "CREATE ROLE {owner} NOLOGIN; GRANT {owner} TO {svc}; ALTER TABLE projects OWNER TO {owner};",
            svc = p.svc
        ),
    )
    .await;
    let (code, failures) = failures(&p).await;
    let check = p.run(&["--json", "check"]).await.json();
    // Give the table back before the role goes.
    exec(
        &p,
        &format!("ALTER TABLE projects OWNER TO CURRENT_USER; DROP OWNED BY {owner}"),
    )
    .await;
    pgtenant_testkit::drop_role(&owner).await;
    assert_eq!(
        (code, failures),
        (
            1,
            vec!["service-role-member-of-owner table public.projects".to_owned()]
        )
    );
    let codes: Vec<&str> = check["databases"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["service-role-member-of-owner"], "{check:#}");
}
