//! Indexes of a table.

use super::{hazard, step, trim_def, Differ, Phase};
use crate::ident::quote_ident;
use crate::model::*;
use crate::plan::HazardKind;
use std::collections::BTreeMap;

impl Differ<'_> {
    /// Indexes of a table: renamed, dropped, created.
    pub(super) fn table_indexes(&mut self, t: &Table, nt: &Table, existing: bool) {
        let name = &nt.name;
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
    }
}

pub(super) fn index_def_without_name(def: &str, name: &str) -> String {
    def.replacen(&format!("INDEX {} ON", quote_ident(name)), "INDEX ON", 1)
}
