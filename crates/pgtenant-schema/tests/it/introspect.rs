use crate::{load, EVERY_KIND};
use pgtenant_schema::*;
use std::collections::BTreeMap;

fn q(schema: &str, name: &str) -> QualName {
    QualName::new(schema, name)
}

fn grant(grantee: &str, privilege: &str, with_grant_option: bool) -> Grant {
    Grant {
        grantee: grantee.into(),
        privilege: privilege.into(),
        with_grant_option,
    }
}

#[tokio::test]
async fn schemas_extensions_and_types() {
    let (_db, c) = load(EVERY_KIND).await;

    assert_eq!(c.schemas.keys().collect::<Vec<_>>(), ["app", "public"]);
    let app = &c.schemas["app"];
    assert_eq!(app.comment.as_deref(), Some("application schema"));
    assert_eq!(app.grants, [grant("pg_read_all_data", "USAGE", false)]);
    assert_eq!(app.owner, pgtenant_testkit::admin_role());
    assert_eq!(
        c.schemas["public"].grants,
        [grant("PUBLIC", "USAGE", false)]
    );

    assert_eq!(
        c.extensions.keys().collect::<Vec<_>>(),
        ["citext", "pg_stat_statements", "pgcrypto"]
    );
    assert_eq!(c.extensions["citext"].schema, "public");

    let status = &c.enums[&q("app", "status")];
    assert_eq!(status.values, ["draft", "active", "archived"]);
    assert_eq!(status.comment.as_deref(), Some("lifecycle"));

    let pos = &c.domains[&q("app", "positive_int")];
    assert_eq!(pos.base_type, "integer");
    assert_eq!(pos.default.as_deref(), Some("1"));
    assert!(pos.not_null);
    assert_eq!(
        pos.checks,
        BTreeMap::from([(
            "positive_int_check".to_owned(),
            "CHECK (VALUE > 0)".to_owned()
        )])
    );
    assert_eq!(pos.comment.as_deref(), Some("positive"));
    let code = &c.domains[&q("app", "code")];
    assert_eq!(code.collation.as_deref(), Some("pg_catalog.\"C\""));
    assert!(!code.not_null);

    let pair = &c.composite_types[&q("app", "money_pair")];
    assert_eq!(
        pair.attributes,
        [
            ("amount".to_owned(), "numeric(12,2)".to_owned()),
            ("currency".to_owned(), "character(3)".to_owned())
        ]
    );
    assert_eq!(pair.comment.as_deref(), Some("pair"));
}

#[tokio::test]
async fn sequences_and_ownership() {
    let (_db, c) = load(EVERY_KIND).await;
    assert_eq!(
        c.sequences.keys().collect::<Vec<_>>(),
        [&q("app", "invoice_no"), &q("app", "legacy_id_seq")],
        "identity sequences belong to their column"
    );
    let s = &c.sequences[&q("app", "invoice_no")];
    assert_eq!(
        (
            s.data_type.as_str(),
            s.start,
            s.increment,
            s.min_value,
            s.max_value,
            s.cache,
            s.cycle
        ),
        ("integer", 1000, 5, 10, 999_999, 3, true)
    );
    assert_eq!(s.owned_by, None);
    assert_eq!(s.grants, [grant("pg_monitor", "USAGE", false)]);
    assert_eq!(s.comment.as_deref(), Some("numbers"));
    let serial = &c.sequences[&q("app", "legacy_id_seq")];
    assert_eq!(serial.owned_by, Some((q("app", "legacy"), "id".to_owned())));
    assert_eq!(serial.max_value, i64::from(i32::MAX));
}

#[tokio::test]
async fn tables_and_columns() {
    let (_db, c) = load(EVERY_KIND).await;
    let names: Vec<String> = c.tables.keys().map(ToString::to_string).collect();
    assert_eq!(
        names,
        [
            "app.TeamMember",
            "app.events",
            "app.events_2024",
            "app.events_2025",
            "app.legacy",
            "app.scratch",
            "public.tenants"
        ]
    );

    let tenants = &c.tables[&q("public", "tenants")];
    assert_eq!(tenants.comment.as_deref(), Some("the tenants"));
    let cols: Vec<&str> = tenants.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(cols, ["id", "name", "slug", "created_at"]);
    let id = tenants.column("id").unwrap();
    assert_eq!(
        (id.data_type.as_str(), id.default.as_deref(), id.not_null),
        ("uuid", Some("gen_random_uuid()"), true)
    );
    let name = tenants.column("name").unwrap();
    assert_eq!(name.data_type, "public.citext");
    assert_eq!(name.comment.as_deref(), Some("display name"));
    assert_eq!(
        tenants.column("slug").unwrap().collation.as_deref(),
        Some("pg_catalog.\"C\"")
    );
    assert_eq!(
        tenants.column("created_at").unwrap().default.as_deref(),
        Some("now()")
    );
    assert_eq!(
        tenants.column("created_at").unwrap().data_type,
        "timestamp with time zone"
    );

    let m = &c.tables[&q("app", "TeamMember")];
    assert_eq!(m.options, ["fillfactor=70"]);
    assert!(m.rls_enabled && m.rls_forced);
    assert_eq!(m.kind, TableKind::Ordinary);
    let team_id = m.column("teamId").unwrap();
    assert_eq!(
        team_id.identity,
        Some(Identity {
            kind: IdentityKind::Always,
            start: 7,
            increment: 2,
            min_value: 1,
            max_value: 100_000,
            cache: 1,
            cycle: false
        })
    );
    assert_eq!(team_id.default, None);
    let status = m.column("status").unwrap();
    assert_eq!(status.data_type, "app.status");
    assert_eq!(status.default.as_deref(), Some("'draft'::app.status"));
    assert_eq!(status.grants, [grant("pg_monitor", "UPDATE", false)]);
    assert_eq!(m.column("qty").unwrap().data_type, "app.positive_int");
    let total = m.column("total").unwrap();
    assert_eq!(
        (total.generated.as_deref(), total.default.as_deref()),
        (Some("(price * (2)::numeric)"), None)
    );
    assert_eq!(
        m.column("tags").unwrap().default.as_deref(),
        Some("'{}'::text[]")
    );
    assert_eq!(
        m.column("meta").unwrap().default.as_deref(),
        Some("'{}'::jsonb")
    );
    assert_eq!(
        m.grants,
        [
            grant("pg_read_all_data", "INSERT", true),
            grant("pg_read_all_data", "SELECT", true)
        ]
    );

    assert!(c.tables[&q("app", "scratch")].unlogged);
    assert!(!c.tables[&q("app", "legacy")].unlogged);
    assert!(c.tables[&q("app", "legacy")].rls_enabled);
    assert!(!c.tables[&q("app", "legacy")].rls_forced);
}

#[tokio::test]
async fn partitions() {
    let (_db, c) = load(EVERY_KIND).await;
    let events = &c.tables[&q("app", "events")];
    assert_eq!(events.kind, TableKind::Partitioned);
    assert_eq!(events.partition_key.as_deref(), Some("RANGE (at)"));
    assert_eq!(
        events.indexes["events_at_idx"].definition,
        "CREATE INDEX events_at_idx ON ONLY app.events USING btree (at)"
    );
    assert!(!events.indexes["events_at_idx"].inherited);
    assert!(!events.constraints["events_pkey"].inherited);
    assert!(!events.triggers["events_touch"].inherited);

    let p = &c.tables[&q("app", "events_2024")];
    assert_eq!(p.kind, TableKind::Ordinary);
    assert_eq!(
        p.partition_of,
        Some(PartitionOf {
            parent: q("app", "events"),
            bound: "FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2025-01-01 00:00:00+00')"
                .into()
        })
    );
    assert_eq!(p.columns.len(), 3);
    // What the parent created is listed on the partition, marked inherited.
    assert!(p.constraints["events_2024_pkey"].inherited);
    assert!(p.constraints["events_tenant_fk"].inherited);
    assert!(p.indexes["events_2024_at_idx"].inherited);
    assert!(p.triggers["events_touch"].inherited);
}

#[tokio::test]
async fn constraints() {
    let (_db, c) = load(EVERY_KIND).await;
    let m = &c.tables[&q("app", "TeamMember")];
    let pk = &m.constraints["TeamMember_pkey"];
    assert_eq!(
        (pk.kind, pk.definition.as_str()),
        (ConstraintKind::PrimaryKey, "PRIMARY KEY (\"teamId\")")
    );
    assert_eq!(pk.columns, ["teamId"]);

    let fk = &m.constraints["TeamMember_tenant_id_fkey"];
    assert_eq!(fk.kind, ConstraintKind::ForeignKey);
    assert_eq!(
        fk.definition,
        "FOREIGN KEY (tenant_id) REFERENCES public.tenants(id) ON UPDATE RESTRICT ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"
    );
    assert_eq!(
        fk.references,
        Some(ForeignKeyTarget {
            table: q("public", "tenants"),
            columns: vec!["id".into()]
        })
    );
    assert!(fk.deferrable && fk.initially_deferred && fk.validated && !fk.inherited);

    let check = &m.constraints["price_positive"];
    assert_eq!(
        (check.kind, check.definition.as_str()),
        (ConstraintKind::Check, "CHECK (price >= 0::numeric)")
    );
    assert_eq!(check.comment.as_deref(), Some("no negatives"));
    let excl = &m.constraints["no_overlap"];
    assert_eq!(
        (excl.kind, excl.definition.as_str()),
        (
            ConstraintKind::Exclusion,
            "EXCLUDE USING gist (period WITH &&)"
        )
    );

    let legacy = &c.tables[&q("app", "legacy")];
    let nv = &legacy.constraints["legacy_other_fk"];
    assert!(!nv.validated);
    assert!(nv.definition.ends_with("NOT VALID"), "{}", nv.definition);
    assert_eq!(
        c.tables[&q("public", "tenants")].constraints["tenants_slug_key"].kind,
        ConstraintKind::Unique
    );
    // NOT NULL is a column property, not a constraint.
    assert_eq!(c.tables[&q("public", "tenants")].constraints.len(), 2);
}

#[tokio::test]
async fn indexes() {
    let (_db, c) = load(EVERY_KIND).await;
    let m = &c.tables[&q("app", "TeamMember")];
    assert_eq!(
        m.indexes.keys().collect::<Vec<_>>(),
        ["teammember_lower_idx", "teammember_tenant_status_idx"],
        "indexes backing constraints are not listed"
    );
    let partial = &m.indexes["teammember_tenant_status_idx"];
    assert_eq!(
        partial.definition,
        "CREATE INDEX teammember_tenant_status_idx ON app.\"TeamMember\" USING btree (tenant_id, status) INCLUDE (price) WHERE (status <> 'archived'::app.status)"
    );
    assert_eq!(
        partial.columns,
        [Some("tenant_id".to_owned()), Some("status".to_owned())]
    );
    assert_eq!(
        partial.predicate.as_deref(),
        Some("(status <> 'archived'::app.status)")
    );
    assert!(!partial.unique);
    let expr = &m.indexes["teammember_lower_idx"];
    assert!(expr.unique);
    assert_eq!(expr.columns, [None]);
    let hash = &c.tables[&q("app", "legacy")].indexes["legacy_note_hash"];
    assert_eq!(
        (hash.method.as_str(), hash.comment.as_deref()),
        ("hash", Some("hash index"))
    );
}

#[tokio::test]
async fn views_and_materialized_views() {
    let (_db, c) = load(EVERY_KIND).await;
    let v = &c.views[&q("app", "active_members")];
    assert!(!v.materialized);
    assert_eq!(
        v.options,
        ["security_barrier=true", "security_invoker=true"]
    );
    assert_eq!(
        v.definition,
        " SELECT m.\"teamId\",\n    t.name\n   FROM app.\"TeamMember\" m\n     JOIN public.tenants t ON t.id = m.tenant_id\n  WHERE m.status = 'active'::app.status;"
    );
    assert_eq!(
        v.columns,
        [
            ("teamId".to_owned(), "bigint".to_owned()),
            ("name".to_owned(), "public.citext".to_owned())
        ]
    );
    assert_eq!(
        v.depends_on,
        [q("app", "TeamMember"), q("public", "tenants")]
    );
    assert_eq!(v.comment.as_deref(), Some("active ones"));
    assert_eq!(v.grants, [grant("PUBLIC", "SELECT", false)]);
    let t = &v.triggers["active_members_insert"];
    assert!(
        t.definition
            .contains("INSTEAD OF INSERT ON app.active_members"),
        "{}",
        t.definition
    );

    let mv = &c.views[&q("app", "member_counts")];
    assert!(mv.materialized);
    assert_eq!(mv.depends_on, [q("app", "TeamMember")]);
    assert_eq!(
        mv.indexes["member_counts_tenant"].columns,
        [Some("tenant_id".to_owned())]
    );
    assert!(mv.indexes["member_counts_tenant"].unique);
}

#[tokio::test]
async fn functions_procedures_and_aggregates() {
    let (_db, c) = load(EVERY_KIND).await;
    let f = |name: &str, args: &str| {
        &c.functions[&FunctionId {
            schema: "app".into(),
            name: name.into(),
            args: args.into(),
        }]
    };

    let touch = f("touch", "");
    assert_eq!(touch.kind, FunctionKind::Function);
    assert_eq!(
        (touch.returns.as_str(), touch.language.as_str()),
        ("trigger", "plpgsql")
    );
    assert!(touch.security_definer);
    assert_eq!(touch.config, ["search_path=pg_catalog, public"]);
    assert!(touch.definition.starts_with("CREATE OR REPLACE FUNCTION app.touch()\n RETURNS trigger\n LANGUAGE plpgsql\n SECURITY DEFINER"), "{}", touch.definition);
    assert_eq!(touch.comment.as_deref(), Some("sets touched"));
    // REVOKE ... FROM PUBLIC removed the default EXECUTE.
    assert_eq!(touch.grants, [grant("pg_monitor", "EXECUTE", false)]);

    let count = f("member_count", "t uuid");
    assert_eq!(count.returns, "bigint");
    assert_eq!(
        count.grants,
        [grant("PUBLIC", "EXECUTE", false)],
        "the default ACL is listed"
    );
    assert_eq!(
        count.depends_on,
        [ObjectRef::Column {
            table: q("app", "TeamMember"),
            column: "tenant_id".into()
        }]
    );
    let first = f("first_status", "s app.status[]");
    assert_eq!(first.returns, "app.status");
    assert_eq!(
        first.depends_on,
        [ObjectRef::Type {
            name: q("app", "status")
        }]
    );

    let archive = f("archive", "IN t uuid");
    assert_eq!(archive.kind, FunctionKind::Procedure);
    assert_eq!(archive.returns, "");
    assert!(archive
        .definition
        .starts_with("CREATE OR REPLACE PROCEDURE app.archive(IN t uuid)"));

    let agg = f("concat_all", "text");
    assert_eq!(agg.kind, FunctionKind::Aggregate);
    assert_eq!(agg.definition, "CREATE AGGREGATE app.concat_all(text) (SFUNC = app.concat_step, STYPE = text, INITCOND = '')");
    assert_eq!(
        agg.depends_on,
        [ObjectRef::Function {
            id: FunctionId {
                schema: "app".into(),
                name: "concat_step".into(),
                args: "a text, b text".into()
            }
        }]
    );
}

#[tokio::test]
async fn triggers_and_policies() {
    let (_db, c) = load(EVERY_KIND).await;
    let m = &c.tables[&q("app", "TeamMember")];
    let t = &m.triggers["touch_member"];
    assert_eq!(
        t.definition,
        "CREATE TRIGGER touch_member BEFORE INSERT OR UPDATE ON app.\"TeamMember\" FOR EACH ROW EXECUTE FUNCTION app.touch()"
    );
    assert_eq!(
        t.function,
        FunctionId {
            schema: "app".into(),
            name: "touch".into(),
            args: String::new()
        }
    );
    assert_eq!(
        (t.enabled.as_str(), t.comment.as_deref()),
        ("O", Some("touch it"))
    );
    let legacy = &c.tables[&q("app", "legacy")];
    assert_eq!(
        legacy.triggers.keys().collect::<Vec<_>>(),
        ["legacy_disabled"],
        "FK triggers are internal"
    );
    assert_eq!(legacy.triggers["legacy_disabled"].enabled, "D");
    let rule = &legacy.rules["legacy_keep"];
    assert_eq!(
        rule.definition,
        "CREATE RULE legacy_keep AS\n    ON DELETE TO app.legacy\n   WHERE old.note IS NULL DO INSTEAD NOTHING;"
    );
    assert_eq!(
        (rule.enabled.as_str(), rule.comment.as_deref()),
        ("O", Some("keep unnoted rows"))
    );
    assert_eq!(
        rule.depends_on,
        [
            ObjectRef::Table {
                name: q("app", "legacy")
            },
            ObjectRef::Column {
                table: q("app", "legacy"),
                column: "note".into()
            }
        ],
        "its own table's columns count"
    );
    assert!(
        c.views.values().all(|v| v.rules.is_empty()),
        "a view's _RETURN rule is the view"
    );

    let iso = &m.policies["tenant_isolation"];
    assert_eq!((iso.command, iso.permissive), (PolicyCommand::All, true));
    assert_eq!(iso.roles, ["public"]);
    assert_eq!(
        iso.using.as_deref(),
        Some("(tenant_id = (current_setting('app.tenant_id'::text))::uuid)")
    );
    assert_eq!(iso.with_check, iso.using);
    assert_eq!(iso.comment.as_deref(), Some("isolation"));
    let r = &m.policies["no_archived_delete"];
    assert_eq!((r.command, r.permissive), (PolicyCommand::Delete, false));
    assert_eq!(r.roles, ["pg_monitor", "pg_read_all_data"], "sorted");
    assert_eq!(r.with_check, None);
}

#[tokio::test]
async fn journal_system_and_extension_objects_are_excluded() {
    let (_db, c) = load(EVERY_KIND).await;
    assert!(!c.schemas.contains_key("pgtenant"));
    assert!(!c.schemas.contains_key("pg_catalog") && !c.schemas.contains_key("information_schema"));
    assert!(c.tables.keys().all(|t| t.schema != "pgtenant"));
    // citext and pgcrypto live in public, but their types and functions
    // belong to the extensions.
    assert!(!c
        .domains
        .keys()
        .chain(c.enums.keys())
        .chain(c.composite_types.keys())
        .any(|t| t.name == "citext"));
    assert!(
        c.functions.keys().all(|f| f.schema == "app"),
        "{:?}",
        c.functions.keys().collect::<Vec<_>>()
    );
    assert!(!c.extensions.contains_key("plpgsql"));
    // pg_stat_statements owns two views in public.
    assert_eq!(
        c.views.keys().map(ToString::to_string).collect::<Vec<_>>(),
        ["app.active_members", "app.member_counts"]
    );
}

#[tokio::test]
async fn other_sessions_temporary_tables_are_excluded() {
    let (db, _) = load("CREATE TABLE kept (id int);").await;
    let mut other = db.conn().await;
    sqlx::raw_sql("CREATE TEMP TABLE scratch_rows (id int PRIMARY KEY)")
        .execute(&mut other)
        .await
        .unwrap();
    let mut conn = db.conn().await;
    let c = introspect(&mut conn).await.unwrap();
    assert_eq!(
        c.tables.keys().map(ToString::to_string).collect::<Vec<_>>(),
        ["public.kept"]
    );
    assert!(
        c.schemas.keys().all(|s| !s.starts_with("pg_")),
        "{:?}",
        c.schemas.keys()
    );
}

#[tokio::test]
async fn the_same_schema_loaded_twice_gives_equal_catalogs() {
    let (_a, first) = load(EVERY_KIND).await;
    let (_b, second) = load(EVERY_KIND).await;
    assert_eq!(first, second);
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap(),
        "serialisation is deterministic too"
    );
}

#[tokio::test]
async fn session_settings_do_not_change_the_rendering() {
    let (db, plain) = load("CREATE TABLE t (at timestamptz DEFAULT '2024-06-01 12:00:00+02', d interval DEFAULT '1 day 2 hours');").await;
    let mut conn = db.conn().await;
    sqlx::raw_sql("SET TimeZone = 'Asia/Tokyo'; SET DateStyle = 'German'; SET IntervalStyle = 'iso_8601'; SET search_path = public")
        .execute(&mut conn)
        .await
        .unwrap();
    let odd = introspect(&mut conn).await.unwrap();
    assert_eq!(plain, odd);
    assert_eq!(
        plain.tables[&q("public", "t")]
            .column("at")
            .unwrap()
            .default
            .as_deref(),
        Some("'2024-06-01 10:00:00+00'::timestamp with time zone")
    );
}

#[tokio::test]
async fn introspecting_inside_a_transaction_is_refused() {
    use sqlx::Connection;
    let (db, _) = load("").await;
    let mut conn = db.conn().await;
    let mut tx = conn.begin().await.unwrap();
    let err = introspect(&mut tx).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "introspection needs a connection outside any transaction; commit or roll back first"
    );
}

#[tokio::test]
async fn an_empty_database_has_only_the_public_schema() {
    let (_db, c) = load("").await;
    assert_eq!(c.schemas.keys().collect::<Vec<_>>(), ["public"]);
    assert!(c.tables.is_empty() && c.functions.is_empty() && c.extensions.is_empty());
}

#[tokio::test]
async fn module_objects_in_schema_pgtenant_are_seen_and_the_journal_is_not() {
    let (_db, c) = load(
        "CREATE SCHEMA pgtenant;
         CREATE TABLE pgtenant.migrations (version bigint PRIMARY KEY, name text);
         CREATE TABLE pgtenant.seeds (file text PRIMARY KEY, n serial);
         CREATE INDEX seeds_n_idx ON pgtenant.seeds (n);
         CREATE TABLE pgtenant.permissions (name text PRIMARY KEY, description text);
         CREATE INDEX permissions_description_idx ON pgtenant.permissions (description);
         CREATE SEQUENCE pgtenant.module_seq;
         CREATE FUNCTION pgtenant.has_permission(p text) RETURNS boolean
           LANGUAGE sql STABLE AS $$ SELECT EXISTS (SELECT 1 FROM pgtenant.permissions WHERE name = p) $$;",
    )
    .await;
    assert!(
        !c.schemas.contains_key("pgtenant"),
        "the schema belongs to the journal"
    );
    assert_eq!(
        c.tables
            .keys()
            .filter(|t| t.schema == "pgtenant")
            .collect::<Vec<_>>(),
        [&q("pgtenant", "permissions")]
    );
    assert_eq!(
        c.tables[&q("pgtenant", "permissions")]
            .indexes
            .keys()
            .collect::<Vec<_>>(),
        ["permissions_description_idx"]
    );
    assert_eq!(
        c.sequences.keys().collect::<Vec<_>>(),
        [&q("pgtenant", "module_seq")],
        "the journal's serial sequence is left out"
    );
    assert!(c
        .functions
        .keys()
        .any(|f| f.schema == "pgtenant" && f.name == "has_permission"));
}
