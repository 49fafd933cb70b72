//! The one SQL lexer: tells code from comments and quoted text.
//!
//! It knows single-quoted strings (and `E''` escapes), quoted identifiers,
//! dollar-quoted bodies, line comments and nested block comments.
//! [`super::split_statements`] finds statement boundaries in its code spans,
//! migration checksums use [`canonical`] to drop comments and formatting
//! outside quoted text, directives are found as line comments (never inside
//! a string), and seed placeholders are escaped for the kind of text they
//! sit in.

/// What a span of text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Plain SQL (including whitespace).
    Code,
    /// `-- ...` up to (not including) the newline.
    LineComment,
    /// `/* ... */`, nested.
    BlockComment,
    /// `'...'` (standard-conforming: backslash is an ordinary character).
    String,
    /// `E'...'`: backslash escapes.
    EscapeString,
    /// `"..."`.
    QuotedIdent,
    /// `$tag$...$tag$`; `tag_len` is the length of `$tag$`.
    DollarQuoted { tag_len: usize },
}

/// A span `start..end` of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Cut `text` into spans; consecutive code is one span. Unterminated quoted
/// text or comments run to the end.
pub fn lex(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut out: Vec<Token> = Vec::new();
    let mut code_start = 0usize;
    let mut i = 0usize;
    let push = |out: &mut Vec<Token>, kind: Kind, start: usize, end: usize| {
        if start < end {
            out.push(Token { kind, start, end });
        }
    };
    while i < bytes.len() {
        let c = bytes[i];
        let (kind, end) = match c {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                let end = text[i..].find('\n').map_or(bytes.len(), |p| i + p);
                (Kind::LineComment, end)
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut depth = 0usize;
                let mut j = i;
                while j < bytes.len() {
                    if bytes[j] == b'/' && bytes.get(j + 1) == Some(&b'*') {
                        depth += 1;
                        j += 2;
                    } else if bytes[j] == b'*' && bytes.get(j + 1) == Some(&b'/') {
                        depth -= 1;
                        j += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        j += 1;
                    }
                }
                (Kind::BlockComment, j.min(bytes.len()))
            }
            b'\'' => {
                let escapes = i > 0
                    && matches!(bytes[i - 1], b'e' | b'E')
                    && (i < 2 || !is_ident_byte(bytes[i - 2]));
                let mut j = i + 1;
                while j < bytes.len() {
                    if escapes && bytes[j] == b'\\' {
                        j += 2;
                        continue;
                    }
                    if bytes[j] == b'\'' {
                        if bytes.get(j + 1) == Some(&b'\'') {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j += 1;
                }
                let kind = if escapes {
                    Kind::EscapeString
                } else {
                    Kind::String
                };
                (kind, (j + 1).min(bytes.len()))
            }
            b'"' => {
                let mut j = i + 1;
                while j < bytes.len() {
                    if bytes[j] == b'"' {
                        if bytes.get(j + 1) == Some(&b'"') {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j += 1;
                }
                (Kind::QuotedIdent, (j + 1).min(bytes.len()))
            }
            b'$' if i == 0 || !is_ident_byte(bytes[i - 1]) => {
                let mut j = i + 1;
                while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                    j += 1;
                }
                let tag_ok = j < bytes.len()
                    && bytes[j] == b'$'
                    && !bytes.get(i + 1).is_some_and(|b| b.is_ascii_digit());
                if tag_ok {
                    let tag = &text[i..=j];
                    let end = text[j + 1..]
                        .find(tag)
                        .map_or(bytes.len(), |p| j + 1 + p + tag.len());
                    (Kind::DollarQuoted { tag_len: tag.len() }, end)
                } else {
                    i += 1;
                    continue;
                }
            }
            _ => {
                i += 1;
                continue;
            }
        };
        push(&mut out, Kind::Code, code_start, i);
        push(&mut out, kind, i, end);
        i = end;
        code_start = end;
    }
    push(&mut out, Kind::Code, code_start, bytes.len());
    out
}

/// The canonical form of one statement for checksums: comments removed,
/// runs of whitespace outside quoted text collapsed to one space, quoted
/// text kept byte for byte.
pub fn canonical(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut pending_space = false;
    for t in lex(sql) {
        let s = &sql[t.start..t.end];
        match t.kind {
            Kind::LineComment | Kind::BlockComment => pending_space = true,
            Kind::Code => {
                for ch in s.chars() {
                    if ch.is_whitespace() {
                        pending_space = true;
                    } else {
                        if pending_space && needs_space(&out, ch) {
                            out.push(' ');
                        }
                        pending_space = false;
                        out.push(ch);
                    }
                }
            }
            _ => {
                if pending_space && s.chars().next().is_some_and(|c| needs_space(&out, c)) {
                    out.push(' ');
                }
                pending_space = false;
                out.push_str(s);
            }
        }
    }
    out
}

/// Whether whitespace between the text so far and `next` can matter:
/// not after `(`, `[` or `,`, and not before `)`, `]`, `,`, `;` or `(`.
fn needs_space(out: &str, next: char) -> bool {
    match out.chars().last() {
        None => false,
        Some('(' | '[' | ',') => false,
        Some(_) => !matches!(next, ')' | ']' | ',' | ';' | '('),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        lex(text)
            .into_iter()
            .map(|t| (t.kind, &text[t.start..t.end]))
            .collect()
    }

    #[test]
    fn tells_code_from_comments_and_quotes() {
        let t = "select 'a--b', E'x\\'y' -- c\n/* d /* e */ */ \"q\"\"r\" $f$ -- g $f$;";
        assert_eq!(
            kinds(t),
            vec![
                (Kind::Code, "select "),
                (Kind::String, "'a--b'"),
                (Kind::Code, ", E"),
                (Kind::EscapeString, "'x\\'y'"),
                (Kind::Code, " "),
                (Kind::LineComment, "-- c"),
                (Kind::Code, "\n"),
                (Kind::BlockComment, "/* d /* e */ */"),
                (Kind::Code, " "),
                (Kind::QuotedIdent, "\"q\"\"r\""),
                (Kind::Code, " "),
                (Kind::DollarQuoted { tag_len: 3 }, "$f$ -- g $f$"),
                (Kind::Code, ";"),
            ]
        );
    }

    #[test]
    fn parameters_and_dollar_in_identifiers_are_code() {
        assert_eq!(
            kinds("select $1, a$b$c"),
            vec![(Kind::Code, "select $1, a$b$c")]
        );
    }

    #[test]
    fn canonical_drops_comments_and_formatting_but_not_quoted_text() {
        let a = canonical("create table t (\n  id int, -- key\n  s text default 'a  b' /* x */\n)");
        let b = canonical("create   table t ( id int,\n\n s text default 'a  b' )");
        assert_eq!(a, b);
        assert_eq!(canonical("f( a ,b )"), canonical("f(a, b)"));
        assert_ne!(canonical("a >= -1"), canonical("a >=-1"));
        assert_ne!(canonical("select 'a  b'"), canonical("select 'a b'"));
        assert_ne!(canonical("select $$ -- x $$"), canonical("select $$ $$"));
    }
}
