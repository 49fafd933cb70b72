//! The superadmin path: explicit, reasoned, logged, and a separate role.

use crate::support::{ServiceDb, ROWS_A, ROWS_B, TENANT_A};
use pgtenant::{Error, SuperadminDb};
use pgtenant_testkit::TestRole;
use sqlx::postgres::PgConnectOptions;
use sqlx::Connection as _;
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

/// The superadmin URL of a role without a password (trust or peer auth).
fn role_url(fx: &ServiceDb, role: &TestRole) -> String {
    let opts = PgConnectOptions::from_str(&fx.db.url)
        .unwrap()
        .username(&role.name);
    sqlx::ConnectOptions::to_url_lossy(&opts).to_string()
}

/// tenant, seq, actor, action, reason.
type EventRow = (Option<String>, i64, Option<String>, String, String);

/// With the audit module, every superadmin transaction begins with a system
/// event carrying its reason, chained like any other; a rolled-back one
/// leaves none; nobody can change the log.
#[tokio::test]
async fn superadmin_transactions_write_their_reason_into_the_audit_chain() {
    // Declared first, dropped last: the database holds grants to it.
    let sa = TestRole::new("pgt_sa", "LOGIN NOSUPERUSER BYPASSRLS").await;
    let fx = ServiceDb::with_modules_for(&["audit"], Some(&sa.name)).await;
    let db = SuperadminDb::connect(&role_url(&fx, &sa)).await.unwrap();
    assert!(db.audited());

    for reason in ["nightly billing export", "support ticket 4711"] {
        let tx = db.begin(reason).await.unwrap();
        tx.commit().await.unwrap();
    }
    let tx = db.begin("abandoned job").await.unwrap();
    tx.rollback().await.unwrap();

    let mut admin = fx.admin().await;
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT tenant_id::text, seq, actor, action, metadata->>'reason'
           FROM pgtenant.audit_log ORDER BY seq",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    let action = pgtenant::superadmin::AUDIT_ACTION.to_owned();
    assert_eq!(
        rows,
        [
            (
                None,
                1,
                Some(sa.name.clone()),
                action.clone(),
                "nightly billing export".to_owned()
            ),
            (
                None,
                2,
                Some(sa.name.clone()),
                action,
                "support ticket 4711".to_owned()
            ),
        ]
    );
    let reports = pgtenant::audit::verify(&mut admin, "pgtenant", "tenant_id", None)
        .await
        .unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(
        (&reports[0].tenant, reports[0].rows, &reports[0].broken),
        (&None, 2, &None)
    );

    // Neither the service role nor the superadmin can change the log.
    let mut svc = fx.svc_conn().await;
    let mut sa_conn = sqlx::PgConnection::connect(&role_url(&fx, &sa))
        .await
        .unwrap();
    for conn in [&mut svc, &mut sa_conn] {
        for statement in [
            "UPDATE pgtenant.audit_log SET metadata = '{}'",
            "DELETE FROM pgtenant.audit_log",
        ] {
            assert_eq!(
                crate::support::refused(conn, statement).await,
                "permission denied for table audit_log",
                "{statement}"
            );
        }
    }
}

#[tokio::test]
async fn a_superadmin_role_that_cannot_append_to_the_audit_log_is_refused() {
    let sa = TestRole::new("pgt_sa", "LOGIN NOSUPERUSER BYPASSRLS").await;
    let fx = ServiceDb::with_modules(&["audit"]).await;
    let err = SuperadminDb::connect(&role_url(&fx, &sa))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the database has the audit log pgtenant.audit_log, but the superadmin role {0} lacks \
             USAGE on schema pgtenant, so its transactions cannot be recorded; grant it as the \
             admin: GRANT USAGE ON SCHEMA pgtenant TO {0}",
            sa.name
        )
    );
    fx.db
        .exec(&format!("GRANT USAGE ON SCHEMA pgtenant TO {}", sa.name))
        .await;
    let err = SuperadminDb::connect(&role_url(&fx, &sa))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the database has the audit log pgtenant.audit_log, but the superadmin role {} lacks \
             INSERT on pgtenant.audit_log, so its transactions cannot be recorded; give the \
             database a superadmin_role in the manifest, then run `pgtenant generate` and \
             `pgtenant migrate` (the audit module grants that role SELECT and INSERT on its log)",
            sa.name
        )
    );
}
