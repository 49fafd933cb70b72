//! Columns of an existing table.

use super::functions::mentions_function;
use super::sequences::number_changes;
use super::{hazard, step, Differ, Phase};
use crate::ident::{quote_ident, quote_literal};
use crate::model::*;
use crate::plan::{HazardKind, Step};

impl Differ<'_> {
    pub(super) fn column_def(&self, c: &Column) -> String {
        let mut s = format!("{} {}", quote_ident(&c.name), c.data_type);
        if let Some(coll) = &c.collation {
            s.push_str(&format!(" COLLATE {}", collate_sql(coll)));
        }
        if let Some(g) = &c.generated {
            s.push_str(&format!(" GENERATED ALWAYS AS ({g}) STORED"));
        }
        if let Some(id) = &c.identity {
            s.push_str(&format!(" {}", identity_clause(id)));
        }
        if let Some(d) = &c.default {
            s.push_str(&format!(" DEFAULT {d}"));
        }
        if c.not_null {
            s.push_str(" NOT NULL");
        }
        s
    }

    pub(super) fn columns(&mut self, t: &Table, nt: &Table) {
        let name = &nt.name;
        let q = name.sql();
        for c in &t.columns {
            if nt.column(&c.name).is_none() {
                let s = step(
                    format!("ALTER TABLE {q} DROP COLUMN {}", quote_ident(&c.name)),
                    ObjectRef::Column {
                        table: name.clone(),
                        column: c.name.clone(),
                    },
                );
                let s = hazard(
                    s,
                    HazardKind::DeletesData,
                    format!("dropping column {name}.{}", c.name),
                );
                self.push(Phase::DropColumn, s);
            }
        }
        for nc in &nt.columns {
            match t.column(&nc.name) {
                None => self.add_column(name, nc),
                Some(c) => self.alter_column(name, c, nc),
            }
        }
    }

    /// A column new to an existing table.
    fn add_column(&mut self, name: &QualName, nc: &Column) {
        let q = name.sql();
        let cobj = ObjectRef::Column {
            table: name.clone(),
            column: nc.name.clone(),
        };
        let mut s = step(
            format!("ALTER TABLE {q} ADD COLUMN {}", self.column_def(nc)),
            cobj,
        );
        if nc.generated.is_some()
            || nc
                .default
                .as_deref()
                .is_some_and(|d| self.is_volatile_default(d))
        {
            s = hazard(
                s,
                HazardKind::RewritesTable,
                format!("adding column {name}.{} fills every row", nc.name),
            );
        }
        if nc.not_null && nc.default.is_none() && nc.identity.is_none() && nc.generated.is_none() {
            s = hazard(
                        s,
                        HazardKind::AccessExclusiveLock,
                        format!("adding NOT NULL column {name}.{} without a default fails if the table has rows", nc.name),
                    );
        }
        self.push_added_column(name, nc, s);
    }

    /// Push the ADD COLUMN step `s` of `nc`, then the column's comment and
    /// grants.
    fn push_added_column(&mut self, name: &QualName, nc: &Column, s: Step) {
        self.push(Phase::AddColumn, s);
        if let Some(cm) = &nc.comment {
            let sql = format!(
                "COMMENT ON COLUMN {}.{} IS {}",
                name.sql(),
                quote_ident(&nc.name),
                quote_literal(cm)
            );
            let cobj = ObjectRef::Column {
                table: name.clone(),
                column: nc.name.clone(),
            };
            self.push(Phase::Comment, step(sql, cobj));
        }
        self.column_grants(name, &nc.name, &[], &nc.grants);
    }

    /// A column in both versions of a table.
    fn alter_column(&mut self, name: &QualName, c: &Column, nc: &Column) {
        let q = name.sql();
        let cq = quote_ident(&nc.name);
        let cobj = ObjectRef::Column {
            table: name.clone(),
            column: nc.name.clone(),
        };
        // Generated expression changes: PostgreSQL can only drop the
        // expression in place; a new or changed expression needs the
        // column to be recreated.
        if c.generated != nc.generated {
            if nc.generated.is_none() {
                self.push(
                    Phase::ColumnPreAlter,
                    step(
                        format!("ALTER TABLE {q} ALTER COLUMN {cq} DROP EXPRESSION"),
                        cobj.clone(),
                    ),
                );
            } else {
                let s = step(format!("ALTER TABLE {q} DROP COLUMN {cq}"), cobj.clone());
                let s = hazard(
                        s,
                        HazardKind::DeletesData,
                        format!("recreating column {name}.{} to change its generation expression: its current values are lost", nc.name),
                    );
                self.push(Phase::DropColumn, s);
                let s = step(
                    format!("ALTER TABLE {q} ADD COLUMN {}", self.column_def(nc)),
                    cobj.clone(),
                );
                let s = hazard(
                    s,
                    HazardKind::RewritesTable,
                    format!(
                        "adding generated column {name}.{} computes every row",
                        nc.name
                    ),
                );
                self.push_added_column(name, nc, s);
                return;
            }
        }
        let enum_rebuilt = self.column_enum_rebuilt(nc);
        let type_changed =
            c.data_type != nc.data_type || c.collation != nc.collation || enum_rebuilt;
        // Identity removed or changed kind is dropped first (serial and
        // identity sequences may share a name).
        if c.identity.is_some() && nc.identity.is_none() {
            self.push(
                Phase::ColumnPreAlter,
                step(
                    format!("ALTER TABLE {q} ALTER COLUMN {cq} DROP IDENTITY"),
                    cobj.clone(),
                ),
            );
        }
        let default_changed = c.default != nc.default;
        if c.default.is_some() && (default_changed || type_changed) {
            self.push(
                Phase::ColumnPreAlter,
                step(
                    format!("ALTER TABLE {q} ALTER COLUMN {cq} DROP DEFAULT"),
                    cobj.clone(),
                ),
            );
        }
        if type_changed {
            self.column_type(name, c, nc, enum_rebuilt);
        }
        if !c.not_null && nc.not_null {
            let s = step(
                format!("ALTER TABLE {q} ALTER COLUMN {cq} SET NOT NULL"),
                cobj.clone(),
            );
            let s = hazard(
                s,
                HazardKind::AccessExclusiveLock,
                format!(
                    "setting NOT NULL on {name}.{} scans the table under an exclusive lock",
                    nc.name
                ),
            );
            self.push(Phase::AlterColumn, s);
        }
        self.column_identity(name, c, nc);
        if let Some(d) = &nc.default {
            if default_changed || type_changed {
                self.push(
                    Phase::SequenceOwnedBy,
                    step(
                        format!("ALTER TABLE {q} ALTER COLUMN {cq} SET DEFAULT {d}"),
                        cobj.clone(),
                    ),
                );
            }
        }
        if c.not_null && !nc.not_null {
            self.push(
                Phase::AlterColumn,
                step(
                    format!("ALTER TABLE {q} ALTER COLUMN {cq} DROP NOT NULL"),
                    cobj.clone(),
                ),
            );
        }
        if c.comment != nc.comment {
            let v = nc
                .comment
                .as_deref()
                .map(quote_literal)
                .unwrap_or_else(|| "NULL".into());
            self.push(
                Phase::Comment,
                step(format!("COMMENT ON COLUMN {q}.{cq} IS {v}"), cobj.clone()),
            );
        }
        self.column_grants(name, &nc.name, &c.grants, &nc.grants);
    }

    /// `ALTER COLUMN ... TYPE`, with `USING` where the type or enum changes.
    fn column_type(&mut self, name: &QualName, c: &Column, nc: &Column, enum_rebuilt: bool) {
        let q = name.sql();
        let cq = quote_ident(&nc.name);
        let cobj = ObjectRef::Column {
            table: name.clone(),
            column: nc.name.clone(),
        };
        let mut sql = format!("ALTER TABLE {q} ALTER COLUMN {cq} TYPE {}", nc.data_type);
        if let Some(coll) = &nc.collation {
            sql.push_str(&format!(" COLLATE {}", collate_sql(coll)));
        }
        // No cast exists between two enum types: go through text.
        let enum_to_enum = c.data_type != nc.data_type
            && c.data_type.ends_with("[]") == nc.data_type.ends_with("[]")
            && enum_named(self.from, &c.data_type).is_some()
            && self.enum_of(&nc.data_type).is_some();
        if enum_rebuilt || c.data_type != nc.data_type {
            let via = if enum_rebuilt || enum_to_enum {
                if nc.data_type.ends_with("[]") {
                    "::text[]"
                } else {
                    "::text"
                }
            } else {
                ""
            };
            sql.push_str(&format!(" USING {cq}{via}::{}", nc.data_type));
        }
        let mut s = step(sql, cobj.clone());
        if enum_to_enum {
            let (old_e, new_e) = (
                enum_named(self.from, &c.data_type),
                enum_named(self.to, &nc.data_type),
            );
            if let (Some(o), Some(n)) = (old_e, new_e) {
                let missing: Vec<String> = o
                    .values
                    .iter()
                    .filter(|v| !n.values.contains(v))
                    .map(|v| quote_literal(v))
                    .collect();
                if !missing.is_empty() {
                    s = hazard(
                        s,
                        HazardKind::DeletesData,
                        format!(
                            "column {name}.{} moves to {}, which lacks value(s) {}: rows holding them make the conversion fail",
                            nc.name,
                            nc.data_type,
                            missing.join(", ")
                        ),
                    );
                }
            }
        }
        if !is_binary_coercible(&c.data_type, &nc.data_type) || enum_rebuilt {
            let msg = format!(
                "changing the type of column {name}.{} from {} to {} rewrites the table",
                nc.name, c.data_type, nc.data_type
            );
            s = hazard(s, HazardKind::RewritesTable, msg.clone());
            s = hazard(s, HazardKind::AccessExclusiveLock, msg);
        }
        self.push(Phase::AlterColumn, s);
    }

    /// Identity options added or changed.
    fn column_identity(&mut self, name: &QualName, c: &Column, nc: &Column) {
        let q = name.sql();
        let cq = quote_ident(&nc.name);
        let cobj = ObjectRef::Column {
            table: name.clone(),
            column: nc.name.clone(),
        };
        match (&c.identity, &nc.identity) {
            (None, Some(id)) => {
                self.push(
                    Phase::AlterColumn,
                    step(
                        format!(
                            "ALTER TABLE {q} ALTER COLUMN {cq} ADD {}",
                            identity_clause(id)
                        ),
                        cobj.clone(),
                    ),
                );
            }
            (Some(o), Some(n)) if o != n => {
                let mut parts = Vec::new();
                if o.kind != n.kind {
                    parts.push(match n.kind {
                        IdentityKind::Always => "SET GENERATED ALWAYS".to_owned(),
                        IdentityKind::ByDefault => "SET GENERATED BY DEFAULT".to_owned(),
                    });
                }
                parts.extend(number_changes(&o.into(), &n.into(), "SET "));
                self.push(
                    Phase::AlterColumn,
                    step(
                        format!("ALTER TABLE {q} ALTER COLUMN {cq} {}", parts.join(" ")),
                        cobj.clone(),
                    ),
                );
            }
            _ => {}
        }
    }

    pub(super) fn column_grants(
        &mut self,
        table: &QualName,
        column: &str,
        old: &[Grant],
        new: &[Grant],
    ) {
        let obj = ObjectRef::Column {
            table: table.clone(),
            column: column.to_owned(),
        };
        self.grants_on(
            &format!("TABLE {}", table.sql()),
            Some(&quote_ident(column)),
            old,
            new,
            &obj,
            &format!("column {table}.{column}"),
        );
    }

    /// Whether a default is evaluated per row when a column is added: a
    /// known volatile built-in, or a user function not marked IMMUTABLE or
    /// STABLE.
    pub(super) fn is_volatile_default(&self, d: &str) -> bool {
        is_volatile_builtin(d)
            || self.to.functions.values().any(|f| {
                mentions_function(d, &f.id)
                    && !f.definition.contains(" IMMUTABLE")
                    && !f.definition.contains(" STABLE")
            })
    }
}

/// The enum of `cat` a column type names (`public.status` or
/// `public.status[]`).
pub(super) fn enum_named<'c>(cat: &'c Catalog, data_type: &str) -> Option<&'c EnumType> {
    let base = data_type.trim_end_matches("[]");
    cat.enums
        .values()
        .find(|e| e.name.sql() == base || e.name.name == base && e.name.schema == "public")
}

/// `COLLATE x`: names PostgreSQL prints qualified or quoted are kept as
/// printed; plain names are quoted.
pub(super) fn collate_sql(c: &str) -> String {
    // Introspection stores collations SQL-ready (`pg_catalog."C"`).
    c.to_owned()
}

pub(super) fn identity_clause(id: &Identity) -> String {
    format!(
        "GENERATED {} AS IDENTITY (START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}{})",
        match id.kind {
            IdentityKind::Always => "ALWAYS",
            IdentityKind::ByDefault => "BY DEFAULT",
        },
        id.start,
        id.increment,
        id.min_value,
        id.max_value,
        id.cache,
        if id.cycle { " CYCLE" } else { " NO CYCLE" }
    )
}

pub(super) fn is_volatile_builtin(d: &str) -> bool {
    let d = d.to_ascii_lowercase();
    [
        "random",
        "uuid",
        "clock_timestamp",
        "nextval",
        "timeofday",
        "txid_current",
    ]
    .iter()
    .any(|f| d.contains(f))
}

/// Type changes PostgreSQL makes without a rewrite.
pub(super) fn is_binary_coercible(from: &str, to: &str) -> bool {
    let base = |s: &str| s.split('(').next().unwrap_or(s).trim().to_owned();
    let len = |s: &str| -> Option<u64> {
        let inner = s.split('(').nth(1)?.trim_end_matches(')');
        inner.split(',').next()?.trim().parse().ok()
    };
    let (bf, bt) = (base(from), base(to));
    if bf == "character varying" && bt == "text" {
        return true;
    }
    if bf == "character varying" && bt == "character varying" {
        return match (len(from), len(to)) {
            (Some(a), Some(b)) => b >= a,
            (_, None) => true,
            (None, Some(_)) => false,
        };
    }
    if bf == "numeric" && bt == "numeric" {
        return !to.contains('(');
    }
    false
}
