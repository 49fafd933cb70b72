//! Grants, comments and storage options: the steps every kind shares.

use super::{hazard, step, Differ, Phase};
use crate::ident::{quote_ident, quote_literal};
use crate::model::*;
use crate::plan::HazardKind;

impl Differ<'_> {
    /// `ALTER <target> RESET (...)` for storage options that went away and
    /// `SET (...)` for new or changed ones (`options` are `key=value`).
    pub(super) fn reloptions(
        &mut self,
        phase: Phase,
        target: &str,
        old: &[String],
        new: &[String],
        obj: &ObjectRef,
    ) {
        if old == new {
            return;
        }
        let key = |o: &String| o.split('=').next().map(str::to_owned);
        let removed: Vec<String> = old
            .iter()
            .filter_map(key)
            .filter(|k| !new.iter().any(|n| key(n).as_deref() == Some(k)))
            .collect();
        if !removed.is_empty() {
            self.push(
                phase,
                step(
                    format!("ALTER {target} RESET ({})", removed.join(", ")),
                    obj.clone(),
                ),
            );
        }
        let set: Vec<&str> = new
            .iter()
            .filter(|o| !old.contains(o))
            .map(String::as_str)
            .collect();
        if !set.is_empty() {
            self.push(
                phase,
                step(
                    format!("ALTER {target} SET ({})", set.join(", ")),
                    obj.clone(),
                ),
            );
        }
    }

    pub(super) fn grants(
        &mut self,
        target: &str,
        old: &[Grant],
        new: &[Grant],
        obj: &ObjectRef,
        what: &str,
    ) {
        self.grants_on(target, None, old, new, obj, what);
    }

    /// GRANT / REVOKE steps from `old` to `new` on `target`; with `column`
    /// (quoted), the privileges are column privileges (`SELECT (col)`).
    pub(super) fn grants_on(
        &mut self,
        target: &str,
        column: Option<&str>,
        old: &[Grant],
        new: &[Grant],
        obj: &ObjectRef,
        what: &str,
    ) {
        let cols = column.map(|c| format!(" ({c})")).unwrap_or_default();
        for g in old {
            if !new
                .iter()
                .any(|n| n.grantee == g.grantee && n.privilege == g.privilege)
            {
                let s = step(
                    format!(
                        "REVOKE {}{cols} ON {target} FROM {}",
                        g.privilege,
                        grantee_sql(&g.grantee)
                    ),
                    obj.clone(),
                );
                let s = hazard(
                    s,
                    HazardKind::AuthzChange,
                    format!("revoking {} on {what} from {}", g.privilege, g.grantee),
                );
                self.push(Phase::Grant, s);
            }
        }
        for g in new {
            let prev = old
                .iter()
                .find(|o| o.grantee == g.grantee && o.privilege == g.privilege);
            if prev == Some(g) {
                continue;
            }
            let sql = if prev.is_some_and(|p| p.with_grant_option) && !g.with_grant_option {
                format!(
                    "REVOKE GRANT OPTION FOR {}{cols} ON {target} FROM {}",
                    g.privilege,
                    grantee_sql(&g.grantee)
                )
            } else {
                format!(
                    "GRANT {}{cols} ON {target} TO {}{}",
                    g.privilege,
                    grantee_sql(&g.grantee),
                    if g.with_grant_option {
                        " WITH GRANT OPTION"
                    } else {
                        ""
                    }
                )
            };
            let s = hazard(
                step(sql, obj.clone()),
                HazardKind::AuthzChange,
                format!("granting {} on {what} to {}", g.privilege, g.grantee),
            );
            self.push(Phase::Grant, s);
        }
    }

    /// `COMMENT ON target IS ...` when the comment changes; `target` is
    /// only rendered then.
    pub(super) fn comment(
        &mut self,
        target: impl FnOnce() -> String,
        old: Option<&String>,
        new: Option<&String>,
        obj: &ObjectRef,
    ) {
        if old == new {
            return;
        }
        let target = target();
        let v = new
            .map(|c| quote_literal(c))
            .unwrap_or_else(|| "NULL".into());
        self.push(
            Phase::Comment,
            step(format!("COMMENT ON {target} IS {v}"), obj.clone()),
        );
    }
}

pub(super) fn grantee_sql(g: &str) -> String {
    if g.eq_ignore_ascii_case("public") {
        "PUBLIC".to_owned()
    } else {
        quote_ident(g)
    }
}
