//! The scratch database the library's tests share ([`ServiceDb`]: a
//! database and a unique NOSUPERUSER NOBYPASSRLS service role, with the
//! connections to it) and the tenancy fixture on it: RLS-protected tables,
//! the role granted DML only. `rbac_support.rs` and `module_db.rs` build
//! their fixtures on the same type.

use pgtenant::{MembershipConfig, TenancyConfig, TenantDb, TenantKeyType};
use pgtenant_testkit::{TestDb, TestRole};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
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

/// A scratch database and a unique LOGIN NOSUPERUSER NOBYPASSRLS service
/// role.
pub struct ServiceDb {
    // Field order is drop order: the database goes before the role.
    pub db: TestDb,
    pub svc: TestRole,
}

impl ServiceDb {
    /// Create the role and the database, then run (as the admin) the SQL
    /// that `setup` writes for the role's name.
    pub async fn create(setup: impl FnOnce(&str) -> String) -> ServiceDb {
        let svc = TestRole::new("pgt_svc", "LOGIN NOSUPERUSER NOBYPASSRLS").await;
        let db = TestDb::new().await;
        db.exec(&setup(&svc.name)).await;
        ServiceDb { db, svc }
    }

    /// The tenancy fixture: tenants A and B, `items` (ROWS_A / ROWS_B
    /// rows), `memberships` (USER_A in A, USER_B in B), all under the
    /// isolation policy.
    pub async fn tenancy() -> ServiceDb {
        ServiceDb::create(tenancy_sql).await
    }

    /// An admin (superuser) connection.
    pub async fn admin(&self) -> PgConnection {
        self.db.conn().await
    }

    fn svc_options(&self) -> PgConnectOptions {
        PgConnectOptions::from_str(&self.db.url)
            .unwrap()
            .username(&self.svc.name)
    }

    /// A connection as the service role.
    pub async fn svc_conn(&self) -> PgConnection {
        PgConnection::connect_with(&self.svc_options())
            .await
            .unwrap()
    }

    /// A pool of `size` connections logged in as the service role.
    pub async fn svc_pool(&self, size: u32) -> PgPool {
        PgPoolOptions::new()
            .max_connections(size)
            .connect_with(self.svc_options())
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

/// The tables, rows, policies and grants of [`ServiceDb::tenancy`].
fn tenancy_sql(svc: &str) -> String {
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
    sql.push_str(&grants(svc));
    sql
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

/// Set the tenant (and user) for the rest of the transaction on `conn`.
pub async fn set_tenant(conn: &mut PgConnection, tenant: &str, user: &str) {
    sqlx::query(
        "SELECT set_config('app.tenant_id', $1, true), set_config('app.user_id', $2, true)",
    )
    .bind(tenant)
    .bind(user)
    .execute(conn)
    .await
    .unwrap();
}

/// Run `sql` and return the database error message (panics on success).
pub async fn refused(conn: &mut PgConnection, sql: &str) -> String {
    match sqlx::raw_sql(sql).execute(conn).await {
        Ok(_) => panic!("expected an error from: {sql}"),
        Err(sqlx::Error::Database(e)) => e.message().to_owned(),
        Err(e) => panic!("{e}"),
    }
}
