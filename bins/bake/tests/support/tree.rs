//! The repository and copies of its test trees, for the integration tests that build in
//! a copy (`build.rs`, `toaster.rs`, through `#[path]`).

use std::path::{Path, PathBuf};

/// The repository's top directory.
pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Copies a tree, leaving out build outputs and expected results (`tmp`, `cache`,
/// `downloads`, `expected`).
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    bb_util::fs::copy_tree(from, to, &["tmp", "cache", "downloads", "expected"])
        .expect("invariant: the test trees copy");
}

/// A fresh copy of `testdata/build-hello` (with bake's `meta/` where its bblayers.conf
/// expects it) under `root`; returns the build directory.
pub(crate) fn hello_copy_in(root: &Path) -> PathBuf {
    let _ = std::fs::remove_dir_all(root);
    copy_dir(&repo().join("meta"), &root.join("meta"));
    let dir = root.join("testdata/build-hello");
    copy_dir(&repo().join("testdata/build-hello"), &dir);
    dir
}

/// Appends `text` to the file at `path`.
pub(crate) fn append(path: &Path, text: &str) {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("invariant: file exists");
    f.write_all(text.as_bytes()).expect("invariant: write");
}
