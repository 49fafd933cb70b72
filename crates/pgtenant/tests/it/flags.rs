//! The flags module against a real server: evaluation order (override >
//! plan minimum > default), expiry by the database clock, unknown keys as
//! errors, read-only tables for the service role, the Rust snapshot and
//! the SQL function agreeing over random worlds, and the cache refreshing
//! after a change.

use crate::support::{refused, set_tenant, ServiceDb, TENANT_A, TENANT_B};
use pgtenant::flags::{FlagCache, FlagSnapshot, UnknownFlag};
use rand::{Rng, SeedableRng};
use sqlx::{Connection, PgConnection};

const USER: &str = "00000000-0000-4000-8000-0000000000aa";

const PLANS: &str =
    "INSERT INTO pgtenant.plans VALUES ('free', 0), ('starter', 1), ('pro', 2), ('enterprise', 3);";

async fn flag_sql(conn: &mut PgConnection, tenant: &str, key: &str) -> Result<bool, String> {
    let mut tx = conn.begin().await.unwrap();
    set_tenant(&mut tx, tenant, USER).await;
    let r = sqlx::query_scalar("SELECT pgtenant.flag_enabled($1)")
        .bind(key)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) => d.message().to_owned(),
            e => e.to_string(),
        });
    tx.rollback().await.unwrap();
    r
}

async fn snapshot(conn: &mut PgConnection, tenant: &str) -> FlagSnapshot {
    let mut tx = conn.begin().await.unwrap();
    set_tenant(&mut tx, tenant, USER).await;
    let s = FlagSnapshot::load(&mut tx, "pgtenant").await.unwrap();
    tx.rollback().await.unwrap();
    s
}

#[tokio::test]
async fn override_beats_plan_beats_default_and_unknown_is_an_error() {
    let m = ServiceDb::with_modules(&["flags"]).await;
    let mut admin = m.admin().await;
    sqlx::raw_sql(&format!(
        "{PLANS}
         INSERT INTO pgtenant.flags (key, default_enabled, min_plan) VALUES
           ('beta.dashboard', false, NULL), ('sso', false, 'pro'), ('exports', true, NULL),
           ('api.webhooks', true, 'starter');
         INSERT INTO pgtenant.tenant_plans VALUES ('{TENANT_A}', 'enterprise'), ('{TENANT_B}', 'free');
         INSERT INTO pgtenant.flag_overrides VALUES
           ('{TENANT_B}', 'sso', true, NULL),
           ('{TENANT_A}', 'exports', false, NULL),
           ('{TENANT_B}', 'beta.dashboard', true, now() - interval '1 minute');"
    ))
    .execute(&mut admin)
    .await
    .unwrap();

    let mut svc = m.svc_conn().await;
    let expect = [
        (TENANT_A, "sso", true),             // plan enterprise >= pro
        (TENANT_B, "sso", true),             // override on a free plan
        (TENANT_A, "exports", false),        // override beats the default
        (TENANT_B, "exports", true),         // default
        (TENANT_B, "api.webhooks", false),   // free < starter, default ignored
        (TENANT_B, "beta.dashboard", false), // expired override
    ];
    for (tenant, key, value) in expect {
        assert_eq!(
            flag_sql(&mut svc, tenant, key).await,
            Ok(value),
            "{tenant} {key}"
        );
        assert_eq!(
            snapshot(&mut svc, tenant).await.enabled(key),
            Ok(value),
            "{tenant} {key}"
        );
    }

    assert_eq!(
        flag_sql(&mut svc, TENANT_A, "nope").await,
        Err("unknown feature flag 'nope'".to_owned())
    );
    let s = snapshot(&mut svc, TENANT_A).await;
    assert_eq!(s.enabled("nope"), Err(UnknownFlag("nope".into())));
    assert_eq!(
        UnknownFlag("nope".into()).to_string(),
        "unknown feature flag \"nope\"; define it in the flags table first (pgtenant flags list \
         shows the defined ones)"
    );

    // A tenant cannot upgrade itself or grant itself a flag, even holding
    // INSERT/UPDATE grants.
    let mut tx = svc.begin().await.unwrap();
    set_tenant(&mut tx, TENANT_B, USER).await;
    let upgraded = sqlx::query("UPDATE pgtenant.tenant_plans SET plan = 'enterprise'")
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(upgraded, 0);
    let msg = refused(
        &mut tx,
        &format!(
            "INSERT INTO pgtenant.flag_overrides VALUES ('{TENANT_B}', 'exports', true, NULL)"
        ),
    )
    .await;
    assert!(msg.contains("row-level security"), "{msg}");
    tx.rollback().await.unwrap();
    let mut tx = svc.begin().await.unwrap();
    let changed = sqlx::query("UPDATE pgtenant.flags SET default_enabled = true")
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 0, "no write policy on the global flags table");
    tx.rollback().await.unwrap();
    // No tenant set: plan minimums fail, defaults hold.
    let mut tx = svc.begin().await.unwrap();
    let none: Vec<(String, bool)> =
        sqlx::query_as("SELECT key, enabled FROM pgtenant.flag_values() ORDER BY key")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
    assert_eq!(
        none,
        [
            ("api.webhooks".to_owned(), false),
            ("beta.dashboard".to_owned(), false),
            ("exports".to_owned(), true),
            ("sso".to_owned(), false)
        ]
    );
    tx.rollback().await.unwrap();
}

#[tokio::test]
async fn cache_refreshes_after_a_change_and_after_an_expiry() {
    let m = ServiceDb::with_modules(&["flags"]).await;
    let mut admin = m.admin().await;
    sqlx::raw_sql(&format!(
        "{PLANS} INSERT INTO pgtenant.flags (key) VALUES ('sso');
         INSERT INTO pgtenant.flag_overrides VALUES ('{TENANT_A}', 'sso', true, now() + interval '2 seconds');"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    let cache = FlagCache::new("pgtenant");
    let mut svc = m.svc_conn().await;
    let first = cached(&cache, &mut svc).await;
    assert_eq!(first.enabled("sso"), Ok(true));
    let again = cached(&cache, &mut svc).await;
    assert!(
        std::sync::Arc::ptr_eq(&first, &again),
        "unchanged: the same snapshot"
    );

    sqlx::raw_sql("INSERT INTO pgtenant.flags (key, default_enabled) VALUES ('exports', true)")
        .execute(&mut admin)
        .await
        .unwrap();
    let after = cached(&cache, &mut svc).await;
    assert!(after.version() > first.version());
    assert_eq!(after.enabled("exports"), Ok(true));
    assert_eq!(after.enabled("sso"), Ok(true));

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let expired = cached(&cache, &mut svc).await;
    assert_eq!(
        expired.enabled("sso"),
        Ok(false),
        "the override expired by the database clock"
    );
}

async fn cached(cache: &FlagCache, svc: &mut PgConnection) -> std::sync::Arc<FlagSnapshot> {
    let mut tx = svc.begin().await.unwrap();
    set_tenant(&mut tx, TENANT_A, USER).await;
    let s = cache.get(&mut tx, TENANT_A).await.unwrap();
    tx.rollback().await.unwrap();
    s
}

/// Random worlds: plans, flags with defaults and minimums, tenant plans,
/// overrides (some expired); every flag of every tenant evaluated by SQL
/// and by the snapshot must agree.
#[tokio::test]
async fn rust_and_sql_agree_over_random_worlds() {
    let m = ServiceDb::with_modules(&["flags"]).await;
    let mut admin = m.admin().await;
    let mut svc = m.svc_conn().await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    let mut checked = 0;
    for _world in 0..40 {
        let mut sql = String::from(
            "DELETE FROM pgtenant.flag_overrides; DELETE FROM pgtenant.tenant_plans;
             DELETE FROM pgtenant.flags; DELETE FROM pgtenant.plans;\n",
        );
        sql.push_str(PLANS);
        let plans = ["free", "starter", "pro", "enterprise"];
        let nflags = rng.gen_range(1..12);
        for f in 0..nflags {
            let min = if rng.gen_bool(0.5) {
                format!("'{}'", plans[rng.gen_range(0..4)])
            } else {
                "NULL".to_owned()
            };
            sql.push_str(&format!(
                "INSERT INTO pgtenant.flags (key, default_enabled, min_plan) VALUES ('f{f}', {}, {min});\n",
                rng.gen_bool(0.5)
            ));
        }
        for tenant in [TENANT_A, TENANT_B] {
            if rng.gen_bool(0.7) {
                sql.push_str(&format!(
                    "INSERT INTO pgtenant.tenant_plans VALUES ('{tenant}', '{}');\n",
                    plans[rng.gen_range(0..4)]
                ));
            }
            for f in 0..nflags {
                if rng.gen_bool(0.3) {
                    let expiry = [
                        "NULL",
                        "now() - interval '1 hour'",
                        "now() + interval '1 hour'",
                    ][rng.gen_range(0..3)];
                    sql.push_str(&format!(
                        "INSERT INTO pgtenant.flag_overrides VALUES ('{tenant}', 'f{f}', {}, {expiry});\n",
                        rng.gen_bool(0.5)
                    ));
                }
            }
        }
        sqlx::raw_sql(&sql).execute(&mut admin).await.unwrap();
        for tenant in [TENANT_A, TENANT_B] {
            let snap = snapshot(&mut svc, tenant).await;
            let mut tx = svc.begin().await.unwrap();
            set_tenant(&mut tx, tenant, USER).await;
            let sql_values: Vec<(String, bool)> = sqlx::query_as(
                "SELECT key, pgtenant.flag_enabled(key) FROM pgtenant.flags ORDER BY key",
            )
            .fetch_all(&mut *tx)
            .await
            .unwrap();
            tx.rollback().await.unwrap();
            assert_eq!(sql_values.len(), nflags);
            for (key, value) in sql_values {
                assert_eq!(snap.enabled(&key), Ok(value), "{tenant} {key}");
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "{checked} cases");
}
