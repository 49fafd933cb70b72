//! Generated schemas for benchmarks and tests (not part of the public API).
//!
//! [`schema`] writes `n` tenant-scoped tables (plus `tenants`) in the shape
//! of the introspection benchmark: 9 columns, a primary key, 2 indexes, 1 foreign key, a
//! check constraint, RLS enabled and forced, and one isolation policy each.
//! [`changed_schema`] is the same schema with every `every`-th table changed
//! (a column added, a column type changed, an index dropped and one added,
//! the check and the policy changed), for diff benchmarks.

use std::fmt::Write;

/// Options for [`generate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenOptions {
    /// Number of tables besides `tenants`.
    pub tables: usize,
    /// Change every n-th table (1-based: table `i` changes when
    /// `i % n == 0`); `None` changes nothing.
    pub change_every: Option<usize>,
}

/// `n` tables, unchanged.
pub fn schema(tables: usize) -> String {
    generate(GenOptions {
        tables,
        change_every: None,
    })
}

/// `n` tables with every `every`-th one changed (`every = 10` changes 10%).
pub fn changed_schema(tables: usize, every: usize) -> String {
    generate(GenOptions {
        tables,
        change_every: Some(every.max(1)),
    })
}

/// The generated SQL text.
pub fn generate(opts: GenOptions) -> String {
    let mut sql = String::with_capacity(opts.tables * 1200);
    sql.push_str(
        "CREATE TABLE public.tenants (\n    id uuid PRIMARY KEY,\n    name text NOT NULL\n);\n\n",
    );
    for i in 1..=opts.tables {
        let changed = opts.change_every.is_some_and(|n| i % n == 0);
        let t = format!("t{i:04}");
        // Each table references the previous one (the first: tenants).
        let (fk_col, fk_target) = if i == 1 {
            ("tenant_id", "public.tenants (id)".to_owned())
        } else {
            ("parent_id", format!("public.t{:04} (id)", i - 1))
        };
        let _ = writeln!(sql, "CREATE TABLE public.{t} (");
        let _ = writeln!(
            sql,
            "    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        );
        let _ = writeln!(sql, "    tenant_id uuid NOT NULL,");
        let _ = writeln!(sql, "    parent_id bigint,");
        let _ = writeln!(sql, "    name text NOT NULL,");
        let _ = writeln!(sql, "    status text NOT NULL DEFAULT 'active',");
        if changed {
            let _ = writeln!(sql, "    amount numeric(14,2) NOT NULL DEFAULT 0,");
        } else {
            let _ = writeln!(sql, "    amount numeric(12,2) NOT NULL DEFAULT 0,");
        }
        let _ = writeln!(sql, "    data jsonb NOT NULL DEFAULT '{{}}'::jsonb,");
        let _ = writeln!(sql, "    created_at timestamptz NOT NULL DEFAULT now(),");
        if changed {
            let _ = writeln!(sql, "    note text,");
        }
        if changed {
            let _ = writeln!(
                sql,
                "    CONSTRAINT {t}_amount_check CHECK (amount >= 0 AND amount < 1000000)"
            );
        } else {
            let _ = writeln!(sql, "    CONSTRAINT {t}_amount_check CHECK (amount >= 0)");
        }
        let _ = writeln!(sql, ");");
        let _ = writeln!(
            sql,
            "ALTER TABLE public.{t} ADD CONSTRAINT {t}_{fk_col}_fkey FOREIGN KEY ({fk_col}) REFERENCES {fk_target} ON DELETE CASCADE;"
        );
        let _ = writeln!(
            sql,
            "CREATE INDEX {t}_tenant_created_idx ON public.{t} (tenant_id, created_at);"
        );
        if changed {
            let _ = writeln!(
                sql,
                "CREATE INDEX {t}_status_idx ON public.{t} (status) WHERE status <> 'archived';"
            );
        } else {
            let _ = writeln!(
                sql,
                "CREATE INDEX {t}_name_idx ON public.{t} (lower(name));"
            );
        }
        let _ = writeln!(sql, "ALTER TABLE public.{t} ENABLE ROW LEVEL SECURITY;");
        if !changed {
            let _ = writeln!(sql, "ALTER TABLE public.{t} FORCE ROW LEVEL SECURITY;");
        }
        let check = if changed {
            "tenant_id = current_setting('app.tenant_id', true)::uuid AND status <> 'locked'"
        } else {
            "tenant_id = current_setting('app.tenant_id', true)::uuid"
        };
        let _ = writeln!(
            sql,
            "CREATE POLICY {t}_isolation ON public.{t} USING (tenant_id = current_setting('app.tenant_id', true)::uuid) WITH CHECK ({check});\n"
        );
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqltext::split_statements;

    #[test]
    fn shapes() {
        let s = schema(3);
        let stmts = split_statements(&s);
        assert_eq!(
            stmts
                .iter()
                .filter(|s| s.sql.starts_with("CREATE TABLE"))
                .count(),
            4
        );
        assert_eq!(
            stmts
                .iter()
                .filter(|s| s.sql.starts_with("CREATE POLICY"))
                .count(),
            3
        );
        assert_eq!(
            stmts
                .iter()
                .filter(|s| s.sql.starts_with("CREATE INDEX"))
                .count(),
            6
        );
        let c = changed_schema(20, 10);
        assert_eq!(c.matches("note text").count(), 2);
        assert_eq!(
            s,
            changed_schema(3, 10),
            "no table reaches the period: nothing changes"
        );
        assert_ne!(s, changed_schema(3, 2));
    }
}
