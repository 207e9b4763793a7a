//! The crate's one error type: every variant names the file or value at fault.

use std::path::PathBuf;

/// What can go wrong with a shared-state object.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file operation failed (fs_err's message names the path).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The archive cannot be read to its end: truncated, damaged, or not an sstate
    /// object at all. Nothing was installed from it.
    #[error("sstate object `{path}` is corrupt: {reason}")]
    Corrupt {
        /// The archive.
        path: PathBuf,
        /// What the reader said.
        reason: String,
    },
    /// A task's `sstate-inputdirs` and `sstate-outputdirs` do not pair up.
    #[error(
        "sstate variables of `{task}` not set up correctly: {inputs} sstate-inputdirs for {outputs} sstate-outputdirs"
    )]
    Flags {
        /// The task.
        task: String,
        /// How many input directories.
        inputs: usize,
        /// How many output directories.
        outputs: usize,
    },
    /// A variable the sstate code needs expands to an error or is empty.
    #[error("`{name}`: {reason}")]
    Var {
        /// The variable (or `task[flag]`).
        name: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The name would be longer than a file name may be.
    #[error("unable to reduce sstate name `{0}` to less than 255 characters")]
    NameTooLong(String),
    /// Installing would overwrite files another recipe installed (BitBake's message).
    #[error(
        "Recipe {pn} is trying to install files into a shared area when those files already exist. The files and the manifests listing them are:\n  {listing}\nPlease adjust the recipes so only one recipe provides a given file. "
    )]
    Overlap {
        /// The recipe installing.
        pn: String,
        /// Each file, then the manifests that list it.
        listing: String,
    },
    /// An archive member leaves the directory it is unpacked into.
    #[error("sstate object `{path}`: member `{member}` leaves the install directory")]
    UnsafeMember {
        /// The archive.
        path: PathBuf,
        /// The member's name.
        member: String,
    },
    /// A hash equivalence server could not be reached or answered wrongly.
    #[error("hash equivalence server `{addr}`: {reason}")]
    HashServer {
        /// Its address.
        addr: String,
        /// What went wrong.
        reason: String,
    },
    /// SSTATE_VERIFY_SIG is on and the object has no signature, or one gpg does not
    /// accept (openembedded-core's warning, with gpg's reason).
    #[error("{reason}")]
    Signature {
        /// The object.
        path: PathBuf,
        /// openembedded-core's message.
        reason: String,
        /// gpg found the signature bad (the object or its signature was changed), as
        /// opposed to missing or made by a key not accepted.
        bad: bool,
    },
    /// A new object could not be signed (SSTATE_SIG_KEY).
    #[error("signing sstate object `{path}`: {reason}")]
    Sign {
        /// The object.
        path: PathBuf,
        /// What gpg said.
        reason: String,
    },
    /// An object could not be fetched from a mirror.
    #[error("fetching `{url}`: {reason}")]
    Mirror {
        /// What was asked for.
        url: String,
        /// Why it failed.
        reason: String,
    },
}

/// The crate's result.
pub type Result<T> = std::result::Result<T, Error>;
