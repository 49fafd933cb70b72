//! Exit codes and the errors that choose them.
//!
//! - 0: success;
//! - 1: a check failed, or something went wrong at run time (server down, SQL error);
//! - 2: usage or configuration error (bad flag, bad manifest, missing confirmation).
//!
//! Any error is exit 1 unless its chain holds a [`UsageError`] or a
//! [`crate::manifest::ManifestError`].

use std::fmt;

/// How the process ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitStatus {
    Ok,
    Failed,
    Usage,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Ok => 0,
            ExitStatus::Failed => 1,
            ExitStatus::Usage => 2,
        }
    }
}

/// A usage or configuration problem: exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Build an exit-2 error: `return Err(usage("pass --yes to drop"))`.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(message.into()))
}

/// The exit status an error ends the process with.
pub fn status_of(err: &anyhow::Error) -> ExitStatus {
    let is_usage = err
        .chain()
        .any(|e| e.is::<UsageError>() || e.is::<crate::manifest::ManifestError>());
    if is_usage {
        ExitStatus::Usage
    } else {
        ExitStatus::Failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    #[test]
    fn usage_errors_exit_2_even_under_context() {
        let err = Err::<(), _>(usage("bad flag"))
            .context("running nuke")
            .unwrap_err();
        assert_eq!(status_of(&err), ExitStatus::Usage);
        assert_eq!(status_of(&err).code(), 2);
    }

    #[test]
    fn other_errors_exit_1() {
        let err = anyhow::anyhow!("connection refused");
        assert_eq!(status_of(&err).code(), 1);
    }
}
