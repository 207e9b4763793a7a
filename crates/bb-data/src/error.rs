//! Errors of the datastore: expansion failures, inline Python we cannot run natively,
//! and the failures of evaluating a parsed file (includes, inherits, parse errors).

use std::sync::Arc;

use bb_parse::Diagnostic;

/// A datastore or evaluation error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// Expanding a variable failed, the way BitBake's `ExpansionError` reports it.
    #[error("{msg}\nThe variable dependency chain for the failure is: {}", chain.join(" -> "))]
    Expansion {
        /// BitBake's message (`Failure expanding variable X, expression was ... which triggered exception K: M`).
        msg: String,
        /// The variables being expanded, innermost first.
        chain: Vec<String>,
        /// The exception class (`Exception`, `NameError`, `RecursionError`, ...).
        kind: String,
    },
    /// An inline Python expression that only CPython can evaluate.
    #[error("needs Python: `{expr}` in variable `{var}` ({reason})")]
    NeedsPython {
        /// The variable being expanded.
        var: String,
        /// The expression text.
        expr: String,
        /// What construct needs Python.
        reason: String,
    },
    /// OVERRIDES did not settle after five rounds.
    #[error(
        "Overrides could not be expanded into a stable state after 5 iterations, overrides must be being referenced by other overridden variables in some recursive fashion. Please provide your configuration to bitbake-devel so we can laugh, er, I mean try and understand how to make it work. The list of failing override expansions: {0}"
    )]
    OverridesUnstable(String),
    /// A parse error in a metadata file.
    #[error("{0}")]
    Parse(Box<Diagnostic>),
    /// An error raised while evaluating a statement, with where the statement is.
    #[error("{file}:{line}:{col}: {inner}\n    | {text}")]
    At {
        /// The file holding the statement.
        file: Arc<str>,
        /// Its line.
        line: u32,
        /// Its column.
        col: u32,
        /// The statement's first line.
        text: String,
        /// What went wrong.
        inner: Box<Error>,
    },
    /// A metadata problem found while evaluating a statement (an empty file means the
    /// problem belongs to no single statement).
    #[error("{}{message}", if file.is_empty() { String::new() } else { format!("{file}:{line}: ") })]
    Eval {
        /// The file holding the statement.
        file: Arc<str>,
        /// Its line.
        line: u32,
        /// What went wrong.
        message: String,
    },
    /// The recipe skipped itself (`raise bb.parse.SkipRecipe(reason)`).
    #[error("skipped: {0}")]
    SkipRecipe(String),
    /// `bb.fatal(message)` from metadata Python.
    #[error("{0}")]
    Fatal(String),
    /// A file could not be read.
    #[error("{0}")]
    Io(String),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
