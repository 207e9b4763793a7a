//! Metadata Python run by embedded CPython: `bake -e demo` on `testdata/python` against
//! real BitBake's `bitbake -e demo` (`testdata/python/expected/demo.env`).

#![cfg(feature = "python")]

#[path = "support/tree.rs"]
#[expect(dead_code, reason = "shared with the other integration tests")]
mod tree;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

/// Values that name the process, its command line or the environment it was started in
/// (BitBake's run had `run-bitbake.sh`'s environment, bake the test's).
const PROCESS_VALUES: &[&str] = &[
    "PWD",
    "SHELL",
    "USER",
    "LOGNAME",
    "BB_CMDLINE",
    "BB_ORIGENV",
    "BB_ENV_PASSTHROUGH_ADDITIONS",
    "PYTHONHASHSEED",
    "PATH",
    "LC_ALL",
    "HOME",
    "LANG",
];

/// `NAME -> line` for every `NAME="value"` (or `export NAME="value"`) line.
fn values(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let l = line.strip_prefix("export ").unwrap_or(line);
        if l.starts_with('#') || l.starts_with(' ') {
            continue;
        }
        if let Some((name, _)) = l.split_once("=\"")
            && !name.is_empty()
            && !name.contains(' ')
            && !PROCESS_VALUES.contains(&name)
        {
            out.insert(name.to_owned(), line.to_owned());
        }
    }
    out
}

fn normalize(text: &str, case: &Path) -> String {
    let p = case.to_string_lossy();
    let mangled: String = p
        .chars()
        .map(|c| if "/.+-@%&~".contains(c) { '_' } else { c })
        .collect();
    text.replace(&*mangled, "_CASE").replace(&*p, "@CASE@")
}

#[test]
fn bake_e_matches_bitbake_for_metadata_python() {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-fixture");
    let _ = std::fs::remove_dir_all(&root);
    tree::copy_dir(&tree::repo().join("testdata/python"), &root);
    let out = Command::new(env!("CARGO_BIN_EXE_bake"))
        .args(["-e", "demo"])
        .current_dir(&root)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", "/root")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .expect("invariant: the bake binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bake -e demo failed:\n{stderr}");
    let got = values(&normalize(&String::from_utf8_lossy(&out.stdout), &root));
    let want_text = std::fs::read_to_string(tree::repo().join("testdata/python/expected/demo.env"))
        .expect("invariant: the golden file is in the repository");
    let want = values(&want_text);
    let py: Vec<&String> = want.keys().filter(|k| k.starts_with("PY_")).collect();
    assert_eq!(py.len(), 14, "the fixture sets 14 PY_ variables: {py:?}");
    let mut problems = Vec::new();
    for (name, line) in &want {
        match got.get(name) {
            Some(g) if g == line => {}
            Some(g) => problems.push(format!("{name}:\n  bitbake: {line}\n  bake:    {g}")),
            None => problems.push(format!("{name}: missing from bake's output")),
        }
    }
    for name in got.keys().filter(|k| !want.contains_key(*k)) {
        problems.push(format!("{name}: only in bake's output"));
    }
    assert!(
        problems.is_empty(),
        "{}\nstderr:\n{stderr}",
        problems.join("\n")
    );
}
