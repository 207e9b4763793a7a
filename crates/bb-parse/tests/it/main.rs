//! Integration tests of the metadata parser, one binary for the crate.
//!
//! `snapshots`: every input in `testdata/bb-parse/` against its insta snapshot and, where
//! present, against BitBake's own reading of it (`FILE.bitbake`). `regressions`: every
//! input the fuzzer ever crashed on. `props`: proptest laws (round trip, no panic,
//! well-formed spans, assignments read back).

mod props;
mod regressions;
mod snapshots;

use std::path::{Path, PathBuf};

/// The repository's `testdata/` directory.
fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}
