//! QA issues as BitBake's `oe.qa.handle_error` reports them: an ERROR_QA class is an
//! error that fails the task (after every check ran), a WARN_QA class a warning, anything
//! else a note.

/// How serious an issue is, from ERROR_QA/WARN_QA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// In ERROR_QA: the task fails.
    Error,
    /// In WARN_QA.
    Warning,
    /// Neither.
    Note,
}

/// One QA message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QaIssue {
    /// `installed-vs-shipped`, `files-invalid`, ...
    pub class: String,
    /// BitBake's message.
    pub message: String,
    /// Its level.
    pub level: Level,
}

impl QaIssue {
    /// The line BitBake prints (`QA Issue: ... [class]`) with its prefix.
    pub fn line(&self) -> String {
        let prefix = match self.level {
            Level::Error => "ERROR",
            Level::Warning => "WARNING",
            Level::Note => "NOTE",
        };
        format!("{prefix}: QA Issue: {} [{}]", self.message, self.class)
    }
}

/// Classifies an issue with the recipe's ERROR_QA/WARN_QA.
pub(crate) fn issue(
    error_qa: &[String],
    warn_qa: &[String],
    class: &str,
    message: String,
) -> QaIssue {
    let level = if error_qa.iter().any(|c| c == class) {
        Level::Error
    } else if warn_qa.iter().any(|c| c == class) {
        Level::Warning
    } else {
        Level::Note
    };
    QaIssue {
        class: class.to_owned(),
        message,
        level,
    }
}
