//! What the library needs to know about a login role, in one query shared
//! by [`TenantDb::from_pool`](crate::TenantDb::from_pool), `verify` and the
//! CLI's `doctor`.

use sqlx::{PgExecutor, Row};

/// Facts about a role from `pg_roles`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleInfo {
    pub name: String,
    pub superuser: bool,
    pub bypass_rls: bool,
    /// Roles it is a member of, directly or indirectly (predefined roles
    /// such as `pg_read_all_data` included), itself excluded; sorted.
    pub member_of: Vec<String>,
}

/// The one query; `$1` NULL reads the session's `current_user`.
const ROLE_INFO_SQL: &str = "\
SELECT r.rolname::text, r.rolsuper, r.rolbypassrls, \
       ARRAY(SELECT m.rolname::text FROM pg_roles m \
             WHERE m.oid <> r.oid AND pg_has_role(r.oid, m.oid, 'MEMBER') \
             ORDER BY 1) AS member_of \
FROM pg_roles r WHERE r.rolname = coalesce($1, current_user)";

/// Read `role` (`None`: the connection's `current_user`); `None` when no
/// such role exists.
pub async fn role_info<'e, E: PgExecutor<'e>>(
    executor: E,
    role: Option<&str>,
) -> Result<Option<RoleInfo>, sqlx::Error> {
    let row = sqlx::query(ROLE_INFO_SQL)
        .bind(role)
        .fetch_optional(executor)
        .await?;
    Ok(row.map(|row| RoleInfo {
        name: row.get(0),
        superuser: row.get(1),
        bypass_rls: row.get(2),
        member_of: row.get(3),
    }))
}
