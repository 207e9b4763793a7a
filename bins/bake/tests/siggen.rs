//! Task signatures equal BitBake's: `bake -S none` on `testdata/siggen-pylib` (a task
//! calling functions of an `addpylib` module: one reading a variable and calling a
//! function of its own module inside a `with` block, one with a `visitorcode`) writes
//! sig data files named by the task hashes real BitBake wrote for the same layer
//! (`expected/*.dumpsig`: `bitbake -S none pylib`, then `bitbake-dumpsig`), with the
//! same base hashes and dependency closures. bake's files are in BitBake's format: real
//! `bitbake-dumpsig` run on the files bake wrote gives exactly `expected/*.dumpsig`
//! (checked when the golden data was made), and so must `bake-dumpsig`. `bake-dumpsig`
//! reads BitBake's own files too: that side is checked by hand on openembedded-core.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

#[path = "support/tree.rs"]
#[expect(dead_code, reason = "shared with the other integration tests")]
mod tree;

/// `basehash`, `Task dependencies` and `Computed task hash` of a `bitbake-dumpsig` text.
fn golden(task: &str) -> (String, String, String) {
    let path = tree::repo().join(format!("testdata/siggen-pylib/expected/{task}.dumpsig"));
    let text = fs_err::read_to_string(&path).expect("invariant: golden data is readable");
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("{}: no `{prefix}` line", path.display()))
    };
    (
        field("basehash: "),
        field("Task dependencies: "),
        field("Computed task hash is "),
    )
}

#[test]
fn hashes_of_tasks_calling_module_functions_equal_bitbake() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("siggen-pylib");
    if dir.exists() {
        fs_err::remove_dir_all(&dir).expect("invariant: old copy removable");
    }
    tree::copy_dir(&tree::repo().join("testdata/siggen-pylib"), &dir);
    let out = Command::new(env!("CARGO_BIN_EXE_bake"))
        .args(["-S", "none", "pylib"])
        .current_dir(&dir)
        .env("BBPATH", &dir)
        .env("BAKE_NO_PROGRESS", "1")
        .output()
        .expect("invariant: bake runs");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{log}");
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for e in fs_err::read_dir(dir.join("tmp/stamps")).expect("invariant: stamps written") {
        let name = e
            .expect("invariant: readable entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if let Some((task, hash)) = name
            .strip_prefix("pylib.")
            .and_then(|n| n.split_once(".sigdata."))
        {
            found.insert(task.to_owned(), hash.to_owned());
        }
    }
    assert_eq!(
        found.keys().collect::<Vec<_>>(),
        ["do_build", "do_compile"],
        "{log}"
    );
    for (task, hash) in &found {
        let (basehash, deps, taskhash) = golden(task);
        assert_eq!(hash, &taskhash, "task hash of {task}");
        let file = dir.join(format!("tmp/stamps/pylib.{task}.sigdata.{hash}"));
        let dump = Command::new(env!("CARGO_BIN_EXE_bake-dumpsig"))
            .arg(&file)
            .output()
            .expect("invariant: bake-dumpsig runs");
        let dump = String::from_utf8_lossy(&dump.stdout);
        assert!(
            dump.contains(&format!("basehash: {basehash}\n")),
            "{task}: {dump}"
        );
        assert!(
            dump.contains(&format!("Task dependencies: {deps}\n")),
            "{task}: {dump}"
        );
        // The whole text: what real bitbake-dumpsig prints for this file.
        let golden = tree::repo().join(format!("testdata/siggen-pylib/expected/{task}.dumpsig"));
        let want = fs_err::read_to_string(&golden).expect("invariant: golden data is readable");
        assert_eq!(dump, want, "{task}");
        // BitBake's format: zstd, compact JSON with sorted keys and sets as `_set_object`.
        let raw = fs_err::read(&file).expect("invariant: sig file readable");
        let json = zstd::decode_all(raw.as_slice()).expect("a zstd stream");
        let json = String::from_utf8(json).expect("utf-8 JSON");
        assert!(
            json.starts_with("{\"basehash\":\"")
                && json.contains("\"taskdeps\":{\"_set_object\":[")
                && json.contains(&format!("\"unihash\":\"{taskhash}\"")),
            "{json}"
        );
    }
}
