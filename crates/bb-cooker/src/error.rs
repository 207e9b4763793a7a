//! The cooker's error type: build-directory, layer, collection and provider errors.
//! Parse errors of single recipes are not here: they are recorded per recipe so that
//! the others still parse. Each kind of failure is its own variant; where BitBake's
//! wording is the error (layer checks, "Nothing PROVIDES ..."), the variant carries it.

use std::path::PathBuf;

/// An error that stops the cooker.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An error from the datastore or evaluator (configuration parse).
    #[error(transparent)]
    Data(#[from] bb_data::Error),
    /// The layer configuration is not usable (BBLAYERS, layer.conf, collections,
    /// LAYERSERIES_COMPAT...): BitBake's message.
    #[error("{0}")]
    Layers(String),
    /// A LAYERDEPENDS_x or LAYERRECOMMENDS_x value that cannot be read.
    #[error("Error parsing {var}: {message}")]
    LayerDepends {
        /// The variable.
        var: String,
        /// What is wrong with it.
        message: String,
    },
    /// `conf/bblayers.conf` has no BBLAYERS assignment to edit.
    #[error("Unable to find BBLAYERS")]
    NoBblayers,
    /// A class named on the command line is in no `classes*/` directory of BBPATH.
    #[error("No class named {class} found in BBPATH")]
    NoSuchClass {
        /// The class.
        class: String,
    },
    /// A recipe file has no such BBCLASSEXTEND variant.
    #[error("{target}: no such variant")]
    NoSuchVariant {
        /// The target asked for.
        target: String,
    },
    /// What a build needs of a recipe could not be worked out.
    #[error("{target}: {message}")]
    BuildInfo {
        /// The recipe target.
        target: String,
        /// Why.
        message: String,
    },
    /// Nothing (R)PROVIDES a name, or no eligible provider is left: BitBake's message.
    #[error("{message}")]
    NoProvider {
        /// The name asked for.
        name: String,
        /// BitBake's message (with the dependency chain and the reasons).
        message: String,
    },
    /// A name is in ASSUME_PROVIDED.
    #[error("{name} is in ASSUME_PROVIDED")]
    AssumeProvided {
        /// The name.
        name: String,
    },
    /// A runtime name cannot be built (several preferred providers): BitBake's message.
    #[error("{message}")]
    Unbuildable {
        /// The name.
        name: String,
        /// BitBake's message.
        message: String,
    },
    /// A PACKAGES_DYNAMIC pattern is not a valid regular expression.
    #[error("{message}")]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// Python's complaint.
        message: String,
    },
    /// Two versions cannot be compared (an epoch that is not a number).
    #[error(transparent)]
    Version(#[from] bb_util::version::VersionError),
    /// Several errors BitBake reports as separate records (one `ERROR:` line each).
    #[error("{}", .0.join("\n"))]
    Multi(Vec<String>),
    /// The working directory cannot be read.
    #[error("cannot read the current directory: {0}")]
    CurrentDir(#[source] std::io::Error),
    /// The parse cache could not be written.
    #[error("`{}`: cannot write the parse cache: {message}", path.display())]
    CacheWrite {
        /// The cache file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

impl Error {
    /// Whether this is a provider failure of a name (no provider, assumed provided,
    /// unbuildable, bad pattern): what the task data turns into a missing target.
    pub fn is_provider(&self) -> bool {
        matches!(
            self,
            Error::NoProvider { .. }
                | Error::AssumeProvided { .. }
                | Error::Unbuildable { .. }
                | Error::BadPattern { .. }
                | Error::Version(_)
        )
    }
}

/// The cooker's result type.
pub type Result<T> = std::result::Result<T, Error>;
