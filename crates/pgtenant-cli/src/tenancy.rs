//! The manifest's `[tenancy]` (and a database's overrides) as the schema
//! engine's [`TenancyRules`].

use crate::error::usage;
use crate::manifest::{Database, Tenancy};
use anyhow::Result;
use pgtenant_schema::tenancy::TenancyRules;

/// Map and validate; a bad name is a usage error naming the field and the
/// database.
pub fn rules(database: &str, t: &Tenancy) -> Result<TenancyRules> {
    let table = |field: &str, name: &str| {
        TenancyRules::parse_table_name(name)
            .map_err(|e| usage(format!("database {database}: tenancy.{field}: {e}")))
    };
    let cfg = TenancyRules {
        column: t.column.clone(),
        setting: t.setting.clone(),
        user_setting: t.user_setting.clone(),
        root_table: Some(table("root_table", &t.root_table)?),
        global_tables: t
            .global_tables
            .iter()
            .map(|g| table("global_tables", g))
            .collect::<Result<_>>()?,
        definer_api: Vec::new(),
        grants: Default::default(),
        soft_delete: Vec::new(),
    };
    cfg.validate()
        .map_err(|e| usage(format!("database {database}: [tenancy]: {e}")))?;
    Ok(cfg)
}

/// The rules of database `db` (its tenancy `t`): [`rules`], with the
/// tables of its modules that police themselves added to the global tables.
pub fn for_database(db: &Database, t: &Tenancy) -> Result<TenancyRules> {
    let mut cfg = rules(&db.name, t)?;
    for table in crate::modules::self_policed_tables(db)? {
        if !cfg.global_tables.contains(&table) {
            cfg.global_tables.push(table);
        }
    }
    cfg.definer_api = crate::modules::definer_api(db)?;
    cfg.grants = db.grant_rules();
    cfg.soft_delete = db.soft_delete.iter().map(|l| l.table.clone()).collect();
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pgtenant_schema::model::QualName;

    #[test]
    fn maps_names_and_rejects_bad_ones() {
        let t = Tenancy {
            global_tables: vec!["plans".into(), "billing.prices".into()],
            ..Tenancy::default()
        };
        let c = rules("app", &t).unwrap();
        assert_eq!(c.root_table, Some(QualName::new("public", "tenants")));
        assert_eq!(
            c.global_tables,
            [
                QualName::new("public", "plans"),
                QualName::new("billing", "prices")
            ]
        );
        let bad = Tenancy {
            setting: "tenant".into(),
            ..Tenancy::default()
        };
        assert_eq!(
            rules("app", &bad).unwrap_err().to_string(),
            "database app: [tenancy]: setting \"tenant\" is not a custom setting name; use \
             lower-case words (a-z, 0-9, _) joined by dots, e.g. \"app.tenant_id\""
        );
        let bad = Tenancy {
            root_table: "a.b.c".into(),
            ..Tenancy::default()
        };
        assert_eq!(
            rules("app", &bad).unwrap_err().to_string(),
            "database app: tenancy.root_table: table name \"a.b.c\" is not `table` or `schema.table`"
        );
    }
}
