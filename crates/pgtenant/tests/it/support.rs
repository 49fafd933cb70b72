//! A tenancy fixture: a scratch database with RLS-protected tables and a
//! unique NOSUPERUSER NOBYPASSRLS service role granted DML only.

use pgtenant::{MembershipConfig, TenancyConfig, TenantDb, TenantKeyType};
use pgtenant_testkit::{TestDb, TestRole};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;

pub const TENANT_A: &str = "00000000-0000-4000-8000-00000000000a";
pub const TENANT_B: &str = "00000000-0000-4000-8000-00000000000b";
pub const USER_A: &str = "00000000-0000-4000-8000-0000000000aa";
pub const USER_B: &str = "00000000-0000-4000-8000-0000000000bb";
/// Rows seeded per tenant in `items`.
pub const ROWS_A: i64 = 30;
pub const ROWS_B: i64 = 45;

/// The policy the tenancy transform generates, for `table` keyed by `ty`.
pub fn policy_sql(table: &str, column: &str, ty: &str) -> String {
    let expr =
        format!("{column} = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::{ty})");
    format!(
        "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;\n\
         ALTER TABLE {table} FORCE ROW LEVEL SECURITY;\n\
         CREATE POLICY tenant_isolation ON {table} FOR ALL USING ({expr}) WITH CHECK ({expr});\n"
    )
}

pub struct Fixture {
    // Field order is drop order: the database goes before the roles.
    pub db: TestDb,
    pub svc: TestRole,
}

impl Fixture {
    /// Tenants A and B, `items` (ROWS_A / ROWS_B rows), `memberships`
    /// (USER_A in A, USER_B in B), all under the isolation policy.
    pub async fn new() -> Fixture {
        let svc = TestRole::new("pgt_svc", "LOGIN NOSUPERUSER NOBYPASSRLS").await;
        let db = TestDb::new().await;
        let mut sql = String::from(
            "CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL);
             CREATE TABLE items (
               id bigint GENERATED ALWAYS AS IDENTITY,
               tenant_id uuid NOT NULL REFERENCES tenants (id),
               name text NOT NULL,
               PRIMARY KEY (tenant_id, id));
             CREATE TABLE memberships (
               user_id uuid NOT NULL,
               tenant_id uuid NOT NULL REFERENCES tenants (id),
               PRIMARY KEY (tenant_id, user_id));\n",
        );
        sql.push_str(&policy_sql("items", "tenant_id", "uuid"));
        sql.push_str(&policy_sql("memberships", "tenant_id", "uuid"));
        sql.push_str(&policy_sql("tenants", "id", "uuid"));
        sql.push_str(&format!(
            "INSERT INTO tenants VALUES ('{TENANT_A}', 'A'), ('{TENANT_B}', 'B');
             INSERT INTO items (tenant_id, name) SELECT '{TENANT_A}', 'a' || g FROM generate_series(1, {ROWS_A}) g;
             INSERT INTO items (tenant_id, name) SELECT '{TENANT_B}', 'b' || g FROM generate_series(1, {ROWS_B}) g;
             INSERT INTO memberships VALUES ('{USER_A}', '{TENANT_A}'), ('{USER_B}', '{TENANT_B}');\n"
        ));
        sql.push_str(&grants(&svc.name));
        db.exec(&sql).await;
        Fixture { db, svc }
    }

    /// A pool of `size` connections logged in as the service role.
    pub async fn svc_pool(&self, size: u32) -> PgPool {
        let opts = PgConnectOptions::from_str(&self.db.url)
            .unwrap()
            .username(&self.svc.name);
        PgPoolOptions::new()
            .max_connections(size)
            .connect_with(opts)
            .await
            .unwrap()
    }

    /// The library on a service-role pool of `size` connections.
    pub async fn tenant_db(&self, size: u32) -> TenantDb {
        TenantDb::from_pool(self.svc_pool(size).await, config())
            .await
            .unwrap()
    }
}

/// DML grants for the service role (what bootstrap grants).
pub fn grants(role: &str) -> String {
    format!(
        "GRANT USAGE ON SCHEMA public TO {role};
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
         GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role};\n"
    )
}

pub fn config() -> TenancyConfig {
    TenancyConfig::new(TenantKeyType::Uuid)
        .user_setting("app.user_id")
        .membership(MembershipConfig::new("memberships", "user_id", "tenant_id"))
}
