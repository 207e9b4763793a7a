//! Differential check of inline Python expressions against CPython: every case runs through
//! `bb_pyexpr::eval` and, in one batch, through `python3` (`testdata/bb-pyexpr/diff_cpython.py`,
//! BitBake's `better_eval` with the datastore of the fuzz target `pyexpr`). Prints every case
//! where bb-pyexpr gives a value or an exception that CPython does not give. `NeedsPython` is
//! never a mismatch; neither is a case on which CPython itself ran out of memory, recursion or
//! time (3 s per case), nor a result that only differs in the order of a set's items when
//! CPython's order depends on per-process str hashes (counted as `str-set-order`).
//!
//! Usage: `cargo run -p bb-pyexpr --example pyexpr-diff -- [OPTIONS] PATH...`
//! - a directory: every file in it is one case (raw bytes read as lossy UTF-8, as the fuzz
//!   targets read them), e.g. `fuzz/corpus/pyexpr`;
//! - a `.tsv` file: the first column of each line is one escaped case (the format of
//!   `--emit`, and of `testdata/bb-pyexpr/fuzz-differential.tsv`);
//! - `--lines FILE`: every line of FILE is one case, unescaped;
//! - any other file: its whole content is one case.
//!
//! Options: `--emit FILE` writes every case CPython answered (not `resource`) as a line of
//! `testdata/bb-pyexpr/fuzz-differential.tsv`: the escaped case, a mark saying what bb-pyexpr
//! must keep doing (`=` the same result, `~` an exception of the same class or a syntax
//! error, `!` NeedsPython is accepted), CPython's kind and its text (results over 1000 bytes
//! as kind `KIND-digest` and text `CHARS:FNV1A64HEX`); mismatching cases are left out. `--messages` also lists exceptions of the same
//! class whose messages differ. `--ours-only` prints bb-pyexpr's outcome of every case (case,
//! kind, text) without running CPython. Cases that take us over a second are named on stderr. `--python EXE` (default `/usr/bin/python3`, else `python3`), `--lib DIR` (repeatable;
//! default `/work/ext/bitbake/lib` and `/work/ext/oe-core/meta/lib`, put on CPython's path
//! for `bb` and `oe` when they exist).
//!
//! Escaping (cases and results): `\\`, `\n`, `\t`, `\r`, `\0`; a case's leading `#` is
//! written `\#` in `.tsv` files, whose comment lines start with `#`.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line report: mismatches on stdout, progress and totals on stderr"
)]

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use bb_pyexpr::EvalError;

/// The CPython half, embedded so that the example runs from any directory.
const PY_SCRIPT: &str = include_str!("../../../testdata/bb-pyexpr/diff_cpython.py");

/// How long CPython may stay silent on one case before its process is replaced (the script
/// times a case out itself after 3 s; this catches work that ignores signals).
const STALL: Duration = Duration::from_secs(20);

#[path = "../tests/support/diff_table.rs"]
mod diff_table;

use diff_table::{Vars, digest, escape, unescape};

/// Errors of this example are plain messages.
type Res<T> = Result<T, String>;

/// One side's outcome: kind (`ok`, `exc`, `syntax`, `needs`, `data`, `panic`, `resource`)
/// and text.
#[derive(Debug, Clone, PartialEq)]
struct Outcome {
    kind: String,
    text: String,
}

fn ours(case: &str) -> Outcome {
    let r = std::panic::catch_unwind(|| bb_pyexpr::eval(case, &Vars));
    let (kind, text) = match r {
        Err(_) => ("panic", String::new()),
        Ok(Ok(s)) => ("ok", s),
        Ok(Err(EvalError::Exception { kind, message })) => ("exc", format!("{kind}: {message}")),
        Ok(Err(EvalError::Syntax {
            message,
            unterminated_string,
        })) => (
            "syntax",
            format!("{} {message}", u8::from(unterminated_string)),
        ),
        Ok(Err(EvalError::NeedsPython { reason, .. })) => ("needs", reason),
        Ok(Err(EvalError::Data(m))) => ("data", m),
    };
    Outcome {
        kind: kind.to_owned(),
        text,
    }
}

/// Runs every case through CPython, restarting the process after a stall.
fn cpython(cases: &[String], python: &str, libs: &[PathBuf]) -> Res<Vec<Outcome>> {
    let mut results = Vec::with_capacity(cases.len());
    let scratch = std::env::temp_dir().join(format!("pyexpr-diff-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    while results.len() < cases.len() {
        let start = results.len();
        let rest: Vec<String> = cases[start..]
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{}\t{}", start + i, escape(c)))
            .collect();
        let mut child = Command::new(python)
            .arg("-c")
            .arg(PY_SCRIPT)
            .args(libs.iter().filter(|l| l.is_dir()))
            .current_dir(&scratch)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run {python}: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let writer = std::thread::spawn(move || {
            let mut w = std::io::BufWriter::new(stdin);
            for c in rest {
                if writeln!(w, "{c}").is_err() {
                    break;
                }
            }
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        loop {
            match rx.recv_timeout(STALL) {
                Ok(line) => {
                    let mut fields = line.splitn(3, '\t');
                    let number = fields.next().and_then(|n| n.parse::<usize>().ok());
                    if number != Some(results.len()) {
                        let _ = child.kill();
                        return Err(format!(
                            "cpython answered {line:?} for case {}",
                            results.len()
                        ));
                    }
                    let kind = fields.next().unwrap_or("");
                    let text = fields.next().unwrap_or("");
                    results.push(Outcome {
                        kind: kind.to_owned(),
                        text: unescape(text),
                    });
                    if results.len() == cases.len() {
                        break;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    results.push(Outcome {
                        kind: "resource".into(),
                        text: "stalled".into(),
                    });
                    break;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // The process died on this case (a crash or the kernel's OOM killer).
                    results.push(Outcome {
                        kind: "resource".into(),
                        text: "died".into(),
                    });
                    break;
                }
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        let _ = writer.join();
        eprintln!(
            "cpython: {} of {} cases answered",
            results.len(),
            cases.len()
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(results)
}

fn read_cases(paths: &[(bool, PathBuf)]) -> Res<Vec<String>> {
    let mut cases = Vec::new();
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    for (lines, path) in paths {
        if *lines {
            let text = String::from_utf8_lossy(&read(path)?).into_owned();
            cases.extend(text.lines().map(str::to_owned));
        } else if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            for f in files {
                cases.push(String::from_utf8_lossy(&read(&f)?).into_owned());
            }
        } else if path.extension().is_some_and(|e| e == "tsv") {
            let text = String::from_utf8_lossy(&read(path)?).into_owned();
            for line in text.lines().filter(|l| !l.starts_with('#')) {
                let first = line.split('\t').next().unwrap_or("");
                cases.push(unescape(first));
            }
        } else {
            cases.push(String::from_utf8_lossy(&read(path)?).into_owned());
        }
    }
    Ok(cases)
}

/// Results longer than this (in bytes) are emitted as a [`digest`].
const DIGEST_OVER: usize = 1000;

/// Whether two texts are permutations of each other's characters.
fn same_chars(a: &str, b: &str) -> bool {
    let sorted = |s: &str| {
        let mut v: Vec<char> = s.chars().collect();
        v.sort_unstable();
        v
    };
    sorted(a) == sorted(b)
}

fn class(text: &str) -> &str {
    text.split(':').next().unwrap_or("")
}

fn main() -> ExitCode {
    // Debian's interpreter, the one the embedded CPython links (toolchain notes).
    let mut python = if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3".to_owned()
    } else {
        "python3".to_owned()
    };
    let mut libs: Vec<PathBuf> = Vec::new();
    let mut paths = Vec::new();
    let mut emit: Option<PathBuf> = None;
    let mut messages = false;
    let mut ours_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--python" => python = args.next().unwrap_or(python),
            "--lib" => libs.extend(args.next().map(PathBuf::from)),
            "--emit" => emit = args.next().map(PathBuf::from),
            "--lines" => paths.extend(args.next().map(|p| (true, PathBuf::from(p)))),
            "--messages" => messages = true,
            "--ours-only" => ours_only = true,
            _ => paths.push((false, PathBuf::from(a))),
        }
    }
    if libs.is_empty() {
        libs = vec![
            "/work/ext/bitbake/lib".into(),
            "/work/ext/oe-core/meta/lib".into(),
        ];
    }
    let cases = match read_cases(&paths) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pyexpr-diff: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Duplicates (fuzz corpora hold many) are checked once.
    let mut seen = std::collections::HashSet::new();
    let cases: Vec<String> = cases
        .into_iter()
        .filter(|c| seen.insert(c.clone()))
        .collect();
    let mut mine = Vec::with_capacity(cases.len());
    for c in &cases {
        let t0 = std::time::Instant::now();
        let o = ours(c);
        let took = t0.elapsed();
        if ours_only {
            println!(
                "{}\t{}\t{}",
                escape(c),
                o.kind,
                escape(&o.text.chars().take(200).collect::<String>())
            );
        }
        if took > Duration::from_secs(1) {
            eprintln!(
                "slow ({took:.1?}): {}",
                escape(&c.chars().take(200).collect::<String>())
            );
        }
        mine.push(o);
    }
    if ours_only {
        return ExitCode::SUCCESS;
    }
    let theirs = match cpython(&cases, &python, &libs) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("pyexpr-diff: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut emitted = String::new();
    let mut bad = 0usize;
    for ((case, m), t) in cases.iter().zip(&mine).zip(&theirs) {
        let verdict = match (m.kind.as_str(), t.kind.as_str()) {
            ("panic", _) => "PANIC",
            (_, "resource") if m.kind != "ok" => "skipped",
            ("needs", _) => "needs-python",
            ("ok", "resource") => "value-where-cpython-ran-out",
            _ if m == t => "same",
            // CPython orders a set of str by per-process hashes: any order is one it prints.
            ("ok", "ok") if same_chars(&m.text, &t.text) && t.text.contains('{') => "str-set-order",
            ("exc", "exc") if class(&m.text) == class(&t.text) => "message-differs",
            ("syntax", "syntax") => "syntax-message-differs",
            _ => "MISMATCH",
        };
        *counts.entry(verdict).or_default() += 1;
        let show = match verdict {
            "PANIC" | "MISMATCH" | "value-where-cpython-ran-out" => true,
            "message-differs" | "syntax-message-differs" => messages,
            _ => false,
        };
        if verdict == "PANIC" || verdict == "MISMATCH" {
            bad += 1;
        }
        if show {
            let clip = |s: &str| -> String {
                let mut c: String = s.chars().take(300).collect();
                if c.len() < s.len() {
                    c.push('…');
                }
                c
            };
            println!(
                "{verdict}: {}\n    cpython {} {:?}\n    ours    {} {:?}",
                clip(&escape(case)),
                t.kind,
                clip(&t.text),
                m.kind,
                clip(&m.text)
            );
        }
        let mark = match verdict {
            "same" => Some('='),
            "message-differs" | "syntax-message-differs" => Some('~'),
            "needs-python" if t.kind != "resource" => Some('!'),
            _ => None,
        };
        if let Some(mark) = mark {
            // Long results are committed as a digest (`KIND-digest`, `CHARS:FNV1A64`).
            let (kind, text) = if t.text.len() > DIGEST_OVER {
                (format!("{}-digest", t.kind), digest(&t.text))
            } else {
                (t.kind.clone(), t.text.clone())
            };
            // A leading `#` is escaped: the table's comment lines start with one.
            let case = escape(case);
            let case = if case.starts_with('#') {
                format!("\\{case}")
            } else {
                case
            };
            emitted.push_str(&format!("{case}\t{mark}\t{kind}\t{}\n", escape(&text)));
        }
    }
    eprintln!("{} distinct cases:", cases.len());
    for (k, n) in &counts {
        eprintln!("  {k}: {n}");
    }
    if let Some(path) = emit {
        let written = bb_util::fs::atomic_write(&path, emitted.as_bytes());
        if let Err(e) = written {
            eprintln!("pyexpr-diff: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    if bad > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
