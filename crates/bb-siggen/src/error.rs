//! The errors of signature computation and sig data files.

use std::path::PathBuf;

/// What can go wrong while computing signatures or reading and writing sig data.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A variable or flag needed for the signature does not expand.
    #[error("cannot expand `{var}`: {source}")]
    Expand {
        /// The variable (or `VAR[flag]`).
        var: String,
        /// The datastore's error.
        #[source]
        source: bb_data::Error,
    },
    /// A flag holds a yes/no value that `bb.utils.to_boolean` refuses.
    #[error("`{var}`: {source}")]
    Boolean {
        /// The variable and flag (`VAR[export]`).
        var: String,
        /// What was refused.
        #[source]
        source: bb_util::InvalidBoolean,
    },
    /// BB_SIGNATURE_HANDLER names a handler whose rules bake does not implement, or its
    /// configuration asks for something bake does not support.
    #[error("BB_SIGNATURE_HANDLER `{name}`: {reason}")]
    Handler {
        /// The handler's name.
        name: String,
        /// What is not supported.
        reason: String,
    },
    /// The functions of the `addpylib` modules could not be listed.
    #[error("listing the functions of the addpylib modules: {0}")]
    ModuleCode(String),
    /// Reading or writing a sig data file failed (the message names the path).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A sig data file is not valid JSON of the expected shape.
    #[error("`{}`: invalid sig data: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
