//! Permission names and patterns: the one Rust owner of their syntax and of
//! what a pattern matches (`rbac_valid_permission`, `rbac_valid_pattern`
//! and `rbac_pattern_matches` are the SQL ones; a property test keeps them
//! equal).

use std::fmt;

/// Fewest and most segments of a permission.
pub const MIN_SEGMENTS: usize = 2;
pub const MAX_SEGMENTS: usize = 4;

/// Why a name is not a permission or a pattern.
pub type NameProblem = String;

fn valid_segment(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn segment_problem(name: &str, what: &str) -> Option<NameProblem> {
    name.split('.').find(|s| !valid_segment(s)).map(|bad| {
        format!(
            "{what} {name:?} has segment {bad:?}; a segment is a lower-case letter \
             followed by lower-case letters, digits or _"
        )
    })
}

/// Check a permission name: 2 to 4 segments `[a-z][a-z0-9_]*` joined by dots.
pub fn validate_permission(name: &str) -> Result<(), NameProblem> {
    if let Some(p) = segment_problem(name, "permission") {
        return Err(p);
    }
    let n = name.split('.').count();
    if !(MIN_SEGMENTS..=MAX_SEGMENTS).contains(&n) {
        return Err(format!(
            "permission {name:?} has {n} segment{}; use {MIN_SEGMENTS} to {MAX_SEGMENTS}, \
             e.g. content.nodes.delete",
            if n == 1 { "" } else { "s" }
        ));
    }
    Ok(())
}

/// A role pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Pattern {
    /// `*`: every permission.
    All,
    /// `prefix.*`: every permission strictly below `prefix` (not `prefix`
    /// itself). Holds the prefix without the `.*`.
    Below(String),
    /// One permission.
    Exact(String),
}

impl Pattern {
    /// Parse `*`, `a.*` … `a.b.c.*`, or a permission.
    pub fn parse(text: &str) -> Result<Pattern, NameProblem> {
        if text == "*" {
            return Ok(Pattern::All);
        }
        if let Some(prefix) = text.strip_suffix(".*") {
            if let Some(p) = segment_problem(prefix, "pattern") {
                return Err(if prefix.contains('*') {
                    format!(
                        "pattern {text:?} has a * before its last segment; a * may only \
                         end a pattern (content.*) or stand alone (*)"
                    )
                } else {
                    p
                });
            }
            let n = prefix.split('.').count();
            if n >= MAX_SEGMENTS {
                return Err(format!(
                    "pattern {text:?} covers permissions of more than {MAX_SEGMENTS} segments, \
                     which cannot exist; drop the .*"
                ));
            }
            return Ok(Pattern::Below(prefix.to_owned()));
        }
        if text.contains('*') {
            return Err(format!(
                "pattern {text:?} has a * before its last segment; a * may only end a \
                 pattern (content.*) or stand alone (*)"
            ));
        }
        validate_permission(text).map(|()| Pattern::Exact(text.to_owned()))
    }

    /// Whether the pattern covers `permission`.
    pub fn matches(&self, permission: &str) -> bool {
        match self {
            Pattern::All => true,
            Pattern::Exact(p) => p == permission,
            Pattern::Below(prefix) => permission
                .strip_prefix(prefix.as_str())
                .is_some_and(|rest| rest.len() > 1 && rest.starts_with('.')),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::All => f.write_str("*"),
            Pattern::Below(p) => write!(f, "{p}.*"),
            Pattern::Exact(p) => f.write_str(p),
        }
    }
}

impl std::str::FromStr for Pattern {
    type Err = NameProblem;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pattern::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_have_two_to_four_lower_case_segments() {
        assert!(validate_permission("content.read").is_ok());
        assert!(validate_permission("a.b_2.c.d").is_ok());
        assert_eq!(
            validate_permission("content").unwrap_err(),
            "permission \"content\" has 1 segment; use 2 to 4, e.g. content.nodes.delete"
        );
        assert!(validate_permission("a.b.c.d.e").is_err());
        assert_eq!(
            validate_permission("Content.read").unwrap_err(),
            "permission \"Content.read\" has segment \"Content\"; a segment is a lower-case \
             letter followed by lower-case letters, digits or _"
        );
        assert!(validate_permission("content..read").is_err());
        assert!(validate_permission("content.1read").is_err());
        assert!(validate_permission("content.read.").is_err());
    }

    #[test]
    fn below_matches_strictly_below_the_prefix() {
        let p = Pattern::parse("content.*").unwrap();
        assert!(p.matches("content.read"));
        assert!(p.matches("content.nodes.delete"));
        assert!(!p.matches("content"));
        assert!(!p.matches("contents.read"));
        assert!(!Pattern::parse("admin.roles.*")
            .unwrap()
            .matches("admin.roles"));
        assert!(Pattern::parse("*").unwrap().matches("x.y"));
        assert!(Pattern::parse("a.b").unwrap().matches("a.b"));
        assert!(!Pattern::parse("a.b").unwrap().matches("a.b.c"));
    }

    #[test]
    fn stars_only_end_a_pattern() {
        assert_eq!(
            Pattern::parse("content.*.view").unwrap_err(),
            "pattern \"content.*.view\" has a * before its last segment; a * may only end a \
             pattern (content.*) or stand alone (*)"
        );
        assert!(Pattern::parse("*.*").is_err());
        assert!(Pattern::parse("a.b.c.d.*").is_err());
        assert!(Pattern::parse("a.b.c.*").is_ok());
        assert_eq!(Pattern::parse("a.*").unwrap().to_string(), "a.*");
    }
}
