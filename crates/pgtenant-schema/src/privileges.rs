//! What the service role may do on each table and view of a database: the
//! one rule bootstrap grants by and `verify` checks against (pure).
//!
//! - a tenant-scoped table (the root table included): SELECT, INSERT,
//!   UPDATE, DELETE (row level security decides which rows);
//! - a global table (no tenant column, or listed in `global_tables`) and
//!   any view: SELECT only, unless `writable_global_tables` lists it;
//! - a per-table override (`[database.grants]`) replaces either, exactly;
//! - a database with tenancy off: DML on everything, unless overridden;
//! - objects in the closed schemas (the modules' schema) are not covered:
//!   the modules' SQL grants what each of them needs.

use crate::model::{Catalog, QualName};
use crate::tenancy::{scoped_tables, TenancyRules};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A table privilege a login role may hold. TRUNCATE, REFERENCES and
/// TRIGGER are never granted to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TablePrivilege {
    Select,
    Insert,
    Update,
    Delete,
}

impl TablePrivilege {
    /// Every privilege, in the order they are written.
    pub const ALL: [TablePrivilege; 4] = [
        TablePrivilege::Select,
        TablePrivilege::Insert,
        TablePrivilege::Update,
        TablePrivilege::Delete,
    ];

    /// The SQL keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            TablePrivilege::Select => "SELECT",
            TablePrivilege::Insert => "INSERT",
            TablePrivilege::Update => "UPDATE",
            TablePrivilege::Delete => "DELETE",
        }
    }

    /// Parse a privilege as written in the manifest (any case).
    pub fn parse(name: &str) -> Result<TablePrivilege, PrivilegeError> {
        let upper = name.trim().to_ascii_uppercase();
        if let Some(p) = TablePrivilege::ALL
            .into_iter()
            .find(|p| p.as_str() == upper)
        {
            return Ok(p);
        }
        Err(match upper.as_str() {
            "TRUNCATE" | "REFERENCES" | "TRIGGER" | "ALL" => PrivilegeError::NeverGranted {
                name: name.to_owned(),
            },
            _ => PrivilegeError::Unknown {
                name: name.to_owned(),
            },
        })
    }

    /// Whether it changes rows.
    pub fn writes(self) -> bool {
        self != TablePrivilege::Select
    }
}

impl fmt::Display for TablePrivilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a privilege name of the manifest cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrivilegeError {
    #[error("{name:?} is not a table privilege; use SELECT, INSERT, UPDATE or DELETE")]
    Unknown { name: String },
    #[error(
        "{name:?} is never granted to a login role; list the privileges it needs among SELECT, \
         INSERT, UPDATE and DELETE"
    )]
    NeverGranted { name: String },
}

/// A set of table privileges, rendered `SELECT, INSERT` in SQL order.
pub type Privileges = BTreeSet<TablePrivilege>;

/// `SELECT, INSERT, …` for a set.
pub fn privilege_list(p: &Privileges) -> String {
    p.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
}

/// One `[database.grants]` entry: exactly these privileges on this table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableGrant {
    pub table: QualName,
    pub privileges: Privileges,
}

/// The manifest's least-privilege rules of one database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRules {
    /// Global tables the service role may write (`writable_global_tables`).
    #[serde(default)]
    pub writable_global: Vec<QualName>,
    /// Per-table overrides.
    #[serde(default)]
    pub overrides: Vec<TableGrant>,
    /// Schemas whose objects these rules do not cover (the modules').
    #[serde(default)]
    pub closed_schemas: Vec<String>,
}

/// Why a table gets the privileges it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Tenant-scoped: DML, row level security decides the rows.
    Tenant,
    /// Global (or a view), read-only.
    ReadOnlyGlobal,
    /// Global, listed in `writable_global_tables`.
    WritableGlobal,
    /// A database with tenancy off: DML.
    Untenanted,
    /// Declared in `[database.grants]`.
    Declared,
}

/// The service role's expected privileges on one relation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    pub access: Access,
    /// Whether the relation is tenant-scoped.
    pub tenant: bool,
    pub privileges: Privileges,
}

impl Expected {
    /// Whether the service role may UPDATE or DELETE rows of a global
    /// relation (what makes a cascading foreign key to it dangerous).
    pub fn writable_global(&self) -> bool {
        !self.tenant
            && (self.privileges.contains(&TablePrivilege::Update)
                || self.privileges.contains(&TablePrivilege::Delete))
    }
}

/// The expected privileges of the service role on every table and view of
/// `catalog` outside the closed schemas. `tenancy` is `None` for a database
/// with tenancy off.
pub fn expected_privileges(
    catalog: &Catalog,
    tenancy: Option<&TenancyRules>,
    rules: &GrantRules,
) -> BTreeMap<QualName, Expected> {
    let scoped: BTreeSet<QualName> = tenancy
        .map(|cfg| {
            scoped_tables(catalog, cfg)
                .0
                .into_iter()
                .map(|s| s.name)
                .collect()
        })
        .unwrap_or_default();
    let dml: Privileges = TablePrivilege::ALL.into_iter().collect();
    let select: Privileges = [TablePrivilege::Select].into_iter().collect();
    let names = catalog
        .tables
        .keys()
        .map(|n| (n, true))
        .chain(catalog.views.keys().map(|n| (n, false)));
    let mut out = BTreeMap::new();
    for (name, is_table) in names {
        if rules.closed_schemas.contains(&name.schema) {
            continue;
        }
        let tenant = scoped.contains(name);
        let (access, privileges) =
            if let Some(o) = rules.overrides.iter().find(|o| &o.table == name) {
                (Access::Declared, o.privileges.clone())
            } else if tenancy.is_none() {
                (Access::Untenanted, dml.clone())
            } else if tenant && is_table {
                (Access::Tenant, dml.clone())
            } else if rules.writable_global.contains(name) {
                (Access::WritableGlobal, dml.clone())
            } else {
                (Access::ReadOnlyGlobal, select.clone())
            };
        out.insert(
            name.clone(),
            Expected {
                access,
                tenant,
                privileges,
            },
        );
    }
    out
}

/// The names the rules list that are neither a table nor a view of
/// `catalog`, in the order they are listed.
pub fn unknown_names<'a>(catalog: &Catalog, rules: &'a GrantRules) -> Vec<&'a QualName> {
    rules
        .writable_global
        .iter()
        .chain(rules.overrides.iter().map(|o| &o.table))
        .filter(|n| !catalog.tables.contains_key(n) && !catalog.views.contains_key(n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ConstraintKind;
    use crate::test_catalog::{cfg, col, constraint, table};

    #[test]
    fn privilege_names_parse_in_any_case_and_refuse_the_forbidden_ones() {
        assert_eq!(TablePrivilege::parse("insert"), Ok(TablePrivilege::Insert));
        assert_eq!(
            TablePrivilege::parse("TRUNCATE").unwrap_err().to_string(),
            "\"TRUNCATE\" is never granted to a login role; list the privileges it needs among \
             SELECT, INSERT, UPDATE and DELETE"
        );
        assert_eq!(
            TablePrivilege::parse("SELEKT").unwrap_err().to_string(),
            "\"SELEKT\" is not a table privilege; use SELECT, INSERT, UPDATE or DELETE"
        );
    }

    #[test]
    fn global_tables_are_read_only_unless_listed_and_overrides_win() {
        let mut c = Catalog::default();
        let id = || col("id", "uuid", true);
        let tid = || col("tenant_id", "uuid", true);
        for (name, cols) in [
            ("tenants", vec![id()]),
            ("notes", vec![id(), tid()]),
            ("plans", vec![id()]),
            ("audit_events", vec![id(), tid()]),
            ("signups", vec![id()]),
            ("flags", vec![id()]),
        ] {
            let mut t = table(name, cols);
            if name == "tenants" {
                let pk = constraint("tenants_pkey", ConstraintKind::PrimaryKey, &["id"]);
                t.constraints.insert(pk.name.clone(), pk);
            }
            if name == "flags" {
                t.name = QualName::new("pgtenant", "flags");
            }
            c.tables.insert(t.name.clone(), t);
        }
        let q = |n: &str| QualName::new("public", n);
        let rules = GrantRules {
            writable_global: vec![q("signups")],
            overrides: vec![TableGrant {
                table: q("audit_events"),
                privileges: [TablePrivilege::Select, TablePrivilege::Insert].into(),
            }],
            closed_schemas: vec!["pgtenant".into()],
        };
        let got = expected_privileges(&c, Some(&cfg()), &rules);
        let show: Vec<String> = got
            .iter()
            .map(|(n, e)| format!("{n}: {:?} {}", e.access, privilege_list(&e.privileges)))
            .collect();
        assert_eq!(
            show,
            [
                "public.audit_events: Declared SELECT, INSERT",
                "public.notes: Tenant SELECT, INSERT, UPDATE, DELETE",
                "public.plans: ReadOnlyGlobal SELECT",
                "public.signups: WritableGlobal SELECT, INSERT, UPDATE, DELETE",
                "public.tenants: Tenant SELECT, INSERT, UPDATE, DELETE",
            ]
        );
        assert!(got[&q("signups")].writable_global());
        assert!(!got[&q("plans")].writable_global());
        let off = expected_privileges(&c, None, &rules);
        assert_eq!(off[&q("plans")].access, Access::Untenanted);
        let rules = GrantRules {
            writable_global: vec![q("nope")],
            ..GrantRules::default()
        };
        assert_eq!(unknown_names(&c, &rules), [&q("nope")]);
    }
}
