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
    /// Tasks that can never run: on a dependency loop, or needed by one. `loops` is
    /// BitBake's report of the loops found (`Dependency loop #1 found:` ...).
    #[error("{count} unbuildable tasks were found.\n{loops}")]
    Unbuildable {
        /// How many tasks.
        count: usize,
        /// The loop report.
        loops: String,
    },
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
