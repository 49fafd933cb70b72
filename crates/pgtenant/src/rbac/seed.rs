//! Loading the catalog and the global roles from the seed files into the
//! module tables: idempotent upserts with bound values.

use super::catalog::Catalog;
use super::error::RbacError;
use super::roles::Role;
use pgtenant_schema::ident::quote_ident;
use sqlx::PgConnection;

/// What [`seed`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Permissions added or whose description changed.
    pub permissions: u64,
    /// Global roles added or whose patterns changed.
    pub roles: u64,
}

/// Upsert `catalog` into `<schema>.permissions` and `roles` as global roles
/// (tenant NULL) into `<schema>.roles`. Permissions missing from the file
/// are kept (a deletion is a reviewed migration, not a seed). Run it in the
/// caller's transaction.
pub async fn seed(
    conn: &mut PgConnection,
    schema: &str,
    catalog: &Catalog,
    roles: &[Role],
) -> Result<SeedReport, RbacError> {
    let s = quote_ident(schema);
    let (names, descriptions): (Vec<&str>, Vec<&str>) = catalog
        .permissions()
        .iter()
        .map(|p| (p.name.as_str(), p.description.as_str()))
        .unzip();
    let permissions = sqlx::query(&format!(
        "INSERT INTO {s}.permissions AS p (name, description) \
         SELECT * FROM unnest($1::text[], $2::text[]) \
         ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description \
         WHERE p.description IS DISTINCT FROM EXCLUDED.description"
    ))
    .bind(&names)
    .bind(&descriptions)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let mut changed_roles = 0;
    for role in roles {
        let texts = |v: &[super::Pattern]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        changed_roles += sqlx::query(&format!(
            "INSERT INTO {s}.roles AS r (name, allow, deny) VALUES ($1, $2, $3) \
             ON CONFLICT ON CONSTRAINT roles_tenant_name_key DO UPDATE \
             SET allow = EXCLUDED.allow, deny = EXCLUDED.deny \
             WHERE (r.allow, r.deny) IS DISTINCT FROM (EXCLUDED.allow, EXCLUDED.deny)"
        ))
        .bind(&role.name)
        .bind(texts(&role.allow))
        .bind(texts(&role.deny))
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(SeedReport {
        permissions,
        roles: changed_roles,
    })
}
