//! `pgtenant audit verify`: clean chains pass; an edit, a deletion and a
//! reordering made as the admin are each named at the first broken row.

use crate::modules::{TENANT, USER};
use crate::support::Project;
use sqlx::PgConnection;
use std::str::FromStr;

const TENANT_B: &str = "00000000-0000-4000-8000-00000000000b";
const TENANT_C: &str = "00000000-0000-4000-8000-00000000000c";

const HINT: &str = "the audit log was changed after it was written (pgtenant.audit() only \
                    appends); keep the database as it is for investigation, find who held the \
                    admin role at the time, and restore the rows from a backup taken before the \
                    first broken row";

/// A project with the audit module installed.
async fn audited() -> Project {
    let p = Project::with_modules("\"audit\"");
    p.must(&["bootstrap"]).await;
    p.must(&["generate", "--db", &p.db, "--name", "init"]).await;
    p.must(&["migrate"]).await;
    p
}

/// `n` events of `tenant`, written through the module's function.
async fn record(admin: &mut PgConnection, tenant: &str, n: usize) {
    sqlx::raw_sql(&format!(
        "BEGIN;
         SELECT set_config('app.tenant_id', '{tenant}', true), set_config('app.user_id', '{USER}', true);
         SELECT pgtenant.audit('project.member.add', 'project', i::text, jsonb_build_object('i', i))
           FROM generate_series(1, {n}) i;
         COMMIT;"
    ))
    .execute(admin)
    .await
    .unwrap();
}

async fn tamper(admin: &mut PgConnection, sql: &str) {
    sqlx::raw_sql(&format!(
        "ALTER TABLE pgtenant.audit_log DISABLE TRIGGER audit_log_append_only; {sql}; \
         ALTER TABLE pgtenant.audit_log ENABLE TRIGGER audit_log_append_only;"
    ))
    .execute(admin)
    .await
    .unwrap();
}

async fn audit_id(admin: &mut PgConnection, tenant: &str, seq: i64) -> i64 {
    sqlx::query_scalar(
        "SELECT audit_id FROM pgtenant.audit_log WHERE tenant_id::text = $1 AND seq = $2",
    )
    .bind(tenant)
    .bind(seq)
    .fetch_one(admin)
    .await
    .unwrap()
}

#[tokio::test]
async fn audit_verify_passes_clean_chains_and_names_each_tampering() {
    let p = audited().await;
    let mut admin = p.admin_conn().await;
    let empty = p.must(&["audit", "verify"]).await;
    assert_eq!(empty.stdout, format!("{}: audit log\n  no rows\n", p.db));
    record(&mut admin, TENANT, 3).await;
    record(&mut admin, TENANT_B, 4).await;
    record(&mut admin, TENANT_C, 3).await;
    // The manifest's superadmin role may append (the module's grant in the
    // migration): its transaction's reason joins the system chain.
    let sa_url = sqlx::ConnectOptions::to_url_lossy(
        &sqlx::postgres::PgConnectOptions::from_str(&pgtenant_testkit::admin_url())
            .unwrap()
            .database(&p.db)
            .username(&p.superadmin)
            .password(crate::support::ADMIN_PASSWORD),
    )
    .to_string();
    // The module's grants on the log are in the migration; USAGE on the
    // default module schema (the journal's, which plans never touch) is
    // bootstrap's to give, and bootstrap gives it only to the service role
    // so far.
    sqlx::raw_sql(&format!(
        "GRANT USAGE ON SCHEMA pgtenant TO {}",
        p.superadmin
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    let sa = pgtenant::SuperadminDb::connect(&sa_url).await.unwrap();
    sa.begin("monthly invoice run")
        .await
        .unwrap()
        .commit()
        .await
        .unwrap();
    let reason: String = sqlx::query_scalar(
        "SELECT metadata->>'reason' FROM pgtenant.audit_log WHERE tenant_id IS NULL",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(reason, "monthly invoice run");

    let clean = p.must(&["audit", "verify"]).await;
    assert_eq!(
        clean.stdout,
        format!(
            "{}: audit log\n  \
             system (superadmin events): 1 row checked, intact (last seq 1)\n  \
             tenant {TENANT}: 3 rows checked, intact (last seq 3)\n  \
             tenant {TENANT_B}: 4 rows checked, intact (last seq 4)\n  \
             tenant {TENANT_C}: 3 rows checked, intact (last seq 3)\n",
            p.db
        )
    );
    let json = p.must(&["--json", "audit", "verify"]).await.json();
    assert_eq!(json["chains"][2]["rows"], 4);
    assert_eq!(json["chains"][2]["broken"], serde_json::Value::Null);

    // Edited in A, a middle row deleted in B, two rows swapped in C.
    let edited = audit_id(&mut admin, TENANT, 2).await;
    let after_gap = audit_id(&mut admin, TENANT_B, 3).await;
    let moved = audit_id(&mut admin, TENANT_C, 3).await;
    tamper(
        &mut admin,
        &format!(
            "UPDATE pgtenant.audit_log SET metadata = '{{\"i\": 99}}' WHERE tenant_id = '{TENANT}' AND seq = 2;
             DELETE FROM pgtenant.audit_log WHERE tenant_id = '{TENANT_B}' AND seq = 2;
             UPDATE pgtenant.audit_log SET seq = seq + 100 WHERE tenant_id = '{TENANT_C}' AND seq IN (2, 3);
             UPDATE pgtenant.audit_log SET seq = CASE seq WHEN 102 THEN 3 ELSE 2 END
              WHERE tenant_id = '{TENANT_C}' AND seq > 100"
        ),
    )
    .await;

    let run = p.run(&["audit", "verify"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "{}: audit log\n  \
             system (superadmin events): 1 row checked, intact (last seq 1)\n  \
             tenant {TENANT}: 3 rows checked, broken at row {edited} (seq 2): edited: \
             its content does not match its hash (edited)\n  \
             tenant {TENANT_B}: 3 rows checked, broken at row {after_gap} (seq 3): deleted: \
             rows are missing before it (expected seq 2)\n  \
             tenant {TENANT_C}: 3 rows checked, broken at row {moved} (seq 2): reordered: \
             its prev_hash is not the hash of the row before it (moved or replaced)\n\
             {HINT}\n",
            p.db
        )
    );

    // One tenant only: the others are not read.
    let only_b = p.run(&["audit", "verify", "--tenant", TENANT_B]).await;
    assert_eq!(only_b.code, 1, "{only_b:?}");
    assert!(
        only_b.stdout.contains(&format!("tenant {TENANT_B}: "))
            && !only_b.stdout.contains(TENANT_C),
        "{}",
        only_b.stdout
    );

    // The newest rows removed: named past the last row.
    tamper(
        &mut admin,
        &format!("DELETE FROM pgtenant.audit_log WHERE tenant_id = '{TENANT}' AND seq >= 2"),
    )
    .await;
    let run = p.run(&["audit", "verify", "--tenant", TENANT]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "{}: audit log\n  \
             tenant {TENANT}: 1 row checked, broken after the last row (seq 2): deleted: \
             the chain head records seq 3: newer rows were removed\n{HINT}\n",
            p.db
        )
    );
}

#[tokio::test]
async fn audit_verify_refuses_a_bad_tenant_and_a_database_without_the_module() {
    let p = audited().await;
    let run = p.run(&["audit", "verify", "--tenant", "bob"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stderr, "error: --tenant \"bob\": not a UUID\n");

    let plain = Project::new();
    let run = plain.run(&["audit", "verify"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr,
        "error: no selected database uses the audit module; add modules = [\"audit\"] to its [[database]]\n"
    );

    // Listed in the manifest, not migrated yet.
    let fresh = Project::with_modules("\"audit\"");
    fresh.must(&["bootstrap"]).await;
    let run = fresh.run(&["audit", "verify"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr,
        format!(
            "error: database {}: table pgtenant.audit_log (or its column tenant_id) does not exist; \
             run `pgtenant generate` and `pgtenant migrate` to install the module\n",
            fresh.db
        )
    );
}
