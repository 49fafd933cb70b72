//! The modules shipped with the library, by name.

use super::{Module, ModuleError, ModuleFile};

macro_rules! module_file {
    ($module:literal, $file:literal) => {
        ModuleFile {
            name: $file,
            text: include_str!(concat!("../../modules/", $module, "/", $file)),
        }
    };
}

/// Roles with allow/deny patterns over a permission catalog, checked in
/// SQL (`has_permission`) and in Rust ([`crate::rbac`]).
const RBAC: Module = Module {
    name: "rbac",
    summary: "permission catalog, roles with allow/deny patterns, grants, has_permission()",
    docs: include_str!("../../modules/rbac/README.md"),
    requires: &[],
    needs_tenancy: true,
    sql: &[
        module_file!("rbac", "10_tables.sql"),
        module_file!("rbac", "20_evaluate.sql"),
        module_file!("rbac", "30_maintain.sql"),
        module_file!("rbac", "40_access.sql"),
    ],
    grants: &[module_file!("rbac", "90_grants.sql")],
    superadmin_grants: &[],
    setup: &[],
    self_policed_tables: &["roles", "role_grants", "effective_permissions"],
    service_definer_functions: &[],
};

/// An append-only, hash-chained audit log per tenant ([`crate::audit`]).
const AUDIT: Module = Module {
    name: "audit",
    summary: "append-only audit log, hash-chained per tenant, audit()",
    docs: include_str!("../../modules/audit/README.md"),
    requires: &[],
    needs_tenancy: true,
    sql: &[module_file!("audit", "10_audit.sql")],
    grants: &[module_file!("audit", "90_grants.sql")],
    superadmin_grants: &[module_file!("audit", "91_superadmin_grants.sql")],
    setup: &[],
    self_policed_tables: &["audit_log"],
    service_definer_functions: &[],
};

/// Feature flags by plan with per-tenant overrides ([`crate::flags`]).
const FLAGS: Module = Module {
    name: "flags",
    summary: "feature flags: plans, per-tenant overrides, flag_enabled()",
    docs: include_str!("../../modules/flags/README.md"),
    requires: &[],
    needs_tenancy: true,
    sql: &[module_file!("flags", "10_flags.sql")],
    grants: &[module_file!("flags", "90_grants.sql")],
    superadmin_grants: &[],
    setup: &[module_file!("flags", "setup/10_flags_version.sql")],
    self_policed_tables: &["tenant_plans", "flag_overrides"],
    service_definer_functions: &[],
};

/// Single-use invitations into a tenant with an rbac role
/// ([`crate::invites`]).
const INVITES: Module = Module {
    name: "invites",
    summary: "single-use tenant invitations with an rbac role, invite_accept()",
    docs: include_str!("../../modules/invites/README.md"),
    requires: &["rbac"],
    needs_tenancy: true,
    sql: &[module_file!("invites", "10_invites.sql")],
    grants: &[module_file!("invites", "90_grants.sql")],
    superadmin_grants: &[],
    setup: &[],
    self_policed_tables: &["invites"],
    service_definer_functions: &[
        "invite_create",
        "invite_accept",
        "invite_resend",
        "invite_revoke",
    ],
};

/// Login sessions with rotating refresh tokens and reuse detection
/// ([`crate::sessions`]).
const SESSIONS: Module = Module {
    name: "sessions",
    summary: "sessions with rotating refresh tokens, reuse detection, session_refresh()",
    docs: include_str!("../../modules/sessions/README.md"),
    requires: &[],
    needs_tenancy: false,
    sql: &[module_file!("sessions", "10_sessions.sql")],
    grants: &[module_file!("sessions", "90_grants.sql")],
    superadmin_grants: &[],
    setup: &[],
    self_policed_tables: &["sessions"],
    service_definer_functions: &[
        "session_create",
        "session_refresh",
        "session_revoke",
        "session_revoke_user",
        "session_revoke_tenant",
        "sessions_prune",
    ],
};

/// A tenant's API keys, scoped to rbac permissions ([`crate::api_keys`]).
const API_KEYS: Module = Module {
    name: "api_keys",
    summary: "tenant API keys with rbac scopes, rotation, api_key_verify()",
    docs: include_str!("../../modules/api_keys/README.md"),
    requires: &["rbac"],
    needs_tenancy: true,
    sql: &[module_file!("api_keys", "10_api_keys.sql")],
    grants: &[module_file!("api_keys", "90_grants.sql")],
    superadmin_grants: &[],
    setup: &[],
    self_policed_tables: &["api_keys"],
    service_definer_functions: &[
        "api_key_create",
        "api_key_verify",
        "api_key_revoke",
        "api_key_rotate",
    ],
};

const MODULES: &[Module] = &[API_KEYS, AUDIT, FLAGS, INVITES, RBAC, SESSIONS];

/// Every module, sorted by name.
pub fn all() -> &'static [Module] {
    MODULES
}

/// The module called `name`, or an error listing the known ones.
pub fn by_name(name: &str) -> Result<&'static Module, ModuleError> {
    MODULES
        .iter()
        .find(|m| m.name == name)
        .ok_or_else(|| ModuleError::UnknownModule {
            name: name.to_owned(),
            known: MODULES
                .iter()
                .map(|m| m.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::ModuleParams;
    use crate::{MembershipConfig, TenantKeyType};

    #[test]
    fn unknown_module_lists_the_known_ones() {
        assert_eq!(
            by_name("acl").unwrap_err().to_string(),
            "unknown module \"acl\"; the known modules are: api_keys, audit, flags, invites, rbac, sessions"
        );
        assert_eq!(by_name("rbac").unwrap().name, "rbac");
    }

    #[test]
    fn every_module_renders_with_full_parameters_and_leaves_no_placeholder() {
        let p = ModuleParams::new(TenantKeyType::Uuid, TenantKeyType::Uuid)
            .user_setting("app.user_id")
            .root_table("tenants", "id")
            .membership(MembershipConfig::new("memberships", "user_id", "tenant_id"))
            .service_role("svc_app");
        for m in all() {
            for f in m
                .render(&p)
                .unwrap()
                .iter()
                .chain(&m.render_setup(&p).unwrap())
            {
                assert!(!f.sql.contains("{{"), "{}", f.name);
            }
        }
    }

    /// The schema SQL never names a managed role (migrations carry it, and
    /// a role name belongs to an environment); the grant files name only
    /// the schema and the roles, and hold nothing but GRANTs.
    #[test]
    fn grants_are_apart_from_the_schema_and_need_only_schema_and_role() {
        for m in all() {
            for f in m.sql.iter().chain(m.setup) {
                assert!(
                    !f.text.contains("{{service_role}}") && !f.text.contains("{{superadmin_role}}"),
                    "{}/{} names a managed role",
                    m.name,
                    f.name
                );
            }
            assert!(!m.grants.is_empty(), "{}", m.name);
            let grants = m
                .render_grants("app_modules", "svc_app", Some("sa_app"))
                .unwrap();
            assert_eq!(grants.len(), m.grants.len() + m.superadmin_grants.len());
            for f in grants {
                let code: Vec<&str> = f
                    .sql
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("--") && !l.trim().is_empty())
                    .collect();
                let statements = code.join("\n");
                for s in statements.split(';').filter(|s| !s.trim().is_empty()) {
                    assert!(s.trim_start().starts_with("GRANT "), "{}: {s}", f.name);
                    let to = s.trim_end();
                    assert!(
                        to.ends_with("TO svc_app") || to.ends_with("TO sa_app"),
                        "{}: {s}",
                        f.name
                    );
                }
                assert!(statements.contains("app_modules."), "{}", f.name);
            }
        }
    }

    #[test]
    fn every_required_module_exists_and_is_not_circular() {
        for m in all() {
            for r in m.requires {
                let dep = by_name(r).unwrap();
                assert!(!dep.requires.contains(&m.name), "{} <-> {r}", m.name);
            }
        }
    }

    /// The SECURITY DEFINER functions a module grants to the service role
    /// are exactly the ones it declares, and each pins its search_path.
    #[test]
    fn service_definer_functions_are_declared_exactly() {
        const CREATE: &str = "CREATE FUNCTION {{schema}}.";
        for m in all() {
            let text: String = m.sql.iter().chain(m.grants).map(|f| f.text).collect();
            let mut definer = Vec::new();
            for chunk in text.split(CREATE).skip(1) {
                let name = &chunk[..chunk.find('(').unwrap()];
                let header = &chunk[..chunk.find("AS $$").unwrap()];
                if header.contains("SECURITY DEFINER") {
                    assert!(
                        header.contains("SET search_path = pg_catalog, pg_temp"),
                        "{}.{name}",
                        m.name
                    );
                    definer.push(name);
                }
            }
            let mut granted = Vec::new();
            for grant in text.split("GRANT EXECUTE ON FUNCTION").skip(1) {
                let Some(end) = grant.find(" TO {{service_role}}") else {
                    continue;
                };
                for f in grant[..end].split("{{schema}}.").skip(1) {
                    granted.push(&f[..f.find('(').unwrap()]);
                }
            }
            let mut exposed: Vec<&str> = definer
                .into_iter()
                .filter(|d| granted.contains(d))
                .collect();
            exposed.sort_unstable();
            let mut declared = m.service_definer_functions.to_vec();
            declared.sort_unstable();
            assert_eq!(exposed, declared, "{}", m.name);
        }
    }

    #[test]
    fn rbac_without_a_membership_table_says_what_to_set() {
        let p = ModuleParams::new(TenantKeyType::Uuid, TenantKeyType::Uuid)
            .user_setting("app.user_id")
            .root_table("tenants", "id")
            .service_role("svc_app");
        let err = by_name("rbac").unwrap().render(&p).unwrap_err();
        assert!(
            err.to_string().starts_with("rbac/10_tables.sql:")
                && err.to_string().contains("the membership table"),
            "{err}"
        );
    }

    #[test]
    fn bad_names_are_refused_before_rendering() {
        let p = ModuleParams::new(TenantKeyType::Uuid, TenantKeyType::Uuid).schema("");
        assert_eq!(
            by_name("rbac").unwrap().render(&p).unwrap_err().to_string(),
            "module parameter schema \"\" is empty"
        );
    }
}
