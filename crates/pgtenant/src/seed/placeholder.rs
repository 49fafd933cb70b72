//! `${VAR}` / `${VAR:-default}` placeholders in seed files.
//!
//! Semantics (shell-like lookup, SQL-safe insertion):
//! - `${VAR}` is the value of VAR; unset → an error naming `file:line`, and
//!   no seed runs. `${VAR:-default}` is VAR's value, or `default` when VAR is
//!   unset or empty. The default runs to the first `}`.
//! - The value is inserted as *data*, escaped for the kind of text the
//!   placeholder sits in, so that no value can end its string and add SQL:
//!   - inside `'...'`: `'` is doubled (`'${EMAIL}'` stays one string);
//!   - inside `E'...'`: `'` and `\` are doubled;
//!   - inside `"..."` (an identifier): `"` is doubled;
//!   - inside `$tag$...$tag$`: inserted as is, refused if it contains `$tag$`;
//!   - in plain SQL: inserted as a quoted literal (`${N:-5}` → `'5'`, which
//!     PostgreSQL casts to the column's type like any literal).
//! - In comments placeholders are left alone (and need not be set).

use pgtenant_schema::ident::quote_literal;
use pgtenant_schema::sqltext::lex::{self, Kind};
use pgtenant_schema::sqltext::line_of;

/// Why a placeholder could not be filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceholderError {
    pub line: usize,
    pub message: String,
}

/// Fill every placeholder of `text`; all problems are returned, not just the first.
pub fn render(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Vec<PlaceholderError>> {
    let mut out = String::with_capacity(text.len());
    let mut errors = Vec::new();
    for t in lex::lex(text) {
        let span = &text[t.start..t.end];
        if matches!(t.kind, Kind::LineComment | Kind::BlockComment) || !span.contains("${") {
            out.push_str(span);
            continue;
        }
        let mut rest = span;
        let mut consumed = t.start;
        while let Some(at) = rest.find("${") {
            out.push_str(&rest[..at]);
            let after = &rest[at + 2..];
            let line = line_of(text, consumed + at);
            let Some(close) = after.find('}') else {
                errors.push(PlaceholderError {
                    line,
                    message: "`${` without a closing `}`".into(),
                });
                out.push_str(&rest[at..]);
                rest = "";
                break;
            };
            let inner = &after[..close];
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            let valid_name = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid_name {
                errors.push(PlaceholderError {
                    line,
                    message: format!("`${{{inner}}}` is not a placeholder; write ${{NAME}} or ${{NAME:-default}}"),
                });
            } else {
                let value = match (env(name), default) {
                    (Some(v), Some(d)) if v.is_empty() => Some(d.to_owned()),
                    (Some(v), _) => Some(v),
                    (None, Some(d)) => Some(d.to_owned()),
                    (None, None) => None,
                };
                match value {
                    None => errors.push(PlaceholderError {
                        line,
                        message: format!(
                            "${{{name}}} is not set and has no default; set {name} in the environment (or .env), or write ${{{name}:-default}}"
                        ),
                    }),
                    Some(v) => match escape(&v, t.kind, span) {
                        Ok(s) => out.push_str(&s),
                        Err(m) => errors.push(PlaceholderError { line, message: format!("${{{name}}}: {m}") }),
                    },
                }
            }
            let used = at + 2 + close + 1;
            consumed += used;
            rest = &rest[used..];
        }
        out.push_str(rest);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn escape(value: &str, kind: Kind, span: &str) -> Result<String, String> {
    Ok(match kind {
        Kind::Code => quote_literal(value),
        Kind::String => value.replace('\'', "''"),
        Kind::EscapeString => value.replace('\\', "\\\\").replace('\'', "''"),
        Kind::QuotedIdent => value.replace('"', "\"\""),
        Kind::DollarQuoted { tag_len } => {
            let tag = &span[..tag_len.min(span.len())];
            if value.contains(tag) {
                return Err(format!(
                    "the value contains {tag}, which would end the dollar-quoted text"
                ));
            }
            value.to_owned()
        }
        Kind::LineComment | Kind::BlockComment => value.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "EMAIL" => Some("o'brien@example.com".into()),
            "EMPTY" => Some(String::new()),
            "EVIL" => Some("x'); drop table users; --".into()),
            "BS" => Some("a\\'b".into()),
            _ => None,
        }
    }

    fn r(t: &str) -> Result<String, Vec<PlaceholderError>> {
        render(t, &env)
    }

    #[test]
    fn values_stay_inside_their_string() {
        assert_eq!(
            r("select '${EMAIL}'").unwrap(),
            "select 'o''brien@example.com'"
        );
        assert_eq!(
            r("insert into t values ('${EVIL}');").unwrap(),
            "insert into t values ('x''); drop table users; --');"
        );
        assert_eq!(r("select E'${BS}'").unwrap(), "select E'a\\\\''b'");
        assert_eq!(
            r("select \"${EMAIL}\"").unwrap(),
            "select \"o'brien@example.com\""
        );
    }

    #[test]
    fn bare_placeholders_become_literals() {
        assert_eq!(
            r("select ${EVIL}").unwrap(),
            "select 'x''); drop table users; --'"
        );
        assert_eq!(r("limit ${N:-5}").unwrap(), "limit '5'");
    }

    #[test]
    fn defaults_apply_when_unset_or_empty() {
        assert_eq!(
            r("select '${NOPE:-demo@example.com}'").unwrap(),
            "select 'demo@example.com'"
        );
        assert_eq!(
            r("select '${EMPTY:-d}', '${EMPTY}'").unwrap(),
            "select 'd', ''"
        );
    }

    #[test]
    fn undefined_without_default_names_the_line() {
        let e = r("select 1;\nselect '${NOPE}', '${ALSO_NOPE}';").unwrap_err();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].line, 2);
        assert_eq!(
            e[0].message,
            "${NOPE} is not set and has no default; set NOPE in the environment (or .env), or write ${NOPE:-default}"
        );
    }

    #[test]
    fn comments_are_left_alone_and_dollar_tags_are_guarded() {
        assert_eq!(
            r("-- uses ${NOPE}\nselect 1").unwrap(),
            "-- uses ${NOPE}\nselect 1"
        );
        assert_eq!(
            r("select $$${EMAIL}$$").unwrap(),
            "select $$o'brien@example.com$$"
        );
        let e = render("select $$${X}$$", &|_| Some("a$$b".into())).unwrap_err();
        assert!(
            e[0].message.contains("would end the dollar-quoted text"),
            "{e:?}"
        );
    }
}
