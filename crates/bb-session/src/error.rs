//! The errors of a session: what stops opening a build directory, reading a recipe,
//! working out a task graph or starting a build. Each variant keeps the error of the
//! crate it came from.

/// What can go wrong in a [`crate::Session`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Opening the build directory, parsing or reading recipes failed.
    #[error(transparent)]
    Cooker(#[from] bb_cooker::Error),
    /// A datastore operation failed (expanding the configuration's keys, say).
    #[error(transparent)]
    Data(#[from] bb_data::Error),
    /// The task graph could not be made; provider errors were logged already.
    #[error(transparent)]
    Graph(#[from] bb_taskgraph::Error),
    /// Working out hashes, the build lock or running tasks failed.
    #[error(transparent)]
    RunQueue(#[from] bb_runqueue::Error),
    /// Writing signature data failed.
    #[error(transparent)]
    Signature(#[from] bb_siggen::Error),
    /// A yes/no setting holds a value BitBake refuses.
    #[error("`{var}`: {source}")]
    Boolean {
        /// The variable.
        var: String,
        /// What was refused.
        #[source]
        source: bb_util::InvalidBoolean,
    },
    /// Some recipes failed to parse (each was reported as it failed).
    #[error("{0} recipe files failed to parse")]
    ParseFailed(usize),
    /// `.bbappend` files match no recipe (BitBake's message).
    #[error("{0}")]
    DanglingAppends(String),
    /// A recipe target could not be read.
    #[error("{target}: {source}")]
    Recipe {
        /// The target (`/path/x.bb` or `virtual:native:/path/x.bb`).
        target: String,
        /// Why.
        #[source]
        source: bb_cooker::Error,
    },
    /// The recipe file holds no such BBCLASSEXTEND variant.
    #[error("{0}: no such variant")]
    NoSuchVariant(String),
    /// An I/O error (the message names the path).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Shared state: the hash equivalence server (BB_HASHSERVE).
    #[error(transparent)]
    Sstate(#[from] bb_sstate::Error),
    /// The metadata's BB_HASHCHECK_FUNCTION or BB_SETSCENE_DEPVALID raised an exception.
    #[error("{var} function {func} failed: {reason}")]
    Hook {
        /// The variable that names the function.
        var: String,
        /// The function.
        func: String,
        /// The Python exception (`Kind: message`; its traceback was logged).
        reason: String,
    },
    /// BB_HASHSERVE = "auto" without a local server.
    #[error("BB_HASHSERVE = \"auto\" needs a local hash equivalence server, and none was started")]
    NoLocalHashServer,
    /// [`crate::Session::parse`] was not called before an operation that needs recipes.
    #[error("the recipes are not parsed yet: call Session::parse first")]
    NotParsed,
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
