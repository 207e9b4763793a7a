//! The workspace's layering, checked over `cargo metadata` (docs/ARCHITECTURE.md,
//! "Crate dependencies"): every crate depends only on the crates its row allows (the
//! data flows one way: text -> datastore -> recipes -> task graph -> run queue ->
//! events), a new crate must be given a row, tokio/axum stay in the web crate, clap and
//! anyhow in the binaries, every crate inherits `rust-version` and the workspace lints,
//! and no crate declares a dependency its code does not use.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Which workspace crates each crate may depend on (normal dependencies).
const ALLOWED: &[(&str, &[&str])] = &[
    ("bb-util", &[]),
    ("bb-events", &[]),
    ("bb-parse", &["bb-util"]),
    ("bb-pyexpr", &["bb-util"]),
    ("bb-data", &["bb-parse", "bb-pyexpr", "bb-util"]),
    (
        "bb-python",
        &["bb-data", "bb-parse", "bb-pyexpr", "bb-util"],
    ),
    (
        "bb-cooker",
        &["bb-data", "bb-parse", "bb-pyexpr", "bb-python", "bb-util"],
    ),
    ("bb-siggen", &["bb-data", "bb-pyexpr", "bb-util"]),
    ("bb-fetch", &["bb-data", "bb-util"]),
    ("bb-package", &["bb-data", "bb-util"]),
    ("bb-sstate", &["bb-data", "bb-util"]),
    (
        "bb-taskgraph",
        &["bb-cooker", "bb-data", "bb-pyexpr", "bb-util"],
    ),
    (
        "bb-runqueue",
        &[
            "bb-cooker",
            "bb-data",
            "bb-events",
            "bb-pyexpr",
            "bb-siggen",
            "bb-taskgraph",
            "bb-util",
        ],
    ),
    (
        "bb-session",
        &[
            "bb-cooker",
            "bb-data",
            "bb-events",
            "bb-fetch",
            "bb-package",
            "bb-pyexpr",
            "bb-python",
            "bb-runqueue",
            "bb-siggen",
            "bb-sstate",
            "bb-taskgraph",
            "bb-util",
        ],
    ),
    ("bb-toaster", &["bb-events", "bb-util"]),
    ("bake-hashserv", &["bb-sstate"]),
    ("toaster-web", &["bb-events", "bb-toaster", "bb-util"]),
    (
        "bake",
        &[
            "bake-hashserv",
            "bb-cooker",
            "bb-data",
            "bb-events",
            "bb-package",
            "bb-parse",
            "bb-pyexpr",
            "bb-python",
            "bb-runqueue",
            "bb-session",
            "bb-siggen",
            "bb-sstate",
            "bb-taskgraph",
            "bb-toaster",
            "bb-util",
        ],
    ),
    (
        "toaster-manage",
        &["bb-events", "bb-toaster", "bb-util", "toaster-web"],
    ),
    ("lsupdates", &["bb-toaster", "bb-util"]),
];

/// External crates allowed only in the listed workspace crates.
const CONFINED: &[(&str, &[&str])] = &[
    ("tokio", &["toaster-web"]),
    ("axum", &["toaster-web"]),
    (
        "clap",
        &["bake", "toaster-manage", "lsupdates", "bake-hashserv"],
    ),
    ("anyhow", &["bake", "toaster-manage", "lsupdates"]),
];

fn metadata() -> serde_json::Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(&root)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata is JSON")
}

/// A package: name, manifest directory, normal dependencies as (name, is a path
/// dependency, i.e. a workspace crate).
type Package = (String, PathBuf, Vec<(String, bool)>);

fn packages() -> Vec<Package> {
    let m = metadata();
    let mut out = Vec::new();
    for p in m["packages"].as_array().expect("packages") {
        let name = p["name"].as_str().expect("name").to_owned();
        let manifest = PathBuf::from(p["manifest_path"].as_str().expect("manifest"));
        let dir = manifest.parent().expect("manifest dir").to_owned();
        let deps = p["dependencies"]
            .as_array()
            .expect("deps")
            .iter()
            .filter(|d| d["kind"].is_null())
            .map(|d| {
                (
                    d["name"].as_str().expect("dep name").to_owned(),
                    d["path"].is_string(),
                )
            })
            .collect();
        out.push((name, dir, deps));
    }
    assert!(out.len() >= 10, "found {} packages", out.len());
    out
}

#[test]
fn no_crate_depends_on_one_above_it() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut checked = 0;
    let mut bad = Vec::new();
    for (name, _, deps) in packages() {
        if name == "benches" {
            continue;
        }
        let Some(ok) = allowed.get(name.as_str()) else {
            panic!(
                "crate `{name}` has no row in ALLOWED (tests/layering.rs): give it its place in the layering and document it in ARCHITECTURE.md"
            );
        };
        for (dep, local) in &deps {
            if *local && !ok.contains(&dep.as_str()) {
                bad.push(format!(
                    "`{name}` depends on `{dep}`, which its layer may not use"
                ));
            }
        }
        checked += 1;
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(checked >= 10);
}

#[test]
fn confined_external_crates_stay_where_they_belong() {
    for (name, _, deps) in packages() {
        for (dep, where_) in CONFINED {
            if deps.iter().any(|(d, _)| d == dep) {
                assert!(
                    where_.contains(&name.as_str()),
                    "`{name}` depends on `{dep}`, allowed only in {where_:?}"
                );
            }
        }
    }
}

#[test]
fn every_crate_inherits_the_workspace_settings() {
    for (name, dir, _) in packages() {
        let text = fs_err::read_to_string(dir.join("Cargo.toml")).expect("manifest");
        assert!(
            text.contains("rust-version.workspace = true"),
            "`{name}` does not inherit rust-version"
        );
        assert!(
            text.contains("[lints]\nworkspace = true"),
            "`{name}` does not use the workspace lints"
        );
        for line in text.lines() {
            let l = line.trim();
            // A version written here instead of in [workspace.dependencies].
            let versioned = l.contains("version = \"")
                || (l.contains(" = \"")
                    && !l.starts_with("name")
                    && !l.starts_with("description")
                    && !l.starts_with("path")
                    && !l.starts_with("default-run")
                    && !l.starts_with("harness")
                    && !l.starts_with("required-features")
                    && !l.starts_with("doc")
                    && !l.starts_with("test")
                    && !l.starts_with('#'));
            assert!(
                !versioned,
                "`{name}`: `{l}`: declare the version once in [workspace.dependencies]"
            );
        }
    }
}

/// The identifiers a crate's code uses: every word of its `.rs` files.
fn words_of(dir: &Path) -> std::collections::HashSet<String> {
    let mut set = std::collections::HashSet::new();
    for sub in ["src", "build.rs"] {
        for e in walkdir::WalkDir::new(dir.join(sub)).into_iter().flatten() {
            if e.path().extension().is_some_and(|x| x == "rs") {
                let text = fs_err::read_to_string(e.path()).expect("source");
                for w in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                    set.insert(w.to_owned());
                }
            }
        }
    }
    set
}

#[test]
fn no_unused_dependency_edges() {
    let mut checked = 0;
    let mut bad = Vec::new();
    for (name, dir, deps) in packages() {
        let words = words_of(&dir);
        for (dep, _) in &deps {
            let ident = match dep.as_str() {
                "md-5" => "md5".to_owned(),
                d => d.replace('-', "_"),
            };
            if !words.contains(&ident) {
                bad.push(format!(
                    "`{name}` declares `{dep}` but its code never names `{ident}`"
                ));
            }
            checked += 1;
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(checked > 20, "checked {checked} edges");
}
