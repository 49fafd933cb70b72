//! Tables: drop, create, alter, and what hangs off a table.

use super::{hazard, step, Differ, Phase};
use crate::ident::{quote_ident, quote_literal};
use crate::model::*;
use crate::plan::HazardKind;
use std::collections::BTreeMap;

impl Differ<'_> {
    pub(super) fn tables(&mut self) {
        let (from, to) = (self.from, self.to);
        // Drops: foreign keys of dropped tables first (cycles), then
        // partitions before their parents.
        let dropped: Vec<QualName> = self.dropped_tables.iter().cloned().collect();
        for name in &dropped {
            let t = &from.tables[name];
            self.drop_rules_of_dropped(name, &t.rules);
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

    pub(super) fn create_table(&mut self, t: &Table) {
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
            rules: BTreeMap::new(),
            policies: BTreeMap::new(),
            rls_enabled: false,
            rls_forced: false,
            options: t.options.clone(),
            comment: None,
            grants: Vec::new(),
        };
        self.table_children(&empty, t, TableState::New);
    }

    pub(super) fn alter_table(&mut self, t: &Table, nt: &Table) {
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

    /// Constraints, indexes, triggers, policies, RLS, grants, comments of a
    /// table. For a new table `t` is an empty shell.
    pub(super) fn table_children(&mut self, t: &Table, nt: &Table, state: TableState) {
        let existing = state == TableState::Existing;
        self.table_constraints(t, nt, existing);
        self.table_indexes(t, nt, existing);
        self.triggers(&nt.name, &t.triggers, &nt.triggers);
        self.rules(&nt.name, &t.rules, &nt.rules);
        self.rls_flags(t, nt);
        self.table_policies(t, nt);
        self.table_grants_and_comments(t, nt, state);
    }

    /// Grants and comment of a table; for a new table also the comments
    /// and grants of its columns.
    fn table_grants_and_comments(&mut self, t: &Table, nt: &Table, state: TableState) {
        let name = &nt.name;
        let q = name.sql();
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TableState {
    New,
    Existing,
}
