//! Splitting SQL text into statements, with the line each starts on.
//!
//! PostgreSQL parses the SQL; this only finds statement boundaries so that
//! errors can name `file:line` and non-transactional migrations can run (and
//! journal) one statement at a time. It understands everything that can hide
//! a `;`: single-quoted strings (and `E''` escapes), quoted identifiers,
//! dollar-quoted bodies (`$$`, `$tag$`), line comments and nested block
//! comments, and `BEGIN ATOMIC ... END` SQL-standard function bodies.

/// One statement of a SQL text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The statement text, trimmed, without the terminating `;`.
    pub sql: String,
    /// 1-based line of the statement's first character in the whole text.
    pub line: usize,
    /// Byte offset of the statement's first character in the whole text.
    pub offset: usize,
}

/// Split `text` into statements. Empty statements and comment-only tails
/// are dropped.
pub fn split_statements(text: &str) -> Vec<Statement> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let lines = LineIndex::new(text);
    let mut i = 0;
    let mut start: Option<usize> = None;
    // Depth of `BEGIN ATOMIC` blocks: `;` inside them does not end the statement.
    let mut atomic_depth = 0usize;
    let mut word_start: Option<usize> = None;
    let mut prev_word = String::new();

    let flush_word = |ws: &mut Option<usize>, end: usize, prev: &mut String, depth: &mut usize| {
        if let Some(s) = ws.take() {
            let w = text[s..end].to_ascii_lowercase();
            if w == "atomic" && prev == "begin" {
                *depth += 1;
            } else if w == "end" && *depth > 0 {
                // `END` closes an atomic block unless it is `END IF`/`END LOOP`
                // etc.; PL/pgSQL bodies are always dollar-quoted, so inside a
                // BEGIN ATOMIC only CASE ... END can appear. Count CASE too.
                *depth -= 1;
            } else if w == "case" && *depth > 0 {
                *depth += 1;
            }
            *prev = w;
        }
    };

    while i < bytes.len() {
        let c = bytes[i];
        let is_word = c.is_ascii_alphanumeric() || c == b'_';
        if is_word {
            if word_start.is_none() {
                word_start = Some(i);
            }
            if start.is_none() {
                start = Some(i);
            }
            i += 1;
            continue;
        }
        flush_word(&mut word_start, i, &mut prev_word, &mut atomic_depth);
        match c {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut depth = 0usize;
                while i < bytes.len() {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'\'' => {
                start.get_or_insert(i);
                let escapes = i > 0 && matches!(bytes[i - 1], b'e' | b'E') && {
                    // `E'...'` only when the E is a word of its own.
                    i < 2 || !(bytes[i - 2].is_ascii_alphanumeric() || bytes[i - 2] == b'_')
                };
                i += 1;
                while i < bytes.len() {
                    if escapes && bytes[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if bytes[i] == b'\'' {
                        if bytes.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'"' => {
                start.get_or_insert(i);
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b'"' {
                        if bytes.get(i + 1) == Some(&b'"') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'$' => {
                start.get_or_insert(i);
                // `$tag$` where tag is empty or an identifier not starting with a digit.
                let mut j = i + 1;
                while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                    j += 1;
                }
                let tag_ok = j < bytes.len()
                    && bytes[j] == b'$'
                    && !bytes.get(i + 1).is_some_and(|b| b.is_ascii_digit());
                if tag_ok {
                    let tag = &text[i..=j];
                    match text[j + 1..].find(tag) {
                        Some(pos) => i = j + 1 + pos + tag.len(),
                        None => i = bytes.len(),
                    }
                } else {
                    i += 1;
                }
            }
            b';' if atomic_depth == 0 => {
                if let Some(s) = start.take() {
                    push(&mut out, &lines, text, s, i);
                }
                prev_word.clear();
                i += 1;
            }
            _ => {
                if !c.is_ascii_whitespace() {
                    start.get_or_insert(i);
                }
                i += 1;
            }
        }
    }
    flush_word(
        &mut word_start,
        bytes.len(),
        &mut prev_word,
        &mut atomic_depth,
    );
    if let Some(s) = start {
        push(&mut out, &lines, text, s, bytes.len());
    }
    out
}

fn push(out: &mut Vec<Statement>, lines: &LineIndex, text: &str, start: usize, end: usize) {
    let sql = text[start..end].trim_end();
    if sql.is_empty() {
        return;
    }
    out.push(Statement {
        sql: sql.to_owned(),
        line: lines.line_of(start),
        offset: start,
    });
}

/// Line numbers of many offsets in one text: the start of every line is
/// found once, each lookup is a binary search (counting newlines from the
/// start for every statement made splitting a large dump quadratic).
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset of the first character of each line after the first.
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let starts = text
            .bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i + 1)
            .collect();
        LineIndex { starts }
    }

    /// 1-based line number of byte `offset` (same as [`line_of`]).
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset) + 1
    }
}

/// 1-based line number of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqls(text: &str) -> Vec<(usize, String)> {
        split_statements(text)
            .into_iter()
            .map(|s| (s.line, s.sql))
            .collect()
    }

    #[test]
    fn splits_on_semicolons_with_lines() {
        let t = "create table a (id int);\n\n-- note; not a statement\ncreate table b (id int);\n";
        assert_eq!(
            sqls(t),
            vec![
                (1, "create table a (id int)".into()),
                (4, "create table b (id int)".into())
            ]
        );
    }

    #[test]
    fn semicolons_inside_strings_identifiers_comments_and_dollar_quotes() {
        let t = r#"insert into t values ('a;b', E'c\';d');
create table "x;y" (id int /* ; */);
create function f() returns int language plpgsql as $body$ begin; return 1; end $body$;
select $$;$$;"#;
        let got = sqls(t);
        assert_eq!(got.len(), 4, "{got:#?}");
        assert_eq!(got[2].0, 3);
        assert!(got[2].1.ends_with("$body$"));
    }

    #[test]
    fn line_index_agrees_with_line_of() {
        let text = "a\nbb\n\nccc\n";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() + 2 {
            assert_eq!(
                index.line_of(offset),
                line_of(text, offset),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn nested_block_comments() {
        assert_eq!(sqls("/* a /* b; */ c; */ select 1; select 2").len(), 2);
    }

    #[test]
    fn begin_atomic_bodies_keep_their_semicolons() {
        let t = "create function f() returns int language sql begin atomic select 1; select case when true then 2 end; end;\nselect 3;";
        let got = sqls(t);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert_eq!(got[1], (2, "select 3".into()));
    }

    #[test]
    fn trailing_comment_only_text_is_no_statement() {
        assert!(sqls("-- nothing here\n/* nor here */\n").is_empty());
    }

    #[test]
    fn positional_parameters_are_not_dollar_quotes() {
        assert_eq!(sqls("prepare p as select $1; select 2;").len(), 2);
    }
}
