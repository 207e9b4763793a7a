//! Runs every command of every case of `testdata/cooker/` with bake's binaries and compares
//! the result with what real BitBake printed for the same command (`expected/NN.txt`,
//! produced by `testdata/cooker/gen-expected.sh`). The comparison rules are described in
//! `testdata/cooker/README.md`; in short:
//!
//! * `bitbake -p`: exit status, the `Parsing of N .bb files complete (...)` line, messages;
//! * `bitbake -e ...`: the `VAR="value"` lines (as in `conformance.rs`), messages;
//! * `bitbake-layers ...`, `bitbake-getvar ...`: the whole text after dropping progress noise
//!   (`bitbake-layers`: runs of blanks count as one blank);
//! * failing commands: non-zero exit and every essential message of BitBake's output;
//! * `add-layer` / `remove-layer`: also `build/conf/bblayers.conf` afterwards, byte for byte.
//!
//! Every mismatch of every case is collected; the test fails once at the end with all of
//! them and a count (also written to `$CARGO_TARGET_TMPDIR/cooker-summary.txt`).
//! `BAKE_COOKER_CASES=case1,case2` restricts the run to those cases.
#![expect(
    clippy::disallowed_methods,
    reason = "test inputs are written directly"
)]

#[path = "support/env_values.rs"]
mod env_values;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `bitbake -e` variables whose value comes from the calling process or environment; the
/// oracle ran with a different environment (see the README), so they are not compared.
const NOT_COMPARED: &[&str] = &[
    "PATH",
    "BB_CMDLINE",
    "BB_ORIGENV",
    "LC_ALL",
    "PWD",
    "PYTHONHASHSEED",
    "BB_ENV_PASSTHROUGH_ADDITIONS",
];

/// How long one command may run before it is killed and reported.
const TIMEOUT: Duration = Duration::from_secs(120);

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cooker")
}

/// The binary standing in for a BitBake tool. `bake-layers` and `bake-getvar` are looked up
/// with `option_env!`, so this file compiles before those `[[bin]]` targets exist; a command
/// needing a missing binary is reported as a mismatch.
fn binary(tool: &str) -> Result<&'static str, String> {
    match tool {
        "bitbake" => Ok(env!("CARGO_BIN_EXE_bake")),
        "bitbake-layers" => option_env!("CARGO_BIN_EXE_bake-layers")
            .ok_or_else(|| "binary bake-layers is not built (no [[bin]] target)".to_owned()),
        "bitbake-getvar" => option_env!("CARGO_BIN_EXE_bake-getvar")
            .ok_or_else(|| "binary bake-getvar is not built (no [[bin]] target)".to_owned()),
        other => Err(format!("unknown tool {other} in commands.txt")),
    }
}

// ---------------------------------------------------------------------------------------------
// Normalization

/// Replaces the absolute case directory by `@CASE@` (and its `_`-translated form, part of
/// anonymous function names, by `@CASE_TR@`).
fn normalize_paths(text: &str, case_dir: &Path) -> String {
    let mut out = text.to_owned();
    let mut dirs = vec![case_dir.to_string_lossy().into_owned()];
    if let Ok(c) = case_dir.canonicalize() {
        let c = c.to_string_lossy().into_owned();
        if !dirs.contains(&c) {
            dirs.push(c);
        }
    }
    // longest first, so that a canonical path that extends another is replaced whole
    dirs.sort_by_key(|d| std::cmp::Reverse(d.len()));
    for d in &dirs {
        out = out.replace(d.as_str(), "@CASE@");
        let tr: String = d
            .chars()
            .map(|c| if "/.+@%&~-".contains(c) { '_' } else { c })
            .collect();
        out = out.replace(&tr, "@CASE_TR@");
    }
    out
}

/// Progress and banner output of BitBake's user interfaces, dropped on both sides: it says
/// nothing about the metadata, and bake need not imitate it.
fn is_noise(line: &str) -> bool {
    const NOISE: &[&str] = &[
        "NOTE: Starting bitbake server...",
        "NOTE: Reconnecting to bitbake server...",
        "NOTE: Retrying server connection",
        "NOTE: Resolving any missing task queue dependencies",
        "Loading cache...done.",
        "Parsing recipes...done.",
    ];
    let t = line.trim_end();
    NOISE.iter().any(|n| t.starts_with(n))
        || (t.starts_with("Loaded ") && t.ends_with(" entries from dependency cache."))
}

/// Output lines without noise. A progress prefix glued to a message (`Parsing recipes...ERROR:
/// ...`, the progress bar is not finished when the error is logged) is cut off.
fn clean_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut l = line;
        for prefix in ["Loading cache...", "Parsing recipes..."] {
            match l.strip_prefix(prefix) {
                Some(rest) if !rest.is_empty() && !rest.starts_with("done.") => l = rest,
                _ => {}
            }
        }
        if is_noise(l) {
            continue;
        }
        out.push(l.trim_end().to_owned());
    }
    out
}

fn collapse_blanks(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------------------------
// Messages

/// The messages a command must reproduce: each `ERROR:`/`WARNING:` line, and `NOTE:` lines
/// other than noise, with the lines that continue it (following lines that are not empty and
/// don't start a new message, a traceback, a progress line, a comment or a variable). Text is
/// compared with runs of blanks collapsed. Duplicates count once.
fn messages(lines: &[String]) -> Vec<String> {
    fn starts_message(l: &str) -> bool {
        l.starts_with("ERROR:") || l.starts_with("WARNING:") || l.starts_with("NOTE:")
    }
    fn ends_message(l: &str) -> bool {
        l.is_empty()
            || starts_message(l)
            || l.starts_with('#')
            || l.starts_with("Traceback ")
            || l.starts_with("  File ")
            || l.starts_with("Parsing of ")
            || l.starts_with("Summary: ")
            || l.starts_with("DEBUG:")
            || l.starts_with("export ")
            || l.starts_with("During handling")
            || l.starts_with("===")
            || is_value_line(l)
    }
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = &lines[i];
        i += 1;
        if !starts_message(l) {
            continue;
        }
        let mut msg = collapse_blanks(l);
        while i < lines.len() && !ends_message(&lines[i]) {
            msg.push('\n');
            msg.push_str(&collapse_blanks(&lines[i]));
            i += 1;
        }
        if !out.contains(&msg) {
            out.push(msg);
        }
    }
    out
}

fn is_value_line(l: &str) -> bool {
    match l.split_once('=') {
        Some((n, rest)) => {
            rest.starts_with('"')
                && !n.is_empty()
                && !n.contains(' ')
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-:/.${}+~".contains(c))
        }
        None => false,
    }
}

/// BitBake's closing record after a recipe fails to parse; bake parses the other recipes
/// instead of halting (docs/compat.md), so a case may list `NN:halt` to not expect it.
const HALTED: &str = "ERROR: Parsing halted due to errors, see error messages above";

fn check_messages(want: &[String], got: &[String], halt_differs: bool, problems: &mut Vec<String>) {
    let got_msgs = messages(got);
    for m in messages(want) {
        if halt_differs && m == HALTED {
            continue;
        }
        if !got_msgs.contains(&m) {
            problems.push(format!("missing message:\n{}", indent(&m, "      ")));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// `bitbake -e` values (the same reading as conformance.rs)

/// name -> whole statement, up to the first function of the dump.
fn value_lines(out: &str) -> BTreeMap<String, String> {
    env_values::value_lines(env_values::variable_section(out))
}

// ---------------------------------------------------------------------------------------------
// Known differences

/// `known-differences.txt` of a case: lines `KEY reason...`, KEY one of `NN:VAR` / `*:VAR` (don't compare variable VAR of `-e` command NN / of every command),
/// `NN:messages` (don't check messages), `NN:bblayers` (don't compare bblayers.conf).
struct Known(BTreeSet<String>);

impl Known {
    fn load(case_dir: &Path) -> Known {
        let text = fs::read_to_string(case_dir.join("known-differences.txt")).unwrap_or_default();
        Known(
            text.lines()
                .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
                .inspect(|k| {
                    // A known difference never skips running bake.
                    assert!(
                        !k.ends_with(":*"),
                        "{}: `{k}` would skip a command",
                        case_dir.display()
                    );
                })
                .collect(),
        )
    }
    fn has(&self, nn: &str, what: &str) -> bool {
        self.0.contains(&format!("{nn}:{what}")) || self.0.contains(&format!("*:{what}"))
    }
}

// ---------------------------------------------------------------------------------------------
// Running

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("invariant: temp dir writable");
    for entry in fs::read_dir(from).expect("invariant: case readable") {
        let entry = entry.expect("invariant: case readable");
        let path = entry.path();
        let name = entry.file_name();
        if name == "expected" {
            continue;
        }
        let ty = entry.file_type().expect("invariant: file type");
        if ty.is_dir() {
            copy_dir(&path, &to.join(&name));
        } else if ty.is_file() {
            fs::copy(&path, to.join(&name)).expect("invariant: copy");
        }
    }
}

/// Runs one command in `build/`; stdout and stderr go to one file so that their interleaving
/// is kept, as in the expected output (`2>&1`).
fn run(work: &Path, nn: &str, exe: &str, args: &[&str]) -> Result<(i32, String), String> {
    let build = work.join("build");
    let _ = fs::remove_dir_all(build.join("cache"));
    let _ = fs::remove_dir_all(build.join("tmp"));
    let out_path = work.join(format!("out-{nn}.txt"));
    let file = fs::File::create(&out_path).map_err(|e| e.to_string())?;
    let file2 = file.try_clone().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args(args)
        .current_dir(&build)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", "/root")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(file2))
        .spawn()
        .map_err(|e| format!("cannot start {exe}: {e}"))?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(s) => break s,
            None if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {}s", TIMEOUT.as_secs()));
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    let bytes = fs::read(&out_path).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&bytes);
    Ok((status.code().unwrap_or(-1), normalize_paths(&text, work)))
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Parse,
    Env,
    Exact { collapse: bool },
    Error,
}

fn mode_of(words: &[&str], expected_exit: i32, expected: &str) -> Mode {
    let tool = words[0];
    let traceback = expected.contains("Traceback (most recent call last)");
    if expected_exit != 0 && (tool == "bitbake" || traceback || expected.contains("ERROR:")) {
        return Mode::Error;
    }
    match tool {
        "bitbake" if words.contains(&"-e") => Mode::Env,
        "bitbake" => Mode::Parse,
        "bitbake-layers" => Mode::Exact { collapse: true },
        _ => Mode::Exact { collapse: false },
    }
}

/// A line diff (longest common subsequence), `-` for BitBake's lines and `+` for bake's.
fn diff(want: &[String], got: &[String]) -> String {
    let (n, m) = (want.len(), got.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if want[i] == got[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < n || j < m {
        if i < n && j < m && want[i] == got[j] {
            out.push_str(&format!("       {}\n", want[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("    +  {}\n", got[j]));
            j += 1;
        } else {
            out.push_str(&format!("    -  {}\n", want[i]));
            i += 1;
        }
    }
    out
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|l| format!("{prefix}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Compares one command; returns the list of problems (empty: it matches).
fn compare(
    words: &[&str],
    nn: &str,
    expected_text: &str,
    ours: &str,
    our_exit: i32,
    known: &Known,
) -> Vec<String> {
    let mut problems = Vec::new();
    let (first, rest) = expected_text
        .split_once('\n')
        .unwrap_or((expected_text, ""));
    let expected_exit: i32 = first
        .strip_prefix("# exit: ")
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or(0);
    let mode = mode_of(words, expected_exit, rest);
    let want = clean_lines(rest);
    let got = clean_lines(ours);
    match mode {
        Mode::Error => {
            if our_exit == 0 {
                problems.push(format!(
                    "BitBake fails (exit {expected_exit}) but bake exits 0"
                ));
            }
        }
        Mode::Exact { .. } => {
            if our_exit != expected_exit {
                problems.push(format!(
                    "exit status {our_exit}, BitBake's was {expected_exit}"
                ));
            }
        }
        Mode::Parse | Mode::Env => {
            if our_exit != 0 {
                problems.push(format!("exit status {our_exit}, BitBake's was 0"));
            }
        }
    }
    if matches!(mode, Mode::Parse | Mode::Env | Mode::Error) && !known.has(nn, "messages") {
        check_messages(&want, &got, known.has(nn, "halt"), &mut problems);
    }
    let summary = want.iter().find(|l| l.starts_with("Parsing of "));
    let check_summary = matches!(mode, Mode::Parse | Mode::Error) && !known.has(nn, "summary");
    match summary {
        Some(s) if check_summary && !got.contains(s) => {
            let ours = got.iter().find(|l| l.starts_with("Parsing of "));
            problems.push(format!(
                "summary line differs\n      bitbake: {s}\n      bake:    {}",
                ours.map_or("(missing)", String::as_str)
            ));
        }
        _ => {}
    }
    match mode {
        Mode::Env => {
            let want_vals = value_lines(rest);
            let got_vals = value_lines(ours);
            for (name, line) in &want_vals {
                if NOT_COMPARED.contains(&name.as_str()) || known.has(nn, name) {
                    continue;
                }
                if got_vals.get(name) != Some(line) {
                    problems.push(format!(
                        "{name}\n      bitbake: {line}\n      bake:    {}",
                        got_vals.get(name).map_or("(missing)", String::as_str)
                    ));
                }
            }
            for name in got_vals.keys() {
                if !want_vals.contains_key(name)
                    && !NOT_COMPARED.contains(&name.as_str())
                    && !known.has(nn, name)
                {
                    problems.push(format!("{name} printed by bake but not by BitBake"));
                }
            }
        }
        Mode::Exact { collapse } => {
            // BitBake's tools print the configuration warnings of the server only in some
            // runs: they must appear in ours, but are not part of the exact text.
            if !known.has(nn, "messages") {
                let ours: BTreeSet<String> = got.iter().map(|l| collapse_blanks(l)).collect();
                let mut seen = BTreeSet::new();
                for w in want.iter().filter(|l| l.starts_with("WARNING:")) {
                    let w = collapse_blanks(w);
                    if !ours.contains(&w) && seen.insert(w.clone()) {
                        problems.push(format!("missing message:\n      {w}"));
                    }
                }
            }
            let prep = |ls: &[String]| -> Vec<String> {
                ls.iter()
                    .filter(|l| !l.starts_with("WARNING:"))
                    .map(|l| {
                        if collapse {
                            collapse_blanks(l)
                        } else {
                            l.clone()
                        }
                    })
                    .collect()
            };
            let (w, g) = (prep(&want), prep(&got));
            if w != g {
                problems.push(format!(
                    "output differs (- BitBake, + bake):\n{}",
                    diff(&w, &g)
                ));
            }
        }
        Mode::Parse | Mode::Error => {}
    }
    problems
}

/// `BAKE_COOKER_CASES=layers,edit-layers cargo test --test cooker` runs only those cases.
fn selected(case_dir: &Path) -> bool {
    match std::env::var("BAKE_COOKER_CASES") {
        Ok(list) if !list.trim().is_empty() => {
            let name = case_dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
            for c in list.split(',') {
                assert!(
                    corpus().join(c.trim()).join("commands.txt").is_file(),
                    "BAKE_COOKER_CASES names `{}`, which is no case of testdata/cooker",
                    c.trim()
                );
            }
            list.split(',').any(|c| c.trim() == name)
        }
        _ => true,
    }
}

#[test]
fn cooker_corpus_matches_bitbake() {
    let root = corpus()
        .canonicalize()
        .expect("invariant: testdata/cooker exists");
    let mut cases: Vec<PathBuf> = fs::read_dir(&root)
        .expect("invariant: corpus readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("commands.txt").is_file())
        .filter(|p| selected(p))
        .collect();
    cases.sort();
    let scratch = std::env::temp_dir().join(format!("bake-cooker-test-{}", std::process::id()));
    let (mut total, mut failed) = (0usize, 0usize);
    let mut report: Vec<String> = Vec::new();
    let mut failed_cases = BTreeSet::new();
    for dir in &cases {
        let case = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_owned();
        let work = scratch.join(&case);
        let _ = fs::remove_dir_all(&work);
        copy_dir(dir, &work);
        let known = Known::load(dir);
        let commands = fs::read_to_string(dir.join("commands.txt")).unwrap_or_default();
        let mut n = 0;
        for line in commands.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            n += 1;
            let nn = format!("{n:02}");
            total += 1;
            let words: Vec<&str> = line.split_whitespace().collect();
            let expected_path = dir.join("expected").join(format!("{nn}.txt"));
            let problems = match fs::read_to_string(&expected_path) {
                Err(_) => vec![format!("no expected output {}", expected_path.display())],
                Ok(expected) => match binary(words[0]) {
                    Err(e) => vec![e],
                    Ok(exe) => match run(&work, &nn, exe, &words[1..]) {
                        Err(e) => vec![e],
                        Ok((code, ours)) => {
                            let mut p = compare(&words, &nn, &expected, &ours, code, &known);
                            let conf = dir.join("expected").join(format!("{nn}.bblayers.conf"));
                            if conf.is_file() && !known.has(&nn, "bblayers") {
                                let want = fs::read_to_string(&conf).unwrap_or_default();
                                let got = fs::read_to_string(work.join("build/conf/bblayers.conf"))
                                    .map(|t| normalize_paths(&t, &work))
                                    .unwrap_or_default();
                                if want != got {
                                    let w: Vec<String> = want.lines().map(str::to_owned).collect();
                                    let g: Vec<String> = got.lines().map(str::to_owned).collect();
                                    p.push(format!(
                                        "bblayers.conf afterwards differs (- BitBake, + bake):\n{}",
                                        diff(&w, &g)
                                    ));
                                }
                            }
                            p
                        }
                    },
                },
            };
            if !problems.is_empty() {
                failed += 1;
                failed_cases.insert(case.clone());
                let mut entry = format!("{case}/{nn} `{line}`:");
                for p in problems {
                    entry.push('\n');
                    entry.push_str(&indent(&format!("- {p}"), "  "));
                }
                report.push(entry);
            }
        }
    }
    let _ = fs::remove_dir_all(&scratch);
    let summary = format!(
        "{} of {total} commands match BitBake over {} cases ({failed} differ, in {} cases)",
        total - failed,
        cases.len(),
        failed_cases.len()
    );
    let _ = fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("cooker-summary.txt"),
        format!("{summary}\n\n{}\n", report.join("\n\n")),
    );
    assert!(total > 0, "no command ran: {summary}");
    assert!(
        failed == 0,
        "{summary}\n\n{}\n\n{summary}",
        report.join("\n\n")
    );
}

/// BB_DANGLINGAPPENDS_WARNONLY (a bake extension; BitBake c251833d fails, see the case's
/// `bitbake-p.txt`): appends that match no recipe are a warning and parsing succeeds.
#[test]
fn dangling_appends_warn_only_is_a_warning() {
    let case = corpus().join("dangling-append-warnonly");
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dangling-warnonly");
    let _ = fs::remove_dir_all(&work);
    copy_dir(&case, &work);
    for args in [&["-p"][..], &["-e", "hello"][..]] {
        let (code, out) =
            run(&work, "01", binary("bitbake").expect("bake"), args).expect("bake runs");
        assert_eq!(
            code, 0,
            "bake {args:?} succeeds with the variable set:\n{out}"
        );
        assert!(
            out.contains("WARNING: No recipes in default available for:"),
            "bake {args:?} warns:\n{out}"
        );
    }
    // Without the variable it is BitBake's error.
    let conf = work.join("build/conf/local.conf");
    let text = fs::read_to_string(&conf).expect("local.conf");
    fs::write(
        &conf,
        text.replace("BB_DANGLINGAPPENDS_WARNONLY = \"1\"", ""),
    )
    .expect("write");
    let (code, out) =
        run(&work, "01", binary("bitbake").expect("bake"), &["-p"]).expect("bake runs");
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("ERROR: No recipes in default available for:"),
        "{out}"
    );
}

#[cfg(test)]
mod unit {
    use super::*;

    fn lines(t: &str) -> Vec<String> {
        clean_lines(t)
    }

    #[test]
    fn progress_prefix_is_cut_and_noise_dropped() {
        let l = lines(
            "NOTE: Starting bitbake server...\nLoading cache...done.\nLoaded 0 entries from dependency cache.\nParsing recipes...ERROR: ParseError at x:2: unparsed line\n",
        );
        assert_eq!(
            l,
            vec!["ERROR: ParseError at x:2: unparsed line".to_owned()]
        );
    }

    #[test]
    fn messages_keep_continuation_lines() {
        let l = lines(
            "ERROR: Nothing PROVIDES 'legacy'\nlegacy was skipped: retired\nParsing of 1 .bb files complete (0 cached, 1 parsed). 1 targets, 1 skipped, 0 masked, 0 errors.\nERROR: No recipes in default available for:\n  /x/a.bbappend\n  /x/b.bbappend\n#\nFOO=\"1\"\n",
        );
        assert_eq!(
            messages(&l),
            vec![
                "ERROR: Nothing PROVIDES 'legacy'\nlegacy was skipped: retired".to_owned(),
                "ERROR: No recipes in default available for:\n/x/a.bbappend\n/x/b.bbappend"
                    .to_owned(),
            ]
        );
    }

    #[test]
    fn paths_are_normalized() {
        let d = Path::new("/tmp/x-1/case");
        assert_eq!(
            normalize_paths("/tmp/x-1/case/build __anon_3__tmp_x_1_case_build_a", d),
            "@CASE@/build __anon_3_@CASE_TR@_build_a"
        );
    }
}
