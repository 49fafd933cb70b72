//! Findings: what the tenancy transform and the lints report about a schema.
//!
//! A finding names one object, says what is wrong and what to do about it.
//! Codes are stable identifiers (kebab-case in JSON and in human output), so
//! scripts and tests can match on them.

use crate::model::ObjectRef;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How bad a finding is. `Error` findings fail `pgtenant verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Tenant isolation is broken or can be bypassed.
    Error,
    /// A weakness: slow tenant queries, an information side channel, a
    /// policy that only works by accident.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The stable identifier of a kind of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingCode {
    /// The configured root table does not exist in the schema.
    RootTableMissing,
    /// The root table has no single-column primary key to scope by.
    RootTableNoPrimaryKey,
    /// A permissive policy whose USING or WITH CHECK is always true.
    PolicyAlwaysTrue,
    /// A permissive policy for ALL/INSERT/UPDATE without WITH CHECK.
    PolicyWithoutWithCheck,
    /// A tenant table without row level security enabled.
    RlsNotEnabled,
    /// A tenant table whose RLS is not forced (the owner bypasses it).
    RlsNotForced,
    /// A tenant table where some command has no permissive policy.
    PolicyMissingCommand,
    /// The tenant column accepts NULL.
    TenantColumnNullable,
    /// No index leads with the tenant column.
    TenantColumnNotIndexed,
    /// A foreign key between two tenant tables without the tenant column.
    FkWithoutTenantColumn,
    /// A foreign key from a tenant table to a global table the service role
    /// may change, with ON DELETE/UPDATE CASCADE, SET NULL or SET DEFAULT.
    FkCascadeFromWritableGlobal,
    /// The service role may do more on a table than the manifest declares
    /// (e.g. write a read-only global table).
    ServiceRoleGrantTooWide,
    /// A table `verify` could not probe (no rows, a missing privilege, a
    /// schema the service role cannot use): isolation is not proven there.
    TableUnproven,
    /// A unique constraint or index on a tenant table without the tenant
    /// column.
    UniqueWithoutTenantColumn,
    /// A view over tenant tables that runs with its owner's rights.
    ViewNotSecurityInvoker,
    /// A materialized view over tenant tables (RLS does not apply to it).
    MaterializedViewOverTenantTables,
    /// A SECURITY DEFINER function without a pinned search_path.
    DefinerFunctionUnpinnedSearchPath,
    /// A SECURITY DEFINER function the service role can execute.
    DefinerFunctionExecutableByServiceRole,
    /// The service role holds TRUNCATE, REFERENCES or TRIGGER on a table.
    ServiceRoleDangerousPrivilege,
    /// The service role owns an object.
    ServiceRoleOwnsObject,
    /// The service role is a member of a role that owns objects.
    ServiceRoleMemberOfOwner,
    /// The service role is a superuser or has BYPASSRLS.
    ServiceRoleBypassesRls,
    /// A `soft_delete` table that is not a tenant table, or lacks a
    /// nullable `deleted_at` timestamp column or a primary key.
    SoftDeleteTableUnusable,
}

impl FindingCode {
    /// The kebab-case identifier, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingCode::RootTableMissing => "root-table-missing",
            FindingCode::RootTableNoPrimaryKey => "root-table-no-primary-key",
            FindingCode::SoftDeleteTableUnusable => "soft-delete-table-unusable",
            FindingCode::PolicyAlwaysTrue => "policy-always-true",
            FindingCode::PolicyWithoutWithCheck => "policy-without-with-check",
            FindingCode::RlsNotEnabled => "rls-not-enabled",
            FindingCode::RlsNotForced => "rls-not-forced",
            FindingCode::PolicyMissingCommand => "policy-missing-command",
            FindingCode::TenantColumnNullable => "tenant-column-nullable",
            FindingCode::TenantColumnNotIndexed => "tenant-column-not-indexed",
            FindingCode::FkWithoutTenantColumn => "fk-without-tenant-column",
            FindingCode::UniqueWithoutTenantColumn => "unique-without-tenant-column",
            FindingCode::FkCascadeFromWritableGlobal => "fk-cascade-from-writable-global",
            FindingCode::ServiceRoleGrantTooWide => "service-role-grant-too-wide",
            FindingCode::TableUnproven => "table-unproven",
            FindingCode::ViewNotSecurityInvoker => "view-not-security-invoker",
            FindingCode::MaterializedViewOverTenantTables => "materialized-view-over-tenant-tables",
            FindingCode::DefinerFunctionUnpinnedSearchPath => {
                "definer-function-unpinned-search-path"
            }
            FindingCode::DefinerFunctionExecutableByServiceRole => {
                "definer-function-executable-by-service-role"
            }
            FindingCode::ServiceRoleDangerousPrivilege => "service-role-dangerous-privilege",
            FindingCode::ServiceRoleOwnsObject => "service-role-owns-object",
            FindingCode::ServiceRoleMemberOfOwner => "service-role-member-of-owner",
            FindingCode::ServiceRoleBypassesRls => "service-role-bypasses-rls",
        }
    }
}

impl fmt::Display for FindingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in a schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: FindingCode,
    pub severity: Severity,
    pub object: ObjectRef,
    /// What is wrong, in one sentence.
    pub message: String,
    /// What to do about it (SQL where there is a direct fix).
    pub suggestion: Option<String>,
}

impl Finding {
    pub fn error(code: FindingCode, object: ObjectRef, message: impl Into<String>) -> Finding {
        Finding {
            code,
            severity: Severity::Error,
            object,
            message: message.into(),
            suggestion: None,
        }
    }

    pub fn warning(code: FindingCode, object: ObjectRef, message: impl Into<String>) -> Finding {
        Finding {
            code,
            severity: Severity::Warning,
            object,
            message: message.into(),
            suggestion: None,
        }
    }

    pub fn suggest(mut self, suggestion: impl Into<String>) -> Finding {
        self.suggestion = Some(suggestion.into());
        self
    }
}

impl fmt::Display for Finding {
    /// `error[rls-not-forced] table public.notes: ...` and, when there is one,
    /// the suggestion on a second, indented line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}] {}: {}",
            self.severity, self.code, self.object, self.message
        )?;
        if let Some(s) = &self.suggestion {
            write!(f, "\n  fix: {s}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::QualName;

    #[test]
    fn codes_serialise_as_their_kebab_names() {
        for code in [
            FindingCode::RootTableMissing,
            FindingCode::PolicyAlwaysTrue,
            FindingCode::MaterializedViewOverTenantTables,
            FindingCode::DefinerFunctionExecutableByServiceRole,
            FindingCode::ServiceRoleBypassesRls,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn display_names_severity_code_object_and_fix() {
        let f = Finding::error(
            FindingCode::RlsNotForced,
            ObjectRef::Table {
                name: QualName::new("public", "notes"),
            },
            "row level security is not forced",
        )
        .suggest("ALTER TABLE public.notes FORCE ROW LEVEL SECURITY;");
        assert_eq!(
            f.to_string(),
            "error[rls-not-forced] table public.notes: row level security is not forced\n  \
             fix: ALTER TABLE public.notes FORCE ROW LEVEL SECURITY;"
        );
    }
}
