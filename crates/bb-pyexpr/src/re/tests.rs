//! Unit tests of `re.rs`: what needs Python, the step budget, and sre's iteration rules
//! (CPython's own results are checked by the function differential test).

use super::*;

fn needs(pattern: &str) -> String {
    match compile(pattern, 0) {
        Err(EvalError::NeedsPython { reason, .. }) => reason,
        other => panic!("{pattern:?}: expected NeedsPython, got {other:?}"),
    }
}

fn spans(pattern: &str, text: &str) -> Vec<(usize, usize)> {
    let re = match compile(pattern, 0) {
        Ok(re) => Rc::new(re),
        Err(e) => panic!("{pattern:?}: {e:?}"),
    };
    let s: Arc<str> = Arc::from(text);
    let chars = chars_of(text);
    let mut out = Vec::new();
    let r = iterate(&re, &s, &chars, 0, chars.len(), 0, |m| {
        out.push(m.span(0).unwrap_or((0, 0)));
        Ok(())
    });
    assert!(r.is_ok(), "{r:?}");
    out
}

#[test]
fn invalid_and_unsupported_patterns_need_python() {
    assert!(needs("(").contains("CPython rejects"));
    assert!(needs("a**").contains("multiple repeat"));
    assert!(needs("*a").contains("nothing to repeat"));
    assert!(needs("\\q").contains("bad escape"));
    assert!(needs("[b-a]").contains("bad character range"));
    assert!(needs("a{3,2}").contains("min repeat greater"));
    assert!(needs("(?<=a+)b").contains("fixed-width"));
    assert!(needs("a++").contains("possessive"));
    assert!(needs("(?>a)").contains("atomic"));
    assert!(needs("(?(1)a|b)").contains("conditional"));
    assert!(needs("a(?i)b").contains("inline flags after the start"));
    assert!(needs("\\1(a)").contains("invalid group reference"));
}

#[test]
fn empty_matches_follow_sre() {
    assert_eq!(spans("x*", "axxb"), [(0, 0), (1, 3), (3, 3), (4, 4)]);
    assert_eq!(spans("", "ab"), [(0, 0), (1, 1), (2, 2)]);
    assert_eq!(spans("a|", "aba"), [(0, 1), (1, 1), (2, 3), (3, 3)]);
}

#[test]
fn non_ascii_class_tests_need_python() {
    let re = compile("\\w+", 0).map(Rc::new);
    let Ok(re) = re else {
        panic!("compiles");
    };
    let r = find(&re, "match", &Value::str("é"), None, None);
    assert!(matches!(r, Err(EvalError::NeedsPython { .. })), "{r:?}");
    // Literal non-ASCII characters and ASCII classes on ASCII text are fine.
    let Ok(re) = compile("é+", 0).map(Rc::new) else {
        panic!("compiles");
    };
    assert!(matches!(
        find(&re, "match", &Value::str("éé"), None, None),
        Ok(Value::Match(_))
    ));
}

#[test]
fn catastrophic_backtracking_hits_the_budget() {
    let Ok(re) = compile("(a*)*b", 0).map(Rc::new) else {
        panic!("compiles");
    };
    let text = Value::str("a".repeat(40));
    let r = find(&re, "search", &text, None, None);
    assert!(
        matches!(&r, Err(EvalError::NeedsPython { reason, .. }) if reason.contains("step budget"))
            || matches!(r, Ok(Value::None)),
        "{r:?}"
    );
    // A pattern nested too deeply is refused, not a stack overflow.
    let deep = "(".repeat(200) + &")".repeat(200);
    assert!(needs(&deep).contains("nested too deeply"));
}

#[test]
fn flags_print_as_flags() {
    let mut out = String::new();
    assert!(flag_repr(I | M, &mut out).is_ok());
    assert_eq!(out, "re.IGNORECASE|re.MULTILINE");
    let mut out = String::new();
    assert!(flag_repr(0, &mut out).is_ok());
    assert_eq!(out, "re.NOFLAG");
}
