//! generate, check, push and the drift lines of status, through the real
//! binary, on throwaway projects (unique database and role names).

use crate::support::{Project, Run};
use pgtenant_schema::Catalog;
use std::path::PathBuf;

const TENANTS: &str = "CREATE TABLE tenants (
    id   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL
);
";

const PROJECTS: &str = "CREATE TABLE projects (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id        bigint GENERATED ALWAYS AS IDENTITY,
    name      text NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
";

impl Project {
    /// Write `schema/<db>/<name>` (replacing it).
    fn schema_file(&self, name: &str, text: &str) {
        let dir = self.dir.path().join("schema").join(&self.db);
        std::fs::create_dir_all(&dir).expect("mkdir schema");
        std::fs::write(dir.join(name), text).expect("write schema file");
    }

    fn migrations_dir(&self) -> PathBuf {
        self.dir.path().join("migrations").join(&self.db)
    }

    /// The migration files, sorted.
    fn migration_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(self.migrations_dir()) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(_) => Vec::new(),
        };
        files.sort();
        files
    }

    /// Run and require exit 0.
    async fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args).await;
        assert_eq!(
            run.code, 0,
            "pgtenant {args:?} failed\nstdout: {}\nstderr: {}",
            run.stdout, run.stderr
        );
        run
    }

    /// The live catalog of the project's database, as a comparable value.
    async fn live_catalog(&self) -> Catalog {
        let mut conn = self.admin_conn().await;
        pgtenant_schema::introspect(&mut conn)
            .await
            .expect("introspect")
            .normalized()
    }

    /// A project with tenants + projects in its schema, bootstrapped, the
    /// initial migration generated and applied.
    async fn migrated() -> Project {
        let p = Project::new();
        p.schema_file("01_tenants.sql", TENANTS);
        p.schema_file("02_projects.sql", PROJECTS);
        p.ok(&["bootstrap"]).await;
        p.ok(&["generate", "--db", &p.db, "--name", "init"]).await;
        p.ok(&["migrate"]).await;
        p
    }
}

#[tokio::test]
async fn generate_migrate_status_change_generate_migrate_check_then_rollback() {
    let p = Project::new();
    p.schema_file("01_tenants.sql", TENANTS);
    p.schema_file("02_projects.sql", PROJECTS);
    p.ok(&["bootstrap"]).await;

    let run = p
        .ok(&["--json", "generate", "--db", &p.db, "--name", "init"])
        .await;
    let doc = run.json();
    assert_eq!(doc["changes"], true);
    let first = PathBuf::from(doc["path"].as_str().expect("path"));
    assert!(first.is_file(), "{first:?}");
    let name = first.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with("_init.sql") && name.len() == "yyyymmddHHMMSS_init.sql".len());
    let text = std::fs::read_to_string(&first).unwrap();
    assert!(text.contains("CREATE TABLE public.projects"), "{text}");
    // The tenancy transform is part of the migration.
    assert!(
        text.contains("ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY;"),
        "{text}"
    );
    assert!(
        text.contains("CREATE POLICY pgtenant_tenant_isolation ON public.projects"),
        "{text}"
    );
    assert!(text.contains("\n-- pgtenant:down\n"), "{text}");

    p.ok(&["migrate"]).await;
    let run = p.ok(&["--json", "status"]).await;
    let doc = run.json();
    let drift = &doc["databases"][0]["drift"];
    assert_eq!(drift["live"]["drifted"], false, "{doc}");
    assert_eq!(drift["schema"]["ungenerated"], false, "{doc}");
    let before = p.live_catalog().await;

    // Change the schema: a new column and a new tenant table.
    p.schema_file(
        "01_tenants.sql",
        &TENANTS.replace("name text NOT NULL", "name text NOT NULL,\n    plan text"),
    );
    p.schema_file(
        "03_notes.sql",
        "CREATE TABLE notes (tenant_id uuid NOT NULL REFERENCES tenants (id), body text NOT NULL);\n\
         CREATE INDEX notes_tenant_id_idx ON notes (tenant_id);\n",
    );
    let run = p.run(&["--json", "check"]).await;
    assert_eq!(
        run.code, 1,
        "ungenerated changes fail check: {}",
        run.stdout
    );
    assert_eq!(
        run.json()["databases"][0]["drift"]["schema"]["ungenerated"],
        true
    );

    let run = p
        .ok(&["--json", "generate", "--db", &p.db, "--name", "notes"])
        .await;
    let second = PathBuf::from(run.json()["path"].as_str().unwrap());
    assert_ne!(first, second);
    assert_eq!(p.migration_files().len(), 2);
    p.ok(&["migrate"]).await;
    let run = p.ok(&["check"]).await;
    assert!(
        run.stdout.contains(&format!("{}: ok", p.db)),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("  live: matches the applied migrations"),
        "{}",
        run.stdout
    );
    let after = p.live_catalog().await;
    assert!(after.tables.keys().any(|k| k.name == "notes"));

    // Rollback returns to the previous catalog exactly.
    p.ok(&["rollback", "--db", &p.db, "--steps", "1"]).await;
    assert_eq!(p.live_catalog().await, before);
}

#[tokio::test]
async fn generate_with_nothing_to_do_writes_nothing() {
    let p = Project::migrated().await;
    let run = p.ok(&["generate", "--db", &p.db, "--name", "again"]).await;
    assert_eq!(run.stdout.trim(), format!("{}: no changes", p.db));
    let run = p
        .ok(&["--json", "generate", "--db", &p.db, "--name", "again"])
        .await;
    assert_eq!(run.json()["changes"], false);
    assert_eq!(p.migration_files().len(), 1);
}

#[tokio::test]
async fn generate_refuses_data_loss_without_the_flag() {
    let p = Project::migrated().await;
    p.schema_file(
        "02_projects.sql",
        &PROJECTS.replace("    name      text NOT NULL,\n", ""),
    );
    let run = p
        .run(&["generate", "--db", &p.db, "--name", "drop_name"])
        .await;
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.stderr.trim(),
        "error: the migration deletes data:\n  - dropping column public.projects.name\n\
         review it, then pass --allow-data-loss to write it"
    );
    assert_eq!(p.migration_files().len(), 1, "nothing written");

    let run = p
        .ok(&[
            "--json",
            "generate",
            "--db",
            &p.db,
            "--name",
            "drop_name",
            "--allow-data-loss",
        ])
        .await;
    let doc = run.json();
    assert_eq!(doc["changes"], true);
    assert!(doc["hazards"][0]
        .as_str()
        .unwrap()
        .starts_with("DELETES_DATA"));
    assert_eq!(p.migration_files().len(), 2);
}

#[tokio::test]
async fn generate_refuses_a_bad_slug() {
    let p = Project::new();
    p.schema_file("01_tenants.sql", TENANTS);
    let run = p
        .run(&["generate", "--db", &p.db, "--name", "Add Users"])
        .await;
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr.trim(),
        "error: --name \"Add Users\": it contains 'A'; use lower-case letters, digits, `_` and `-`, e.g. --name add_invoices"
    );
}

#[tokio::test]
async fn push_refuses_a_journaled_database_without_force() {
    let p = Project::migrated().await;
    p.schema_file(
        "03_tags.sql",
        "CREATE TABLE tags (name text PRIMARY KEY);\n",
    );
    let run = p.run(&["push", "--db", &p.db]).await;
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.stderr.trim(),
        format!(
            "error: database {} is managed by migrations (1 applied in pgtenant.migrations); \
             use `pgtenant generate` and `pgtenant migrate`, or pass --force to push anyway \
             (the database will then drift from its migrations)",
            p.db
        )
    );
    let run = p.ok(&["push", "--db", &p.db, "--force"]).await;
    assert_eq!(
        run.stdout.trim(),
        format!("{}: pushed 2 statement(s)", p.db)
    );
    assert!(p
        .live_catalog()
        .await
        .tables
        .keys()
        .any(|k| k.name == "tags"));
    // The live database now differs from its migrations: check says so.
    let run = p.run(&["check"]).await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("CREATE TABLE public.tags"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn push_syncs_an_unjournaled_database_and_refuses_data_loss() {
    let p = Project::new();
    p.schema_file("01_tenants.sql", TENANTS);
    p.schema_file("02_projects.sql", PROJECTS);
    p.ok(&["bootstrap"]).await;
    let run = p.ok(&["--json", "push", "--db", &p.db]).await;
    assert_eq!(run.json()["changes"], true);
    let live = p.live_catalog().await;
    let projects = live
        .tables
        .values()
        .find(|t| t.name.name == "projects")
        .expect("projects pushed");
    assert!(projects.rls_enabled && projects.rls_forced);
    let run = p.ok(&["push", "--db", &p.db]).await;
    assert_eq!(run.stdout.trim(), format!("{}: no changes", p.db));

    p.schema_file("02_projects.sql", "");
    let run = p.run(&["push", "--db", &p.db]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr.trim(),
        "error: the push deletes data:\n  - dropping table public.projects\n\
         review it, then pass --allow-data-loss to apply it"
    );
    assert!(p
        .live_catalog()
        .await
        .tables
        .keys()
        .any(|k| k.name == "projects"));
}

#[tokio::test]
async fn check_fails_on_a_manual_change_to_the_live_database() {
    let p = Project::migrated().await;
    p.ok(&["check"]).await;
    let mut conn = p.admin_conn().await;
    sqlx::raw_sql("ALTER TABLE projects ADD COLUMN sneaky integer")
        .execute(&mut conn)
        .await
        .unwrap();
    let run = p.run(&["check"]).await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!("{}: FAILED", p.db)),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("    ALTER TABLE public.projects ADD COLUMN sneaky integer;"),
        "{}",
        run.stdout
    );
    let run = p.run(&["--json", "status"]).await;
    assert_eq!(run.code, 0);
    assert_eq!(run.json()["databases"][0]["drift"]["live"]["drifted"], true);
}

#[tokio::test]
async fn check_fails_on_an_edited_applied_migration() {
    let p = Project::migrated().await;
    let file = p.migration_files().remove(0);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen("name text NOT NULL", "name varchar(10) NOT NULL", 1),
    )
    .unwrap();
    let run = p.run(&["--json", "check"]).await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    let doc = run.json();
    let problem = &doc["databases"][0]["problems"][0];
    assert_eq!(problem["state"], "checksum_changed", "{doc}");
    assert!(problem["message"]
        .as_str()
        .unwrap()
        .contains("was edited after it was applied"));
}

#[tokio::test]
async fn a_renamed_column_is_generated_as_a_rename_both_ways() {
    let p = Project::migrated().await;
    let before = p.live_catalog().await;
    p.schema_file(
        "02_projects.sql",
        &PROJECTS.replace(
            "    name      text NOT NULL,\n",
            "    title     text NOT NULL, -- pgtenant:renamed-from name\n",
        ),
    );
    let run = p
        .ok(&["--json", "generate", "--db", &p.db, "--name", "rename"])
        .await;
    let doc = run.json();
    assert_eq!(doc["down"], true, "{doc}");
    let text = std::fs::read_to_string(doc["path"].as_str().unwrap()).unwrap();
    let (up, down) = text
        .split_once("\n-- pgtenant:down\n")
        .expect("down section");
    assert!(
        up.contains("ALTER TABLE public.projects RENAME COLUMN name TO title;"),
        "{text}"
    );
    assert!(
        down.contains("ALTER TABLE public.projects RENAME COLUMN title TO name;"),
        "{text}"
    );
    assert!(!text.contains("DELETES_DATA"), "{text}");
    p.ok(&["migrate"]).await;
    // The hint stays in the schema; it does not make a new change.
    let run = p.ok(&["generate", "--db", &p.db, "--name", "again"]).await;
    assert_eq!(run.stdout.trim(), format!("{}: no changes", p.db));
    p.ok(&["check"]).await;
    p.ok(&["rollback", "--db", &p.db, "--steps", "1"]).await;
    assert_eq!(p.live_catalog().await, before);
}

#[tokio::test]
async fn a_migration_that_fails_on_replay_is_named_with_its_line() {
    let p = Project::new();
    p.schema_file("01_tenants.sql", TENANTS);
    let dir = p.migrations_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("20240101000000_broken.sql"),
        "-- a comment\nCREATE TABLE t (id int);\nCREATE TABLE t (id int);\n",
    )
    .unwrap();
    let run = p.run(&["generate", "--db", &p.db, "--name", "next"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let file = dir.join("20240101000000_broken.sql");
    assert_eq!(
        run.stderr.trim(),
        format!(
            "error: replaying the migrations of database {}: {}:3: relation \"t\" already exists",
            p.db,
            file.display()
        )
    );
    assert_eq!(p.migration_files().len(), 1, "nothing written");
}

#[tokio::test]
async fn generated_files_are_the_same_text_every_time() {
    let p = Project::new();
    p.schema_file("01_tenants.sql", TENANTS);
    p.schema_file("02_projects.sql", PROJECTS);
    p.schema_file(
        "03_more.sql",
        "CREATE TYPE status AS ENUM ('open', 'done');\n\
         CREATE TABLE tasks (tenant_id uuid NOT NULL REFERENCES tenants (id), id int, s status NOT NULL DEFAULT 'open', PRIMARY KEY (tenant_id, id));\n\
         CREATE VIEW open_tasks WITH (security_invoker) AS SELECT * FROM tasks WHERE s = 'open';\n\
         CREATE FUNCTION task_count() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM tasks $$;\n",
    );
    let mut texts = Vec::new();
    for _ in 0..2 {
        let run = p
            .ok(&["--json", "generate", "--db", &p.db, "--name", "init"])
            .await;
        let path = PathBuf::from(run.json()["path"].as_str().unwrap());
        texts.push(std::fs::read_to_string(&path).unwrap());
        std::fs::remove_file(&path).unwrap();
    }
    assert_eq!(texts[0], texts[1]);
}

#[tokio::test]
async fn a_varchar_in_list_check_converges() {
    // PostgreSQL prints `role IN (...)` on a varchar column as an `= ANY`
    // that prints differently again once parsed: the desired schema must be
    // compared as printed from its own printed text.
    let p = Project::new();
    p.schema_file("01_tenants.sql", TENANTS);
    p.schema_file(
        "02_members.sql",
        "CREATE TABLE members (
            tenant_id uuid NOT NULL REFERENCES tenants (id),
            id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            role      varchar(20) NOT NULL DEFAULT 'member'
                      CHECK (role IN ('owner', 'admin', 'member'))
        );
        ",
    );
    let run = p
        .ok(&["--json", "generate", "--db", &p.db, "--name", "init"])
        .await;
    assert_eq!(run.json()["changes"], true, "{}", run.stdout);
    let run = p.ok(&["generate", "--db", &p.db, "--name", "again"]).await;
    assert_eq!(run.stdout.trim(), format!("{}: no changes", p.db));
    assert_eq!(p.migration_files().len(), 1);
}

/// A migration after `init` that puts one tenant and one project into the
/// replayed history, so plans meet rows on the migrations shadow database.
fn add_a_row(p: &Project) {
    std::fs::write(
        p.migrations_dir().join("29991231000000_a_row.sql"),
        "SELECT set_config('app.tenant_id', '00000000-0000-4000-8000-000000000001', true);\n\
         INSERT INTO tenants (id, name) VALUES ('00000000-0000-4000-8000-000000000001', 't');\n\
         INSERT INTO projects (tenant_id, name) VALUES ('00000000-0000-4000-8000-000000000001', 'p');\n",
    )
    .expect("write migration");
}

#[tokio::test]
async fn generate_writes_no_down_section_when_the_reverse_fails_on_the_shadow() {
    let p = Project::migrated().await;
    add_a_row(&p);
    // Dropping the NOT NULL column converges; its reverse (ADD COLUMN name
    // text NOT NULL) fails on the shadow, where projects has a row.
    p.schema_file(
        "02_projects.sql",
        &PROJECTS.replace("    name      text NOT NULL,\n", ""),
    );
    let run = p
        .ok(&[
            "--json",
            "generate",
            "--db",
            &p.db,
            "--name",
            "drop_name",
            "--allow-data-loss",
        ])
        .await;
    let doc = run.json();
    assert_eq!(
        (&doc["changes"], &doc["down"]),
        (&true.into(), &false.into()),
        "{doc}"
    );
    let text = std::fs::read_to_string(doc["path"].as_str().unwrap()).unwrap();
    assert!(text.contains("DROP COLUMN name"), "{text}");
    assert!(!text.contains("-- pgtenant:down"), "{text}");
    assert!(
        text.contains("-- No down section: the reverse plan fails: "),
        "{text}"
    );
}

#[tokio::test]
async fn generate_writes_nothing_when_the_plan_fails_on_the_shadow() {
    let p = Project::migrated().await;
    add_a_row(&p);
    // A NOT NULL column without a default cannot be added to a table with
    // rows: the check on the shadow refuses the plan.
    p.schema_file(
        "02_projects.sql",
        &PROJECTS.replace(
            "    name      text NOT NULL,\n",
            "    name      text NOT NULL,\n    owner     text NOT NULL,\n",
        ),
    );
    let run = p
        .run(&["generate", "--db", &p.db, "--name", "add_owner"])
        .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .starts_with("error: the generated up plan fails on the migrations shadow database: "),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("no file was written"), "{}", run.stderr);
    assert_eq!(p.migration_files().len(), 2, "nothing written");
}

/// Changing the type of a composite attribute that a table uses is not
/// supported yet (docs/ARCHITECTURE.md): the plan's `ALTER TYPE` fails on
/// the shadow, so generate refuses it and writes nothing.
#[tokio::test]
async fn generate_refuses_an_unsupported_change_and_writes_nothing() {
    let p = Project::new();
    let money = |ty: &str| format!("CREATE TYPE money2 AS (amount {ty}, cur text);\n{TENANTS}");
    p.schema_file("01_tenants.sql", &money("int"));
    p.schema_file(
        "02_projects.sql",
        &PROJECTS.replace(
            "    name      text NOT NULL,\n",
            "    name      text NOT NULL,\n    price     money2,\n",
        ),
    );
    p.ok(&["bootstrap"]).await;
    p.ok(&["generate", "--db", &p.db, "--name", "init"]).await;
    p.schema_file("01_tenants.sql", &money("bigint"));
    let run = p.run(&["generate", "--db", &p.db, "--name", "widen"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr,
        "error: the generated up plan fails on the migrations shadow database: up plan:1: \
         cannot alter type \"money2\" because column \"projects.price\" uses it\n\
         no file was written; this is a pgtenant bug: please report it with the schema change \
         that caused it\n"
    );
    assert_eq!(p.migration_files().len(), 1, "nothing written");
}

/// Run `pgtenant --project <dir> args` with its stdout a pipe whose reading
/// end is already closed (as `| head -1` leaves it once head has its line).
fn run_with_stdout_closed(p: &Project, args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let project = p.dir.path().to_str().expect("utf-8").to_owned();
    std::process::Command::new(env!("CARGO_BIN_EXE_pgtenant"))
        .current_dir(p.dir.path())
        .arg("--project")
        .arg(&project)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("PGTENANT_PROJECT")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run pgtenant")
}

#[tokio::test]
async fn workflow_status_into_a_closed_pipe_exits_quietly_without_a_panic() {
    let p = Project::new();
    let dir = p.dir.path().join("migrations").join(&p.db);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("20240101000001_plans.sql"),
        "create table plans (id int primary key);\n",
    )
    .expect("write");
    let run = p.run(&["up"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for args in [&["status"][..], &["--json", "status"][..]] {
        let out = run_with_stdout_closed(&p, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
    // A failing command keeps its exit code too.
    let out = run_with_stdout_closed(&p, &["--json", "migrate", "--db", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
