//! Checks every case of `testdata/bb-pyexpr/differential.cases` against the result CPython
//! gave (committed in `differential.expected`, produced by `gen_expected.py`).

use std::fmt::Write as _;
use std::path::PathBuf;

use bb_pyexpr::EvalError;

use crate::MapCtx;

pub(crate) fn testdata(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/bb-pyexpr")
        .join(name);
    // invariant: the test data is part of the repository.
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut cs = s.chars();
    while let Some(c) = cs.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match cs.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

/// Our result in the same shape as the expected file's.
fn render(r: &Result<String, EvalError>) -> (String, String) {
    match r {
        Ok(s) => ("ok".into(), s.clone()),
        Err(EvalError::Exception { kind, message }) => ("exc".into(), format!("{kind}: {message}")),
        Err(EvalError::Syntax {
            message,
            unterminated_string,
        }) => (
            "syntax".into(),
            format!("{} {message}", u8::from(*unterminated_string)),
        ),
        Err(EvalError::NeedsPython { reason, .. }) => ("needs".into(), reason.clone()),
        Err(EvalError::Data(m)) => ("data".into(), m.clone()),
    }
}

#[test]
fn matches_cpython() {
    let cases = testdata("differential.cases");
    let expected = testdata("differential.expected");
    let mut exp_lines = expected.lines();
    let mut ctx = MapCtx::default();
    let mut failures = String::new();
    let mut checked = 0;
    for line in cases.split('\n') {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("var ") {
            let (name, value) = rest.split_once(" = ").unwrap_or((rest, ""));
            ctx.vars.insert(name.to_owned(), value.replace("\\n", "\n"));
            continue;
        }
        if let Some(rest) = line.strip_prefix("flag ") {
            let (key, value) = rest.split_once(" = ").unwrap_or((rest, ""));
            let (name, flag) = key.split_once('[').unwrap_or((key, ""));
            ctx.flags.insert(
                (name.to_owned(), flag.trim_end_matches(']').to_owned()),
                value.to_owned(),
            );
            continue;
        }
        let expr_line = exp_lines.next().unwrap_or_default();
        let result_line = exp_lines.next().unwrap_or_default();
        assert_eq!(
            unescape(expr_line.strip_prefix("expr\t").unwrap_or("")),
            line,
            "expected file is stale: rerun gen_expected.py"
        );
        let (want_kind, want) = result_line.split_once('\t').unwrap_or((result_line, ""));
        let want = unescape(want);
        let (mark, code) = match line.chars().next() {
            Some(m @ ('!' | '~')) => (Some(m), &line[1..]),
            _ => (None, line),
        };
        let got = bb_pyexpr::eval(code, &ctx);
        let (kind, text) = render(&got);
        checked += 1;
        let ok = match (mark, want_kind) {
            (Some('!'), _) => kind == "needs",
            (Some('~'), "exc") => kind == "exc" && text.split(':').next() == want.split(':').next(),
            _ => kind == want_kind && text == want,
        };
        if !ok {
            let _ = writeln!(
                failures,
                "{code}\n    want {want_kind} {want:?}\n    got  {kind} {text:?}"
            );
        }
    }
    assert!(checked > 500, "only {checked} cases");
    assert!(failures.is_empty(), "differential mismatches:\n{failures}");
}
