//! `${VAR}` / `${VAR:-default}`: the one grammar ([`scan`]), and its use in
//! seed files ([`render`]). The CLI's manifest expands its values with
//! [`scan`] too, as plain text.
//!
//! Semantics (shell-like lookup, SQL-safe insertion):
//! - `${VAR}` is the value of VAR; unset → an error naming `file:line`, and
//!   no seed runs. `${VAR:-default}` is VAR's value, or `default` when VAR is
//!   unset or empty. The default runs to the first `}`.
//! - `${VAR:=generate}` (seed files only) is VAR's value, or, when VAR is
//!   unset or empty, a secret made for this run
//!   ([`crate::token::random_secret`]: 43 alphanumeric characters, 256 bits
//!   from the operating system's CSPRNG), the same for every use of VAR in
//!   one seed folder. The seed's checksum is taken over
//!   the text with the placeholder itself, so a re-run finds the file
//!   unchanged and makes no second secret; the runner reports the value
//!   once, when the file is applied (see [`render_seed`]).
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

/// One `${NAME}`, `${NAME:-default}` or `${NAME:=generate}` reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Var<'a> {
    pub name: &'a str,
    /// The text after `:-`, up to the first `}` (may be empty).
    pub default: Option<&'a str>,
    /// `${NAME:=generate}`: a secret made for the run when NAME is unset
    /// or empty.
    pub generate: bool,
}

impl Var<'_> {
    /// The value with shell rules: VAR's value, or the default when VAR is
    /// unset or empty; `None` when VAR is unset and there is no default.
    pub fn value(&self, lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        if self.generate {
            return lookup(self.name).filter(|v| !v.is_empty());
        }
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
    /// `${NAME:=...}` with anything but `generate` after `:=`; holds it.
    BadGenerator(String),
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
        let (name, default, generator) = match (inner.split_once(":-"), inner.split_once(":=")) {
            (Some((n, d)), _) => (n, Some(d), None),
            (None, Some((n, g))) => (n, None, Some(g)),
            (None, None) => (inner, None, None),
        };
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        out.push(if !valid {
            Segment::Error {
                offset: at,
                error: SyntaxError::BadName(inner.to_owned()),
            }
        } else if generator.is_some_and(|g| g != "generate") {
            Segment::Error {
                offset: at,
                error: SyntaxError::BadGenerator(generator.unwrap_or_default().to_owned()),
            }
        } else {
            Segment::Var {
                offset: at,
                var: Var {
                    name,
                    default,
                    generate: generator.is_some(),
                },
            }
        });
        pos = at + 2 + close + 1;
    }
    if pos < text.len() {
        out.push(Segment::Text(&text[pos..]));
    }
    out
}

/// Fill every placeholder of `text`; all problems are returned, not just
/// the first. `${NAME:=generate}` needs NAME set here (a secret is made
/// only by [`render_seed`]).
pub fn render(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Vec<PlaceholderError>> {
    render_with(text, env, None).map(|r| r.text)
}

/// The secrets `${NAME:=generate}` made, by name, for one seed folder.
#[derive(Debug, Default)]
pub struct Generated {
    values: std::collections::BTreeMap<String, zeroize::Zeroizing<String>>,
}

impl Generated {
    /// NAME's secret, made on first use.
    fn get(&mut self, name: &str) -> String {
        self.values
            .entry(name.to_owned())
            .or_insert_with(|| zeroize::Zeroizing::new(crate::token::random_secret()))
            .to_string()
    }
}

/// A secret `${NAME:=generate}` made. Its `Debug` hides the value.
#[derive(Clone, PartialEq, Eq)]
pub struct MadeSecret {
    pub name: String,
    value: zeroize::Zeroizing<String>,
}

impl MadeSecret {
    /// The secret, to show its user once.
    pub fn expose(&self) -> &str {
        &self.value
    }
}

impl std::fmt::Debug for MadeSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MadeSecret({} = ***)", self.name)
    }
}

/// A seed file's text, filled.
#[derive(Debug)]
pub struct Rendered {
    /// What runs.
    pub text: String,
    /// The same with every made secret left as its placeholder: what the
    /// checksum is taken over, so a re-run finds the file unchanged.
    pub stable: String,
    /// Each secret this text used, in order of first use.
    pub generated: Vec<MadeSecret>,
}

/// [`render`] for a seed file: `${NAME:=generate}` takes NAME's value, or
/// the folder's made secret (`generated`) when NAME is unset or empty.
pub fn render_seed(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    generated: &mut Generated,
) -> Result<Rendered, Vec<PlaceholderError>> {
    render_with(text, env, Some(generated))
}

fn render_with(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    mut generated: Option<&mut Generated>,
) -> Result<Rendered, Vec<PlaceholderError>> {
    let mut out = Rendered {
        text: String::with_capacity(text.len()),
        stable: String::with_capacity(text.len()),
        generated: Vec::new(),
    };
    let mut errors = Vec::new();
    for t in lex::lex(text) {
        let span = &text[t.start..t.end];
        if matches!(t.kind, Kind::LineComment | Kind::BlockComment) || !span.contains("${") {
            out.text.push_str(span);
            out.stable.push_str(span);
            continue;
        }
        for segment in scan(span) {
            let (offset, result) = match segment {
                Segment::Text(s) => {
                    out.text.push_str(s);
                    out.stable.push_str(s);
                    continue;
                }
                Segment::Error { offset, error } => (offset, Err(syntax_message(&error))),
                Segment::Var { offset, var } => {
                    let made = match (&mut generated, var.generate && var.value(env).is_none()) {
                        (Some(g), true) => Some(g.get(var.name)),
                        _ => None,
                    };
                    let result = match &made {
                        Some(v) => {
                            escape(v, t.kind, span).map_err(|m| format!("${{{}}}: {m}", var.name))
                        }
                        None => fill(&var, env, t.kind, span),
                    };
                    if let (Some(v), Ok(_)) = (made, &result) {
                        let original =
                            &span[offset..offset + span[offset..].find('}').unwrap_or(0) + 1];
                        out.stable.push_str(original);
                        if !out.generated.iter().any(|m| m.name == var.name) {
                            out.generated.push(MadeSecret {
                                name: var.name.to_owned(),
                                value: zeroize::Zeroizing::new(v),
                            });
                        }
                        out.text.push_str(result.as_deref().unwrap_or_default());
                        continue;
                    }
                    (offset, result)
                }
            };
            match result {
                Ok(s) => {
                    out.text.push_str(&s);
                    out.stable.push_str(&s);
                }
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
        SyntaxError::BadGenerator(what) => format!(
            "`:={what}` is not a generator; write ${{NAME:=generate}} for a secret made when NAME is unset"
        ),
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
        if var.generate {
            return Err(format!(
                "${{{name}:=generate}} is not set; a secret is generated only in seed files, so set {name} here"
            ));
        }
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
            var: Var {
                name,
                default,
                generate: false,
            },
        }
    }

    #[test]
    fn a_generated_secret_is_made_once_per_folder_and_kept_out_of_the_checksum_text() {
        let mut made = Generated::default();
        let text = "insert into t values ('${TOKEN:=generate}', sha256('${TOKEN:=generate}'))";
        let r = render_seed(text, &env, &mut made).unwrap();
        assert_eq!(r.stable, text);
        assert_eq!(r.generated.len(), 1);
        let secret = r.generated[0].expose().to_owned();
        assert_eq!(secret.len(), crate::token::SECRET_TEXT_LEN);
        assert!(secret.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(
            r.text,
            format!("insert into t values ('{secret}', sha256('{secret}'))")
        );
        assert_eq!(format!("{:?}", r.generated[0]), "MadeSecret(TOKEN = ***)");
        // Another file of the same folder gets the same secret; another
        // folder (a new Generated) a new one.
        let again = render_seed("select '${TOKEN:=generate}'", &env, &mut made).unwrap();
        assert_eq!(again.generated[0].expose(), secret);
        let other = render_seed(
            "select '${TOKEN:=generate}'",
            &env,
            &mut Generated::default(),
        )
        .unwrap();
        assert_ne!(other.generated[0].expose(), secret);
    }

    #[test]
    fn a_set_variable_wins_over_generation_and_enters_the_checksum_text() {
        let r = render_seed(
            "select '${EMAIL:=generate}'",
            &env,
            &mut Generated::default(),
        )
        .unwrap();
        assert_eq!(r.text, "select 'o''brien@example.com'");
        assert_eq!(r.stable, r.text);
        assert!(r.generated.is_empty());
        // Empty counts as unset, as for defaults.
        let r = render_seed(
            "select '${EMPTY:=generate}'",
            &env,
            &mut Generated::default(),
        )
        .unwrap();
        assert_eq!(r.generated.len(), 1);
    }

    #[test]
    fn only_generate_follows_the_assignment_and_plain_rendering_makes_no_secret() {
        let e = r("select '${TOKEN:=random}'").unwrap_err();
        assert_eq!(
            e[0].message,
            "`:=random` is not a generator; write ${NAME:=generate} for a secret made when NAME is unset"
        );
        let e = r("select '${TOKEN:=generate}'").unwrap_err();
        assert_eq!(
            e[0].message,
            "${TOKEN:=generate} is not set; a secret is generated only in seed files, so set TOKEN here"
        );
        assert_eq!(
            scan("${T:=generate}"),
            vec![Segment::Var {
                offset: 0,
                var: Var {
                    name: "T",
                    default: None,
                    generate: true
                }
            }]
        );
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
        let v = |name, default| {
            Var {
                name,
                default,
                generate: false,
            }
            .value(&env)
        };
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
