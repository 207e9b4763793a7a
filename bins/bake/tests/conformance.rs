//! Runs `bake -e` on every case of `testdata/conformance/` and compares its
//! `VAR="value"` lines with those real BitBake printed for the same files
//! (`expected.txt`, produced by the script described in that folder's README).
//!
//! Variables whose value depends on the machine or on BitBake's own process
//! (PATH, BB_CMDLINE, BB_ORIGENV) are not compared. Known differences are listed, with
//! a reason, in `testdata/conformance/known-differences.txt`; any other difference fails.
#![expect(
    clippy::disallowed_methods,
    reason = "test inputs are written directly"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

const NOT_COMPARED: &[&str] = &["PATH", "BB_CMDLINE", "BB_ORIGENV"];

#[path = "support/env_values.rs"]
mod env_values;

use env_values::{value_lines, variable_section};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/conformance")
}

fn known_differences() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(corpus().join("known-differences.txt")).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let first = l.split_whitespace().next()?;
            let (case, var) = first.split_once(':')?;
            Some((case.to_owned(), var.to_owned()))
        })
        .collect()
}

fn run_case(dir: &Path) -> (bool, String, String) {
    let cmd =
        std::fs::read_to_string(dir.join("cmd")).expect("invariant: every case has a cmd file");
    let args: Vec<&str> = cmd.split_whitespace().collect();
    let out = Command::new(env!("CARGO_BIN_EXE_bake"))
        .args(&args)
        .current_dir(dir)
        .env_clear()
        .env("BBPATH", dir)
        .env("BB_ENV_PASSTHROUGH_ADDITIONS", "BBPATH PYTHONHASHSEED")
        .env("PYTHONHASHSEED", "0")
        .env("HOME", "/root")
        .env("LC_ALL", "en_US.UTF-8")
        .env("PATH", "/usr/bin:/bin")
        .env("PWD", dir)
        .output()
        .expect("invariant: the bake binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout)
        .replace(&dir.to_string_lossy().into_owned(), "@CASEDIR@");
    let stderr = String::from_utf8_lossy(&out.stderr)
        .replace(&dir.to_string_lossy().into_owned(), "@CASEDIR@");
    (out.status.success(), stdout, stderr)
}

#[test]
fn conformance_corpus_matches_bitbake() {
    let root = corpus()
        .canonicalize()
        .expect("invariant: the corpus exists");
    let known = known_differences();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("invariant: corpus readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("cmd").is_file())
        .collect();
    cases.sort();
    let (mut total, mut matched, mut failures) = (0usize, 0usize, Vec::new());
    for dir in &cases {
        let case = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_owned();
        let expected = std::fs::read_to_string(dir.join("expected.txt")).unwrap_or_default();
        let (ok, stdout, stderr) = run_case(dir);
        if dir.join("expect-error").exists() {
            total += 1;
            if ok {
                if !known.contains(&(case.clone(), "*".to_owned())) {
                    failures.push(format!(
                        "{case}: BitBake fails on this case but bake succeeded"
                    ));
                }
            } else {
                matched += 1;
            }
            continue;
        }
        if !ok {
            total += 1;
            if !known.contains(&(case.clone(), "*".to_owned())) {
                failures.push(format!("{case}: bake failed: {}", stderr.trim()));
            }
            continue;
        }
        let want = value_lines(variable_section(&expected));
        let got = value_lines(variable_section(&stdout));
        for (name, line) in &want {
            if NOT_COMPARED.contains(&name.as_str()) {
                continue;
            }
            total += 1;
            if got.get(name) == Some(line) {
                matched += 1;
            } else if !known.contains(&(case.clone(), name.clone()))
                && !known.contains(&(case.clone(), "*".to_owned()))
            {
                failures.push(format!(
                    "{case}: {name}\n    bitbake: {line}\n    bake:    {}",
                    got.get(name).map_or("(missing)", String::as_str)
                ));
            }
        }
        for name in got.keys() {
            if !want.contains_key(name) && !NOT_COMPARED.contains(&name.as_str()) {
                total += 1;
                if !known.contains(&(case.clone(), name.clone()))
                    && !known.contains(&(case.clone(), "*".to_owned()))
                {
                    failures.push(format!("{case}: {name} printed by bake but not by bitbake"));
                }
            }
        }
    }
    assert!(total > 0 && !cases.is_empty(), "the corpus ran no case");
    std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("conformance-summary.txt"),
        format!(
            "{matched}/{total} value lines match over {} cases\n{}",
            cases.len(),
            failures.join("\n")
        ),
    )
    .ok();
    assert!(
        failures.is_empty(),
        "{matched}/{total} value lines match; differences:\n{}",
        failures.join("\n")
    );
}
