//! Signature handler classes defined in the metadata's Python (`testdata/pysiggen`: a
//! layer whose `lib/` registers its classes on `bb.siggen` as openembedded-core does):
//! `bake -S none` names the sig data files by the task hashes real BitBake computed for
//! the same layer (`expected/<handler>.txt`, BitBake c251833d's `tmp/stamps/`), for a
//! class with its own `rundep_check` reading `dataCaches` (inherits), one redefining
//! openembedded-core's `OEEquivHash` name with other rules (rundeps, pkg_fn), and plain
//! `basichash`; a class overriding `get_taskhash` and a name no class has are errors
//! naming them. About 1 s of bake runs in all.
#![cfg(feature = "python")]

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/tree.rs"]
#[expect(dead_code, reason = "shared with the other integration tests")]
mod tree;

/// A fresh copy of the fixture with `handler` as BB_SIGNATURE_HANDLER (`None`: the
/// fixture's default, `PysigDropTool`).
fn fixture(name: &str, handler: Option<&str>) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pysiggen-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    tree::copy_dir(&tree::repo().join("testdata/pysiggen"), &dir);
    if let Some(h) = handler {
        tree::append(
            &dir.join("conf/handler.conf"),
            &format!("BB_SIGNATURE_HANDLER = \"{h}\"\n"),
        );
    }
    dir
}

/// `bake -S none app quietapp` in `dir`: success and the output.
fn dump_signatures(dir: &Path) -> (bool, String) {
    dump_signatures_of(dir, &["app", "quietapp"])
}

/// `bake -S none TARGETS` in `dir`: success and the output.
fn dump_signatures_of(dir: &Path, targets: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bake"))
        .args(["-S", "none"])
        .args(targets)
        .current_dir(dir)
        .env("BBPATH", dir)
        .env("BAKE_NO_PROGRESS", "1")
        .output()
        .expect("invariant: bake runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The sig data files bake wrote, sorted.
fn stamps(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs_err::read_dir(dir.join("tmp/stamps"))
        .expect("invariant: stamps written")
        .map(|e| {
            e.expect("invariant: readable entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// BitBake's sig data files for `handler`.
fn golden(handler: &str) -> Vec<String> {
    let path = tree::repo().join(format!("testdata/pysiggen/expected/{handler}.txt"));
    let text = fs_err::read_to_string(&path).expect("invariant: golden data is readable");
    let mut names: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

fn assert_hashes_equal_bitbake(name: &str, handler: Option<&str>, golden_name: &str) {
    let dir = fixture(name, handler);
    let (ok, log) = dump_signatures(&dir);
    assert!(ok, "{log}");
    let want = golden(golden_name);
    assert_eq!(want.len(), 10, "golden data of {golden_name}");
    assert_eq!(stamps(&dir), want, "{log}");
}

#[test]
fn own_rundep_check_reading_inherits_hashes_as_bitbake() {
    assert_hashes_equal_bitbake("drop", None, "PysigDropTool");
}

#[test]
fn oe_name_with_other_rules_hashes_as_bitbake() {
    // bake used to hash this with openembedded-core's rules, by the name alone.
    assert_hashes_equal_bitbake("oe", Some("OEEquivHash"), "OEEquivHash");
}

#[test]
fn basichash_is_unchanged() {
    assert_hashes_equal_bitbake("basic", Some("basichash"), "basichash");
    // The three handlers give three different sets of hashes.
    assert_ne!(golden("basichash"), golden("PysigDropTool"));
    assert_ne!(golden("basichash"), golden("OEEquivHash"));
    assert_ne!(golden("PysigDropTool"), golden("OEEquivHash"));
}

/// The class's `tasks_resolved` is told the build's `virtual/*` providers before any
/// `rundep_check` (BitBake's `virtmap`/`virtpnmap`): `PysigVirtual` drops the recipe
/// providing `virtual/tool` from `vapp`'s hashes, as under BitBake.
#[test]
fn tasks_resolved_gets_the_virtual_providers() {
    let dir = fixture("virtual", Some("PysigVirtual"));
    let (ok, log) = dump_signatures_of(&dir, &["app", "vapp"]);
    assert!(ok, "{log}");
    let want = golden("PysigVirtual");
    assert_eq!(want.len(), 10);
    assert_eq!(stamps(&dir), want, "{log}");
    // Without the call, `tool` would count, as under basichash.
    assert!(!golden("basichash").contains(&want[1]));
}

/// The handler's description is kept beside the parse cache: a second run reads it
/// (no CPython lookup), and a change to the class's file is seen.
#[test]
fn handler_description_is_kept_until_its_files_change() {
    let dir = fixture("described", None);
    let (ok, log) = dump_signatures(&dir);
    assert!(ok, "{log}");
    let kept = dir.join("tmp/cache/bake-sighandler.json");
    let text = fs_err::read_to_string(&kept).expect("the description is kept");
    assert!(text.contains("pysigfix.PysigDropTool"), "{text}");
    assert!(text.contains("lib/pysigfix/__init__.py"), "{text}");
    let written = fs_err::metadata(&kept).and_then(|m| m.modified()).ok();
    let (ok, log) = dump_signatures(&dir);
    assert!(ok, "{log}");
    assert_eq!(stamps(&dir), golden("PysigDropTool"));
    // Read, not asked again (a new answer is written).
    let again = fs_err::metadata(&kept).and_then(|m| m.modified()).ok();
    assert!(written.is_some() && again == written);
    // The class now overrides a hash method: the kept answer no longer holds.
    tree::append(
        &dir.join("lib/pysigfix/__init__.py"),
        "\nPysigDropTool.get_taskhash = PysigOwnHash.get_taskhash\n",
    );
    let (ok, log) = dump_signatures(&dir);
    assert!(!ok, "{log}");
    assert!(
        log.contains("get_taskhash of pysigfix.PysigDropTool"),
        "{log}"
    );
}

#[test]
fn own_get_taskhash_is_refused_by_name() {
    let dir = fixture("ownhash", Some("PysigOwnHash"));
    let (ok, log) = dump_signatures(&dir);
    assert!(!ok, "{log}");
    for part in [
        "BB_SIGNATURE_HANDLER `PysigOwnHash`",
        "class pysigfix.PysigOwnHash: get_taskhash of pysigfix.PysigOwnHash",
        "lib/pysigfix/__init__.py:",
        "calls only rundep_check",
    ] {
        assert!(log.contains(part), "no `{part}` in:\n{log}");
    }
}

#[test]
fn a_name_no_class_has_is_refused() {
    let dir = fixture("nosuch", Some("NoSuchHash"));
    let (ok, log) = dump_signatures(&dir);
    assert!(!ok, "{log}");
    for part in [
        "BB_SIGNATURE_HANDLER `NoSuchHash`: no signature handler class has this name",
        "PysigDropTool",
        "basichash",
    ] {
        assert!(log.contains(part), "no `{part}` in:\n{log}");
    }
}
