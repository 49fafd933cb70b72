//! Template rendering: `{{name}}` placeholders replaced by quoted values.
//! A placeholder that names no parameter, or one whose value was not
//! given, is an error naming the file and line; nothing is left in place.
//!
//! Sections: the lines between `-- {{#if NAME}}` and `-- {{end}}` (each on
//! a line of its own, optionally with `-- {{else}}` between) are kept only
//! when NAME holds ([`CONDITIONS`]); dropped lines become empty lines, so
//! line numbers in errors stay those of the template.

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

/// Every condition a section may test.
pub const CONDITIONS: &[&str] = &["membership", "tenancy", "user_table"];

fn condition(name: &str, p: &ModuleParams) -> Option<bool> {
    match name {
        "membership" => Some(p.membership.is_some()),
        "tenancy" => Some(p.root_table.is_some()),
        "user_table" => Some(p.user_table.is_some()),
        _ => None,
    }
}

/// Resolve the `-- {{#if}}` sections of `text`.
fn sections(file: &str, text: &str, params: &ModuleParams) -> Result<String, ModuleError> {
    let bad = |line: usize, problem: String| ModuleError::BadSection {
        file: file.to_owned(),
        line,
        problem,
    };
    // (condition value, in the else branch, opening line)
    let mut open: Vec<(bool, bool, usize)> = Vec::new();
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let n = i + 1;
        let directive = line
            .trim()
            .strip_prefix("-- {{")
            .and_then(|d| d.strip_suffix("}}"));
        let keep = |open: &[(bool, bool, usize)]| open.iter().all(|(v, e, _)| v != e);
        match directive.map(str::trim) {
            Some(d) if d.starts_with("#if ") => {
                let name = d["#if ".len()..].trim();
                let v = condition(name, params).ok_or_else(|| {
                    bad(
                        n,
                        format!(
                            "unknown section condition {name:?}; the conditions are: {}",
                            CONDITIONS.join(", ")
                        ),
                    )
                })?;
                open.push((v, false, n));
            }
            Some("else") => match open.last_mut() {
                Some((_, e @ false, _)) => *e = true,
                _ => return Err(bad(n, "`{{else}}` outside a `{{#if}}` section".to_owned())),
            },
            Some("end") => {
                open.pop()
                    .ok_or_else(|| bad(n, "`{{end}}` without a `{{#if}}`".to_owned()))?;
            }
            _ => {
                if keep(&open) {
                    out.push_str(line);
                    continue;
                }
            }
        }
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    if let Some((_, _, n)) = open.last() {
        return Err(bad(
            *n,
            "`{{#if}}` section without its `-- {{end}}`".to_owned(),
        ));
    }
    Ok(out)
}

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
    let resolved = sections(file, text, params)?;
    let text = resolved.as_str();
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
    fn sections_keep_their_lines_only_when_the_condition_holds() {
        let text =
            "a\n-- {{#if membership}}\nm {{membership_user}}\n-- {{else}}\nnone\n-- {{end}}\n\
                    -- {{#if user_table}}\nu\n-- {{end}}\nz";
        assert_eq!(
            render("t.sql", text, &params()).unwrap(),
            "a\n\nm \"user id\"\n\n\n\n\n\n\nz"
        );
        let p =
            ModuleParams::new(TenantKeyType::Text, TenantKeyType::Uuid).user_table("users", "id");
        assert_eq!(
            render("t.sql", text, &p).unwrap(),
            "a\n\n\n\nnone\n\n\nu\n\nz"
        );
        // A missing parameter inside a dropped section is no error.
        assert!(render(
            "t.sql",
            "-- {{#if membership}}\n{{membership_table}}\n-- {{end}}\n",
            &p
        )
        .is_ok());
    }

    #[test]
    fn bad_sections_name_file_and_line() {
        let err = |text: &str| render("m/10.sql", text, &params()).unwrap_err().to_string();
        assert_eq!(
            err("x\n-- {{#if plans}}\n-- {{end}}\n"),
            "m/10.sql:2: unknown section condition \"plans\"; the conditions are: membership, tenancy, user_table"
        );
        assert_eq!(
            err("-- {{#if tenancy}}\nx\n"),
            "m/10.sql:1: `{{#if}}` section without its `-- {{end}}`"
        );
        assert_eq!(
            err("x\n\n-- {{end}}\n"),
            "m/10.sql:3: `{{end}}` without a `{{#if}}`"
        );
        assert_eq!(
            err("-- {{else}}\n"),
            "m/10.sql:1: `{{else}}` outside a `{{#if}}` section"
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
