//! Errors of the recorder and the management commands.

/// What went wrong, naming the object, file or query.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A database operation failed.
    #[error("{what}: {source}")]
    Db {
        /// What was being done.
        what: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A request that cannot be carried out (unknown build id, newer schema, ...).
    #[error("{0}")]
    Invalid(String),
    /// The recorder's writer stopped.
    #[error("the build recorder stopped: {0}")]
    Recorder(String),
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
