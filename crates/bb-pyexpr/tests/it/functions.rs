//! Runs every case of `testdata/bb-pyexpr/functions.cases` with [`bb_pyexpr::run_function`]
//! and compares the outcome, the final datastore and the log with what CPython gave
//! (committed in `functions.expected`, produced by `gen_functions.py`).
//!
//! Cases named `!NAME` must end in `NeedsPython` (CPython's result is then not compared).
//! Syntax errors are compared by kind only: CPython's messages carry line numbers.

use std::fmt::Write as _;

use bb_pyexpr::EvalError;

use crate::differential::testdata;
use crate::store::{StoreCtx, escape};

struct Case {
    name: String,
    ctx: StoreCtx,
    body: String,
}

fn unescape(s: &str) -> String {
    s.replace("\\n", "\n")
}

fn parse_cases(text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut section = "";
    let mut defs = String::new();
    for line in text.split('\n') {
        if let Some(name) = line.strip_prefix("=== ") {
            if let Some(c) = cases.last_mut() {
                finish(c, &defs);
            }
            defs.clear();
            section = "";
            cases.push(Case {
                name: name.to_owned(),
                ctx: StoreCtx::default(),
                body: String::new(),
            });
            continue;
        }
        let Some(case) = cases.last_mut() else {
            continue;
        };
        match line {
            "--- def" => section = "def",
            "--- body" => section = "body",
            _ if section == "def" => {
                defs.push_str(line);
                defs.push('\n');
            }
            _ if section == "body" => {
                case.body.push_str(line);
                case.body.push('\n');
            }
            _ => {
                if let Some(rest) = line.strip_prefix("var ") {
                    let (k, v) = rest.split_once(" = ").unwrap_or((rest, ""));
                    case.ctx
                        .vars
                        .borrow_mut()
                        .insert(k.to_owned(), Some(unescape(v)));
                } else if let Some(rest) = line.strip_prefix("flag ") {
                    let (k, v) = rest.split_once(" = ").unwrap_or((rest, ""));
                    let (name, flag) = k.split_once('[').unwrap_or((k, ""));
                    case.ctx
                        .flags
                        .borrow_mut()
                        .entry(name.to_owned())
                        .or_default()
                        .push((flag.trim_end_matches(']').to_owned(), Some(unescape(v))));
                } else if let Some(rest) = line.strip_prefix("list ") {
                    let (k, v) = rest.split_once(" = ").unwrap_or((rest, ""));
                    let (name, flag) = match k.split_once('[') {
                        Some((n, f)) => (n, Some(f.trim_end_matches(']').to_owned())),
                        None => (k, None),
                    };
                    case.ctx.lists.insert(
                        (name.to_owned(), flag),
                        v.split_whitespace().map(str::to_owned).collect(),
                    );
                }
            }
        }
    }
    if let Some(c) = cases.last_mut() {
        finish(c, &defs);
    }
    cases
}

fn finish(case: &mut Case, defs: &str) {
    // The case file keeps a blank separator line after the body; BitBake's body would not.
    case.body = case.body.trim_end_matches('\n').to_owned() + "\n";
    if !defs.is_empty() {
        case.ctx.add_defs(defs);
    }
}

fn outcome(r: &Result<(), EvalError>) -> (String, String) {
    match r {
        Ok(()) => ("ok".into(), String::new()),
        Err(EvalError::Exception { kind, message }) => {
            ("exc".into(), escape(&format!("{kind}: {message}")))
        }
        Err(EvalError::Syntax { message, .. }) => ("syntax".into(), escape(message)),
        Err(EvalError::NeedsPython { reason, .. }) => ("needs".into(), reason.clone()),
        Err(EvalError::Data(m)) => ("data".into(), m.clone()),
    }
}

/// The expected results: case name -> lines.
fn expected() -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in testdata("functions.expected").lines() {
        if let Some(name) = line.strip_prefix("=== ") {
            out.push((name.to_owned(), Vec::new()));
        } else if let Some((_, lines)) = out.last_mut() {
            lines.push(line.to_owned());
        }
    }
    out
}

#[test]
fn matches_cpython() {
    let cases = parse_cases(&testdata("functions.cases"));
    let expected = expected();
    assert_eq!(
        cases.len(),
        expected.len(),
        "expected file is stale: rerun gen_functions.py"
    );
    let mut failures = String::new();
    for (case, (name, want)) in cases.iter().zip(&expected) {
        assert_eq!(&case.name, name, "expected file is stale");
        let src = format!("def __anon(d):\n{}", case.body);
        let r = bb_pyexpr::run_function(&src, &case.ctx);
        let (kind, text) = outcome(&r);
        if case.name.starts_with('!') {
            if kind != "needs" {
                let _ = writeln!(
                    failures,
                    "{}: want NeedsPython, got {kind} {text}",
                    case.name
                );
            }
            continue;
        }
        let want_first = want.first().cloned().unwrap_or_default();
        let (want_kind, want_text) = want_first.split_once('\t').unwrap_or((&want_first, ""));
        let same_outcome = kind == want_kind && (kind == "syntax" || text == want_text);
        if !same_outcome {
            let _ = writeln!(
                failures,
                "{}:\n    want {want_kind} {want_text}\n    got  {kind} {text}",
                case.name
            );
            continue;
        }
        if kind == "syntax" {
            continue;
        }
        let got = case.ctx.dump();
        if got.as_slice() != &want[1..] {
            let _ = writeln!(
                failures,
                "{}: datastore differs\n    want {:?}\n    got  {:?}",
                case.name,
                &want[1..],
                got
            );
        }
    }
    assert!(cases.len() > 50, "only {} cases", cases.len());
    assert!(failures.is_empty(), "function mismatches:\n{failures}");
}
