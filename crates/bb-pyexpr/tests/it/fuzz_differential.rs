//! Replays `testdata/bb-pyexpr/fuzz-differential.tsv`: expressions found by fuzzing and by the
//! audit of huge sizes, deep nesting and CPython's corner cases, with the result CPython gave
//! (written by the `pyexpr-diff` example; no Python is needed here).

use std::fmt::Write as _;

use crate::diff_table::{Vars, digest, unescape};
use bb_pyexpr::EvalError;

use crate::differential::testdata;

#[test]
fn fuzz_finds_match_cpython() {
    let table = testdata("fuzz-differential.tsv");
    let mut failures = String::new();
    let (mut checked, mut exact) = (0, 0);
    for line in table.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.splitn(4, '\t').collect();
        let [case, mark, want_kind, want] = cols[..] else {
            panic!("malformed line: {line:?}");
        };
        let (case, want) = (unescape(case), unescape(want));
        let (want_kind, digested) = match want_kind.strip_suffix("-digest") {
            Some(k) => (k, true),
            None => (want_kind, false),
        };
        let got = bb_pyexpr::eval(&case, &Vars);
        let (kind, text) = match &got {
            Ok(s) => ("ok", s.clone()),
            Err(EvalError::Exception { kind, message }) => ("exc", format!("{kind}: {message}")),
            Err(EvalError::Syntax {
                message,
                unterminated_string,
            }) => (
                "syntax",
                format!("{} {message}", u8::from(*unterminated_string)),
            ),
            Err(EvalError::NeedsPython { .. }) => ("needs", String::new()),
            Err(EvalError::Data(m)) => ("data", m.clone()),
        };
        let text = if digested { digest(&text) } else { text };
        let same = kind == want_kind && text == want;
        let ok = match mark {
            "=" => same,
            "~" => {
                kind == want_kind
                    && (kind == "syntax" || text.split(':').next() == want.split(':').next())
            }
            "!" => same || kind == "needs",
            _ => panic!("unknown mark {mark:?} in {line:?}"),
        };
        checked += 1;
        exact += usize::from(same);
        if !ok {
            let clip = |s: &str| s.chars().take(200).collect::<String>();
            let _ = writeln!(
                failures,
                "{}\n    cpython {want_kind} {:?}\n    ours    {kind} {:?}",
                clip(&case),
                clip(&want),
                clip(&text)
            );
        }
    }
    assert!(checked > 300, "only {checked} cases");
    assert!(exact > 200, "only {exact} cases equal CPython's");
    assert!(
        failures.is_empty(),
        "results differ from CPython's:\n{failures}"
    );
}
