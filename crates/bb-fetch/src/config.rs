//! `FetchConfig`: the expanded variables the fetcher reads (DL_DIR, FILESPATH, UNPACKDIR, S,
//! checksums, SRCREVs, BB_NO_NETWORK, PREMIRRORS/MIRRORS), as plain values.
//!
//! The caller (the build engine) reads them from its datastore; this crate never sees a
//! datastore.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::mirror::Mirror;
use crate::uri::UriName;

/// Expected checksums of one download, from `SRC_URI[<name>.sha256sum]` / `md5sum`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checksums {
    /// Lowercase hex SHA-256.
    pub sha256: Option<String>,
    /// Lowercase hex MD5.
    pub md5: Option<String>,
}

impl Checksums {
    /// Only a SHA-256.
    pub fn sha256(hex: impl Into<String>) -> Self {
        Self {
            sha256: Some(hex.into()),
            md5: None,
        }
    }

    /// Whether neither checksum is set.
    pub fn is_empty(&self) -> bool {
        self.sha256.is_none() && self.md5.is_none()
    }
}

/// Everything `fetch`, `unpack` and `patch` need to know, already expanded.
#[derive(Debug, Clone, Default)]
pub struct FetchConfig {
    /// DL_DIR: the download cache (`git2/` holds git mirrors).
    pub dl_dir: PathBuf,
    /// FILESPATH, split on `:`: directories searched in order for relative `file://` paths.
    pub filespath: Vec<PathBuf>,
    /// UNPACKDIR (WORKDIR in older releases): where `unpack` puts sources.
    pub unpackdir: PathBuf,
    /// S: the source directory; `patchdir=` is relative to it and patches apply in it.
    pub s: PathBuf,
    /// Expected checksums per URI name (`SRC_URI[sha256sum]` is under `default`).
    pub checksums: BTreeMap<UriName, Checksums>,
    /// SRCREV per URI name (`SRCREV` under `default`, `SRCREV_foo` under `foo`).
    pub srcrevs: BTreeMap<UriName, String>,
    /// BB_NO_NETWORK: no network access at all.
    pub no_network: bool,
    /// BB_STRICT_CHECKSUM: a download without expected checksum is an error.
    pub strict_checksum: bool,
    /// PREMIRRORS, tried before the upstream location.
    pub premirrors: Vec<Mirror>,
    /// MIRRORS, tried after the upstream location.
    pub mirrors: Vec<Mirror>,
}

impl FetchConfig {
    /// A configuration with the given DL_DIR, UNPACKDIR and S and nothing else set.
    pub fn new(
        dl_dir: impl Into<PathBuf>,
        unpackdir: impl Into<PathBuf>,
        s: impl Into<PathBuf>,
    ) -> Self {
        Self {
            dl_dir: dl_dir.into(),
            unpackdir: unpackdir.into(),
            s: s.into(),
            ..Self::default()
        }
    }

    /// Splits a FILESPATH value on `:` into [`FetchConfig::filespath`], dropping empty parts.
    pub fn set_filespath(&mut self, filespath: &str) {
        self.filespath = filespath
            .split(':')
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .collect();
    }

    /// Records the SRCREV for `name` (use `default` for plain `SRCREV`).
    pub fn set_srcrev(&mut self, name: &str, rev: impl Into<String>) {
        self.srcrevs.insert(UriName::new(name), rev.into());
    }

    /// Records the expected SHA-256 for `name` (use `default` for `SRC_URI[sha256sum]`).
    pub fn set_sha256(&mut self, name: &str, hex: impl Into<String>) {
        self.checksums.entry(UriName::new(name)).or_default().sha256 = Some(hex.into());
    }

    /// Records the expected MD5 for `name` (use `default` for `SRC_URI[md5sum]`).
    pub fn set_md5(&mut self, name: &str, hex: impl Into<String>) {
        self.checksums.entry(UriName::new(name)).or_default().md5 = Some(hex.into());
    }
}
