//! Errors of the run queue: what stops a build before or outside its tasks
//! ([`Error`]), and why a task function failed ([`TaskError`], carried to the
//! `TaskFailed` event; task failures are events, not errors of the build).

use std::path::PathBuf;

/// Something that stops a build before or outside its tasks.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The build directory is in use by another build.
    #[error(
        "Unable to start: the build directory {} is in use by another build (bitbake.lock held{})",
        dir.display(),
        holder.as_deref().map(|p| format!(" by process {p}")).unwrap_or_default()
    )]
    Locked {
        /// The build directory.
        dir: PathBuf,
        /// The process id written in the lock file, when there is one.
        holder: Option<String>,
    },
    /// A variable or flag of a recipe does not expand.
    #[error("cannot expand `{var}`: {source}")]
    Expand {
        /// The variable (or `VAR[flag]`).
        var: String,
        /// The datastore's error.
        #[source]
        source: Box<bb_data::Error>,
    },
    /// The signatures of a recipe's tasks could not be computed.
    #[error("{fn_name}: {source}")]
    Signature {
        /// The recipe target.
        fn_name: String,
        /// The signature generator's error.
        #[source]
        source: Box<bb_siggen::Error>,
    },
    /// A recipe target of the graph has no build information (`hashes::build_info`).
    #[error("no build information for {0}")]
    NoBuildInfo(String),
    /// A task of the graph has no signature in its recipe's build information.
    #[error("no signature for {0}")]
    NoSignature(String),
    /// A recipe target of the graph has no finalized datastore.
    #[error("no datastore for {0}")]
    NoDatastore(String),
    /// The graph has a cycle through this task (the task graph rejects those first).
    #[error("task {0} is on a cycle")]
    Cycle(String),
    /// A file could not be written or read (the message names the path).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Error {
    /// A datastore read that failed, naming what was read.
    pub(crate) fn expand(var: impl Into<String>) -> impl FnOnce(bb_data::Error) -> Error {
        let var = var.into();
        move |source| Error::Expand {
            var,
            source: Box::new(source),
        }
    }
}

/// Why a task function (shell or native) failed: the task's `TaskFailed` message.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// A variable or flag the task needs does not expand.
    #[error("cannot expand `{var}`: {source}")]
    Expand {
        /// The variable (or `VAR[flag]`).
        var: String,
        /// The datastore's error.
        #[source]
        source: Box<bb_data::Error>,
    },
    /// `T` is empty: no place for the task's log and run script.
    #[error("T is not set: no place for the task's log and run script")]
    NoTempDir,
    /// A file operation failed (the message names the path).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A `[lockfiles]` entry could not be taken.
    #[error("lock {}: {source}", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The shell could not be started or waited for.
    #[error("cannot run {}: {source}", script.display())]
    Spawn {
        /// The run script.
        script: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The shell function exited with an error.
    #[error("Execution of '{}' failed with {}", script.display(), match code { Some(c) => format!("exit code {c}"), None => "a signal".to_owned() })]
    Exit {
        /// The run script.
        script: PathBuf,
        /// Its exit code (`None`: killed by a signal).
        code: Option<i32>,
    },
    /// A Python function with no native implementation.
    #[error("{0} is a Python function and needs Python: bake has no built-in implementation of it")]
    NeedsPython(String),
    /// A native implementation reported a failure in words (a missing variable).
    #[error("{0}")]
    Failed(String),
    /// A native implementation's library failed (the fetcher, the unpacker), with
    /// what it was doing (`Fetcher failure`), or an empty `what`.
    #[error("{what}{}{error}", if what.is_empty() { "" } else { ": " })]
    Native {
        /// What failed, as BitBake words it (`Fetcher failure`, `Unpack failure`).
        what: &'static str,
        /// The library's error (its text is the message's end).
        error: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The stamp files could not be written or removed.
    #[error("stamp files: {0}")]
    Stamps(#[source] Box<Error>),
}

impl TaskError {
    /// A datastore read that failed, naming what was read.
    pub fn expand(var: impl Into<String>) -> impl FnOnce(bb_data::Error) -> TaskError {
        let var = var.into();
        move |source| TaskError::Expand {
            var,
            source: Box::new(source),
        }
    }

    /// A failure described by a message (for native task functions).
    pub fn msg(message: impl Into<String>) -> TaskError {
        TaskError::Failed(message.into())
    }

    /// A native task function's library error, with what was being done (empty: the
    /// error's text alone).
    pub fn native(
        what: &'static str,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> TaskError {
        TaskError::Native {
            what,
            error: Box::new(error),
        }
    }
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
