//! Tenancy: which tables are tenant-scoped, and the transform that gives
//! each of them row level security.
//!
//! The transform is applied to the *desired* schema in the shadow database:
//! [`transform`] looks at the introspected catalog and returns the DDL that
//! isolates every tenant table (`ENABLE` + `FORCE ROW LEVEL SECURITY` and one
//! policy for all commands). The caller runs those statements on the shadow
//! and introspects again, so PostgreSQL itself prints the policy expressions
//! and the desired and live catalogs compare equal. The function is pure.
//!
//! The policy reads the tenant from a transaction-local setting:
//!
//! ```sql
//! tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
//! ```
//!
//! The sub-select makes it an InitPlan evaluated once per statement; the
//! `NULLIF` turns an unset or emptied setting into NULL, which matches no row:
//! no context set means no rows, never all rows.

use crate::finding::{Finding, FindingCode};
use crate::ident::{self, quote_ident, quote_literal};
use crate::model::{Catalog, ConstraintKind, ObjectRef, Policy, PolicyCommand, QualName, Table};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The name of the isolation policy pgtenant creates on each tenant table.
pub const ISOLATION_POLICY: &str = "pgtenant_tenant_isolation";

/// The restrictive policy, the trigger and the trigger function (one per
/// schema) of a soft-delete table: rows with `deleted_at` set are hidden
/// from every role under row-level security unless the transaction sets
/// [`INCLUDE_DELETED_SETTING`] to `on`, and a `DELETE` becomes
/// `UPDATE … SET deleted_at = now()` (the statement reports the row as not
/// deleted). Only a superuser or BYPASSRLS role that sets
/// [`HARD_DELETE_SETTING`] to `on` removes rows (`pgtenant soft-delete
/// purge`).
pub const SOFT_DELETE_POLICY: &str = "pgtenant_soft_delete";

/// `SET LOCAL pgtenant.include_deleted = on`: the transaction sees (and may
/// change) its tenant's soft-deleted rows too.
pub const INCLUDE_DELETED_SETTING: &str = "pgtenant.include_deleted";

/// `SET LOCAL pgtenant.hard_delete = on`, by a role that bypasses row-level
/// security: `DELETE` removes soft-delete rows for real.
pub const HARD_DELETE_SETTING: &str = "pgtenant.hard_delete";

/// The soft-delete column.
pub const DELETED_AT: &str = "deleted_at";

/// The tenancy rules of one database, as the schema engine uses them (which
/// tables are scoped, by which column, which setting the policies read).
/// The CLI maps the manifest's `[tenancy]` section (and a database's
/// overrides) into it. Not to be confused with the application library's
/// `pgtenant::TenancyConfig`, the runtime side: how a connection sets the
/// tenant context (setting names, id types, the membership table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenancyRules {
    /// The tenant key column, e.g. `tenant_id`.
    pub column: String,
    /// The setting the policies read, e.g. `app.tenant_id`.
    pub setting: String,
    /// The setting carrying the current user, e.g. `app.user_id`; policies
    /// written by the user may read it. pgtenant's own policy does not.
    pub user_setting: Option<String>,
    /// The table whose primary key is the tenant id (`public.tenants`).
    pub root_table: Option<QualName>,
    /// Tables that carry the tenant column but are not tenant-scoped.
    pub global_tables: Vec<QualName>,
    /// SECURITY DEFINER functions (schema and name, any arguments) the
    /// service role executes on purpose: a module's API, each of which
    /// scopes its work to the tenant and user in the settings. The lint
    /// that refuses definer functions executable by the service role leaves
    /// these alone (the pinned search_path is still required).
    pub definer_api: Vec<QualName>,
    /// What the service role may do on each table (read-only global
    /// tables, writable ones, per-table overrides): see
    /// [`crate::privileges`].
    #[serde(default)]
    pub grants: crate::privileges::GrantRules,
    /// Tenant tables whose deleted rows are hidden, not removed
    /// ([`SOFT_DELETE_POLICY`]): a `DELETE` sets `deleted_at`.
    #[serde(default)]
    pub soft_delete: Vec<QualName>,
}

/// Why a tenancy configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenancyRulesError {
    #[error(
        "the tenant column name is empty; set `column` in [tenancy], e.g. column = \"tenant_id\""
    )]
    EmptyColumn,
    #[error(
        "setting {name:?} is not a custom setting name; use lower-case words (a-z, 0-9, _) \
         joined by dots, e.g. \"app.tenant_id\""
    )]
    BadSetting { name: String },
    #[error("table name {name:?} is not `table` or `schema.table`")]
    BadTableName { name: String },
}

impl TenancyRules {
    /// A configuration with the given column and setting, no user setting,
    /// no root table and no global tables.
    pub fn new(column: impl Into<String>, setting: impl Into<String>) -> TenancyRules {
        TenancyRules {
            column: column.into(),
            setting: setting.into(),
            user_setting: None,
            root_table: None,
            global_tables: Vec::new(),
            definer_api: Vec::new(),
            grants: crate::privileges::GrantRules::default(),
            soft_delete: Vec::new(),
        }
    }

    /// Check the names: a non-empty column and settings by the one rule of
    /// [`ident::validate_setting`].
    pub fn validate(&self) -> Result<(), TenancyRulesError> {
        if self.column.is_empty() {
            return Err(TenancyRulesError::EmptyColumn);
        }
        validate_setting(&self.setting)?;
        if let Some(u) = &self.user_setting {
            validate_setting(u)?;
        }
        Ok(())
    }

    /// Parse a table name as written in the manifest: `table` (in `public`)
    /// or `schema.table`.
    pub fn parse_table_name(name: &str) -> Result<QualName, TenancyRulesError> {
        let bad = || TenancyRulesError::BadTableName {
            name: name.to_owned(),
        };
        let parts: Vec<&str> = name.split('.').collect();
        match parts.as_slice() {
            [t] if !t.is_empty() => Ok(QualName::new("public", *t)),
            [s, t] if !s.is_empty() && !t.is_empty() => Ok(QualName::new(*s, *t)),
            _ => Err(bad()),
        }
    }

    fn is_global(&self, name: &QualName) -> bool {
        self.global_tables.contains(name)
    }
}

fn validate_setting(name: &str) -> Result<(), TenancyRulesError> {
    ident::validate_setting(name).map_err(|_| TenancyRulesError::BadSetting {
        name: name.to_owned(),
    })
}

/// The role a table plays under tenancy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    /// The root table: scoped by its primary key.
    Root,
    /// A table carrying the tenant column.
    Tenant,
}

/// A table that gets tenant isolation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopedTable {
    pub name: QualName,
    pub kind: ScopeKind,
    /// The column the policy compares with the setting: the tenant column, or
    /// the root table's primary key.
    pub key_column: String,
    /// The column's type, `format_type` as introspected.
    pub key_type: String,
}

/// Which tables of `catalog` are tenant-scoped, and by which column. Also
/// returns findings about the root table (missing, no usable primary key).
pub fn scoped_tables(catalog: &Catalog, cfg: &TenancyRules) -> (Vec<ScopedTable>, Vec<Finding>) {
    let mut out = Vec::new();
    let mut findings = Vec::new();
    if let Some(root) = &cfg.root_table {
        match catalog.tables.get(root) {
            None => findings.push(
                Finding::error(
                    FindingCode::RootTableMissing,
                    ObjectRef::Table { name: root.clone() },
                    format!(
                        "the tenancy root table {root} does not exist, so tenants cannot be \
                         created or scoped"
                    ),
                )
                .suggest("create the table in the schema, or set `root_table` in [tenancy] to the table whose primary key is the tenant id"),
            ),
            Some(t) => match primary_key_column(t) {
                Some(col) => out.push(ScopedTable {
                    name: root.clone(),
                    kind: ScopeKind::Root,
                    key_column: col.to_owned(),
                    key_type: t.column(col).map(|c| c.data_type.clone()).unwrap_or_default(),
                }),
                None => findings.push(
                    Finding::error(
                        FindingCode::RootTableNoPrimaryKey,
                        ObjectRef::Table { name: root.clone() },
                        format!(
                            "the tenancy root table {root} has no single-column primary key \
                             to use as the tenant id"
                        ),
                    )
                    .suggest(format!(
                        "give {root} a primary key on its tenant id column, e.g. `id uuid PRIMARY KEY`"
                    )),
                ),
            },
        }
    }
    for (name, t) in &catalog.tables {
        if Some(name) == cfg.root_table.as_ref() || cfg.is_global(name) {
            continue;
        }
        if let Some(col) = t.column(&cfg.column) {
            out.push(ScopedTable {
                name: name.clone(),
                kind: ScopeKind::Tenant,
                key_column: col.name.clone(),
                key_type: col.data_type.clone(),
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    (out, findings)
}

fn primary_key_column(t: &Table) -> Option<&str> {
    t.constraints
        .values()
        .find(|c| c.kind == ConstraintKind::PrimaryKey)
        .and_then(|c| match c.columns.as_slice() {
            [one] => Some(one.as_str()),
            _ => None,
        })
}

/// The type the setting is cast to in the policy: the column's type without
/// a length or precision modifier. A cast to `character varying(20)`,
/// `character(n)` or `numeric(p,s)` would silently truncate or round a
/// longer setting into another tenant's id; the unmodified type cannot.
pub fn policy_cast_type(column_type: &str) -> String {
    let t = column_type.trim();
    let base = match t.find('(') {
        Some(i) => {
            // `timestamp(3) with time zone` keeps the suffix after `)`.
            let close = t[i..].find(')').map(|j| i + j + 1).unwrap_or(t.len());
            format!("{}{}", t[..i].trim_end(), &t[close..])
        }
        None => t.to_owned(),
    };
    match base.as_str() {
        // Unmodified `character` means character(1): use bpchar.
        "character" => "bpchar".to_owned(),
        "bit" => "bit varying".to_owned(),
        _ => base,
    }
}

/// The policy expression for one scoped table:
/// `<col> = (SELECT NULLIF(current_setting('<setting>', true), '')::<type>)`.
pub fn policy_expression(key_column: &str, key_type: &str, setting: &str) -> String {
    format!(
        "{} = (SELECT NULLIF(current_setting({}, true), '')::{})",
        quote_ident(key_column),
        quote_literal(setting),
        policy_cast_type(key_type)
    )
}

/// What [`transform`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransformOutput {
    /// DDL to run, in order, on the database the catalog was read from.
    pub statements: Vec<String>,
    /// Every tenant-scoped table (the root table included), sorted.
    pub tenant_tables: Vec<QualName>,
    pub findings: Vec<Finding>,
}

/// The tenancy transform. For each scoped table: `ENABLE` and `FORCE ROW
/// LEVEL SECURITY` where not already on, and the isolation policy
/// ([`ISOLATION_POLICY`]) where it is missing or does not have the expected
/// shape (then it is dropped and created again). Policies the user wrote are
/// left alone; permissive ones that are always true or lack WITH CHECK are
/// reported as findings.
pub fn transform(catalog: &Catalog, cfg: &TenancyRules) -> TransformOutput {
    let (scoped, mut findings) = scoped_tables(catalog, cfg);
    let mut statements = Vec::new();
    for s in &scoped {
        let Some(t) = catalog.tables.get(&s.name) else {
            continue;
        };
        let table = s.name.sql();
        if !t.rls_enabled {
            statements.push(format!("ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"));
        }
        if !t.rls_forced {
            statements.push(format!("ALTER TABLE {table} FORCE ROW LEVEL SECURITY"));
        }
        let expr = policy_expression(&s.key_column, &s.key_type, &cfg.setting);
        let create = format!(
            "CREATE POLICY {} ON {table} AS PERMISSIVE FOR ALL TO PUBLIC USING ({expr}) WITH CHECK ({expr})",
            quote_ident(ISOLATION_POLICY)
        );
        match t.policies.get(ISOLATION_POLICY) {
            None => statements.push(create),
            Some(p) if isolation_policy_matches(p, s, &cfg.setting) => {}
            Some(_) => {
                statements.push(format!(
                    "DROP POLICY {} ON {table}",
                    quote_ident(ISOLATION_POLICY)
                ));
                statements.push(create);
            }
        }
        findings.extend(user_policy_findings(&s.name, t));
    }
    soft_delete(catalog, cfg, &scoped, &mut statements, &mut findings);
    TransformOutput {
        statements,
        tenant_tables: scoped.into_iter().map(|s| s.name).collect(),
        findings,
    }
}

/// The soft-delete objects of `cfg.soft_delete` (see [`SOFT_DELETE_POLICY`]),
/// each created where missing; a listed table that cannot carry them is an
/// error finding and gets none.
fn soft_delete(
    catalog: &Catalog,
    cfg: &TenancyRules,
    scoped: &[ScopedTable],
    statements: &mut Vec<String>,
    findings: &mut Vec<Finding>,
) {
    let mut functions_made: Vec<&str> = Vec::new();
    for name in &cfg.soft_delete {
        let unusable = |why: String, fix: String| {
            Finding::error(
                FindingCode::SoftDeleteTableUnusable,
                ObjectRef::Table { name: name.clone() },
                format!("soft_delete table {name} {why}"),
            )
            .suggest(fix)
        };
        let Some(t) = catalog.tables.get(name) else {
            findings.push(unusable(
                "does not exist".to_owned(),
                "create it in the schema files, or remove it from soft_delete".to_owned(),
            ));
            continue;
        };
        if !scoped
            .iter()
            .any(|s| &s.name == name && s.kind == ScopeKind::Tenant)
        {
            findings.push(unusable(
                format!(
                    "is not a tenant table (it has no {} column, or is global or the root)",
                    cfg.column
                ),
                "soft delete hides a tenant's rows under its policy; list only tenant tables"
                    .to_owned(),
            ));
            continue;
        }
        let column_ok = t.column(DELETED_AT).is_some_and(|c| {
            !c.not_null
                && matches!(
                    c.data_type.as_str(),
                    "timestamp with time zone" | "timestamp without time zone"
                )
        });
        if !column_ok {
            findings.push(unusable(
                format!("has no nullable timestamp column {DELETED_AT}"),
                format!("add `{DELETED_AT} timestamptz` (nullable, no default) to {name}"),
            ));
            continue;
        }
        let Some(pk) = t
            .constraints
            .values()
            .find(|c| c.kind == ConstraintKind::PrimaryKey)
        else {
            findings.push(unusable(
                "has no primary key".to_owned(),
                format!("give {name} a primary key: the soft delete finds the row by it"),
            ));
            continue;
        };
        let schema = name.schema.as_str();
        let function = QualName::new(schema, SOFT_DELETE_POLICY);
        if !catalog
            .functions
            .keys()
            .any(|f| f.schema == schema && f.name == SOFT_DELETE_POLICY)
            && !functions_made.contains(&schema)
        {
            functions_made.push(schema);
            statements.push(soft_delete_function(&function));
        }
        let table = name.sql();
        if !t.policies.contains_key(SOFT_DELETE_POLICY) {
            statements.push(format!(
                "CREATE POLICY {} ON {table} AS RESTRICTIVE FOR ALL TO PUBLIC \
                 USING ({col} IS NULL OR current_setting({inc}, true) = 'on')",
                quote_ident(SOFT_DELETE_POLICY),
                col = quote_ident(DELETED_AT),
                inc = quote_literal(INCLUDE_DELETED_SETTING),
            ));
        }
        if !t.triggers.contains_key(SOFT_DELETE_POLICY) {
            let args: Vec<String> = pk.columns.iter().map(|c| quote_literal(c)).collect();
            statements.push(format!(
                "CREATE TRIGGER {} BEFORE DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {}({})",
                quote_ident(SOFT_DELETE_POLICY),
                function.sql(),
                args.join(", ")
            ));
        }
    }
}

/// The trigger function: the primary key columns are its arguments.
fn soft_delete_function(function: &QualName) -> String {
    format!(
        "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql \
         SET search_path = pg_catalog, pg_temp AS $pgtenant$
DECLARE
  prior text := current_setting({inc}, true);
  cond text := '';
  i integer;
BEGIN
  IF current_setting({hard}, true) = 'on'
     AND (SELECT r.rolsuper OR r.rolbypassrls FROM pg_roles r WHERE r.rolname = current_user) THEN
    RETURN OLD;
  END IF;
  FOR i IN 0 .. TG_NARGS - 1 LOOP
    cond := cond || CASE WHEN i > 0 THEN ' AND ' ELSE '' END
            || format('%I = ($1).%I', TG_ARGV[i], TG_ARGV[i]);
  END LOOP;
  PERFORM set_config({inc}, 'on', true);
  EXECUTE format('UPDATE %I.%I SET {col} = now() WHERE {col} IS NULL AND %s',
                 TG_TABLE_SCHEMA, TG_TABLE_NAME, cond) USING OLD;
  PERFORM set_config({inc}, coalesce(prior, ''), true);
  RETURN NULL;
END
$pgtenant$",
        name = function.sql(),
        inc = quote_literal(INCLUDE_DELETED_SETTING),
        hard = quote_literal(HARD_DELETE_SETTING),
        col = quote_ident(DELETED_AT),
    )
}

/// Whether an existing policy named [`ISOLATION_POLICY`] is the one the
/// transform would create. Compared on its shape and on the parts of the
/// expression PostgreSQL prints verbatim (setting literal, cast type, column).
fn isolation_policy_matches(p: &Policy, s: &ScopedTable, setting: &str) -> bool {
    let expr_ok = |e: &Option<String>| {
        e.as_deref().is_some_and(|e| {
            e.contains(&format!("current_setting({}", quote_literal(setting)))
                && e.contains("NULLIF(")
                && e.contains(&format!("::{}", policy_cast_type(&s.key_type)))
                && e.contains(&quote_ident(&s.key_column))
        })
    };
    p.command == PolicyCommand::All
        && p.permissive
        && p.roles == ["public"]
        && expr_ok(&p.using)
        && expr_ok(&p.with_check)
        && p.using == p.with_check
}

/// Findings about the policies the user wrote on a scoped table.
pub fn user_policy_findings(table: &QualName, t: &Table) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in t.policies.values() {
        if p.name == ISOLATION_POLICY || !p.permissive {
            continue;
        }
        let obj = ObjectRef::Policy {
            table: table.clone(),
            name: p.name.clone(),
        };
        let reads = matches!(
            p.command,
            PolicyCommand::All
                | PolicyCommand::Select
                | PolicyCommand::Update
                | PolicyCommand::Delete
        );
        let writes = matches!(
            p.command,
            PolicyCommand::All | PolicyCommand::Insert | PolicyCommand::Update
        );
        let using_true = reads && p.using.as_deref().is_some_and(is_always_true);
        let check_true = writes && p.with_check.as_deref().is_some_and(is_always_true);
        if using_true || check_true {
            let clause = if using_true { "USING" } else { "WITH CHECK" };
            out.push(
                Finding::error(
                    FindingCode::PolicyAlwaysTrue,
                    obj,
                    format!(
                        "permissive policy {} on tenant table {table} is always true ({clause}); \
                         permissive policies are OR-ed, so it opens every tenant's rows to {}",
                        p.name,
                        p.roles.join(", ")
                    ),
                )
                .suggest(format!(
                    "drop it (DROP POLICY {} ON {}), or make it AS RESTRICTIVE, or compare the tenant column with the tenant setting",
                    quote_ident(&p.name),
                    table.sql()
                )),
            );
        } else if writes && p.with_check.is_none() {
            out.push(
                Finding::warning(
                    FindingCode::PolicyWithoutWithCheck,
                    obj,
                    format!(
                        "permissive {} policy {} on tenant table {table} has no WITH CHECK; \
                         rows written through it are checked only by its USING expression, if any",
                        p.command.sql(),
                        p.name
                    ),
                )
                .suggest("add an explicit WITH CHECK that compares the tenant column with the tenant setting"),
            );
        }
    }
    out
}

/// An expression PostgreSQL printed that is true for every row: `true`,
/// `NOT false`, or `x = x` with both sides the same text (`1 = 1`).
pub fn is_always_true(expr: &str) -> bool {
    let s: String = expr
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '(' && *c != ')')
        .collect::<String>()
        .to_ascii_lowercase();
    if s == "true" || s == "notfalse" || s == "'t'::boolean" || s == "'true'::boolean" {
        return true;
    }
    if let Some((l, r)) = s.split_once('=') {
        let plain = |x: &str| !x.is_empty() && !x.contains(['<', '>', '!', '=']);
        return l == r && plain(l);
    }
    false
}

impl fmt::Display for ScopeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ScopeKind::Root => "root",
            ScopeKind::Tenant => "tenant",
        })
    }
}

/// Tables scoped under `cfg`, keyed by name, for lookups.
pub fn scoped_map(catalog: &Catalog, cfg: &TenancyRules) -> BTreeMap<QualName, ScopedTable> {
    scoped_tables(catalog, cfg)
        .0
        .into_iter()
        .map(|s| (s.name.clone(), s))
        .collect()
}

/// Why [`apply`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("reading the schema for the tenancy transform failed")]
    Introspect(#[from] crate::introspect::IntrospectError),
    #[error("tenancy statement failed: {statement}; fix the schema (see the cause) and run again")]
    Statement {
        statement: String,
        #[source]
        source: sqlx::Error,
    },
}

/// The tenancy transform applied to a database (normally the shadow loaded
/// from `schema/`): introspect, [`transform`], run the statements in one
/// transaction, introspect again. Returns the transformed catalog (with
/// PostgreSQL's own rendering of the policies) and what the transform did.
/// The pure part is [`transform`]; this is the I/O around it.
pub async fn apply(
    conn: &mut sqlx::PgConnection,
    cfg: &TenancyRules,
) -> Result<(Catalog, TransformOutput), ApplyError> {
    use sqlx::Connection;
    let before = crate::introspect(conn).await?;
    let out = transform(&before, cfg);
    if out.statements.is_empty() {
        return Ok((before, out));
    }
    let run = |statement: &str, source| ApplyError::Statement {
        statement: statement.to_owned(),
        source,
    };
    let mut tx = conn.begin().await.map_err(|e| run("BEGIN", e))?;
    for st in &out.statements {
        sqlx::raw_sql(st)
            .execute(&mut *tx)
            .await
            .map_err(|e| run(st, e))?;
    }
    tx.commit().await.map_err(|e| run("COMMIT", e))?;
    let after = crate::introspect(conn).await?;
    Ok((after, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;
    use crate::test_catalog::*;

    /// The transform's statements for [`basic`] with the given key type.
    fn check(key_type: &str) -> Vec<String> {
        let out = transform(&basic(key_type), &cfg());
        assert_eq!(out.tenant_tables, vec![q("notes"), q("tenants")]);
        assert!(out.findings.is_empty(), "{:?}", out.findings);
        out.statements
    }

    #[test]
    fn uuid_keys() {
        assert_eq!(
            check("uuid"),
            [
                "ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY",
                "ALTER TABLE public.notes FORCE ROW LEVEL SECURITY",
                "CREATE POLICY pgtenant_tenant_isolation ON public.notes AS PERMISSIVE FOR ALL TO PUBLIC \
                 USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)) \
                 WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid))",
                "ALTER TABLE public.tenants ENABLE ROW LEVEL SECURITY",
                "ALTER TABLE public.tenants FORCE ROW LEVEL SECURITY",
                "CREATE POLICY pgtenant_tenant_isolation ON public.tenants AS PERMISSIVE FOR ALL TO PUBLIC \
                 USING (id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)) \
                 WITH CHECK (id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid))",
            ]
        );
    }

    #[test]
    fn text_keys() {
        let s = check("text");
        assert_eq!(
            s[2],
            "CREATE POLICY pgtenant_tenant_isolation ON public.notes AS PERMISSIVE FOR ALL TO PUBLIC \
             USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::text)) \
             WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::text))"
        );
        assert_eq!(s.len(), 6);
    }

    #[test]
    fn bigint_keys() {
        let s = check("bigint");
        assert_eq!(
            s[5],
            "CREATE POLICY pgtenant_tenant_isolation ON public.tenants AS PERMISSIVE FOR ALL TO PUBLIC \
             USING (id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::bigint)) \
             WITH CHECK (id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::bigint))"
        );
    }

    #[test]
    fn varchar_keys_cast_without_length_so_nothing_truncates() {
        let s = check("character varying(20)");
        assert!(
            s[2].contains("NULLIF(current_setting('app.tenant_id', true), '')::character varying)"),
            "{}",
            s[2]
        );
        assert_eq!(policy_cast_type("character(8)"), "bpchar");
        assert_eq!(policy_cast_type("numeric(10,0)"), "numeric");
        assert_eq!(policy_cast_type("public.tenant_key"), "public.tenant_key");
        assert_eq!(
            policy_cast_type("timestamp(3) with time zone"),
            "timestamp with time zone"
        );
    }

    #[test]
    fn odd_names_and_settings_are_quoted() {
        let mut c = Catalog::default();
        let mut t = table("Order Lines", vec![col("TenantId", "uuid", true)]);
        t.name = QualName::new("Sales", "Order Lines");
        c.tables.insert(t.name.clone(), t);
        let cfg = TenancyRules::new("TenantId", "app.tenant");
        let out = transform(&c, &cfg);
        assert_eq!(
            out.statements[0],
            "ALTER TABLE \"Sales\".\"Order Lines\" ENABLE ROW LEVEL SECURITY"
        );
        assert!(
            out.statements[2].contains("USING (\"TenantId\" = (SELECT"),
            "{}",
            out.statements[2]
        );
    }

    #[test]
    fn already_isolated_tables_need_nothing() {
        let mut c = basic("uuid");
        for (name, key) in [("notes", "tenant_id"), ("tenants", "id")] {
            let t = c.tables.get_mut(&q(name)).unwrap();
            t.rls_enabled = true;
            t.rls_forced = true;
            // As PostgreSQL prints the transform's own expression.
            let e = format!("({key} = ( SELECT (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid AS \"nullif\"))");
            t.policies.insert(
                ISOLATION_POLICY.into(),
                policy(ISOLATION_POLICY, PolicyCommand::All, Some(&e), Some(&e)),
            );
        }
        assert_eq!(transform(&c, &cfg()).statements, Vec::<String>::new());
    }

    #[test]
    fn a_stale_isolation_policy_is_replaced_and_only_missing_flags_are_set() {
        let mut c = basic("uuid");
        let t = c.tables.get_mut(&q("notes")).unwrap();
        t.rls_enabled = true;
        t.policies.insert(
            ISOLATION_POLICY.into(),
            policy(
                ISOLATION_POLICY,
                PolicyCommand::All,
                Some("(tenant_id IS NOT NULL)"),
                None,
            ),
        );
        let s = transform(&c, &cfg()).statements;
        assert_eq!(s[0], "ALTER TABLE public.notes FORCE ROW LEVEL SECURITY");
        assert_eq!(
            s[1],
            "DROP POLICY pgtenant_tenant_isolation ON public.notes"
        );
        assert!(s[2].starts_with("CREATE POLICY pgtenant_tenant_isolation ON public.notes"));
    }

    #[test]
    fn global_tables_and_tables_without_the_column_are_left_alone() {
        let mut c = basic("uuid");
        let plans = table(
            "plans",
            vec![col("id", "bigint", true), col("tenant_id", "uuid", false)],
        );
        let audit = table("audit", vec![col("id", "bigint", true)]);
        c.tables.insert(plans.name.clone(), plans);
        c.tables.insert(audit.name.clone(), audit);
        let mut cfg = cfg();
        cfg.global_tables = vec![q("plans")];
        let out = transform(&c, &cfg);
        assert_eq!(out.tenant_tables, vec![q("notes"), q("tenants")]);
        assert!(out
            .statements
            .iter()
            .all(|s| !s.contains("plans") && !s.contains("audit")));
    }

    #[test]
    fn user_policies_are_kept_and_unsafe_ones_reported() {
        let mut c = basic("uuid");
        let t = c.tables.get_mut(&q("notes")).unwrap();
        t.policies.insert(
            "open".into(),
            policy("open", PolicyCommand::Select, Some("true"), None),
        );
        t.policies.insert(
            "tauto".into(),
            policy(
                "tauto",
                PolicyCommand::All,
                Some("(1 = 1)"),
                Some("(1 = 1)"),
            ),
        );
        t.policies.insert(
            "own".into(),
            policy(
                "own",
                PolicyCommand::Update,
                Some("(author = current_user)"),
                None,
            ),
        );
        let mut restrictive = policy("r", PolicyCommand::All, Some("true"), None);
        restrictive.permissive = false;
        t.policies.insert("r".into(), restrictive);
        let out = transform(&c, &cfg());
        assert!(out
            .statements
            .iter()
            .all(|s| !s.contains("open") && !s.contains("DROP")));
        let got: Vec<(String, FindingCode, Severity)> = out
            .findings
            .iter()
            .map(|f| (f.object.to_string(), f.code, f.severity))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "policy open on public.notes".to_owned(),
                    FindingCode::PolicyAlwaysTrue,
                    Severity::Error
                ),
                (
                    "policy own on public.notes".to_owned(),
                    FindingCode::PolicyWithoutWithCheck,
                    Severity::Warning
                ),
                (
                    "policy tauto on public.notes".to_owned(),
                    FindingCode::PolicyAlwaysTrue,
                    Severity::Error
                ),
            ]
        );
        assert_eq!(
            out.findings[0].message,
            "permissive policy open on tenant table public.notes is always true (USING); \
             permissive policies are OR-ed, so it opens every tenant's rows to public"
        );
    }

    #[test]
    fn missing_root_table_is_a_finding() {
        let mut cfg = cfg();
        cfg.root_table = Some(q("organizations"));
        let out = transform(&basic("uuid"), &cfg);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].code, FindingCode::RootTableMissing);
        assert_eq!(out.tenant_tables, vec![q("notes")]);
    }

    #[test]
    fn always_true_detection() {
        for e in [
            "true",
            "(true)",
            "(1 = 1)",
            "NOT false",
            "('a'::text = 'a'::text)",
        ] {
            assert!(is_always_true(e), "{e}");
        }
        for e in [
            "(tenant_id = ( SELECT 1))",
            "false",
            "(a = b)",
            "(1 = 2)",
            "(a >= a)",
        ] {
            assert!(!is_always_true(e), "{e}");
        }
    }

    #[test]
    fn config_validation() {
        assert_eq!(
            TenancyRules::new("tenant_id", "app.tenant_id").validate(),
            Ok(())
        );
        assert_eq!(
            TenancyRules::new("tenant_id", "tenant_id")
                .validate()
                .unwrap_err()
                .to_string(),
            "setting \"tenant_id\" is not a custom setting name; use lower-case words (a-z, \
             0-9, _) joined by dots, e.g. \"app.tenant_id\""
        );
        assert_eq!(
            TenancyRules::new("", "app.t").validate(),
            Err(TenancyRulesError::EmptyColumn)
        );
        assert_eq!(TenancyRules::parse_table_name("tenants"), Ok(q("tenants")));
        assert_eq!(
            TenancyRules::parse_table_name("core.orgs"),
            Ok(QualName::new("core", "orgs"))
        );
        assert!(TenancyRules::parse_table_name("a.b.c").is_err());
    }
}
