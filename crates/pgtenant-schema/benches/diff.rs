//! The pure diff on a 500-table schema against a copy with 10% of the
//! tables changed (issue 3, Performance (b); target < 20 ms).
//!
//! The catalogs are built in memory in the shape introspection produces:
//! ≈8 columns, a primary key, 2 indexes, 1 foreign key, a check, RLS and one
//! policy per table.
//!
//! Run: `cargo bench -p pgtenant-schema --bench diff`

#![allow(
    clippy::print_stdout,
    reason = "a benchmark: its figures are its output"
)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use pgtenant_schema::*;
use std::collections::BTreeMap;

fn column(name: &str, ty: &str, not_null: bool, default: Option<&str>) -> Column {
    Column {
        name: name.into(),
        data_type: ty.into(),
        collation: None,
        not_null,
        default: default.map(str::to_owned),
        identity: None,
        generated: None,
        comment: None,
        grants: vec![],
    }
}

fn table(i: usize) -> Table {
    let name = QualName::new("public", format!("t{i:03}"));
    let q = name.sql();
    let columns = vec![
        column("id", "uuid", true, Some("gen_random_uuid()")),
        column("tenant_id", "uuid", true, None),
        column("parent_id", "uuid", false, None),
        column("name", "text", true, None),
        column("amount", "numeric(12,2)", true, Some("0")),
        column("status", "text", true, Some("'new'::text")),
        column(
            "created_at",
            "timestamp with time zone",
            true,
            Some("now()"),
        ),
        column("meta", "jsonb", true, Some("'{}'::jsonb")),
    ];
    let mut constraints = BTreeMap::new();
    let c = |n: String, kind, def: String, cols: Vec<&str>, references| Constraint {
        name: n,
        kind,
        definition: def,
        columns: cols.into_iter().map(str::to_owned).collect(),
        references,
        deferrable: false,
        initially_deferred: false,
        validated: true,
        inherited: false,
        comment: None,
    };
    let pk = format!("t{i:03}_pkey");
    constraints.insert(
        pk.clone(),
        c(
            pk,
            ConstraintKind::PrimaryKey,
            "PRIMARY KEY (id)".into(),
            vec!["id"],
            None,
        ),
    );
    let ck = format!("t{i:03}_amount_check");
    constraints.insert(
        ck.clone(),
        c(
            ck,
            ConstraintKind::Check,
            "CHECK ((amount >= (0)::numeric))".into(),
            vec!["amount"],
            None,
        ),
    );
    if i > 0 {
        let target = QualName::new("public", format!("t{:03}", i - 1));
        let fk = format!("t{i:03}_parent_id_fkey");
        constraints.insert(
            fk.clone(),
            c(
                fk,
                ConstraintKind::ForeignKey,
                format!(
                    "FOREIGN KEY (parent_id) REFERENCES {}(id) ON DELETE CASCADE",
                    target.sql()
                ),
                vec!["parent_id"],
                Some(ForeignKeyTarget {
                    table: target,
                    columns: vec!["id".into()],
                }),
            ),
        );
    }
    let mut indexes = BTreeMap::new();
    for (suffix, cols) in [
        ("tenant_idx", "tenant_id, created_at"),
        ("name_idx", "name"),
    ] {
        let n = format!("t{i:03}_{suffix}");
        indexes.insert(
            n.clone(),
            Index {
                definition: format!("CREATE INDEX {n} ON {q} USING btree ({cols})"),
                name: n,
                unique: false,
                columns: cols.split(", ").map(|c| Some(c.to_owned())).collect(),
                method: "btree".into(),
                predicate: None,
                inherited: false,
                comment: None,
            },
        );
    }
    let mut policies = BTreeMap::new();
    policies.insert(
        "tenant_isolation".to_owned(),
        Policy {
            name: "tenant_isolation".into(),
            command: PolicyCommand::All,
            permissive: true,
            roles: vec!["public".into()],
            using: Some(
                "(tenant_id = (current_setting('app.tenant_id'::text, true))::uuid)".into(),
            ),
            with_check: Some(
                "(tenant_id = (current_setting('app.tenant_id'::text, true))::uuid)".into(),
            ),
            comment: None,
        },
    );
    Table {
        name,
        owner: "postgres".into(),
        kind: TableKind::Ordinary,
        partition_key: None,
        partition_of: None,
        unlogged: false,
        columns,
        constraints,
        indexes,
        triggers: BTreeMap::new(),
        rules: BTreeMap::new(),
        policies,
        rls_enabled: true,
        rls_forced: true,
        options: vec![],
        comment: None,
        grants: vec![],
    }
}

fn catalogs() -> (Catalog, Catalog) {
    let mut a = Catalog::default();
    a.schemas.insert(
        "public".into(),
        Schema {
            name: "public".into(),
            ..Schema::default()
        },
    );
    for i in 0..500 {
        let t = table(i);
        a.tables.insert(t.name.clone(), t);
    }
    let mut b = a.clone();
    for (k, t) in b.tables.values_mut().enumerate() {
        if k % 10 != 0 {
            continue;
        }
        match (k / 10) % 5 {
            0 => t.columns.push(column("extra", "text", false, None)),
            1 => t.columns[4].data_type = "numeric(14,2)".into(),
            2 => {
                let n = format!("{}_status_idx", t.name.name);
                let def = format!("CREATE INDEX {n} ON {} USING btree (status)", t.name.sql());
                let mut idx = t.indexes.values().next().cloned().expect("index");
                idx.name = n.clone();
                idx.definition = def;
                t.indexes.insert(n, idx);
            }
            3 => {
                if let Some(p) = t.policies.get_mut("tenant_isolation") {
                    p.using = Some(
                        "(tenant_id = (current_setting('app.tenant'::text, true))::uuid)".into(),
                    );
                }
            }
            _ => t.rls_forced = false,
        }
    }
    (a, b)
}

/// Nanoseconds this thread has spent on a CPU (`/proc/thread-self/schedstat`),
/// so the figure does not depend on how busy a shared machine is.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn bench(c: &mut Criterion) {
    let (a, b) = catalogs();
    if let Some(start) = thread_cpu_ns() {
        const N: u64 = 50;
        for _ in 0..N {
            black_box(diff(black_box(&a), black_box(&b), &[]));
        }
        if let Some(end) = thread_cpu_ns() {
            let ms = (end - start) as f64 / N as f64 / 1e6;
            println!("diff 500 tables, 10% changed: {ms:.2} ms CPU time per diff (mean of {N})");
        }
    }
    let plan = diff(&a, &b, &[]);
    assert!(!plan.is_empty());
    assert!(diff(&a, &a, &[]).is_empty());
    c.bench_function("diff 500 tables, 10% changed", |bench| {
        bench.iter(|| diff(black_box(&a), black_box(&b), &[]))
    });
    c.bench_function("diff 500 tables, identical", |bench| {
        bench.iter(|| diff(black_box(&a), black_box(&a), &[]))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
