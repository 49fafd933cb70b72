//! The superadmin path: explicit, reasoned, logged, and a separate role.

use crate::support::{ServiceDb, ROWS_A, ROWS_B, TENANT_A};
use pgtenant::{Error, SuperadminDb};
use pgtenant_testkit::TestRole;
use sqlx::postgres::PgConnectOptions;
use std::io::Write;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use tracing_subscriber::fmt::MakeWriter;

/// Collects formatted log output.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

const PASSWORD: &str = "hunter2-not-for-logs";

async fn superadmin_url(fx: &ServiceDb, role: &TestRole) -> String {
    let opts = PgConnectOptions::from_str(&fx.db.url)
        .unwrap()
        .username(&role.name)
        .password(PASSWORD);
    sqlx::ConnectOptions::to_url_lossy(&opts).to_string()
}

#[tokio::test]
async fn superadmin_sees_every_tenant_and_logs_the_reason() {
    let admin_role = TestRole::new("pgt_admin", "LOGIN NOSUPERUSER BYPASSRLS").await;
    let fx = ServiceDb::tenancy().await;
    fx.db
        .exec(&format!(
            "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {};",
            admin_role.name
        ))
        .await;
    let db = fx.tenant_db(1).await;
    assert!(matches!(db.superadmin().unwrap_err(), Error::NoSuperadmin));

    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let url = superadmin_url(&fx, &admin_role).await;
    let db = db.with_superadmin(SuperadminDb::connect(&url).await.unwrap());
    let err = db.superadmin().unwrap().begin("  ").await.unwrap_err();
    assert!(matches!(err, Error::MissingReason));

    let mut tx = db
        .superadmin()
        .unwrap()
        .begin("nightly billing export")
        .await
        .unwrap();
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM items")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(total, ROWS_A + ROWS_B);
    let reason: String = sqlx::query_scalar("SELECT current_setting('pgtenant.superadmin_reason')")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(reason, "nightly billing export");
    tx.commit().await.unwrap();

    let log = captured.text();
    assert!(log.contains("superadmin transaction begins"), "{log}");
    assert!(log.contains("reason=nightly billing export"), "{log}");
    assert!(log.contains("superadmin transaction committed"), "{log}");
    assert!(
        !log.contains(PASSWORD),
        "the password leaked into the log: {log}"
    );

    // Setting variables from the service role does not make it a superadmin.
    let mut tx = db.tenant(TENANT_A).begin().await.unwrap();
    sqlx::query("SELECT set_config('pgtenant.superadmin_reason', 'spoofed', true), set_config('app.tenant_id', '', true)")
        .execute(&mut *tx)
        .await
        .unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM items")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(seen, 0);
}

#[tokio::test]
async fn a_superadmin_role_without_bypassrls_is_refused() {
    let fx = ServiceDb::tenancy().await;
    let url = superadmin_url(&fx, &fx.svc).await;
    let err = SuperadminDb::connect(&url).await.unwrap_err();
    assert!(
        matches!(err, Error::SuperadminLacksBypassRls { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "the superadmin role {} has no BYPASSRLS, so it would see no tenant rows; \
             connect with the superadmin role created by `pgtenant bootstrap`",
            fx.svc.name
        )
    );
}

#[tokio::test]
async fn a_superuser_superadmin_role_is_refused() {
    let root = TestRole::new(
        "pgt_root",
        &format!("LOGIN SUPERUSER BYPASSRLS PASSWORD '{PASSWORD}'"),
    )
    .await;
    let fx = ServiceDb::tenancy().await;
    let url = superadmin_url(&fx, &root).await;
    let err = SuperadminDb::connect(&url).await.unwrap_err();
    assert!(
        matches!(err, Error::SuperadminIsSuperuser { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "the superadmin role {} is a superuser; connect with the NOSUPERUSER BYPASSRLS \
             superadmin role created by `pgtenant bootstrap`",
            root.name
        )
    );
}
