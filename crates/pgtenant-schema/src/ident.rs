//! The one place where identifiers and literals become SQL text.
//!
//! Values are always bound as parameters. DDL cannot bind, so every
//! identifier and every literal that ends up in generated SQL goes through
//! [`quote_ident`], [`quote_qualified`] or [`quote_literal`]. Nothing else
//! in the workspace formats user-provided names into SQL.

use std::fmt;

/// PostgreSQL's limit on identifier length (NAMEDATALEN - 1).
pub const MAX_IDENT_LEN: usize = 63;

/// Words that must always be quoted when used as identifiers
/// (PostgreSQL's reserved key words, "reserved" and "reserved (can be
/// function or type)").
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// Quote an identifier the way PostgreSQL's `quote_ident` does: bare when it
/// is a lower-case, non-reserved word, double-quoted (with `"` doubled)
/// otherwise.
pub fn quote_ident(name: &str) -> String {
    if is_bare_safe(name) {
        name.to_owned()
    } else {
        let mut out = String::with_capacity(name.len() + 2);
        out.push('"');
        for c in name.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
        out
    }
}

/// `schema.name`, each part quoted. The `public` schema is kept explicit so
/// generated SQL never depends on `search_path`.
pub fn quote_qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

/// Quote a string literal: `'...'` with `'` doubled; backslashes make it an
/// `E'...'` literal with `\` doubled, so the result is the same whatever
/// `standard_conforming_strings` says.
pub fn quote_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 3);
    if value.contains('\\') {
        out.push('E');
    }
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn is_bare_safe(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_lowercase() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !RESERVED.contains(&name)
}

/// Why a name cannot be used for a role or database that pgtenant creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentError {
    Empty,
    TooLong { len: usize },
    BadStart,
    BadChar(char),
    Reserved,
}

impl fmt::Display for IdentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentError::Empty => write!(f, "the name is empty"),
            IdentError::TooLong { len } => {
                write!(
                    f,
                    "the name is {len} bytes long; PostgreSQL allows at most {MAX_IDENT_LEN}"
                )
            }
            IdentError::BadStart => write!(f, "the name must start with a lower-case letter or _"),
            IdentError::BadChar(c) => write!(
                f,
                "the name contains {c:?}; use lower-case letters, digits and _ only"
            ),
            IdentError::Reserved => write!(f, "the name is a reserved SQL key word"),
        }
    }
}

impl std::error::Error for IdentError {}

/// Check a name that pgtenant will create (a database or a role): a plain
/// lower-case identifier that needs no quoting, so it reads the same in
/// every tool, shell and connection string.
pub fn validate_plain_ident(name: &str) -> Result<(), IdentError> {
    if name.is_empty() {
        return Err(IdentError::Empty);
    }
    if name.len() > MAX_IDENT_LEN {
        return Err(IdentError::TooLong { len: name.len() });
    }
    let first = name.chars().next().unwrap_or('_');
    if !(first.is_ascii_lowercase() || first == '_') {
        return Err(IdentError::BadStart);
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        return Err(IdentError::BadChar(c));
    }
    if RESERVED.contains(&name) {
        return Err(IdentError::Reserved);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_names_stay_bare() {
        assert_eq!(quote_ident("users"), "users");
        assert_eq!(quote_ident("tenant_id2"), "tenant_id2");
        assert_eq!(quote_ident("_x"), "_x");
    }

    #[test]
    fn mixed_case_reserved_and_odd_names_are_quoted() {
        assert_eq!(quote_ident("TeamMember"), "\"TeamMember\"");
        assert_eq!(quote_ident("user"), "\"user\"");
        assert_eq!(quote_ident("order"), "\"order\"");
        assert_eq!(quote_ident("a b"), "\"a b\"");
        assert_eq!(quote_ident("1abc"), "\"1abc\"");
        assert_eq!(quote_ident(""), "\"\"");
        assert_eq!(
            quote_ident("x\"; drop table t; --"),
            "\"x\"\"; drop table t; --\""
        );
    }

    #[test]
    fn qualified_names_quote_each_part() {
        assert_eq!(
            quote_qualified("public", "TeamMember"),
            "public.\"TeamMember\""
        );
    }

    #[test]
    fn literals_double_quotes_and_backslashes() {
        assert_eq!(quote_literal("abc"), "'abc'");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal(r"a\b"), r"E'a\\b'");
        assert_eq!(quote_literal("'; drop role x; --"), "'''; drop role x; --'");
    }

    #[test]
    fn plain_ident_validation() {
        assert_eq!(validate_plain_ident("svc_users"), Ok(()));
        assert_eq!(validate_plain_ident(""), Err(IdentError::Empty));
        assert_eq!(validate_plain_ident("Users"), Err(IdentError::BadStart));
        assert_eq!(
            validate_plain_ident("svc-users"),
            Err(IdentError::BadChar('-'))
        );
        assert_eq!(validate_plain_ident("select"), Err(IdentError::Reserved));
        assert_eq!(
            validate_plain_ident(&"a".repeat(64)),
            Err(IdentError::TooLong { len: 64 })
        );
        assert_eq!(
            validate_plain_ident("a;b").unwrap_err().to_string(),
            "the name contains ';'; use lower-case letters, digits and _ only"
        );
    }
}
