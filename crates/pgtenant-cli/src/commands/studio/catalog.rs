//! What the pages show about a database's schema, read from `pg_catalog` on
//! the admin connection (metadata, never rows: rows are read through
//! [`super::state::Scope`]). Names are bound, never pasted.

use super::server::PageError;
use crate::manifest::Database;
use pgtenant_schema::ident::{quote_ident, quote_qualified};
use pgtenant_schema::QualName;
use sqlx::postgres::types::Oid;
use sqlx::PgPool;

/// A relation in the database's list.
#[derive(Debug, Clone)]
pub struct Relation {
    pub schema: String,
    pub name: String,
    /// `table`, `partitioned table`, `view`, `materialized view`, `foreign table`.
    pub kind: &'static str,
    /// The planner's estimate (`reltuples`, else the statistics' live rows).
    pub estimate: Option<i64>,
    pub rls: bool,
    pub forced: bool,
    pub policies: i64,
    pub tenant_scoped: bool,
}

/// A row-level security policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub schema: String,
    pub table: String,
    pub name: String,
    pub permissive: String,
    pub roles: Vec<String>,
    pub command: String,
    pub using: Option<String>,
    pub check: Option<String>,
}

impl Policy {
    /// The policy as a `CREATE POLICY` statement (for reading, never run).
    pub fn sql(&self) -> String {
        let roles = self
            .roles
            .iter()
            .map(|r| {
                if r == "public" {
                    "PUBLIC".to_owned()
                } else {
                    quote_ident(r)
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let mut sql = format!(
            "CREATE POLICY {} ON {}\n  AS {} FOR {} TO {roles}",
            quote_ident(&self.name),
            quote_qualified(&self.schema, &self.table),
            self.permissive,
            self.command,
        );
        if let Some(using) = &self.using {
            sql.push_str(&format!("\n  USING ({using})"));
        }
        if let Some(check) = &self.check {
            sql.push_str(&format!("\n  WITH CHECK ({check})"));
        }
        sql
    }
}

/// A role the page reports on.
#[derive(Debug, Clone)]
pub struct RoleRow {
    pub name: String,
    /// `service role`, `superadmin role` or `admin (this connection)`.
    pub part: &'static str,
    /// None: the role does not exist.
    pub attributes: Option<RoleAttributes>,
}

#[derive(Debug, Clone)]
pub struct RoleAttributes {
    pub login: bool,
    pub superuser: bool,
    pub bypass_rls: bool,
}

#[derive(Debug, Clone)]
pub struct Grant {
    pub grantee: String,
    pub schema: String,
    pub table: String,
    pub privileges: String,
}

#[derive(Debug, Clone)]
pub struct Function {
    pub schema: String,
    pub name: String,
    pub arguments: String,
    pub result: String,
    pub security_definer: bool,
}

/// The database page's content.
#[derive(Debug, Clone)]
pub struct DatabaseCatalog {
    pub schemas: Vec<String>,
    pub relations: Vec<Relation>,
    pub policies: Vec<Policy>,
    pub roles: Vec<RoleRow>,
    pub grants: Vec<Grant>,
    pub functions: Vec<Function>,
}

/// A column, with what a cast of a bound text value to its type needs.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// `format_type`: what the page shows.
    pub type_text: String,
    /// The type quoted for `CAST($n AS …)` (array types as `elem[]`).
    pub cast_type: String,
    pub not_null: bool,
    pub default: Option<String>,
    /// `identity always`, `identity by default`, `generated`, or empty.
    pub generated: &'static str,
    /// Numbers are right-aligned.
    pub numeric: bool,
}

#[derive(Debug, Clone)]
pub struct Index {
    pub name: String,
    pub definition: String,
    pub primary: bool,
    pub unique: bool,
    /// The first key column of a plain (non-partial, non-expression) btree.
    pub sort_column: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub target: QualName,
    pub target_columns: Vec<String>,
    pub definition: String,
}

/// The table page's content.
#[derive(Debug, Clone)]
pub struct Table {
    pub schema: String,
    pub name: String,
    pub kind: &'static str,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
    /// Foreign keys of other tables that point here.
    pub referenced_by: Vec<ForeignKey>,
    pub policies: Vec<Policy>,
    pub rls: bool,
    pub forced: bool,
    pub tenant_scoped: bool,
    pub estimate: Option<i64>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Columns the data view can sort by with keyset paging: NOT NULL and
    /// leading a plain btree index (so a page is an index range scan).
    pub fn sortable(&self) -> Vec<&Column> {
        let mut out: Vec<&Column> = Vec::new();
        for index in &self.indexes {
            let Some(name) = &index.sort_column else {
                continue;
            };
            if let Some(col) = self.column(name) {
                if col.not_null && !out.iter().any(|c| c.name == col.name) {
                    out.push(col);
                }
            }
        }
        out
    }
}

fn kind_name(relkind: &str) -> &'static str {
    match relkind {
        "r" => "table",
        "p" => "partitioned table",
        "v" => "view",
        "m" => "materialized view",
        "f" => "foreign table",
        _ => "relation",
    }
}

fn internal(e: sqlx::Error) -> PageError {
    PageError::from_sqlx(e)
}

/// Whether tables named so are global (not tenant-scoped) in `db`.
struct Scoping {
    column: Option<String>,
    global: Vec<QualName>,
}

impl Scoping {
    fn of(db: &Database) -> Scoping {
        match &db.tenancy {
            None => Scoping {
                column: None,
                global: Vec::new(),
            },
            Some(t) => Scoping {
                column: Some(t.column.clone()),
                global: crate::tenancy::for_database(db, t)
                    .map(|r| r.global_tables)
                    .unwrap_or_default(),
            },
        }
    }

    fn scoped(&self, schema: &str, name: &str, relkind: &str, has_column: bool) -> bool {
        self.column.is_some()
            && has_column
            && matches!(relkind, "r" | "p")
            && !self
                .global
                .iter()
                .any(|g| g.schema == schema && g.name == name)
    }
}

const RELATIONS: &str = "
SELECT n.nspname::text, c.relname::text, c.relkind::text,
       CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint ELSE s.n_live_tup END,
       c.relrowsecurity, c.relforcerowsecurity,
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid),
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $1
               AND a.attnum > 0 AND NOT a.attisdropped)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ($2::text IS NULL OR n.nspname = $2)
  AND ($3::text IS NULL OR c.relname = $3)
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY 1, 2";

type RelationRow = (String, String, String, Option<i64>, bool, bool, i64, bool);

pub async fn relations(
    pool: &PgPool,
    db: &Database,
    only: Option<(&str, &str)>,
) -> Result<Vec<Relation>, PageError> {
    let scoping = Scoping::of(db);
    let rows: Vec<RelationRow> = sqlx::query_as(RELATIONS)
        .bind(scoping.column.as_deref().unwrap_or(""))
        .bind(only.map(|o| o.0))
        .bind(only.map(|o| o.1))
        .fetch_all(pool)
        .await
        .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(
            |(schema, name, kind, estimate, rls, forced, policies, has_column)| Relation {
                tenant_scoped: scoping.scoped(&schema, &name, &kind, has_column),
                kind: kind_name(&kind),
                schema,
                name,
                estimate,
                rls,
                forced,
                policies,
            },
        )
        .collect())
}

type PolicyRow = (
    String,
    String,
    String,
    String,
    Vec<String>,
    String,
    Option<String>,
    Option<String>,
);

async fn policies(pool: &PgPool, only: Option<(&str, &str)>) -> Result<Vec<Policy>, PageError> {
    let rows: Vec<PolicyRow> = sqlx::query_as(
        "SELECT schemaname::text, tablename::text, policyname::text, permissive, roles::text[],
                cmd, qual, with_check
         FROM pg_policies WHERE ($1::text IS NULL OR (schemaname = $1 AND tablename = $2))
         ORDER BY 1, 2, 3",
    )
    .bind(only.map(|o| o.0))
    .bind(only.map(|o| o.1))
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(
            |(schema, table, name, permissive, roles, command, using, check)| Policy {
                schema,
                table,
                name,
                permissive,
                roles,
                command,
                using,
                check,
            },
        )
        .collect())
}

/// The database page: schemas, relations, policies, roles, grants, functions.
pub async fn database(pool: &PgPool, db: &Database) -> Result<DatabaseCatalog, PageError> {
    let schemas: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace
         WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%'
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    let relations = relations(pool, db, None).await?;
    let policies = policies(pool, None).await?;
    let (roles, grants) = roles_and_grants(pool, db).await?;
    let functions: Vec<(String, String, String, String, bool)> = sqlx::query_as(
        "SELECT n.nspname::text, p.proname::text, pg_get_function_identity_arguments(p.oid),
                coalesce(pg_get_function_result(p.oid), ''), p.prosecdef
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                           AND d.objid = p.oid AND d.deptype = 'e')
         ORDER BY 1, 2, 3",
    )
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    Ok(DatabaseCatalog {
        schemas,
        relations,
        policies,
        roles,
        grants,
        functions: functions
            .into_iter()
            .map(
                |(schema, name, arguments, result, security_definer)| Function {
                    schema,
                    name,
                    arguments,
                    result,
                    security_definer,
                },
            )
            .collect(),
    })
}

async fn roles_and_grants(
    pool: &PgPool,
    db: &Database,
) -> Result<(Vec<RoleRow>, Vec<Grant>), PageError> {
    let admin: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(pool)
        .await
        .map_err(internal)?;
    let mut wanted = vec![(db.service_role.name.clone(), "service role")];
    if let Some(sa) = &db.superadmin_role {
        wanted.push((sa.name.clone(), "superadmin role"));
    }
    wanted.push((admin, "admin (this connection)"));
    let names: Vec<String> = wanted.iter().map(|w| w.0.clone()).collect();
    let found: Vec<(String, bool, bool, bool)> = sqlx::query_as(
        "SELECT rolname::text, rolcanlogin, rolsuper, rolbypassrls FROM pg_roles
         WHERE rolname = ANY($1)",
    )
    .bind(&names)
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    let roles = wanted
        .into_iter()
        .map(|(name, part)| RoleRow {
            attributes: found.iter().find(|f| f.0 == name).map(|f| RoleAttributes {
                login: f.1,
                superuser: f.2,
                bypass_rls: f.3,
            }),
            name,
            part,
        })
        .collect();
    let mut grantees = names;
    grantees.push("PUBLIC".to_owned());
    let grants: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT grantee::text, table_schema::text, table_name::text,
                string_agg(privilege_type, ', ' ORDER BY privilege_type)
         FROM information_schema.role_table_grants
         WHERE grantee = ANY($1) AND table_schema NOT IN ('pg_catalog', 'information_schema')
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )
    .bind(&grantees)
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    let grants = grants
        .into_iter()
        .map(|(grantee, schema, table, privileges)| Grant {
            grantee,
            schema,
            table,
            privileges,
        })
        .collect();
    Ok((roles, grants))
}

const COLUMNS: &str = "
SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text,
       (CASE WHEN t.typcategory = 'A' AND t.typelem <> 0 THEN en.nspname ELSE tn.nspname END)::text,
       (CASE WHEN t.typcategory = 'A' AND t.typelem <> 0 THEN et.typname ELSE t.typname END)::text,
       t.typcategory = 'A' AND t.typelem <> 0,
       t.typcategory = 'N'
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_namespace tn ON tn.oid = t.typnamespace
LEFT JOIN pg_type et ON et.oid = t.typelem
LEFT JOIN pg_namespace en ON en.oid = et.typnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum";

type ColumnRow = (
    String,
    String,
    bool,
    Option<String>,
    String,
    String,
    String,
    String,
    bool,
    bool,
);

/// The names of the key columns of a constraint, in key order.
fn key_names(keys: &str, rel: &str) -> String {
    format!(
        "ARRAY(SELECT a.attname::text FROM unnest(con.{keys}) WITH ORDINALITY k(n, o)
               JOIN pg_attribute a ON a.attrelid = con.{rel} AND a.attnum = k.n ORDER BY k.o)"
    )
}

/// The table page (and the data view's columns and keys); 404 when absent.
pub async fn table(
    pool: &PgPool,
    db: &Database,
    schema: &str,
    name: &str,
) -> Result<Table, PageError> {
    let oid: Option<Oid> = sqlx::query_scalar(
        "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
    )
    .bind(schema)
    .bind(name)
    .fetch_optional(pool)
    .await
    .map_err(internal)?;
    let Some(oid) = oid else {
        return Err(PageError::NotFound(format!(
            "database {} has no table or view {schema}.{name}",
            db.name
        )));
    };
    // The parts are independent: read them at once, each on its own
    // pooled connection.
    let primary_key_sql = format!(
        "SELECT {} FROM pg_constraint con WHERE con.conrelid = $1 AND con.contype = 'p'",
        key_names("conkey", "conrelid")
    );
    let (relation, columns, primary_key, indexes, foreign_keys, referenced_by, policies) = tokio::try_join!(
        relations(pool, db, Some((schema, name))),
        async {
            sqlx::query_as::<_, ColumnRow>(COLUMNS)
                .bind(oid)
                .fetch_all(pool)
                .await
                .map_err(internal)
        },
        async {
            sqlx::query_scalar::<_, Vec<String>>(&primary_key_sql)
                .bind(oid)
                .fetch_optional(pool)
                .await
                .map_err(internal)
        },
        indexes(pool, oid),
        foreign_keys(pool, oid, Direction::Outgoing),
        foreign_keys(pool, oid, Direction::Incoming),
        policies(pool, Some((schema, name))),
    )?;
    let relation = relation
        .into_iter()
        .next()
        .ok_or_else(|| PageError::NotFound(format!("{schema}.{name} is gone")))?;
    let columns = columns
        .into_iter()
        .map(
            |(
                name,
                type_text,
                not_null,
                default,
                identity,
                generated,
                tns,
                tname,
                array,
                numeric,
            )| {
                Column {
                    name,
                    type_text,
                    cast_type: format!(
                        "{}{}",
                        quote_qualified(&tns, &tname),
                        if array { "[]" } else { "" }
                    ),
                    not_null,
                    default,
                    generated: match (identity.as_str(), generated.as_str()) {
                        ("a", _) => "identity always",
                        ("d", _) => "identity by default",
                        (_, "s") => "generated",
                        _ => "",
                    },
                    numeric: numeric && !array,
                }
            },
        )
        .collect();
    Ok(Table {
        schema: schema.to_owned(),
        name: name.to_owned(),
        kind: relation.kind,
        columns,
        primary_key: primary_key.unwrap_or_default(),
        indexes,
        foreign_keys,
        referenced_by,
        policies,
        rls: relation.rls,
        forced: relation.forced,
        tenant_scoped: relation.tenant_scoped,
        estimate: relation.estimate,
    })
}

async fn indexes(pool: &PgPool, oid: Oid) -> Result<Vec<Index>, PageError> {
    let rows: Vec<(String, String, bool, bool, Option<String>)> = sqlx::query_as(
        "SELECT i.relname::text, pg_get_indexdef(x.indexrelid), x.indisprimary, x.indisunique,
                CASE WHEN am.amname = 'btree' AND x.indpred IS NULL THEN
                  (SELECT a.attname::text FROM pg_attribute a
                   WHERE a.attrelid = x.indrelid AND a.attnum = x.indkey[0]) END
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam
         WHERE x.indrelid = $1 ORDER BY x.indisprimary DESC, 1",
    )
    .bind(oid)
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|(name, definition, primary, unique, sort_column)| Index {
            name,
            definition,
            primary,
            unique,
            sort_column,
        })
        .collect())
}

type ForeignKeyRow = (String, Vec<String>, String, String, Vec<String>, String);

#[derive(Clone, Copy)]
enum Direction {
    Outgoing,
    Incoming,
}

async fn foreign_keys(
    pool: &PgPool,
    oid: Oid,
    direction: Direction,
) -> Result<Vec<ForeignKey>, PageError> {
    // Outgoing: this table's columns, the target's. Incoming: the
    // referencing table's columns, this table's.
    let (filter, other) = match direction {
        Direction::Outgoing => ("con.conrelid", "con.confrelid"),
        Direction::Incoming => ("con.confrelid", "con.conrelid"),
    };
    let sql = format!(
        "SELECT con.conname::text, {}, rn.nspname::text, rc.relname::text, {},
                pg_get_constraintdef(con.oid)
         FROM pg_constraint con JOIN pg_class rc ON rc.oid = {other}
         JOIN pg_namespace rn ON rn.oid = rc.relnamespace
         WHERE {filter} = $1 AND con.contype = 'f' ORDER BY 1",
        key_names("conkey", "conrelid"),
        key_names("confkey", "confrelid"),
    );
    let rows: Vec<ForeignKeyRow> = sqlx::query_as(&sql)
        .bind(oid)
        .fetch_all(pool)
        .await
        .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(
            |(name, columns, schema, table, target_columns, definition)| ForeignKey {
                name,
                columns,
                target: QualName::new(schema, table),
                target_columns,
                definition,
            },
        )
        .collect())
}

/// Tenants for the picker: the root table's key and a label column when it
/// has one (`name`, `slug`, `title`), read as the admin (the picker lists
/// who can be chosen; what a tenant sees is read as that tenant).
pub async fn tenants(pool: &PgPool, db: &Database) -> Result<Vec<(String, String)>, PageError> {
    let Some(tenancy) = &db.tenancy else {
        return Ok(Vec::new());
    };
    let root = pgtenant::TableName::parse(&tenancy.root_table);
    let Ok(root_table) = table(pool, db, &root.schema, &root.name).await else {
        return Ok(Vec::new());
    };
    let [key] = root_table.primary_key.as_slice() else {
        return Ok(Vec::new());
    };
    let label = ["name", "slug", "title", "display_name"]
        .into_iter()
        .find(|l| root_table.column(l).is_some())
        .map_or_else(|| "''".to_owned(), |l| format!("{}::text", quote_ident(l)));
    let sql = format!(
        "SELECT {key}::text, coalesce({label}, '') FROM {table} ORDER BY 2, 1 LIMIT 500",
        key = quote_ident(key),
        table = quote_qualified(&root.schema, &root.name),
    );
    sqlx::query_as(&sql).fetch_all(pool).await.map_err(internal)
}
