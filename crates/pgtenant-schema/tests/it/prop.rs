//! Property test: random small schemas and random mutations of them; every
//! plan converges (the acceptance runner checks both directions).

use crate::acceptance::{check_convergence, Reverse};
use proptest::prelude::*;

const TYPES: &[&str] = &[
    "integer",
    "bigint",
    "text",
    "boolean",
    "numeric(10,2)",
    "timestamptz",
    "status",
];
const ENUM_VALUES: &[&str] = &["a", "b", "c", "d"];

#[derive(Debug, Clone)]
struct Col {
    name: String,
    ty: usize,
    not_null: bool,
    default: bool,
    indexed: bool,
}

#[derive(Debug, Clone)]
struct Tbl {
    name: String,
    cols: Vec<Col>,
    /// Index of an earlier table this one references.
    fk: Option<usize>,
    check: bool,
    rls: bool,
}

#[derive(Debug, Clone)]
struct Schema {
    enum_values: Vec<bool>,
    tables: Vec<Tbl>,
    view: bool,
}

fn default_for(ty: &str) -> &'static str {
    match ty {
        "integer" | "bigint" | "numeric(10,2)" => "0",
        "text" => "''",
        "boolean" => "false",
        "timestamptz" => "now()",
        _ => "'a'",
    }
}

impl Schema {
    fn enum_labels(&self) -> Vec<&'static str> {
        let mut v: Vec<&str> = ENUM_VALUES
            .iter()
            .zip(&self.enum_values)
            .filter(|(_, on)| **on)
            .map(|(l, _)| *l)
            .collect();
        if !v.contains(&"a") {
            v.insert(0, "a");
        }
        v
    }

    fn sql(&self) -> String {
        let labels: Vec<String> = self
            .enum_labels()
            .iter()
            .map(|l| format!("'{l}'"))
            .collect();
        let mut out = format!("CREATE TYPE status AS ENUM ({});\n", labels.join(", "));
        for (i, t) in self.tables.iter().enumerate() {
            // ref_id always exists so toggling the foreign key never moves columns.
            let mut cols = vec![
                "id integer PRIMARY KEY".to_owned(),
                "ref_id integer".to_owned(),
            ];
            for c in &t.cols {
                let ty = TYPES[c.ty];
                let mut d = format!("{} {ty}", c.name);
                if c.default {
                    d.push_str(&format!(" DEFAULT {}", default_for(ty)));
                }
                if c.not_null {
                    d.push_str(" NOT NULL");
                }
                cols.push(d);
            }
            out.push_str(&format!(
                "CREATE TABLE {} (\n  {}\n);\n",
                t.name,
                cols.join(",\n  ")
            ));
            if let Some(j) = t.fk.filter(|j| *j < i) {
                out.push_str(&format!(
                    "ALTER TABLE {0} ADD CONSTRAINT {0}_ref_fk FOREIGN KEY (ref_id) REFERENCES {1}(id);\n",
                    t.name, self.tables[j].name
                ));
            }
            for c in t.cols.iter().filter(|c| c.indexed) {
                out.push_str(&format!(
                    "CREATE INDEX {}_{}_idx ON {} ({});\n",
                    t.name, c.name, t.name, c.name
                ));
            }
            if t.check {
                out.push_str(&format!(
                    "ALTER TABLE {} ADD CONSTRAINT {}_id_check CHECK (id > 0);\n",
                    t.name, t.name
                ));
            }
            if t.rls {
                out.push_str(&format!(
                    "ALTER TABLE {0} ENABLE ROW LEVEL SECURITY;\nCREATE POLICY {0}_p ON {0} USING (id > 0);\n",
                    t.name
                ));
            }
        }
        if self.view {
            if let Some(t) = self.tables.first() {
                let cols: Vec<&str> = t.cols.iter().map(|c| c.name.as_str()).collect();
                let list = if cols.is_empty() {
                    "id".to_owned()
                } else {
                    format!("id, {}", cols.join(", "))
                };
                out.push_str(&format!(
                    "CREATE VIEW v AS SELECT {list} FROM {};\n",
                    t.name
                ));
            }
        }
        out
    }
}

fn col_strategy(name: String) -> impl Strategy<Value = Col> {
    (0..TYPES.len(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        move |(ty, not_null, default, indexed)| Col {
            name: name.clone(),
            ty,
            not_null,
            default,
            indexed,
        },
    )
}

fn table_strategy(i: usize) -> impl Strategy<Value = Tbl> {
    (
        prop::collection::vec(0..1usize, 0..4),
        proptest::option::of(0..4usize),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_flat_map(move |(n, fk, check, rls)| {
            let cols: Vec<_> = (0..n.len())
                .map(|k| col_strategy(format!("c{k}")))
                .collect();
            cols.prop_map(move |cols| Tbl {
                name: format!("t{i}"),
                cols,
                fk,
                check,
                rls,
            })
        })
}

fn schema_strategy() -> impl Strategy<Value = Schema> {
    (
        prop::collection::vec(any::<bool>(), 4),
        1..4usize,
        any::<bool>(),
    )
        .prop_flat_map(|(ev, n, view)| {
            let tables: Vec<_> = (0..n).map(table_strategy).collect();
            tables.prop_map(move |tables| Schema {
                enum_values: ev.clone(),
                tables,
                view,
            })
        })
}

/// One change to a schema; the numbers pick the target.
#[derive(Debug, Clone)]
enum Mutation {
    AddColumn(usize, usize),
    DropColumn(usize),
    ChangeType(usize, usize, usize),
    ToggleNotNull(usize, usize),
    ToggleDefault(usize, usize),
    ToggleIndex(usize, usize),
    ToggleCheck(usize),
    ToggleRls(usize),
    ToggleFk(usize, usize),
    ToggleEnumValue(usize),
    AddTable,
    DropTable(usize),
    ToggleView,
}

fn mutation_strategy() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0..8usize, 0..TYPES.len()).prop_map(|(t, ty)| Mutation::AddColumn(t, ty)),
        (0..8usize).prop_map(Mutation::DropColumn),
        (0..8usize, 0..8usize, 0..TYPES.len())
            .prop_map(|(t, c, ty)| Mutation::ChangeType(t, c, ty)),
        (0..8usize, 0..8usize).prop_map(|(t, c)| Mutation::ToggleNotNull(t, c)),
        (0..8usize, 0..8usize).prop_map(|(t, c)| Mutation::ToggleDefault(t, c)),
        (0..8usize, 0..8usize).prop_map(|(t, c)| Mutation::ToggleIndex(t, c)),
        (0..8usize).prop_map(Mutation::ToggleCheck),
        (0..8usize).prop_map(Mutation::ToggleRls),
        (0..8usize, 0..8usize).prop_map(|(t, r)| Mutation::ToggleFk(t, r)),
        (0..ENUM_VALUES.len()).prop_map(Mutation::ToggleEnumValue),
        Just(Mutation::AddTable),
        (0..8usize).prop_map(Mutation::DropTable),
        Just(Mutation::ToggleView),
    ]
}

fn apply(s: &Schema, muts: &[Mutation]) -> Schema {
    let mut s = s.clone();
    for m in muts {
        let nt = s.tables.len();
        match *m {
            Mutation::AddColumn(t, ty) if nt > 0 => {
                let tbl = &mut s.tables[t % nt];
                let name = format!("c{}", tbl.cols.len() + 10);
                if tbl.cols.iter().all(|c| c.name != name) {
                    tbl.cols.push(Col {
                        name,
                        ty,
                        not_null: false,
                        default: true,
                        indexed: false,
                    });
                }
            }
            Mutation::DropColumn(t) if nt > 0 => {
                // Only the last column: the way back re-adds it at the end,
                // and PostgreSQL cannot put a column anywhere else.
                s.tables[t % nt].cols.pop();
            }
            Mutation::ChangeType(t, c, ty) if nt > 0 => {
                let tbl = &mut s.tables[t % nt];
                if !tbl.cols.is_empty() {
                    let k = c % tbl.cols.len();
                    // Only conversions that work on empty tables with a cast.
                    let from = TYPES[tbl.cols[k].ty];
                    let to = TYPES[ty];
                    let castable = matches!(
                        (from, to),
                        ("integer", "bigint")
                            | ("bigint", "integer")
                            | ("integer", "text")
                            | ("bigint", "text")
                            | ("integer", "numeric(10,2)")
                            | ("status", "text")
                            | ("boolean", "text")
                            | ("numeric(10,2)", "integer")
                    );
                    if castable {
                        tbl.cols[k].ty = ty;
                        tbl.cols[k].default = false;
                    }
                }
            }
            Mutation::ToggleNotNull(t, c) if nt > 0 => {
                let tbl = &mut s.tables[t % nt];
                if !tbl.cols.is_empty() {
                    let k = c % tbl.cols.len();
                    tbl.cols[k].not_null ^= true;
                }
            }
            Mutation::ToggleDefault(t, c) if nt > 0 => {
                let tbl = &mut s.tables[t % nt];
                if !tbl.cols.is_empty() {
                    let k = c % tbl.cols.len();
                    tbl.cols[k].default ^= true;
                }
            }
            Mutation::ToggleIndex(t, c) if nt > 0 => {
                let tbl = &mut s.tables[t % nt];
                if !tbl.cols.is_empty() {
                    let k = c % tbl.cols.len();
                    tbl.cols[k].indexed ^= true;
                }
            }
            Mutation::ToggleCheck(t) if nt > 0 => s.tables[t % nt].check ^= true,
            Mutation::ToggleRls(t) if nt > 0 => s.tables[t % nt].rls ^= true,
            Mutation::ToggleFk(t, r) if nt > 0 => {
                let tbl = &mut s.tables[t % nt];
                tbl.fk = if tbl.fk.is_some() { None } else { Some(r % nt) };
            }
            Mutation::ToggleEnumValue(v) => s.enum_values[v] ^= true,
            Mutation::AddTable => {
                let i = s
                    .tables
                    .iter()
                    .filter_map(|t| t.name[1..].parse::<usize>().ok())
                    .max()
                    .unwrap_or(0)
                    + 1;
                s.tables.push(Tbl {
                    name: format!("t{i}"),
                    cols: vec![],
                    fk: None,
                    check: false,
                    rls: false,
                });
            }
            Mutation::DropTable(t) if nt > 1 => {
                let k = t % nt;
                s.tables.remove(k);
                // References shift; drop those that pointed at or past it.
                for tb in &mut s.tables {
                    if tb.fk.is_some_and(|j| j >= k) {
                        tb.fk = None;
                    }
                }
            }
            Mutation::ToggleView => s.view ^= true,
            _ => {}
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, max_shrink_iters: 10, ..ProptestConfig::default() })]

    #[test]
    fn random_mutations_converge(
        base in schema_strategy(),
        muts in prop::collection::vec(mutation_strategy(), 1..5),
    ) {
        let target = apply(&base, &muts);
        let (old, new) = (base.sql(), target.sql());
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let res = rt.block_on(check_convergence(&old, &new, Reverse::Check));
        prop_assert!(res.is_ok(), "{}\n-- old:\n{old}\n-- new:\n{new}", res.err().unwrap_or_default());
    }
}
