//! The pure diff: `Catalog × Catalog → Plan`.
//!
//! No I/O, no clock, no randomness: the same two catalogs always give the
//! same plan. Objects are matched by identity (the `BTreeMap` keys); each
//! difference becomes one or more [`Step`]s placed in a [`Phase`]. The plan
//! is the steps sorted by phase (stable, so emission order breaks ties),
//! which gives the dependency order:
//!
//! renames (hinted tables and columns, detected enums) first; then drops
//! (policies, rules, triggers, views, foreign keys, constraints, indexes,
//! columns, tables, functions, sequences, types), in reverse dependency
//! order; then creates and alters (schemas, extensions, types, sequences,
//! functions, tables, columns, constraints, unique indexes a foreign key
//! may reference, foreign keys, other indexes, views, triggers, rules, RLS,
//! policies, grants, comments); gone types and schemas last.
//!
//! Views and functions in the same phase are ordered topologically.

mod analyse;
mod columns;
mod constraints;
mod functions;
mod grants;
mod indexes;
mod phase;
mod policies;
mod rename;
mod rules;
mod schemas;
mod sequences;
mod tables;
mod topo;
mod triggers;
mod types;
mod views;

use crate::model::*;
use crate::plan::{Hazard, HazardKind, Plan, Step, TxBoundary};
use phase::Phase;
use std::collections::BTreeSet;

/// Compute the plan that turns `from` into `to`.
///
/// `renames` are the rename hints of the desired side (read from its SQL
/// text, see [`crate::renames`]; `&[]` for none): a usable hint turns a
/// drop + create into a RENAME. The result is deterministic.
pub fn diff(from: &Catalog, to: &Catalog, renames: &[RenameHint]) -> Plan {
    // Without hints or renamed enums the current catalog is used as it is
    // (no copy).
    let mut renamed: Option<Catalog> = None;
    let mut rename_steps = Vec::new();
    if !renames.is_empty() {
        let (cat, steps) = rename::apply_renames(from, to, renames);
        renamed = Some(cat);
        rename_steps = steps;
    }
    let enum_renames = rename::enum_renames(renamed.as_ref().unwrap_or(from), to);
    if !enum_renames.is_empty() {
        let mut cat = renamed.take().unwrap_or_else(|| from.clone());
        rename_steps.extend(rename::rename_enums(&mut cat, &enum_renames));
        renamed = Some(cat);
    }
    let from = renamed.as_ref().unwrap_or(from);
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
}

#[cfg(test)]
mod tests;
