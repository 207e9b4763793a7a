//! BitBake's `do_fetch`, `do_unpack` and `do_patch` as a library over plain values: the
//! caller expands SRC_URI, FILESPATH, DL_DIR and the rest and passes a [`FetchConfig`];
//! nothing here reads a datastore.
//!
//! - [`fetch()`]: `file://` entries are found through FILESPATH (nothing is copied);
//!   `http(s)://`/`ftp://` entries come from DL_DIR when already there (with a `.done`
//!   marker and the right checksum), else from PREMIRRORS, the network (refused with
//!   BB_NO_NETWORK; there is no network downloader here) and MIRRORS, and are checked
//!   against `SRC_URI[sha256sum]`; `git://` entries with `protocol=file` (or a local
//!   path) are mirrored bare into `DL_DIR/git2/` with the `git` command and the SRCREV
//!   must be there. Downloads are written under a temporary name and renamed.
//! - [`unpack()`]: archives (`.tar`, `.tar.gz`/`.tgz`, `.tar.bz2`, `.tar.xz`,
//!   `.tar.zst`, `.zip`, and `.gz`/`.bz2`/`.xz`/`.zst` single files) are extracted with
//!   pure-Rust readers, refusing any entry that would land outside the destination;
//!   other files and directories are copied; git sources are cloned from their mirror
//!   and checked out at SRCREV.
//! - [`patch()`]: `*.patch`/`*.diff` entries (or `apply=yes`) applied in order with the
//!   host `patch` command, `striplevel` and `patchdir` honoured.
//!
//! ```no_run
//! use bb_fetch::{FetchConfig, fetch, parse_src_uri, patch, unpack};
//! # fn demo() -> bb_fetch::Result<()> {
//! let mut cfg = FetchConfig::new("/b/downloads", "/b/work/sources", "/b/work/sources");
//! cfg.set_filespath("/layer/recipes/hello/files");
//! let uris = parse_src_uri("file://hello.c file://fix.patch")?;
//! let fetched = fetch(&cfg, &uris)?;
//! unpack(&cfg, &fetched)?;
//! patch(&cfg, &fetched)?;
//! # Ok(()) }
//! ```

mod config;
mod error;
mod fetch;
mod mirror;
mod patch;
mod unpack;
mod uri;

pub use config::{Checksums, FetchConfig};
pub use error::{Error, Result};
pub use fetch::{Fetched, Source, fetch};
pub use mirror::Mirror;
pub use patch::patch;
pub use unpack::unpack;
pub use uri::{SrcUri, UriName, parse_src_uri};
