//! A scratch database with the rbac module installed: tenants,
//! memberships with a status, and a NOSUPERUSER NOBYPASSRLS service role
//! (a [`ServiceDb`]).

use crate::support::{grants, policy_sql, set_tenant, ServiceDb};
use pgtenant::module::{self, MembershipStatus, ModuleParams};
use pgtenant::{MembershipConfig, TenantKeyType};
use sqlx::{Connection, PgConnection};

/// A deterministic uuid for tenant or user number `n`.
pub fn id(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

pub fn params(svc: &str) -> ModuleParams {
    ModuleParams::new(TenantKeyType::Uuid, TenantKeyType::Uuid)
        .user_setting("app.user_id")
        .root_table("tenants", "id")
        .membership(MembershipConfig::new("memberships", "user_id", "tenant_id"))
        .membership_status(MembershipStatus::new("status", &["active"]))
        .service_role(svc)
}

/// What the module needs before it loads: tenants, memberships with a
/// status (under the tenant policy), the service role's grants on public.
pub fn prerequisites(svc: &str) -> String {
    let mut sql = String::from(
        "CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL);
         CREATE TABLE memberships (
           tenant_id uuid NOT NULL REFERENCES tenants (id),
           user_id uuid NOT NULL,
           status text NOT NULL DEFAULT 'active',
           PRIMARY KEY (tenant_id, user_id));\n",
    );
    sql.push_str(&policy_sql("memberships", "tenant_id", "uuid"));
    sql.push_str(&grants(svc));
    sql
}

impl ServiceDb {
    /// The rbac module over [`prerequisites`].
    pub async fn rbac() -> ServiceDb {
        ServiceDb::create(|svc| {
            let mut sql = prerequisites(svc);
            sql.push_str(
                &module::by_name("rbac")
                    .unwrap()
                    .render_script(&params(svc))
                    .unwrap(),
            );
            sql
        })
        .await
    }
}

/// `pgtenant.has_permission(permission)` as the service role, for the user
/// in the tenant (settings set locally in a transaction).
pub async fn has(conn: &mut PgConnection, user: &str, tenant: &str, permission: &str) -> bool {
    let mut tx = conn.begin().await.unwrap();
    set_tenant(&mut tx, tenant, user).await;
    let ok: bool = sqlx::query_scalar("SELECT pgtenant.has_permission($1)")
        .bind(permission)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    ok
}

/// `pgtenant.rbac_decide(user, tenant, permission)` on `conn`.
pub async fn decide(conn: &mut PgConnection, user: &str, tenant: &str, permission: &str) -> String {
    sqlx::query_scalar("SELECT pgtenant.rbac_decide($1, $2, $3)")
        .bind(user)
        .bind(tenant)
        .bind(permission)
        .fetch_one(conn)
        .await
        .unwrap()
}
