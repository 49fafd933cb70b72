//! `${VAR}` / `${VAR:-default}`: the one grammar ([`scan`]), and its use in
//! seed files ([`render`]). The CLI's manifest expands its values with
//! [`scan`] too, as plain text.
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

use pgtenant_schema::ident::{escape_literal_body, ident_body, literal_body, quote_literal};
use pgtenant_schema::sqltext::lex::{self, Kind};
use pgtenant_schema::sqltext::line_of;

/// Why a placeholder could not be filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceholderError {
    pub line: usize,
    pub message: String,
}

/// One `${NAME}` or `${NAME:-default}` reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Var<'a> {
    pub name: &'a str,
    /// The text after `:-`, up to the first `}` (may be empty).
    pub default: Option<&'a str>,
}

impl Var<'_> {
    /// The value with shell rules: VAR's value, or the default when VAR is
    /// unset or empty; `None` when VAR is unset and there is no default.
    pub fn value(&self, lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        match (lookup(self.name), self.default) {
            (Some(v), Some(d)) if v.is_empty() => Some(d.to_owned()),
            (Some(v), _) => Some(v),
            (None, Some(d)) => Some(d.to_owned()),
            (None, None) => None,
        }
    }
}

/// A `${` that does not start a valid reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyntaxError {
    /// `${` without its `}`; the rest of the text is not scanned.
    Unclosed,
    /// `${...}` whose NAME is not `[A-Za-z_][A-Za-z0-9_]*`; holds the text
    /// between the braces.
    BadName(String),
}

/// A piece of scanned text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    /// Text without references (a `$` not followed by `{` is text).
    Text(&'a str),
    /// A reference; `offset` is the byte offset of its `${`.
    Var { offset: usize, var: Var<'a> },
    /// A malformed reference at `offset`.
    Error { offset: usize, error: SyntaxError },
}

/// The one `${VAR}` grammar, shared by seed files and the CLI's manifest:
/// `${NAME}` or `${NAME:-default}`, NAME made of ASCII letters, digits and
/// `_` and not starting with a digit, the default running to the first `}`.
/// Callers decide what a value becomes (plain text, escaped SQL).
pub fn scan(text: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(found) = text[pos..].find("${") {
        let at = pos + found;
        if at > pos {
            out.push(Segment::Text(&text[pos..at]));
        }
        let after = &text[at + 2..];
        let Some(close) = after.find('}') else {
            out.push(Segment::Error {
                offset: at,
                error: SyntaxError::Unclosed,
            });
            return out;
        };
        let inner = &after[..close];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        out.push(if valid {
            Segment::Var {
                offset: at,
                var: Var { name, default },
            }
        } else {
            Segment::Error {
                offset: at,
                error: SyntaxError::BadName(inner.to_owned()),
            }
        });
        pos = at + 2 + close + 1;
    }
    if pos < text.len() {
        out.push(Segment::Text(&text[pos..]));
    }
    out
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
        for segment in scan(span) {
            let (offset, result) = match segment {
                Segment::Text(s) => {
                    out.push_str(s);
                    continue;
                }
                Segment::Error { offset, error } => (offset, Err(syntax_message(&error))),
                Segment::Var { offset, var } => (offset, fill(&var, env, t.kind, span)),
            };
            match result {
                Ok(s) => out.push_str(&s),
                Err(message) => errors.push(PlaceholderError {
                    line: line_of(text, t.start + offset),
                    message,
                }),
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn syntax_message(error: &SyntaxError) -> String {
    match error {
        SyntaxError::Unclosed => "`${` without a closing `}`".into(),
        SyntaxError::BadName(inner) => {
            format!("`${{{inner}}}` is not a placeholder; write ${{NAME}} or ${{NAME:-default}}")
        }
    }
}

/// The value of `var`, escaped for the text it sits in.
fn fill(
    var: &Var<'_>,
    env: &dyn Fn(&str) -> Option<String>,
    kind: Kind,
    span: &str,
) -> Result<String, String> {
    let name = var.name;
    let Some(v) = var.value(env) else {
        return Err(format!(
            "${{{name}}} is not set and has no default; set {name} in the environment (or .env), or write ${{{name}:-default}}"
        ));
    };
    escape(&v, kind, span).map_err(|m| format!("${{{name}}}: {m}"))
}

fn escape(value: &str, kind: Kind, span: &str) -> Result<String, String> {
    Ok(match kind {
        Kind::Code => quote_literal(value),
        Kind::String => literal_body(value),
        Kind::EscapeString => escape_literal_body(value),
        Kind::QuotedIdent => ident_body(value),
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

    fn var(offset: usize, name: &'static str, default: Option<&'static str>) -> Segment<'static> {
        Segment::Var {
            offset,
            var: Var { name, default },
        }
    }

    #[test]
    fn the_grammar_names_and_defaults() {
        assert_eq!(
            scan("a${X}b${_y9:-d e}"),
            vec![
                Segment::Text("a"),
                var(1, "X", None),
                Segment::Text("b"),
                var(6, "_y9", Some("d e")),
            ]
        );
        assert_eq!(scan("${E:-}"), vec![var(0, "E", Some(""))]);
        assert_eq!(scan("${D:-a:-b}"), vec![var(0, "D", Some("a:-b"))]);
    }

    #[test]
    fn the_grammar_rejects_bad_names_and_unclosed_references() {
        assert_eq!(
            scan("${1A} ${} ${a-b}"),
            vec![
                Segment::Error {
                    offset: 0,
                    error: SyntaxError::BadName("1A".into())
                },
                Segment::Text(" "),
                Segment::Error {
                    offset: 6,
                    error: SyntaxError::BadName(String::new())
                },
                Segment::Text(" "),
                Segment::Error {
                    offset: 10,
                    error: SyntaxError::BadName("a-b".into())
                },
            ]
        );
        assert_eq!(
            scan("x ${A"),
            vec![
                Segment::Text("x "),
                Segment::Error {
                    offset: 2,
                    error: SyntaxError::Unclosed
                }
            ]
        );
    }

    #[test]
    fn the_grammar_leaves_lone_dollars_alone() {
        for text in ["$A and $", "select $$x$$", "$1 $tag$ ${"] {
            let segments = scan(text);
            if text.ends_with("${") {
                assert_eq!(segments.len(), 2, "{text}");
            } else {
                assert_eq!(segments, vec![Segment::Text(text)], "{text}");
            }
        }
        assert_eq!(r("select $$a$$, $1").unwrap(), "select $$a$$, $1");
    }

    #[test]
    fn values_follow_shell_rules() {
        let v = |name, default| Var { name, default }.value(&env);
        assert_eq!(v("EMPTY", Some("d")), Some("d".into()));
        assert_eq!(v("EMPTY", None), Some(String::new()));
        assert_eq!(v("NOPE", Some("")), Some(String::new()));
        assert_eq!(v("NOPE", None), None);
        assert_eq!(v("EMAIL", Some("d")), Some("o'brien@example.com".into()));
    }

    #[test]
    fn unterminated_and_bad_placeholders_are_errors() {
        let e = r("select 1;\nselect '${A'").unwrap_err();
        assert_eq!(e[0].line, 2);
        assert_eq!(e[0].message, "`${` without a closing `}`");
        let e = r("select ${1A}").unwrap_err();
        assert_eq!(
            e[0].message,
            "`${1A}` is not a placeholder; write ${NAME} or ${NAME:-default}"
        );
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
