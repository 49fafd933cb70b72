//! `soft_delete = [...]`: a tenant table's deleted rows are hidden under
//! the tenant policy, a `DELETE` by the service role sets `deleted_at`,
//! `pgtenant.include_deleted` shows them again, and only a role that
//! bypasses row-level security removes rows for real.

use crate::support::{Project, SVC_PASSWORD};
use sqlx::{Connection, PgConnection};

const SCHEMA: &str = "CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL);
CREATE TABLE projects (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         integer NOT NULL,
    name       text NOT NULL,
    deleted_at timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX projects_tenant_id_idx ON projects (tenant_id);
";

const A: &str = "00000000-0000-4000-8000-00000000000a";
const B: &str = "00000000-0000-4000-8000-00000000000b";

fn project(schema: &str, soft_delete: &str) -> Project {
    let p = Project::new();
    p.write_manifest(&format!(
        "{}soft_delete = [{soft_delete}]\n",
        p.manifest_text()
    ));
    let dir = p.dir.path().join("schema").join(&p.db);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("01.sql"), schema).unwrap();
    p
}

async fn must(p: &Project, args: &[&str]) {
    let run = p.run(args).await;
    assert_eq!(run.code, 0, "pgtenant {args:?}: {run:?}");
}

/// `sql` in one transaction of tenant `t` on `conn`, with `settings`; the
/// `name`s it returns (sorted) or the error.
async fn names(
    conn: &mut PgConnection,
    t: &str,
    settings: &[(&str, &str)],
    sql: &str,
) -> Result<Vec<String>, String> {
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
        .bind(t)
        .execute(&mut *tx)
        .await
        .unwrap();
    for (k, v) in settings {
        sqlx::query("SELECT set_config($1, $2, true)")
            .bind(k)
            .bind(v)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    let out = sqlx::query_scalar::<_, String>(sql)
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| e.to_string());
    if out.is_ok() {
        tx.commit().await.unwrap();
    }
    let mut out = out?;
    out.sort();
    Ok(out)
}

#[tokio::test]
async fn a_delete_hides_the_row_and_only_a_bypassing_role_removes_it() {
    let p = project(SCHEMA, "\"projects\"");
    must(&p, &["bootstrap"]).await;
    must(&p, &["generate", "--db", &p.db, "--name", "init"]).await;
    must(&p, &["migrate"]).await;
    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(&format!(
        "INSERT INTO tenants VALUES ('{A}', 'A'), ('{B}', 'B');
         INSERT INTO projects (tenant_id, id, name) VALUES
           ('{A}', 1, 'a1'), ('{A}', 2, 'a2'), ('{B}', 1, 'b1');"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    let mut svc = p.conn_as(&p.svc, SVC_PASSWORD).await.unwrap();

    // The application's DELETE keeps the row, stamped, and hidden.
    let mut tx = svc.begin().await.unwrap();
    sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
        .bind(A)
        .execute(&mut *tx)
        .await
        .unwrap();
    let deleted = sqlx::query("DELETE FROM projects WHERE id = 1")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 0, "the row is kept, not deleted");
    tx.commit().await.unwrap();
    let all = "SELECT name FROM projects";
    assert_eq!(names(&mut svc, A, &[], all).await.unwrap(), ["a2"]);
    let include = [("pgtenant.include_deleted", "on")];
    assert_eq!(
        names(
            &mut svc,
            A,
            &include,
            "SELECT name FROM projects WHERE deleted_at IS NOT NULL"
        )
        .await
        .unwrap(),
        ["a1"]
    );
    // Tenant B's row of the same id is untouched; B sees nothing of A's.
    assert_eq!(names(&mut svc, B, &include, all).await.unwrap(), ["b1"]);
    // Hidden rows cannot be changed or stamped into view by accident.
    assert_eq!(
        names(
            &mut svc,
            A,
            &[],
            "UPDATE projects SET name = 'x' WHERE id = 1 RETURNING name"
        )
        .await
        .unwrap(),
        Vec::<String>::new()
    );
    let err = names(
        &mut svc,
        A,
        &[],
        "UPDATE projects SET deleted_at = now() WHERE id = 2 RETURNING name",
    )
    .await
    .unwrap_err();
    assert!(
        err.contains("new row violates row-level security policy \"pgtenant_soft_delete\""),
        "{err}"
    );
    // Restoring is an update with the deleted rows in view.
    assert_eq!(
        names(
            &mut svc,
            A,
            &include,
            "UPDATE projects SET deleted_at = NULL WHERE id = 1 RETURNING name"
        )
        .await
        .unwrap(),
        ["a1"]
    );
    assert_eq!(names(&mut svc, A, &[], all).await.unwrap(), ["a1", "a2"]);

    // The service role cannot hard-delete, even asking to.
    let hard = [("pgtenant.hard_delete", "on")];
    names(
        &mut svc,
        A,
        &hard,
        "DELETE FROM projects WHERE id = 2 RETURNING name",
    )
    .await
    .unwrap();
    let stamped: i64 =
        sqlx::query_scalar("SELECT count(*) FROM projects WHERE deleted_at IS NOT NULL")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert_eq!(stamped, 1, "a2 is soft-deleted, not gone");
    // A superuser asking for it removes the row for real.
    sqlx::raw_sql(
        "BEGIN; SET LOCAL pgtenant.hard_delete = on;
         DELETE FROM projects WHERE deleted_at IS NOT NULL; COMMIT;",
    )
    .execute(&mut admin)
    .await
    .unwrap();
    let left: Vec<String> = sqlx::query_scalar("SELECT name FROM projects ORDER BY name")
        .fetch_all(&mut admin)
        .await
        .unwrap();
    assert_eq!(left, ["a1", "b1"]);
    // Nothing drifts: the objects are in the migration.
    must(&p, &["check"]).await;
}

#[tokio::test]
async fn a_table_that_cannot_be_soft_deleted_is_named_with_the_fix() {
    let p = project(
        &SCHEMA.replace("    deleted_at timestamptz,\n", ""),
        "\"projects\"",
    );
    must(&p, &["bootstrap"]).await;
    let run = p.run(&["generate", "--db", &p.db, "--name", "init"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "database {}: soft_delete table public.projects has no nullable timestamp column \
             deleted_at; add `deleted_at timestamptz` (nullable, no default) to public.projects",
            p.db
        )),
        "{}",
        run.stderr
    );
    assert!(
        !p.dir.path().join("migrations").join(&p.db).exists()
            || std::fs::read_dir(p.dir.path().join("migrations").join(&p.db))
                .unwrap()
                .next()
                .is_none()
    );
    let p = project(SCHEMA, "\"tenants\"");
    must(&p, &["bootstrap"]).await;
    let run = p.run(&["generate", "--db", &p.db, "--name", "init"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(
            "soft_delete table public.tenants is not a tenant table (it has no tenant_id column, \
             or is global or the root)"
        ),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn restore_brings_one_row_back_and_purge_counts_then_removes_old_ones() {
    let p = project(SCHEMA, "\"projects\"");
    must(&p, &["bootstrap"]).await;
    must(&p, &["generate", "--db", &p.db, "--name", "init"]).await;
    must(&p, &["migrate"]).await;
    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(&format!(
        "INSERT INTO tenants VALUES ('{A}', 'A'), ('{B}', 'B');
         INSERT INTO projects (tenant_id, id, name, deleted_at) VALUES
           ('{A}', 1, 'a1', now() - interval '40 days'), ('{A}', 2, 'a2', now() - interval '1 day'),
           ('{A}', 3, 'a3', NULL), ('{B}', 1, 'b1', now() - interval '40 days');"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    let restore = |id: &'static str, tenant: &'static str| {
        let p = &p;
        async move {
            p.run(&[
                "soft-delete",
                "restore",
                "--table",
                "projects",
                "--tenant",
                tenant,
                "--id",
                id,
            ])
            .await
        }
    };
    let run = restore("2", A).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout.trim_end(),
        format!(
            "restored public.projects id = '2' of tenant '{A}' in database {}",
            p.db
        )
    );
    // A live row, or another tenant's id: nothing to restore.
    for (id, tenant) in [("3", A), ("2", B)] {
        let run = restore(id, tenant).await;
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.contains(&format!(
                "no soft-deleted row id = '{id}' of tenant '{tenant}' in public.projects of database {}; \
                 it is not deleted, or does not exist",
                p.db
            )),
            "{}",
            run.stderr
        );
    }
    let run = restore("x", A).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("--id \"x\" is not a value of its column"),
        "{}",
        run.stderr
    );
    let run = p
        .run(&[
            "soft-delete",
            "restore",
            "--table",
            "tenants",
            "--tenant",
            A,
            "--id",
            "1",
        ])
        .await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!(
            "table public.tenants is not in soft_delete of the selected database(s); listed: public.projects in {}",
            p.db
        )),
        "{}",
        run.stderr
    );

    // Purge: counted first (exit 2, nothing removed), then removed.
    let dry = p
        .run(&["soft-delete", "purge", "--older-than", "30d"])
        .await;
    assert_eq!(dry.code, 2, "{dry:?}");
    assert!(
        dry.stdout.contains(
            "2 row(s) soft-deleted more than 30d ago would be removed; run again with --yes"
        ),
        "{}",
        dry.stdout
    );
    let count = |sql: &'static str| {
        let p = &p;
        async move {
            let mut c = p.admin_conn().await;
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&mut c)
                .await
                .unwrap()
        }
    };
    assert_eq!(count("SELECT count(*) FROM projects").await, 4);
    let bad = p
        .run(&["soft-delete", "purge", "--older-than", "a month"])
        .await;
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("--older-than \"a month\" is not a span: a whole number and s, min, h, d or w, e.g. 30d"),
        "{}",
        bad.stderr
    );
    let run = p
        .run(&["soft-delete", "purge", "--older-than", "30d", "--yes"])
        .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("purged 2 row(s) soft-deleted more than 30d ago"),
        "{}",
        run.stdout
    );
    let left: Vec<String> = sqlx::query_scalar("SELECT name FROM projects ORDER BY name")
        .fetch_all(&mut admin)
        .await
        .unwrap();
    assert_eq!(left, ["a2", "a3"]);
}
