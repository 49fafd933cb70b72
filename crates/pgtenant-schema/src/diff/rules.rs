//! Rewrite rules of tables and views.
//!
//! A rule blocks dropping or retyping anything it uses (PostgreSQL: "cannot
//! alter type of a column used by a view or rule"), so a rule whose tables,
//! views, columns, functions or types are dropped, recreated or reshaped is
//! dropped first (`Phase::DropRule`, before every other drop and alter) and
//! created again at the end (`Phase::CreateRule`). A rule whose definition
//! alone changes is `CREATE OR REPLACE`d in place.

use super::{step, trim_def, Differ, Phase};
use crate::ident::quote_ident;
use crate::model::*;
use std::collections::BTreeMap;

impl Differ<'_> {
    /// Whether something `r` uses is dropped, recreated or reshaped, so
    /// that the rule must be dropped before and created after the change.
    fn rule_blocked(&self, r: &Rule) -> bool {
        let rel_changes = |n: &QualName| {
            self.dropped_tables.contains(n)
                || self.reshaped_tables.contains(n)
                || self.recreated_views.contains(n)
                || (self.from.views.contains_key(n) && !self.to.views.contains_key(n))
        };
        r.depends_on.iter().any(|d| match d {
            ObjectRef::Table { name } | ObjectRef::View { name } => rel_changes(name),
            ObjectRef::Column { table, .. } => rel_changes(table),
            ObjectRef::Function { id } => self.dropped_functions.contains(id),
            ObjectRef::Type { name } => {
                self.rebuilt_enums.contains(name)
                    || (self.from.enums.contains_key(name) && !self.to.enums.contains_key(name))
                    || self.from.domains.contains_key(name)
                        && self.to.domains.get(name).is_none_or(|nd| {
                            let od = &self.from.domains[name];
                            nd.base_type != od.base_type || nd.collation != od.collation
                        })
            }
            _ => false,
        })
    }

    /// `DROP RULE` for every rule of a relation that is dropped (its rules
    /// may use relations dropped before it).
    pub(super) fn drop_rules_of_dropped(&mut self, rel: &QualName, rules: &BTreeMap<String, Rule>) {
        for rn in rules.keys() {
            self.push(Phase::DropRule, drop_rule(rel, rn));
        }
    }

    /// Rules of a kept, new or recreated table or view. `old_map` is empty
    /// for a new or recreated relation.
    pub(super) fn rules(
        &mut self,
        rel: &QualName,
        old_map: &BTreeMap<String, Rule>,
        new_map: &BTreeMap<String, Rule>,
    ) {
        let q = rel.sql();
        for (rn, r) in old_map {
            if !new_map.contains_key(rn) || self.rule_blocked(r) {
                self.push(Phase::DropRule, drop_rule(rel, rn));
            }
        }
        for (rn, nr) in new_map {
            let robj = ObjectRef::Rule {
                table: rel.clone(),
                name: rn.clone(),
            };
            let old = old_map.get(rn).filter(|o| !self.rule_blocked(o));
            match old {
                None => self.push(
                    Phase::CreateRule,
                    step(trim_def(&nr.definition).to_owned(), robj.clone()),
                ),
                Some(o) if o.definition != nr.definition => self.push(
                    Phase::CreateRule,
                    step(or_replace(trim_def(&nr.definition)), robj.clone()),
                ),
                Some(_) => {}
            }
            let old_enabled = old.map(|o| o.enabled.as_str()).unwrap_or("O");
            if old_enabled != nr.enabled {
                let what = match nr.enabled.as_str() {
                    "D" => "DISABLE RULE",
                    "R" => "ENABLE REPLICA RULE",
                    "A" => "ENABLE ALWAYS RULE",
                    _ => "ENABLE RULE",
                };
                self.push(
                    Phase::CreateRule,
                    step(
                        format!("ALTER TABLE {q} {what} {}", quote_ident(rn)),
                        robj.clone(),
                    ),
                );
            }
            self.comment(
                || format!("RULE {} ON {q}", quote_ident(rn)),
                old.and_then(|o| o.comment.as_ref()),
                nr.comment.as_ref(),
                &robj,
            );
        }
    }
}

fn drop_rule(rel: &QualName, rn: &str) -> crate::plan::Step {
    step(
        format!("DROP RULE {} ON {}", quote_ident(rn), rel.sql()),
        ObjectRef::Rule {
            table: rel.clone(),
            name: rn.to_owned(),
        },
    )
}

/// `CREATE RULE ...` as printed by `pg_get_ruledef` → `CREATE OR REPLACE
/// RULE ...`.
fn or_replace(def: &str) -> String {
    match def.strip_prefix("CREATE RULE ") {
        Some(rest) => format!("CREATE OR REPLACE RULE {rest}"),
        None => def.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn or_replace_rewrites_only_the_prefix() {
        assert_eq!(
            super::or_replace("CREATE RULE r AS\n    ON UPDATE TO public.t DO INSTEAD NOTHING"),
            "CREATE OR REPLACE RULE r AS\n    ON UPDATE TO public.t DO INSTEAD NOTHING"
        );
    }
}
