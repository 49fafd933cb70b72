//! Rename hints: `-- pgtenant:renamed-from old` on the desired side turns a
//! drop + add into `ALTER TABLE ... RENAME`. The hints are applied to a copy
//! of the current catalog first (emitting the RENAME steps), so the rest of
//! the diff compares objects under their new names.

use crate::ident::{quote_ident, quote_qualified};
use crate::model::{Catalog, EnumType, ObjectRef, QualName, RenameHint};
use crate::plan::Step;

/// Apply the usable `hints` to `from`, returning the renamed catalog and the
/// RENAME statements. A hint is usable when its old name exists only on the
/// `from` side and its new name only on the `to` side.
pub(super) fn apply_renames(
    from: &Catalog,
    to: &Catalog,
    hints: &[RenameHint],
) -> (Catalog, Vec<Step>) {
    let mut cat = from.clone();
    let mut steps = Vec::new();
    for hint in hints {
        match hint {
            RenameHint::Table { from: old, to: new } => {
                if !cat.tables.contains_key(old)
                    || to.tables.contains_key(old)
                    || cat.tables.contains_key(new)
                    || !to.tables.contains_key(new)
                {
                    continue;
                }
                let mut cur = old.clone();
                if old.schema != new.schema {
                    steps.push(step(
                        format!(
                            "ALTER TABLE {} SET SCHEMA {}",
                            old.sql(),
                            quote_ident(&new.schema)
                        ),
                        ObjectRef::Table { name: new.clone() },
                    ));
                    cur = QualName::new(new.schema.clone(), old.name.clone());
                }
                if cur.name != new.name {
                    steps.push(step(
                        format!(
                            "ALTER TABLE {} RENAME TO {}",
                            cur.sql(),
                            quote_ident(&new.name)
                        ),
                        ObjectRef::Table { name: new.clone() },
                    ));
                }
                rename_table(&mut cat, old, new);
            }
            RenameHint::Column {
                table,
                from: old,
                to: new,
            } => {
                let Some(t) = cat.tables.get(table) else {
                    continue;
                };
                let Some(target) = to.tables.get(table) else {
                    continue;
                };
                if t.column(old).is_none()
                    || t.column(new).is_some()
                    || target.column(old).is_some()
                    || target.column(new).is_none()
                {
                    continue;
                }
                steps.push(step(
                    format!(
                        "ALTER TABLE {} RENAME COLUMN {} TO {}",
                        table.sql(),
                        quote_ident(old),
                        quote_ident(new)
                    ),
                    ObjectRef::Column {
                        table: table.clone(),
                        column: new.clone(),
                    },
                ));
                rename_column(&mut cat, table, old, new);
            }
        }
    }
    (cat, steps)
}

/// Enums renamed: one enum gone from `from` and one new in `to`, in the
/// same schema, with the same labels in the same order, each the only
/// such match of the other. An enum a function signature uses is left to
/// drop + create (the function's identity names the type).
pub(super) fn enum_renames(from: &Catalog, to: &Catalog) -> Vec<(QualName, QualName)> {
    let gone: Vec<&EnumType> = from
        .enums
        .values()
        .filter(|e| !to.enums.contains_key(&e.name))
        .collect();
    let new: Vec<&EnumType> = to
        .enums
        .values()
        .filter(|e| !from.enums.contains_key(&e.name))
        .collect();
    let same = |a: &EnumType, b: &EnumType| a.name.schema == b.name.schema && a.values == b.values;
    let in_signature = |n: &QualName| {
        let sql = n.sql();
        from.functions.values().any(|f| {
            mentions_qualified(&f.id.args, &sql)
                || mentions_qualified(&f.returns, &sql)
                || f.depends_on
                    .iter()
                    .any(|d| matches!(d, ObjectRef::Type { name } if name == n))
        })
    };
    let mut out = Vec::new();
    for o in &gone {
        let matches: Vec<&&EnumType> = new.iter().filter(|n| same(o, n)).collect();
        let [n] = matches.as_slice() else {
            continue;
        };
        if gone.iter().filter(|g| same(g, n)).count() != 1 || in_signature(&o.name) {
            continue;
        }
        out.push((o.name.clone(), n.name.clone()));
    }
    out
}

/// Apply enum renames to `cat`: the enum itself and every stored
/// expression and column type that names it (PostgreSQL keeps those by
/// OID, so they follow the rename). Function bodies are text and keep the
/// old name: the diff replaces them.
pub(super) fn rename_enums(cat: &mut Catalog, pairs: &[(QualName, QualName)]) -> Vec<Step> {
    let mut steps = Vec::new();
    for (old, new) in pairs {
        let Some(mut e) = cat.enums.remove(old) else {
            continue;
        };
        steps.push(step(
            format!(
                "ALTER TYPE {} RENAME TO {}",
                old.sql(),
                quote_ident(&new.name)
            ),
            ObjectRef::Type { name: new.clone() },
        ));
        e.name = new.clone();
        cat.enums.insert(new.clone(), e);
        let (o, n) = (old.sql(), new.sql());
        let fix = |text: &mut String| *text = replace_type(text, &o, &n);
        let fix_opt = |text: &mut Option<String>| {
            if let Some(t) = text {
                *t = replace_type(t, &o, &n);
            }
        };
        for t in cat.tables.values_mut() {
            for c in &mut t.columns {
                fix(&mut c.data_type);
                fix_opt(&mut c.default);
                fix_opt(&mut c.generated);
            }
            for c in t.constraints.values_mut() {
                fix(&mut c.definition);
            }
            for i in t.indexes.values_mut() {
                fix(&mut i.definition);
                fix_opt(&mut i.predicate);
            }
            for p in t.policies.values_mut() {
                fix_opt(&mut p.using);
                fix_opt(&mut p.with_check);
            }
            for tr in t.triggers.values_mut() {
                fix(&mut tr.definition);
            }
            for r in t.rules.values_mut() {
                fix(&mut r.definition);
                rename_type_dep(&mut r.depends_on, old, new);
            }
        }
        for v in cat.views.values_mut() {
            fix(&mut v.definition);
            for (_, ty) in &mut v.columns {
                fix(ty);
            }
            for r in v.rules.values_mut() {
                fix(&mut r.definition);
                rename_type_dep(&mut r.depends_on, old, new);
            }
        }
        for d in cat.domains.values_mut() {
            fix(&mut d.base_type);
            fix_opt(&mut d.default);
            for c in d.checks.values_mut() {
                fix(c);
            }
        }
        for c in cat.composite_types.values_mut() {
            for (_, ty) in &mut c.attributes {
                fix(ty);
            }
        }
    }
    steps
}

fn rename_type_dep(deps: &mut [ObjectRef], old: &QualName, new: &QualName) {
    for d in deps.iter_mut() {
        if matches!(d, ObjectRef::Type { name } if name == old) {
            *d = ObjectRef::Type { name: new.clone() };
        }
    }
    deps.sort();
}

/// Whether `text` names the qualified object `name` (`public.t`, as
/// PostgreSQL prints it with an empty search_path) as a whole name outside
/// string literals (see [`replace_type`]).
pub(super) fn mentions_qualified(text: &str, name: &str) -> bool {
    replace_type(text, name, "") != text
}

/// Replace the qualified type name `old` (`public.status`, as PostgreSQL
/// prints it with an empty search_path) by `new` wherever it stands as a
/// whole name outside string literals. Like [`replace_ident`], a miss only
/// makes the diff recreate the object.
fn replace_type(text: &str, old: &str, new: &str) -> String {
    let ident =
        |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'"' || b == b'.';
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut in_literal = false;
    while i < text.len() {
        let c = bytes[i];
        if c == b'\'' {
            in_literal = !in_literal;
        } else if !in_literal
            && text[i..].starts_with(old)
            && (i == 0 || !ident(bytes[i - 1]))
            && bytes.get(i + old.len()).is_none_or(|b| !ident(*b))
        {
            out.push_str(new);
            i += old.len();
            continue;
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn step(sql: String, obj: ObjectRef) -> Step {
    Step {
        sql,
        hazards: Vec::new(),
        objects: vec![obj],
        tx: Default::default(),
    }
}

fn rename_table(cat: &mut Catalog, old: &QualName, new: &QualName) {
    let Some(mut t) = cat.tables.remove(old) else {
        return;
    };
    let old_sql = quote_qualified(&old.schema, &old.name);
    let new_sql = quote_qualified(&new.schema, &new.name);
    t.name = new.clone();
    for idx in t.indexes.values_mut() {
        idx.definition = replace_table_ref(&idx.definition, &old_sql, &new_sql);
    }
    for trg in t.triggers.values_mut() {
        trg.definition = replace_table_ref(&trg.definition, &old_sql, &new_sql);
    }
    cat.tables.insert(new.clone(), t);
    for t in cat.tables.values_mut() {
        for c in t.constraints.values_mut() {
            if let Some(r) = &mut c.references {
                if &r.table == old {
                    r.table = new.clone();
                    c.definition = c.definition.replace(
                        &format!("REFERENCES {old_sql}("),
                        &format!("REFERENCES {new_sql}("),
                    );
                }
            }
        }
        if let Some(p) = &mut t.partition_of {
            if &p.parent == old {
                p.parent = new.clone();
            }
        }
    }
    for s in cat.sequences.values_mut() {
        if let Some((tbl, _)) = &mut s.owned_by {
            if tbl == old {
                *tbl = new.clone();
            }
        }
    }
}

/// Replace ` ON old ` / ` ON ONLY old ` in an index or trigger definition.
fn replace_table_ref(def: &str, old_sql: &str, new_sql: &str) -> String {
    def.replace(&format!(" ON {old_sql} "), &format!(" ON {new_sql} "))
        .replace(
            &format!(" ON ONLY {old_sql} "),
            &format!(" ON ONLY {new_sql} "),
        )
}

fn rename_column(cat: &mut Catalog, table: &QualName, old: &str, new: &str) {
    let old_q = quote_ident(old);
    let new_q = quote_ident(new);
    if let Some(t) = cat.tables.get_mut(table) {
        for c in &mut t.columns {
            if c.name == old {
                c.name = new.to_owned();
            }
            if let Some(d) = &mut c.default {
                *d = replace_ident(d, &old_q, &new_q);
            }
            if let Some(g) = &mut c.generated {
                *g = replace_ident(g, &old_q, &new_q);
            }
        }
        for c in t.constraints.values_mut() {
            for col in &mut c.columns {
                if col == old {
                    *col = new.to_owned();
                }
            }
            c.definition = replace_ident(&c.definition, &old_q, &new_q);
        }
        for i in t.indexes.values_mut() {
            for col in i.columns.iter_mut().flatten() {
                if col == old {
                    *col = new.to_owned();
                }
            }
            i.definition = replace_ident(&i.definition, &old_q, &new_q);
            if let Some(p) = &mut i.predicate {
                *p = replace_ident(p, &old_q, &new_q);
            }
        }
        for p in t.policies.values_mut() {
            if let Some(u) = &mut p.using {
                *u = replace_ident(u, &old_q, &new_q);
            }
            if let Some(w) = &mut p.with_check {
                *w = replace_ident(w, &old_q, &new_q);
            }
        }
        for trg in t.triggers.values_mut() {
            trg.definition = replace_ident(&trg.definition, &old_q, &new_q);
        }
    }
    // Foreign keys of other tables that reference the renamed column.
    for t in cat.tables.values_mut() {
        for c in t.constraints.values_mut() {
            if let Some(r) = &mut c.references {
                if &r.table == table && r.columns.iter().any(|c| c == old) {
                    for col in &mut r.columns {
                        if col == old {
                            *col = new.to_owned();
                        }
                    }
                    if let Some(pos) = c.definition.find("REFERENCES ") {
                        let (head, tail) = c.definition.split_at(pos);
                        c.definition = format!("{head}{}", replace_ident(tail, &old_q, &new_q));
                    }
                }
            }
        }
    }
    for s in cat.sequences.values_mut() {
        if let Some((tbl, col)) = &mut s.owned_by {
            if tbl == table && col == old {
                *col = new.to_owned();
            }
        }
    }
}

/// Replace whole identifier tokens equal to `old` (as quoted by
/// `quote_ident`) with `new`, outside string literals. Good enough for the
/// expressions PostgreSQL prints; anything it misses only causes a
/// drop-and-recreate of the object, never a wrong result.
pub(super) fn replace_ident(text: &str, old: &str, new: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let c = bytes[i];
        if c == b'\'' {
            // copy the literal verbatim
            let start = i;
            i += 1;
            while i < text.len() {
                if bytes[i] == b'\'' {
                    if i + 1 < text.len() && bytes[i + 1] == b'\'' {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
            out.push_str(&text[start..i]);
            continue;
        }
        if c == b'"' {
            let start = i;
            i += 1;
            while i < text.len() {
                if bytes[i] == b'"' {
                    if i + 1 < text.len() && bytes[i + 1] == b'"' {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
            let tok = &text[start..i];
            out.push_str(if tok == old { new } else { tok });
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < text.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$')
            {
                i += 1;
            }
            let tok = &text[start..i];
            out.push_str(if tok == old { new } else { tok });
            continue;
        }
        // copy one UTF-8 character
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{replace_ident, replace_type};

    #[test]
    fn replaces_whole_type_names_outside_literals() {
        assert_eq!(
            replace_type(
                "('a'::public.mood = ANY (ARRAY['public.mood'::public.mood, x::public.mood_x]))",
                "public.mood",
                "public.feeling"
            ),
            "('a'::public.feeling = ANY (ARRAY['public.mood'::public.feeling, x::public.mood_x]))"
        );
        assert_eq!(
            replace_type("public.mood[]", "public.mood", "public.f"),
            "public.f[]"
        );
        assert_eq!(
            replace_type("app.public.mood", "public.mood", "x"),
            "app.public.mood"
        );
    }

    #[test]
    fn replaces_whole_identifiers_outside_literals() {
        assert_eq!(
            replace_ident(
                "((email)::text <> 'email'::text) AND (email_x > 0)",
                "email",
                "mail"
            ),
            "((mail)::text <> 'email'::text) AND (email_x > 0)"
        );
        assert_eq!(
            replace_ident("(\"teamId\" IS NOT NULL)", "\"teamId\"", "\"TeamId\""),
            "(\"TeamId\" IS NOT NULL)"
        );
    }
}
