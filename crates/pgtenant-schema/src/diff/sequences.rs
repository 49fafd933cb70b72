//! Sequences.

use super::{hazard, step, Differ, Phase};
use crate::ident::quote_ident;
use crate::model::*;
use crate::plan::HazardKind;

impl Differ<'_> {
    pub(super) fn sequences(&mut self) {
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
                    parts.extend(number_changes(&o.into(), &s.into(), ""));
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
}

/// The numbers of a sequence, as a sequence and an identity column carry
/// them.
pub(super) struct Numbers {
    start: i64,
    increment: i64,
    min_value: i64,
    max_value: i64,
    cache: i64,
    cycle: bool,
}

impl From<&Sequence> for Numbers {
    fn from(s: &Sequence) -> Numbers {
        Numbers {
            start: s.start,
            increment: s.increment,
            min_value: s.min_value,
            max_value: s.max_value,
            cache: s.cache,
            cycle: s.cycle,
        }
    }
}

impl From<&Identity> for Numbers {
    fn from(i: &Identity) -> Numbers {
        Numbers {
            start: i.start,
            increment: i.increment,
            min_value: i.min_value,
            max_value: i.max_value,
            cache: i.cache,
            cycle: i.cycle,
        }
    }
}

/// The clauses that turn the numbers `o` into `n` (`INCREMENT BY 2`,
/// `NO CYCLE`, ...), each after `prefix` (`SET ` in `ALTER COLUMN`).
pub(super) fn number_changes(o: &Numbers, n: &Numbers, prefix: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let changed = [
        ("INCREMENT BY", o.increment, n.increment),
        ("MINVALUE", o.min_value, n.min_value),
        ("MAXVALUE", o.max_value, n.max_value),
        ("START WITH", o.start, n.start),
        ("CACHE", o.cache, n.cache),
    ];
    for (clause, old, new) in changed {
        if old != new {
            parts.push(format!("{prefix}{clause} {new}"));
        }
    }
    if o.cycle != n.cycle {
        let no = if n.cycle { "" } else { "NO " };
        parts.push(format!("{prefix}{no}CYCLE"));
    }
    parts
}
