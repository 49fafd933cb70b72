//! Splitting SQL text into statements, with the line each starts on.
//!
//! PostgreSQL parses the SQL; this only finds statement boundaries so that
//! errors can name `file:line` and non-transactional migrations can run (and
//! journal) one statement at a time. It understands everything that can hide
//! a `;`: single-quoted strings (and `E''` escapes), quoted identifiers,
//! dollar-quoted bodies (`$$`, `$tag$`), line comments and nested block
//! comments (all found by the one lexer, [`lex`]), and `BEGIN ATOMIC ...
//! END` SQL-standard function bodies.

pub mod lex;

use lex::Kind;

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
    let mut start: Option<usize> = None;
    let mut words = AtomicDepth::default();

    for token in lex::lex(text) {
        match token.kind {
            Kind::Code => {
                for (offset, &c) in bytes[token.start..token.end].iter().enumerate() {
                    let i = token.start + offset;
                    if c.is_ascii_alphanumeric() || c == b'_' {
                        words.byte_of_word(i);
                        start.get_or_insert(i);
                        continue;
                    }
                    words.end_word(text, i);
                    if c == b';' && words.depth == 0 {
                        if let Some(s) = start.take() {
                            push(&mut out, &lines, text, s, i);
                        }
                        words.prev.clear();
                    } else if !c.is_ascii_whitespace() {
                        start.get_or_insert(i);
                    }
                }
                words.end_word(text, token.end);
            }
            Kind::LineComment | Kind::BlockComment => {}
            Kind::String | Kind::EscapeString | Kind::QuotedIdent | Kind::DollarQuoted { .. } => {
                start.get_or_insert(token.start);
            }
        }
    }
    if let Some(s) = start {
        push(&mut out, &lines, text, s, bytes.len());
    }
    out
}

/// Depth of `BEGIN ATOMIC` blocks: `;` inside them does not end the
/// statement. Fed the words of the code spans one by one.
#[derive(Default)]
struct AtomicDepth {
    depth: usize,
    /// Start of the word being read.
    word_start: Option<usize>,
    /// The previous word, lowercased.
    prev: String,
}

impl AtomicDepth {
    fn byte_of_word(&mut self, i: usize) {
        self.word_start.get_or_insert(i);
    }

    fn end_word(&mut self, text: &str, end: usize) {
        if let Some(s) = self.word_start.take() {
            let w = text[s..end].to_ascii_lowercase();
            if w == "atomic" && self.prev == "begin" {
                self.depth += 1;
            } else if w == "end" && self.depth > 0 {
                // `END` closes an atomic block unless it is `END IF`/`END LOOP`
                // etc.; PL/pgSQL bodies are always dollar-quoted, so inside a
                // BEGIN ATOMIC only CASE ... END can appear. Count CASE too.
                self.depth -= 1;
            } else if w == "case" && self.depth > 0 {
                self.depth += 1;
            }
            self.prev = w;
        }
    }
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
