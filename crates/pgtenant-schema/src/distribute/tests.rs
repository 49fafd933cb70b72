//! Unit tests of the distribution plan on hand-built catalogs (the texts as
//! PostgreSQL prints them; the CLI's tests run the same analysis on real
//! schemas).

use super::policies::{body_of, volatility};
use super::*;
use crate::model::{
    Column, Function, FunctionId, FunctionKind, Identity, IdentityKind, PolicyCommand, Sequence,
};
use crate::tenancy::ISOLATION_POLICY;
use crate::test_catalog::*;

/// The plan's statements and its findings as `code object` lines.
fn check(c: &Catalog, rules: &TenancyRules) -> (Vec<String>, Vec<String>) {
    let p = plan(c, rules, "app");
    let sql = p.calls.iter().map(|c| c.sql.clone()).collect();
    let found = p
        .findings
        .iter()
        .map(|f| format!("{} {}", f.code, f.object))
        .collect();
    (sql, found)
}

fn add(c: &mut Catalog, t: Table) {
    c.tables.insert(t.name.clone(), t);
}

fn with_fk(
    mut t: Table,
    name: &str,
    cols: &[&str],
    target: &str,
    tcols: &[&str],
    def: &str,
) -> Table {
    let mut k = fk(name, cols, target, tcols);
    k.definition = def.to_owned();
    t.constraints.insert(name.to_owned(), k);
    t
}

/// tenants (root), users (global, no tenant column), plans (listed global,
/// carries tenant_id), notes (tenant table → tenants, → users), comments
/// (→ notes, composite), all keys including tenant_id.
fn clean() -> (Catalog, TenancyRules) {
    let mut c = basic("uuid");
    let mut notes = table(
        "notes",
        vec![
            col("tenant_id", "uuid", true),
            col("id", "bigint", true),
            col("author", "uuid", false),
        ],
    );
    notes = with_pk(notes, &["tenant_id", "id"]);
    notes = with_fk(
        notes,
        "notes_tenant_id_fkey",
        &["tenant_id"],
        "tenants",
        &["id"],
        "FOREIGN KEY (tenant_id) REFERENCES public.tenants(id) ON DELETE CASCADE",
    );
    notes = with_fk(
        notes,
        "notes_author_fkey",
        &["author"],
        "users",
        &["id"],
        "FOREIGN KEY (author) REFERENCES public.users(id) ON DELETE SET NULL",
    );
    add(&mut c, notes);
    let mut comments = with_pk(
        table(
            "comments",
            vec![
                col("tenant_id", "uuid", true),
                col("id", "bigint", true),
                col("note_id", "bigint", true),
            ],
        ),
        &["tenant_id", "id"],
    );
    comments = with_fk(
        comments,
        "comments_note_fkey",
        &["tenant_id", "note_id"],
        "notes",
        &["tenant_id", "id"],
        "FOREIGN KEY (tenant_id, note_id) REFERENCES public.notes(tenant_id, id) ON DELETE CASCADE",
    );
    add(&mut c, comments);
    add(
        &mut c,
        with_pk(table("users", vec![col("id", "uuid", true)]), &["id"]),
    );
    let mut kinds = with_pk(table("kinds", vec![col("code", "text", true)]), &["code"]);
    kinds = with_fk(
        kinds,
        "kinds_plan_fkey",
        &["code"],
        "plans",
        &["code"],
        "FOREIGN KEY (code) REFERENCES public.plans(code)",
    );
    add(&mut c, kinds);
    add(
        &mut c,
        with_pk(
            table(
                "plans",
                vec![col("code", "text", true), col("tenant_id", "uuid", false)],
            ),
            &["code"],
        ),
    );
    let mut rules = cfg();
    rules.global_tables = vec![q("plans")];
    (c, rules)
}

#[test]
fn a_clean_schema_plans_reference_tables_then_the_root_then_colocated_tenants() {
    let (c, rules) = clean();
    let (sql, found) = check(&c, &rules);
    assert_eq!(found, Vec::<String>::new());
    assert_eq!(
        sql,
        [
            "ALTER DATABASE app SET citus.propagate_set_commands = 'local';",
            "SELECT create_reference_table('public.plans');",
            "SELECT create_reference_table('public.users');",
            "SELECT create_reference_table('public.kinds');",
            "SELECT create_distributed_table('public.tenants', 'id');",
            "SELECT create_distributed_table('public.notes', 'tenant_id', colocate_with => 'public.tenants');",
            "SELECT create_distributed_table('public.comments', 'tenant_id', colocate_with => 'public.tenants');",
        ]
    );
    let p = plan(&c, &rules, "app");
    assert!(p.runnable());
    assert_eq!(p.placements[&q("plans")], Placement::Reference);
    assert_eq!(p.placements[&q("tenants")], Placement::Root);
    assert_eq!(p.placements[&q("comments")], Placement::Colocated);
}

#[test]
fn names_are_quoted_inside_the_regclass_literals_and_the_column_is_its_stored_name() {
    let mut c = Catalog::default();
    let root = QualName::new("Sales", "Org's");
    let mut r = with_pk(table("x", vec![col("Id", "uuid", true)]), &["Id"]);
    r.name = root.clone();
    add(&mut c, r);
    let mut t = with_pk(
        table(
            "x",
            vec![col("OrgId", "uuid", true), col("id", "bigint", true)],
        ),
        &["OrgId", "id"],
    );
    t.name = QualName::new("Sales", "Order Lines");
    add(&mut c, t);
    let rules = TenancyRules {
        root_table: Some(root),
        ..TenancyRules::new("OrgId", "app.org")
    };
    let (sql, found) = check(&c, &rules);
    assert_eq!(found, Vec::<String>::new());
    assert_eq!(
        sql[1..],
        [
            "SELECT create_distributed_table('\"Sales\".\"Org''s\"', 'Id');",
            "SELECT create_distributed_table('\"Sales\".\"Order Lines\"', 'OrgId', colocate_with => '\"Sales\".\"Org''s\"');",
        ]
    );
    assert_eq!(
        propagate_setting_sql("My Db"),
        "ALTER DATABASE \"My Db\" SET citus.propagate_set_commands = 'local';"
    );
}

#[test]
fn keys_without_the_distribution_column_block() {
    let (mut c, rules) = clean();
    let notes = c.tables.get_mut(&q("notes")).unwrap();
    notes.constraints.insert(
        "notes_id_key".into(),
        constraint("notes_id_key", ConstraintKind::Unique, &["id"]),
    );
    notes.indexes.insert(
        "notes_author_idx".into(),
        index("notes_author_idx", true, &["author"]),
    );
    notes.indexes.insert(
        "notes_plain_idx".into(),
        index("notes_plain_idx", false, &["author"]),
    );
    let mut ex = constraint(
        "notes_excl",
        ConstraintKind::Exclusion,
        &["tenant_id", "id"],
    );
    ex.definition = "EXCLUDE USING gist (tenant_id WITH <>, id WITH =)".into();
    notes.constraints.insert("notes_excl".into(), ex);
    // The root is distributed by id: its other unique keys block too.
    c.tables.get_mut(&q("tenants")).unwrap().constraints.insert(
        "tenants_name_key".into(),
        constraint("tenants_name_key", ConstraintKind::Unique, &["name"]),
    );
    let (_, found) = check(&c, &rules);
    assert_eq!(
        found,
        [
            "unique-without-tenant-column constraint notes_excl on public.notes",
            "unique-without-tenant-column constraint notes_id_key on public.notes",
            "unique-without-tenant-column constraint tenants_name_key on public.tenants",
            "unique-without-tenant-column index public.notes_author_idx",
        ]
    );
    let p = plan(&c, &rules, "app");
    assert!(!p.runnable());
    assert_eq!(p.blocking(), 4);
    assert_eq!(
        p.findings[1].to_string(),
        "blocking[unique-without-tenant-column] constraint notes_id_key on public.notes: unique \
         constraint notes_id_key of distributed table public.notes does not include its \
         distribution column tenant_id; Citus refuses it\n  fix: include tenant_id in the key \
         (e.g. PRIMARY KEY / UNIQUE (tenant_id, …)); a value unique across tenants cannot be \
         enforced on a distributed table: keep it in a reference table keyed by it"
    );
}

#[test]
fn foreign_keys_between_tenant_tables_need_the_tenant_column_at_the_same_position() {
    let (mut c, rules) = clean();
    let comments = c.tables.remove(&q("comments")).unwrap();
    let mut comments = with_fk(
        comments,
        "comments_note_fkey",
        &["note_id"],
        "notes",
        &["id"],
        "FOREIGN KEY (note_id) REFERENCES public.notes(id)",
    );
    comments = with_fk(
        comments,
        "comments_swapped_fkey",
        &["tenant_id", "note_id"],
        "notes",
        &["id", "tenant_id"],
        "FOREIGN KEY (tenant_id, note_id) REFERENCES public.notes(id, tenant_id)",
    );
    add(&mut c, comments);
    let (_, found) = check(&c, &rules);
    assert_eq!(
        found,
        [
            "fk-without-tenant-column constraint comments_note_fkey on public.comments",
            "fk-without-tenant-column constraint comments_swapped_fkey on public.comments",
        ]
    );
}

#[test]
fn update_cascade_and_set_null_on_the_tenant_column_block() {
    let (mut c, rules) = clean();
    let comments = c.tables.remove(&q("comments")).unwrap();
    let comments = with_fk(
        comments,
        "comments_note_fkey",
        &["tenant_id", "note_id"],
        "notes",
        &["tenant_id", "id"],
        "FOREIGN KEY (tenant_id, note_id) REFERENCES public.notes(tenant_id, id) ON UPDATE CASCADE ON DELETE SET NULL (note_id)",
    );
    add(&mut c, comments);
    let p = plan(&c, &rules, "app");
    assert_eq!(p.findings.len(), 1, "{:?}", p.findings);
    assert_eq!(p.findings[0].code, Code::FkActionOnTenantColumn);
    assert_eq!(
        p.findings[0].message,
        "foreign key comments_note_fkey of distributed table public.comments includes the \
         distribution column tenant_id and has ON DELETE SET NULL, ON UPDATE CASCADE; Citus \
         refuses these actions on a foreign key that holds the distribution column"
    );
    // SET NULL on a key without the tenant column (notes.author → users) is fine.
}

#[test]
fn global_tables_referencing_distributed_ones_block_and_unlisted_ones_are_unclassified() {
    let (mut c, mut rules) = clean();
    // Listed global, carries the column, references the root.
    let plans = c.tables.remove(&q("plans")).unwrap();
    add(
        &mut c,
        with_fk(
            plans,
            "plans_tenant_id_fkey",
            &["tenant_id"],
            "tenants",
            &["id"],
            "FOREIGN KEY (tenant_id) REFERENCES public.tenants(id)",
        ),
    );
    // No tenant column, not listed, references a tenant table.
    let tags = with_fk(
        table("note_tags", vec![col("note_id", "bigint", true)]),
        "note_tags_note_fkey",
        &["note_id"],
        "notes",
        &["id"],
        "FOREIGN KEY (note_id) REFERENCES public.notes(id)",
    );
    add(&mut c, tags);
    rules.global_tables.push(q("missing_table"));
    let p = plan(&c, &rules, "app");
    let found: Vec<String> = p
        .findings
        .iter()
        .map(|f| format!("{} {}", f.code, f.object))
        .collect();
    assert_eq!(
        found,
        [
            "unclassified-table table public.note_tags",
            "reference-fk-to-distributed constraint plans_tenant_id_fkey on public.plans",
        ]
    );
    assert_eq!(p.placements[&q("note_tags")], Placement::Unclassified);
    assert!(p.calls.iter().all(|c| !c.sql.contains("note_tags")));
    assert_eq!(
        p.findings[0].fix,
        "if its rows belong to a tenant, add the tenant_id column (NOT NULL) and put it first in \
         the foreign key to public.notes; otherwise drop the foreign key and list it in \
         [tenancy] global_tables"
    );
}

#[test]
fn a_modules_global_table_referencing_the_root_says_the_module_has_no_citus_form() {
    let (mut c, mut rules) = clean();
    let mut invites = with_fk(
        table("invites", vec![col("tenant_id", "uuid", true)]),
        "invites_tenant_id_fkey",
        &["tenant_id"],
        "tenants",
        &["id"],
        "FOREIGN KEY (tenant_id) REFERENCES public.tenants(id)",
    );
    invites.name = QualName::new("pgtenant", "invites");
    add(&mut c, invites);
    rules
        .global_tables
        .push(QualName::new("pgtenant", "invites"));
    rules.grants.closed_schemas = vec!["pgtenant".into()];
    let p = plan(&c, &rules, "app");
    assert_eq!(p.findings.len(), 1, "{:?}", p.findings);
    assert_eq!(p.findings[0].code, Code::ReferenceFkToDistributed);
    assert_eq!(
        p.findings[0].fix,
        "pgtenant.invites is a module's table (schema pgtenant), global because the module \
         polices it itself; a Citus form of the module, with the table distributed by the \
         tenant column, is not written yet"
    );
}

#[test]
fn a_nullable_or_differently_typed_tenant_column_blocks() {
    let (mut c, rules) = clean();
    let notes = c.tables.get_mut(&q("notes")).unwrap();
    notes.columns[0].not_null = false;
    notes.columns[0].data_type = "text".into();
    let (_, found) = check(&c, &rules);
    assert_eq!(
        found,
        [
            "tenant-column-nullable column public.notes.tenant_id",
            "distribution-type-mismatch column public.notes.tenant_id",
        ]
    );
    // A modifier alone is not a different type.
    let mut c = basic("character varying(20)");
    let notes = c.tables.get_mut(&q("notes")).unwrap();
    notes.columns[1].data_type = "character varying(36)".into();
    notes.constraints.clear();
    notes.constraints.insert(
        "notes_pkey".into(),
        constraint(
            "notes_pkey",
            ConstraintKind::PrimaryKey,
            &["tenant_id", "id"],
        ),
    );
    assert_eq!(check(&c, &cfg()).1, Vec::<String>::new());
}

#[test]
fn serial_and_identity_keys_smaller_than_bigint_block() {
    let (mut c, rules) = clean();
    let identity = Identity {
        kind: IdentityKind::ByDefault,
        start: 1,
        increment: 1,
        min_value: 1,
        max_value: i64::from(i32::MAX),
        cache: 1,
        cycle: false,
    };
    let notes = c.tables.get_mut(&q("notes")).unwrap();
    notes.columns.push(Column {
        identity: Some(identity.clone()),
        ..col("n", "integer", true)
    });
    notes.columns.push(Column {
        identity: Some(identity),
        ..col("big", "bigint", true)
    });
    notes.columns.push(Column {
        default: Some("nextval('public.notes_s_seq'::regclass)".into()),
        ..col("s", "integer", true)
    });
    notes.columns.push(Column {
        default: Some("nextval('public.\"Odd\"''s_seq'::regclass)".into()),
        ..col("b", "bigint", true)
    });
    for (name, ty) in [("notes_s_seq", "integer"), ("\"Odd\"'s_seq", "integer")] {
        let n = QualName::new("public", name.replace('"', ""));
        c.sequences.insert(
            n.clone(),
            Sequence {
                name: n,
                data_type: ty.into(),
                ..Sequence::default()
            },
        );
    }
    let (_, found) = check(&c, &rules);
    assert_eq!(
        found,
        [
            "sequence-not-bigint column public.notes.b",
            "sequence-not-bigint column public.notes.n",
            "sequence-not-bigint column public.notes.s",
        ]
    );
    assert_eq!(
        nextval_sequence("nextval('public.\"Odd\"''s_seq'::regclass)"),
        Some(QualName::new("public", "Odd's_seq"))
    );
}

fn function(name: &str, language: &str, definition: &str) -> Function {
    Function {
        id: FunctionId {
            schema: "public".into(),
            name: name.into(),
            args: "t uuid".into(),
        },
        owner: "postgres".into(),
        kind: FunctionKind::Function,
        definition: definition.into(),
        returns: "boolean".into(),
        language: language.into(),
        security_definer: false,
        config: Vec::new(),
        depends_on: Vec::new(),
        comment: None,
        grants: Vec::new(),
    }
}

fn add_fn(c: &mut Catalog, f: Function) {
    c.functions.insert(f.id.clone(), f);
}

#[test]
fn policies_with_a_sub_select_block_pgtenants_own_included() {
    let (mut c, rules) = clean();
    let e = "(tenant_id = ( SELECT (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid AS \"nullif\"))";
    let notes = c.tables.get_mut(&q("notes")).unwrap();
    notes.policies.insert(
        ISOLATION_POLICY.into(),
        policy(ISOLATION_POLICY, PolicyCommand::All, Some(e), Some(e)),
    );
    notes.policies.insert(
        "mine".into(),
        policy(
            "mine",
            PolicyCommand::Select,
            Some("(EXISTS ( SELECT 1 FROM public.users u WHERE (u.id = notes.author)))"),
            None,
        ),
    );
    // `select` inside a string is not a sub-query.
    notes.policies.insert(
        "word".into(),
        policy(
            "word",
            PolicyCommand::Select,
            Some("(current_setting('app.select'::text, true) IS NOT NULL)"),
            None,
        ),
    );
    let p = plan(&c, &rules, "app");
    let found: Vec<String> = p
        .findings
        .iter()
        .map(|f| format!("{} {}", f.code, f.object))
        .collect();
    assert_eq!(
        found,
        [
            "policy-subquery policy mine on public.notes",
            "policy-subquery policy pgtenant_tenant_isolation on public.notes",
        ]
    );
    assert!(
        p.findings[1]
            .fix
            .starts_with("pgtenant's tenancy transform writes this sub-select"),
        "{}",
        p.findings[1].fix
    );
}

#[test]
fn functions_in_policies_must_be_stable_sql_that_reads_no_table() {
    let (mut c, rules) = clean();
    add_fn(
        &mut c,
        function(
            "ok_fn",
            "sql",
            "CREATE OR REPLACE FUNCTION public.ok_fn(t uuid)\n RETURNS boolean\n LANGUAGE sql\n STABLE\nAS $function$ SELECT t = NULLIF(current_setting('app.tenant_id', true), '')::uuid $function$\n",
        ),
    );
    add_fn(
        &mut c,
        function(
            "plpgsql_fn",
            "plpgsql",
            "CREATE OR REPLACE FUNCTION public.plpgsql_fn(t uuid)\n RETURNS boolean\n LANGUAGE plpgsql\n STABLE\nAS $function$ BEGIN RETURN true; END $function$\n",
        ),
    );
    add_fn(
        &mut c,
        function(
            "volatile_fn",
            "sql",
            "CREATE OR REPLACE FUNCTION public.volatile_fn(t uuid)\n RETURNS boolean\n LANGUAGE sql\nAS $function$ SELECT random() > 0 $function$\n",
        ),
    );
    add_fn(
        &mut c,
        function(
            "reads_fn",
            "sql",
            "CREATE OR REPLACE FUNCTION public.reads_fn(t uuid)\n RETURNS boolean\n LANGUAGE sql\n STABLE\nAS $function$ SELECT count(*) > 0 FROM public.users $function$\n",
        ),
    );
    add_fn(
        &mut c,
        function(
            "outer_fn",
            "sql",
            "CREATE OR REPLACE FUNCTION public.outer_fn(t uuid)\n RETURNS boolean\n LANGUAGE sql\n IMMUTABLE PARALLEL SAFE\nAS $function$ SELECT public.plpgsql_fn(t) $function$\n",
        ),
    );
    let notes = c.tables.get_mut(&q("notes")).unwrap();
    for f in ["ok_fn", "plpgsql_fn", "volatile_fn", "reads_fn", "outer_fn"] {
        let e = format!("public.{f}(tenant_id)");
        notes
            .policies
            .insert(f.into(), policy(f, PolicyCommand::All, Some(&e), Some(&e)));
    }
    let p = plan(&c, &rules, "app");
    let found: Vec<String> = p
        .findings
        .iter()
        .map(|f| format!("{} {}", f.code, f.object))
        .collect();
    assert_eq!(
        found,
        [
            "policy-function-not-pushable policy outer_fn on public.notes",
            "policy-function-not-pushable policy plpgsql_fn on public.notes",
            "policy-function-not-pushable policy reads_fn on public.notes",
            "policy-function-not-pushable policy volatile_fn on public.notes",
        ]
    );
    let why: Vec<&str> = p.findings.iter().map(|f| f.message.as_str()).collect();
    assert!(why[0].contains("calls function public.outer_fn(t uuid), which calls public.plpgsql_fn(t uuid), which is LANGUAGE plpgsql;"), "{}", why[0]);
    assert!(why[2].contains("which reads public.users;"), "{}", why[2]);
    assert!(why[3].contains("which is VOLATILE;"), "{}", why[3]);
}

#[test]
fn function_definitions_are_read_as_postgres_prints_them() {
    let d = "CREATE OR REPLACE FUNCTION public.f()\n RETURNS integer\n LANGUAGE sql\n STABLE STRICT\nAS $function$select 1 from x$function$\n";
    assert_eq!(volatility(d), "STABLE");
    assert_eq!(body_of(d), "select 1 from x");
    let atomic = "CREATE OR REPLACE FUNCTION public.g()\n RETURNS integer\n LANGUAGE sql\n IMMUTABLE\nBEGIN ATOMIC\n SELECT 1;\nEND\n";
    assert_eq!(volatility(atomic), "IMMUTABLE");
    assert_eq!(body_of(atomic), "BEGIN ATOMIC\n SELECT 1;\nEND\n");
    let volatile = "CREATE OR REPLACE FUNCTION public.h()\n RETURNS integer\n LANGUAGE plpgsql\nAS $function$ BEGIN RETURN 1; END $function$\n";
    assert_eq!(volatility(volatile), "VOLATILE");
    assert_eq!(body_of(volatile), " BEGIN RETURN 1; END ");
}

#[test]
fn foreign_key_cycles_and_a_missing_root_block() {
    let (mut c, mut rules) = clean();
    let notes = c.tables.remove(&q("notes")).unwrap();
    add(
        &mut c,
        with_fk(
            notes,
            "notes_comment_fkey",
            &["tenant_id", "id"],
            "comments",
            &["tenant_id", "id"],
            "FOREIGN KEY (tenant_id, id) REFERENCES public.comments(tenant_id, id)",
        ),
    );
    let (sql, found) = check(&c, &rules);
    assert_eq!(
        found,
        [
            "foreign-key-cycle table public.comments",
            "foreign-key-cycle table public.notes",
        ]
    );
    assert_eq!(
        sql.len(),
        7,
        "the tables in the cycle still get their calls"
    );
    rules.root_table = Some(q("orgs"));
    let p = plan(&c, &rules, "app");
    let missing = p
        .findings
        .iter()
        .find(|f| f.code == Code::RootTableMissing)
        .expect("a root-table-missing finding");
    assert_eq!(
        missing.message,
        "the tenancy root table public.orgs does not exist, so tenants cannot be created or \
         scoped; the tenant tables have nothing to be colocated with"
    );
}

#[test]
fn a_partitioned_global_table_cannot_be_a_reference_table() {
    let (mut c, rules) = clean();
    let mut log = table("log", vec![col("at", "timestamp with time zone", true)]);
    log.kind = crate::model::TableKind::Partitioned;
    log.partition_key = Some("RANGE (at)".into());
    add(&mut c, log);
    let mut part = table(
        "log_2026",
        vec![col("at", "timestamp with time zone", true)],
    );
    part.partition_of = Some(crate::model::PartitionOf {
        parent: q("log"),
        bound: "FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')".into(),
    });
    add(&mut c, part);
    let p = plan(&c, &rules, "app");
    assert_eq!(
        p.findings
            .iter()
            .map(|f| format!("{} {}", f.code, f.object))
            .collect::<Vec<_>>(),
        ["partitioned-reference-table table public.log"]
    );
    assert!(
        !p.placements.contains_key(&q("log_2026")),
        "partitions follow their parent"
    );
}

#[test]
fn writable_global_tables_are_a_warning_not_a_blocker() {
    let (c, mut rules) = clean();
    rules.grants.writable_global = vec![q("users")];
    let p = plan(&c, &rules, "app");
    assert!(p.runnable());
    assert_eq!(p.warnings(), 1);
    assert_eq!(p.findings[0].code, Code::WritableReferenceTable);
    assert_eq!(p.findings[0].severity, Severity::Warning);
}

#[test]
fn codes_serialise_as_their_kebab_names() {
    for code in [
        Code::UniqueWithoutTenantColumn,
        Code::PolicyFunctionNotPushable,
        Code::ReferenceFkToDistributed,
        Code::WritableReferenceTable,
    ] {
        assert_eq!(
            serde_json::to_string(&code).unwrap(),
            format!("\"{}\"", code.as_str())
        );
    }
}
