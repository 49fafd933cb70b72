//! Lints: what makes tenant isolation leak, slow or fragile, read from a
//! [`Catalog`] alone (plus the few facts about roles that a catalog does not
//! hold, which the caller fetches). Pure: no I/O.
//!
//! `pgtenant check` and `pgtenant verify` report these findings; `Error`
//! findings fail `verify`.

use crate::finding::{Finding, FindingCode};
use crate::ident::quote_ident;
use crate::model::{Catalog, ConstraintKind, Grant, ObjectRef, PolicyCommand, QualName, Table};
use crate::tenancy::{scoped_tables, user_policy_findings, ScopeKind, ScopedTable, TenancyRules};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Facts about the service role that the catalog does not carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleFacts {
    /// The service role of the database; without it the role lints are
    /// skipped and readable-by checks assume the worst.
    pub service_role: Option<String>,
    /// Every role the service role is a member of, directly or through other
    /// roles (`pg_has_role(..., 'MEMBER')`), itself excluded.
    pub member_of: Vec<String>,
}

impl RoleFacts {
    pub fn for_role(name: impl Into<String>) -> RoleFacts {
        RoleFacts {
            service_role: Some(name.into()),
            member_of: Vec::new(),
        }
    }

    /// Whether a grant applies to the service role: granted to it, to a role
    /// it is a member of, or to PUBLIC.
    fn grant_applies(&self, g: &Grant) -> bool {
        let grantee = g.grantee.as_str();
        grantee.eq_ignore_ascii_case("public")
            || self.service_role.as_deref() == Some(grantee)
            || self.member_of.iter().any(|r| r == grantee)
    }
}

/// Run every lint on `catalog`. Findings are sorted by object, then code.
pub fn lint(catalog: &Catalog, cfg: &TenancyRules, roles: &RoleFacts) -> Vec<Finding> {
    let (scoped, mut out) = scoped_tables(catalog, cfg);
    let scoped_map: BTreeMap<&QualName, &ScopedTable> =
        scoped.iter().map(|s| (&s.name, s)).collect();

    for s in &scoped {
        let Some(t) = catalog.tables.get(&s.name) else {
            continue;
        };
        rls_lints(&s.name, t, &mut out);
        out.extend(user_policy_findings(&s.name, t));
        // Partitions inherit columns, indexes and keys from their parent:
        // lint the parent only.
        if s.kind == ScopeKind::Tenant && t.partition_of.is_none() {
            tenant_table_lints(catalog, cfg, &scoped_map, t, &mut out);
        }
    }
    cascade_lints(catalog, cfg, &scoped_map, &mut out);
    view_lints(catalog, roles, &scoped_map, &mut out);
    function_lints(catalog, cfg, roles, &mut out);
    if roles.service_role.is_some() {
        service_role_lints(catalog, roles, &mut out);
    }
    out.sort_by(|a, b| (&a.object, a.code).cmp(&(&b.object, b.code)));
    out
}

/// The referential actions that make a change of the parent rewrite or
/// delete the child rows (as the table owner, without row level security).
const WRITING_ACTIONS: [&str; 6] = [
    "ON DELETE CASCADE",
    "ON DELETE SET NULL",
    "ON DELETE SET DEFAULT",
    "ON UPDATE CASCADE",
    "ON UPDATE SET NULL",
    "ON UPDATE SET DEFAULT",
];

/// Foreign keys from tenant tables to global parents the service role may
/// change, with an action that writes the children: one tenant changing the
/// parent rewrites or deletes every tenant's rows.
fn cascade_lints(
    catalog: &Catalog,
    cfg: &TenancyRules,
    scoped: &BTreeMap<&QualName, &ScopedTable>,
    out: &mut Vec<Finding>,
) {
    let expected = crate::privileges::expected_privileges(catalog, Some(cfg), &cfg.grants);
    for name in scoped.keys() {
        let Some(t) = catalog.tables.get(*name) else {
            continue;
        };
        for c in t.constraints.values() {
            let Some(target) = c.references.as_ref().filter(|_| !c.inherited) else {
                continue;
            };
            if !expected
                .get(&target.table)
                .is_some_and(crate::privileges::Expected::writable_global)
            {
                continue;
            }
            let actions: Vec<&str> = WRITING_ACTIONS
                .into_iter()
                .filter(|a| c.definition.contains(a))
                .collect();
            if actions.is_empty() {
                continue;
            }
            out.push(
                Finding::error(
                    FindingCode::FkCascadeFromWritableGlobal,
                    ObjectRef::Constraint {
                        table: t.name.clone(),
                        name: c.name.clone(),
                    },
                    format!(
                        "foreign key {} from tenant table {} to global table {} has {}, and the \
                         service role may change {}: one tenant changing a row of it rewrites \
                         or deletes the rows of every tenant, bypassing row level security",
                        c.name,
                        t.name,
                        target.table,
                        actions.join(", "),
                        target.table
                    ),
                )
                .suggest(format!(
                    "recreate {} with ON DELETE RESTRICT / ON UPDATE RESTRICT (the default NO \
                         ACTION also works), or make {} read-only for the service role (remove it \
                         from writable_global_tables / [database.grants])",
                    quote_ident(&c.name),
                    target.table
                )),
            );
        }
    }
}

fn table_ref(name: &QualName) -> ObjectRef {
    ObjectRef::Table { name: name.clone() }
}

fn rls_lints(name: &QualName, t: &Table, out: &mut Vec<Finding>) {
    let sql = name.sql();
    if !t.rls_enabled {
        out.push(
            Finding::error(
                FindingCode::RlsNotEnabled,
                table_ref(name),
                format!("tenant table {name} does not have row level security enabled; every role with access reads every tenant's rows"),
            )
            .suggest(format!("ALTER TABLE {sql} ENABLE ROW LEVEL SECURITY;")),
        );
    }
    if !t.rls_forced {
        out.push(
            Finding::error(
                FindingCode::RlsNotForced,
                table_ref(name),
                format!("tenant table {name} does not force row level security; its owner bypasses the policies"),
            )
            .suggest(format!("ALTER TABLE {sql} FORCE ROW LEVEL SECURITY;")),
        );
    }
    let covered = |cmd: PolicyCommand| {
        t.policies
            .values()
            .any(|p| p.permissive && (p.command == PolicyCommand::All || p.command == cmd))
    };
    let missing: Vec<&str> = [
        PolicyCommand::Select,
        PolicyCommand::Insert,
        PolicyCommand::Update,
        PolicyCommand::Delete,
    ]
    .into_iter()
    .filter(|c| !covered(*c))
    .map(PolicyCommand::sql)
    .collect();
    if !missing.is_empty() {
        out.push(
            Finding::error(
                FindingCode::PolicyMissingCommand,
                table_ref(name),
                format!(
                    "tenant table {name} has no permissive policy for {}",
                    missing.join(", ")
                ),
            )
            .suggest("run the tenancy transform (pgtenant generate) or add a policy FOR ALL comparing the tenant column with the tenant setting"),
        );
    }
}

fn tenant_table_lints(
    catalog: &Catalog,
    cfg: &TenancyRules,
    scoped: &BTreeMap<&QualName, &ScopedTable>,
    t: &Table,
    out: &mut Vec<Finding>,
) {
    let name = &t.name;
    let col = cfg.column.as_str();
    let qcol = quote_ident(col);
    if t.column(col).is_some_and(|c| !c.not_null) {
        out.push(
            Finding::warning(
                FindingCode::TenantColumnNullable,
                ObjectRef::Column { table: name.clone(), column: col.to_owned() },
                format!("tenant column {name}.{col} accepts NULL; such rows belong to no tenant and no tenant can ever read them"),
            )
            .suggest(format!("ALTER TABLE {} ALTER COLUMN {qcol} SET NOT NULL;", name.sql())),
        );
    }

    let leads_constraint = t.constraints.values().any(|c| {
        matches!(
            c.kind,
            ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion
        ) && c.columns.first().map(String::as_str) == Some(col)
    });
    let leads_index = t
        .indexes
        .values()
        .any(|i| i.columns.first().and_then(|c| c.as_deref()) == Some(col));
    if !leads_constraint && !leads_index {
        out.push(
            Finding::warning(
                FindingCode::TenantColumnNotIndexed,
                table_ref(name),
                format!("no index on {name} leads with {col}; every policy-filtered query scans the whole table"),
            )
            .suggest(format!(
                "CREATE INDEX ON {} ({qcol});  (or lead an existing key with it)",
                name.sql()
            )),
        );
    }

    for c in t.constraints.values() {
        if c.inherited {
            continue;
        }
        match c.kind {
            ConstraintKind::ForeignKey => fk_lint(catalog, cfg, scoped, t, c, out),
            ConstraintKind::Unique if !c.columns.iter().any(|x| x == col) => {
                out.push(unique_finding(
                    name,
                    ObjectRef::Constraint {
                        table: name.clone(),
                        name: c.name.clone(),
                    },
                    &format!("unique constraint {}", c.name),
                    col,
                ));
            }
            _ => {}
        }
    }
    for i in t.indexes.values() {
        if i.unique && !i.inherited && !i.columns.iter().any(|x| x.as_deref() == Some(col)) {
            out.push(unique_finding(
                name,
                ObjectRef::Index {
                    name: QualName::new(name.schema.clone(), i.name.clone()),
                },
                &format!("unique index {}", i.name),
                col,
            ));
        }
    }
}

fn unique_finding(table: &QualName, obj: ObjectRef, what: &str, col: &str) -> Finding {
    Finding::warning(
        FindingCode::UniqueWithoutTenantColumn,
        obj,
        format!(
            "{what} on tenant table {table} does not include {col}; a tenant can learn that a \
             value exists in another tenant from the unique violation"
        ),
    )
    .suggest(format!(
        "include {col} in the key, e.g. UNIQUE ({col}, ...)"
    ))
}

fn fk_lint(
    catalog: &Catalog,
    cfg: &TenancyRules,
    scoped: &BTreeMap<&QualName, &ScopedTable>,
    t: &Table,
    c: &crate::model::Constraint,
    out: &mut Vec<Finding>,
) {
    let Some(target) = &c.references else { return };
    let Some(st) = scoped.get(&target.table) else {
        return;
    };
    if st.kind != ScopeKind::Tenant {
        return;
    }
    let col = cfg.column.as_str();
    let includes = c
        .columns
        .iter()
        .position(|x| x == col)
        .is_some_and(|i| target.columns.get(i).map(String::as_str) == Some(col));
    if includes {
        return;
    }
    let q = |cols: &[String]| {
        cols.iter()
            .map(|x| quote_ident(x))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut from = vec![col.to_owned()];
    from.extend(c.columns.iter().filter(|x| *x != col).cloned());
    let mut to = vec![col.to_owned()];
    to.extend(target.columns.iter().filter(|x| *x != col).cloned());
    let mut suggestion = format!(
        "ALTER TABLE {} ADD FOREIGN KEY ({}) REFERENCES {} ({});",
        t.name.sql(),
        q(&from),
        target.table.sql(),
        q(&to)
    );
    let want: BTreeSet<&String> = to.iter().collect();
    let has_unique = catalog.tables.get(&target.table).is_some_and(|pt| {
        pt.constraints.values().any(|k| {
            matches!(k.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique)
                && k.columns.iter().collect::<BTreeSet<_>>() == want
        }) || pt.indexes.values().any(|i| {
            i.unique
                && i.predicate.is_none()
                && i.columns
                    .iter()
                    .map(|x| x.as_ref())
                    .collect::<Option<BTreeSet<_>>>()
                    == Some(want.clone())
        })
    });
    if !has_unique {
        suggestion = format!(
            "ALTER TABLE {} ADD UNIQUE ({}); then {suggestion}",
            target.table.sql(),
            q(&to)
        );
    }
    suggestion.push_str(&format!(" and drop {}", quote_ident(&c.name)));
    out.push(
        Finding::error(
            FindingCode::FkWithoutTenantColumn,
            ObjectRef::Constraint {
                table: t.name.clone(),
                name: c.name.clone(),
            },
            format!(
                "foreign key {} from {} to tenant table {} does not include {col}; a row can \
                 reference another tenant's row",
                c.name, t.name, target.table
            ),
        )
        .suggest(suggestion),
    );
}

fn option_is_true(options: &[String], key: &str) -> bool {
    options.iter().any(|o| {
        o.split_once('=').is_some_and(|(k, v)| {
            k == key && matches!(v.to_ascii_lowercase().as_str(), "true" | "on" | "1" | "yes")
        })
    })
}

/// Tenant-scoped tables a view reads, directly or through other views.
fn tenant_tables_under(
    catalog: &Catalog,
    scoped: &BTreeMap<&QualName, &ScopedTable>,
    view: &QualName,
) -> Vec<QualName> {
    let mut seen = BTreeSet::new();
    let mut found = BTreeSet::new();
    let mut stack = vec![view.clone()];
    while let Some(v) = stack.pop() {
        if !seen.insert(v.clone()) {
            continue;
        }
        if scoped.contains_key(&v) {
            found.insert(v);
        } else if let Some(view) = catalog.views.get(&v) {
            stack.extend(view.depends_on.iter().cloned());
        }
    }
    found.into_iter().collect()
}

fn view_lints(
    catalog: &Catalog,
    roles: &RoleFacts,
    scoped: &BTreeMap<&QualName, &ScopedTable>,
    out: &mut Vec<Finding>,
) {
    for (name, v) in &catalog.views {
        let under = tenant_tables_under(catalog, scoped, name);
        if under.is_empty() {
            continue;
        }
        let list = under
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let obj = ObjectRef::View { name: name.clone() };
        if v.materialized {
            let readable = roles.service_role.is_none()
                || v.grants
                    .iter()
                    .any(|g| g.privilege == "SELECT" && roles.grant_applies(g));
            let msg = format!(
                "materialized view {name} copies rows of tenant tables ({list}); row level \
                 security does not apply to it{}",
                if readable {
                    ", and the service role can read it"
                } else {
                    ""
                }
            );
            let f = if readable {
                Finding::error(FindingCode::MaterializedViewOverTenantTables, obj, msg)
            } else {
                Finding::warning(FindingCode::MaterializedViewOverTenantTables, obj, msg)
            };
            out.push(f.suggest(format!(
                "replace it with a view WITH (security_invoker = true), or keep it away from the service role (REVOKE ALL ON {} FROM PUBLIC)",
                name.sql()
            )));
        } else if !option_is_true(&v.options, "security_invoker") {
            out.push(
                Finding::error(
                    FindingCode::ViewNotSecurityInvoker,
                    obj,
                    format!(
                        "view {name} over tenant tables ({list}) runs with its owner's rights \
                         ({}), so the tenant policies may not apply to its readers",
                        if v.owner.is_empty() {
                            "unknown owner"
                        } else {
                            v.owner.as_str()
                        }
                    ),
                )
                .suggest(format!(
                    "ALTER VIEW {} SET (security_invoker = true);",
                    name.sql()
                )),
            );
        }
    }
}

fn function_lints(
    catalog: &Catalog,
    cfg: &TenancyRules,
    roles: &RoleFacts,
    out: &mut Vec<Finding>,
) {
    for (id, f) in &catalog.functions {
        let api = cfg
            .definer_api
            .iter()
            .any(|q| q.schema == id.schema && q.name == id.name);
        if !f.security_definer {
            continue;
        }
        let obj = ObjectRef::Function { id: id.clone() };
        let pinned = f.config.iter().any(|c| c.starts_with("search_path="));
        if !pinned {
            out.push(
                Finding::error(
                    FindingCode::DefinerFunctionUnpinnedSearchPath,
                    obj.clone(),
                    format!(
                        "SECURITY DEFINER function {id} has no pinned search_path; a caller can \
                         shadow the objects it uses and run code as {}",
                        if f.owner.is_empty() {
                            "its owner"
                        } else {
                            f.owner.as_str()
                        }
                    ),
                )
                .suggest(format!(
                    "ALTER FUNCTION {} SET search_path = pg_catalog, pg_temp;",
                    id.sql()
                )),
            );
        }
        if let (Some(svc), false) = (&roles.service_role, api) {
            if f.grants
                .iter()
                .any(|g| g.privilege == "EXECUTE" && roles.grant_applies(g))
            {
                out.push(
                    Finding::error(
                        FindingCode::DefinerFunctionExecutableByServiceRole,
                        obj,
                        format!(
                            "SECURITY DEFINER function {id} is executable by the service role \
                             {svc} (directly, through a role, or through PUBLIC); it runs as \
                             {} and may bypass row level security",
                            if f.owner.is_empty() { "its owner" } else { f.owner.as_str() }
                        ),
                    )
                    .suggest(format!(
                        "REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC, {};  (or make it SECURITY INVOKER)",
                        id.sql(),
                        quote_ident(svc)
                    )),
                );
            }
        }
    }
}

fn service_role_lints(catalog: &Catalog, roles: &RoleFacts, out: &mut Vec<Finding>) {
    let Some(svc) = roles.service_role.as_deref() else {
        return;
    };
    let dangerous = ["TRUNCATE", "REFERENCES", "TRIGGER"];
    for (name, t) in &catalog.tables {
        let mut privs: Vec<&str> = t
            .grants
            .iter()
            .filter(|g| dangerous.contains(&g.privilege.as_str()) && roles.grant_applies(g))
            .map(|g| g.privilege.as_str())
            .collect();
        privs.sort_unstable();
        privs.dedup();
        if !privs.is_empty() {
            out.push(
                Finding::error(
                    FindingCode::ServiceRoleDangerousPrivilege,
                    table_ref(name),
                    format!(
                        "service role {svc} holds {} on {name}; TRUNCATE ignores row level \
                         security, REFERENCES and TRIGGER reach beyond DML",
                        privs.join(", ")
                    ),
                )
                .suggest(format!(
                    "REVOKE {} ON {} FROM {};  (revoke from PUBLIC or the granting role if it came from there)",
                    privs.join(", "),
                    name.sql(),
                    quote_ident(svc)
                )),
            );
        }
    }

    let mut owned: Vec<(ObjectRef, &str)> = Vec::new();
    for (n, s) in &catalog.schemas {
        owned.push((ObjectRef::Schema { name: n.clone() }, &s.owner));
    }
    for (n, t) in &catalog.tables {
        owned.push((table_ref(n), &t.owner));
    }
    for (n, v) in &catalog.views {
        owned.push((ObjectRef::View { name: n.clone() }, &v.owner));
    }
    for (n, s) in &catalog.sequences {
        owned.push((ObjectRef::Sequence { name: n.clone() }, &s.owner));
    }
    for (id, f) in &catalog.functions {
        owned.push((ObjectRef::Function { id: id.clone() }, &f.owner));
    }
    for (obj, owner) in owned {
        if owner == svc {
            out.push(
                Finding::error(
                    FindingCode::ServiceRoleOwnsObject,
                    obj.clone(),
                    format!(
                        "service role {svc} owns {obj}; an owner can disable row level security, \
                         drop policies and change the schema"
                    ),
                )
                .suggest(format!(
                    "{} (as the admin role); the service role must own nothing",
                    alter_owner_sql(&obj)
                )),
            );
        } else if roles.member_of.iter().any(|r| r == owner) {
            out.push(
                Finding::error(
                    FindingCode::ServiceRoleMemberOfOwner,
                    obj.clone(),
                    format!(
                        "service role {svc} is a member of {owner}, which owns {obj}; through \
                         SET ROLE it has the owner's rights"
                    ),
                )
                .suggest(format!(
                    "REVOKE {} FROM {};",
                    quote_ident(owner),
                    quote_ident(svc)
                )),
            );
        }
    }
}

/// `ALTER <kind> <name> OWNER TO CURRENT_USER;` for an owned object.
fn alter_owner_sql(obj: &ObjectRef) -> String {
    let target = match obj {
        ObjectRef::Schema { name } => format!("SCHEMA {}", quote_ident(name)),
        ObjectRef::Table { name } => format!("TABLE {}", name.sql()),
        ObjectRef::View { name } => format!("TABLE {}", name.sql()),
        ObjectRef::Sequence { name } => format!("SEQUENCE {}", name.sql()),
        ObjectRef::Function { id } => format!("ROUTINE {}", id.sql()),
        other => return format!("change the owner of {other}"),
    };
    format!("ALTER {target} OWNER TO CURRENT_USER;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;
    use crate::model::{FunctionId, FunctionKind, Policy, View};
    use crate::tenancy::{transform, ISOLATION_POLICY};
    use crate::test_catalog::*;

    fn iso_policy(key: &str) -> Policy {
        let e = format!("({key} = ( SELECT (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid AS \"nullif\"))");
        policy(ISOLATION_POLICY, PolicyCommand::All, Some(&e), Some(&e))
    }

    /// [`basic`] with the transform applied: clean under every lint.
    fn clean() -> Catalog {
        let mut c = basic("uuid");
        for (name, key) in [("notes", "tenant_id"), ("tenants", "id")] {
            let t = c.tables.get_mut(&q(name)).unwrap();
            t.rls_enabled = true;
            t.rls_forced = true;
            t.policies.insert(ISOLATION_POLICY.into(), iso_policy(key));
            t.grants = ["SELECT", "INSERT", "UPDATE", "DELETE"]
                .iter()
                .map(|p| grant("svc", p))
                .collect();
        }
        c
    }

    fn add_table(c: &mut Catalog, t: Table) {
        c.tables.insert(t.name.clone(), t);
    }

    /// A second isolated tenant table `comments(id, tenant_id, note_id)`.
    fn with_comments(c: &mut Catalog) {
        let mut t = with_pk(
            table(
                "comments",
                vec![
                    col("id", "bigint", true),
                    col("tenant_id", "uuid", true),
                    col("note_id", "bigint", true),
                ],
            ),
            &["id"],
        );
        t.indexes.insert(
            "comments_tenant_idx".into(),
            index("comments_tenant_idx", false, &["tenant_id"]),
        );
        t.rls_enabled = true;
        t.rls_forced = true;
        t.policies
            .insert(ISOLATION_POLICY.into(), iso_policy("tenant_id"));
        add_table(c, t);
    }

    fn roles() -> RoleFacts {
        RoleFacts::for_role("svc")
    }

    /// The (object, code) pairs of every finding.
    fn check(c: &Catalog, roles: &RoleFacts) -> Vec<(String, FindingCode)> {
        lint(c, &cfg(), roles)
            .into_iter()
            .map(|f| (f.object.to_string(), f.code))
            .collect()
    }

    fn only(c: &Catalog, code: FindingCode) -> Finding {
        let fs = lint(c, &cfg(), &roles());
        assert_eq!(fs.len(), 1, "{fs:#?}");
        assert_eq!(fs[0].code, code);
        fs[0].clone()
    }

    #[test]
    fn the_transformed_schema_is_clean() {
        assert_eq!(check(&clean(), &roles()), []);
        // And the transform has nothing left to do on it.
        assert_eq!(transform(&clean(), &cfg()).statements, Vec::<String>::new());
    }

    #[test]
    fn rls_off_unforced_and_uncovered_tables() {
        let mut c = clean();
        c.tables.get_mut(&q("notes")).unwrap().rls_forced = false;
        let f = only(&c, FindingCode::RlsNotForced);
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(
            f.suggestion.as_deref(),
            Some("ALTER TABLE public.notes FORCE ROW LEVEL SECURITY;")
        );

        let mut c = clean();
        let t = c.tables.get_mut(&q("notes")).unwrap();
        t.rls_enabled = false;
        t.policies.clear();
        t.policies.insert("sel".into(), iso_policy("tenant_id"));
        t.policies.get_mut("sel").unwrap().command = PolicyCommand::Select;
        t.policies.get_mut("sel").unwrap().name = "sel".into();
        assert_eq!(
            check(&c, &roles()),
            [
                ("table public.notes".to_owned(), FindingCode::RlsNotEnabled),
                (
                    "table public.notes".to_owned(),
                    FindingCode::PolicyMissingCommand
                ),
            ]
        );
        let f = &lint(&c, &cfg(), &roles())[1];
        assert_eq!(
            f.message,
            "tenant table public.notes has no permissive policy for INSERT, UPDATE, DELETE"
        );
    }

    #[test]
    fn nullable_tenant_column() {
        let mut c = clean();
        c.tables.get_mut(&q("notes")).unwrap().columns[1].not_null = false;
        let f = only(&c, FindingCode::TenantColumnNullable);
        assert_eq!(f.object.to_string(), "column public.notes.tenant_id");
        assert_eq!(f.severity, Severity::Warning);
    }

    #[test]
    fn tenant_column_not_indexed() {
        let mut c = clean();
        let t = c.tables.get_mut(&q("notes")).unwrap();
        t.indexes.clear();
        // An index that merely contains the column does not count.
        t.indexes
            .insert("i".into(), index("i", false, &["body", "tenant_id"]));
        only(&c, FindingCode::TenantColumnNotIndexed);
        // A unique key leading with it does.
        let t = c.tables.get_mut(&q("notes")).unwrap();
        t.constraints.insert(
            "notes_tenant_id_id_key".into(),
            constraint(
                "notes_tenant_id_id_key",
                ConstraintKind::Unique,
                &["tenant_id", "id"],
            ),
        );
        assert_eq!(check(&c, &roles()), []);
    }

    #[test]
    fn foreign_key_across_tenant_tables_without_the_tenant_column() {
        let mut c = clean();
        with_comments(&mut c);
        c.tables
            .get_mut(&q("comments"))
            .unwrap()
            .constraints
            .insert(
                "comments_note_id_fkey".into(),
                fk("comments_note_id_fkey", &["note_id"], "notes", &["id"]),
            );
        let f = only(&c, FindingCode::FkWithoutTenantColumn);
        assert_eq!(
            f.message,
            "foreign key comments_note_id_fkey from public.comments to tenant table public.notes \
             does not include tenant_id; a row can reference another tenant's row"
        );
        assert_eq!(
            f.suggestion.as_deref(),
            Some(
                "ALTER TABLE public.notes ADD UNIQUE (tenant_id, id); then ALTER TABLE public.comments \
                 ADD FOREIGN KEY (tenant_id, note_id) REFERENCES public.notes (tenant_id, id); and drop \
                 comments_note_id_fkey"
            )
        );

        // The composite key is clean; FKs to the root table are too.
        let mut c = clean();
        with_comments(&mut c);
        c.tables.get_mut(&q("notes")).unwrap().constraints.insert(
            "notes_tenant_id_id_key".into(),
            constraint(
                "notes_tenant_id_id_key",
                ConstraintKind::Unique,
                &["tenant_id", "id"],
            ),
        );
        let comments = c.tables.get_mut(&q("comments")).unwrap();
        comments.constraints.insert(
            "comments_note_fkey".into(),
            fk(
                "comments_note_fkey",
                &["tenant_id", "note_id"],
                "notes",
                &["tenant_id", "id"],
            ),
        );
        comments.constraints.insert(
            "comments_tenant_fkey".into(),
            fk("comments_tenant_fkey", &["tenant_id"], "tenants", &["id"]),
        );
        assert_eq!(check(&c, &roles()), []);

        // Tenant column present but mapped to another column is still a finding.
        let comments = c.tables.get_mut(&q("comments")).unwrap();
        comments.constraints.insert(
            "comments_bad_fkey".into(),
            fk(
                "comments_bad_fkey",
                &["note_id", "tenant_id"],
                "notes",
                &["tenant_id", "id"],
            ),
        );
        assert_eq!(
            check(&c, &roles()),
            [(
                "constraint comments_bad_fkey on public.comments".to_owned(),
                FindingCode::FkWithoutTenantColumn
            )]
        );
    }

    #[test]
    fn unique_without_tenant_column() {
        let mut c = clean();
        let t = c.tables.get_mut(&q("notes")).unwrap();
        t.constraints.insert(
            "notes_body_key".into(),
            constraint("notes_body_key", ConstraintKind::Unique, &["body"]),
        );
        t.indexes.insert(
            "notes_body_uidx".into(),
            index("notes_body_uidx", true, &["body"]),
        );
        assert_eq!(
            check(&c, &roles()),
            [
                (
                    "constraint notes_body_key on public.notes".to_owned(),
                    FindingCode::UniqueWithoutTenantColumn
                ),
                (
                    "index public.notes_body_uidx".to_owned(),
                    FindingCode::UniqueWithoutTenantColumn
                ),
            ]
        );
        let mut c = clean();
        let t = c.tables.get_mut(&q("notes")).unwrap();
        t.constraints.insert(
            "notes_body_key".into(),
            constraint(
                "notes_body_key",
                ConstraintKind::Unique,
                &["tenant_id", "body"],
            ),
        );
        assert_eq!(check(&c, &roles()), []);
    }

    fn view(name: &str, over: &[&str], materialized: bool, options: &[&str]) -> View {
        View {
            name: q(name),
            owner: "postgres".into(),
            materialized,
            definition: String::new(),
            options: options.iter().map(|o| (*o).to_owned()).collect(),
            columns: Vec::new(),
            depends_on: over.iter().map(|t| q(t)).collect(),
            indexes: Default::default(),
            triggers: Default::default(),
            rules: Default::default(),
            comment: None,
            grants: Vec::new(),
        }
    }

    #[test]
    fn views_over_tenant_tables() {
        let mut c = clean();
        c.views
            .insert(q("v_notes"), view("v_notes", &["notes"], false, &[]));
        // Through another view too.
        c.views.insert(
            q("v_top"),
            view("v_top", &["v_notes"], false, &["security_barrier=true"]),
        );
        assert_eq!(
            check(&c, &roles()),
            [
                (
                    "view public.v_notes".to_owned(),
                    FindingCode::ViewNotSecurityInvoker
                ),
                (
                    "view public.v_top".to_owned(),
                    FindingCode::ViewNotSecurityInvoker
                ),
            ]
        );
        let mut c = clean();
        c.views.insert(
            q("v_notes"),
            view("v_notes", &["notes"], false, &["security_invoker=true"]),
        );
        c.views
            .insert(q("v_other"), view("v_other", &["other"], false, &[]));
        assert_eq!(check(&c, &roles()), []);
    }

    #[test]
    fn materialized_views_over_tenant_tables() {
        let mut c = clean();
        let mut mv = view("mv_notes", &["notes"], true, &[]);
        mv.grants.push(grant("svc", "SELECT"));
        c.views.insert(q("mv_notes"), mv);
        let f = only(&c, FindingCode::MaterializedViewOverTenantTables);
        assert_eq!(f.severity, Severity::Error);
        // Not readable by the service role: still reported, as a warning.
        c.views.get_mut(&q("mv_notes")).unwrap().grants.clear();
        assert_eq!(
            only(&c, FindingCode::MaterializedViewOverTenantTables).severity,
            Severity::Warning
        );
        let mut c = clean();
        c.views
            .insert(q("mv_other"), view("mv_other", &["other"], true, &[]));
        assert_eq!(check(&c, &roles()), []);
    }

    fn function(
        name: &str,
        definer: bool,
        config: &[&str],
        grants: &[(&str, &str)],
    ) -> crate::model::Function {
        crate::model::Function {
            id: FunctionId {
                schema: "public".into(),
                name: name.into(),
                args: String::new(),
            },
            owner: "postgres".into(),
            kind: FunctionKind::Function,
            definition: String::new(),
            returns: "integer".into(),
            language: "sql".into(),
            security_definer: definer,
            config: config.iter().map(|s| (*s).to_owned()).collect(),
            depends_on: Vec::new(),
            comment: None,
            grants: grants.iter().map(|(r, p)| grant(r, p)).collect(),
        }
    }

    fn add_fn(c: &mut Catalog, f: crate::model::Function) {
        c.functions.insert(f.id.clone(), f);
    }

    #[test]
    fn security_definer_functions() {
        let mut c = clean();
        add_fn(&mut c, function("f", true, &[], &[("postgres", "EXECUTE")]));
        let f = only(&c, FindingCode::DefinerFunctionUnpinnedSearchPath);
        assert_eq!(
            f.suggestion.as_deref(),
            Some("ALTER FUNCTION public.f() SET search_path = pg_catalog, pg_temp;")
        );

        let mut c = clean();
        add_fn(
            &mut c,
            function(
                "g",
                true,
                &["search_path=pg_catalog"],
                &[("PUBLIC", "EXECUTE")],
            ),
        );
        let f = only(&c, FindingCode::DefinerFunctionExecutableByServiceRole);
        assert!(
            f.message.contains("executable by the service role svc"),
            "{}",
            f.message
        );

        // Through a role the service role belongs to.
        let mut c = clean();
        add_fn(
            &mut c,
            function(
                "h",
                true,
                &["search_path=pg_catalog"],
                &[("app_rw", "EXECUTE")],
            ),
        );
        let r = RoleFacts {
            service_role: Some("svc".into()),
            member_of: vec!["app_rw".into()],
        };
        assert_eq!(
            check(&c, &r),
            [(
                "function public.h()".to_owned(),
                FindingCode::DefinerFunctionExecutableByServiceRole
            )]
        );

        // Pinned, not executable by the service role, or not definer: clean.
        let mut c = clean();
        add_fn(
            &mut c,
            function(
                "ok",
                true,
                &["search_path=pg_catalog, pg_temp"],
                &[("postgres", "EXECUTE")],
            ),
        );
        add_fn(
            &mut c,
            function("inv", false, &[], &[("PUBLIC", "EXECUTE")]),
        );
        assert_eq!(check(&c, &roles()), []);
    }

    #[test]
    fn service_role_privileges_and_ownership() {
        let mut c = clean();
        let t = c.tables.get_mut(&q("notes")).unwrap();
        t.grants.push(grant("svc", "TRUNCATE"));
        t.grants.push(grant("PUBLIC", "TRIGGER"));
        let f = only(&c, FindingCode::ServiceRoleDangerousPrivilege);
        assert_eq!(
            f.message,
            "service role svc holds TRIGGER, TRUNCATE on public.notes; TRUNCATE ignores row level \
             security, REFERENCES and TRIGGER reach beyond DML"
        );

        let mut c = clean();
        c.tables.get_mut(&q("notes")).unwrap().owner = "svc".into();
        let f = only(&c, FindingCode::ServiceRoleOwnsObject);
        assert_eq!(f.object.to_string(), "table public.notes");
        assert_eq!(
            f.suggestion.as_deref(),
            Some("ALTER TABLE public.notes OWNER TO CURRENT_USER; (as the admin role); the service role must own nothing")
        );

        let mut c = clean();
        c.tables.get_mut(&q("notes")).unwrap().owner = "app_owner".into();
        let r = RoleFacts {
            service_role: Some("svc".into()),
            member_of: vec!["app_owner".into()],
        };
        assert_eq!(
            check(&c, &r),
            [(
                "table public.notes".to_owned(),
                FindingCode::ServiceRoleMemberOfOwner
            )]
        );

        // Owning the public schema through pg_database_owner counts too.
        let r = RoleFacts {
            service_role: Some("svc".into()),
            member_of: vec!["pg_database_owner".into()],
        };
        assert_eq!(
            check(&clean(), &r),
            [(
                "schema public".to_owned(),
                FindingCode::ServiceRoleMemberOfOwner
            )]
        );
        // Without a service role, role lints do not run.
        let mut c = clean();
        c.tables.get_mut(&q("notes")).unwrap().owner = "svc".into();
        assert_eq!(check(&c, &RoleFacts::default()), []);
    }
}
