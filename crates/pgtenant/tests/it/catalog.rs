//! A minimal reader of the facts `verify` and the lints use (tables,
//! columns, keys, indexes, policies, RLS flags, owners, grants, views,
//! functions), for tests while the full introspection lands elsewhere.

use pgtenant::schema::model::*;
use sqlx::{PgConnection, Row};
use std::collections::BTreeMap;

fn grants(acl: Vec<String>) -> Vec<Grant> {
    let mut out: Vec<Grant> = acl
        .into_iter()
        .filter_map(|g| {
            let (grantee, privilege) = g.split_once('|')?;
            Some(Grant {
                grantee: grantee.to_owned(),
                privilege: privilege.to_owned(),
                with_grant_option: false,
            })
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

const ACL: &str = "ARRAY(SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END \
    || '|' || a.privilege_type FROM aclexplode(COALESCE({acl}, acldefault({kind}, {owner}))) a WHERE a.grantee <> {owner})";

fn acl(acl: &str, kind: &str, owner: &str) -> String {
    ACL.replace("{acl}", acl)
        .replace("{kind}", kind)
        .replace("{owner}", owner)
}

pub async fn read(conn: &mut PgConnection) -> Catalog {
    let mut c = Catalog::default();
    let schemas = sqlx::query(
        "SELECT nspname::text, pg_get_userbyid(nspowner)::text FROM pg_namespace \
         WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('information_schema', 'pgtenant')",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for r in schemas {
        let name: String = r.get(0);
        c.schemas.insert(
            name.clone(),
            Schema {
                name,
                owner: r.get(1),
                comment: None,
                grants: vec![],
            },
        );
    }
    let rels = sqlx::query(&format!(
        "SELECT c.oid::int8, n.nspname::text, c.relname::text, c.relkind::text, pg_get_userbyid(c.relowner)::text, \
                c.relrowsecurity, c.relforcerowsecurity, COALESCE(c.reloptions, '{{}}')::text[], \
                {}, c.relispartition \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r','p','v','m') AND n.nspname NOT LIKE 'pg\\_%' \
           AND n.nspname NOT IN ('information_schema', 'pgtenant') \
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')",
        acl("c.relacl", "'r'", "c.relowner")
    ))
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for r in rels {
        let oid: i64 = r.get(0);
        let name = QualName::new(r.get::<String, _>(1), r.get::<String, _>(2));
        let kind: String = r.get(3);
        let owner: String = r.get(4);
        let options: Vec<String> = r.get(7);
        let g = grants(r.get(8));
        if kind == "v" || kind == "m" {
            let deps = sqlx::query(
                "SELECT DISTINCT n.nspname::text, c.relname::text FROM pg_rewrite w \
                 JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid \
                 JOIN pg_class c ON c.oid = d.refobjid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE w.ev_class = $1::oid AND d.refobjid <> $1::oid",
            )
            .bind(oid)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
            c.views.insert(
                name.clone(),
                View {
                    name,
                    owner,
                    materialized: kind == "m",
                    definition: String::new(),
                    options,
                    columns: vec![],
                    depends_on: deps
                        .iter()
                        .map(|d| QualName::new(d.get::<String, _>(0), d.get::<String, _>(1)))
                        .collect(),
                    indexes: BTreeMap::new(),
                    triggers: BTreeMap::new(),
                    comment: None,
                    grants: g,
                },
            );
            continue;
        }
        let cols = sqlx::query(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                    pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text \
             FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        )
        .bind(oid)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let columns = cols
            .iter()
            .map(|r| {
                let identity: String = r.get(4);
                let generated: String = r.get(5);
                let default: Option<String> = r.get(3);
                Column {
                    name: r.get(0),
                    data_type: r.get(1),
                    collation: None,
                    not_null: r.get(2),
                    default: if identity.is_empty() && generated.is_empty() {
                        default.clone()
                    } else {
                        None
                    },
                    identity: (!identity.is_empty()).then(|| Identity {
                        kind: if identity == "a" {
                            IdentityKind::Always
                        } else {
                            IdentityKind::ByDefault
                        },
                        start: 1,
                        increment: 1,
                        min_value: 1,
                        max_value: i64::MAX,
                        cache: 1,
                        cycle: false,
                    }),
                    generated: (!generated.is_empty()).then(|| default.unwrap_or_default()),
                    comment: None,
                    grants: vec![],
                }
            })
            .collect();
        let cons = sqlx::query(
            "SELECT k.conname::text, k.contype::text, pg_get_constraintdef(k.oid), \
                    ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, i) \
                          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i), \
                    fn.nspname::text, fc.relname::text, \
                    ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, i) \
                          JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i), \
                    k.conislocal \
             FROM pg_constraint k LEFT JOIN pg_class fc ON fc.oid = k.confrelid \
             LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace \
             WHERE k.conrelid = $1::oid AND k.contype IN ('p','u','f','c','x')",
        )
        .bind(oid)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let mut constraints = BTreeMap::new();
        for k in cons {
            let name: String = k.get(0);
            let kind = match k.get::<String, _>(1).as_str() {
                "p" => ConstraintKind::PrimaryKey,
                "u" => ConstraintKind::Unique,
                "f" => ConstraintKind::ForeignKey,
                "x" => ConstraintKind::Exclusion,
                _ => ConstraintKind::Check,
            };
            let references = (kind == ConstraintKind::ForeignKey).then(|| ForeignKeyTarget {
                table: QualName::new(k.get::<String, _>(4), k.get::<String, _>(5)),
                columns: k.get(6),
            });
            constraints.insert(
                name.clone(),
                Constraint {
                    name,
                    kind,
                    definition: k.get(2),
                    columns: k.get(3),
                    references,
                    deferrable: false,
                    initially_deferred: false,
                    validated: true,
                    inherited: !k.get::<bool, _>(7),
                    comment: None,
                },
            );
        }
        let idx = sqlx::query(
            "SELECT ic.relname::text, pg_get_indexdef(i.indexrelid), i.indisunique, \
                    ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(n, o) \
                          LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.n ORDER BY u.o) \
             FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
             WHERE i.indrelid = $1::oid \
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)",
        )
        .bind(oid)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let indexes = idx
            .iter()
            .map(|r| {
                let name: String = r.get(0);
                let cols: Vec<Option<String>> = r.get(3);
                (
                    name.clone(),
                    Index {
                        name,
                        definition: r.get(1),
                        unique: r.get(2),
                        columns: cols,
                        method: "btree".into(),
                        predicate: None,
                        inherited: false,
                        comment: None,
                    },
                )
            })
            .collect();
        let pols = sqlx::query(
            "SELECT policyname::text, cmd::text, permissive = 'PERMISSIVE', roles::text[], qual, with_check \
             FROM pg_policies WHERE schemaname = $1 AND tablename = $2",
        )
        .bind(&name.schema)
        .bind(&name.name)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let policies = pols
            .iter()
            .map(|r| {
                let pname: String = r.get(0);
                let command = match r.get::<String, _>(1).as_str() {
                    "SELECT" => PolicyCommand::Select,
                    "INSERT" => PolicyCommand::Insert,
                    "UPDATE" => PolicyCommand::Update,
                    "DELETE" => PolicyCommand::Delete,
                    _ => PolicyCommand::All,
                };
                let mut roles: Vec<String> = r.get(3);
                roles.sort();
                (
                    pname.clone(),
                    Policy {
                        name: pname,
                        command,
                        permissive: r.get(2),
                        roles,
                        using: r.get(4),
                        with_check: r.get(5),
                        comment: None,
                    },
                )
            })
            .collect();
        let is_partition: bool = r.get(9);
        c.tables.insert(
            name.clone(),
            Table {
                name,
                owner,
                kind: if kind == "p" {
                    TableKind::Partitioned
                } else {
                    TableKind::Ordinary
                },
                partition_key: None,
                partition_of: is_partition.then(|| PartitionOf {
                    parent: QualName::default(),
                    bound: String::new(),
                }),
                unlogged: false,
                columns,
                constraints,
                indexes,
                triggers: BTreeMap::new(),
                policies,
                rls_enabled: r.get(5),
                rls_forced: r.get(6),
                options,
                comment: None,
                grants: g,
            },
        );
    }
    let funcs = sqlx::query(&format!(
        "SELECT n.nspname::text, p.proname::text, pg_get_function_identity_arguments(p.oid), \
                pg_get_userbyid(p.proowner)::text, p.prosecdef, COALESCE(p.proconfig, '{{}}')::text[], {} \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT IN ('information_schema', 'pgtenant') \
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')",
        acl("p.proacl", "'f'", "p.proowner")
    ))
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for r in funcs {
        let id = FunctionId {
            schema: r.get(0),
            name: r.get(1),
            args: r.get(2),
        };
        c.functions.insert(
            id.clone(),
            Function {
                id,
                owner: r.get(3),
                kind: FunctionKind::Function,
                definition: String::new(),
                returns: String::new(),
                language: String::new(),
                security_definer: r.get(4),
                config: r.get(5),
                depends_on: vec![],
                comment: None,
                grants: grants(r.get(6)),
            },
        );
    }
    c
}
