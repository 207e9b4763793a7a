//! Errors of the recorder and the management commands: one enum, each variant naming the
//! object, file, field or query it is about. Nothing here prints.

use std::path::PathBuf;

/// What went wrong, naming the object, file or query.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A database operation failed.
    #[error("{what}: {}", short(source))]
    Db {
        /// What was being done.
        what: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// Reading a file failed (the message names the path: the error comes from fs_err).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// `builddelete` (or another command) was given an id no build has.
    #[error("build {0} does not exist")]
    UnknownBuild(i64),
    /// The database was written by a newer bake.
    #[error("{path}: the database has schema version {found}, newer than this bake's {supported}")]
    SchemaTooNew {
        /// The database.
        path: String,
        /// Its `user_version`.
        found: i64,
        /// The newest version this build of bake knows.
        supported: i64,
    },
    /// A fixture file could not be read or loaded.
    #[error("{}: {}{message}", file.display(), location(object, field))]
    Fixture {
        /// The fixture file.
        file: PathBuf,
        /// The object (`orm.release pk=1`), when the error is about one.
        object: Option<String>,
        /// The field, when the error is about one.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A request that cannot be carried out.
    #[error("{0}")]
    Invalid(String),
    /// The recorder's writer stopped.
    #[error("the build recorder stopped: {0}")]
    Recorder(String),
}

/// SQLite's message without the statement it came from (a migration's is hundreds of
/// lines).
fn short(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}

fn location(object: &Option<String>, field: &Option<String>) -> String {
    match (object, field) {
        (Some(o), Some(f)) => format!("object `{o}`, field `{f}`: "),
        (Some(o), None) => format!("object `{o}`: "),
        (None, Some(f)) => format!("field `{f}`: "),
        (None, None) => String::new(),
    }
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Maps a SQLite error to [`Error::Db`] saying what was being done.
pub(crate) fn db(what: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> Error {
    let what = what.into();
    move |source| Error::Db { what, source }
}
