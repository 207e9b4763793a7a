//! The one error type of bb-package.
//!
//! Every variant names the package, file or command it is about, so that a message read
//! alone in a task log says what to fix. This file owns no behaviour.

use std::path::PathBuf;

/// Result of every fallible bb-package function.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong while packaging, writing feeds, assembling a root filesystem or an image.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file system operation failed (the message names the path).
    #[error(transparent)]
    Io(#[from] std::io::Error),

    /// A host tool (objcopy, strip, zstd, mkfs.ext4, a postinst script) failed.
    #[error("`{command}` failed: {output}")]
    Command {
        /// The command line.
        command: String,
        /// Its exit status and output.
        output: String,
    },

    /// A fatal QA issue (listed in ERROR_QA), in BitBake's wording.
    #[error("QA Issue: {message} [{class}]")]
    Qa {
        /// The QA class (`installed-vs-shipped`).
        class: String,
        /// BitBake's message.
        message: String,
    },

    /// A FILES entry or archive member that would leave the package or image root.
    #[error("`{path}` escapes `{root}`")]
    Escapes {
        /// The offending path.
        path: String,
        /// The root it must stay in.
        root: PathBuf,
    },

    /// Malformed input: a pkgdata file, a Packages index, a control file, a dependency list.
    #[error("{file}:{line}: {message}")]
    Parse {
        /// The file (or variable) read.
        file: String,
        /// 1-based line, 0 when not about one line.
        line: usize,
        /// What is wrong.
        message: String,
    },

    /// Two packages of a root filesystem ship the same file.
    #[error(
        "package {package} wants to install file {path}\n\tBut that file is already provided by package  * {owner}"
    )]
    FileClash {
        /// The package being installed.
        package: String,
        /// The file.
        path: String,
        /// The package that installed it first.
        owner: String,
    },

    /// A runtime dependency that no package of the feed provides.
    #[error(
        "Cannot satisfy the following dependencies for {package}:\n\t{dependency}\nnothing in the feed provides `{dependency}` (checked {feeds})"
    )]
    Unsatisfied {
        /// The package that depends on it (or `IMAGE_INSTALL`).
        package: String,
        /// The dependency.
        dependency: String,
        /// The feed directories searched.
        feeds: String,
    },

    /// Two packages of a root filesystem that conflict (RCONFLICTS).
    #[error("The following packages conflict with {package}:\n\t{other}")]
    Conflict {
        /// The package whose Conflicts names the other.
        package: String,
        /// The package it conflicts with.
        other: String,
    },

    /// A value that cannot be used (an unknown IMAGE_FSTYPES word, a bad mode).
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// A parse error about `file`.
    pub(crate) fn parse(file: impl Into<String>, line: usize, message: impl Into<String>) -> Error {
        Error::Parse {
            file: file.into(),
            line,
            message: message.into(),
        }
    }
}
