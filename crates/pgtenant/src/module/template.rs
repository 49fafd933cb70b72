//! Template rendering: `{{name}}` placeholders replaced by quoted values.
//! A placeholder that names no parameter, or one whose value was not
//! given, is an error naming the file and line; nothing is left in place.

use super::{ModuleError, ModuleParams};
use crate::TenantKeyType;
use pgtenant_schema::ident::{quote_ident, quote_literal};

/// Every parameter a template may use.
pub const PARAMETERS: &[&str] = &[
    "schema",
    "tenant_column",
    "tenant_type",
    "tenant_cast",
    "tenant_setting",
    "user_setting",
    "user_type",
    "user_cast",
    "root_table",
    "root_key",
    "tenant_reference",
    "user_reference",
    "membership_table",
    "membership_user",
    "membership_tenant",
    "membership_active",
    "service_role",
    "superadmin_role",
];

enum Value {
    Unknown,
    Missing {
        what: &'static str,
        hint: &'static str,
    },
    Text(String),
}

/// Render `text` (the template `file`) with `params`.
pub fn render(file: &str, text: &str, params: &ModuleParams) -> Result<String, ModuleError> {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let line = line_of(text, text.len() - rest.len() + open);
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or_else(|| ModuleError::Unclosed {
            file: file.to_owned(),
            line,
        })?;
        let name = after[..close].trim();
        match value(name, params) {
            Value::Text(v) => out.push_str(&v),
            Value::Unknown => {
                return Err(ModuleError::UnknownParameter {
                    file: file.to_owned(),
                    line,
                    name: name.to_owned(),
                    known: PARAMETERS.join(", "),
                })
            }
            Value::Missing { what, hint } => {
                return Err(ModuleError::MissingParameter {
                    file: file.to_owned(),
                    line,
                    name: PARAMETERS
                        .iter()
                        .find(|p| **p == name)
                        .copied()
                        .unwrap_or("?"),
                    what,
                    hint,
                })
            }
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// The type for a cast or a function argument: without a length, so a
/// longer setting is never truncated into another tenant's id.
fn cast_type(key: TenantKeyType) -> String {
    match key {
        TenantKeyType::Varchar(_) => "text".to_owned(),
        other => other.sql_type(),
    }
}

fn reference(table: &crate::TableName, key: &str) -> String {
    format!(
        " REFERENCES {} ({}) ON DELETE CASCADE",
        table.quoted(),
        quote_ident(key)
    )
}

fn value(name: &str, p: &ModuleParams) -> Value {
    const MEMBERSHIP: (&str, &str) = (
        "the membership table",
        "set [tenancy].membership = { table, user_column, tenant_column } in the manifest",
    );
    let membership = |f: fn(&crate::MembershipConfig) -> String| match &p.membership {
        Some(m) => Value::Text(f(m)),
        None => Value::Missing {
            what: MEMBERSHIP.0,
            hint: MEMBERSHIP.1,
        },
    };
    match name {
        "schema" => Value::Text(quote_ident(&p.schema)),
        "tenant_column" => Value::Text(quote_ident(&p.tenant_column)),
        "tenant_type" => Value::Text(p.tenant_key.sql_type()),
        "tenant_cast" => Value::Text(cast_type(p.tenant_key)),
        "tenant_setting" => Value::Text(quote_literal(&p.tenant_setting)),
        "user_setting" => match &p.user_setting {
            Some(u) => Value::Text(quote_literal(u)),
            None => Value::Missing {
                what: "the user setting",
                hint: "set [tenancy].user_setting in the manifest, e.g. \"app.user_id\"",
            },
        },
        "user_type" => Value::Text(p.user_key.sql_type()),
        "user_cast" => Value::Text(cast_type(p.user_key)),
        "root_table" | "root_key" => match &p.root_table {
            Some((t, _)) if name == "root_table" => Value::Text(t.quoted()),
            Some((_, k)) => Value::Text(quote_ident(k)),
            None => Value::Missing {
                what: "the tenants table",
                hint: "set [tenancy].root_table in the manifest, e.g. \"tenants\"",
            },
        },
        // ` REFERENCES … ON DELETE CASCADE`, or nothing: for a column that
        // names a tenant (user) whether or not its table is here.
        "tenant_reference" => Value::Text(match &p.root_table {
            Some((t, k)) => reference(t, k),
            None => String::new(),
        }),
        "user_reference" => Value::Text(match &p.user_table {
            Some((t, k)) => reference(t, k),
            None => String::new(),
        }),
        "membership_table" => membership(|m| m.table.quoted()),
        "membership_user" => membership(|m| quote_ident(&m.user_column)),
        "membership_tenant" => membership(|m| quote_ident(&m.tenant_column)),
        "membership_active" => Value::Text(match &p.membership_status {
            None => "true".to_owned(),
            Some(s) => s.condition("m"),
        }),
        "service_role" => match &p.service_role {
            Some(r) => Value::Text(quote_ident(r)),
            None => Value::Missing {
                what: "the service role",
                hint: "set the database's service_role in the manifest",
            },
        },
        "superadmin_role" => match &p.superadmin_role {
            Some(r) => Value::Text(quote_ident(r)),
            None => Value::Missing {
                what: "the superadmin role",
                hint: "set the database's superadmin_role in the manifest",
            },
        },
        _ => Value::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MembershipConfig;

    fn params() -> ModuleParams {
        ModuleParams::new(TenantKeyType::Varchar(20), TenantKeyType::Uuid)
            .schema("Mod Schema")
            .user_setting("app.user_id")
            .membership(MembershipConfig::new("app.Members", "user id", "tenant_id"))
    }

    #[test]
    fn names_are_quoted_and_settings_are_literals() {
        let sql = render(
            "t.sql",
            "SELECT {{ schema }}.f({{user_setting}}, $1::{{tenant_cast}}) FROM {{membership_table}} m \
             WHERE m.{{membership_user}} IS NOT NULL AND {{membership_active}} -- {{tenant_type}}",
            &params(),
        )
        .unwrap();
        assert_eq!(
            sql,
            "SELECT \"Mod Schema\".f('app.user_id', $1::text) FROM app.\"Members\" m \
             WHERE m.\"user id\" IS NOT NULL AND true -- varchar(20)"
        );
    }

    #[test]
    fn active_values_are_literals() {
        let p = params().membership_status(super::super::MembershipStatus::new(
            "status",
            &["active", "it's"],
        ));
        assert_eq!(
            render("t.sql", "{{membership_active}}", &p).unwrap(),
            "m.status IN ('active', 'it''s')"
        );
    }

    #[test]
    fn unknown_parameter_names_file_line_and_the_known_ones() {
        let err = render("rbac/10_tables.sql", "a\nb {{tenant}} c", &params()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "rbac/10_tables.sql:2: unknown template parameter {{{{tenant}}}}; the parameters are: {}",
                PARAMETERS.join(", ")
            )
        );
    }

    #[test]
    fn missing_parameter_says_what_to_set() {
        let err = render(
            "rbac/40_access.sql",
            "\n\nGRANT x TO {{service_role}}",
            &params(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "rbac/40_access.sql:3: the module needs the service role (template parameter \
             service_role); set the database's service_role in the manifest"
        );
    }

    #[test]
    fn unclosed_placeholder_is_an_error() {
        let err = render("f.sql", "x {{schema", &params()).unwrap_err();
        assert_eq!(err.to_string(), "f.sql:1: `{{` without a closing `}}`");
    }
}
