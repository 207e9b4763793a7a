//! Unit tests of `value.rs`.

use super::*;

#[test]
fn float_repr_matches_python() {
    for (f, want) in [
        (1.0, "1.0"),
        (0.1, "0.1"),
        (1.5e-7, "1.5e-07"),
        (1e16, "1e+16"),
        (1e15, "1000000000000000.0"),
        (123456789.123, "123456789.123"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (-0.0, "-0.0"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (f64::NAN, "nan"),
        (1.0 / 3.0, "0.3333333333333333"),
        (2.5e22, "2.5e+22"),
        (-1.25, "-1.25"),
    ] {
        assert_eq!(float_repr(f), want, "{f}");
    }
}

#[test]
fn str_repr_quote_choice() {
    let r = |s: &str| py_repr(&Value::str(s)).unwrap_or_default();
    assert_eq!(r("abc"), "'abc'");
    assert_eq!(r("it's"), "\"it's\"");
    assert_eq!(r("say \"hi\""), "'say \"hi\"'");
    assert_eq!(r("both ' and \""), "'both \\' and \"'");
    assert_eq!(r("\t\n\r\x00\x7f\\"), "'\\t\\n\\r\\x00\\x7f\\\\'");
    assert_eq!(r("é日本"), "'é日本'");
    assert_eq!(r("\u{a0}\u{2028}"), "'\\xa0\\u2028'");
    assert!(matches!(
        py_repr(&Value::str("\u{e0100}")),
        Err(EvalError::NeedsPython { .. })
    ));
}

#[test]
fn container_reprs() {
    let one = Value::tuple(vec![Value::Int(1)]);
    assert_eq!(py_repr(&one).ok().as_deref(), Some("(1,)"));
    assert_eq!(
        py_repr(&Value::set(vec![], false)).ok().as_deref(),
        Some("set()")
    );
    assert_eq!(
        py_repr(&Value::set(vec![Value::Int(1)], true))
            .ok()
            .as_deref(),
        Some("frozenset({1})")
    );
    assert_eq!(
        py_repr(&Value::Range(0, 5, 1)).ok().as_deref(),
        Some("range(0, 5)")
    );
    assert_eq!(
        py_repr(&Value::Range(0, 5, 2)).ok().as_deref(),
        Some("range(0, 5, 2)")
    );
    assert_eq!(py_str(&Value::None).ok().as_deref(), Some("None"));
    assert_eq!(py_str(&Value::Bool(true)).ok().as_deref(), Some("True"));
}

#[test]
fn equality_and_ordering() {
    assert!(py_eq(&Value::Int(1), &Value::Float(1.0)));
    assert!(py_eq(&Value::Bool(true), &Value::Int(1)));
    assert!(!py_eq(
        &Value::Int(i64::MAX),
        &Value::Float(9_223_372_036_854_775_808.0)
    ));
    assert!(!py_eq(&Value::list(vec![]), &Value::tuple(vec![])));
    assert!(!py_eq(&Value::Float(f64::NAN), &Value::Float(f64::NAN)));
    assert!(py_eq(&Value::Range(0, 0, 1), &Value::Range(5, 2, 1)));
    assert_eq!(
        py_cmp(&Value::str("B"), &Value::str("a"), "<").ok(),
        Some(Some(Ordering::Less))
    );
    assert!(py_cmp(&Value::Int(1), &Value::str("a"), "<").is_err());
    assert_eq!(
        py_cmp(&Value::Int(i64::MAX), &Value::Float(9.3e18), "<").ok(),
        Some(Some(Ordering::Less))
    );
}

#[test]
fn truthiness_and_lengths() {
    assert!(!Value::str("").truthy());
    assert!(Value::str("0").truthy());
    assert!(!Value::Range(5, 5, 1).truthy());
    assert!(!Value::Float(0.0).truthy());
    assert_eq!(range_len(0, 10, 3), 4);
    assert_eq!(range_len(10, 0, -3), 4);
    assert_eq!(range_len(0, 10, -1), 0);
    assert_eq!(range_len(i64::MIN, i64::MAX, 1), i64::MAX);
}

#[test]
fn hashability() {
    assert!(check_hashable(&Value::tuple(vec![Value::Int(1), Value::str("a")])).is_ok());
    assert!(check_hashable(&Value::tuple(vec![Value::list(vec![])])).is_err());
    assert!(check_hashable(&Value::set(vec![], true)).is_ok());
}

#[test]
fn python_whitespace() {
    let words: Vec<&str> = split_whitespace("a\x1cb\u{a0}c\u{3000}d  e").collect();
    assert_eq!(words, ["a", "b", "c", "d", "e"]);
    assert!(!is_py_space('\u{200b}'));
}
