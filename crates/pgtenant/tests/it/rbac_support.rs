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
        ServiceDb::rbac_with(&[]).await
    }

    /// The rbac module, then `modules` (ones that build on it).
    pub async fn rbac_with(modules: &[&str]) -> ServiceDb {
        ServiceDb::create(|svc| {
            let mut sql = prerequisites(svc);
            for m in std::iter::once(&"rbac").chain(modules) {
                sql.push_str(
                    &module::by_name(m)
                        .unwrap()
                        .render_script(&params(svc))
                        .unwrap(),
                );
            }
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

pub const A: u64 = 1;
pub const B: u64 = 2;
/// Owner of A, a plain member of A, owner of B, a newcomer.
pub const OWNER_A: u64 = 11;
pub const MEMBER_A: u64 = 12;
pub const OWNER_B: u64 = 21;
pub const NEWCOMER: u64 = 31;

/// Tenants A and B, the rbac module and then `modules`; permissions
/// content.read, members.invite, admin.tenant.delete; global roles owner
/// (`*`) and member (content.read); OWNER_A and MEMBER_A in A, OWNER_B in B.
pub async fn two_tenants(modules: &[&str]) -> ServiceDb {
    let r = ServiceDb::rbac_with(modules).await;
    r.db.exec(&format!(
        "INSERT INTO tenants VALUES ('{a}', 'A'), ('{b}', 'B');
         INSERT INTO memberships (tenant_id, user_id) VALUES
           ('{a}', '{oa}'), ('{a}', '{ma}'), ('{b}', '{ob}');
         INSERT INTO pgtenant.permissions (name) VALUES
           ('content.read'), ('members.invite'), ('admin.tenant.delete');
         INSERT INTO pgtenant.roles (tenant_id, name, allow) VALUES
           (NULL, 'owner', '{{*}}'), (NULL, 'member', '{{content.read}}');
         INSERT INTO pgtenant.role_grants (tenant_id, user_id, role_id)
           SELECT t, u, (SELECT role_id FROM pgtenant.roles WHERE name = n)
             FROM (VALUES ('{a}'::uuid, '{oa}'::uuid, 'owner'), ('{a}', '{ma}', 'member'),
                          ('{b}', '{ob}', 'owner')) v (t, u, n);",
        a = id(A),
        b = id(B),
        oa = id(OWNER_A),
        ma = id(MEMBER_A),
        ob = id(OWNER_B),
    ))
    .await;
    r
}

/// Run one call in a transaction as `user` in `tenant`, committed (the
/// caller imports `sqlx::Connection`).
macro_rules! as_user {
    ($conn:expr, $tenant:expr, $user:expr, |$tx:ident| $body:expr) => {{
        let mut $tx = $conn.begin().await.unwrap();
        crate::support::set_tenant(
            &mut $tx,
            &crate::rbac_support::id($tenant),
            &crate::rbac_support::id($user),
        )
        .await;
        let out = $body;
        $tx.commit().await.unwrap();
        out
    }};
}
pub(crate) use as_user;
