//! Before any step: which tables, enums, functions, views and foreign keys
//! are dropped, recreated or reshaped.

use super::functions::mentions_function;
use super::{trim_def, Differ};
use crate::model::*;
use std::collections::BTreeSet;

impl<'a> Differ<'a> {
    pub(super) fn analyse(&mut self) {
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

    pub(super) fn table_reshaped(&self, t: &Table, nt: &Table) -> bool {
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

    /// Whether column `col` of `table` (in both catalogs) changes type,
    /// collation or is rebuilt with its enum.
    pub(super) fn column_retyped(&self, table: &QualName, col: &str) -> bool {
        let (Some(t), Some(nt)) = (self.from.tables.get(table), self.to.tables.get(table)) else {
            return false;
        };
        match (t.column(col), nt.column(col)) {
            (Some(c), Some(nc)) => {
                c.data_type != nc.data_type
                    || c.collation != nc.collation
                    || self.column_enum_rebuilt(nc)
            }
            _ => false,
        }
    }

    pub(super) fn column_enum_rebuilt(&self, c: &Column) -> bool {
        self.enum_of(&c.data_type)
            .is_some_and(|n| self.rebuilt_enums.contains(n))
    }

    /// The enum a column type names (`public.status` or `public.status[]`).
    pub(super) fn enum_of(&self, data_type: &str) -> Option<&'a QualName> {
        let base = data_type.trim_end_matches("[]");
        self.to
            .enums
            .keys()
            .find(|n| n.sql() == base || n.name == base && n.schema == "public")
    }

    pub(super) fn analyse_views(&mut self) {
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
    pub(super) fn analyse_constraints(&mut self) {
        let (from, to) = (self.from, self.to);
        // The tables kept (neither dropped nor recreated), in both versions.
        let kept: Vec<(&QualName, &Table, &Table)> = from
            .tables
            .iter()
            .filter(|(name, _)| !self.dropped_tables.contains(*name))
            .filter_map(|(name, t)| Some((name, t, to.tables.get(name)?)))
            .collect();
        let mut rebuilt_keys: BTreeSet<QualName> = BTreeSet::new();
        for &(name, t, nt) in &kept {
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
        for &(name, t, nt) in &kept {
            for (cn, c) in &t.constraints {
                let Some(nc) = nt.constraints.get(cn) else {
                    continue;
                };
                if c.kind != ConstraintKind::ForeignKey || nc.definition != c.definition {
                    continue;
                }
                if let Some(r) = &c.references {
                    // A key and its referencing columns retyped together
                    // (integer ids becoming bigint or text): the constraint
                    // cannot survive the first of the two ALTER COLUMNs.
                    let retyped = c.columns.iter().any(|col| self.column_retyped(name, col))
                        || r.columns
                            .iter()
                            .any(|col| self.column_retyped(&r.table, col));
                    if retyped
                        || rebuilt_keys.contains(&r.table)
                        || self.dropped_tables.contains(&r.table)
                    {
                        self.recreated_constraints
                            .insert((name.clone(), cn.clone()));
                    }
                }
            }
        }
    }
}

/// A table whose partitioning changes cannot be altered into shape.
pub(super) fn needs_recreate(t: &Table, nt: &Table) -> bool {
    t.kind != nt.kind || t.partition_key != nt.partition_key
}

pub(super) fn is_subsequence(a: &[String], b: &[String]) -> bool {
    let mut it = b.iter();
    a.iter().all(|x| it.any(|y| y == x))
}
