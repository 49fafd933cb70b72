//! Tenancy configuration: which settings the policies read, the type of the
//! tenant key, and where memberships live. Plain values: the library never
//! reads the manifest (the CLI does).

use crate::error::{Error, Result};
use crate::module::MembershipStatus;
use pgtenant_schema::ident::{self, quote_ident, quote_qualified, MAX_IDENT_LEN};
use std::fmt;

/// The SQL type of the tenant key (the root table's primary key and the
/// tenant column). Ids are validated against it before anything is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantKeyType {
    Uuid,
    /// `text`, or `varchar` without a length.
    Text,
    /// `varchar(n)`: at most `n` characters.
    Varchar(u32),
    BigInt,
    Int,
    SmallInt,
}

impl TenantKeyType {
    /// The type as PostgreSQL spells it in a cast.
    pub fn sql_type(&self) -> String {
        match self {
            TenantKeyType::Uuid => "uuid".to_owned(),
            TenantKeyType::Text => "text".to_owned(),
            TenantKeyType::Varchar(n) => format!("varchar({n})"),
            TenantKeyType::BigInt => "bigint".to_owned(),
            TenantKeyType::Int => "integer".to_owned(),
            TenantKeyType::SmallInt => "smallint".to_owned(),
        }
    }

    /// Map the output of PostgreSQL's `format_type` to a key type.
    pub fn from_format_type(found: &str) -> Option<TenantKeyType> {
        let found = found.trim();
        match found {
            "uuid" => return Some(TenantKeyType::Uuid),
            "text" | "character varying" => return Some(TenantKeyType::Text),
            "bigint" => return Some(TenantKeyType::BigInt),
            "integer" => return Some(TenantKeyType::Int),
            "smallint" => return Some(TenantKeyType::SmallInt),
            _ => {}
        }
        let n = found
            .strip_prefix("character varying(")?
            .strip_suffix(')')?;
        n.parse().ok().map(TenantKeyType::Varchar)
    }

    /// Check `raw` against this type and return its canonical text form
    /// (the form PostgreSQL prints), or why it does not fit.
    pub fn canonical(&self, raw: &str) -> std::result::Result<String, String> {
        if raw.is_empty() {
            return Err("the id is empty".to_owned());
        }
        if raw.contains('\0') {
            return Err("the id contains a NUL character".to_owned());
        }
        match self {
            TenantKeyType::Uuid => uuid::Uuid::parse_str(raw)
                .map(|u| u.hyphenated().to_string())
                .map_err(|_| "not a UUID".to_owned()),
            TenantKeyType::Text => Ok(raw.to_owned()),
            TenantKeyType::Varchar(n) => {
                let len = raw.chars().count();
                if u32::try_from(len).map_or(true, |len| len > *n) {
                    Err(format!("{len} characters, at most {n} allowed"))
                } else {
                    Ok(raw.to_owned())
                }
            }
            TenantKeyType::BigInt => int_text::<i64>(raw, "a 64-bit integer"),
            TenantKeyType::Int => int_text::<i32>(raw, "a 32-bit integer"),
            TenantKeyType::SmallInt => int_text::<i16>(raw, "a 16-bit integer"),
        }
    }
}

fn int_text<T: std::str::FromStr + ToString>(
    raw: &str,
    what: &str,
) -> std::result::Result<String, String> {
    raw.parse::<T>()
        .map(|v| v.to_string())
        .map_err(|_| format!("not {what}"))
}

impl fmt::Display for TenantKeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sql_type())
    }
}

/// A table name, optionally schema-qualified (`public` when not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableName {
    pub schema: String,
    pub name: String,
}

impl TableName {
    /// `"memberships"` or `"app.memberships"` (split at the first dot).
    pub fn parse(text: &str) -> TableName {
        match text.split_once('.') {
            Some((schema, name)) => TableName {
                schema: schema.to_owned(),
                name: name.to_owned(),
            },
            None => TableName {
                schema: "public".to_owned(),
                name: text.to_owned(),
            },
        }
    }

    /// The quoted, qualified name for SQL text.
    pub fn quoted(&self) -> String {
        quote_qualified(&self.schema, &self.name)
    }

    pub(crate) fn validate(&self, field: &'static str) -> Result<()> {
        validate_name(field, &self.schema)?;
        validate_name(field, &self.name)
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

impl From<&str> for TableName {
    fn from(text: &str) -> Self {
        TableName::parse(text)
    }
}

/// Where memberships live: one row per (user, tenant) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipConfig {
    pub table: TableName,
    pub user_column: String,
    pub tenant_column: String,
    /// Which rows count as active members (the manifest's
    /// `[tenancy.membership] status_column` / `active_values`); `None`:
    /// every row. An invited or suspended member is then not a member.
    pub status: Option<MembershipStatus>,
}

impl MembershipConfig {
    pub fn new(table: impl Into<TableName>, user_column: &str, tenant_column: &str) -> Self {
        MembershipConfig {
            table: table.into(),
            user_column: user_column.to_owned(),
            tenant_column: tenant_column.to_owned(),
            status: None,
        }
    }

    /// Only rows whose status is one of the active values are members.
    pub fn active_when(mut self, status: MembershipStatus) -> Self {
        self.status = Some(status);
        self
    }
}

/// How the tenant key type is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// Given explicitly.
    Fixed(TenantKeyType),
    /// Read at connect time from the primary key of the root table.
    RootTable(TableName),
}

/// How the library sets a tenant context at run time: the setting names,
/// the id types, the membership table. The schema engine's side of
/// `[tenancy]` (which tables are scoped, by which column) is
/// [`pgtenant_schema::tenancy::TenancyRules`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenancyConfig {
    /// The setting the policies read (`app.tenant_id`).
    pub setting: String,
    /// The setting carrying the acting user, if the schema uses one.
    pub user_setting: Option<String>,
    /// The type of the tenant key.
    pub key: KeySource,
    /// The type of user ids (the membership table's user column).
    pub user_key_type: TenantKeyType,
    /// The membership table, for [`TenantDb::enter`](crate::TenantDb::enter).
    pub membership: Option<MembershipConfig>,
}

impl Default for TenancyConfig {
    /// `app.tenant_id`, uuid keys, no user setting, no membership table.
    fn default() -> Self {
        TenancyConfig {
            setting: "app.tenant_id".to_owned(),
            user_setting: None,
            key: KeySource::Fixed(TenantKeyType::Uuid),
            user_key_type: TenantKeyType::Uuid,
            membership: None,
        }
    }
}

impl TenancyConfig {
    /// The defaults with the given tenant key type.
    pub fn new(key_type: TenantKeyType) -> Self {
        TenancyConfig {
            key: KeySource::Fixed(key_type),
            ..TenancyConfig::default()
        }
    }

    /// Read the key type from the primary key of `root_table` at connect time.
    pub fn key_from_root_table(mut self, root_table: impl Into<TableName>) -> Self {
        self.key = KeySource::RootTable(root_table.into());
        self
    }

    pub fn setting(mut self, name: &str) -> Self {
        self.setting = name.to_owned();
        self
    }

    pub fn user_setting(mut self, name: &str) -> Self {
        self.user_setting = Some(name.to_owned());
        self
    }

    pub fn user_key_type(mut self, key_type: TenantKeyType) -> Self {
        self.user_key_type = key_type;
        self
    }

    pub fn membership(mut self, membership: MembershipConfig) -> Self {
        self.membership = Some(membership);
        self
    }

    /// Check names before any SQL text is built from them.
    pub(crate) fn validate(&self) -> Result<()> {
        validate_setting("setting", &self.setting)?;
        if let Some(user) = &self.user_setting {
            validate_setting("user_setting", user)?;
            if user == &self.setting {
                return Err(Error::InvalidConfig {
                    field: "user_setting",
                    value: user.clone(),
                    problem: "is the same as the tenant setting; use a separate name".to_owned(),
                });
            }
        }
        if let KeySource::RootTable(table) = &self.key {
            table.validate("root table")?;
        }
        if let Some(m) = &self.membership {
            m.table.validate("membership table")?;
            validate_name("membership user column", &m.user_column)?;
            validate_name("membership tenant column", &m.tenant_column)?;
            if let Some(s) = &m.status {
                validate_name("membership status column", &s.column)?;
                if s.active_values.is_empty() {
                    return Err(Error::InvalidConfig {
                        field: "membership active values",
                        value: s.column.clone(),
                        problem: "lists no active value; name at least one, e.g. \"active\""
                            .to_owned(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The membership query for `key_type`: bound parameters, quoted names.
    pub(crate) fn membership_sql(&self, key_type: TenantKeyType) -> Option<String> {
        let m = self.membership.as_ref()?;
        let active = m
            .status
            .as_ref()
            .map(|s| format!(" AND {}", s.condition("m")))
            .unwrap_or_default();
        Some(format!(
            "SELECT EXISTS (SELECT 1 FROM {} AS m WHERE m.{} = $1::{} AND m.{} = $2::{}{active})",
            m.table.quoted(),
            quote_ident(&m.user_column),
            self.user_key_type.sql_type(),
            quote_ident(&m.tenant_column),
            key_type.sql_type(),
        ))
    }
}

/// A setting name by the one rule of
/// [`pgtenant_schema::ident::validate_setting`].
pub(crate) fn validate_setting(field: &'static str, name: &str) -> Result<()> {
    ident::validate_setting(name).map_err(|e| Error::InvalidConfig {
        field,
        value: name.to_owned(),
        problem: e.to_string(),
    })
}

pub(crate) fn validate_name(field: &'static str, name: &str) -> Result<()> {
    let problem = if name.is_empty() {
        "is empty"
    } else if name.len() > MAX_IDENT_LEN {
        "is longer than 63 bytes"
    } else if name.contains('\0') {
        "contains a NUL character"
    } else {
        return Ok(());
    };
    Err(Error::InvalidConfig {
        field,
        value: name.to_owned(),
        problem: problem.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_ids_are_canonicalised_and_checked() {
        let t = TenantKeyType::Uuid;
        assert_eq!(
            t.canonical("{6F9619FF-8B86-D011-B42D-00C04FC964FF}")
                .unwrap(),
            "6f9619ff-8b86-d011-b42d-00c04fc964ff"
        );
        assert_eq!(t.canonical("42").unwrap_err(), "not a UUID");
        assert_eq!(t.canonical("").unwrap_err(), "the id is empty");
    }

    #[test]
    fn integer_ids_respect_their_width() {
        assert_eq!(TenantKeyType::BigInt.canonical("+0042").unwrap(), "42");
        assert_eq!(
            TenantKeyType::Int.canonical("2147483648").unwrap_err(),
            "not a 32-bit integer"
        );
        assert_eq!(
            TenantKeyType::SmallInt.canonical("1e3").unwrap_err(),
            "not a 16-bit integer"
        );
        assert_eq!(
            TenantKeyType::BigInt
                .canonical("1; DROP TABLE t")
                .unwrap_err(),
            "not a 64-bit integer"
        );
    }

    #[test]
    fn text_ids_refuse_nul_and_varchar_counts_characters() {
        assert_eq!(TenantKeyType::Text.canonical("it's").unwrap(), "it's");
        assert_eq!(
            TenantKeyType::Text.canonical("a\0b").unwrap_err(),
            "the id contains a NUL character"
        );
        assert_eq!(TenantKeyType::Varchar(3).canonical("åäö").unwrap(), "åäö");
        assert_eq!(
            TenantKeyType::Varchar(3).canonical("abcd").unwrap_err(),
            "4 characters, at most 3 allowed"
        );
    }

    #[test]
    fn format_type_output_maps_to_key_types() {
        assert_eq!(
            TenantKeyType::from_format_type("uuid"),
            Some(TenantKeyType::Uuid)
        );
        assert_eq!(
            TenantKeyType::from_format_type("character varying(20)"),
            Some(TenantKeyType::Varchar(20))
        );
        assert_eq!(
            TenantKeyType::from_format_type("character varying"),
            Some(TenantKeyType::Text)
        );
        assert_eq!(
            TenantKeyType::from_format_type("integer"),
            Some(TenantKeyType::Int)
        );
        assert_eq!(TenantKeyType::from_format_type("numeric(10,0)"), None);
    }

    #[test]
    fn bad_setting_names_are_config_errors() {
        // The rule itself is pinned in pgtenant_schema::ident.
        assert!(TenancyConfig::default().validate().is_ok());
        assert_eq!(
            TenancyConfig::default()
                .setting("role")
                .validate()
                .unwrap_err()
                .to_string(),
            "invalid tenancy configuration: setting \"role\" needs a prefix and a name, e.g. \"app.tenant_id\""
        );
        assert_eq!(
            TenancyConfig::default()
                .user_setting("app.User")
                .validate()
                .unwrap_err()
                .to_string(),
            "invalid tenancy configuration: user_setting \"app.User\" must be lower-case words (a-z, 0-9, _) joined by dots"
        );
    }

    #[test]
    fn membership_sql_quotes_names_and_binds_values() {
        let config = TenancyConfig::default()
            .user_key_type(TenantKeyType::Text)
            .membership(MembershipConfig::new(
                "app.TeamMember",
                "userId",
                "tenant_id",
            ));
        assert_eq!(
            config.membership_sql(TenantKeyType::BigInt).unwrap(),
            "SELECT EXISTS (SELECT 1 FROM app.\"TeamMember\" AS m WHERE m.\"userId\" = $1::text AND m.tenant_id = $2::bigint)"
        );
        let config = TenancyConfig::default().membership(
            MembershipConfig::new("members", "user_id", "tenant_id")
                .active_when(MembershipStatus::new("State", &["active", "it's"])),
        );
        assert_eq!(
            config.membership_sql(TenantKeyType::Uuid).unwrap(),
            "SELECT EXISTS (SELECT 1 FROM public.members AS m WHERE m.user_id = $1::uuid AND m.tenant_id = $2::uuid \
             AND m.\"State\" IN ('active', 'it''s'))"
        );
        let empty = TenancyConfig::default().membership(
            MembershipConfig::new("members", "user_id", "tenant_id")
                .active_when(MembershipStatus::new("status", &[])),
        );
        assert_eq!(
            empty.validate().unwrap_err().to_string(),
            "invalid tenancy configuration: membership active values \"status\" lists no active value; \
             name at least one, e.g. \"active\""
        );
    }
}
