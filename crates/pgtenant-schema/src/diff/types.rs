//! Enums, domains and composite types.

use super::columns::collate_sql;
use super::{hazard, step, Differ, Phase};
use crate::ident::{quote_ident, quote_literal};
use crate::model::*;
use crate::plan::{HazardKind, TxBoundary};

impl Differ<'_> {
    pub(super) fn enums(&mut self) {
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

    pub(super) fn domains(&mut self) {
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

    pub(super) fn composites(&mut self) {
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
}
