//! Errors of graph building, with BitBake's texts.

/// A graph that cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A provider could not be found (BitBake's NoProvider / "Required build target").
    #[error("{0}")]
    NoProvider(String),
    /// A run-queue error (`bb.msg.fatal("RunQueue", ...)`): unknown task, cycle, ...
    #[error("{0}")]
    RunQueue(String),
    /// A malformed task flag (`bb.msg.fatal("TaskData", ...)`).
    #[error("{0}")]
    TaskData(String),
    /// The cooker failed (datastore or provider error).
    #[error(transparent)]
    Cooker(#[from] bb_cooker::Error),
    /// Writing the graph files failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
