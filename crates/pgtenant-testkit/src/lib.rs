//! Test support on a real PostgreSQL: uniquely named scratch databases and
//! roles that are dropped when the guard goes out of scope, so tests run in
//! parallel and leave nothing behind.
//!
//! The server is taken from `PGTENANT_TEST_ADMIN_URL`, defaulting to
//! `postgres://postgres@127.0.0.1:5432/postgres`: the one setting every test
//! takes the server, the admin role and its password from.
//!
//! Every name a test creates starts with [`PREFIX`], so a run can check
//! afterwards that nothing was left behind ([`leftovers`]). With
//! [`RUN_VAR`] set (`.ci/run` sets it), every name also carries that run's
//! tag, and the sweep counts and drops only the run's own objects: test
//! runs of other checkouts on the same server are left alone.
//!
//! Identifiers in the DDL here are quoted by the server (`format('%I')`),
//! so this crate depends on no pgtenant crate and every crate can use it.

mod wiretap;

pub use wiretap::{WireMessage, WireTap};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use std::str::FromStr;

/// The prefix of every database and role name the tests create.
pub const PREFIX: &str = "pgt_";

/// The prefix of the shadow databases the schema engine creates (and drops);
/// equal to `pgtenant_schema::shadow::SHADOW_PREFIX` (a test there checks).
pub const SHADOW_PREFIX: &str = "pgtenant_shadow_";

/// The environment variable naming this test run: 1 to 8 lower-case hex
/// digits, the start of every [`unique_name`]'s random part.
pub const RUN_VAR: &str = "PGTENANT_TEST_RUN";

/// This run's tag ([`RUN_VAR`]), if set; a malformed one is a setup error.
pub fn run_tag() -> Option<String> {
    let tag = std::env::var(RUN_VAR).ok().filter(|t| !t.is_empty())?;
    assert!(
        tag.len() <= 8
            && tag
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{RUN_VAR}={tag:?}: use 1 to 8 lower-case hex digits"
    );
    Some(tag)
}

/// The admin URL for tests.
pub fn admin_url() -> String {
    std::env::var("PGTENANT_TEST_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// The admin role: the user name of [`admin_url`].
pub fn admin_role() -> String {
    PgConnectOptions::from_str(&admin_url())
        .expect("valid PGTENANT_TEST_ADMIN_URL")
        .get_username()
        .to_owned()
}

/// A fresh unique name with the given prefix, e.g. `pgt_it_3f2a9c...`.
/// Lower-case, at most 40 characters, valid unquoted. The prefix must start
/// with [`PREFIX`], so the sweep after a run finds what a test left behind.
pub fn unique_name(prefix: &str) -> String {
    assert!(
        prefix.starts_with(PREFIX),
        "test object prefix {prefix:?} does not start with {PREFIX:?}"
    );
    name_with_tag(prefix, &run_tag().unwrap_or_default())
}

fn name_with_tag(prefix: &str, tag: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}_{tag}{}", &id[..16 - tag.len()])
}

/// The regular expression of the names [`leftovers`] counts, and whether
/// it counts shadow databases too.
fn leftover_pattern(tag: Option<&str>) -> (String, bool) {
    match tag {
        Some(tag) => (
            format!("^pgt_.*_{tag}[0-9a-f]{{{}}}$", 16 - tag.len()),
            false,
        ),
        None => ("^pgt_".to_owned(), true),
    }
}

/// Run `template` (DDL with one `%I` for `name`) on the admin connection,
/// the identifier quoted by the server's `format`.
async fn admin_ddl(template: &str, name: &str) -> Result<(), sqlx::Error> {
    let mut conn = admin_conn().await;
    let sql: String = sqlx::query_scalar("SELECT format($1, $2)")
        .bind(template)
        .bind(name)
        .fetch_one(&mut conn)
        .await?;
    sqlx::raw_sql(&sql).execute(&mut conn).await?;
    Ok(())
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
        admin_ddl("CREATE DATABASE %I", &name)
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
    let _ = admin_ddl("DROP DATABASE IF EXISTS %I WITH (FORCE)", name).await;
}

/// Drop a role if it exists (after dropping what it owns in `db_urls`).
pub async fn drop_role(name: &str) {
    let _ = admin_ddl("DROP ROLE IF EXISTS %I", name).await;
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
        let template = format!("CREATE ROLE %I {}", attributes.replace('%', "%%"));
        admin_ddl(&template, &name).await.expect("create test role");
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

/// The databases (named [`PREFIX`]… or [`SHADOW_PREFIX`]…) and roles
/// ([`PREFIX`]…) on the server: what the tests left behind, as
/// (`database` or `role`, name), sorted.
pub async fn leftovers() -> Vec<(String, String)> {
    let mut conn = admin_conn().await;
    // With a run tag: only names whose random part starts with it (shadow
    // databases carry no tag and are not counted; the engine drops them on
    // every path).
    let (pattern, shadows) = leftover_pattern(run_tag().as_deref());
    sqlx::query_as(
        "SELECT 'database', datname::text FROM pg_database \
         WHERE datname ~ $1 OR ($3 AND starts_with(datname, $2)) \
         UNION ALL SELECT 'role', rolname::text FROM pg_roles WHERE rolname ~ $1 \
         ORDER BY 1, 2",
    )
    .bind(&pattern)
    .bind(SHADOW_PREFIX)
    .bind(shadows)
    .fetch_all(&mut conn)
    .await
    .expect("list test databases and roles")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pattern as the server reads it (`~`), on names made with the
    /// tag, with another tag, and without one.
    #[tokio::test]
    async fn a_run_tag_starts_the_random_part_and_the_sweep_matches_only_it() {
        let name = name_with_tag("pgt_cli_db", "a1b2c3");
        assert!(name.starts_with("pgt_cli_db_a1b2c3"), "{name}");
        assert_eq!(name.len(), "pgt_cli_db_".len() + 16);
        let (pattern, shadows) = leftover_pattern(Some("a1b2c3"));
        assert!(!shadows);
        let mut conn = admin_conn().await;
        let mut matches = async |n: &str| -> bool {
            sqlx::query_scalar("SELECT $1 ~ $2")
                .bind(n)
                .bind(&pattern)
                .fetch_one(&mut conn)
                .await
                .unwrap()
        };
        assert!(matches(&name).await);
        assert!(!matches(&name_with_tag("pgt_cli_db", "ffffff")).await);
        assert!(!matches(&name_with_tag("pgt_cli_db", "")).await);
        assert!(!matches("pgtenant_shadow_a1b2c3aaaaaaaaaa").await);
        assert_eq!(leftover_pattern(None), ("^pgt_".to_owned(), true));
    }
}
