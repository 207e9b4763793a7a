//! The one error type of bb-fetch.
//!
//! Every variant names the SRC_URI word, file or command it is about, so a message read alone
//! in a task log says what to fix. This file owns no behaviour.

use std::path::PathBuf;

/// Result of every fallible bb-fetch function.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong while fetching, unpacking or patching.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A SRC_URI word that is not `scheme://location;key=value...`.
    #[error("malformed SRC_URI entry `{word}`: {reason}")]
    MalformedUri {
        /// The word as written.
        word: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A parameter whose value cannot be used.
    #[error("invalid parameter `{key}={value}` in `{uri}`: {reason}")]
    InvalidParam {
        /// The SRC_URI word.
        uri: String,
        /// Parameter name.
        key: String,
        /// Parameter value.
        value: String,
        /// Why it is refused.
        reason: String,
    },

    /// A scheme with no fetcher here.
    #[error("no fetcher for scheme `{scheme}` in `{uri}`")]
    UnsupportedScheme {
        /// The SRC_URI word.
        uri: String,
        /// Its scheme.
        scheme: String,
    },

    /// A `file://` URI found in none of the FILESPATH directories.
    #[error(
        "unable to find file `{uri}` anywhere; the paths that were searched were:{}",
        searched_list(searched)
    )]
    LocalNotFound {
        /// The SRC_URI word.
        uri: String,
        /// Candidate paths, in search order.
        searched: Vec<PathBuf>,
    },

    /// No SRCREV was given for a git URI.
    #[error("no SRCREV for `{uri}` (looked for `SRCREV_{name}` and `SRCREV`)")]
    MissingSrcrev {
        /// The SRC_URI word.
        uri: String,
        /// The URI's `name=` (or `default`).
        name: String,
    },

    /// `AUTOINC`/`AUTOREV` revisions are not supported.
    #[error(
        "floating revision `{rev}` for `{uri}` is not supported; set SRCREV to a commit, tag or branch"
    )]
    FloatingRevision {
        /// The SRC_URI word.
        uri: String,
        /// The SRCREV value.
        rev: String,
    },

    /// A revision that the repository does not have, even after updating the mirror.
    #[error("revision `{rev}` of `{uri}` not found in `{}`{}", mirror.display(), detail_suffix(detail))]
    RevisionNotFound {
        /// The SRC_URI word.
        uri: String,
        /// The revision asked for.
        rev: String,
        /// The bare mirror in DL_DIR.
        mirror: PathBuf,
        /// Extra explanation, possibly empty.
        detail: String,
    },

    /// A git command failed.
    #[error("`{command}` failed for `{uri}`:\n{output}")]
    Git {
        /// The SRC_URI word.
        uri: String,
        /// The command line.
        command: String,
        /// Its standard output and error.
        output: String,
    },

    /// A download that needs the network while BB_NO_NETWORK is set.
    #[error(
        "network access disabled through BB_NO_NETWORK but `{uri}` needs it (tried: {})",
        tried_list(tried)
    )]
    NetworkDisabled {
        /// The SRC_URI word.
        uri: String,
        /// Mirror URIs tried before giving up.
        tried: Vec<String>,
    },

    /// A download that no mirror holds; this crate has no network downloader.
    #[error(
        "cannot download `{uri}`: no network downloader here and no mirror holds it (tried: {})",
        tried_list(tried)
    )]
    DownloadUnavailable {
        /// The SRC_URI word.
        uri: String,
        /// Mirror URIs tried.
        tried: Vec<String>,
    },

    /// A downloaded file whose checksum is not the expected one.
    #[error("checksum mismatch for `{}` (from `{uri}`): {kind} is `{actual}`, expected `{expected}`", file.display())]
    ChecksumMismatch {
        /// The SRC_URI word.
        uri: String,
        /// The file that was checked.
        file: PathBuf,
        /// `sha256sum` or `md5sum`.
        kind: &'static str,
        /// The value from the recipe.
        expected: String,
        /// The value of the file.
        actual: String,
    },

    /// A download with no expected checksum while strict checking is on.
    #[error("no checksum given for `{uri}` (set `SRC_URI[{flag}]`)")]
    MissingChecksum {
        /// The SRC_URI word.
        uri: String,
        /// The flag that should be set, like `sha256sum` or `foo.sha256sum`.
        flag: String,
    },

    /// A PREMIRRORS/MIRRORS entry that cannot be used.
    #[error("invalid mirror entry `{find} {replace}`: {reason}")]
    InvalidMirror {
        /// The pattern.
        find: String,
        /// The replacement.
        replace: String,
        /// What is wrong.
        reason: String,
    },

    /// An archive entry that would land outside the destination directory.
    #[error("refusing entry `{entry}` of `{}`: {reason}", archive.display())]
    UnsafeEntry {
        /// The archive.
        archive: PathBuf,
        /// The entry's path as stored.
        entry: String,
        /// Why it is refused.
        reason: String,
    },

    /// An archive that cannot be read.
    #[error("cannot unpack `{}`: {source}", archive.display())]
    Archive {
        /// The archive.
        archive: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// A patch that does not apply.
    #[error("patch `{}` does not apply in `{}`:\n{output}", patch.display(), dir.display())]
    PatchFailed {
        /// The patch file.
        patch: PathBuf,
        /// The directory it was applied in.
        dir: PathBuf,
        /// The output of the patch command.
        output: String,
    },

    /// A host command that could not be started.
    #[error("cannot run `{program}`: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The underlying error.
        source: std::io::Error,
    },

    /// File system errors; `fs_err` puts the path in the message.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

fn searched_list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| format!("\n    {}", p.display()))
        .collect()
}

fn tried_list(tried: &[String]) -> String {
    if tried.is_empty() {
        "no mirrors".to_owned()
    } else {
        tried
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}
