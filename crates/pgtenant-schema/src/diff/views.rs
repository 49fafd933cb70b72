//! Views and materialized views.

use super::topo::topo;
use super::{hazard, step, trim_def, Differ, Phase};
use crate::model::*;
use crate::plan::HazardKind;
use std::collections::{BTreeMap, BTreeSet};

impl Differ<'_> {
    pub(super) fn views(&mut self) {
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
            self.drop_rules_of_dropped(&n, &v.rules);
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
                    self.rules(&n, &BTreeMap::new(), &v.rules);
                }
                Some(o) => {
                    self.triggers(&n, &o.triggers, &v.triggers);
                    self.rules(&n, &o.rules, &v.rules);
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
}
