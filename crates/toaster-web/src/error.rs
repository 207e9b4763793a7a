//! Errors of the web interface: one enum for what can go wrong while serving a page.
//! Nothing here reaches a client as text: `server.rs` turns [`Error::NotFound`] into the
//! 404 page and everything else into a plain 500 page, and logs the detail on the
//! server's side only.

/// What went wrong while serving a request or starting the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A query of the build database failed.
    #[error("{what}: {source}")]
    Db {
        /// What was being read.
        what: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// Opening or migrating the database failed.
    #[error(transparent)]
    Store(#[from] bb_toaster::Error),
    /// Reading a file (an artifact) or binding the socket failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Rendering a template failed.
    #[error("template `{name}`: {message}")]
    Template {
        /// The template.
        name: String,
        /// minijinja's message.
        message: String,
    },
    /// The object asked for does not exist (the 404 page says which).
    #[error("{0} not found")]
    NotFound(String),
    /// The database is not one this server can read.
    #[error("{0}")]
    Invalid(String),
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Maps a SQLite error to [`Error::Db`] saying what was being read.
pub(crate) fn db(what: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> Error {
    let what = what.into();
    move |source| Error::Db { what, source }
}
