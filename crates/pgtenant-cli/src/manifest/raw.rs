//! The manifest's TOML shapes: every string keeps its position
//! (`Spanned`), unknown keys are refused.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use toml::Spanned;

pub(super) type S = Spanned<String>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawManifest {
    pub(super) project: Option<Spanned<RawProject>>,
    pub(super) connection: Option<RawConnection>,
    pub(super) tenancy: Option<RawTenancy>,
    #[serde(default)]
    pub(super) database: Vec<Spanned<RawDatabase>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProject {
    pub(super) name: Option<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConnection {
    pub(super) admin_url: Option<S>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTenancy {
    pub(super) column: Option<S>,
    pub(super) setting: Option<S>,
    pub(super) user_setting: Option<S>,
    pub(super) root_table: Option<S>,
    pub(super) global_tables: Option<Vec<S>>,
    pub(super) writable_global_tables: Option<Vec<S>>,
    pub(super) membership: Option<RawMembership>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMembership {
    pub(super) table: S,
    pub(super) user_column: S,
    pub(super) tenant_column: S,
    pub(super) status_column: Option<S>,
    pub(super) active_values: Option<Vec<S>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDatabase {
    pub(super) name: Option<S>,
    pub(super) schema: Option<S>,
    pub(super) migrations: Option<S>,
    pub(super) seeds: Option<RawSeeds>,
    pub(super) tenancy: Option<Spanned<RawTenancySetting>>,
    pub(super) service_role: Option<Spanned<RawRole>>,
    pub(super) superadmin_role: Option<Spanned<RawRole>>,
    pub(super) modules: Option<Spanned<Vec<S>>>,
    pub(super) module_schema: Option<S>,
    pub(super) user_table: Option<S>,
    pub(super) soft_delete: Option<Spanned<Vec<S>>>,
    pub(super) rbac: Option<RawRbac>,
    /// `[database.grants]`: table name → privileges.
    pub(super) grants: Option<std::collections::BTreeMap<String, Spanned<Vec<S>>>>,
    pub(super) secrets: Option<Spanned<RawSecrets>>,
}

/// `[database.secrets]`: `keys = [{ id, env }, ...]` newest first, and an
/// optional `legacy_env`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSecrets {
    pub(super) keys: Option<Vec<Spanned<RawSecretKey>>>,
    pub(super) legacy_env: Option<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSecretKey {
    pub(super) id: Option<S>,
    pub(super) env: Option<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRbac {
    pub(super) permissions: Option<S>,
    pub(super) roles: Option<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSeeds {
    pub(super) setup: Option<S>,
    pub(super) demo: Option<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRole {
    pub(super) name: Option<S>,
    pub(super) password: Option<S>,
    pub(super) statement_timeout: Option<S>,
    pub(super) lock_timeout: Option<S>,
    pub(super) idle_in_transaction_session_timeout: Option<S>,
}

/// `tenancy = true | false | { column = ..., ... }`.
#[derive(Debug)]
pub(super) enum RawTenancySetting {
    Flag(bool),
    Overrides(Box<RawTenancy>),
}

impl<'de> Deserialize<'de> for RawTenancySetting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawTenancySetting;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("true, false, or a table of [tenancy] keys to override")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(RawTenancySetting::Flag(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                RawTenancy::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|t| RawTenancySetting::Overrides(Box::new(t)))
            }
        }
        d.deserialize_any(V)
    }
}
