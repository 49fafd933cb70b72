//! Triggers of tables and views.

use super::{step, trim_def, Differ, Phase};
use crate::ident::quote_ident;
use crate::model::*;
use std::collections::BTreeMap;

impl Differ<'_> {
    /// Triggers of a table or view. `old_map` is empty for a new or
    /// recreated relation.
    pub(super) fn triggers(
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
}
