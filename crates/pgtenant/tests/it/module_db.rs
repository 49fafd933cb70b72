//! A scratch database with some modules installed: a tenants table and a
//! NOSUPERUSER NOBYPASSRLS service role granted what bootstrap grants.

use pgtenant::module::{self, ModuleParams};
use pgtenant::TenantKeyType;
use pgtenant_testkit::{TestDb, TestRole};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use std::str::FromStr;

pub const TENANT_A: &str = "00000000-0000-4000-8000-00000000000a";
pub const TENANT_B: &str = "00000000-0000-4000-8000-00000000000b";

pub struct ModuleDb {
    // Field order is drop order: the database goes before the role.
    pub db: TestDb,
    pub svc: TestRole,
}

impl ModuleDb {
    pub async fn new(modules: &[&str]) -> ModuleDb {
        let svc = TestRole::new("pgt_svc", "LOGIN NOSUPERUSER NOBYPASSRLS").await;
        let db = TestDb::new().await;
        let params = ModuleParams::new(TenantKeyType::Uuid, TenantKeyType::Uuid)
            .user_setting("app.user_id")
            .root_table("tenants", "id")
            .service_role(&svc.name);
        let mut sql = format!(
            "CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL);
             INSERT INTO tenants VALUES ('{TENANT_A}', 'A'), ('{TENANT_B}', 'B');\n"
        );
        for m in modules {
            sql.push_str(&module::by_name(m).unwrap().render_script(&params).unwrap());
        }
        // What bootstrap's default privileges give the service role.
        sql.push_str(&format!(
            "GRANT USAGE ON SCHEMA public, pgtenant TO {0};
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public, pgtenant TO {0};
             GRANT USAGE ON ALL SEQUENCES IN SCHEMA public, pgtenant TO {0};\n",
            svc.name
        ));
        db.exec(&sql).await;
        ModuleDb { db, svc }
    }

    /// An admin (superuser) connection.
    pub async fn admin(&self) -> PgConnection {
        self.db.conn().await
    }

    /// A connection as the service role.
    pub async fn svc_conn(&self) -> PgConnection {
        let opts = PgConnectOptions::from_str(&self.db.url)
            .unwrap()
            .username(&self.svc.name);
        PgConnection::connect_with(&opts).await.unwrap()
    }
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
