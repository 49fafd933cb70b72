//! Roles compiled against the catalog: every catalog permission gets its
//! decision at compile time, so a check is one walk of the catalog trie
//! (one hash lookup per segment) and one array read: no allocation,
//! O(length of the permission), whatever the number of roles and patterns.

use super::catalog::Catalog;
use super::error::{DecidedBy, Forbidden};
use super::name::Pattern;
use super::roles::{Effect, Role};
use std::sync::Arc;

/// Where a decision came from: a pattern of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// Index into [`Rbac::roles`].
    pub role: u32,
    /// Index into that role's allow or deny list.
    pub pattern: u32,
}

/// The answer for one permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Some role allows it and none denies it (the first allowing pattern).
    Allowed(Source),
    /// A role denies it (the first denying pattern).
    Denied(Source),
    /// In the catalog, but no role allows it.
    NotAllowed,
    /// Not in the catalog.
    Unknown,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        matches!(self, Decision::Allowed(_))
    }
}

/// One matching pattern, for explanations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub effect: Effect,
    pub role: String,
    pub pattern: String,
}

/// Every pattern that covers a permission, and the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub permission: String,
    pub decision: Decision,
    /// Deny matches first, then allow; by role order, then pattern order.
    pub matches: Vec<Match>,
}

/// Per trie node, while compiling: the first pattern marking the node
/// exactly, and the first marking everything below it.
#[derive(Debug, Clone, Copy, Default)]
struct Marks {
    exact: [Option<Source>; 2],
    below: [Option<Source>; 2],
}

fn slot(effect: Effect) -> usize {
    match effect {
        Effect::Deny => 0,
        Effect::Allow => 1,
    }
}

/// Roles compiled against a catalog.
#[derive(Debug, Clone)]
pub struct Rbac {
    catalog: Arc<Catalog>,
    roles: Vec<Role>,
    /// By catalog permission index.
    decisions: Vec<Decision>,
}

impl Rbac {
    /// Compile `roles`. A pattern that matches nothing in the catalog
    /// grants or denies nothing (the database refuses to store one; the
    /// seed files are checked by [`parse_roles`](super::parse_roles)).
    pub fn compile(catalog: Arc<Catalog>, roles: Vec<Role>) -> Rbac {
        let mut marks = vec![Marks::default(); catalog.nodes.len()];
        for (ri, role) in roles.iter().enumerate() {
            for effect in [Effect::Deny, Effect::Allow] {
                for (pi, pattern) in role.patterns(effect).iter().enumerate() {
                    let (Ok(r), Ok(p)) = (u32::try_from(ri), u32::try_from(pi)) else {
                        continue;
                    };
                    let source = Source {
                        role: r,
                        pattern: p,
                    };
                    let (node, below) = match pattern {
                        Pattern::All => (Some(0), true),
                        Pattern::Below(prefix) => (catalog.node(prefix), true),
                        Pattern::Exact(name) => (catalog.node(name), false),
                    };
                    let Some(node) = node else { continue };
                    let m = &mut marks[node as usize];
                    let target = if below { &mut m.below } else { &mut m.exact };
                    target[slot(effect)].get_or_insert(source);
                }
            }
        }
        // Parents come before children: one forward pass carries what is
        // inherited from above (the `below` marks of the ancestors).
        let mut inherited = vec![[None::<Source>; 2]; catalog.nodes.len()];
        let mut decisions = vec![Decision::NotAllowed; catalog.len()];
        for (id, node) in catalog.nodes.iter().enumerate() {
            let from_above = if id == 0 {
                [None, None]
            } else {
                let p = node.parent as usize;
                let mut h = inherited[p];
                for (s, b) in h.iter_mut().zip(marks[p].below) {
                    *s = s.or(b);
                }
                h
            };
            inherited[id] = from_above;
            if let Some(perm) = node.permission {
                let m = marks[id];
                let deny = from_above[0].or(m.exact[0]);
                let allow = from_above[1].or(m.exact[1]);
                decisions[perm as usize] = match (deny, allow) {
                    (Some(d), _) => Decision::Denied(d),
                    (None, Some(a)) => Decision::Allowed(a),
                    (None, None) => Decision::NotAllowed,
                };
            }
        }
        Rbac {
            catalog,
            roles,
            decisions,
        }
    }

    /// The decision for `permission`. Allocation-free.
    #[inline]
    pub fn decide(&self, permission: &str) -> Decision {
        match self.catalog.index(permission) {
            Some(i) => self.decisions[i as usize],
            None => Decision::Unknown,
        }
    }

    /// Whether `permission` is allowed. Allocation-free.
    #[inline]
    pub fn allows(&self, permission: &str) -> bool {
        self.decide(permission).is_allowed()
    }

    /// `Ok` when allowed, otherwise what refused it.
    pub fn require(&self, permission: &str) -> Result<(), Forbidden> {
        let decided_by = match self.decide(permission) {
            Decision::Allowed(_) => return Ok(()),
            Decision::Denied(s) => {
                let (role, pattern) = self.source(s, Effect::Deny);
                DecidedBy::Deny {
                    role: role.to_owned(),
                    pattern: pattern.to_string(),
                }
            }
            Decision::NotAllowed => DecidedBy::NoAllow,
            Decision::Unknown => DecidedBy::UnknownPermission,
        };
        Err(Forbidden {
            permission: permission.to_owned(),
            decided_by,
        })
    }

    /// The role name and pattern a [`Source`] points at.
    pub fn source(&self, s: Source, effect: Effect) -> (&str, &Pattern) {
        let role = &self.roles[s.role as usize];
        (&role.name, &role.patterns(effect)[s.pattern as usize])
    }

    /// Every allow and deny pattern covering `permission`, with the decision.
    pub fn explain(&self, permission: &str) -> Explanation {
        let mut matches = Vec::new();
        for effect in [Effect::Deny, Effect::Allow] {
            for role in &self.roles {
                for p in role.patterns(effect) {
                    if p.matches(permission) {
                        matches.push(Match {
                            effect,
                            role: role.name.clone(),
                            pattern: p.to_string(),
                        });
                    }
                }
            }
        }
        Explanation {
            permission: permission.to_owned(),
            decision: self.decide(permission),
            matches,
        }
    }

    /// Every allowed permission, in catalog order.
    pub fn allowed(&self) -> impl Iterator<Item = &str> {
        self.catalog
            .permissions()
            .iter()
            .zip(&self.decisions)
            .filter(|(_, d)| d.is_allowed())
            .map(|(p, _)| p.name.as_str())
    }

    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rbac(roles: &[(&str, &[&str], &[&str])]) -> Rbac {
        let catalog = Catalog::from_names([
            "content.read",
            "content.read.own",
            "content.video.delete",
            "admin.roles.view",
            "admin.roles.assign",
            "admin.tenant.delete",
        ])
        .unwrap();
        let roles = roles
            .iter()
            .map(|(n, a, d)| Role::parse(n, a, d).unwrap())
            .collect();
        Rbac::compile(Arc::new(catalog), roles)
    }

    #[test]
    fn below_never_covers_the_prefix_itself() {
        let r = rbac(&[("r", &["content.read.*"], &[])]);
        assert!(r.allows("content.read.own"));
        assert!(!r.allows("content.read"));
    }

    #[test]
    fn deny_wins_at_any_specificity() {
        let r = rbac(&[
            ("admin", &["admin.roles.assign"], &[]),
            ("member", &["content.*"], &["admin.*"]),
        ]);
        assert!(!r.allows("admin.roles.assign"));
        assert_eq!(
            r.require("admin.roles.assign").unwrap_err().to_string(),
            "admin.roles.assign is denied by role member (deny pattern admin.*)"
        );
        assert!(r.allows("content.video.delete"));
        let all = rbac(&[("owner", &["*"], &["*"])]);
        assert_eq!(all.allowed().count(), 0);
    }

    #[test]
    fn unknown_and_not_allowed_are_told_apart() {
        let r = rbac(&[("owner", &["*"], &[])]);
        assert_eq!(r.decide("content.write"), Decision::Unknown);
        assert_eq!(
            r.require("content.write").unwrap_err().to_string(),
            "content.write is not in the permission catalog; add it to rbac/permissions.txt or fix the name"
        );
        let empty = rbac(&[("empty", &[], &[])]);
        assert_eq!(empty.decide("content.read"), Decision::NotAllowed);
        assert_eq!(
            empty.require("content.read").unwrap_err().to_string(),
            "content.read is not allowed: no role held here allows it"
        );
    }

    #[test]
    fn explain_lists_every_matching_pattern_deny_first() {
        let r = rbac(&[
            ("admin", &["admin.*", "admin.roles.*"], &[]),
            ("limited", &["*"], &["admin.roles.assign"]),
        ]);
        let e = r.explain("admin.roles.assign");
        assert!(matches!(e.decision, Decision::Denied(_)));
        let m: Vec<_> = e
            .matches
            .iter()
            .map(|m| format!("{} {} {}", m.effect.as_str(), m.role, m.pattern))
            .collect();
        assert_eq!(
            m,
            [
                "deny limited admin.roles.assign",
                "allow admin admin.*",
                "allow admin admin.roles.*",
                "allow limited *"
            ]
        );
    }
}
