//! Test support on a real PostgreSQL: uniquely named scratch databases and
//! roles that are dropped when the guard goes out of scope, so tests run in
//! parallel and leave nothing behind.
//!
//! The server is taken from `PGTENANT_TEST_ADMIN_URL`, defaulting to
//! `postgres://postgres@127.0.0.1:5432/postgres`.

use pgtenant_schema::ident::quote_ident;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use std::str::FromStr;

/// The admin URL for tests.
pub fn admin_url() -> String {
    std::env::var("PGTENANT_TEST_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A fresh unique name with the given prefix, e.g. `pgt_it_3f2a9c...`.
/// Lower-case, at most 40 characters, valid unquoted.
pub fn unique_name(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}_{}", &id[..16])
}

/// `url` with its database replaced by `db`.
pub fn url_for_db(url: &str, db: &str) -> String {
    let opts = PgConnectOptions::from_str(url).expect("valid admin url");
    opts.database(db).to_url_lossy().to_string()
}

/// A connection to the admin database.
pub async fn admin_conn() -> PgConnection {
    let opts = PgConnectOptions::from_str(&admin_url())
        .expect("valid PGTENANT_TEST_ADMIN_URL")
        .disable_statement_logging();
    PgConnection::connect_with(&opts)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test server at {}: {e}", admin_url()))
}

/// A scratch database, dropped (with `FORCE`) on drop.
pub struct TestDb {
    pub name: String,
    pub url: String,
    dropped: bool,
}

impl TestDb {
    /// Create a uniquely named, empty database.
    pub async fn new() -> TestDb {
        Self::with_prefix("pgt_test").await
    }

    pub async fn with_prefix(prefix: &str) -> TestDb {
        let name = unique_name(prefix);
        let mut conn = admin_conn().await;
        sqlx::query(&format!("CREATE DATABASE {}", quote_ident(&name)))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let url = url_for_db(&admin_url(), &name);
        TestDb {
            name,
            url,
            dropped: false,
        }
    }

    /// A pool on this database as the admin role.
    pub async fn pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(4)
            .connect(&self.url)
            .await
            .expect("connect to test database")
    }

    /// A single admin connection to this database.
    pub async fn conn(&self) -> PgConnection {
        PgConnection::connect(&self.url)
            .await
            .expect("connect to test database")
    }

    /// Run a batch of SQL (simple query protocol, many statements allowed).
    pub async fn exec(&self, sql: &str) {
        let mut conn = self.conn().await;
        sqlx::raw_sql(sql)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("test SQL failed: {e}\n{sql}"));
    }

    /// Drop now (also done on drop).
    pub async fn drop_now(mut self) {
        drop_database(&self.name).await;
        self.dropped = true;
    }
}

/// Drop a database if it exists, terminating its connections.
pub async fn drop_database(name: &str) {
    let mut conn = admin_conn().await;
    let _ = sqlx::query(&format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(name)
    ))
    .execute(&mut conn)
    .await;
}

/// Drop a role if it exists (after dropping what it owns in `db_urls`).
pub async fn drop_role(name: &str) {
    let mut conn = admin_conn().await;
    let _ = sqlx::query(&format!("DROP ROLE IF EXISTS {}", quote_ident(name)))
        .execute(&mut conn)
        .await;
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let name = self.name.clone();
        // Drop on a separate thread with its own runtime: Drop may run inside
        // or outside a tokio runtime.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(drop_database(&name));
            }
        })
        .join();
    }
}

/// A role created for a test, dropped (with `DROP OWNED` in the given
/// databases is the caller's job) on drop.
pub struct TestRole {
    pub name: String,
}

impl TestRole {
    pub async fn new(prefix: &str, attributes: &str) -> TestRole {
        let name = unique_name(prefix);
        let mut conn = admin_conn().await;
        sqlx::query(&format!("CREATE ROLE {} {attributes}", quote_ident(&name)))
            .execute(&mut conn)
            .await
            .expect("create test role");
        TestRole { name }
    }
}

impl Drop for TestRole {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(drop_role(&name));
            }
        })
        .join();
    }
}
