//! Introspection: a live database → [`Catalog`].
//!
//! The catalog queries live in `queries.sql`, one per object kind for the
//! whole database, each under a `-- name: <kind>` header. [`introspect`]
//! wraps each as `SELECT json_agg(q) FROM (<query>) q` and sends all of them
//! in one round trip, inside one `REPEATABLE READ, READ ONLY` transaction (a
//! single snapshot) with an empty `search_path` and fixed date/time
//! settings, so PostgreSQL's renderers qualify every user object and print
//! the same text whichever session reads it. The JSON rows are then
//! assembled into the [`Catalog`] and every list without an inherent order
//! is sorted.

use crate::model::*;
use serde::Deserialize;
use sqlx::{Connection, PgConnection, Row};
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

/// `server_version_num` of the oldest supported server (14: `typsubscript`;
/// 13: `tgparentid`).
const MIN_SERVER_VERSION: i32 = 140_000;

/// The catalog queries, as written in `queries.sql`.
const QUERIES_SQL: &str = include_str!("queries.sql");

/// Why a database could not be introspected.
#[derive(Debug, thiserror::Error)]
pub enum IntrospectError {
    /// The connection is inside a transaction: introspection needs its own
    /// snapshot.
    #[error("introspection needs a connection outside any transaction; commit or roll back first")]
    InTransaction,
    /// The catalog queries use columns added in PostgreSQL 14.
    #[error("PostgreSQL {version} is too old: introspection needs PostgreSQL 14 or later")]
    UnsupportedServer { version: String },
    /// Starting or ending the read-only transaction failed.
    #[error("could not run the catalog queries; check the connection and that the role can read pg_catalog")]
    Query(#[source] sqlx::Error),
    /// A catalog query returned something introspection cannot read.
    #[error("catalog query `{query}` returned rows introspection cannot read (a bug in pgtenant; please report it with the server version)")]
    Decode {
        query: String,
        #[source]
        source: serde_json::Error,
    },
}

/// The named queries of `queries.sql`, in file order: `(name, sql)`.
///
/// Each query is a plain `SELECT` that runs as is in psql.
pub fn catalog_queries() -> &'static [(&'static str, &'static str)] {
    static QUERIES: LazyLock<Vec<(&'static str, &'static str)>> =
        LazyLock::new(|| split_named_queries(QUERIES_SQL));
    &QUERIES
}

/// Split a text into `-- name: x` sections. Text before the first header
/// (the file's comment) is ignored; each section runs to the next header.
fn split_named_queries(text: &'static str) -> Vec<(&'static str, &'static str)> {
    const HEADER: &str = "-- name: ";
    let mut out = Vec::new();
    let mut current: Option<(&'static str, usize)> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix(HEADER) {
            if let Some((name, start)) = current.take() {
                out.push((name, text[start..offset].trim()));
            }
            current = Some((rest.trim(), offset + line.len()));
        }
        offset += line.len();
    }
    if let Some((name, start)) = current {
        out.push((name, text[start..].trim()));
    }
    out
}

/// All queries as one simple-protocol batch: the session settings, then one
/// `SELECT name, json` per query.
static BATCH: LazyLock<String> = LazyLock::new(|| {
    let mut sql = String::from(
        "SET LOCAL search_path = '';\n\
         SET LOCAL TimeZone = 'UTC';\n\
         SET LOCAL DateStyle = 'ISO, MDY';\n\
         SET LOCAL IntervalStyle = 'postgres';\n\
         SET LOCAL extra_float_digits = 1;\n",
    );
    for (name, query) in catalog_queries() {
        // The names come from our own file: plain words, safe as literals.
        sql.push_str(&format!(
            "SELECT {} AS query, coalesce(json_agg(q), '[]')::text AS rows FROM (\n{query}\n) q;\n",
            crate::ident::quote_literal(name)
        ));
    }
    sql
});

/// Read the whole schema of the database `conn` is connected to.
///
/// The connection must not be inside a transaction: introspection opens its
/// own `REPEATABLE READ, READ ONLY` transaction and ends it. Needs
/// PostgreSQL 14 or later.
pub async fn introspect(conn: &mut PgConnection) -> Result<Catalog, IntrospectError> {
    if conn.is_in_transaction() {
        return Err(IntrospectError::InTransaction);
    }
    let mut tx = conn
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await
        .map_err(IntrospectError::Query)?;
    let (version_num, version): (i32, String) = sqlx::query_as(
        "SELECT current_setting('server_version_num')::int, current_setting('server_version')",
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(IntrospectError::Query)?;
    if version_num < MIN_SERVER_VERSION {
        return Err(IntrospectError::UnsupportedServer { version });
    }
    let rows = sqlx::raw_sql(BATCH.as_str())
        .fetch_all(&mut *tx)
        .await
        .map_err(IntrospectError::Query)?;
    tx.commit().await.map_err(IntrospectError::Query)?;

    let mut results: HashMap<String, String> = HashMap::with_capacity(rows.len());
    for row in rows {
        let name: String = row.try_get(0).map_err(IntrospectError::Query)?;
        let json: String = row.try_get(1).map_err(IntrospectError::Query)?;
        results.insert(name, json);
    }
    assemble(&results)
}

fn parse<T: for<'de> Deserialize<'de>>(
    results: &HashMap<String, String>,
    query: &str,
) -> Result<Vec<T>, IntrospectError> {
    let text = results.get(query).map(String::as_str).unwrap_or("[]");
    serde_json::from_str(text).map_err(|source| IntrospectError::Decode {
        query: query.to_owned(),
        source,
    })
}

// ---------------------------------------------------------------------------
// Rows, exactly as the queries return them.

#[derive(Deserialize)]
struct SchemaRow {
    name: String,
    owner: String,
    comment: Option<String>,
    #[serde(deserialize_with = "null_as_empty")]
    grants: Vec<Grant>,
}

#[derive(Deserialize)]
struct ExtensionRow {
    name: String,
    schema: String,
    version: String,
}

#[derive(Deserialize)]
struct EnumRow {
    schema: String,
    name: String,
    values: Vec<String>,
    comment: Option<String>,
}

#[derive(Deserialize)]
struct DomainRow {
    schema: String,
    name: String,
    base_type: String,
    collation: Option<String>,
    default: Option<String>,
    not_null: bool,
    checks: Vec<(String, String)>,
    comment: Option<String>,
}

#[derive(Deserialize)]
struct CompositeRow {
    schema: String,
    name: String,
    attributes: Vec<(String, String)>,
    comment: Option<String>,
}

#[derive(Deserialize)]
struct SequenceRow {
    schema: String,
    name: String,
    owner: String,
    data_type: String,
    start: i64,
    increment: i64,
    min_value: i64,
    max_value: i64,
    cache: i64,
    cycle: bool,
    owned_by_schema: Option<String>,
    owned_by_table: Option<String>,
    owned_by_column: Option<String>,
    comment: Option<String>,
    #[serde(deserialize_with = "null_as_empty")]
    grants: Vec<Grant>,
}

#[derive(Deserialize)]
struct TableRow {
    schema: String,
    name: String,
    owner: String,
    partitioned: bool,
    partition_key: Option<String>,
    parent_schema: Option<String>,
    parent_name: Option<String>,
    partition_bound: Option<String>,
    unlogged: bool,
    rls_enabled: bool,
    rls_forced: bool,
    options: Vec<String>,
    comment: Option<String>,
    #[serde(deserialize_with = "null_as_empty")]
    grants: Vec<Grant>,
}

#[derive(Deserialize)]
struct ColumnRow {
    schema: String,
    table: String,
    position: i32,
    name: String,
    data_type: String,
    collation: Option<String>,
    not_null: bool,
    default: Option<String>,
    generated: Option<String>,
    identity: Option<IdentityRow>,
    comment: Option<String>,
    #[serde(deserialize_with = "null_as_empty")]
    grants: Vec<Grant>,
}

#[derive(Deserialize)]
struct IdentityRow {
    /// `a` always, `d` by default.
    kind: String,
    start: i64,
    increment: i64,
    min_value: i64,
    max_value: i64,
    cache: i64,
    cycle: bool,
}

#[derive(Deserialize)]
struct ConstraintRow {
    schema: String,
    table: String,
    name: String,
    kind: String,
    definition: String,
    columns: Vec<i32>,
    ref_schema: Option<String>,
    ref_table: Option<String>,
    ref_columns: Option<Vec<i32>>,
    deferrable: bool,
    initially_deferred: bool,
    validated: bool,
    inherited: bool,
    comment: Option<String>,
}

#[derive(Deserialize)]
struct IndexRow {
    schema: String,
    table: String,
    name: String,
    definition: String,
    unique: bool,
    columns: Vec<i32>,
    method: String,
    predicate: Option<String>,
    inherited: bool,
    comment: Option<String>,
}

#[derive(Deserialize)]
struct ViewRow {
    schema: String,
    name: String,
    owner: String,
    materialized: bool,
    definition: String,
    options: Vec<String>,
    depends_on: Vec<(String, String)>,
    comment: Option<String>,
    #[serde(deserialize_with = "null_as_empty")]
    grants: Vec<Grant>,
}

#[derive(Deserialize)]
struct DependencyRow {
    /// t table, v view, s sequence, c column, y type, f function,
    /// x extension.
    k: String,
    s: Option<String>,
    n: String,
    c: Option<String>,
    a: Option<String>,
}

#[derive(Deserialize)]
struct FunctionRow {
    schema: String,
    name: String,
    args: String,
    owner: String,
    kind: String,
    definition: String,
    returns: String,
    language: String,
    security_definer: bool,
    config: Vec<String>,
    depends_on: Vec<DependencyRow>,
    comment: Option<String>,
    #[serde(deserialize_with = "null_as_empty")]
    grants: Vec<Grant>,
}

#[derive(Deserialize)]
struct TriggerRow {
    schema: String,
    table: String,
    on_view: bool,
    name: String,
    definition: String,
    function_schema: String,
    function_name: String,
    function_args: String,
    enabled: String,
    inherited: bool,
    comment: Option<String>,
}

#[derive(Deserialize)]
struct PolicyRow {
    schema: String,
    table: String,
    name: String,
    command: String,
    permissive: bool,
    roles: Vec<String>,
    using: Option<String>,
    with_check: Option<String>,
    comment: Option<String>,
}

#[derive(Deserialize)]
struct RuleRow {
    schema: String,
    table: String,
    on_view: bool,
    name: String,
    definition: String,
    enabled: String,
    depends_on: Vec<DependencyRow>,
    comment: Option<String>,
}

/// A JSON `null` (an ACL that was never set) as an empty list.
fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Grant>, D::Error> {
    Ok(Option::<Vec<Grant>>::deserialize(d)?.unwrap_or_default())
}

// ---------------------------------------------------------------------------
// Assembly.

/// Sorted and without duplicates, so that catalogs compare equal whatever
/// order the database returned them in.
fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v.dedup();
    v
}

fn assemble(results: &HashMap<String, String>) -> Result<Catalog, IntrospectError> {
    let mut cat = Catalog::default();
    assemble_types(&mut cat, results)?;
    assemble_relations(&mut cat, results)?;
    assemble_table_parts(&mut cat, results)?;
    assemble_routines_and_policies(&mut cat, results)?;
    Ok(cat)
}

/// Schemas, extensions, enums, domains, composite types, sequences.
fn assemble_types(
    cat: &mut Catalog,
    results: &HashMap<String, String>,
) -> Result<(), IntrospectError> {
    for r in parse::<SchemaRow>(results, "schemas")? {
        cat.schemas.insert(
            r.name.clone(),
            Schema {
                name: r.name,
                owner: r.owner,
                comment: r.comment,
                grants: sorted(r.grants),
            },
        );
    }
    for r in parse::<ExtensionRow>(results, "extensions")? {
        cat.extensions.insert(
            r.name.clone(),
            Extension {
                name: r.name,
                schema: r.schema,
                version: r.version,
            },
        );
    }
    for r in parse::<EnumRow>(results, "enums")? {
        let name = QualName::new(r.schema, r.name);
        cat.enums.insert(
            name.clone(),
            EnumType {
                name,
                values: r.values,
                comment: r.comment,
            },
        );
    }
    for r in parse::<DomainRow>(results, "domains")? {
        let name = QualName::new(r.schema, r.name);
        cat.domains.insert(
            name.clone(),
            Domain {
                name,
                base_type: r.base_type,
                collation: r.collation,
                default: r.default,
                not_null: r.not_null,
                checks: r.checks.into_iter().collect(),
                comment: r.comment,
            },
        );
    }
    for r in parse::<CompositeRow>(results, "composite_types")? {
        let name = QualName::new(r.schema, r.name);
        cat.composite_types.insert(
            name.clone(),
            CompositeType {
                name,
                attributes: r.attributes,
                comment: r.comment,
            },
        );
    }
    for r in parse::<SequenceRow>(results, "sequences")? {
        let name = QualName::new(r.schema, r.name);
        let owned_by = match (r.owned_by_schema, r.owned_by_table, r.owned_by_column) {
            (Some(s), Some(t), Some(c)) => Some((QualName::new(s, t), c)),
            _ => None,
        };
        cat.sequences.insert(
            name.clone(),
            Sequence {
                name,
                owner: r.owner,
                data_type: r.data_type,
                start: r.start,
                increment: r.increment,
                min_value: r.min_value,
                max_value: r.max_value,
                cache: r.cache,
                cycle: r.cycle,
                owned_by,
                comment: r.comment,
                grants: sorted(r.grants),
            },
        );
    }
    Ok(())
}

/// Tables and views (without their columns and children).
fn assemble_relations(
    cat: &mut Catalog,
    results: &HashMap<String, String>,
) -> Result<(), IntrospectError> {
    for r in parse::<TableRow>(results, "tables")? {
        let name = QualName::new(r.schema, r.name);
        let partition_of = match (r.parent_schema, r.parent_name, r.partition_bound) {
            (Some(s), Some(n), Some(bound)) => Some(PartitionOf {
                parent: QualName::new(s, n),
                bound,
            }),
            _ => None,
        };
        cat.tables.insert(
            name.clone(),
            Table {
                name,
                owner: r.owner,
                kind: if r.partitioned {
                    TableKind::Partitioned
                } else {
                    TableKind::Ordinary
                },
                partition_key: r.partition_key,
                partition_of,
                unlogged: r.unlogged,
                columns: Vec::new(),
                constraints: BTreeMap::new(),
                indexes: BTreeMap::new(),
                triggers: BTreeMap::new(),
                rules: BTreeMap::new(),
                policies: BTreeMap::new(),
                rls_enabled: r.rls_enabled,
                rls_forced: r.rls_forced,
                options: sorted(r.options),
                comment: r.comment,
                grants: sorted(r.grants),
            },
        );
    }
    for r in parse::<ViewRow>(results, "views")? {
        let name = QualName::new(r.schema, r.name);
        let mut depends_on: Vec<QualName> = r
            .depends_on
            .into_iter()
            .map(|(s, n)| QualName::new(s, n))
            .collect();
        depends_on.sort();
        depends_on.dedup();
        cat.views.insert(
            name.clone(),
            View {
                name,
                owner: r.owner,
                materialized: r.materialized,
                definition: r.definition,
                options: sorted(r.options),
                columns: Vec::new(),
                depends_on,
                indexes: BTreeMap::new(),
                triggers: BTreeMap::new(),
                rules: BTreeMap::new(),
                comment: r.comment,
                grants: sorted(r.grants),
            },
        );
    }

    Ok(())
}

/// Columns, constraints and indexes of tables and views.
fn assemble_table_parts(
    cat: &mut Catalog,
    results: &HashMap<String, String>,
) -> Result<(), IntrospectError> {
    let mut columns = parse::<ColumnRow>(results, "columns")?;
    columns
        .sort_by(|a, b| (&a.schema, &a.table, a.position).cmp(&(&b.schema, &b.table, b.position)));
    // Attribute number → name per relation, to name constraint and index
    // columns.
    let mut attnames: HashMap<QualName, HashMap<i32, String>> = HashMap::new();
    for r in columns {
        let rel = QualName::new(r.schema, r.table);
        attnames
            .entry(rel.clone())
            .or_default()
            .insert(r.position, r.name.clone());
        if let Some(table) = cat.tables.get_mut(&rel) {
            let identity = r.identity.map(|i| Identity {
                kind: if i.kind == "a" {
                    IdentityKind::Always
                } else {
                    IdentityKind::ByDefault
                },
                start: i.start,
                increment: i.increment,
                min_value: i.min_value,
                max_value: i.max_value,
                cache: i.cache,
                cycle: i.cycle,
            });
            table.columns.push(Column {
                name: r.name,
                data_type: r.data_type,
                collation: r.collation,
                not_null: r.not_null,
                default: r.default,
                identity,
                generated: r.generated,
                comment: r.comment,
                grants: sorted(r.grants),
            });
        } else if let Some(view) = cat.views.get_mut(&rel) {
            view.columns.push((r.name, r.data_type));
        }
    }

    let names_of = |rel: &QualName, nums: &[i32]| -> Vec<String> {
        let names = attnames.get(rel);
        nums.iter()
            .filter_map(|n| names.and_then(|m| m.get(n)).cloned())
            .collect()
    };
    for r in parse::<ConstraintRow>(results, "constraints")? {
        let rel = QualName::new(r.schema, r.table);
        let columns = names_of(&rel, &r.columns);
        let Some(table) = cat.tables.get_mut(&rel) else {
            continue;
        };
        let kind = match r.kind.as_str() {
            "p" => ConstraintKind::PrimaryKey,
            "u" => ConstraintKind::Unique,
            "c" => ConstraintKind::Check,
            "x" => ConstraintKind::Exclusion,
            "f" => ConstraintKind::ForeignKey,
            _ => continue,
        };
        let references = match (r.ref_schema, r.ref_table) {
            (Some(s), Some(t)) => {
                let target = QualName::new(s, t);
                let columns = names_of(&target, &r.ref_columns.unwrap_or_default());
                Some(ForeignKeyTarget {
                    table: target,
                    columns,
                })
            }
            _ => None,
        };
        table.constraints.insert(
            r.name.clone(),
            Constraint {
                name: r.name,
                kind,
                definition: r.definition,
                columns,
                references,
                deferrable: r.deferrable,
                initially_deferred: r.initially_deferred,
                validated: r.validated,
                inherited: r.inherited,
                comment: r.comment,
            },
        );
    }

    for r in parse::<IndexRow>(results, "indexes")? {
        let rel = QualName::new(r.schema, r.table);
        let names = attnames.get(&rel);
        // 0 is an expression key.
        let columns = r
            .columns
            .iter()
            .map(|n| names.and_then(|m| m.get(n)).cloned())
            .collect();
        let index = Index {
            name: r.name.clone(),
            definition: r.definition,
            unique: r.unique,
            columns,
            method: r.method,
            predicate: r.predicate,
            inherited: r.inherited,
            comment: r.comment,
        };
        if let Some(table) = cat.tables.get_mut(&rel) {
            table.indexes.insert(r.name, index);
        } else if let Some(view) = cat.views.get_mut(&rel) {
            view.indexes.insert(r.name, index);
        }
    }

    Ok(())
}

/// Functions, triggers, rules and policies.
fn assemble_routines_and_policies(
    cat: &mut Catalog,
    results: &HashMap<String, String>,
) -> Result<(), IntrospectError> {
    for r in parse::<FunctionRow>(results, "functions")? {
        let id = FunctionId {
            schema: r.schema,
            name: r.name,
            args: r.args,
        };
        let kind = match r.kind.as_str() {
            "p" => FunctionKind::Procedure,
            "a" => FunctionKind::Aggregate,
            "w" => FunctionKind::Window,
            _ => FunctionKind::Function,
        };
        let mut depends_on: Vec<ObjectRef> = r
            .depends_on
            .into_iter()
            .filter_map(dependency)
            .filter(|d| !is_self(d, &id))
            .collect();
        depends_on.sort();
        depends_on.dedup();
        cat.functions.insert(
            id.clone(),
            Function {
                id,
                owner: r.owner,
                kind,
                definition: r.definition,
                returns: r.returns,
                language: r.language,
                security_definer: r.security_definer,
                config: sorted(r.config),
                depends_on,
                comment: r.comment,
                grants: sorted(r.grants),
            },
        );
    }

    for r in parse::<TriggerRow>(results, "triggers")? {
        let rel = QualName::new(r.schema, r.table);
        let trigger = Trigger {
            name: r.name.clone(),
            definition: r.definition,
            function: FunctionId {
                schema: r.function_schema,
                name: r.function_name,
                args: r.function_args,
            },
            enabled: r.enabled,
            inherited: r.inherited,
            comment: r.comment,
        };
        if r.on_view {
            if let Some(view) = cat.views.get_mut(&rel) {
                view.triggers.insert(r.name, trigger);
            }
        } else if let Some(table) = cat.tables.get_mut(&rel) {
            table.triggers.insert(r.name, trigger);
        }
    }

    for r in parse::<RuleRow>(results, "rules")? {
        let rel = QualName::new(r.schema, r.table);
        let rule = Rule {
            name: r.name.clone(),
            definition: r.definition,
            enabled: r.enabled,
            depends_on: sorted(r.depends_on.into_iter().filter_map(dependency).collect()),
            comment: r.comment,
        };
        if r.on_view {
            if let Some(view) = cat.views.get_mut(&rel) {
                view.rules.insert(r.name, rule);
            }
        } else if let Some(table) = cat.tables.get_mut(&rel) {
            table.rules.insert(r.name, rule);
        }
    }

    for r in parse::<PolicyRow>(results, "policies")? {
        let Some(table) = cat.tables.get_mut(&QualName::new(r.schema, r.table)) else {
            continue;
        };
        let command = match r.command.as_str() {
            "r" => PolicyCommand::Select,
            "a" => PolicyCommand::Insert,
            "w" => PolicyCommand::Update,
            "d" => PolicyCommand::Delete,
            _ => PolicyCommand::All,
        };
        table.policies.insert(
            r.name.clone(),
            Policy {
                name: r.name,
                command,
                permissive: r.permissive,
                roles: sorted(r.roles),
                using: r.using,
                with_check: r.with_check,
                comment: r.comment,
            },
        );
    }
    Ok(())
}

fn dependency(d: DependencyRow) -> Option<ObjectRef> {
    if d.k == "x" {
        return Some(ObjectRef::Extension { name: d.n });
    }
    let schema = d.s?;
    let name = QualName::new(schema, d.n);
    Some(match d.k.as_str() {
        "t" => ObjectRef::Table { name },
        "v" => ObjectRef::View { name },
        "s" => ObjectRef::Sequence { name },
        "c" => ObjectRef::Column {
            table: name,
            column: d.c?,
        },
        "y" => ObjectRef::Type { name },
        "f" => ObjectRef::Function {
            id: FunctionId {
                schema: name.schema,
                name: name.name,
                args: d.a.unwrap_or_default(),
            },
        },
        _ => return None,
    })
}

fn is_self(d: &ObjectRef, id: &FunctionId) -> bool {
    matches!(d, ObjectRef::Function { id: other } if other == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_file_has_one_named_query_per_kind() {
        let names: Vec<&str> = catalog_queries().iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "schemas",
                "extensions",
                "enums",
                "domains",
                "composite_types",
                "sequences",
                "tables",
                "columns",
                "constraints",
                "indexes",
                "views",
                "functions",
                "triggers",
                "policies",
                "rules"
            ]
        );
        for (name, sql) in catalog_queries() {
            assert!(
                sql.starts_with("SELECT") || sql.starts_with("--"),
                "{name}: {sql}"
            );
            assert!(
                !sql.contains(';'),
                "{name} must be one statement without `;`"
            );
        }
    }

    #[test]
    fn old_servers_are_named() {
        let e = IntrospectError::UnsupportedServer {
            version: "13.9".into(),
        };
        assert_eq!(
            e.to_string(),
            "PostgreSQL 13.9 is too old: introspection needs PostgreSQL 14 or later"
        );
    }

    #[test]
    fn split_named_queries_ignores_the_preamble_and_keeps_comments_inside() {
        let got = split_named_queries(
            "-- file doc\n\n-- name: a\nSELECT 1\n\n-- name: b\n-- why\nSELECT 2\n",
        );
        assert_eq!(got, vec![("a", "SELECT 1"), ("b", "-- why\nSELECT 2")]);
    }

    #[test]
    fn extension_dependencies_keep_only_the_extension_name() {
        let d = DependencyRow {
            k: "x".into(),
            s: None,
            n: "citext".into(),
            c: None,
            a: None,
        };
        assert_eq!(
            dependency(d),
            Some(ObjectRef::Extension {
                name: "citext".into()
            })
        );
        let d = DependencyRow {
            k: "c".into(),
            s: Some("app".into()),
            n: "t".into(),
            c: Some("x".into()),
            a: None,
        };
        assert_eq!(
            dependency(d),
            Some(ObjectRef::Column {
                table: QualName::new("app", "t"),
                column: "x".into()
            })
        );
    }
}
