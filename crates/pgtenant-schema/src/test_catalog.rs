//! Hand-built catalogs for the unit tests of the tenancy transform and the
//! lints. The texts mirror what PostgreSQL prints (checked against the
//! integration tests, which load real SQL).

use crate::model::*;

/// The tenancy rules the tests use: `tenant_id` columns, the
/// `app.tenant_id` setting, `tenants` as the root table.
pub fn cfg() -> crate::tenancy::TenancyRules {
    crate::tenancy::TenancyRules {
        root_table: Some(q("tenants")),
        ..crate::tenancy::TenancyRules::new("tenant_id", "app.tenant_id")
    }
}

pub fn q(name: &str) -> QualName {
    QualName::new("public", name)
}

pub fn col(name: &str, ty: &str, not_null: bool) -> Column {
    Column {
        name: name.to_owned(),
        data_type: ty.to_owned(),
        collation: None,
        not_null,
        default: None,
        identity: None,
        generated: None,
        comment: None,
        grants: Vec::new(),
    }
}

pub fn table(name: &str, columns: Vec<Column>) -> Table {
    Table {
        name: q(name),
        owner: "postgres".to_owned(),
        kind: TableKind::Ordinary,
        partition_key: None,
        partition_of: None,
        unlogged: false,
        columns,
        constraints: Default::default(),
        indexes: Default::default(),
        triggers: Default::default(),
        rules: Default::default(),
        policies: Default::default(),
        rls_enabled: false,
        rls_forced: false,
        options: Vec::new(),
        comment: None,
        grants: Vec::new(),
    }
}

pub fn constraint(name: &str, kind: ConstraintKind, cols: &[&str]) -> Constraint {
    Constraint {
        name: name.to_owned(),
        kind,
        definition: String::new(),
        columns: cols.iter().map(|c| (*c).to_owned()).collect(),
        references: None,
        deferrable: false,
        initially_deferred: false,
        validated: true,
        inherited: false,
        comment: None,
    }
}

pub fn fk(name: &str, cols: &[&str], target: &str, target_cols: &[&str]) -> Constraint {
    let mut c = constraint(name, ConstraintKind::ForeignKey, cols);
    c.references = Some(ForeignKeyTarget {
        table: q(target),
        columns: target_cols.iter().map(|c| (*c).to_owned()).collect(),
    });
    c
}

pub fn index(name: &str, unique: bool, cols: &[&str]) -> Index {
    Index {
        name: name.to_owned(),
        definition: String::new(),
        unique,
        columns: cols.iter().map(|c| Some((*c).to_owned())).collect(),
        method: "btree".to_owned(),
        predicate: None,
        inherited: false,
        comment: None,
    }
}

pub fn policy(
    name: &str,
    command: PolicyCommand,
    using: Option<&str>,
    check: Option<&str>,
) -> Policy {
    Policy {
        name: name.to_owned(),
        command,
        permissive: true,
        roles: vec!["public".to_owned()],
        using: using.map(str::to_owned),
        with_check: check.map(str::to_owned),
        comment: None,
    }
}

pub fn grant(grantee: &str, privilege: &str) -> Grant {
    Grant {
        grantee: grantee.to_owned(),
        privilege: privilege.to_owned(),
        with_grant_option: false,
    }
}

pub fn with_pk(mut t: Table, cols: &[&str]) -> Table {
    let name = format!("{}_pkey", t.name.name);
    t.constraints.insert(
        name.clone(),
        constraint(&name, ConstraintKind::PrimaryKey, cols),
    );
    t
}

/// `tenants(id <key_type> PK)` and `notes(id bigint PK, tenant_id <key_type>
/// NOT NULL, body text)` with an index on `notes(tenant_id)`.
pub fn basic(key_type: &str) -> Catalog {
    let mut c = Catalog::default();
    let tenants = with_pk(
        table(
            "tenants",
            vec![col("id", key_type, true), col("name", "text", true)],
        ),
        &["id"],
    );
    let mut notes = with_pk(
        table(
            "notes",
            vec![
                col("id", "bigint", true),
                col("tenant_id", key_type, true),
                col("body", "text", false),
            ],
        ),
        &["id"],
    );
    notes.indexes.insert(
        "notes_tenant_idx".into(),
        index("notes_tenant_idx", false, &["tenant_id"]),
    );
    c.tables.insert(tenants.name.clone(), tenants);
    c.tables.insert(notes.name.clone(), notes);
    c.schemas.insert(
        "public".into(),
        Schema {
            name: "public".into(),
            owner: "pg_database_owner".into(),
            comment: None,
            grants: Vec::new(),
        },
    );
    c
}
