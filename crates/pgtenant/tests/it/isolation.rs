//! Tenant A never sees tenant B through the pool, whatever the interleaving,
//! and no pooled connection keeps a tenant context after its transaction.

use crate::support::{ServiceDb, ROWS_A, ROWS_B, TENANT_A, TENANT_B};
use futures::StreamExt;
use pgtenant::{Error, TenantContext, TenantDb, TenantTx};
use sqlx::PgConnection;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use uuid::Uuid;

/// Every row visible in `tx`, as (tenant_id, name).
async fn visible(tx: &mut PgConnection) -> Vec<(Uuid, String)> {
    sqlx::query_as("SELECT tenant_id, name FROM items")
        .fetch_all(tx)
        .await
        .unwrap()
}

/// The tenant setting as the next user of a connection finds it.
async fn leftover_setting(conn: &mut PgConnection) -> Option<String> {
    sqlx::query_scalar("SELECT NULLIF(current_setting('app.tenant_id', true), '')")
        .fetch_one(conn)
        .await
        .unwrap()
}

async fn backend_pid(conn: &mut PgConnection) -> i32 {
    sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(conn)
        .await
        .unwrap()
}

/// SAVEPOINT fails outside a transaction block: proof that the connection
/// did not come back from the pool mid-transaction.
async fn assert_outside_transaction(conn: &mut PgConnection) {
    let err = sqlx::query("SAVEPOINT probe")
        .execute(conn)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("can only be used in transaction blocks"),
        "{err}"
    );
}

async fn count_as(db: &TenantDb, tenant: &str) -> i64 {
    let mut tx = db.tenant(tenant).begin().await.unwrap();
    let n = sqlx::query_scalar("SELECT count(*) FROM items")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn interleaved_transactions_of_two_tenants_never_see_each_other() {
    let fx = ServiceDb::tenancy().await;
    let db = fx.tenant_db(4).await;
    let a = Uuid::parse_str(TENANT_A).unwrap();
    let b = Uuid::parse_str(TENANT_B).unwrap();

    // 3,000 transactions, 32 in flight on 4 connections, alternating A and B.
    // Each reads, inserts, reads again with yields in between, then ends in
    // one of three ways: commit of a read-only tx, rollback, or drop.
    let results = futures::stream::iter(0..3000u32)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                let (tenant, expected) = if i % 2 == 0 { (a, ROWS_A) } else { (b, ROWS_B) };
                let mut tx = db.tenant(tenant).begin().await.unwrap();
                let rows = visible(&mut tx).await;
                assert!(
                    rows.iter().all(|(t, _)| *t == tenant),
                    "tx {i} saw another tenant's row"
                );
                assert_eq!(
                    i64::try_from(rows.len()).unwrap(),
                    expected,
                    "tx {i} row count"
                );
                tokio::task::yield_now().await;
                if i % 3 != 0 {
                    sqlx::query("INSERT INTO items (tenant_id, name) VALUES ($1, $2)")
                        .bind(tenant)
                        .bind(format!("tx{i}"))
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    tokio::task::yield_now().await;
                    let rows = visible(&mut tx).await;
                    assert!(
                        rows.iter().all(|(t, _)| *t == tenant),
                        "tx {i} saw another tenant's row"
                    );
                    assert_eq!(i64::try_from(rows.len()).unwrap(), expected + 1);
                }
                match i % 3 {
                    0 => tx.commit().await.unwrap(),
                    1 => tx.rollback().await.unwrap(),
                    _ => drop(tx),
                }
            })
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
    assert_eq!(results.len(), 3000);
    for r in results {
        r.unwrap();
    }
    // Nothing written survived (every writing tx rolled back), seen as admin.
    let mut admin = fx.db.conn().await;
    let counts: Vec<(Uuid, i64)> =
        sqlx::query_as("SELECT tenant_id, count(*) FROM items GROUP BY 1 ORDER BY 1")
            .fetch_all(&mut admin)
            .await
            .unwrap();
    assert_eq!(counts, vec![(a, ROWS_A), (b, ROWS_B)]);
    // And each pooled connection is clean.
    for _ in 0..4 {
        let mut conn = db.pool().acquire().await.unwrap();
        assert_eq!(leftover_setting(&mut conn).await, None);
    }
}

#[tokio::test]
async fn writing_another_tenants_id_is_rejected_by_the_policy() {
    let fx = ServiceDb::tenancy().await;
    let db = fx.tenant_db(1).await;
    let mut tx = db.tenant(TENANT_A).begin().await.unwrap();
    let err = sqlx::query("INSERT INTO items (tenant_id, name) VALUES ($1::uuid, 'x')")
        .bind(TENANT_B)
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("violates row-level security policy"),
        "{err}"
    );
    drop(tx);
    let mut tx = db.tenant(TENANT_A).begin().await.unwrap();
    let moved = sqlx::query("UPDATE items SET tenant_id = $1::uuid")
        .bind(TENANT_B)
        .execute(&mut *tx)
        .await;
    assert!(moved
        .unwrap_err()
        .to_string()
        .contains("violates row-level security policy"));
}

#[tokio::test]
async fn a_panicking_closure_rolls_back_and_leaves_the_connection_clean() {
    let fx = ServiceDb::tenancy().await;
    // One connection: the next user is certainly the same connection.
    let db = fx.tenant_db(1).await;
    let pid = Arc::new(AtomicI32::new(0));
    let task = {
        let (db, pid) = (db.clone(), pid.clone());
        tokio::spawn(async move {
            let ctx = TenantContext::new(TENANT_A);
            db.with_tenant(&ctx, |tx: &mut TenantTx| {
                Box::pin(async move {
                    pid.store(backend_pid(tx).await, Ordering::SeqCst);
                    sqlx::query(
                        "INSERT INTO items (tenant_id, name) VALUES ($1::uuid, 'panicked')",
                    )
                    .bind(TENANT_A)
                    .execute(&mut **tx)
                    .await?;
                    if pid.load(Ordering::SeqCst) != 0 {
                        panic!("handler bug");
                    }
                    Ok::<_, Error>(())
                })
            })
            .await
        })
    };
    let joined = task.await;
    assert!(joined.unwrap_err().is_panic());

    let mut conn = db.pool().acquire().await.unwrap();
    assert_eq!(
        backend_pid(&mut conn).await,
        pid.load(Ordering::SeqCst),
        "same connection"
    );
    assert_eq!(leftover_setting(&mut conn).await, None);
    assert_outside_transaction(&mut conn).await;
    drop(conn);
    assert_eq!(
        count_as(&db, TENANT_A).await,
        ROWS_A,
        "the insert was rolled back"
    );
}

#[tokio::test]
async fn with_tenant_commits_on_ok_and_rolls_back_on_err() {
    let fx = ServiceDb::tenancy().await;
    let db = fx.tenant_db(1).await;
    let ctx = TenantContext::new(TENANT_B);
    let insert = |name: &'static str| {
        sqlx::query("INSERT INTO items (tenant_id, name) VALUES ($1::uuid, $2)")
            .bind(TENANT_B)
            .bind(name)
    };
    db.with_tenant(&ctx, |tx| {
        Box::pin(async move {
            insert("kept").execute(&mut **tx).await?;
            Ok::<_, Error>(())
        })
    })
    .await
    .unwrap();
    let failed: Result<(), Error> = db
        .with_tenant(&ctx, |tx| {
            Box::pin(async move {
                insert("dropped").execute(&mut **tx).await?;
                Err(Error::NoSuperadmin)
            })
        })
        .await;
    assert!(matches!(failed, Err(Error::NoSuperadmin)));
    let mut admin = fx.db.conn().await;
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM items WHERE name IN ('kept', 'dropped')")
            .fetch_all(&mut admin)
            .await
            .unwrap();
    assert_eq!(names, vec!["kept".to_owned()]);
}

#[tokio::test]
async fn after_commit_rollback_or_drop_the_pooled_connection_has_no_tenant() {
    let fx = ServiceDb::tenancy().await;
    let db = fx.tenant_db(1).await;
    for ending in ["commit", "rollback", "drop"] {
        let mut tx = db
            .tenant(TENANT_A)
            .user(crate::support::USER_A)
            .begin()
            .await
            .unwrap();
        let pid = backend_pid(&mut tx).await;
        let inside: (String, String) = sqlx::query_as(
            "SELECT current_setting('app.tenant_id'), current_setting('app.user_id')",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert_eq!(
            inside,
            (TENANT_A.to_owned(), crate::support::USER_A.to_owned())
        );
        match ending {
            "commit" => tx.commit().await.unwrap(),
            "rollback" => tx.rollback().await.unwrap(),
            _ => drop(tx),
        }
        let mut conn = db.pool().acquire().await.unwrap();
        assert_eq!(
            backend_pid(&mut conn).await,
            pid,
            "{ending}: same connection"
        );
        assert_eq!(
            leftover_setting(&mut conn).await,
            None,
            "{ending}: tenant setting left behind"
        );
        assert_outside_transaction(&mut conn).await;
        let user: Option<String> =
            sqlx::query_scalar("SELECT NULLIF(current_setting('app.user_id', true), '')")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(user, None, "{ending}: user setting left behind");
        assert_eq!(
            visible(&mut conn).await,
            vec![],
            "{ending}: rows visible without a tenant"
        );
    }
}

#[tokio::test]
async fn without_a_tenant_or_with_an_empty_setting_every_read_is_empty() {
    let fx = ServiceDb::tenancy().await;
    let db = fx.tenant_db(1).await;
    let mut conn = db.pool().acquire().await.unwrap();
    assert_eq!(visible(&mut conn).await, vec![]);
    let mut tx = sqlx::Connection::begin(&mut *conn).await.unwrap();
    sqlx::query("SELECT set_config('app.tenant_id', '', true)")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(visible(&mut tx).await, vec![]);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM memberships")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

/// A request cancelled mid-query (its future dropped) must not hand its
/// connection, still in the transaction, to the next request.
#[tokio::test]
async fn a_cancelled_transaction_does_not_leak_into_the_next_user() {
    let fx = ServiceDb::tenancy().await;
    let db = fx.tenant_db(1).await;
    let work = async {
        let mut tx = db.tenant(TENANT_A).begin().await.unwrap();
        sqlx::query("INSERT INTO items (tenant_id, name) VALUES ($1::uuid, 'cancelled')")
            .bind(TENANT_A)
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("SELECT pg_sleep(1)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    };
    let timed_out = tokio::time::timeout(std::time::Duration::from_millis(200), work).await;
    assert!(timed_out.is_err(), "the work should have been cancelled");
    let mut conn = db.pool().acquire().await.unwrap();
    assert_eq!(leftover_setting(&mut conn).await, None);
    assert_outside_transaction(&mut conn).await;
    drop(conn);
    assert_eq!(
        count_as(&db, TENANT_A).await,
        ROWS_A,
        "the cancelled insert was rolled back"
    );
}
