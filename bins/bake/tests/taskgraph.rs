//! Runs every command of every case of `testdata/taskgraph/` (and the `-g` commands of
//! `testdata/build-hello` and `testdata/build-real`) with `bake` and compares the result
//! with what real BitBake did (`expected/`, made by the `gen-expected.sh` scripts):
//!
//! * the exit status;
//! * `task-depends.dot` and `pn-buildlist` byte for byte (case path as `@CASE@`), and that
//!   no file is written when BitBake wrote none;
//! * every `ERROR:` / `WARNING:` record with its continuation lines;
//! * for builds: the `Running [noexec] task N of M (...)` lines in order and the
//!   `Tasks Summary` line (the cases build with `BB_NUMBER_THREADS = "1"`).
//!
//! Known differences are listed in `testdata/taskgraph/known-differences.txt` as
//! `case NN what` lines. All mismatches are collected and reported together.

use std::path::{Path, PathBuf};
use std::process::Command;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("invariant: temp dir");
    for e in std::fs::read_dir(from).expect("invariant: testdata is readable") {
        let e = e.expect("invariant: dir entry");
        let p = e.path();
        let name = e.file_name();
        if name == "expected" || name == "tmp" || name == "cache" || name == "downloads" {
            continue;
        }
        if p.is_dir() {
            copy_dir(&p, &to.join(&name));
        } else {
            std::fs::copy(&p, to.join(&name)).expect("invariant: copy");
        }
    }
}

/// The records of one level (`ERROR`, `WARNING`) with their continuation lines: a record
/// runs until the next line that starts with a level or a known status prefix.
fn records(text: &str, level: &str) -> Vec<String> {
    let starts = |l: &str| {
        ["ERROR:", "WARNING:", "NOTE:", "Summary:", "Loading", "Loaded", "Parsing"]
            .iter()
            .any(|p| l.starts_with(p))
            || l.starts_with("Initialising")
            // BitBake's "Initialising tasks..." status ends on its own line when a
            // note came in between.
            || l == "done."
    };
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in text.lines() {
        if starts(line) {
            if let Some(c) = cur.take() {
                out.push(c.trim_end().to_owned());
            }
            if line.starts_with(&format!("{level}:")) {
                cur = Some(line.to_owned());
            }
        } else if let Some(c) = cur.as_mut() {
            c.push('\n');
            c.push_str(line);
        }
    }
    if let Some(c) = cur {
        out.push(c.trim_end().to_owned());
    }
    out.sort();
    out
}

fn running_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| {
            l.starts_with("NOTE: Running task")
                || l.starts_with("NOTE: Running noexec task")
                || l.starts_with("NOTE: Tasks Summary")
        })
        .map(str::to_owned)
        .collect()
}

struct Mismatches(Vec<String>);

impl Mismatches {
    fn check(&mut self, known: &str, what: &str, ok: bool, detail: impl FnOnce() -> String) {
        if !ok && !known.lines().any(|l| l.trim() == what) {
            self.0.push(format!("{what}:\n{}", detail()));
        }
    }
}

fn run(case_dir: &Path, args: &[&str], bbpath: bool) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bake"));
    cmd.args(args)
        .current_dir(case_dir)
        .env("BAKE_NO_PROGRESS", "1")
        .env_remove("BBPATH");
    if bbpath {
        cmd.env("BBPATH", case_dir);
    }
    let out = cmd.output().expect("invariant: bake runs");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

fn compare_graph(
    m: &mut Mismatches,
    known: &str,
    label: &str,
    exp_dir: &Path,
    nn: &str,
    dst: &Path,
) {
    let case = dst.to_string_lossy().into_owned();
    for file in ["task-depends.dot", "pn-buildlist"] {
        let expected = std::fs::read_to_string(exp_dir.join(format!("{nn}.{file}")))
            .ok()
            .map(|t| t.replace("@CASE@", &case));
        let ours = std::fs::read_to_string(dst.join(file)).ok();
        let what = format!("{label} {file}");
        m.check(known, &what, expected == ours, || {
            match (&expected, &ours) {
                (Some(e), Some(o)) => format!("--- expected\n{e}--- bake\n{o}"),
                (Some(_), None) => "bake wrote no file".to_owned(),
                (None, Some(_)) => "bake wrote the file, BitBake did not".to_owned(),
                (None, None) => String::new(),
            }
        });
    }
}

#[test]
fn taskgraph_corpus_matches_bitbake() {
    let root = testdata().join("taskgraph");
    let known = std::fs::read_to_string(root.join("known-differences.txt")).unwrap_or_default();
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("taskgraph");
    let _ = std::fs::remove_dir_all(&tmp);
    let mut m = Mismatches(Vec::new());
    let mut commands = 0;
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("invariant: corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("commands.txt").exists())
        .collect();
    cases.sort();
    for src in cases {
        let name = src
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dst = tmp.join(&name);
        copy_dir(&src, &dst);
        let list = std::fs::read_to_string(src.join("commands.txt")).expect("invariant: list");
        for (n, line) in list.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            commands += 1;
            let nn = format!("{:02}", n + 1);
            let label = format!("{name} {nn}");
            for f in ["task-depends.dot", "pn-buildlist"] {
                let _ = std::fs::remove_file(dst.join(f));
            }
            let _ = std::fs::remove_dir_all(dst.join("cache"));
            let args: Vec<&str> = line.split_whitespace().collect();
            let (code, text) = run(&dst, &args, true);
            let expected = std::fs::read_to_string(src.join(format!("expected/{nn}.txt")))
                .expect("invariant: expected output")
                .replace("@CASE@", &dst.to_string_lossy());
            let exp_code: i32 = expected
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("# exit: "))
                .and_then(|c| c.trim().parse().ok())
                .unwrap_or(0);
            m.check(&known, &format!("{label} exit"), code == exp_code, || {
                format!("exit {code}, BitBake {exp_code} ({line})\n{text}")
            });
            compare_graph(&mut m, &known, &label, &src.join("expected"), &nn, &dst);
            for level in ["ERROR", "WARNING"] {
                let (e, o) = (records(&expected, level), records(&text, level));
                m.check(&known, &format!("{label} {level}"), e == o, || {
                    format!("expected:\n{}\nbake:\n{}", e.join("\n"), o.join("\n"))
                });
            }
            if !args.contains(&"-g") {
                let (e, o) = (running_lines(&expected), running_lines(&text));
                m.check(&known, &format!("{label} tasks"), e == o, || {
                    format!("expected:\n{}\nbake:\n{}", e.join("\n"), o.join("\n"))
                });
            }
        }
    }
    // The -g commands of the example build directories.
    for case in ["build-hello", "build-real"] {
        let src = testdata().join(case);
        let dst = tmp.join(case);
        copy_dir(&src, &dst);
        // They name bake's own layer relative to TOPDIR (../../meta).
        copy_dir(&testdata().join("../meta"), &tmp.join("../meta"));
        let list = std::fs::read_to_string(src.join("targets.txt")).expect("invariant: targets");
        for (n, line) in list
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .enumerate()
        {
            commands += 1;
            let nn = format!("{:02}", n + 1);
            let mut args = vec!["-g"];
            args.extend(line.split_whitespace());
            let (code, text) = run(&dst, &args, false);
            let label = format!("{case} {nn}");
            m.check(&known, &format!("{label} exit"), code == 0, || text.clone());
            compare_graph(&mut m, &known, &label, &src.join("expected"), &nn, &dst);
        }
    }
    assert!(commands > 0, "the corpus ran no command");
    assert!(
        m.0.is_empty(),
        "{} of {commands} commands differ from BitBake:\n\n{}",
        m.0.len(),
        m.0.join("\n\n")
    );
}
