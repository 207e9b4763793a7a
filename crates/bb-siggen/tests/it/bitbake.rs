//! Our dependency sets against real BitBake's (`bitbake -S none hello` on
//! `tests/data/layer`, then `bitbake-dumpsig` of each sig data file): the dependency
//! closure, the per-variable dependency lists, the values, the base hash and the task
//! hash made of it and BitBake's dependency hashes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn data(rel: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel);
    fs_err::read_to_string(p).unwrap()
}

/// A Python list of plain strings, as `bitbake-dumpsig` prints it.
fn py_list(s: &str) -> BTreeSet<String> {
    let inner = s.trim().trim_start_matches('[').trim_end_matches(']');
    inner
        .split(", ")
        .filter(|x| !x.is_empty())
        .map(|x| x.trim_matches('\'').to_owned())
        .collect()
}

struct Dump {
    basehash: String,
    dep_hashes: Vec<(String, String)>,
    taskhash: String,
    taskdeps: BTreeSet<String>,
    gendeps: BTreeMap<String, BTreeSet<String>>,
    varvals: BTreeMap<String, String>,
}

fn read_dump(task: &str) -> Dump {
    let text = data(&format!("bitbake/{task}.dumpsig"));
    let mut taskdeps = BTreeSet::new();
    let mut basehash = String::new();
    let mut dep_hashes = Vec::new();
    let mut taskhash = String::new();
    let mut gendeps = BTreeMap::new();
    let mut varvals: BTreeMap<String, String> = BTreeMap::new();
    // A value runs over several lines, up to the next `Variable ` line or the task part.
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with("Tasks this task depends on") {
            current = None;
        } else if let Some(rest) = line.strip_prefix("Variable ") {
            let (var, val) = rest.split_once(" value is ").unwrap();
            varvals.insert(var.to_owned(), val.to_owned());
            current = Some(var.to_owned());
            continue;
        } else if let Some(var) = &current {
            let v = varvals.get_mut(var).unwrap();
            v.push('\n');
            v.push_str(line);
            continue;
        }
        if let Some(rest) = line.strip_prefix("Hash for dependent task ") {
            let (dep, h) = rest.split_once(" is ").unwrap();
            dep_hashes.push((dep.to_owned(), h.to_owned()));
        } else if let Some(rest) = line.strip_prefix("Computed task hash is ") {
            taskhash = rest.to_owned();
        } else if let Some(rest) = line.strip_prefix("basehash: ") {
            basehash = rest.to_owned();
        } else if let Some(rest) = line.strip_prefix("Task dependencies: ") {
            taskdeps = py_list(rest);
        } else if let Some(rest) = line.strip_prefix("List of dependencies for variable ") {
            let (var, list) = rest.split_once(" is ").unwrap();
            gendeps.insert(var.to_owned(), py_list(list));
        }
    }
    Dump {
        basehash,
        dep_hashes,
        taskhash,
        taskdeps,
        gendeps,
        varvals,
    }
}

#[test]
fn dependency_sets_match_bitbake() {
    let d = crate::recipe_with(
        &data("layer/conf/bitbake.conf"),
        &data("layer/classes/base.bbclass"),
        &data("layer/recipes/hello.bb"),
        // The environment BitBake ran with (exported by default: LC_ALL, PWD, SHELL).
        &[
            ("LC_ALL", "en_US.UTF-8"),
            ("PWD", "/tmp/sigbuild"),
            ("SHELL", "/bin/bash"),
            ("HOME", "/root"),
            ("PATH", "/usr/bin:/bin"),
        ],
    );
    let sigs = bb_siggen::task_basehashes(&d, &[]).unwrap();
    let mut tasks: Vec<&String> = sigs.keys().collect();
    tasks.sort();
    assert_eq!(
        tasks,
        [
            "do_build",
            "do_compile",
            "do_configure",
            "do_install",
            "do_listing",
            "do_package"
        ]
    );
    for (task, sig) in &sigs {
        let want = read_dump(task);
        assert_eq!(sig.taskdeps, want.taskdeps, "closure of {task}");
        for (var, deps) in &want.gendeps {
            assert_eq!(&sig.gendeps[var], deps, "dependencies of {var} (in {task})");
        }
        for (var, val) in &want.varvals {
            if ["PWD", "HOME", "PATH"].contains(&var.as_str()) {
                continue;
            }
            let ours = sig.varvals[var].as_deref().unwrap_or("None");
            assert_eq!(ours, val, "value of {var} (in {task})");
        }
        assert_eq!(sig.basehash, want.basehash, "basehash of {task}");
        let deps: Vec<(&str, &str)> = want
            .dep_hashes
            .iter()
            .map(|(d, h)| (d.as_str(), h.as_str()))
            .collect();
        assert_eq!(
            bb_siggen::taskhash(&sig.basehash, &deps, &[], None),
            want.taskhash,
            "taskhash of {task}"
        );
    }
}
