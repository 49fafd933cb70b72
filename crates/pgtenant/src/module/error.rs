//! What can go wrong choosing a module or rendering its SQL.

/// Errors of [`by_name`](super::by_name) and module rendering.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModuleError {
    /// No module of that name.
    #[error("unknown module {name:?}; the known modules are: {known}")]
    UnknownModule { name: String, known: String },

    /// A template names a parameter that does not exist (a bug in the module).
    #[error(
        "{file}:{line}: unknown template parameter {{{{{name}}}}}; the parameters are: {known}"
    )]
    UnknownParameter {
        file: String,
        line: usize,
        name: String,
        known: String,
    },

    /// A template needs a parameter that was not given.
    #[error("{file}:{line}: the module needs {what} (template parameter {name}); {hint}")]
    MissingParameter {
        file: String,
        line: usize,
        name: &'static str,
        what: &'static str,
        hint: &'static str,
    },

    /// A `-- {{#if …}}` section that is unknown, unclosed or closed twice
    /// (a bug in the module).
    #[error("{file}:{line}: {problem}")]
    BadSection {
        file: String,
        line: usize,
        problem: String,
    },

    /// A `{{` without its `}}`.
    #[error("{file}:{line}: `{{{{` without a closing `}}}}`")]
    Unclosed { file: String, line: usize },

    /// A parameter value that cannot be used.
    #[error("module parameter {name} {value:?} {problem}")]
    InvalidParameter {
        name: &'static str,
        value: String,
        problem: String,
    },
}
