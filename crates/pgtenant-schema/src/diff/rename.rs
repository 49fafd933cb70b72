//! Rename hints: `-- pgtenant:renamed-from old` on the desired side turns a
//! drop + add into `ALTER TABLE ... RENAME`. The hints are applied to a copy
//! of the current catalog first (emitting the RENAME steps), so the rest of
//! the diff compares objects under their new names.

use crate::ident::{quote_ident, quote_qualified};
use crate::model::{Catalog, ObjectRef, QualName, RenameHint};
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
    use super::replace_ident;

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
