//! The crate's one error type, [`EvalError`], and its `Result` alias.
//!
//! Every failure of [`crate::compile`] or [`crate::Expr::eval`] is one of four kinds: a Python
//! exception the real interpreter would raise, a syntax error, an error passed through from the
//! [`crate::Context`], or a construct this crate does not evaluate natively. Nothing here decides
//! which kind applies; the lexer, parser and evaluator do.

/// Why an inline Python expression could not produce a value.
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
pub enum EvalError {
    /// Valid Python that this crate does not evaluate natively, such as a call to a `def`
    /// function of a class, an unsupported module or a method we do not implement.
    /// `expr` is the whole expression text; `reason` names the construct, e.g.
    /// "call to `oe.utils.foo`".
    #[error("cannot evaluate `{expr}` natively: {reason}")]
    NeedsPython {
        /// The whole expression text.
        expr: String,
        /// The construct that needs a real Python interpreter.
        reason: String,
    },
    /// A Python exception the real interpreter would raise, e.g. kind "NameError" with
    /// message "name 'X' is not defined" (the message is CPython's `str(exception)`).
    #[error("{kind}: {message}")]
    Exception {
        /// The exception class name, e.g. "TypeError".
        kind: String,
        /// The exception text as CPython's `str()` gives it.
        message: String,
    },
    /// The text is not a valid Python expression.
    /// `unterminated_string` is true when the cause is an unterminated (not triple-quoted)
    /// string literal; BitBake then leaves the `${@...}` text as it is.
    #[error("syntax error: {message}")]
    Syntax {
        /// CPython's message, e.g. "invalid syntax" or "'(' was never closed".
        message: String,
        /// Whether the error is an unterminated single-line string literal.
        unterminated_string: bool,
    },
    /// An error raised by the [`crate::Context`] (e.g. recursive expansion), passed through.
    #[error("{0}")]
    Data(String),
}

/// The crate's result type.
pub type Result<T, E = EvalError> = std::result::Result<T, E>;

impl EvalError {
    /// A Python exception of class `kind`.
    pub(crate) fn exc(kind: &str, message: impl Into<String>) -> Self {
        Self::Exception {
            kind: kind.to_owned(),
            message: message.into(),
        }
    }

    /// A `TypeError`.
    pub(crate) fn type_err(message: impl Into<String>) -> Self {
        Self::exc("TypeError", message)
    }

    /// A `ValueError`.
    pub(crate) fn value_err(message: impl Into<String>) -> Self {
        Self::exc("ValueError", message)
    }

    /// A construct that needs real Python; the expression text is filled in by
    /// [`crate::Expr::eval`].
    pub(crate) fn needs(reason: impl Into<String>) -> Self {
        Self::NeedsPython {
            expr: String::new(),
            reason: reason.into(),
        }
    }

    /// A syntax error that is not an unterminated string.
    pub(crate) fn syntax(message: impl Into<String>) -> Self {
        Self::Syntax {
            message: message.into(),
            unterminated_string: false,
        }
    }

    /// Fills in the expression text of a [`EvalError::NeedsPython`] raised without it.
    pub(crate) fn with_expr(self, text: &str) -> Self {
        match self {
            Self::NeedsPython { expr, reason } if expr.is_empty() => Self::NeedsPython {
                expr: text.to_owned(),
                reason,
            },
            other => other,
        }
    }
}
