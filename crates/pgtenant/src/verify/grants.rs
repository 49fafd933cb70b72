//! The service role's privileges against what the grant rules declare
//! ([`pgtenant_schema::privileges`]): a privilege it holds by any route
//! (granted to it, to PUBLIC, on a column) beyond the declared set is an
//! error finding.

use super::{qerr, VerifyError};
use pgtenant_schema::finding::{Finding, FindingCode};
use pgtenant_schema::ident::quote_ident;
use pgtenant_schema::model::{Catalog, ObjectRef};
use pgtenant_schema::privileges::{
    expected_privileges, privilege_list, Access, Privileges, TablePrivilege,
};
use pgtenant_schema::tenancy::TenancyRules;
use sqlx::PgConnection;

/// What the role holds on each relation `$2` (qualified, quoted names):
/// SELECT/INSERT/UPDATE on any column, DELETE on the table.
const HELD_SQL: &str = "
SELECT t.name,
  has_any_column_privilege($1, c.oid, 'SELECT'), has_any_column_privilege($1, c.oid, 'INSERT'),
  has_any_column_privilege($1, c.oid, 'UPDATE'), has_table_privilege($1, c.oid, 'DELETE')
FROM unnest($2::text[]) AS t(name) JOIN pg_class c ON c.oid = to_regclass(t.name)";

/// A finding for every relation on which the service role may do more than
/// declared.
pub(super) async fn grant_findings(
    conn: &mut PgConnection,
    catalog: &Catalog,
    cfg: &TenancyRules,
    svc: &str,
) -> Result<Vec<Finding>, VerifyError> {
    let expected = expected_privileges(catalog, Some(cfg), &cfg.grants);
    let names: Vec<String> = expected.keys().map(|n| n.sql()).collect();
    let rows: Vec<(String, bool, bool, bool, bool)> = sqlx::query_as(HELD_SQL)
        .bind(svc)
        .bind(&names)
        .fetch_all(&mut *conn)
        .await
        .map_err(qerr(format!("reading the privileges of {svc}")))?;
    let held_by: std::collections::BTreeMap<String, [bool; 4]> = rows
        .into_iter()
        .map(|(n, s, i, u, d)| (n, [s, i, u, d]))
        .collect();
    let mut out = Vec::new();
    for (name, e) in &expected {
        let Some(&[select, insert, update, delete]) = held_by.get(&name.sql()) else {
            continue;
        };
        let held: Privileges = [select, insert, update, delete]
            .into_iter()
            .zip(TablePrivilege::ALL)
            .filter_map(|(h, p)| h.then_some(p))
            .collect();
        let extra: Privileges = held.difference(&e.privileges).copied().collect();
        if extra.is_empty() {
            continue;
        }
        let declared = match e.access {
            Access::ReadOnlyGlobal => "a read-only global table".to_owned(),
            Access::Declared => format!("declared {}", privilege_list(&e.privileges)),
            _ => format!("expected {}", privilege_list(&e.privileges)),
        };
        let fix = match e.access {
            Access::ReadOnlyGlobal => format!(
                "run `pgtenant bootstrap` (it revokes them), or list {name} in \
                 writable_global_tables if the service role must write it; a grant to PUBLIC is \
                 revoked with REVOKE {} ON {} FROM PUBLIC",
                privilege_list(&extra),
                name.sql()
            ),
            _ => format!(
                "run `pgtenant bootstrap` (it revokes them), or REVOKE {} ON {} FROM {}",
                privilege_list(&extra),
                name.sql(),
                quote_ident(svc)
            ),
        };
        out.push(
            Finding::error(
                FindingCode::ServiceRoleGrantTooWide,
                ObjectRef::Table { name: name.clone() },
                format!(
                    "service role {svc} can {} on {name} ({declared}); any request could change \
                     rows other tenants depend on",
                    privilege_list(&extra)
                ),
            )
            .suggest(fix),
        );
    }
    Ok(out)
}
