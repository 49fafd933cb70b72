//! RBAC errors: bad seed files, refused checks, loading failures.

use std::fmt;

/// A problem in an RBAC file, at a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {problem}")]
pub struct FileError {
    pub file: String,
    pub line: usize,
    pub problem: String,
}

impl FileError {
    pub(crate) fn new(file: &str, line: usize, problem: impl Into<String>) -> FileError {
        FileError {
            file: file.to_owned(),
            line,
            problem: problem.into(),
        }
    }
}

/// What refused a permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecidedBy {
    /// A deny pattern of a held role.
    Deny { role: String, pattern: String },
    /// No held role allows it (or the user holds no role, or is not an
    /// active member).
    NoAllow,
    /// The permission is not in the catalog.
    UnknownPermission,
}

/// A check that failed: the permission and what decided it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Forbidden {
    pub permission: String,
    pub decided_by: DecidedBy,
}

impl fmt::Display for Forbidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.permission;
        match &self.decided_by {
            DecidedBy::Deny { role, pattern } => {
                write!(f, "{p} is denied by role {role} (deny pattern {pattern})")
            }
            DecidedBy::NoAllow => write!(f, "{p} is not allowed: no role held here allows it"),
            DecidedBy::UnknownPermission => write!(
                f,
                "{p} is not in the permission catalog; add it to rbac/permissions.txt \
                 or fix the name"
            ),
        }
    }
}

/// Errors of the RBAC runtime (loading access, checking inside a
/// transaction).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RbacError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),

    /// The transaction carries no user, so there is nobody to check.
    #[error(
        "the transaction has no user; begin it with .user(user_id) (or TenantDb::enter) \
         before checking permissions"
    )]
    NoUser,

    /// The module schema name is unusable.
    #[error("invalid rbac schema name {0:?}; use the module schema from the manifest (default \"pgtenant\")")]
    InvalidSchema(String),

    /// A role loaded from the database has a pattern the evaluator cannot
    /// read (the database's CHECK constraints normally prevent it).
    #[error("role {role}: {problem}")]
    BadRole { role: String, problem: String },

    /// The database or the driver failed (when the functions are missing,
    /// the module is not installed: add `modules = ["rbac"]` and migrate).
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}
