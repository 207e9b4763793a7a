//! Errors of the run queue (task failures are events, not errors).

/// Something that stops a build before or outside its tasks.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The build directory is in use by another build.
    #[error("{0}")]
    Locked(String),
    /// A datastore value could not be read (names the variable).
    #[error("{0}")]
    Data(String),
    /// A file could not be written or read (names the path).
    #[error("{0}")]
    Io(String),
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
