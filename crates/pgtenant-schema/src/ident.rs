//! The one place where identifiers and literals become SQL text.
//!
//! Values are always bound as parameters. DDL cannot bind, so every
//! identifier and every literal that ends up in generated SQL goes through
//! [`quote_ident`], [`quote_qualified`], [`quote_setting`] or
//! [`quote_literal`] (or, for a value placed inside quotes already written,
//! [`literal_body`], [`escape_literal_body`], [`ident_body`]). Nothing else
//! in the workspace formats user-provided names into SQL.
//!
//! It also owns the one rule for the names pgtenant creates
//! ([`validate_plain_ident`]) and for the custom settings that carry the
//! tenant and user ids ([`validate_setting`]).

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
        format!("\"{}\"", ident_body(name))
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
    if value.contains('\\') {
        format!("E'{}'", escape_literal_body(value))
    } else {
        format!("'{}'", literal_body(value))
    }
}

/// `value` as the text between the quotes of a `'...'` literal: `'` doubled.
pub fn literal_body(value: &str) -> String {
    value.replace('\'', "''")
}

/// `value` as the text between the quotes of an `E'...'` literal: `\` and
/// `'` doubled.
pub fn escape_literal_body(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\'', "''")
}

/// `value` as the text between the quotes of a `"..."` identifier: `"`
/// doubled.
pub fn ident_body(value: &str) -> String {
    value.replace('"', "\"\"")
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

/// Why a name cannot be a tenancy setting (`app.tenant_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingNameError {
    TooLong,
    NoPrefix,
    BadPart,
}

impl fmt::Display for SettingNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SettingNameError::TooLong => "is too long; use at most 63 bytes",
            SettingNameError::NoPrefix => "needs a prefix and a name, e.g. \"app.tenant_id\"",
            SettingNameError::BadPart => "must be lower-case words (a-z, 0-9, _) joined by dots",
        })
    }
}

impl std::error::Error for SettingNameError {}

/// The one rule for the settings that carry the tenant and user ids: two or
/// more dot-separated parts, each a lower-case word (`[a-z_][a-z0-9_]*`),
/// at most 63 bytes in all.
///
/// It is the library's rule, chosen over looser ones because the library
/// is where the name meets the server (`SET LOCAL <name> = …`), so a name
/// anything else accepts must also work there:
/// - the dot makes it a custom setting, never one of PostgreSQL's own
///   (`role`, `session_authorization`, …), which a tenant id must not set;
/// - lower case, because PostgreSQL folds setting names to lower case: the
///   name in the policy text is then exactly the name that is set;
/// - each part starts like an unquoted identifier, so the policy's
///   `current_setting('<name>')` and the `SET LOCAL` agree without quoting
///   tricks ([`quote_setting`] still quotes key words such as `user`);
/// - more than two parts are allowed, as PostgreSQL allows them.
pub fn validate_setting(name: &str) -> Result<(), SettingNameError> {
    if name.len() > MAX_IDENT_LEN {
        return Err(SettingNameError::TooLong);
    }
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() < 2 {
        return Err(SettingNameError::NoPrefix);
    }
    for part in parts {
        let mut chars = part.chars();
        let starts_well = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
        if !starts_well || !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(SettingNameError::BadPart);
        }
    }
    Ok(())
}

/// A validated setting name (`app.tenant_id`) for `SET LOCAL`: each dotted
/// part quoted, so a part that is a key word (`app.user`) still parses.
pub fn quote_setting(name: &str) -> String {
    name.split('.')
        .map(quote_ident)
        .collect::<Vec<_>>()
        .join(".")
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
    fn bodies_escape_only_their_own_quote() {
        assert_eq!(literal_body(r"it's a\b"), r"it''s a\b");
        assert_eq!(escape_literal_body(r"it's a\b"), r"it''s a\\b");
        assert_eq!(ident_body("a\"b'c"), "a\"\"b'c");
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

    #[test]
    fn setting_names_accepted() {
        for name in [
            "app.tenant_id",
            "app.user_id",
            "my_app.ctx.tenant",
            "_x.y2",
            "app.user",
            &format!("a.{}", "b".repeat(61)),
        ] {
            assert_eq!(validate_setting(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn setting_names_rejected() {
        for (name, why) in [
            ("role", SettingNameError::NoPrefix),
            ("", SettingNameError::NoPrefix),
            ("app.", SettingNameError::BadPart),
            (".tenant", SettingNameError::BadPart),
            ("app..tenant", SettingNameError::BadPart),
            ("app.Tenant", SettingNameError::BadPart),
            ("App.tenant", SettingNameError::BadPart),
            ("app.1x", SettingNameError::BadPart),
            ("app.tenant-id", SettingNameError::BadPart),
            ("app.tenant'); --", SettingNameError::BadPart),
            ("app.tenant id", SettingNameError::BadPart),
            ("app.tenänt", SettingNameError::BadPart),
        ] {
            assert_eq!(validate_setting(name), Err(why), "{name:?}");
        }
        let long = format!("a.{}", "b".repeat(62));
        assert_eq!(validate_setting(&long), Err(SettingNameError::TooLong));
        assert_eq!(
            SettingNameError::NoPrefix.to_string(),
            "needs a prefix and a name, e.g. \"app.tenant_id\""
        );
    }

    #[test]
    fn setting_parts_that_are_key_words_are_quoted() {
        assert_eq!(quote_setting("app.tenant_id"), "app.tenant_id");
        assert_eq!(quote_setting("app.user"), "app.\"user\"");
    }
}
