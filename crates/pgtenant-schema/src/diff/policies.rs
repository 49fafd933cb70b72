//! Row level security flags and policies of a table.

use super::functions::mentions_function;
use super::grants::grantee_sql;
use super::rename::mentions_qualified;
use super::{hazard, step, Differ, Phase};
use crate::ident::quote_ident;
use crate::model::*;
use crate::plan::HazardKind;

impl Differ<'_> {
    /// ENABLE / FORCE ROW LEVEL SECURITY toggles of a table.
    pub(super) fn rls_flags(&mut self, t: &Table, nt: &Table) {
        let name = &nt.name;
        let q = name.sql();
        // (old, new, keyword on, keyword off, verb on, verb off, note)
        let flags = [
            (
                t.rls_enabled,
                nt.rls_enabled,
                "ENABLE",
                "DISABLE",
                "enabling",
                "disabling",
                "",
            ),
            (
                t.rls_forced,
                nt.rls_forced,
                "FORCE",
                "NO FORCE",
                "forcing",
                "no longer forcing",
                " (applies to the owner)",
            ),
        ];
        for (was, is, on, off, verb_on, verb_off, note) in flags {
            if was == is {
                continue;
            }
            let (kw, verb) = if is { (on, verb_on) } else { (off, verb_off) };
            let s = step(
                format!("ALTER TABLE {q} {kw} ROW LEVEL SECURITY"),
                ObjectRef::Table { name: name.clone() },
            );
            let s = hazard(
                s,
                HazardKind::AuthzChange,
                format!("{verb} row level security on {name}{note}"),
            );
            self.push(Phase::Rls, s);
        }
    }

    /// Policies of a table. A policy is recreated when its command or mode
    /// changes, when the table is reshaped, or when a function it calls is
    /// dropped.
    pub(super) fn table_policies(&mut self, t: &Table, nt: &Table) {
        let reshaped = self.reshaped_tables.contains(&nt.name)
            || t.policies.values().any(|p| self.policy_reads_changed(p));
        self.drop_policies(t, nt, reshaped);
        self.create_policies(t, nt, reshaped);
    }

    /// Whether a policy's expressions (subqueries) read another table that
    /// is dropped, recreated or reshaped: PostgreSQL refuses to drop or
    /// retype what a policy uses, so the policy is recreated around it.
    fn policy_reads_changed(&self, p: &Policy) -> bool {
        let exprs = [p.using.as_deref(), p.with_check.as_deref()];
        self.reshaped_tables
            .iter()
            .chain(&self.dropped_tables)
            .any(|n| {
                let q = n.sql();
                exprs.iter().flatten().any(|e| mentions_qualified(e, &q))
            })
    }

    /// Policies dropped, or dropped to be recreated.
    fn drop_policies(&mut self, t: &Table, nt: &Table, reshaped: bool) {
        let name = &nt.name;
        let q = name.sql();
        for (pn, p) in &t.policies {
            let np = nt.policies.get(pn);
            let fn_dep = self.dropped_functions.iter().any(|f| policy_mentions(p, f));
            let recreate = match np {
                None => true,
                Some(np) => {
                    np.command != p.command || np.permissive != p.permissive || reshaped || fn_dep
                }
            };
            if recreate {
                let s = step(
                    format!("DROP POLICY {} ON {q}", quote_ident(pn)),
                    ObjectRef::Policy {
                        table: name.clone(),
                        name: pn.clone(),
                    },
                );
                let s = if np.is_none() {
                    hazard(
                        s,
                        HazardKind::AuthzChange,
                        format!("dropping policy {pn} on {name}"),
                    )
                } else {
                    s
                };
                self.push(Phase::DropPolicy, s);
            }
        }
    }

    /// `CREATE POLICY` for `np` (with an AUTHZ_CHANGE hazard saying
    /// `change`, e.g. `creating`, unless `None`), then its comment.
    fn push_create_policy(&mut self, name: &QualName, pn: &str, np: &Policy, change: Option<&str>) {
        let q = name.sql();
        let pobj = ObjectRef::Policy {
            table: name.clone(),
            name: pn.to_owned(),
        };
        let s = step(create_policy_sql(pn, &q, np), pobj.clone());
        let s = match change {
            Some(verb) => hazard(
                s,
                HazardKind::AuthzChange,
                format!("{verb} policy {pn} on {name}"),
            ),
            None => s,
        };
        self.push(Phase::Policy, s);
        self.comment(
            || format!("POLICY {} ON {q}", quote_ident(pn)),
            None,
            np.comment.as_ref(),
            &pobj,
        );
    }

    /// Policies created, recreated or altered.
    fn create_policies(&mut self, t: &Table, nt: &Table, reshaped: bool) {
        let name = &nt.name;
        let q = name.sql();
        for (pn, np) in &nt.policies {
            let pobj = ObjectRef::Policy {
                table: name.clone(),
                name: pn.clone(),
            };
            let old = t.policies.get(pn);
            let fn_dep =
                old.is_some_and(|p| self.dropped_functions.iter().any(|f| policy_mentions(p, f)));
            let recreate = match old {
                None => true,
                Some(p) => {
                    np.command != p.command || np.permissive != p.permissive || reshaped || fn_dep
                }
            };
            if recreate {
                let change = if old.is_some_and(|p| p == np) {
                    None
                } else if old.is_some() {
                    Some("changing")
                } else {
                    Some("creating")
                };
                self.push_create_policy(name, pn, np, change);
                continue;
            }
            let p = old.expect("policy present when not recreated");
            let mut parts = Vec::new();
            if p.roles != np.roles {
                parts.push(format!("TO {}", roles_sql(&np.roles)));
            }
            if p.using != np.using {
                if let Some(u) = &np.using {
                    parts.push(format!("USING ({u})"));
                }
            }
            if p.with_check != np.with_check {
                if let Some(w) = &np.with_check {
                    parts.push(format!("WITH CHECK ({w})"));
                }
            }
            let clears = (p.using.is_some() && np.using.is_none())
                || (p.with_check.is_some() && np.with_check.is_none());
            if clears {
                // ALTER POLICY cannot remove a clause: recreate.
                self.push(
                    Phase::DropPolicy,
                    step(
                        format!("DROP POLICY {} ON {q}", quote_ident(pn)),
                        pobj.clone(),
                    ),
                );
                self.push_create_policy(name, pn, np, Some("changing"));
                continue;
            }
            if !parts.is_empty() {
                let s = step(
                    format!(
                        "ALTER POLICY {} ON {q} {}",
                        quote_ident(pn),
                        parts.join(" ")
                    ),
                    pobj.clone(),
                );
                let s = hazard(
                    s,
                    HazardKind::AuthzChange,
                    format!("changing policy {pn} on {name}"),
                );
                self.push(Phase::Policy, s);
            }
            self.comment(
                || format!("POLICY {} ON {q}", quote_ident(pn)),
                p.comment.as_ref(),
                np.comment.as_ref(),
                &pobj,
            );
        }
    }
}

/// `CREATE POLICY pn ON q ...` for the desired policy `np`.
fn create_policy_sql(pn: &str, q: &str, np: &Policy) -> String {
    let mut sql = format!(
        "CREATE POLICY {} ON {q} AS {} FOR {} TO {}",
        quote_ident(pn),
        if np.permissive {
            "PERMISSIVE"
        } else {
            "RESTRICTIVE"
        },
        np.command.sql(),
        roles_sql(&np.roles)
    );
    if let Some(u) = &np.using {
        sql.push_str(&format!(" USING ({u})"));
    }
    if let Some(w) = &np.with_check {
        sql.push_str(&format!(" WITH CHECK ({w})"));
    }
    sql
}

pub(super) fn roles_sql(roles: &[String]) -> String {
    if roles.is_empty() {
        return "PUBLIC".into();
    }
    roles
        .iter()
        .map(|r| grantee_sql(r))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn policy_mentions(p: &Policy, f: &FunctionId) -> bool {
    p.using.as_deref().is_some_and(|u| mentions_function(u, f))
        || p.with_check
            .as_deref()
            .is_some_and(|w| mentions_function(w, f))
}
