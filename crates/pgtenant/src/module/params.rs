//! The named parameters module templates are rendered with. Every value is
//! typed: names are quoted with `quote_ident`, settings with
//! `quote_literal`, types come from [`TenantKeyType`]; nothing is pasted.

use super::ModuleError;
use crate::config::{validate_name, validate_setting, MembershipConfig, TableName};
use crate::error::Error;
use crate::TenantKeyType;
use pgtenant_schema::ident::{quote_ident, quote_literal};

/// The schema module objects live in unless configured otherwise.
pub const DEFAULT_SCHEMA: &str = "pgtenant";

/// Which membership rows count as active: `column IN (values…)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipStatus {
    pub column: String,
    pub active_values: Vec<String>,
}

impl MembershipStatus {
    pub fn new(column: &str, active_values: &[&str]) -> MembershipStatus {
        MembershipStatus {
            column: column.to_owned(),
            active_values: active_values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    /// The one rendering of the rule: `<qualifier>.<column> IN ('v', …)`,
    /// the column quoted, the values literals. The modules' policies and
    /// [`TenantDb::enter`](crate::TenantDb::enter) both use it.
    pub fn condition(&self, qualifier: &str) -> String {
        format!(
            "{qualifier}.{} IN ({})",
            quote_ident(&self.column),
            self.active_values
                .iter()
                .map(|v| quote_literal(v))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// The values a module's templates may use. Mirrors the manifest's
/// `[tenancy]` plus `module_schema` and the database's service role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleParams {
    /// `{{schema}}`: where module objects live (default `pgtenant`).
    pub schema: String,
    /// `{{tenant_column}}`: the tenant column of module tables (the
    /// manifest's `[tenancy].column`).
    pub tenant_column: String,
    /// `{{tenant_type}}` / `{{tenant_cast}}`: the tenant key type.
    pub tenant_key: TenantKeyType,
    /// `{{tenant_setting}}`: the setting carrying the tenant.
    pub tenant_setting: String,
    /// `{{user_setting}}`: the setting carrying the acting user.
    pub user_setting: Option<String>,
    /// `{{user_type}}` / `{{user_cast}}`: the user id type.
    pub user_key: TenantKeyType,
    /// `{{root_table}}` and `{{root_key}}`: the tenants table and its key.
    pub root_table: Option<(TableName, String)>,
    /// `{{user_reference}}`: the table of users and its key, when it is in
    /// the same database (module rows naming a user then reference it).
    pub user_table: Option<(TableName, String)>,
    /// `{{membership_table}}`, `{{membership_user}}`, `{{membership_tenant}}`.
    pub membership: Option<MembershipConfig>,
    /// `{{membership_active}}`: which membership rows (alias `m`) are
    /// active; every row when `None`.
    pub membership_status: Option<MembershipStatus>,
    /// `{{service_role}}`: the role the application connects as.
    pub service_role: Option<String>,
    /// `{{superadmin_role}}`: the BYPASSRLS role of system jobs, when the
    /// database has one; a module's `superadmin_grants` are rendered only then.
    pub superadmin_role: Option<String>,
}

impl ModuleParams {
    /// Schema `pgtenant`, column `tenant_id`, setting `app.tenant_id`, the
    /// given key types; nothing else set.
    pub fn new(tenant_key: TenantKeyType, user_key: TenantKeyType) -> ModuleParams {
        ModuleParams {
            schema: DEFAULT_SCHEMA.to_owned(),
            tenant_column: "tenant_id".to_owned(),
            tenant_key,
            tenant_setting: "app.tenant_id".to_owned(),
            user_setting: None,
            user_key,
            root_table: None,
            user_table: None,
            membership: None,
            membership_status: None,
            service_role: None,
            superadmin_role: None,
        }
    }

    pub fn schema(mut self, schema: &str) -> Self {
        self.schema = schema.to_owned();
        self
    }

    pub fn tenant_column(mut self, column: &str) -> Self {
        self.tenant_column = column.to_owned();
        self
    }

    pub fn tenant_setting(mut self, setting: &str) -> Self {
        self.tenant_setting = setting.to_owned();
        self
    }

    pub fn user_setting(mut self, setting: &str) -> Self {
        self.user_setting = Some(setting.to_owned());
        self
    }

    pub fn root_table(mut self, table: impl Into<TableName>, key_column: &str) -> Self {
        self.root_table = Some((table.into(), key_column.to_owned()));
        self
    }

    /// The users table and its key column, in the same database.
    pub fn user_table(mut self, table: impl Into<TableName>, key_column: &str) -> Self {
        self.user_table = Some((table.into(), key_column.to_owned()));
        self
    }

    pub fn membership(mut self, membership: MembershipConfig) -> Self {
        self.membership = Some(membership);
        self
    }

    pub fn membership_status(mut self, status: MembershipStatus) -> Self {
        self.membership_status = Some(status);
        self
    }

    pub fn service_role(mut self, role: &str) -> Self {
        self.service_role = Some(role.to_owned());
        self
    }

    pub fn superadmin_role(mut self, role: &str) -> Self {
        self.superadmin_role = Some(role.to_owned());
        self
    }

    /// Check every name before any SQL text is built from it.
    pub(crate) fn validate(&self) -> Result<(), ModuleError> {
        let names = [
            ("schema", Some(self.schema.as_str())),
            ("tenant_column", Some(self.tenant_column.as_str())),
            ("service_role", self.service_role.as_deref()),
            ("superadmin_role", self.superadmin_role.as_deref()),
        ];
        for (field, value) in names {
            if let Some(v) = value {
                validate_name(field, v).map_err(invalid)?;
            }
        }
        validate_setting("tenant_setting", &self.tenant_setting).map_err(invalid)?;
        if let Some(u) = &self.user_setting {
            validate_setting("user_setting", u).map_err(invalid)?;
        }
        if let Some((table, key)) = &self.root_table {
            table.validate("root_table").map_err(invalid)?;
            validate_name("root_key", key).map_err(invalid)?;
        }
        if let Some((table, key)) = &self.user_table {
            table.validate("user_table").map_err(invalid)?;
            validate_name("user_key", key).map_err(invalid)?;
        }
        if let Some(m) = &self.membership {
            m.table.validate("membership_table").map_err(invalid)?;
            validate_name("membership_user", &m.user_column).map_err(invalid)?;
            validate_name("membership_tenant", &m.tenant_column).map_err(invalid)?;
        }
        if let Some(s) = &self.membership_status {
            validate_name("membership_status", &s.column).map_err(invalid)?;
            if s.active_values.is_empty() {
                return Err(ModuleError::InvalidParameter {
                    name: "membership_status",
                    value: s.column.clone(),
                    problem: "lists no active value; name at least one, e.g. \"active\"".to_owned(),
                });
            }
        }
        Ok(())
    }
}

fn invalid(e: Error) -> ModuleError {
    match e {
        Error::InvalidConfig {
            field,
            value,
            problem,
        } => ModuleError::InvalidParameter {
            name: field,
            value,
            problem,
        },
        other => ModuleError::InvalidParameter {
            name: "parameter",
            value: String::new(),
            problem: other.to_string(),
        },
    }
}
