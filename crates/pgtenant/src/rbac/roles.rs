//! Roles: a name with allow and deny patterns, and the parser of the
//! global roles file.
//!
//! ## `rbac/roles.txt`
//!
//! One rule per line: a role name, `allow` or `deny`, then one or more
//! patterns separated by whitespace. A role may have several lines; `#`
//! starts a comment. Every pattern must match a permission of the catalog.
//!
//! ```text
//! owner   allow *
//! admin   allow content.* media.* admin.roles.*
//! admin   deny  admin.tenant.delete
//! viewer  allow content.nodes.view
//! ```

use super::catalog::Catalog;
use super::error::FileError;
use super::name::Pattern;

/// A role as the evaluator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Role {
    pub name: String,
    pub allow: Vec<Pattern>,
    pub deny: Vec<Pattern>,
}

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Effect {
    Deny,
    Allow,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Deny => "deny",
            Effect::Allow => "allow",
        }
    }
}

impl Role {
    pub fn new(name: &str) -> Role {
        Role {
            name: name.to_owned(),
            ..Role::default()
        }
    }

    /// A role from pattern texts; the first bad one is the error.
    pub fn parse(name: &str, allow: &[&str], deny: &[&str]) -> Result<Role, String> {
        let parse = |v: &[&str]| {
            v.iter()
                .map(|p| Pattern::parse(p))
                .collect::<Result<_, _>>()
        };
        Ok(Role {
            name: name.to_owned(),
            allow: parse(allow)?,
            deny: parse(deny)?,
        })
    }

    /// The patterns of one effect.
    pub fn patterns(&self, effect: Effect) -> &[Pattern] {
        match effect {
            Effect::Allow => &self.allow,
            Effect::Deny => &self.deny,
        }
    }
}

/// Whether `pattern` matches at least one permission of `catalog`.
pub fn matches_any(catalog: &Catalog, pattern: &Pattern) -> bool {
    match pattern {
        Pattern::All => !catalog.is_empty(),
        Pattern::Exact(p) => catalog.contains(p),
        // Trie nodes exist only on the paths of permissions, so a node
        // with children has a permission below it.
        Pattern::Below(prefix) => catalog
            .node(prefix)
            .is_some_and(|n| !catalog.nodes[n as usize].children.is_empty()),
    }
}

/// Parse a roles file against the catalog (see the module docs).
pub fn parse_roles(file: &str, text: &str, catalog: &Catalog) -> Result<Vec<Role>, FileError> {
    let mut roles: Vec<Role> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let err = |problem: String| FileError::new(file, i + 1, problem);
        let line = raw.split_once('#').map_or(raw, |(l, _)| l).trim();
        let mut words = line.split_whitespace();
        let Some(name) = words.next() else { continue };
        let effect = match words.next() {
            Some("allow") => Effect::Allow,
            Some("deny") => Effect::Deny,
            Some(other) => {
                return Err(err(format!(
                    "role {name}: expected allow or deny, found {other:?}"
                )))
            }
            None => {
                return Err(err(format!(
                    "role {name}: expected `{name} allow <pattern>…` or `{name} deny <pattern>…`"
                )))
            }
        };
        let idx = match roles.iter().position(|r| r.name == name) {
            Some(idx) => idx,
            None => {
                roles.push(Role::new(name));
                roles.len() - 1
            }
        };
        let mut any = false;
        for text in words {
            any = true;
            let pattern = Pattern::parse(text).map_err(|p| err(format!("role {name}: {p}")))?;
            if !matches_any(catalog, &pattern) {
                return Err(err(format!(
                    "role {name}: pattern {pattern} matches no permission in the catalog; \
                     add the permission to rbac/permissions.txt or fix the pattern"
                )));
            }
            let role = &mut roles[idx];
            match effect {
                Effect::Allow => role.allow.push(pattern),
                Effect::Deny => role.deny.push(pattern),
            }
        }
        if !any {
            return Err(err(format!(
                "role {name}: no pattern after {}",
                effect.as_str()
            )));
        }
    }
    Ok(roles)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::from_names([
            "content.nodes.view",
            "content.nodes.delete",
            "admin.tenant.delete",
        ])
        .unwrap()
    }

    #[test]
    fn rules_accumulate_per_role() {
        let roles = parse_roles(
            "rbac/roles.txt",
            "owner allow *\nadmin allow content.*  # all content\nadmin deny admin.tenant.delete\n",
            &catalog(),
        )
        .unwrap();
        assert_eq!(roles.len(), 2);
        assert_eq!(roles[1].allow, [Pattern::Below("content".into())]);
        assert_eq!(
            roles[1].deny,
            [Pattern::Exact("admin.tenant.delete".into())]
        );
    }

    #[test]
    fn a_pattern_matching_nothing_names_file_and_line() {
        let err = parse_roles(
            "rbac/roles.txt",
            "owner allow *\n\nmember allow content.nodes.view media.*\n",
            &catalog(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "rbac/roles.txt:3: role member: pattern media.* matches no permission in the catalog; \
             add the permission to rbac/permissions.txt or fix the pattern"
        );
        assert_eq!(
            parse_roles("r.txt", "x allow content.nodes.view.*", &catalog())
                .unwrap_err()
                .to_string(),
            "r.txt:1: role x: pattern content.nodes.view.* matches no permission in the catalog; \
             add the permission to rbac/permissions.txt or fix the pattern"
        );
    }

    #[test]
    fn malformed_lines_are_refused() {
        let c = catalog();
        assert_eq!(
            parse_roles("r.txt", "x permit a.b", &c)
                .unwrap_err()
                .to_string(),
            "r.txt:1: role x: expected allow or deny, found \"permit\""
        );
        assert_eq!(
            parse_roles("r.txt", "x deny", &c).unwrap_err().to_string(),
            "r.txt:1: role x: no pattern after deny"
        );
        assert!(parse_roles("r.txt", "x allow content.*.view", &c).is_err());
    }
}
