//! Errors of starting the embedded interpreter.

/// Why the interpreter could not be made ready.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bootstrap code (module finder, `bb` package) failed to load.
    #[error("starting embedded Python: {0}")]
    Start(String),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
