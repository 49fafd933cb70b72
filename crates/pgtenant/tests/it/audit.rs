//! The audit module against a real server: the service role appends and
//! reads only its tenant's events (even holding UPDATE/DELETE grants), the
//! chain survives concurrent inserts, and the Rust verifier names the first
//! row an admin edited, removed or moved.

use crate::support::{refused, set_tenant, ServiceDb, TENANT_A, TENANT_B};
use pgtenant::audit::{self, AuditEvent, Breach, ChainReport};
use sqlx::{Connection, PgConnection};

const USER: &str = "00000000-0000-4000-8000-0000000000aa";

async fn record_n(conn: &mut PgConnection, tenant: &str, n: usize) {
    let mut tx = conn.begin().await.unwrap();
    set_tenant(&mut tx, tenant, USER).await;
    for i in 0..n {
        let event = AuditEvent::new("project.member.add")
            .resource("project", i)
            .metadata(serde_json::json!({"i": i, "note": "naïve \"quoted\" ✓", "nested": {"b": 1, "a": [1, null]}}))
            .ip("10.1.2.3".parse().unwrap());
        audit::record(&mut tx, "pgtenant", &event).await.unwrap();
    }
    tx.commit().await.unwrap();
}

async fn verify(admin: &mut PgConnection) -> Vec<ChainReport> {
    audit::verify(admin, "pgtenant", "tenant_id", None)
        .await
        .unwrap()
}

async fn tamper(admin: &mut PgConnection, sql: String) {
    sqlx::raw_sql(&sql).execute(admin).await.unwrap();
}

fn chain<'a>(reports: &'a [ChainReport], tenant: &str) -> &'a ChainReport {
    reports
        .iter()
        .find(|r| r.tenant.as_deref() == Some(tenant))
        .unwrap()
}

#[tokio::test]
async fn service_role_appends_and_reads_only_its_tenant() {
    let m = ServiceDb::with_modules(&["audit"]).await;
    let mut svc = m.svc_conn().await;
    record_n(&mut svc, TENANT_A, 3).await;
    record_n(&mut svc, TENANT_B, 2).await;

    let mut tx = svc.begin().await.unwrap();
    set_tenant(&mut tx, TENANT_A, USER).await;
    let rows: Vec<(i64, Option<String>, String)> =
        sqlx::query_as("SELECT seq, actor, action FROM pgtenant.audit_log ORDER BY seq")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
    assert_eq!(rows.len(), 3, "tenant A sees its own three events only");
    assert_eq!(
        rows[2],
        (3, Some(USER.to_owned()), "project.member.add".to_owned())
    );

    // Holding UPDATE/DELETE grants changes nothing: no policy allows them,
    // and the append-only trigger refuses them for every role.
    let updated = sqlx::query("UPDATE pgtenant.audit_log SET action = 'x.y'")
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    let deleted = sqlx::query("DELETE FROM pgtenant.audit_log")
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!((updated, deleted), (0, 0));
    tx.rollback().await.unwrap();

    let mut tx = svc.begin().await.unwrap();
    set_tenant(&mut tx, TENANT_A, USER).await;
    let msg = refused(&mut tx, "TRUNCATE pgtenant.audit_log").await;
    assert_eq!(msg, "permission denied for table audit_log");
    tx.rollback().await.unwrap();

    // Writing into tenant B's log as tenant A is refused.
    let mut tx = svc.begin().await.unwrap();
    set_tenant(&mut tx, TENANT_A, USER).await;
    let msg = refused(
        &mut tx,
        &format!("INSERT INTO pgtenant.audit_log (tenant_id, action) VALUES ('{TENANT_B}', 'a.b')"),
    )
    .await;
    assert!(msg.contains("row-level security"), "{msg}");
    tx.rollback().await.unwrap();

    // The chain heads are out of the service role's reach.
    let mut tx = svc.begin().await.unwrap();
    let heads: i64 = sqlx::query_scalar("SELECT count(*) FROM pgtenant.audit_heads")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(heads, 0);
    tx.rollback().await.unwrap();

    // Even the admin cannot update or delete while the trigger is on.
    let mut admin = m.admin().await;
    let msg = refused(&mut admin, "DELETE FROM pgtenant.audit_log").await;
    assert_eq!(msg, "the audit log is append-only: DELETE is not allowed");
    let msg = refused(&mut admin, "TRUNCATE pgtenant.audit_log").await;
    assert_eq!(msg, "the audit log is append-only: TRUNCATE is not allowed");

    // Deleting a tenant leaves its log.
    sqlx::raw_sql(&format!("DELETE FROM tenants WHERE id = '{TENANT_B}'"))
        .execute(&mut admin)
        .await
        .unwrap();
    let reports = verify(&mut admin).await;
    assert_eq!(chain(&reports, TENANT_B).rows, 2);
    assert!(reports.iter().all(|r| r.broken.is_none()), "{reports:?}");
}

#[tokio::test]
async fn concurrent_inserts_in_one_tenant_keep_the_chain() {
    let m = ServiceDb::with_modules(&["audit"]).await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let mut conn = m.svc_conn().await;
        tasks.push(tokio::spawn(async move {
            for _ in 0..20 {
                record_n(&mut conn, TENANT_A, 1).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut admin = m.admin().await;
    let reports = verify(&mut admin).await;
    let a = chain(&reports, TENANT_A);
    assert_eq!((a.rows, a.last_seq, &a.broken), (120, 120, &None));
}

/// Edit, remove, move: each is found at the first row it broke.
#[tokio::test]
async fn tampering_by_the_admin_is_named_at_the_first_broken_row() {
    let m = ServiceDb::with_modules(&["audit"]).await;
    let mut svc = m.svc_conn().await;
    record_n(&mut svc, TENANT_A, 6).await;
    record_n(&mut svc, TENANT_B, 4).await;
    let mut admin = m.admin().await;
    let reports = verify(&mut admin).await;
    assert!(reports.iter().all(|r| r.broken.is_none()), "{reports:?}");
    let anchor = chain(&reports, TENANT_A).last_hash;

    tamper(
        &mut admin,
        format!(
            "ALTER TABLE pgtenant.audit_log DISABLE TRIGGER audit_log_append_only;
         UPDATE pgtenant.audit_log SET metadata = metadata || '{{\"i\": 99}}'
          WHERE tenant_id = '{TENANT_A}' AND seq = 3;"
        ),
    )
    .await;
    let reports = verify(&mut admin).await;
    let broken = chain(&reports, TENANT_A).broken.clone().unwrap();
    assert_eq!((broken.seq, &broken.breach), (3, &Breach::Edited));
    assert!(chain(&reports, TENANT_B).broken.is_none());
    assert_eq!(
        broken.breach.to_string(),
        "its content does not match its hash (edited)"
    );

    // Only one tenant verified.
    let only_b = audit::verify(&mut admin, "pgtenant", "tenant_id", Some(TENANT_B))
        .await
        .unwrap();
    assert_eq!(only_b.len(), 1);
    assert!(only_b[0].broken.is_none());

    // Removing a middle row of B: named at the row after the gap.
    tamper(
        &mut admin,
        format!("DELETE FROM pgtenant.audit_log WHERE tenant_id = '{TENANT_B}' AND seq = 2"),
    )
    .await;
    let reports = verify(&mut admin).await;
    let broken = chain(&reports, TENANT_B).broken.clone().unwrap();
    assert_eq!(
        (broken.seq, broken.breach),
        (3, Breach::Missing { expected: 2 })
    );

    // Renumbering after the removal hides the gap, not the link.
    tamper(
        &mut admin,
        format!(
        "UPDATE pgtenant.audit_log SET seq = seq - 1 WHERE tenant_id = '{TENANT_B}' AND seq > 2"
    ),
    )
    .await;
    let broken = chain(&verify(&mut admin).await, TENANT_B)
        .broken
        .clone()
        .unwrap();
    assert_eq!((broken.seq, broken.breach), (2, Breach::Relinked));

    // Removing the newest row: the head is ahead of the chain.
    tamper(
        &mut admin,
        format!(
            "DELETE FROM pgtenant.audit_log WHERE tenant_id = '{TENANT_A}' AND seq = 6;
         UPDATE pgtenant.audit_log SET metadata = metadata - 'i' || '{{\"i\": 2}}'
          WHERE tenant_id = '{TENANT_A}' AND seq = 3;"
        ),
    )
    .await;
    let a = chain(&verify(&mut admin).await, TENANT_A).clone();
    assert_eq!(
        a.broken.map(|b| (b.seq, b.breach)),
        Some((6, Breach::TailRemoved { head_seq: 6 }))
    );
    assert_ne!(a.last_hash, anchor);
}
