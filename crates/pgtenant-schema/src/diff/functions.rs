//! Functions, procedures and aggregates.

use super::topo::topo;
use super::{step, trim_def, Differ, Phase};
use crate::ident::quote_ident;
use crate::model::*;

impl Differ<'_> {
    pub(super) fn functions(&mut self) {
        let (from, to) = (self.from, self.to);
        let mut prelude = false;
        // Dependents (aggregates over their state functions, BEGIN ATOMIC
        // callers) are dropped first.
        let drop_order = topo(self.dropped_functions.iter().cloned().collect(), |id| {
            called_functions(&from.functions[id])
        });
        for id in drop_order.into_iter().rev() {
            let f = &from.functions[&id];
            let kw = routine_kw(f.kind);
            let phase = if f.depends_on.iter().any(|d| {
                matches!(
                    d,
                    ObjectRef::Table { .. } | ObjectRef::View { .. } | ObjectRef::Column { .. }
                )
            }) {
                Phase::DropRelationFunction
            } else {
                Phase::DropFunction
            };
            self.push(
                phase,
                step(
                    format!("DROP {kw} {}", id.sql()),
                    ObjectRef::Function { id: id.clone() },
                ),
            );
        }
        // Creates in dependency order (functions calling functions in
        // BEGIN ATOMIC bodies).
        let order = topo(to.functions.keys().cloned().collect(), |id| {
            called_functions(&to.functions[id])
        });
        for id in order {
            let f = &to.functions[&id];
            let obj = ObjectRef::Function { id: id.clone() };
            // GRANT and COMMENT name aggregates as functions.
            let kw = match f.kind {
                FunctionKind::Procedure => "PROCEDURE",
                _ => "FUNCTION",
            };
            let target = format!("{kw} {}", id.sql());
            let comment_target = format!("{} {}", routine_kw(f.kind), id.sql());
            let old = from
                .functions
                .get(&id)
                .filter(|_| !self.recreated_functions.contains(&id));
            // Bodies that PostgreSQL parses at creation and that read
            // relations must come after tables and views.
            let phase = if f.depends_on.iter().any(|d| {
                !matches!(
                    d,
                    ObjectRef::Function { .. }
                        | ObjectRef::Type { .. }
                        | ObjectRef::Extension { .. }
                        | ObjectRef::Schema { .. }
                )
            }) {
                Phase::LateFunction
            } else {
                Phase::Function
            };
            if f.definition.trim().is_empty() {
                continue;
            }
            match old {
                None => {
                    if f.language == "sql" && phase == Phase::Function {
                        prelude = true;
                    }
                    self.push(phase, step(trim_def(&f.definition).to_owned(), obj.clone()));
                    self.grants_fn(&target, None, f, &obj);
                    self.comment(|| comment_target.clone(), None, f.comment.as_ref(), &obj);
                }
                Some(o) => {
                    if trim_def(&o.definition) != trim_def(&f.definition) {
                        if f.language == "sql" && phase == Phase::Function {
                            prelude = true;
                        }
                        self.push(phase, step(trim_def(&f.definition).to_owned(), obj.clone()));
                    }
                    self.grants_fn(&target, Some(o), f, &obj);
                    self.comment(
                        || comment_target.clone(),
                        o.comment.as_ref(),
                        f.comment.as_ref(),
                        &obj,
                    );
                }
            }
        }
        if prelude {
            self.push(
                Phase::Prelude,
                step(
                    "SET check_function_bodies = off",
                    ObjectRef::Schema {
                        name: "public".into(),
                    },
                ),
            );
            if let Some(last) = self.steps.last_mut() {
                last.1.objects.clear();
            }
        }
    }

    pub(super) fn grants_fn(
        &mut self,
        target: &str,
        old: Option<&Function>,
        f: &Function,
        obj: &ObjectRef,
    ) {
        // A new routine starts with PostgreSQL's default ACL: EXECUTE to PUBLIC.
        let default = [Grant {
            grantee: "PUBLIC".into(),
            privilege: "EXECUTE".into(),
            with_grant_option: false,
        }];
        let old_grants = old.map(|o| o.grants.as_slice()).unwrap_or(&default);
        self.grants(
            target,
            old_grants,
            &f.grants,
            obj,
            &format!("function {}", f.id),
        );
    }
}

pub(super) fn routine_kw(k: FunctionKind) -> &'static str {
    match k {
        FunctionKind::Procedure => "PROCEDURE",
        FunctionKind::Aggregate => "AGGREGATE",
        _ => "FUNCTION",
    }
}

pub(super) fn mentions_function(text: &str, f: &FunctionId) -> bool {
    text.contains(&format!(
        "{}(",
        crate::ident::quote_qualified(&f.schema, &f.name)
    )) || text.contains(&format!("{}(", quote_ident(&f.name)))
}

/// The functions `f` depends on (aggregates on their state functions,
/// BEGIN ATOMIC bodies on the functions they call).
fn called_functions(f: &Function) -> Vec<FunctionId> {
    f.depends_on
        .iter()
        .filter_map(|d| match d {
            ObjectRef::Function { id } => Some(id.clone()),
            _ => None,
        })
        .collect()
}
