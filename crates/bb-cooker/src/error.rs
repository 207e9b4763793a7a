//! The cooker's error type: build-directory, layer, collection and provider errors.
//! Parse errors of single recipes are not here: they are recorded per recipe so that
//! the others still parse.

/// An error that stops the cooker.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An error from the datastore or evaluator (configuration parse).
    #[error(transparent)]
    Data(#[from] bb_data::Error),
    /// A configuration problem (layers, collections, BBPATH...), with BitBake's wording.
    #[error("{0}")]
    Config(String),
    /// A provider could not be chosen (nothing provides, no eligible provider...).
    #[error("{0}")]
    Provider(String),
    /// Several errors BitBake reports as separate records (one `ERROR:` line each).
    #[error("{}", .0.join("\n"))]
    Multi(Vec<String>),
    /// An I/O error naming the path.
    #[error("{0}")]
    Io(String),
}

/// The cooker's result type.
pub type Result<T> = std::result::Result<T, Error>;
