//! `pgtenant tenant export|import|delete` on the examples, brought up with
//! their demo data under unique names: a tenant goes out, is deleted, comes
//! back identical (compared table by table as ordered row text), lands in a
//! second database of the same schema, and every refusal changes nothing.

use crate::examples::{renamed_examples, RenamedProject};
use crate::support::{pgtenant, Run};
use pgtenant_schema::ident::{quote_ident, quote_qualified};
use pgtenant_testkit::{admin_url, url_for_db};
use sqlx::{Connection, PgConnection};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One example brought up under unique names.
struct Up {
    project: RenamedProject,
    db: String,
    column: &'static str,
    root: &'static str,
}

fn tenancy_of(example: &str) -> (&'static str, &'static str) {
    match example {
        "startkit" => ("organization_id", "organizations"),
        "tasks" => ("tenant_id", "tenants"),
        other => panic!("no tenancy known for example {other}"),
    }
}

async fn up(example: &str, demo: bool) -> Up {
    let (_, project, dbs) = renamed_examples()
        .unwrap()
        .into_iter()
        .find(|(name, _, _)| name == example)
        .unwrap_or_else(|| panic!("examples/{example}"));
    let admin = admin_url();
    let mut args = vec!["--admin-url", admin.as_str(), "up"];
    if demo {
        args.push("--demo");
    }
    // SEED_DEMO_OK=true would load the demo seeds too: only with --demo.
    let env: &[(&str, &str)] = if demo {
        &[("SEED_DEMO_OK", "true")]
    } else {
        &[]
    };
    let run = pgtenant(project.dir.path(), &args, env).await;
    assert_eq!(run.code, 0, "{example}: up: {}{}", run.stdout, run.stderr);
    let (column, root) = tenancy_of(example);
    Up {
        db: dbs[0].clone(),
        project,
        column,
        root,
    }
}

impl Up {
    async fn run(&self, args: &[&str]) -> Run {
        let admin = admin_url();
        let mut all = vec!["--admin-url", admin.as_str(), "tenant"];
        all.extend_from_slice(args);
        pgtenant(self.project.dir.path(), &all, &[]).await
    }

    async fn conn(&self) -> PgConnection {
        PgConnection::connect(&url_for_db(&admin_url(), &self.db))
            .await
            .unwrap()
    }

    async fn sql(&self, sql: &str) {
        let mut c = self.conn().await;
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    }

    /// The tenant ids, in order.
    async fn tenants(&self) -> Vec<String> {
        let mut c = self.conn().await;
        sqlx::query_scalar(&format!(
            "SELECT id::text FROM {} ORDER BY id",
            quote_ident(self.root)
        ))
        .fetch_all(&mut c)
        .await
        .unwrap()
    }

    /// Every tenant table's rows whose key matches (`=`) or does not match
    /// (`<>`) `id`, as ordered row text, by table. The audit module's log is
    /// left out: export, delete and import skip it on purpose (it is
    /// append-only and outlives the tenant); [`Self::audit_log`] reads it.
    async fn dump(&self, id: &str, op: &str) -> BTreeMap<String, String> {
        let mut c = self.conn().await;
        let mut tables: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT table_schema::text, table_name::text, column_name::text \
               FROM information_schema.columns c \
              WHERE column_name = $1 AND table_schema NOT IN ('pg_catalog', 'information_schema') \
                AND EXISTS (SELECT FROM information_schema.tables t WHERE t.table_type = 'BASE TABLE' \
                            AND t.table_schema = c.table_schema AND t.table_name = c.table_name)",
        )
        .bind(self.column)
        .fetch_all(&mut c)
        .await
        .unwrap();
        tables.retain(|(s, t, _)| (s.as_str(), t.as_str()) != ("pgtenant", "audit_log"));
        tables.push(("public".into(), self.root.into(), "id".into()));
        let mut out = BTreeMap::new();
        for (s, t, col) in tables {
            let text: String = sqlx::query_scalar(&format!(
                "SELECT coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '') FROM {} x \
                 WHERE {}::text {op} $1",
                quote_qualified(&s, &t),
                quote_ident(&col)
            ))
            .bind(id)
            .fetch_one(&mut c)
            .await
            .unwrap();
            out.insert(format!("{s}.{t}"), text);
        }
        out
    }
}

impl Up {
    /// The audit module's log about tenant `id`: the actions of its own
    /// chain, and of the system events naming it as their resource.
    async fn audit_log(&self, id: &str) -> (Vec<String>, Vec<String>) {
        let mut c = self.conn().await;
        let own = sqlx::query_scalar(&format!(
            "SELECT action FROM pgtenant.audit_log WHERE {}::text = $1 ORDER BY seq",
            quote_ident(self.column)
        ))
        .bind(id)
        .fetch_all(&mut c)
        .await
        .unwrap();
        let system = sqlx::query_scalar(&format!(
            "SELECT action FROM pgtenant.audit_log WHERE {} IS NULL AND resource_id = $1 ORDER BY seq",
            quote_ident(self.column)
        ))
        .bind(id)
        .fetch_all(&mut c)
        .await
        .unwrap();
        (own, system)
    }
}

fn non_empty(dump: &BTreeMap<String, String>) -> usize {
    dump.values().filter(|v| !v.is_empty()).count()
}

fn archive_in(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// Export, dry-run delete, delete, import; then import into a fresh
/// database of the same schema.
async fn check_round_trip(example: &str) {
    let a = up(example, true).await;
    let tenants = a.tenants().await;
    assert!(tenants.len() >= 2, "{example}: demo tenants {tenants:?}");
    let id = tenants[0].clone();
    let before = a.dump(&id, "=").await;
    let others = a.dump(&id, "<>").await;
    assert!(non_empty(&before) >= 3, "{example}: {before:?}");
    let out = archive_in(a.project.dir.path(), "tenant.tar");
    let file = out.to_str().unwrap();

    let run = a
        .run(&[
            "--json", "export", "--db", &a.db, "--tenant", &id, "--out", file,
        ])
        .await;
    assert_eq!(
        run.code, 0,
        "{example}: export: {}{}",
        run.stdout, run.stderr
    );
    let json = run.json();
    assert_eq!(json["tenant"], id.as_str());
    let exported: u64 = json["rows"].as_u64().unwrap();
    assert!(exported > 0);
    let tables = json["tables"].as_array().unwrap();
    let first_tenant = tables.iter().find(|t| t["kind"] == "tenant").unwrap();
    assert_eq!(
        first_tenant["name"], a.root,
        "{example}: the root loads first"
    );
    assert!(
        tables.iter().any(|t| t["kind"] == "global"),
        "{example}: referenced global rows are exported: {json}"
    );
    assert!(out.is_file());
    // Self-describing: a plain tar lists it and prints its manifest.
    let listed = std::process::Command::new("tar")
        .args(["-xOf", file, "manifest.json"])
        .output()
        .unwrap();
    assert!(listed.status.success(), "{listed:?}");
    let m: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(m["format"], "pgtenant-tenant-archive");
    assert_eq!(m["format_version"], 1);
    assert_eq!(m["database"], a.db.as_str());
    assert_eq!(m["tenant"], id.as_str());
    assert!(m["server_version"].as_str().is_some_and(|v| !v.is_empty()));
    let root = &m["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == a.root)
        .unwrap()
        .clone();
    assert_eq!(root["kind"], "tenant");
    assert_eq!(
        root["columns"][0],
        serde_json::json!({"name": "id", "type": "uuid"})
    );
    assert!(root["file"].as_str().unwrap().starts_with("data/"));

    // Dry run: counts, exit 2, nothing deleted.
    let run = a.run(&["delete", "--db", &a.db, "--tenant", &id]).await;
    assert_eq!(run.code, 2, "{example}: {}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with(&format!(
            "tenant delete: database {}, tenant {id}: would delete ",
            a.db
        )),
        "{}",
        run.stdout
    );
    assert!(run
        .stdout
        .contains("nothing was deleted (pass --yes to delete)"));
    assert!(run.stdout.contains(&format!("public.{}", a.root)));
    assert_eq!(a.dump(&id, "=").await, before, "{example}: dry run deleted");

    let run = a
        .run(&["--json", "delete", "--db", &a.db, "--tenant", &id, "--yes"])
        .await;
    assert_eq!(
        run.code, 0,
        "{example}: delete: {}{}",
        run.stdout, run.stderr
    );
    let json = run.json();
    assert_eq!(json["deleted"], true);
    let deleted = json["tables"].as_array().unwrap();
    assert_eq!(
        deleted.last().unwrap()["name"],
        a.root,
        "{example}: the root row goes last"
    );
    assert_eq!(
        non_empty(&a.dump(&id, "=").await),
        0,
        "{example}: rows left"
    );
    assert_eq!(
        a.dump(&id, "<>").await,
        others,
        "{example}: other tenants changed"
    );
    if example == "tasks" {
        // The demo's events stay in the tenant's chain; the deletion is a
        // system event about it.
        assert_eq!(
            a.audit_log(&id).await,
            (
                vec!["site.create".to_owned(), "task.create".to_owned()],
                vec!["tenant.deleted".to_owned()]
            )
        );
    }

    let run = a.run(&["import", "--db", &a.db, "--in", file]).await;
    assert_eq!(
        run.code, 0,
        "{example}: import: {}{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stdout
            .starts_with(&format!("tenant import: database {}, tenant {id}: ", a.db)),
        "{}",
        run.stdout
    );
    assert_eq!(a.dump(&id, "=").await, before, "{example}: round trip");
    assert_eq!(a.dump(&id, "<>").await, others);

    // A second, fresh database of the same schema (no demo data).
    let b = up(example, false).await;
    let run = b
        .run(&["--json", "import", "--db", &b.db, "--in", file])
        .await;
    assert_eq!(
        run.code, 0,
        "{example}: import into a fresh database: {}{}",
        run.stdout, run.stderr
    );
    assert_eq!(b.dump(&id, "=").await, before, "{example}: fresh database");
    assert_eq!(b.tenants().await, vec![id.clone()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startkit_tenant_round_trips_through_export_delete_import() {
    check_round_trip("startkit").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_tenant_round_trips_through_export_delete_import() {
    check_round_trip("tasks").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_refuses_an_existing_tenant_and_remaps_to_a_new_id() {
    let a = up("tasks", true).await;
    let tenants = a.tenants().await;
    let id = tenants[0].clone();
    let before = a.dump(&id, "=").await;
    let out = archive_in(a.project.dir.path(), "t.tar");
    let file = out.to_str().unwrap();
    let run = a
        .run(&["export", "--db", &a.db, "--tenant", &id, "--out", file])
        .await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);

    // Never overwritten without --force.
    let run = a
        .run(&["export", "--db", &a.db, "--tenant", &id, "--out", file])
        .await;
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "error: --out {file}: the file exists; choose another name, or pass --force to replace it"
        )
    );
    let run = a
        .run(&[
            "export", "--db", &a.db, "--tenant", &id, "--out", file, "--force",
        ])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);

    let refused = format!(
        "error: tenant {id} already exists in public.tenants of database {}; import it under \
         another id with --remap-to NEW_ID, or delete the existing tenant first (`pgtenant tenant \
         delete`); nothing was imported",
        a.db
    );
    let run = a.run(&["import", "--db", &a.db, "--in", file]).await;
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr.trim_end(), refused);

    // The id is taken by another tenant now: the import is refused, then
    // goes in under a new id, and the other tenant stays as it is.
    let run = a
        .run(&["delete", "--db", &a.db, "--tenant", &id, "--yes"])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    a.sql(&format!(
        "INSERT INTO tenants (id, name, slug) VALUES ('{id}', 'Reused id', 'reused-id')"
    ))
    .await;
    let reused = a.dump(&id, "=").await;
    let run = a.run(&["import", "--db", &a.db, "--in", file]).await;
    assert_eq!(run.stderr.trim_end(), refused);
    let fresh = "00000000-0000-4000-8000-00000000abcd";
    let run = a
        .run(&[
            "--json",
            "import",
            "--db",
            &a.db,
            "--in",
            file,
            "--remap-to",
            fresh,
        ])
        .await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.json()["tenant"], fresh);
    let expected: BTreeMap<String, String> = before
        .iter()
        .map(|(k, v)| (k.clone(), v.replace(&id, fresh)))
        .collect();
    assert_eq!(a.dump(fresh, "=").await, expected);
    assert_eq!(a.dump(&id, "=").await, reused, "the other tenant changed");

    // Remapping onto an id that exists is refused too.
    let run = a
        .run(&["import", "--db", &a.db, "--in", file, "--remap-to", &id])
        .await;
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "error: tenant {id} already exists in public.tenants of database {}; choose another \
             --remap-to id; nothing was imported",
            a.db
        )
    );
    let run = a
        .run(&[
            "import",
            "--db",
            &a.db,
            "--in",
            file,
            "--remap-to",
            "not-a-uuid",
        ])
        .await;
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr.trim_end(),
        "error: --remap-to \"not-a-uuid\": not a UUID (the tenant key is uuid)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_refuses_damaged_archives_and_other_schemas_loading_nothing() {
    let a = up("tasks", true).await;
    let id = a.tenants().await[0].clone();
    let dir = a.project.dir.path();
    let out = archive_in(dir, "t.tar");
    let file = out.to_str().unwrap();
    let run = a
        .run(&["export", "--db", &a.db, "--tenant", &id, "--out", file])
        .await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let bytes = std::fs::read(&out).unwrap();
    let b = up("tasks", false).await;

    // Truncated inside the manifest (written last), then before it.
    let cut = archive_in(dir, "cut.tar");
    let manifest_at = bytes
        .windows(13)
        .position(|w| w == b"manifest.json")
        .unwrap();
    std::fs::write(&cut, &bytes[..manifest_at + 600]).unwrap();
    let run = b
        .run(&["import", "--db", &b.db, "--in", cut.to_str().unwrap()])
        .await;
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "error: archive {}: manifest.json is cut short (the file may be truncated); it is \
             damaged or not a pgtenant tenant archive: export the tenant again (`pgtenant tenant \
             export`)",
            cut.display()
        )
    );
    std::fs::write(&cut, &bytes[..manifest_at]).unwrap();
    let run = b
        .run(&["import", "--db", &b.db, "--in", cut.to_str().unwrap()])
        .await;
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "error: archive {}: no manifest.json (the file may be truncated); it is damaged or not \
             a pgtenant tenant archive: export the tenant again (`pgtenant tenant export`)",
            cut.display()
        )
    );

    // One byte changed in a table's rows: the checksum (or COPY) refuses.
    let needle = b"Headquarters";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .or_else(|| bytes.windows(4).position(|w| w == b"\t\\N\t"))
        .expect("a row in the archive");
    let mut bad = bytes.clone();
    bad[at] ^= 0x01;
    let corrupt = archive_in(dir, "corrupt.tar");
    std::fs::write(&corrupt, &bad).unwrap();
    let run = b
        .run(&["import", "--db", &b.db, "--in", corrupt.to_str().unwrap()])
        .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with(&format!("error: archive {}: data/", corrupt.display())),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.trim_end().ends_with(
            "it is damaged or not a pgtenant tenant archive: export the tenant again \
             (`pgtenant tenant export`); nothing was imported"
        ),
        "{}",
        run.stderr
    );
    assert!(
        b.tenants().await.is_empty(),
        "a damaged archive loaded rows"
    );

    // Not an archive at all.
    let junk = archive_in(dir, "junk.tar");
    std::fs::write(&junk, b"hello").unwrap();
    let run = b
        .run(&["import", "--db", &b.db, "--in", junk.to_str().unwrap()])
        .await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with(&format!("error: archive {}: ", junk.display())),
        "{}",
        run.stderr
    );

    // Another schema: the column is named, nothing is loaded.
    b.sql("ALTER TABLE sites ADD COLUMN floor_count integer")
        .await;
    let run = b.run(&["import", "--db", &b.db, "--in", file]).await;
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "error: --in {file}: table public.sites: column floor_count (integer) is in the \
             database but not in the archive; the archive does not fit the schema of database {} \
             (migrate it to the schema the archive was exported from); nothing was imported",
            b.db
        )
    );
    b.sql("ALTER TABLE sites DROP COLUMN floor_count; ALTER TABLE devices ALTER COLUMN model TYPE varchar(40)")
        .await;
    let run = b.run(&["import", "--db", &b.db, "--in", file]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with(&format!(
            "error: --in {file}: table public.devices: column model is text in the archive but \
             character varying(40) in the database;"
        )),
        "{}",
        run.stderr
    );
    assert!(b.tenants().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_refuses_unknown_tenants_and_unclassified_tables() {
    let a = up("startkit", true).await;
    let id = a.tenants().await[0].clone();
    let before = a.dump(&id, "=").await;
    let unknown = "00000000-0000-4000-8000-000000000000";
    let run = a
        .run(&["delete", "--db", &a.db, "--tenant", unknown, "--yes"])
        .await;
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "error: tenant {unknown} does not exist in public.organizations of database {}; check \
             the id; nothing was deleted",
            a.db
        )
    );
    let run = a
        .run(&[
            "export", "--db", &a.db, "--tenant", unknown, "--out", "x.tar",
        ])
        .await;
    assert_eq!(run.code, 1);
    assert!(!a.project.dir.path().join("x.tar").exists());
    assert!(
        std::fs::read_dir(a.project.dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("partial")),
        "a failed export left a file behind"
    );

    // A child table without the tenant column may hold the tenant's rows.
    a.sql(
        "CREATE TABLE project_notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
         project_id uuid NOT NULL REFERENCES projects (id), body text)",
    )
    .await;
    let run = a
        .run(&["delete", "--db", &a.db, "--tenant", &id, "--yes"])
        .await;
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "error: database {}: table public.project_notes references the tenant table \
             public.projects (foreign key project_notes_project_id_fkey) but has no \
             organization_id column, so it may hold rows of tenant {id} that cannot be told apart; \
             add the tenant column to it (the tenancy rules then scope it) and run again; nothing \
             was deleted",
            a.db
        )
    );
    assert_eq!(a.dump(&id, "=").await, before);
}

/// With the audit module, the tenant's chain stays (append-only, no
/// foreign key to the tenant) and the deletion is an event on the system
/// chain; every chain still verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_with_the_audit_module_records_the_deletion_on_the_system_chain() {
    use crate::modules::{TENANT, USER};
    let p = crate::support::Project::with_modules("\"audit\"");
    p.must(&["bootstrap"]).await;
    p.must(&["generate", "--db", &p.db, "--name", "init"]).await;
    p.must(&["migrate"]).await;
    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(&format!(
        "INSERT INTO tenants VALUES ('{TENANT}', 'A');
         INSERT INTO memberships (tenant_id, user_id) VALUES ('{TENANT}', '{USER}');
         BEGIN;
         SELECT set_config('app.tenant_id', '{TENANT}', true), set_config('app.user_id', '{USER}', true);
         SELECT pgtenant.audit('project.member.add', 'project', i::text) FROM generate_series(1, 3) i;
         COMMIT;
         CREATE TABLE notes (
           id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
           tenant_id uuid NOT NULL REFERENCES tenants (id),
           body text NOT NULL,
           body_length integer GENERATED ALWAYS AS (length(body)) STORED);
         INSERT INTO notes (tenant_id, body) VALUES ('{TENANT}', 'one'), ('{TENANT}', 'three');"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    let out = p.dir.path().join("a.tar");
    let run = p
        .must(&[
            "tenant",
            "export",
            "--db",
            &p.db,
            "--tenant",
            TENANT,
            "--out",
            out.to_str().unwrap(),
        ])
        .await;
    assert!(
        run.stdout.contains(
            "  not exported: pgtenant.audit_log (the audit log is append-only and outlives the tenant)"
        ),
        "{}",
        run.stdout
    );
    let run = p
        .must(&[
            "tenant", "delete", "--db", &p.db, "--tenant", TENANT, "--yes",
        ])
        .await;
    assert!(
        run.stdout
            .contains("  recorded in pgtenant.audit_log as tenant.deleted (system chain)"),
        "{}",
        run.stdout
    );
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM tenants")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(left, 0);
    let kept: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pgtenant.audit_log WHERE tenant_id::text = $1")
            .bind(TENANT)
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert_eq!(kept, 3, "the tenant's own chain is kept");
    let (resource, rows): (String, serde_json::Value) = sqlx::query_as(
        "SELECT resource_id, metadata -> 'tables' FROM pgtenant.audit_log \
          WHERE tenant_id IS NULL AND action = 'tenant.deleted'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(resource, TENANT);
    assert_eq!(rows.as_array().map(Vec::len), Some(3), "{rows}");
    p.must(&["audit", "verify"]).await;
    // Back in: the tenant's rows, its old chain untouched. As in a fresh
    // database, the identity sequence starts over; the import moves it
    // past the loaded keys.
    sqlx::raw_sql("ALTER TABLE notes ALTER COLUMN id RESTART WITH 1")
        .execute(&mut admin)
        .await
        .unwrap();
    let file = out.to_str().unwrap();
    p.must(&["tenant", "import", "--db", &p.db, "--in", file])
        .await;
    p.must(&["audit", "verify"]).await;
    let notes: Vec<(i64, String, i32)> = sqlx::query_as(&format!(
        "INSERT INTO notes (tenant_id, body) VALUES ('{TENANT}', 'four') \
         RETURNING id, body, body_length"
    ))
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(notes, [(3, "four".into(), 4)]);
    let bodies: Vec<(i64, String, i32)> =
        sqlx::query_as("SELECT id, body, body_length FROM notes ORDER BY id")
            .fetch_all(&mut admin)
            .await
            .unwrap();
    assert_eq!(
        bodies,
        [
            (1, "one".into(), 3),
            (2, "three".into(), 5),
            (3, "four".into(), 4)
        ]
    );
}
