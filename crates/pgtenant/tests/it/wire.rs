//! What the library puts on the wire, seen through a recording proxy.

use crate::support::{config, ServiceDb, TENANT_A, TENANT_B, USER_A};
use pgtenant::TenantDb;
use pgtenant_testkit::WireTap;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;

/// `begin()` sends one message, `SET LOCAL …; BEGIN`, and waits once: the
/// context rides in the BEGIN round trip.
#[tokio::test]
async fn begin_sends_the_context_and_begin_in_one_message() {
    let fx = ServiceDb::tenancy().await;
    let tap = WireTap::start(&fx.db.url).await;
    let opts = PgConnectOptions::from_str(&tap.url(&fx.db.url))
        .unwrap()
        .username(&fx.svc.name);
    // No ping before each acquire: that round trip is the pool's, not ours.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .connect_with(opts)
        .await
        .unwrap();
    let db = TenantDb::from_pool(pool, config()).await.unwrap();
    db.tenant(TENANT_B)
        .begin()
        .await
        .unwrap()
        .rollback()
        .await
        .unwrap();

    tap.clear();
    let mut tx = db.tenant(TENANT_A).user(USER_A).begin().await.unwrap();
    // sqlx's pool sends an empty Sync when it hands out a connection whose
    // last use it did not wait for (the previous ROLLBACK): that is the
    // pool's, the same with or without pgtenant. What begin() sends is one
    // simple query carrying the settings and BEGIN together.
    let sent: Vec<_> = tap
        .messages()
        .into_iter()
        .filter(|m| !(m.tag == b'S' && m.body.is_empty()))
        .collect();
    assert_eq!(
        sent.iter().filter(|m| m.ends_round_trip()).count(),
        1,
        "begin() waited for the server more than once: {sent:?}"
    );
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        sent[0].sql().as_deref(),
        Some(
            format!(
                "SET LOCAL app.tenant_id = '{TENANT_A}'; SET LOCAL app.user_id = '{USER_A}'; BEGIN"
            )
            .as_str()
        )
    );

    // And the context is really set in the transaction it opened.
    let seen: String = sqlx::query_scalar("SELECT current_setting('app.tenant_id')")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(seen, TENANT_A);
    tx.rollback().await.unwrap();
}
