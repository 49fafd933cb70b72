//! The `Catalog`: a database schema as a plain value.
//!
//! Introspection builds it from `pg_catalog`; the diff compares two of them.
//! Every object is keyed by its schema-qualified identity in a `BTreeMap`, so
//! iteration order (and therefore every plan) is deterministic.
//!
//! Expressions (defaults, checks, index and view definitions, policy
//! expressions) are stored exactly as PostgreSQL's own renderers print them
//! (`pg_get_expr`, `pg_get_indexdef`, ...). Both sides of a diff are loaded
//! into a real server before they are compared, so the texts are normalised
//! the same way and can be compared as strings. Introspection renders them
//! with an empty `search_path` (and fixed `TimeZone`, `DateStyle`,
//! `IntervalStyle`), so every user object in them is schema-qualified
//! (`public.status`, `nextval('public.t_id_seq'::regclass)`) and the text
//! does not depend on the session that read it.
//!
//! Fields documented as "not diffed" (owners, OIDs-derived facts) are kept for
//! lints and reports; equality used by the convergence check is
//! [`Catalog::normalized`].

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A schema-qualified object name.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct QualName {
    pub schema: String,
    pub name: String,
}

impl QualName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QualName {
            schema: schema.into(),
            name: name.into(),
        }
    }

    /// The quoted SQL form, `schema.name`.
    pub fn sql(&self) -> String {
        crate::ident::quote_qualified(&self.schema, &self.name)
    }
}

impl fmt::Display for QualName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

/// The identity of a function or procedure: name plus identity argument
/// types (`pg_get_function_identity_arguments`), as overloading requires.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FunctionId {
    pub schema: String,
    pub name: String,
    /// e.g. `a integer, b text` — exactly as PostgreSQL prints it.
    pub args: String,
}

impl FunctionId {
    /// `schema.name(args)` quoted for use in DDL (`DROP FUNCTION ...`).
    pub fn sql(&self) -> String {
        format!(
            "{}({})",
            crate::ident::quote_qualified(&self.schema, &self.name),
            self.args
        )
    }
}

impl fmt::Display for FunctionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}({})", self.schema, self.name, self.args)
    }
}

/// A reference to any object, used for dependencies and for naming objects in
/// hazards, findings and errors.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ObjectRef {
    Schema { name: String },
    Extension { name: String },
    Type { name: QualName },
    Sequence { name: QualName },
    Table { name: QualName },
    Column { table: QualName, column: String },
    Constraint { table: QualName, name: String },
    Index { name: QualName },
    View { name: QualName },
    Function { id: FunctionId },
    Trigger { table: QualName, name: String },
    Policy { table: QualName, name: String },
    Rule { table: QualName, name: String },
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectRef::Schema { name } => write!(f, "schema {name}"),
            ObjectRef::Extension { name } => write!(f, "extension {name}"),
            ObjectRef::Type { name } => write!(f, "type {name}"),
            ObjectRef::Sequence { name } => write!(f, "sequence {name}"),
            ObjectRef::Table { name } => write!(f, "table {name}"),
            ObjectRef::Column { table, column } => write!(f, "column {table}.{column}"),
            ObjectRef::Constraint { table, name } => write!(f, "constraint {name} on {table}"),
            ObjectRef::Index { name } => write!(f, "index {name}"),
            ObjectRef::View { name } => write!(f, "view {name}"),
            ObjectRef::Function { id } => write!(f, "function {id}"),
            ObjectRef::Trigger { table, name } => write!(f, "trigger {name} on {table}"),
            ObjectRef::Policy { table, name } => write!(f, "policy {name} on {table}"),
            ObjectRef::Rule { table, name } => write!(f, "rule {name} on {table}"),
        }
    }
}

/// One privilege granted to one grantee (`PUBLIC` for the public pseudo-role).
///
/// Grants are the *effective* ACL: an object whose ACL was never touched is
/// read through `acldefault`, so a fresh function lists `PUBLIC EXECUTE`
/// (PostgreSQL's default) and a function after `REVOKE EXECUTE ... FROM
/// PUBLIC` does not. The owner's own privileges are never listed. Lists are
/// sorted and free of duplicates. `PUBLIC` is the keyword, not a role name:
/// never pass it through `quote_ident`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Grant {
    pub grantee: String,
    /// `SELECT`, `INSERT`, `UPDATE`, `DELETE`, `TRUNCATE`, `REFERENCES`,
    /// `TRIGGER`, `USAGE`, `EXECUTE`, `CREATE`, ...
    pub privilege: String,
    pub with_grant_option: bool,
}

/// The whole introspected schema of one database.
///
/// In JSON, maps keyed by a [`QualName`] or [`FunctionId`] are arrays of
/// their values (each value carries its own name), in key order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    /// User schemas (never `pg_catalog`, `information_schema`, `pg_toast*`
    /// or pgtenant's own journal schema). `public` is included.
    pub schemas: BTreeMap<String, Schema>,
    pub extensions: BTreeMap<String, Extension>,
    #[serde(with = "keyed_map")]
    pub enums: BTreeMap<QualName, EnumType>,
    #[serde(with = "keyed_map")]
    pub domains: BTreeMap<QualName, Domain>,
    #[serde(with = "keyed_map")]
    pub composite_types: BTreeMap<QualName, CompositeType>,
    /// Stand-alone and owned sequences; identity sequences are part of their
    /// column and do not appear here.
    #[serde(with = "keyed_map")]
    pub sequences: BTreeMap<QualName, Sequence>,
    #[serde(with = "keyed_map")]
    pub tables: BTreeMap<QualName, Table>,
    /// Views and materialized views.
    #[serde(with = "keyed_map")]
    pub views: BTreeMap<QualName, View>,
    #[serde(with = "keyed_map")]
    pub functions: BTreeMap<FunctionId, Function>,
}

impl Catalog {
    /// The catalog without the facts that are not diffed (owners), for
    /// equality checks such as the convergence oracle.
    pub fn normalized(&self) -> Catalog {
        let mut c = self.clone();
        for s in c.schemas.values_mut() {
            s.owner.clear();
        }
        for t in c.tables.values_mut() {
            t.owner.clear();
        }
        for v in c.views.values_mut() {
            v.owner.clear();
        }
        for f in c.functions.values_mut() {
            f.owner.clear();
        }
        for s in c.sequences.values_mut() {
            s.owner.clear();
        }
        c
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub name: String,
    /// Not diffed.
    pub owner: String,
    pub comment: Option<String>,
    pub grants: Vec<Grant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// An installed extension. `plpgsql` (present in every database) is not
/// listed, nor is anything an extension owns (its types, functions, ...).
pub struct Extension {
    pub name: String,
    pub schema: String,
    /// Installed version; recorded, not diffed (a different server may ship
    /// another default version).
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumType {
    pub name: QualName,
    /// Labels in sort order (`enumsortorder`).
    pub values: Vec<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    pub name: QualName,
    /// `format_type` of the base type.
    pub base_type: String,
    /// Only when it differs from the base type's; SQL-ready like
    /// [`Column::collation`].
    pub collation: Option<String>,
    pub default: Option<String>,
    pub not_null: bool,
    /// Constraint name → `pg_get_constraintdef` (e.g. `CHECK ((VALUE > 0))`).
    pub checks: BTreeMap<String, String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompositeType {
    pub name: QualName,
    /// (attribute name, `format_type`) in order.
    pub attributes: Vec<(String, String)>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    pub name: QualName,
    /// Not diffed.
    pub owner: String,
    /// `smallint`, `integer` or `bigint`.
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub cache: i64,
    pub cycle: bool,
    /// `OWNED BY table.column`.
    pub owned_by: Option<(QualName, String)>,
    pub comment: Option<String>,
    pub grants: Vec<Grant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    Ordinary,
    Partitioned,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub name: QualName,
    /// Not diffed.
    pub owner: String,
    pub kind: TableKind,
    /// `PARTITION BY ...` clause for partitioned tables
    /// (`pg_get_partkeydef`, e.g. `RANGE (created_at)`).
    pub partition_key: Option<String>,
    /// For a partition: its parent and bound
    /// (`pg_get_expr(relpartbound)`, e.g. `FOR VALUES FROM (...) TO (...)`).
    pub partition_of: Option<PartitionOf>,
    pub unlogged: bool,
    /// Columns in attribute order (dropped columns excluded).
    pub columns: Vec<Column>,
    /// Table constraints by name: primary key, unique, check, exclusion,
    /// foreign key. NOT NULL is a column property.
    pub constraints: BTreeMap<String, Constraint>,
    /// Indexes that do not back a constraint, by index name (same schema as
    /// the table).
    pub indexes: BTreeMap<String, Index>,
    pub triggers: BTreeMap<String, Trigger>,
    /// Rewrite rules (`CREATE RULE ... DO INSTEAD/ALSO`), by name.
    #[serde(default)]
    pub rules: BTreeMap<String, Rule>,
    pub policies: BTreeMap<String, Policy>,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    /// `reloptions`, e.g. `fillfactor=70`, sorted.
    pub options: Vec<String>,
    pub comment: Option<String>,
    pub grants: Vec<Grant>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionOf {
    pub parent: QualName,
    pub bound: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// `format_type(atttypid, atttypmod)`, e.g. `character varying(20)`,
    /// `timestamp with time zone`, `public.status`.
    pub data_type: String,
    /// Only when it differs from the type's default collation; SQL-ready
    /// and schema-qualified, e.g. `pg_catalog."C"` (use after `COLLATE` as
    /// is).
    pub collation: Option<String>,
    pub not_null: bool,
    /// `pg_get_expr(adbin)`; `None` for identity and generated columns.
    pub default: Option<String>,
    pub identity: Option<Identity>,
    /// `GENERATED ALWAYS AS (expr) STORED`: the expression.
    pub generated: Option<String>,
    pub comment: Option<String>,
    /// Column-level grants only (table-level grants are on the table).
    pub grants: Vec<Grant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    Always,
    ByDefault,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub kind: IdentityKind,
    pub start: i64,
    pub increment: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub cache: i64,
    pub cycle: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    Check,
    Exclusion,
    ForeignKey,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    pub name: String,
    pub kind: ConstraintKind,
    /// `pg_get_constraintdef`, e.g. `FOREIGN KEY (tenant_id) REFERENCES
    /// public.tenants(id) ON DELETE CASCADE` or `CHECK ((amount > 0))`.
    pub definition: String,
    /// The constrained columns, in key order.
    pub columns: Vec<String>,
    /// For foreign keys: the referenced table and columns.
    pub references: Option<ForeignKeyTarget>,
    pub deferrable: bool,
    pub initially_deferred: bool,
    /// `false` for `NOT VALID` constraints.
    pub validated: bool,
    /// For constraints inherited by a partition from its parent: they are
    /// created by the parent and not diffed on the partition.
    pub inherited: bool,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKeyTarget {
    pub table: QualName,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    /// `pg_get_indexdef`: the complete `CREATE [UNIQUE] INDEX ... ON ...
    /// USING method (...) [INCLUDE (...)] [WHERE ...]` statement.
    pub definition: String,
    pub unique: bool,
    /// Key columns where they are plain columns; `None` for an expression
    /// key. Used by lints ("an index leading with the tenant column").
    pub columns: Vec<Option<String>>,
    pub method: String,
    pub predicate: Option<String>,
    /// An index of a partition that is attached to an index of its
    /// partitioned parent (created by the parent's `CREATE INDEX`). Listed on
    /// the partition with `inherited = true`, like inherited constraints and
    /// triggers: created by the parent and not diffed on the partition.
    pub inherited: bool,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub name: String,
    /// `pg_get_triggerdef`: the complete `CREATE TRIGGER` statement.
    pub definition: String,
    pub function: FunctionId,
    /// `O` origin (enabled), `D` disabled, `R` replica, `A` always.
    pub enabled: String,
    /// A trigger cloned onto a partition from its partitioned parent:
    /// created by the parent and not diffed on the partition.
    #[serde(default)]
    pub inherited: bool,
    pub comment: Option<String>,
}

/// A rewrite rule of a table or view (`pg_rewrite`, never a view's
/// `_RETURN` rule, which is the view itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    /// `pg_get_ruledef`: the complete `CREATE RULE` statement.
    pub definition: String,
    /// `O` origin (enabled), `D` disabled, `R` replica, `A` always.
    pub enabled: String,
    /// The tables, views, columns (its own table's included), types and
    /// functions its condition and actions use (`pg_depend`): what cannot
    /// be dropped or retyped while the rule exists. Sorted.
    pub depends_on: Vec<ObjectRef>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyCommand {
    All,
    Select,
    Insert,
    Update,
    Delete,
}

impl PolicyCommand {
    pub fn sql(self) -> &'static str {
        match self {
            PolicyCommand::All => "ALL",
            PolicyCommand::Select => "SELECT",
            PolicyCommand::Insert => "INSERT",
            PolicyCommand::Update => "UPDATE",
            PolicyCommand::Delete => "DELETE",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    pub command: PolicyCommand,
    pub permissive: bool,
    /// Role names, sorted; `["public"]` when the policy applies to all
    /// (lower case, as `pg_policies` shows it; unlike grants' `PUBLIC`).
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub with_check: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub name: QualName,
    /// Not diffed.
    pub owner: String,
    pub materialized: bool,
    /// `pg_get_viewdef(oid, true)`.
    pub definition: String,
    /// `reloptions`, e.g. `security_invoker=true`, `security_barrier=true`,
    /// `check_option=local`, sorted.
    pub options: Vec<String>,
    /// Columns (name, `format_type`) in order, to detect changes that
    /// `CREATE OR REPLACE VIEW` cannot make.
    pub columns: Vec<(String, String)>,
    /// Tables and views this view reads (from `pg_depend` via `pg_rewrite`).
    pub depends_on: Vec<QualName>,
    /// Indexes on a materialized view, by name.
    pub indexes: BTreeMap<String, Index>,
    /// `INSTEAD OF` (and other) triggers on a view, by name.
    #[serde(default)]
    pub triggers: BTreeMap<String, Trigger>,
    /// Rewrite rules other than the view's own `_RETURN` rule, by name.
    #[serde(default)]
    pub rules: BTreeMap<String, Rule>,
    pub comment: Option<String>,
    pub grants: Vec<Grant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FunctionKind {
    Function,
    Procedure,
    Aggregate,
    Window,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    pub id: FunctionId,
    /// Not diffed.
    pub owner: String,
    pub kind: FunctionKind,
    /// `pg_get_functiondef`: the complete `CREATE OR REPLACE FUNCTION`
    /// (or `PROCEDURE`) statement. PostgreSQL has no renderer for
    /// aggregates: for them introspection builds a `CREATE AGGREGATE`
    /// statement (SFUNC, STYPE, FINALFUNC, COMBINEFUNC, INITCOND).
    pub definition: String,
    /// `pg_get_function_result`, e.g. `trigger`, `SETOF text`; empty for
    /// procedures.
    pub returns: String,
    pub language: String,
    pub security_definer: bool,
    /// `proconfig`, e.g. `search_path=pg_catalog, public`.
    pub config: Vec<String>,
    /// Other user objects it is known to depend on (`pg_depend`): argument
    /// and result types (an array type is reported as its element type, a
    /// table's row type as the table), and for SQL bodies in `BEGIN ATOMIC`
    /// the tables, columns and functions they use (PostgreSQL tracks nothing
    /// inside other bodies). Objects owned by an extension are reported as
    /// that extension. Sorted.
    pub depends_on: Vec<ObjectRef>,
    pub comment: Option<String>,
    pub grants: Vec<Grant>,
}

/// `-- pgtenant:renamed-from old_name` on a table or column line of the
/// desired SQL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RenameHint {
    Table {
        from: QualName,
        to: QualName,
    },
    Column {
        table: QualName,
        from: String,
        to: String,
    },
}

/// A value that carries its own map key, so a map of them can be stored as
/// a plain list (JSON object keys must be strings).
pub trait Keyed {
    type Key: Ord;
    fn key(&self) -> Self::Key;
}

macro_rules! keyed {
    ($($ty:ty => $field:ident: $key:ty),* $(,)?) => {
        $(impl Keyed for $ty {
            type Key = $key;
            fn key(&self) -> $key {
                self.$field.clone()
            }
        })*
    };
}

keyed! {
    EnumType => name: QualName,
    Domain => name: QualName,
    CompositeType => name: QualName,
    Sequence => name: QualName,
    Table => name: QualName,
    View => name: QualName,
    Function => id: FunctionId,
}

/// `#[serde(with = "keyed_map")]`: a `BTreeMap<K, V: Keyed>` as a sequence
/// of values.
mod keyed_map {
    use super::Keyed;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<V: Keyed + Serialize, S: Serializer>(
        map: &BTreeMap<V::Key, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.values())
    }

    pub fn deserialize<'de, V, D>(d: D) -> Result<BTreeMap<V::Key, V>, D::Error>
    where
        V: Keyed + Deserialize<'de>,
        D: Deserializer<'de>,
    {
        let values = Vec::<V>::deserialize(d)?;
        Ok(values.into_iter().map(|v| (v.key(), v)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_round_trips_through_json_with_struct_keyed_maps_as_lists() {
        let mut c = Catalog::default();
        let name = QualName::new("app", "t");
        c.enums.insert(
            QualName::new("app", "e"),
            EnumType {
                name: QualName::new("app", "e"),
                values: vec!["a".into()],
                comment: None,
            },
        );
        c.tables.insert(
            name.clone(),
            Table {
                name: name.clone(),
                owner: "o".into(),
                kind: TableKind::Ordinary,
                partition_key: None,
                partition_of: None,
                unlogged: false,
                columns: vec![],
                constraints: BTreeMap::new(),
                indexes: BTreeMap::new(),
                triggers: BTreeMap::new(),
                rules: BTreeMap::new(),
                policies: BTreeMap::new(),
                rls_enabled: true,
                rls_forced: false,
                options: vec![],
                comment: None,
                grants: vec![],
            },
        );
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(
            json["tables"][0]["name"],
            serde_json::json!({"schema": "app", "name": "t"})
        );
        assert_eq!(json["enums"][0]["values"], serde_json::json!(["a"]));
        let back: Catalog = serde_json::from_value(json).unwrap();
        assert_eq!(back, c);
    }
}
