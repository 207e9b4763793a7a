//! Parse diagnostics: what went wrong, where, and the offending line.
//!
//! The parser never fails outright; it collects [`Diagnostic`]s next to the tree it
//! builds, and the caller (the datastore evaluator, the cooker) decides what is fatal.

use crate::ast::Span;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The statement was not understood, or is forbidden; BitBake stops on it.
    Error,
    /// Accepted, but BitBake prints a warning.
    Warning,
}

/// One problem found while parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where the problem starts.
    pub span: Span,
    /// The offending (logical) line, as written.
    pub line_text: String,
    /// What was wrong or expected, lowercase, no trailing period.
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}: {what}: {}", self.span, self.message)?;
        if !self.line_text.is_empty() {
            let shown: String = self
                .line_text
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(200)
                .collect();
            write!(f, "\n    | {shown}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}
