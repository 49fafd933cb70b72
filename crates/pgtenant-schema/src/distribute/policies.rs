//! The policies of the tables in a distribution plan: sub-queries, and the
//! functions they call (see the module docs of [`super`] for the rules).

use super::{Code, Finding};
use crate::ident::{quote_ident, quote_literal};
use crate::model::{Catalog, FunctionId, ObjectRef, Table};
use crate::sqltext::lex::{lex, Kind};
use crate::tenancy::{policy_cast_type, ISOLATION_POLICY};
use std::collections::BTreeSet;

/// The code of `text` with quoted strings and comments removed (quoted
/// identifiers kept, quotes included).
fn code_only(text: &str) -> String {
    let mut out = String::new();
    for tok in lex(text) {
        match tok.kind {
            Kind::Code | Kind::QuotedIdent => out.push_str(&text[tok.start..tok.end]),
            _ => out.push(' '),
        }
    }
    out
}

/// The identifier words of `code`: bare words lower-cased (as PostgreSQL
/// folds them), quoted identifiers as written inside the quotes. Each word
/// comes with whether `(` follows it.
fn words(code: &str) -> Vec<(String, bool)> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
    while i < bytes.len() {
        let b = bytes[i];
        let (word, end) = if b == b'"' {
            let mut j = i + 1;
            let mut w = String::new();
            while j < bytes.len() {
                if bytes[j] == b'"' {
                    if bytes.get(j + 1) == Some(&b'"') {
                        w.push('"');
                        j += 2;
                        continue;
                    }
                    break;
                }
                let ch_end = next_char_end(code, j);
                w.push_str(&code[j..ch_end]);
                j = ch_end;
            }
            (w, (j + 1).min(bytes.len()))
        } else if is_word(b) && !b.is_ascii_digit() {
            let mut j = i;
            while j < bytes.len() && is_word(bytes[j]) {
                j += 1;
            }
            (code[i..j].to_lowercase(), j)
        } else if is_word(b) {
            // A number: skip it.
            let mut j = i;
            while j < bytes.len() && is_word(bytes[j]) {
                j += 1;
            }
            i = j;
            continue;
        } else {
            i += next_char_end(code, i) - i;
            continue;
        };
        let call = code[end..].trim_start().starts_with('(');
        out.push((word, call));
        i = end.max(i + 1);
    }
    out
}

fn next_char_end(s: &str, i: usize) -> usize {
    let mut j = i + 1;
    while j < s.len() && !s.is_char_boundary(j) {
        j += 1;
    }
    j
}

/// Whether `code` holds a sub-select (`SELECT` as a bare word).
fn has_subquery(code: &str) -> bool {
    words(code).iter().any(|(w, _)| w == "select")
}

/// The functions of the catalog `code` calls: a word naming one (bare, or
/// the last part of a qualified name) followed by `(`.
fn called_functions<'a>(catalog: &'a Catalog, code: &str) -> Vec<&'a FunctionId> {
    let called: BTreeSet<String> = words(code)
        .into_iter()
        .filter(|(_, call)| *call)
        .map(|(w, _)| w)
        .collect();
    catalog
        .functions
        .keys()
        .filter(|id| called.contains(&id.name))
        .collect()
}

/// Why a function a policy calls cannot run in a policy on the shards, or
/// `None`. Nested calls are followed (by name) with `seen` breaking cycles.
fn not_pushable(
    catalog: &Catalog,
    id: &FunctionId,
    seen: &mut BTreeSet<FunctionId>,
) -> Option<String> {
    if !seen.insert(id.clone()) {
        return None;
    }
    let f = catalog.functions.get(id)?;
    let mut reasons = Vec::new();
    if f.language != "sql" {
        reasons.push(format!("is LANGUAGE {}", f.language));
    }
    let volatility = volatility(&f.definition);
    if volatility == "VOLATILE" {
        reasons.push("is VOLATILE".to_owned());
    }
    let body = code_only(body_of(&f.definition));
    let used: BTreeSet<String> = words(&body).into_iter().map(|(w, _)| w).collect();
    let mut read: Vec<String> = catalog
        .tables
        .keys()
        .chain(catalog.views.keys())
        .filter(|n| used.contains(&n.name))
        .map(ToString::to_string)
        .collect();
    for d in &f.depends_on {
        if let ObjectRef::Table { name } | ObjectRef::View { name } = d {
            read.push(name.to_string());
        }
    }
    read.sort();
    read.dedup();
    if !read.is_empty() {
        reasons.push(format!("reads {}", read.join(", ")));
    }
    for inner in called_functions(catalog, &body) {
        if inner == id {
            continue;
        }
        if let Some(why) = not_pushable(catalog, inner, seen) {
            reasons.push(format!("calls {inner}, which {why}"));
        }
    }
    (!reasons.is_empty()).then(|| reasons.join(" and "))
}

/// `IMMUTABLE`, `STABLE` or `VOLATILE`, from the option lines
/// `pg_get_functiondef` prints between the header and the body (it prints
/// no word for the default, VOLATILE).
pub(super) fn volatility(definition: &str) -> &'static str {
    for line in definition.lines().skip(1) {
        if !line.starts_with(' ') {
            break;
        }
        for w in line.split_whitespace() {
            match w {
                "IMMUTABLE" => return "IMMUTABLE",
                "STABLE" => return "STABLE",
                _ => {}
            }
        }
    }
    "VOLATILE"
}

/// The body of a function as `pg_get_functiondef` prints it: after the
/// header line and the option lines (which start with a space), either
/// `AS $tag$ … $tag$` (the text inside the quotes) or a `BEGIN ATOMIC` body
/// (all of it).
pub(super) fn body_of(definition: &str) -> &str {
    let mut offset = 0;
    for (i, line) in definition.split_inclusive('\n').enumerate() {
        if i > 0 && !line.starts_with(' ') {
            break;
        }
        offset += line.len();
    }
    let rest = &definition[offset..];
    let Some(quoted) = rest.strip_prefix("AS $") else {
        return rest;
    };
    let Some(tag_len) = quoted.find('$') else {
        return rest;
    };
    let tag = &rest[3..3 + tag_len + 2];
    let inner = &rest[3 + tag.len()..];
    match inner.rfind(tag) {
        Some(end) => &inner[..end],
        None => inner,
    }
}

pub(super) fn policy_lints(
    catalog: &Catalog,
    t: &Table,
    key: Option<&(String, String)>,
    setting: &str,
    out: &mut Vec<Finding>,
) {
    for p in t.policies.values() {
        let obj = || ObjectRef::Policy {
            table: t.name.clone(),
            name: p.name.clone(),
        };
        let exprs: Vec<&str> = [p.using.as_deref(), p.with_check.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        let code: String = exprs
            .iter()
            .map(|e| code_only(e))
            .collect::<Vec<_>>()
            .join(" ");
        if has_subquery(&code) {
            let fix = if let (true, Some((col, ty))) = (p.name == ISOLATION_POLICY, key) {
                let expr = format!(
                    "{} = NULLIF(current_setting({}, true), '')::{}",
                    quote_ident(col),
                    quote_literal(setting),
                    policy_cast_type(ty)
                );
                format!(
                    "pgtenant's tenancy transform writes this sub-select (evaluated once per \
                     statement, for speed on one node) and has no Citus form yet; the form \
                     Citus accepts compares the column with the setting directly: USING \
                     ({expr}) WITH CHECK ({expr})"
                )
            } else {
                format!(
                    "rewrite {} without a sub-query: compare columns of {} with settings, or call a \
                     LANGUAGE sql STABLE function that reads no table",
                    quote_ident(&p.name),
                    t.name
                )
            };
            out.push(Finding::new(
                Code::PolicySubquery,
                obj(),
                format!(
                    "policy {} on {} holds a sub-query; Citus refuses sub-queries in the policies \
                     of distributed and reference tables",
                    p.name, t.name
                ),
                fix,
            ));
        }
        for id in called_functions(catalog, &code) {
            let mut seen = BTreeSet::new();
            if let Some(why) = not_pushable(catalog, id, &mut seen) {
                out.push(Finding::new(
                    Code::PolicyFunctionNotPushable,
                    obj(),
                    format!(
                        "policy {} on {} calls function {id}, which {why}; a function in a policy \
                         runs on every shard and must be LANGUAGE sql, STABLE or IMMUTABLE, and \
                         read no table",
                        p.name, t.name
                    ),
                    format!(
                        "make {id} LANGUAGE sql STABLE over its arguments and settings only, or \
                         compare the columns with the settings in the policy itself"
                    ),
                ));
            }
        }
    }
}
