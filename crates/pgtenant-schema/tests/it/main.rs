//! Integration tests of pgtenant-schema on a real PostgreSQL.

mod acceptance;
mod corpus;
mod corpus_converge;
mod distribute;
mod introspect;
mod prop;
mod shadow;
mod support;
mod tenancy;

use pgtenant_schema::Catalog;
use pgtenant_testkit::TestDb;

/// The schema with every object kind introspection knows.
pub const EVERY_KIND: &str = include_str!("fixtures/every_kind.sql");

/// Load `sql` into a fresh test database and introspect it. The database is
/// returned so it lives as long as the test needs it.
pub async fn load(sql: &str) -> (TestDb, Catalog) {
    let db = TestDb::new().await;
    db.exec(sql).await;
    let mut conn = db.conn().await;
    let catalog = pgtenant_schema::introspect(&mut conn)
        .await
        .expect("introspect");
    (db, catalog)
}

/// Whether a database of that name exists on the test server.
pub async fn database_exists(name: &str) -> bool {
    let mut conn = pgtenant_testkit::admin_conn().await;
    sqlx::query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .unwrap()
}
