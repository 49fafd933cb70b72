//! Constraints of a table.

use super::{hazard, step, Differ, Phase};
use crate::ident::quote_ident;
use crate::model::*;
use crate::plan::HazardKind;
use std::collections::BTreeMap;

impl Differ<'_> {
    /// Constraints of a table: renamed, dropped, added, validated.
    pub(super) fn table_constraints(&mut self, t: &Table, nt: &Table, existing: bool) {
        let name = &nt.name;
        let q = name.sql();
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
    }
}

/// `old` is `new` without its `NOT VALID`: validating is enough.
pub(super) fn only_validation(old: &Constraint, new: &Constraint) -> bool {
    !old.validated
        && new.validated
        && old.definition.trim_end_matches(" NOT VALID") == new.definition
}
