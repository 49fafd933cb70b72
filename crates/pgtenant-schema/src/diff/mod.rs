//! The pure diff: `Catalog × Catalog → Plan`.
//!
//! No I/O, no clock, no randomness: the same two catalogs always give the
//! same plan. Objects are matched by identity (the `BTreeMap` keys); each
//! difference becomes one or more [`Step`]s placed in a [`Phase`]. The plan
//! is the steps sorted by phase (stable, so emission order breaks ties),
//! which gives the dependency order:
//!
//! drops (policies, triggers, views, foreign keys, constraints, indexes,
//! columns, tables, functions, sequences, types, schemas) come first, in
//! reverse dependency order; then creates and alters (schemas, extensions,
//! types, sequences, functions, tables, columns, constraints, unique
//! indexes a foreign key may reference, foreign keys, other indexes, views, triggers, RLS, policies, grants, comments).
//!
//! Views and functions in the same phase are ordered topologically.

mod rename;

use crate::ident::{quote_ident, quote_literal};
use crate::model::*;
use crate::plan::{Hazard, HazardKind, Plan, Step, TxBoundary};
use std::collections::{BTreeMap, BTreeSet};

/// Where a step goes in the plan. Declaration order is plan order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Prelude,
    Rename,
    DropPolicy,
    DropTrigger,
    DropView,
    DropForeignKey,
    DropConstraint,
    DropIndex,
    /// Functions whose signature or body uses a relation (row types,
    /// `BEGIN ATOMIC` bodies): before the relations go.
    DropRelationFunction,
    ColumnPreAlter,
    DropColumn,
    DropTable,
    DropFunction,
    DropSequence,
    /// Types dropped to be created again under the same name.
    DropType,
    CreateSchema,
    CreateExtension,
    Enum,
    Domain,
    Composite,
    Sequence,
    Function,
    CreateTable,
    AlterTable,
    AddColumn,
    AlterColumn,
    AddConstraint,
    /// Unique indexes on plain columns without a predicate: a foreign key
    /// may reference them, so they exist before the foreign keys.
    CreateKeyIndex,
    AddForeignKey,
    CreateIndex,
    SequenceOwnedBy,
    LateFunction,
    CreateView,
    CreateTrigger,
    Rls,
    Policy,
    Grant,
    Comment,
    /// Types that are gone, once no column uses them any more.
    LateDropType,
    FinalDrop,
    DropExtension,
    DropSchema,
}

/// Compute the plan that turns `from` into `to`.
///
/// Rename hints are read from `to.renames`. The result is deterministic.
pub fn diff(from: &Catalog, to: &Catalog) -> Plan {
    // Without hints the current catalog is used as it is (no copy).
    let renamed;
    let (from, rename_steps) = if to.renames.is_empty() {
        (from, Vec::new())
    } else {
        let (cat, steps) = rename::apply_renames(from, to);
        renamed = cat;
        (&renamed, steps)
    };
    let mut d = Differ::new(from, to);
    for s in rename_steps {
        d.steps.push((Phase::Rename, s));
    }
    d.run();
    let mut steps = d.steps;
    steps.sort_by_key(|(p, _)| *p);
    Plan {
        steps: steps.into_iter().map(|(_, s)| s).collect(),
    }
}

struct Differ<'a> {
    from: &'a Catalog,
    to: &'a Catalog,
    steps: Vec<(Phase, Step)>,
    /// Tables dropped (absent from `to`, or recreated).
    dropped_tables: BTreeSet<QualName>,
    /// Tables in both catalogs that are dropped and created again.
    recreated_tables: BTreeSet<QualName>,
    /// Tables whose columns change type or are dropped: views and policies
    /// over them are recreated around the change.
    reshaped_tables: BTreeSet<QualName>,
    /// Enums rebuilt (a value removed or reordered).
    rebuilt_enums: BTreeSet<QualName>,
    /// Functions dropped (removed, or recreated with another result type).
    dropped_functions: BTreeSet<FunctionId>,
    recreated_functions: BTreeSet<FunctionId>,
    /// Views dropped before and created after the rest of the changes.
    recreated_views: BTreeSet<QualName>,
    /// Constraints (table, name) dropped and re-added.
    recreated_constraints: BTreeSet<(QualName, String)>,
}

fn step(sql: impl Into<String>, obj: ObjectRef) -> Step {
    Step {
        sql: sql.into(),
        hazards: Vec::new(),
        objects: vec![obj],
        tx: TxBoundary::None,
    }
}

fn hazard(mut s: Step, kind: HazardKind, msg: impl Into<String>) -> Step {
    s.hazards.push(Hazard::new(kind, msg));
    s
}

fn trim_def(def: &str) -> &str {
    def.trim().trim_end_matches(';').trim_end()
}

/// `COLLATE x`: names PostgreSQL prints qualified or quoted are kept as
/// printed; plain names are quoted.
fn collate_sql(c: &str) -> String {
    // Introspection stores collations SQL-ready (`pg_catalog."C"`).
    c.to_owned()
}

fn grantee_sql(g: &str) -> String {
    if g.eq_ignore_ascii_case("public") {
        "PUBLIC".to_owned()
    } else {
        quote_ident(g)
    }
}

impl<'a> Differ<'a> {
    fn new(from: &'a Catalog, to: &'a Catalog) -> Differ<'a> {
        let mut d = Differ {
            from,
            to,
            steps: Vec::new(),
            dropped_tables: BTreeSet::new(),
            recreated_tables: BTreeSet::new(),
            reshaped_tables: BTreeSet::new(),
            rebuilt_enums: BTreeSet::new(),
            dropped_functions: BTreeSet::new(),
            recreated_functions: BTreeSet::new(),
            recreated_views: BTreeSet::new(),
            recreated_constraints: BTreeSet::new(),
        };
        d.analyse();
        d
    }

    fn push(&mut self, phase: Phase, s: Step) {
        self.steps.push((phase, s));
    }

    // ----------------------------------------------------------------
    // Analysis: what is dropped, recreated, reshaped.

    fn analyse(&mut self) {
        for (name, e) in &self.from.enums {
            if let Some(ne) = self.to.enums.get(name) {
                if !is_subsequence(&e.values, &ne.values) {
                    self.rebuilt_enums.insert(name.clone());
                }
            }
        }
        for (id, f) in &self.from.functions {
            match self.to.functions.get(id) {
                None => {
                    self.dropped_functions.insert(id.clone());
                }
                Some(nf)
                    if nf.returns != f.returns
                        || nf.kind != f.kind
                        || (f.kind == FunctionKind::Aggregate && nf.definition != f.definition) =>
                {
                    self.dropped_functions.insert(id.clone());
                    self.recreated_functions.insert(id.clone());
                }
                _ => {}
            }
        }
        for (name, t) in &self.from.tables {
            match self.to.tables.get(name) {
                None => {
                    self.dropped_tables.insert(name.clone());
                }
                Some(nt) if needs_recreate(t, nt) => {
                    self.dropped_tables.insert(name.clone());
                    self.recreated_tables.insert(name.clone());
                }
                Some(nt) => {
                    if t.partition_of.is_none() && self.table_reshaped(t, nt) {
                        self.reshaped_tables.insert(name.clone());
                    }
                }
            }
        }
        // Partitions of recreated tables are recreated with them.
        loop {
            let extra: Vec<QualName> = self
                .from
                .tables
                .values()
                .filter(|t| {
                    !self.dropped_tables.contains(&t.name)
                        && t.partition_of
                            .as_ref()
                            .is_some_and(|p| self.dropped_tables.contains(&p.parent))
                })
                .map(|t| t.name.clone())
                .collect();
            if extra.is_empty() {
                break;
            }
            for n in extra {
                if self.to.tables.contains_key(&n) {
                    self.recreated_tables.insert(n.clone());
                }
                self.dropped_tables.insert(n);
            }
        }
        self.analyse_views();
        self.analyse_constraints();
    }

    fn table_reshaped(&self, t: &Table, nt: &Table) -> bool {
        t.columns.iter().any(|c| match nt.column(&c.name) {
            None => true,
            Some(nc) => {
                nc.data_type != c.data_type
                    || nc.collation != c.collation
                    || nc.generated != c.generated
                    || self.column_enum_rebuilt(nc)
            }
        })
    }

    fn column_enum_rebuilt(&self, c: &Column) -> bool {
        self.enum_of(&c.data_type)
            .is_some_and(|n| self.rebuilt_enums.contains(n))
    }

    /// The enum a column type names (`public.status` or `public.status[]`).
    fn enum_of(&self, data_type: &str) -> Option<&'a QualName> {
        let base = data_type.trim_end_matches("[]");
        self.to
            .enums
            .keys()
            .find(|n| n.sql() == base || n.name == base && n.schema == "public")
    }

    fn analyse_views(&mut self) {
        let mut set = BTreeSet::new();
        for (name, v) in &self.from.views {
            let Some(nv) = self.to.views.get(name) else {
                continue;
            };
            let changed = nv.materialized != v.materialized
                || trim_def(&nv.definition) != trim_def(&v.definition)
                || nv.columns != v.columns
                || (v.materialized && nv.options != v.options);
            let base_changed = v
                .depends_on
                .iter()
                .any(|d| self.dropped_tables.contains(d) || self.reshaped_tables.contains(d));
            let fn_changed = self
                .dropped_functions
                .iter()
                .any(|f| mentions_function(&v.definition, f));
            if changed || base_changed || fn_changed {
                set.insert(name.clone());
            }
        }
        // Views that depend on recreated or dropped views are recreated too.
        loop {
            let mut grew = false;
            for (name, v) in &self.from.views {
                if set.contains(name) || !self.to.views.contains_key(name) {
                    continue;
                }
                if v.depends_on.iter().any(|d| {
                    set.contains(d)
                        || (self.from.views.contains_key(d) && !self.to.views.contains_key(d))
                }) {
                    set.insert(name.clone());
                    grew = true;
                }
            }
            if !grew {
                break;
            }
        }
        self.recreated_views = set;
    }

    /// Foreign keys whose referenced key is dropped or rebuilt must be
    /// dropped first and re-added afterwards.
    fn analyse_constraints(&mut self) {
        let mut rebuilt_keys: BTreeSet<QualName> = BTreeSet::new();
        for (name, t) in &self.from.tables {
            if self.dropped_tables.contains(name) {
                continue;
            }
            let Some(nt) = self.to.tables.get(name) else {
                continue;
            };
            for (cn, c) in &t.constraints {
                if matches!(c.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique)
                    && nt
                        .constraints
                        .get(cn)
                        .is_none_or(|n| n.definition != c.definition)
                {
                    rebuilt_keys.insert(name.clone());
                }
            }
            for (iname, i) in &t.indexes {
                if i.unique
                    && nt
                        .indexes
                        .get(iname)
                        .is_none_or(|n| n.definition != i.definition)
                {
                    rebuilt_keys.insert(name.clone());
                }
            }
        }
        for (name, t) in &self.from.tables {
            if self.dropped_tables.contains(name) {
                continue;
            }
            let Some(nt) = self.to.tables.get(name) else {
                continue;
            };
            for (cn, c) in &t.constraints {
                let Some(nc) = nt.constraints.get(cn) else {
                    continue;
                };
                if c.kind != ConstraintKind::ForeignKey || nc.definition != c.definition {
                    continue;
                }
                if let Some(r) = &c.references {
                    if rebuilt_keys.contains(&r.table) || self.dropped_tables.contains(&r.table) {
                        self.recreated_constraints
                            .insert((name.clone(), cn.clone()));
                    }
                }
            }
        }
    }

    // ----------------------------------------------------------------

    fn run(&mut self) {
        self.schemas();
        self.extensions();
        self.enums();
        self.domains();
        self.composites();
        self.sequences();
        self.functions();
        self.tables();
        self.views();
    }

    // ---------------------------------------------------------------- schemas

    fn schemas(&mut self) {
        let (from, to) = (self.from, self.to);
        for (name, s) in &from.schemas {
            if !to.schemas.contains_key(name) {
                let q = quote_ident(name);
                self.push(
                    Phase::DropSchema,
                    step(
                        format!("DROP SCHEMA {q}"),
                        ObjectRef::Schema { name: name.clone() },
                    ),
                );
                let _ = s;
            }
        }
        for (name, s) in &to.schemas {
            let q = quote_ident(name);
            let obj = ObjectRef::Schema { name: name.clone() };
            let old = from.schemas.get(name);
            if old.is_none() {
                self.push(
                    Phase::CreateSchema,
                    step(format!("CREATE SCHEMA {q}"), obj.clone()),
                );
            }
            let old_grants = old.map(|o| o.grants.as_slice()).unwrap_or(&[]);
            self.grants(
                &format!("SCHEMA {q}"),
                old_grants,
                &s.grants,
                &obj,
                &format!("schema {name}"),
            );
            let old_comment = old.and_then(|o| o.comment.as_ref());
            self.comment(
                || format!("SCHEMA {q}"),
                old_comment,
                s.comment.as_ref(),
                &obj,
            );
        }
    }

    // ---------------------------------------------------------------- extensions

    fn extensions(&mut self) {
        let (from, to) = (self.from, self.to);
        for (name, e) in &from.extensions {
            if !to.extensions.contains_key(name) {
                self.push(
                    Phase::DropExtension,
                    step(
                        format!("DROP EXTENSION {}", quote_ident(&e.name)),
                        ObjectRef::Extension { name: name.clone() },
                    ),
                );
            }
        }
        for (name, e) in &to.extensions {
            let obj = ObjectRef::Extension { name: name.clone() };
            match from.extensions.get(name) {
                None => self.push(
                    Phase::CreateExtension,
                    step(
                        format!(
                            "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {}",
                            quote_ident(&e.name),
                            quote_ident(&e.schema)
                        ),
                        obj,
                    ),
                ),
                Some(old) if old.schema != e.schema => self.push(
                    Phase::CreateExtension,
                    step(
                        format!(
                            "ALTER EXTENSION {} SET SCHEMA {}",
                            quote_ident(&e.name),
                            quote_ident(&e.schema)
                        ),
                        obj,
                    ),
                ),
                Some(_) => {}
            }
        }
    }

    // ---------------------------------------------------------------- enums

    fn enums(&mut self) {
        let (from, to) = (self.from, self.to);
        for name in from.enums.keys() {
            if !to.enums.contains_key(name) {
                self.push(
                    Phase::LateDropType,
                    step(
                        format!("DROP TYPE {}", name.sql()),
                        ObjectRef::Type { name: name.clone() },
                    ),
                );
            }
        }
        let mut last_add: Option<usize> = None;
        for (name, e) in &to.enums {
            let obj = ObjectRef::Type { name: name.clone() };
            let create = |n: &QualName| {
                let vals: Vec<String> = e.values.iter().map(|v| quote_literal(v)).collect();
                format!("CREATE TYPE {} AS ENUM ({})", n.sql(), vals.join(", "))
            };
            match from.enums.get(name) {
                None => {
                    self.push(Phase::Enum, step(create(name), obj.clone()));
                    self.comment(
                        || format!("TYPE {}", name.sql()),
                        None,
                        e.comment.as_ref(),
                        &obj,
                    );
                }
                Some(old) if self.rebuilt_enums.contains(name) => {
                    let removed: Vec<&String> = old
                        .values
                        .iter()
                        .filter(|v| !e.values.contains(v))
                        .collect();
                    let tmp =
                        QualName::new(name.schema.clone(), format!("{}__pgtenant_old", name.name));
                    let mut s = step(
                        format!(
                            "ALTER TYPE {} RENAME TO {}",
                            name.sql(),
                            quote_ident(&tmp.name)
                        ),
                        obj.clone(),
                    );
                    let msg = if removed.is_empty() {
                        format!("reordering the values of enum {name}: every column of this type is rewritten")
                    } else {
                        let r: Vec<String> = removed.iter().map(|v| quote_literal(v)).collect();
                        format!(
                            "removing value(s) {} from enum {name}: rows holding them make the conversion fail",
                            r.join(", ")
                        )
                    };
                    if !removed.is_empty() {
                        s = hazard(s, HazardKind::DeletesData, msg.clone());
                    }
                    s = hazard(s, HazardKind::RewritesTable, msg);
                    self.push(Phase::Enum, s);
                    self.push(Phase::Enum, step(create(name), obj.clone()));
                    self.push(
                        Phase::FinalDrop,
                        step(
                            format!("DROP TYPE {}", tmp.sql()),
                            ObjectRef::Type { name: tmp.clone() },
                        ),
                    );
                    // The recreated type has no comment yet.
                    self.comment(
                        || format!("TYPE {}", name.sql()),
                        None,
                        e.comment.as_ref(),
                        &obj,
                    );
                }
                Some(old) => {
                    // Only additions: ADD VALUE in place, in order.
                    let mut present: Vec<&String> = old.values.iter().collect();
                    for (i, v) in e.values.iter().enumerate() {
                        if present.contains(&v) {
                            continue;
                        }
                        let pos = if i > 0 {
                            format!(" AFTER {}", quote_literal(&e.values[i - 1]))
                        } else if let Some(first) = present.first() {
                            format!(" BEFORE {}", quote_literal(first))
                        } else {
                            String::new()
                        };
                        self.push(
                            Phase::Enum,
                            step(
                                format!(
                                    "ALTER TYPE {} ADD VALUE {}{pos}",
                                    name.sql(),
                                    quote_literal(v)
                                ),
                                obj.clone(),
                            ),
                        );
                        last_add = Some(self.steps.len() - 1);
                        present.push(v);
                    }
                    self.comment(
                        || format!("TYPE {}", name.sql()),
                        old.comment.as_ref(),
                        e.comment.as_ref(),
                        &obj,
                    );
                }
            }
        }
        if let Some(i) = last_add {
            self.steps[i].1.tx = TxBoundary::CommitAfter;
        }
    }

    // ---------------------------------------------------------------- domains

    fn domains(&mut self) {
        let (from, to) = (self.from, self.to);
        for (name, d) in &from.domains {
            let recreate = to
                .domains
                .get(name)
                .is_some_and(|n| n.base_type != d.base_type || n.collation != d.collation);
            if !to.domains.contains_key(name) || recreate {
                let phase = if recreate {
                    Phase::DropType
                } else {
                    Phase::LateDropType
                };
                self.push(
                    phase,
                    step(
                        format!("DROP DOMAIN {}", name.sql()),
                        ObjectRef::Type { name: name.clone() },
                    ),
                );
            }
        }
        for (name, d) in &to.domains {
            let obj = ObjectRef::Type { name: name.clone() };
            let q = name.sql();
            let old = from
                .domains
                .get(name)
                .filter(|o| o.base_type == d.base_type && o.collation == d.collation);
            match old {
                None => {
                    let mut sql = format!("CREATE DOMAIN {q} AS {}", d.base_type);
                    if let Some(c) = &d.collation {
                        sql.push_str(&format!(" COLLATE {}", collate_sql(c)));
                    }
                    if let Some(def) = &d.default {
                        sql.push_str(&format!(" DEFAULT {def}"));
                    }
                    if d.not_null {
                        sql.push_str(" NOT NULL");
                    }
                    for (cn, check) in &d.checks {
                        sql.push_str(&format!(" CONSTRAINT {} {check}", quote_ident(cn)));
                    }
                    self.push(Phase::Domain, step(sql, obj.clone()));
                    self.comment(|| format!("DOMAIN {q}"), None, d.comment.as_ref(), &obj);
                }
                Some(o) => {
                    if o.default != d.default {
                        let sql = match &d.default {
                            Some(def) => format!("ALTER DOMAIN {q} SET DEFAULT {def}"),
                            None => format!("ALTER DOMAIN {q} DROP DEFAULT"),
                        };
                        self.push(Phase::Domain, step(sql, obj.clone()));
                    }
                    if o.not_null != d.not_null {
                        let sql = if d.not_null {
                            format!("ALTER DOMAIN {q} SET NOT NULL")
                        } else {
                            format!("ALTER DOMAIN {q} DROP NOT NULL")
                        };
                        self.push(Phase::Domain, step(sql, obj.clone()));
                    }
                    for (cn, check) in &o.checks {
                        if d.checks.get(cn) != Some(check) {
                            self.push(
                                Phase::Domain,
                                step(
                                    format!("ALTER DOMAIN {q} DROP CONSTRAINT {}", quote_ident(cn)),
                                    obj.clone(),
                                ),
                            );
                        }
                    }
                    for (cn, check) in &d.checks {
                        if o.checks.get(cn) != Some(check) {
                            let s = step(
                                format!(
                                    "ALTER DOMAIN {q} ADD CONSTRAINT {} {check}",
                                    quote_ident(cn)
                                ),
                                obj.clone(),
                            );
                            let s = hazard(
                                s,
                                HazardKind::AccessExclusiveLock,
                                format!("adding check {cn} to domain {name} validates every column using it"),
                            );
                            self.push(Phase::Domain, s);
                        }
                    }
                    self.comment(
                        || format!("DOMAIN {q}"),
                        o.comment.as_ref(),
                        d.comment.as_ref(),
                        &obj,
                    );
                }
            }
        }
    }

    // ---------------------------------------------------------------- composite types

    fn composites(&mut self) {
        let (from, to) = (self.from, self.to);
        for name in from.composite_types.keys() {
            if !to.composite_types.contains_key(name) {
                self.push(
                    Phase::LateDropType,
                    step(
                        format!("DROP TYPE {}", name.sql()),
                        ObjectRef::Type { name: name.clone() },
                    ),
                );
            }
        }
        for (name, c) in &to.composite_types {
            let obj = ObjectRef::Type { name: name.clone() };
            let q = name.sql();
            match from.composite_types.get(name) {
                None => {
                    let attrs: Vec<String> = c
                        .attributes
                        .iter()
                        .map(|(n, t)| format!("{} {t}", quote_ident(n)))
                        .collect();
                    self.push(
                        Phase::Composite,
                        step(
                            format!("CREATE TYPE {q} AS ({})", attrs.join(", ")),
                            obj.clone(),
                        ),
                    );
                    self.comment(|| format!("TYPE {q}"), None, c.comment.as_ref(), &obj);
                }
                Some(o) => {
                    for (an, _) in &o.attributes {
                        if !c.attributes.iter().any(|(n, _)| n == an) {
                            self.push(
                                Phase::Composite,
                                step(
                                    format!("ALTER TYPE {q} DROP ATTRIBUTE {}", quote_ident(an)),
                                    obj.clone(),
                                ),
                            );
                        }
                    }
                    for (an, at) in &c.attributes {
                        match o.attributes.iter().find(|(n, _)| n == an) {
                            None => self.push(
                                Phase::Composite,
                                step(
                                    format!(
                                        "ALTER TYPE {q} ADD ATTRIBUTE {} {at}",
                                        quote_ident(an)
                                    ),
                                    obj.clone(),
                                ),
                            ),
                            Some((_, ot)) if ot != at => self.push(
                                Phase::Composite,
                                step(
                                    format!(
                                        "ALTER TYPE {q} ALTER ATTRIBUTE {} TYPE {at}",
                                        quote_ident(an)
                                    ),
                                    obj.clone(),
                                ),
                            ),
                            Some(_) => {}
                        }
                    }
                    self.comment(
                        || format!("TYPE {q}"),
                        o.comment.as_ref(),
                        c.comment.as_ref(),
                        &obj,
                    );
                }
            }
        }
    }

    // ---------------------------------------------------------------- sequences

    fn sequences(&mut self) {
        let (from, to) = (self.from, self.to);
        for (name, s) in &from.sequences {
            if to.sequences.contains_key(name) {
                continue;
            }
            // Sequences owned by a dropped table or column go with it.
            if let Some((t, c)) = &s.owned_by {
                let col_dropped = self.dropped_tables.contains(t)
                    || to.tables.get(t).is_none_or(|nt| nt.column(c).is_none());
                if col_dropped {
                    continue;
                }
            }
            let st = step(
                format!("DROP SEQUENCE {}", name.sql()),
                ObjectRef::Sequence { name: name.clone() },
            );
            let st = hazard(
                st,
                HazardKind::DeletesData,
                format!("dropping sequence {name} loses its current value"),
            );
            self.push(Phase::DropSequence, st);
        }
        for (name, s) in &to.sequences {
            let obj = ObjectRef::Sequence { name: name.clone() };
            let q = name.sql();
            // A sequence owned by a table that is recreated is dropped with it.
            let owner_recreated = from
                .sequences
                .get(name)
                .and_then(|o| o.owned_by.as_ref())
                .is_some_and(|(t, _)| self.dropped_tables.contains(t));
            let old = from.sequences.get(name).filter(|_| !owner_recreated);
            match old {
                None => {
                    let sql = format!(
                        "CREATE SEQUENCE {q} AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {}{}",
                        s.data_type,
                        s.increment,
                        s.min_value,
                        s.max_value,
                        s.start,
                        s.cache,
                        if s.cycle { " CYCLE" } else { " NO CYCLE" }
                    );
                    self.push(Phase::Sequence, step(sql, obj.clone()));
                    if let Some((t, c)) = &s.owned_by {
                        self.push(
                            Phase::SequenceOwnedBy,
                            step(
                                format!(
                                    "ALTER SEQUENCE {q} OWNED BY {}.{}",
                                    t.sql(),
                                    quote_ident(c)
                                ),
                                obj.clone(),
                            ),
                        );
                    }
                    self.grants(
                        &format!("SEQUENCE {q}"),
                        &[],
                        &s.grants,
                        &obj,
                        &format!("sequence {name}"),
                    );
                    self.comment(|| format!("SEQUENCE {q}"), None, s.comment.as_ref(), &obj);
                }
                Some(o) => {
                    let mut parts = Vec::new();
                    if o.data_type != s.data_type {
                        parts.push(format!("AS {}", s.data_type));
                    }
                    if o.increment != s.increment {
                        parts.push(format!("INCREMENT BY {}", s.increment));
                    }
                    if o.min_value != s.min_value {
                        parts.push(format!("MINVALUE {}", s.min_value));
                    }
                    if o.max_value != s.max_value {
                        parts.push(format!("MAXVALUE {}", s.max_value));
                    }
                    if o.start != s.start {
                        parts.push(format!("START WITH {}", s.start));
                    }
                    if o.cache != s.cache {
                        parts.push(format!("CACHE {}", s.cache));
                    }
                    if o.cycle != s.cycle {
                        parts.push(if s.cycle {
                            "CYCLE".into()
                        } else {
                            "NO CYCLE".into()
                        });
                    }
                    if !parts.is_empty() {
                        self.push(
                            Phase::Sequence,
                            step(
                                format!("ALTER SEQUENCE {q} {}", parts.join(" ")),
                                obj.clone(),
                            ),
                        );
                    }
                    if o.owned_by != s.owned_by {
                        let sql = match &s.owned_by {
                            Some((t, c)) => format!(
                                "ALTER SEQUENCE {q} OWNED BY {}.{}",
                                t.sql(),
                                quote_ident(c)
                            ),
                            None => format!("ALTER SEQUENCE {q} OWNED BY NONE"),
                        };
                        self.push(Phase::SequenceOwnedBy, step(sql, obj.clone()));
                    }
                    self.grants(
                        &format!("SEQUENCE {q}"),
                        &o.grants,
                        &s.grants,
                        &obj,
                        &format!("sequence {name}"),
                    );
                    self.comment(
                        || format!("SEQUENCE {q}"),
                        o.comment.as_ref(),
                        s.comment.as_ref(),
                        &obj,
                    );
                }
            }
        }
    }

    // ---------------------------------------------------------------- functions

    fn functions(&mut self) {
        let (from, to) = (self.from, self.to);
        let mut prelude = false;
        // Dependents (aggregates over their state functions, BEGIN ATOMIC
        // callers) are dropped first.
        let drop_order = topo(self.dropped_functions.iter().cloned().collect(), |id| {
            from.functions[id]
                .depends_on
                .iter()
                .filter_map(|d| match d {
                    ObjectRef::Function { id } => Some(id.clone()),
                    _ => None,
                })
                .collect()
        });
        for id in drop_order.into_iter().rev() {
            let f = &from.functions[&id];
            let kw = routine_kw(f.kind);
            let phase = if f.depends_on.iter().any(|d| {
                matches!(
                    d,
                    ObjectRef::Table { .. } | ObjectRef::View { .. } | ObjectRef::Column { .. }
                )
            }) {
                Phase::DropRelationFunction
            } else {
                Phase::DropFunction
            };
            self.push(
                phase,
                step(
                    format!("DROP {kw} {}", id.sql()),
                    ObjectRef::Function { id: id.clone() },
                ),
            );
        }
        // Creates in dependency order (functions calling functions in
        // BEGIN ATOMIC bodies).
        let order = topo(to.functions.keys().cloned().collect(), |id| {
            to.functions[id]
                .depends_on
                .iter()
                .filter_map(|d| match d {
                    ObjectRef::Function { id } => Some(id.clone()),
                    _ => None,
                })
                .collect()
        });
        for id in order {
            let f = &to.functions[&id];
            let obj = ObjectRef::Function { id: id.clone() };
            // GRANT and COMMENT name aggregates as functions.
            let kw = match f.kind {
                FunctionKind::Procedure => "PROCEDURE",
                _ => "FUNCTION",
            };
            let target = format!("{kw} {}", id.sql());
            let comment_target = format!("{} {}", routine_kw(f.kind), id.sql());
            let old = from
                .functions
                .get(&id)
                .filter(|_| !self.recreated_functions.contains(&id));
            // Bodies that PostgreSQL parses at creation and that read
            // relations must come after tables and views.
            let phase = if f.depends_on.iter().any(|d| {
                !matches!(
                    d,
                    ObjectRef::Function { .. }
                        | ObjectRef::Type { .. }
                        | ObjectRef::Extension { .. }
                        | ObjectRef::Schema { .. }
                )
            }) {
                Phase::LateFunction
            } else {
                Phase::Function
            };
            if f.definition.trim().is_empty() {
                continue;
            }
            match old {
                None => {
                    if f.language == "sql" && phase == Phase::Function {
                        prelude = true;
                    }
                    self.push(phase, step(trim_def(&f.definition).to_owned(), obj.clone()));
                    self.grants_fn(&target, None, f, &obj);
                    self.comment(|| comment_target.clone(), None, f.comment.as_ref(), &obj);
                }
                Some(o) => {
                    if trim_def(&o.definition) != trim_def(&f.definition) {
                        if f.language == "sql" && phase == Phase::Function {
                            prelude = true;
                        }
                        self.push(phase, step(trim_def(&f.definition).to_owned(), obj.clone()));
                    }
                    self.grants_fn(&target, Some(o), f, &obj);
                    self.comment(
                        || comment_target.clone(),
                        o.comment.as_ref(),
                        f.comment.as_ref(),
                        &obj,
                    );
                }
            }
        }
        if prelude {
            self.push(
                Phase::Prelude,
                step(
                    "SET check_function_bodies = off",
                    ObjectRef::Schema {
                        name: "public".into(),
                    },
                ),
            );
            if let Some(last) = self.steps.last_mut() {
                last.1.objects.clear();
            }
        }
    }

    fn grants_fn(&mut self, target: &str, old: Option<&Function>, f: &Function, obj: &ObjectRef) {
        // A new routine starts with PostgreSQL's default ACL: EXECUTE to PUBLIC.
        let default = [Grant {
            grantee: "PUBLIC".into(),
            privilege: "EXECUTE".into(),
            with_grant_option: false,
        }];
        let old_grants = old.map(|o| o.grants.as_slice()).unwrap_or(&default);
        self.grants(
            target,
            old_grants,
            &f.grants,
            obj,
            &format!("function {}", f.id),
        );
    }

    // ---------------------------------------------------------------- tables

    fn tables(&mut self) {
        let (from, to) = (self.from, self.to);
        // Drops: foreign keys of dropped tables first (cycles), then
        // partitions before their parents.
        let dropped: Vec<QualName> = self.dropped_tables.iter().cloned().collect();
        for name in &dropped {
            let t = &from.tables[name];
            for (cn, c) in &t.constraints {
                if c.kind == ConstraintKind::ForeignKey && !c.inherited {
                    self.push(
                        Phase::DropForeignKey,
                        step(
                            format!(
                                "ALTER TABLE {} DROP CONSTRAINT {}",
                                name.sql(),
                                quote_ident(cn)
                            ),
                            ObjectRef::Constraint {
                                table: name.clone(),
                                name: cn.clone(),
                            },
                        ),
                    );
                }
            }
        }
        let depth = |t: &Table, cat: &Catalog| {
            let mut d = 0usize;
            let mut cur = t.partition_of.as_ref().map(|p| p.parent.clone());
            while let Some(p) = cur {
                d += 1;
                cur = cat
                    .tables
                    .get(&p)
                    .and_then(|pt| pt.partition_of.as_ref().map(|pp| pp.parent.clone()));
                if d > 64 {
                    break;
                }
            }
            d
        };
        let mut drop_order = dropped.clone();
        drop_order.sort_by_key(|n| std::cmp::Reverse(depth(&from.tables[n], from)));
        for name in &drop_order {
            let t = &from.tables[name];
            // A partition whose parent is dropped goes with the parent only
            // if dropped first; dropping it explicitly keeps the order simple.
            let s = step(
                format!("DROP TABLE {}", name.sql()),
                ObjectRef::Table { name: name.clone() },
            );
            let s = if self.recreated_tables.contains(name) {
                hazard(
                    s,
                    HazardKind::DeletesData,
                    format!(
                        "recreating table {name} (its partitioning changes): its rows are lost"
                    ),
                )
            } else {
                hazard(s, HazardKind::DeletesData, format!("dropping table {name}"))
            };
            let _ = t;
            self.push(Phase::DropTable, s);
        }
        // Creates: parents before partitions.
        let mut create: Vec<&Table> = to
            .tables
            .values()
            .filter(|t| {
                !from.tables.contains_key(&t.name) || self.recreated_tables.contains(&t.name)
            })
            .collect();
        create.sort_by_key(|t| depth(t, to));
        for t in create {
            self.create_table(t);
        }
        for (name, nt) in &to.tables {
            if let Some(t) = from.tables.get(name) {
                if !self.recreated_tables.contains(name) {
                    self.alter_table(t, nt);
                }
            }
        }
    }

    fn column_def(&self, c: &Column) -> String {
        let mut s = format!("{} {}", quote_ident(&c.name), c.data_type);
        if let Some(coll) = &c.collation {
            s.push_str(&format!(" COLLATE {}", collate_sql(coll)));
        }
        if let Some(g) = &c.generated {
            s.push_str(&format!(" GENERATED ALWAYS AS ({g}) STORED"));
        }
        if let Some(id) = &c.identity {
            s.push_str(&format!(" {}", identity_clause(id)));
        }
        if let Some(d) = &c.default {
            s.push_str(&format!(" DEFAULT {d}"));
        }
        if c.not_null {
            s.push_str(" NOT NULL");
        }
        s
    }

    fn create_table(&mut self, t: &Table) {
        let q = t.name.sql();
        let obj = ObjectRef::Table {
            name: t.name.clone(),
        };
        let mut sql = String::from("CREATE ");
        if t.unlogged {
            sql.push_str("UNLOGGED ");
        }
        sql.push_str("TABLE ");
        sql.push_str(&q);
        let parent = t
            .partition_of
            .as_ref()
            .and_then(|p| self.to.tables.get(&p.parent).map(|pt| (p, pt)));
        if let Some((p, pt)) = parent {
            sql.push_str(&format!(" PARTITION OF {}", p.parent.sql()));
            // Columns that differ from the parent's (defaults, NOT NULL).
            let mut extra = Vec::new();
            for c in &t.columns {
                if let Some(pc) = pt.column(&c.name) {
                    let mut opts = Vec::new();
                    if c.default != pc.default {
                        if let Some(d) = &c.default {
                            opts.push(format!("DEFAULT {d}"));
                        }
                    }
                    if c.not_null && !pc.not_null {
                        opts.push("NOT NULL".to_owned());
                    }
                    if !opts.is_empty() {
                        extra.push(format!(
                            "{} WITH OPTIONS {}",
                            quote_ident(&c.name),
                            opts.join(" ")
                        ));
                    }
                }
            }
            if !extra.is_empty() {
                sql.push_str(&format!(" (\n    {}\n)", extra.join(",\n    ")));
            }
            sql.push_str(&format!(" {}", p.bound));
        } else {
            let cols: Vec<String> = t.columns.iter().map(|c| self.column_def(c)).collect();
            if cols.is_empty() {
                sql.push_str(" ()");
            } else {
                sql.push_str(&format!(" (\n    {}\n)", cols.join(",\n    ")));
            }
        }
        if let Some(k) = &t.partition_key {
            sql.push_str(&format!(" PARTITION BY {k}"));
        }
        if !t.options.is_empty() {
            sql.push_str(&format!(" WITH ({})", t.options.join(", ")));
        }
        self.push(Phase::CreateTable, step(sql, obj.clone()));
        let empty = Table {
            name: t.name.clone(),
            owner: String::new(),
            kind: t.kind,
            partition_key: t.partition_key.clone(),
            partition_of: t.partition_of.clone(),
            unlogged: t.unlogged,
            columns: t
                .columns
                .iter()
                .map(|c| Column {
                    comment: None,
                    grants: Vec::new(),
                    ..c.clone()
                })
                .collect(),
            constraints: BTreeMap::new(),
            indexes: BTreeMap::new(),
            triggers: BTreeMap::new(),
            policies: BTreeMap::new(),
            rls_enabled: false,
            rls_forced: false,
            options: t.options.clone(),
            comment: None,
            grants: Vec::new(),
        };
        self.table_children(&empty, t, TableState::New);
    }

    fn alter_table(&mut self, t: &Table, nt: &Table) {
        let name = &nt.name;
        let q = name.sql();
        let obj = ObjectRef::Table { name: name.clone() };
        // Partition attach / detach / bound change.
        if t.partition_of != nt.partition_of {
            if let Some(p) = &t.partition_of {
                self.push(
                    Phase::AlterTable,
                    step(
                        format!("ALTER TABLE {} DETACH PARTITION {q}", p.parent.sql()),
                        obj.clone(),
                    ),
                );
            }
            if let Some(p) = &nt.partition_of {
                let s = step(
                    format!(
                        "ALTER TABLE {} ATTACH PARTITION {q} {}",
                        p.parent.sql(),
                        p.bound
                    ),
                    obj.clone(),
                );
                let s = hazard(
                    s,
                    HazardKind::AccessExclusiveLock,
                    format!("attaching partition {name} scans it to validate the bound"),
                );
                self.push(Phase::AlterTable, s);
            }
        }
        if t.unlogged != nt.unlogged {
            let s = step(
                format!(
                    "ALTER TABLE {q} SET {}",
                    if nt.unlogged { "UNLOGGED" } else { "LOGGED" }
                ),
                obj.clone(),
            );
            let s = hazard(
                s,
                HazardKind::RewritesTable,
                format!("changing the persistence of table {name} rewrites it"),
            );
            self.push(Phase::AlterTable, s);
        }
        self.reloptions(
            Phase::AlterTable,
            &format!("TABLE {q}"),
            &t.options,
            &nt.options,
            &obj,
        );
        if nt.partition_of.is_none() || t.partition_of.is_none() {
            self.columns(t, nt);
        }
        self.table_children(t, nt, TableState::Existing);
    }

    fn columns(&mut self, t: &Table, nt: &Table) {
        let name = &nt.name;
        let q = name.sql();
        for c in &t.columns {
            if nt.column(&c.name).is_none() {
                let s = step(
                    format!("ALTER TABLE {q} DROP COLUMN {}", quote_ident(&c.name)),
                    ObjectRef::Column {
                        table: name.clone(),
                        column: c.name.clone(),
                    },
                );
                let s = hazard(
                    s,
                    HazardKind::DeletesData,
                    format!("dropping column {name}.{}", c.name),
                );
                self.push(Phase::DropColumn, s);
            }
        }
        for nc in &nt.columns {
            let cq = quote_ident(&nc.name);
            let cobj = ObjectRef::Column {
                table: name.clone(),
                column: nc.name.clone(),
            };
            let Some(c) = t.column(&nc.name) else {
                let mut s = step(
                    format!("ALTER TABLE {q} ADD COLUMN {}", self.column_def(nc)),
                    cobj.clone(),
                );
                if nc.generated.is_some()
                    || nc
                        .default
                        .as_deref()
                        .is_some_and(|d| self.is_volatile_default(d))
                {
                    s = hazard(
                        s,
                        HazardKind::RewritesTable,
                        format!("adding column {name}.{} fills every row", nc.name),
                    );
                }
                if nc.not_null
                    && nc.default.is_none()
                    && nc.identity.is_none()
                    && nc.generated.is_none()
                {
                    s = hazard(
                        s,
                        HazardKind::AccessExclusiveLock,
                        format!("adding NOT NULL column {name}.{} without a default fails if the table has rows", nc.name),
                    );
                }
                self.push(Phase::AddColumn, s);
                if let Some(cm) = &nc.comment {
                    self.push(
                        Phase::Comment,
                        step(
                            format!("COMMENT ON COLUMN {q}.{cq} IS {}", quote_literal(cm)),
                            cobj.clone(),
                        ),
                    );
                }
                self.column_grants(name, &nc.name, &[], &nc.grants);
                continue;
            };
            // Generated expression changes: PostgreSQL can only drop the
            // expression in place; a new or changed expression needs the
            // column to be recreated.
            if c.generated != nc.generated {
                if nc.generated.is_none() {
                    self.push(
                        Phase::ColumnPreAlter,
                        step(
                            format!("ALTER TABLE {q} ALTER COLUMN {cq} DROP EXPRESSION"),
                            cobj.clone(),
                        ),
                    );
                } else {
                    let s = step(format!("ALTER TABLE {q} DROP COLUMN {cq}"), cobj.clone());
                    let s = hazard(
                        s,
                        HazardKind::DeletesData,
                        format!("recreating column {name}.{} to change its generation expression: its current values are lost", nc.name),
                    );
                    self.push(Phase::DropColumn, s);
                    let s = step(
                        format!("ALTER TABLE {q} ADD COLUMN {}", self.column_def(nc)),
                        cobj.clone(),
                    );
                    let s = hazard(
                        s,
                        HazardKind::RewritesTable,
                        format!(
                            "adding generated column {name}.{} computes every row",
                            nc.name
                        ),
                    );
                    self.push(Phase::AddColumn, s);
                    if let Some(cm) = &nc.comment {
                        self.push(
                            Phase::Comment,
                            step(
                                format!("COMMENT ON COLUMN {q}.{cq} IS {}", quote_literal(cm)),
                                cobj.clone(),
                            ),
                        );
                    }
                    self.column_grants(name, &nc.name, &[], &nc.grants);
                    continue;
                }
            }
            let enum_rebuilt = self.column_enum_rebuilt(nc);
            let type_changed =
                c.data_type != nc.data_type || c.collation != nc.collation || enum_rebuilt;
            // Identity removed or changed kind is dropped first (serial and
            // identity sequences may share a name).
            if c.identity.is_some() && nc.identity.is_none() {
                self.push(
                    Phase::ColumnPreAlter,
                    step(
                        format!("ALTER TABLE {q} ALTER COLUMN {cq} DROP IDENTITY"),
                        cobj.clone(),
                    ),
                );
            }
            let default_changed = c.default != nc.default;
            if c.default.is_some() && (default_changed || type_changed) {
                self.push(
                    Phase::ColumnPreAlter,
                    step(
                        format!("ALTER TABLE {q} ALTER COLUMN {cq} DROP DEFAULT"),
                        cobj.clone(),
                    ),
                );
            }
            if type_changed {
                let mut sql = format!("ALTER TABLE {q} ALTER COLUMN {cq} TYPE {}", nc.data_type);
                if let Some(coll) = &nc.collation {
                    sql.push_str(&format!(" COLLATE {}", collate_sql(coll)));
                }
                if enum_rebuilt || c.data_type != nc.data_type {
                    let via = if enum_rebuilt {
                        if nc.data_type.ends_with("[]") {
                            "::text[]"
                        } else {
                            "::text"
                        }
                    } else {
                        ""
                    };
                    sql.push_str(&format!(" USING {cq}{via}::{}", nc.data_type));
                }
                let mut s = step(sql, cobj.clone());
                if !is_binary_coercible(&c.data_type, &nc.data_type) || enum_rebuilt {
                    let msg = format!(
                        "changing the type of column {name}.{} from {} to {} rewrites the table",
                        nc.name, c.data_type, nc.data_type
                    );
                    s = hazard(s, HazardKind::RewritesTable, msg.clone());
                    s = hazard(s, HazardKind::AccessExclusiveLock, msg);
                }
                self.push(Phase::AlterColumn, s);
            }
            if !c.not_null && nc.not_null {
                let s = step(
                    format!("ALTER TABLE {q} ALTER COLUMN {cq} SET NOT NULL"),
                    cobj.clone(),
                );
                let s = hazard(
                    s,
                    HazardKind::AccessExclusiveLock,
                    format!(
                        "setting NOT NULL on {name}.{} scans the table under an exclusive lock",
                        nc.name
                    ),
                );
                self.push(Phase::AlterColumn, s);
            }
            match (&c.identity, &nc.identity) {
                (None, Some(id)) => {
                    self.push(
                        Phase::AlterColumn,
                        step(
                            format!(
                                "ALTER TABLE {q} ALTER COLUMN {cq} ADD {}",
                                identity_clause(id)
                            ),
                            cobj.clone(),
                        ),
                    );
                }
                (Some(o), Some(n)) if o != n => {
                    let mut parts = Vec::new();
                    if o.kind != n.kind {
                        parts.push(match n.kind {
                            IdentityKind::Always => "SET GENERATED ALWAYS".to_owned(),
                            IdentityKind::ByDefault => "SET GENERATED BY DEFAULT".to_owned(),
                        });
                    }
                    if o.increment != n.increment {
                        parts.push(format!("SET INCREMENT BY {}", n.increment));
                    }
                    if o.min_value != n.min_value {
                        parts.push(format!("SET MINVALUE {}", n.min_value));
                    }
                    if o.max_value != n.max_value {
                        parts.push(format!("SET MAXVALUE {}", n.max_value));
                    }
                    if o.start != n.start {
                        parts.push(format!("SET START WITH {}", n.start));
                    }
                    if o.cache != n.cache {
                        parts.push(format!("SET CACHE {}", n.cache));
                    }
                    if o.cycle != n.cycle {
                        parts.push(if n.cycle {
                            "SET CYCLE".into()
                        } else {
                            "SET NO CYCLE".into()
                        });
                    }
                    self.push(
                        Phase::AlterColumn,
                        step(
                            format!("ALTER TABLE {q} ALTER COLUMN {cq} {}", parts.join(" ")),
                            cobj.clone(),
                        ),
                    );
                }
                _ => {}
            }
            if let Some(d) = &nc.default {
                if default_changed || type_changed {
                    self.push(
                        Phase::SequenceOwnedBy,
                        step(
                            format!("ALTER TABLE {q} ALTER COLUMN {cq} SET DEFAULT {d}"),
                            cobj.clone(),
                        ),
                    );
                }
            }
            if c.not_null && !nc.not_null {
                self.push(
                    Phase::AlterColumn,
                    step(
                        format!("ALTER TABLE {q} ALTER COLUMN {cq} DROP NOT NULL"),
                        cobj.clone(),
                    ),
                );
            }
            if c.comment != nc.comment {
                let v = nc
                    .comment
                    .as_deref()
                    .map(quote_literal)
                    .unwrap_or_else(|| "NULL".into());
                self.push(
                    Phase::Comment,
                    step(format!("COMMENT ON COLUMN {q}.{cq} IS {v}"), cobj.clone()),
                );
            }
            self.column_grants(name, &nc.name, &c.grants, &nc.grants);
        }
    }

    fn column_grants(&mut self, table: &QualName, column: &str, old: &[Grant], new: &[Grant]) {
        let obj = ObjectRef::Column {
            table: table.clone(),
            column: column.to_owned(),
        };
        self.grants_on(
            &format!("TABLE {}", table.sql()),
            Some(&quote_ident(column)),
            old,
            new,
            &obj,
            &format!("column {table}.{column}"),
        );
    }

    /// Constraints, indexes, triggers, policies, RLS, grants, comments of a
    /// table. For a new table `t` is an empty shell.
    fn table_children(&mut self, t: &Table, nt: &Table, state: TableState) {
        let name = &nt.name;
        let q = name.sql();
        let reshaped = self.reshaped_tables.contains(name);
        let existing = state == TableState::Existing;

        // ---- constraints
        // Renamed constraints: same kind and definition under another name.
        let mut renamed: BTreeMap<String, String> = BTreeMap::new();
        for (cn, c) in &t.constraints {
            if c.inherited || nt.constraints.contains_key(cn) {
                continue;
            }
            if let Some((ncn, _)) = nt.constraints.iter().find(|(ncn, nc)| {
                !nc.inherited
                    && !t.constraints.contains_key(*ncn)
                    && nc.kind == c.kind
                    && nc.definition == c.definition
                    && !renamed.values().any(|v| v == *ncn)
            }) {
                renamed.insert(cn.clone(), ncn.clone());
            }
        }
        for (cn, c) in &t.constraints {
            if c.inherited {
                continue;
            }
            let cobj = ObjectRef::Constraint {
                table: name.clone(),
                name: cn.clone(),
            };
            if let Some(ncn) = renamed.get(cn) {
                self.push(
                    Phase::AlterTable,
                    step(
                        format!(
                            "ALTER TABLE {q} RENAME CONSTRAINT {} TO {}",
                            quote_ident(cn),
                            quote_ident(ncn)
                        ),
                        ObjectRef::Constraint {
                            table: name.clone(),
                            name: ncn.clone(),
                        },
                    ),
                );
                continue;
            }
            let nc = nt.constraints.get(cn).filter(|n| !n.inherited);
            let drop = match nc {
                None => true,
                Some(nc) => {
                    (nc.definition != c.definition && !only_validation(c, nc))
                        || self
                            .recreated_constraints
                            .contains(&(name.clone(), cn.clone()))
                }
            };
            if drop {
                let phase = if c.kind == ConstraintKind::ForeignKey {
                    Phase::DropForeignKey
                } else {
                    Phase::DropConstraint
                };
                self.push(
                    phase,
                    step(
                        format!("ALTER TABLE {q} DROP CONSTRAINT {}", quote_ident(cn)),
                        cobj,
                    ),
                );
            }
        }
        for (cn, nc) in &nt.constraints {
            if nc.inherited {
                continue;
            }
            let cobj = ObjectRef::Constraint {
                table: name.clone(),
                name: cn.clone(),
            };
            let renamed_from = renamed
                .iter()
                .find(|(_, v)| *v == cn)
                .map(|(k, _)| k.clone());
            let old = t
                .constraints
                .get(cn)
                .or_else(|| renamed_from.as_ref().and_then(|k| t.constraints.get(k)))
                .filter(|c| !c.inherited);
            let add = match old {
                None => true,
                Some(c) => {
                    (c.definition != nc.definition && !only_validation(c, nc))
                        || self
                            .recreated_constraints
                            .contains(&(name.clone(), cn.clone()))
                }
            };
            if add {
                let mut s = step(
                    format!(
                        "ALTER TABLE {q} ADD CONSTRAINT {} {}",
                        quote_ident(cn),
                        nc.definition
                    ),
                    cobj.clone(),
                );
                if existing {
                    match nc.kind {
                        ConstraintKind::PrimaryKey
                        | ConstraintKind::Unique
                        | ConstraintKind::Exclusion => {
                            let msg = format!("adding {} builds an index on {name}", cn);
                            s = hazard(s, HazardKind::IndexBuild, msg.clone());
                            s = hazard(s, HazardKind::AccessExclusiveLock, msg);
                        }
                        ConstraintKind::Check if nc.validated => {
                            s = hazard(
                                s,
                                HazardKind::AccessExclusiveLock,
                                format!("adding check {cn} scans {name} under an exclusive lock"),
                            );
                        }
                        _ => {}
                    }
                }
                let phase = if nc.kind == ConstraintKind::ForeignKey {
                    Phase::AddForeignKey
                } else {
                    Phase::AddConstraint
                };
                self.push(phase, s);
            } else if let Some(c) = old {
                if !c.validated && nc.validated {
                    self.push(
                        Phase::AddForeignKey,
                        step(
                            format!("ALTER TABLE {q} VALIDATE CONSTRAINT {}", quote_ident(cn)),
                            cobj.clone(),
                        ),
                    );
                }
            }
            let old_comment = if add {
                None
            } else {
                old.and_then(|c| c.comment.as_ref())
            };
            self.comment(
                || format!("CONSTRAINT {} ON {q}", quote_ident(cn)),
                old_comment,
                nc.comment.as_ref(),
                &cobj,
            );
        }

        // ---- indexes
        let mut renamed_idx: BTreeMap<String, String> = BTreeMap::new();
        for (iname, i) in &t.indexes {
            if i.inherited || nt.indexes.contains_key(iname) {
                continue;
            }
            if let Some((nname, _)) = nt.indexes.iter().find(|(nn, ni)| {
                !ni.inherited
                    && !t.indexes.contains_key(*nn)
                    && index_def_without_name(&ni.definition, nn)
                        == index_def_without_name(&i.definition, iname)
                    && !renamed_idx.values().any(|v| v == *nn)
            }) {
                renamed_idx.insert(iname.clone(), nname.clone());
            }
        }
        for (iname, i) in &t.indexes {
            if i.inherited {
                continue;
            }
            let iq = QualName::new(name.schema.clone(), iname.clone());
            if let Some(nn) = renamed_idx.get(iname) {
                self.push(
                    Phase::AlterTable,
                    step(
                        format!("ALTER INDEX {} RENAME TO {}", iq.sql(), quote_ident(nn)),
                        ObjectRef::Index {
                            name: QualName::new(name.schema.clone(), nn.clone()),
                        },
                    ),
                );
                continue;
            }
            let keep = nt
                .indexes
                .get(iname)
                .is_some_and(|n| !n.inherited && n.definition == i.definition);
            if !keep {
                self.push(
                    Phase::DropIndex,
                    step(
                        format!("DROP INDEX {}", iq.sql()),
                        ObjectRef::Index { name: iq },
                    ),
                );
            }
        }
        for (iname, ni) in &nt.indexes {
            if ni.inherited {
                continue;
            }
            let iq = QualName::new(name.schema.clone(), iname.clone());
            let iobj = ObjectRef::Index { name: iq.clone() };
            let renamed_from = renamed_idx
                .iter()
                .find(|(_, v)| *v == iname)
                .map(|(k, _)| k.clone());
            let old = t
                .indexes
                .get(iname)
                .or_else(|| renamed_from.as_ref().and_then(|k| t.indexes.get(k)))
                .filter(|i| {
                    !i.inherited && (renamed_from.is_some() || i.definition == ni.definition)
                });
            if old.is_none() {
                // pg_get_indexdef prints `ON ONLY parent` for an index of a
                // partitioned table; created that way it would not reach the
                // partitions.
                let sql = if nt.kind == TableKind::Partitioned {
                    trim_def(&ni.definition).replacen(" ON ONLY ", " ON ", 1)
                } else {
                    trim_def(&ni.definition).to_owned()
                };
                let mut s = step(sql, iobj.clone());
                if existing {
                    s = hazard(
                        s,
                        HazardKind::IndexBuild,
                        format!("building index {iq} on {name}"),
                    );
                }
                let phase = if ni.unique
                    && ni.predicate.is_none()
                    && ni.columns.iter().all(Option::is_some)
                {
                    Phase::CreateKeyIndex
                } else {
                    Phase::CreateIndex
                };
                self.push(phase, s);
            }
            let old_comment = old.and_then(|i| i.comment.as_ref());
            self.comment(
                || format!("INDEX {}", iq.sql()),
                old_comment,
                ni.comment.as_ref(),
                &iobj,
            );
        }

        // ---- triggers
        self.triggers(name, &t.triggers, &nt.triggers);

        // ---- RLS flags: (old, new, keyword on, keyword off, verb on, verb off, note)
        let flags = [
            (
                t.rls_enabled,
                nt.rls_enabled,
                "ENABLE",
                "DISABLE",
                "enabling",
                "disabling",
                "",
            ),
            (
                t.rls_forced,
                nt.rls_forced,
                "FORCE",
                "NO FORCE",
                "forcing",
                "no longer forcing",
                " (applies to the owner)",
            ),
        ];
        for (was, is, on, off, verb_on, verb_off, note) in flags {
            if was == is {
                continue;
            }
            let (kw, verb) = if is { (on, verb_on) } else { (off, verb_off) };
            let s = step(
                format!("ALTER TABLE {q} {kw} ROW LEVEL SECURITY"),
                ObjectRef::Table { name: name.clone() },
            );
            let s = hazard(
                s,
                HazardKind::AuthzChange,
                format!("{verb} row level security on {name}{note}"),
            );
            self.push(Phase::Rls, s);
        }

        // ---- policies
        for (pn, p) in &t.policies {
            let np = nt.policies.get(pn);
            let fn_dep = self.dropped_functions.iter().any(|f| policy_mentions(p, f));
            let recreate = match np {
                None => true,
                Some(np) => {
                    np.command != p.command || np.permissive != p.permissive || reshaped || fn_dep
                }
            };
            if recreate {
                let s = step(
                    format!("DROP POLICY {} ON {q}", quote_ident(pn)),
                    ObjectRef::Policy {
                        table: name.clone(),
                        name: pn.clone(),
                    },
                );
                let s = if np.is_none() {
                    hazard(
                        s,
                        HazardKind::AuthzChange,
                        format!("dropping policy {pn} on {name}"),
                    )
                } else {
                    s
                };
                self.push(Phase::DropPolicy, s);
            }
        }
        for (pn, np) in &nt.policies {
            let pobj = ObjectRef::Policy {
                table: name.clone(),
                name: pn.clone(),
            };
            let old = t.policies.get(pn);
            let fn_dep =
                old.is_some_and(|p| self.dropped_functions.iter().any(|f| policy_mentions(p, f)));
            let recreate = match old {
                None => true,
                Some(p) => {
                    np.command != p.command || np.permissive != p.permissive || reshaped || fn_dep
                }
            };
            if recreate {
                let mut sql = format!(
                    "CREATE POLICY {} ON {q} AS {} FOR {} TO {}",
                    quote_ident(pn),
                    if np.permissive {
                        "PERMISSIVE"
                    } else {
                        "RESTRICTIVE"
                    },
                    np.command.sql(),
                    roles_sql(&np.roles)
                );
                if let Some(u) = &np.using {
                    sql.push_str(&format!(" USING ({u})"));
                }
                if let Some(w) = &np.with_check {
                    sql.push_str(&format!(" WITH CHECK ({w})"));
                }
                let s = step(sql, pobj.clone());
                let s = if old.is_some_and(|p| p == np) {
                    s
                } else {
                    hazard(
                        s,
                        HazardKind::AuthzChange,
                        format!(
                            "{} policy {pn} on {name}",
                            if old.is_some() {
                                "changing"
                            } else {
                                "creating"
                            }
                        ),
                    )
                };
                self.push(Phase::Policy, s);
                self.comment(
                    || format!("POLICY {} ON {q}", quote_ident(pn)),
                    None,
                    np.comment.as_ref(),
                    &pobj,
                );
                continue;
            }
            let p = old.expect("policy present when not recreated");
            let mut parts = Vec::new();
            if p.roles != np.roles {
                parts.push(format!("TO {}", roles_sql(&np.roles)));
            }
            if p.using != np.using {
                if let Some(u) = &np.using {
                    parts.push(format!("USING ({u})"));
                }
            }
            if p.with_check != np.with_check {
                if let Some(w) = &np.with_check {
                    parts.push(format!("WITH CHECK ({w})"));
                }
            }
            let clears = (p.using.is_some() && np.using.is_none())
                || (p.with_check.is_some() && np.with_check.is_none());
            if clears {
                // ALTER POLICY cannot remove a clause: recreate.
                self.push(
                    Phase::DropPolicy,
                    step(
                        format!("DROP POLICY {} ON {q}", quote_ident(pn)),
                        pobj.clone(),
                    ),
                );
                let mut sql = format!(
                    "CREATE POLICY {} ON {q} AS {} FOR {} TO {}",
                    quote_ident(pn),
                    if np.permissive {
                        "PERMISSIVE"
                    } else {
                        "RESTRICTIVE"
                    },
                    np.command.sql(),
                    roles_sql(&np.roles)
                );
                if let Some(u) = &np.using {
                    sql.push_str(&format!(" USING ({u})"));
                }
                if let Some(w) = &np.with_check {
                    sql.push_str(&format!(" WITH CHECK ({w})"));
                }
                let s = hazard(
                    step(sql, pobj.clone()),
                    HazardKind::AuthzChange,
                    format!("changing policy {pn} on {name}"),
                );
                self.push(Phase::Policy, s);
                self.comment(
                    || format!("POLICY {} ON {q}", quote_ident(pn)),
                    None,
                    np.comment.as_ref(),
                    &pobj,
                );
                continue;
            }
            if !parts.is_empty() {
                let s = step(
                    format!(
                        "ALTER POLICY {} ON {q} {}",
                        quote_ident(pn),
                        parts.join(" ")
                    ),
                    pobj.clone(),
                );
                let s = hazard(
                    s,
                    HazardKind::AuthzChange,
                    format!("changing policy {pn} on {name}"),
                );
                self.push(Phase::Policy, s);
            }
            self.comment(
                || format!("POLICY {} ON {q}", quote_ident(pn)),
                p.comment.as_ref(),
                np.comment.as_ref(),
                &pobj,
            );
        }

        // ---- grants and comment
        let tobj = ObjectRef::Table { name: name.clone() };
        if t.grants != nt.grants {
            self.grants(
                &format!("TABLE {q}"),
                &t.grants,
                &nt.grants,
                &tobj,
                &format!("table {name}"),
            );
        }
        self.comment(
            || format!("TABLE {q}"),
            t.comment.as_ref(),
            nt.comment.as_ref(),
            &tobj,
        );
        if state == TableState::New {
            for c in &nt.columns {
                if let Some(cm) = &c.comment {
                    self.push(
                        Phase::Comment,
                        step(
                            format!(
                                "COMMENT ON COLUMN {q}.{} IS {}",
                                quote_ident(&c.name),
                                quote_literal(cm)
                            ),
                            ObjectRef::Column {
                                table: name.clone(),
                                column: c.name.clone(),
                            },
                        ),
                    );
                }
                self.column_grants(name, &c.name, &[], &c.grants);
            }
        }
    }

    // ---------------------------------------------------------------- views

    fn views(&mut self) {
        let (from, to) = (self.from, self.to);
        // Drops: removed views and views to recreate, dependents first.
        let drop_set: BTreeSet<QualName> = from
            .views
            .keys()
            .filter(|n| !to.views.contains_key(*n) || self.recreated_views.contains(*n))
            .cloned()
            .collect();
        let order = topo(drop_set.iter().cloned().collect(), |n| {
            from.views[n]
                .depends_on
                .iter()
                .filter(|d| drop_set.contains(*d))
                .cloned()
                .collect()
        });
        for n in order.into_iter().rev() {
            let v = &from.views[&n];
            let kw = if v.materialized {
                "MATERIALIZED VIEW"
            } else {
                "VIEW"
            };
            self.push(
                Phase::DropView,
                step(
                    format!("DROP {kw} {}", n.sql()),
                    ObjectRef::View { name: n.clone() },
                ),
            );
        }
        let order = topo(to.views.keys().cloned().collect(), |n| {
            to.views[n]
                .depends_on
                .iter()
                .filter(|d| to.views.contains_key(*d))
                .cloned()
                .collect()
        });
        for n in order {
            let v = &to.views[&n];
            let q = n.sql();
            let obj = ObjectRef::View { name: n.clone() };
            let kw = if v.materialized {
                "MATERIALIZED VIEW"
            } else {
                "VIEW"
            };
            let old = from.views.get(&n).filter(|_| !drop_set.contains(&n));
            match old {
                None => {
                    let mut sql = format!("CREATE {kw} {q}");
                    if !v.options.is_empty() {
                        sql.push_str(&format!(" WITH ({})", v.options.join(", ")));
                    }
                    sql.push_str(&format!(" AS\n{}", trim_def(&v.definition)));
                    self.push(Phase::CreateView, step(sql, obj.clone()));
                    for (iname, i) in &v.indexes {
                        let iq = QualName::new(n.schema.clone(), iname.clone());
                        self.push(
                            Phase::CreateView,
                            step(
                                trim_def(&i.definition).to_owned(),
                                ObjectRef::Index { name: iq.clone() },
                            ),
                        );
                        self.comment(
                            || format!("INDEX {}", iq.sql()),
                            None,
                            i.comment.as_ref(),
                            &ObjectRef::Index { name: iq.clone() },
                        );
                    }
                    self.grants(
                        &format!("TABLE {q}"),
                        &[],
                        &v.grants,
                        &obj,
                        &format!("view {n}"),
                    );
                    self.comment(|| format!("{kw} {q}"), None, v.comment.as_ref(), &obj);
                    self.triggers(&n, &BTreeMap::new(), &v.triggers);
                }
                Some(o) => {
                    self.triggers(&n, &o.triggers, &v.triggers);
                    self.reloptions(
                        Phase::CreateView,
                        &format!("VIEW {q}"),
                        &o.options,
                        &v.options,
                        &obj,
                    );
                    for (iname, i) in &o.indexes {
                        if v.indexes
                            .get(iname)
                            .is_none_or(|ni| ni.definition != i.definition)
                        {
                            let iq = QualName::new(n.schema.clone(), iname.clone());
                            self.push(
                                Phase::DropIndex,
                                step(
                                    format!("DROP INDEX {}", iq.sql()),
                                    ObjectRef::Index { name: iq },
                                ),
                            );
                        }
                    }
                    for (iname, i) in &v.indexes {
                        let iq = QualName::new(n.schema.clone(), iname.clone());
                        let oi = o
                            .indexes
                            .get(iname)
                            .filter(|oi| oi.definition == i.definition);
                        if oi.is_none() {
                            let s = step(
                                trim_def(&i.definition).to_owned(),
                                ObjectRef::Index { name: iq.clone() },
                            );
                            let s = hazard(
                                s,
                                HazardKind::IndexBuild,
                                format!("building index {iq} on {n}"),
                            );
                            self.push(Phase::CreateView, s);
                        }
                        self.comment(
                            || format!("INDEX {}", iq.sql()),
                            oi.and_then(|x| x.comment.as_ref()),
                            i.comment.as_ref(),
                            &ObjectRef::Index { name: iq.clone() },
                        );
                    }
                    self.grants(
                        &format!("TABLE {q}"),
                        &o.grants,
                        &v.grants,
                        &obj,
                        &format!("view {n}"),
                    );
                    self.comment(
                        || format!("{kw} {q}"),
                        o.comment.as_ref(),
                        v.comment.as_ref(),
                        &obj,
                    );
                }
            }
        }
    }

    // ---------------------------------------------------------------- grants, comments

    /// Triggers of a table or view. `old_map` is empty for a new or
    /// recreated relation.
    fn triggers(
        &mut self,
        name: &QualName,
        old_map: &BTreeMap<String, Trigger>,
        new_map: &BTreeMap<String, Trigger>,
    ) {
        let q = name.sql();
        for (tn, tr) in old_map {
            if tr.inherited {
                continue;
            }
            let keep = new_map
                .get(tn)
                .is_some_and(|n| !n.inherited && n.definition == tr.definition)
                && !self.dropped_functions.contains(&tr.function);
            if !keep {
                self.push(
                    Phase::DropTrigger,
                    step(
                        format!("DROP TRIGGER {} ON {q}", quote_ident(tn)),
                        ObjectRef::Trigger {
                            table: name.clone(),
                            name: tn.clone(),
                        },
                    ),
                );
            }
        }
        for (tn, ntr) in new_map {
            if ntr.inherited {
                continue;
            }
            let tobj = ObjectRef::Trigger {
                table: name.clone(),
                name: tn.clone(),
            };
            let old = old_map.get(tn).filter(|o| {
                !o.inherited
                    && o.definition == ntr.definition
                    && !self.dropped_functions.contains(&o.function)
            });
            if old.is_none() {
                self.push(
                    Phase::CreateTrigger,
                    step(trim_def(&ntr.definition).to_owned(), tobj.clone()),
                );
            }
            let old_enabled = old.map(|o| o.enabled.as_str()).unwrap_or("O");
            if old_enabled != ntr.enabled {
                let what = match ntr.enabled.as_str() {
                    "D" => "DISABLE TRIGGER",
                    "R" => "ENABLE REPLICA TRIGGER",
                    "A" => "ENABLE ALWAYS TRIGGER",
                    _ => "ENABLE TRIGGER",
                };
                self.push(
                    Phase::CreateTrigger,
                    step(
                        format!("ALTER TABLE {q} {what} {}", quote_ident(tn)),
                        tobj.clone(),
                    ),
                );
            }
            self.comment(
                || format!("TRIGGER {} ON {q}", quote_ident(tn)),
                old.and_then(|o| o.comment.as_ref()),
                ntr.comment.as_ref(),
                &tobj,
            );
        }
    }

    /// `ALTER <target> RESET (...)` for storage options that went away and
    /// `SET (...)` for new or changed ones (`options` are `key=value`).
    fn reloptions(
        &mut self,
        phase: Phase,
        target: &str,
        old: &[String],
        new: &[String],
        obj: &ObjectRef,
    ) {
        if old == new {
            return;
        }
        let key = |o: &String| o.split('=').next().map(str::to_owned);
        let removed: Vec<String> = old
            .iter()
            .filter_map(key)
            .filter(|k| !new.iter().any(|n| key(n).as_deref() == Some(k)))
            .collect();
        if !removed.is_empty() {
            self.push(
                phase,
                step(
                    format!("ALTER {target} RESET ({})", removed.join(", ")),
                    obj.clone(),
                ),
            );
        }
        let set: Vec<&str> = new
            .iter()
            .filter(|o| !old.contains(o))
            .map(String::as_str)
            .collect();
        if !set.is_empty() {
            self.push(
                phase,
                step(
                    format!("ALTER {target} SET ({})", set.join(", ")),
                    obj.clone(),
                ),
            );
        }
    }

    fn grants(&mut self, target: &str, old: &[Grant], new: &[Grant], obj: &ObjectRef, what: &str) {
        self.grants_on(target, None, old, new, obj, what);
    }

    /// GRANT / REVOKE steps from `old` to `new` on `target`; with `column`
    /// (quoted), the privileges are column privileges (`SELECT (col)`).
    fn grants_on(
        &mut self,
        target: &str,
        column: Option<&str>,
        old: &[Grant],
        new: &[Grant],
        obj: &ObjectRef,
        what: &str,
    ) {
        let cols = column.map(|c| format!(" ({c})")).unwrap_or_default();
        for g in old {
            if !new
                .iter()
                .any(|n| n.grantee == g.grantee && n.privilege == g.privilege)
            {
                let s = step(
                    format!(
                        "REVOKE {}{cols} ON {target} FROM {}",
                        g.privilege,
                        grantee_sql(&g.grantee)
                    ),
                    obj.clone(),
                );
                let s = hazard(
                    s,
                    HazardKind::AuthzChange,
                    format!("revoking {} on {what} from {}", g.privilege, g.grantee),
                );
                self.push(Phase::Grant, s);
            }
        }
        for g in new {
            let prev = old
                .iter()
                .find(|o| o.grantee == g.grantee && o.privilege == g.privilege);
            if prev == Some(g) {
                continue;
            }
            let sql = if prev.is_some_and(|p| p.with_grant_option) && !g.with_grant_option {
                format!(
                    "REVOKE GRANT OPTION FOR {}{cols} ON {target} FROM {}",
                    g.privilege,
                    grantee_sql(&g.grantee)
                )
            } else {
                format!(
                    "GRANT {}{cols} ON {target} TO {}{}",
                    g.privilege,
                    grantee_sql(&g.grantee),
                    if g.with_grant_option {
                        " WITH GRANT OPTION"
                    } else {
                        ""
                    }
                )
            };
            let s = hazard(
                step(sql, obj.clone()),
                HazardKind::AuthzChange,
                format!("granting {} on {what} to {}", g.privilege, g.grantee),
            );
            self.push(Phase::Grant, s);
        }
    }

    /// `COMMENT ON target IS ...` when the comment changes; `target` is
    /// only rendered then.
    fn comment(
        &mut self,
        target: impl FnOnce() -> String,
        old: Option<&String>,
        new: Option<&String>,
        obj: &ObjectRef,
    ) {
        if old == new {
            return;
        }
        let target = target();
        let v = new
            .map(|c| quote_literal(c))
            .unwrap_or_else(|| "NULL".into());
        self.push(
            Phase::Comment,
            step(format!("COMMENT ON {target} IS {v}"), obj.clone()),
        );
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TableState {
    New,
    Existing,
}

fn routine_kw(k: FunctionKind) -> &'static str {
    match k {
        FunctionKind::Procedure => "PROCEDURE",
        FunctionKind::Aggregate => "AGGREGATE",
        _ => "FUNCTION",
    }
}

fn roles_sql(roles: &[String]) -> String {
    if roles.is_empty() {
        return "PUBLIC".into();
    }
    roles
        .iter()
        .map(|r| grantee_sql(r))
        .collect::<Vec<_>>()
        .join(", ")
}

fn identity_clause(id: &Identity) -> String {
    format!(
        "GENERATED {} AS IDENTITY (START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}{})",
        match id.kind {
            IdentityKind::Always => "ALWAYS",
            IdentityKind::ByDefault => "BY DEFAULT",
        },
        id.start,
        id.increment,
        id.min_value,
        id.max_value,
        id.cache,
        if id.cycle { " CYCLE" } else { " NO CYCLE" }
    )
}

/// A table whose partitioning changes cannot be altered into shape.
fn needs_recreate(t: &Table, nt: &Table) -> bool {
    t.kind != nt.kind || t.partition_key != nt.partition_key
}

/// `old` is `new` without its `NOT VALID`: validating is enough.
fn only_validation(old: &Constraint, new: &Constraint) -> bool {
    !old.validated
        && new.validated
        && old.definition.trim_end_matches(" NOT VALID") == new.definition
}

fn is_subsequence(a: &[String], b: &[String]) -> bool {
    let mut it = b.iter();
    a.iter().all(|x| it.any(|y| y == x))
}

/// Whether the default is re-evaluated per row when a column is added.
impl Differ<'_> {
    /// Whether a default is evaluated per row when a column is added: a
    /// known volatile built-in, or a user function not marked IMMUTABLE or
    /// STABLE.
    fn is_volatile_default(&self, d: &str) -> bool {
        is_volatile_builtin(d)
            || self.to.functions.values().any(|f| {
                mentions_function(d, &f.id)
                    && !f.definition.contains(" IMMUTABLE")
                    && !f.definition.contains(" STABLE")
            })
    }
}

fn is_volatile_builtin(d: &str) -> bool {
    let d = d.to_ascii_lowercase();
    [
        "random",
        "uuid",
        "clock_timestamp",
        "nextval",
        "timeofday",
        "txid_current",
    ]
    .iter()
    .any(|f| d.contains(f))
}

/// Type changes PostgreSQL makes without a rewrite.
fn is_binary_coercible(from: &str, to: &str) -> bool {
    let base = |s: &str| s.split('(').next().unwrap_or(s).trim().to_owned();
    let len = |s: &str| -> Option<u64> {
        let inner = s.split('(').nth(1)?.trim_end_matches(')');
        inner.split(',').next()?.trim().parse().ok()
    };
    let (bf, bt) = (base(from), base(to));
    if bf == "character varying" && bt == "text" {
        return true;
    }
    if bf == "character varying" && bt == "character varying" {
        return match (len(from), len(to)) {
            (Some(a), Some(b)) => b >= a,
            (_, None) => true,
            (None, Some(_)) => false,
        };
    }
    if bf == "numeric" && bt == "numeric" {
        return !to.contains('(');
    }
    false
}

fn index_def_without_name(def: &str, name: &str) -> String {
    def.replacen(&format!("INDEX {} ON", quote_ident(name)), "INDEX ON", 1)
}

fn mentions_function(text: &str, f: &FunctionId) -> bool {
    text.contains(&format!(
        "{}(",
        crate::ident::quote_qualified(&f.schema, &f.name)
    )) || text.contains(&format!("{}(", quote_ident(&f.name)))
}

fn policy_mentions(p: &Policy, f: &FunctionId) -> bool {
    p.using.as_deref().is_some_and(|u| mentions_function(u, f))
        || p.with_check
            .as_deref()
            .is_some_and(|w| mentions_function(w, f))
}

/// Kahn's algorithm over `nodes` (sorted, so the result is deterministic).
/// Edges to nodes outside the set are ignored; cycles are broken by name.
fn topo<T: Ord + Clone>(nodes: Vec<T>, deps: impl Fn(&T) -> Vec<T>) -> Vec<T> {
    let set: BTreeSet<T> = nodes.into_iter().collect();
    let mut remaining: BTreeMap<T, BTreeSet<T>> = set
        .iter()
        .map(|n| {
            (
                n.clone(),
                deps(n)
                    .into_iter()
                    .filter(|d| set.contains(d) && d != n)
                    .collect(),
            )
        })
        .collect();
    let mut out = Vec::with_capacity(set.len());
    while !remaining.is_empty() {
        let ready: Vec<T> = remaining
            .iter()
            .filter(|(_, d)| d.is_empty())
            .map(|(n, _)| n.clone())
            .collect();
        let batch = if ready.is_empty() {
            // A cycle: take the first by order.
            vec![remaining.keys().next().cloned().expect("non-empty")]
        } else {
            ready
        };
        for n in &batch {
            remaining.remove(n);
        }
        for d in remaining.values_mut() {
            for n in &batch {
                d.remove(n);
            }
        }
        out.extend(batch);
    }
    out
}

#[cfg(test)]
mod tests;
