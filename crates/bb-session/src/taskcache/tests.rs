//! The worker's datastore cache on a copy of the bundled example with one more recipe
//! (an include and an append): reuse, copies that do not leak writes, a changed file
//! parsed again, the size limit.

use std::path::{Path, PathBuf};

use super::{LIMIT, TaskCache};
use crate::Session;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn write(path: &Path, text: &str) {
    // In place (same inode), as an editor saving over the file may.
    fs_err::write(path, text).expect("writes");
}

/// A copy of the example with recipe `tc` (requires `tc.inc`, has `tc_%.bbappend`);
/// returns (the temp dir to keep, the build directory, the recipe's directory).
fn example() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let root = tempfile::tempdir().expect("tempdir");
    let skip = ["tmp", "cache", "downloads", "expected"];
    bb_util::fs::copy_tree(&repo().join("meta"), &root.path().join("meta"), &skip)
        .expect("copies meta");
    let dir = root.path().join("testdata/build-hello");
    bb_util::fs::copy_tree(&repo().join("testdata/build-hello"), &dir, &skip)
        .expect("copies the example");
    let rd = dir.join("meta-hello/recipes-hello/tc");
    fs_err::create_dir_all(&rd).expect("mkdir");
    write(&rd.join("tc_1.0.bb"), "LICENSE = \"MIT\"\nrequire tc.inc\n");
    write(&rd.join("tc.inc"), "FROM_INC = \"one\"\n");
    write(&rd.join("tc_%.bbappend"), "FROM_APPEND = \"a\"\n");
    (root, dir, rd)
}

fn var(d: &bb_data::DataStore, name: &str) -> Option<String> {
    d.get_var(name).expect("expands")
}

#[test]
fn a_target_is_parsed_once_until_a_file_it_read_changes() {
    let (_keep, dir, rd) = example();
    let s = Session::open(&dir).expect("opens");
    let target = rd.join("tc_1.0.bb").to_string_lossy().into_owned();
    let mut c = TaskCache::default();

    let mut d = c.task_data(&s, &target).expect("parses");
    assert_eq!(c.parses(), 1);
    assert_eq!(var(&d, "FROM_INC").as_deref(), Some("one"));
    assert_eq!(var(&d, "FROM_APPEND").as_deref(), Some("a"));
    // What a task writes stays in its copy.
    d.set_var("FROM_INC", "written by a task");

    let d = c.task_data(&s, &target).expect("reuses");
    assert_eq!(c.parses(), 1, "unchanged files: no parse");
    assert_eq!(var(&d, "FROM_INC").as_deref(), Some("one"));
    // The same finalized datastore as a fresh parse.
    let fresh = s.task_data(&target).expect("parses");
    for k in [
        "PN",
        "PV",
        "WORKDIR",
        "FROM_INC",
        "FROM_APPEND",
        "BB_TASKDEPDATA",
    ] {
        assert_eq!(var(&d, k), var(&fresh, k), "{k}");
    }

    // An include changed (same size): parsed again.
    write(&rd.join("tc.inc"), "FROM_INC = \"two\"\n");
    let d = c.task_data(&s, &target).expect("parses again");
    assert_eq!(c.parses(), 2);
    assert_eq!(var(&d, "FROM_INC").as_deref(), Some("two"));

    // The append changed.
    write(&rd.join("tc_%.bbappend"), "FROM_APPEND = \"changed\"\n");
    let d = c.task_data(&s, &target).expect("parses again");
    assert_eq!(c.parses(), 3);
    assert_eq!(var(&d, "FROM_APPEND").as_deref(), Some("changed"));

    // The recipe itself changed.
    write(
        &rd.join("tc_1.0.bb"),
        "LICENSE = \"MIT\"\nrequire tc.inc\nOWN = \"x\"\n",
    );
    let d = c.task_data(&s, &target).expect("parses again");
    assert_eq!(c.parses(), 4);
    assert_eq!(var(&d, "OWN").as_deref(), Some("x"));
    c.task_data(&s, &target).expect("reuses");
    assert_eq!(c.parses(), 4);
}

#[test]
fn the_least_recently_used_target_goes_beyond_the_limit() {
    let (_keep, dir, rd) = example();
    let s = Session::open(&dir).expect("opens");
    let mut targets = Vec::new();
    for i in 0..=LIMIT {
        let f = rd.join(format!("tc{i}_1.0.bb"));
        write(&f, "LICENSE = \"MIT\"\n");
        targets.push(f.to_string_lossy().into_owned());
    }
    let mut c = TaskCache::default();
    for t in &targets[..LIMIT] {
        c.task_data(&s, t).expect("parses");
    }
    // The first is used again, so the second is the least recent when one more comes.
    c.task_data(&s, &targets[0]).expect("reuses");
    assert_eq!(c.parses(), LIMIT);
    c.task_data(&s, &targets[LIMIT]).expect("parses");
    c.task_data(&s, &targets[0]).expect("reuses");
    assert_eq!(c.parses(), LIMIT + 1);
    c.task_data(&s, &targets[1]).expect("parses again");
    assert_eq!(c.parses(), LIMIT + 2);
}

#[test]
fn a_target_that_does_not_parse_is_an_error_and_not_cached() {
    let (_keep, dir, rd) = example();
    let s = Session::open(&dir).expect("opens");
    let bad = rd.join("bad_1.0.bb");
    write(&bad, "A = \"unterminated\n");
    let target = bad.to_string_lossy().into_owned();
    let mut c = TaskCache::default();
    assert!(c.task_data(&s, &target).is_err());
    write(&bad, "LICENSE = \"MIT\"\nA = \"fine\"\n");
    let d = c.task_data(&s, &target).expect("parses once fixed");
    assert_eq!(var(&d, "A").as_deref(), Some("fine"));
}
