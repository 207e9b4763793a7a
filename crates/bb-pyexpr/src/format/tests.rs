//! Unit tests of `format.rs`.

use super::*;
use crate::eval::tests::{exc, ok};

fn fmt(v: Value, spec: &str) -> String {
    format_value(&v, spec).unwrap_or_else(|e| panic!("{spec}: {e:?}"))
}

#[test]
fn float_presentations() {
    assert_eq!(fmt(Value::Float(2.345678), ".2f"), "2.35");
    assert_eq!(fmt(Value::Float(12345.678), ".3e"), "1.235e+04");
    assert_eq!(fmt(Value::Float(0.0001), "g"), "0.0001");
    assert_eq!(fmt(Value::Float(1e-5), "g"), "1e-05");
    assert_eq!(fmt(Value::Float(123456789.0), "g"), "1.23457e+08");
    assert_eq!(fmt(Value::Float(0.25), ".1%"), "25.0%");
    assert_eq!(fmt(Value::Float(-1.5), "+08.2f"), "-0001.50");
    assert_eq!(fmt(Value::Float(1234567.891), ",.2f"), "1,234,567.89");
    assert_eq!(fmt(Value::Float(-0.0001), "z.2f"), "0.00");
    assert_eq!(fmt(Value::Float(f64::INFINITY), "F"), "INF");
    assert_eq!(fmt(Value::Float(2.5), ""), "2.5");
    assert!(matches!(
        format_value(&Value::Float(2.5), ".3"),
        Err(EvalError::NeedsPython { .. })
    ));
}

#[test]
fn integer_presentations() {
    assert_eq!(fmt(Value::Int(255), "#010x"), "0x000000ff");
    assert_eq!(fmt(Value::Int(-42), "=+8d"), "-     42");
    assert_eq!(fmt(Value::Int(1234567), "_"), "1_234_567");
    assert_eq!(fmt(Value::Int(65), "c"), "A");
    assert_eq!(fmt(Value::Int(5), "^5"), "  5  ");
    assert_eq!(fmt(Value::Bool(true), ""), "True");
    assert_eq!(fmt(Value::Bool(true), "d"), "1");
    assert!(format_value(&Value::Int(5), ".2").is_err());
    assert!(format_value(&Value::Int(5), ",x").is_err());
}

#[test]
fn string_presentations() {
    assert_eq!(fmt(Value::str("ab"), "*^6"), "**ab**");
    assert_eq!(fmt(Value::str("abcdef"), ".3"), "abc");
    assert_eq!(fmt(Value::str("é"), ">3"), "  é");
    assert!(format_value(&Value::str("a"), "+").is_err());
    assert!(format_value(&Value::str("a"), "=5").is_err());
    assert!(format_value(&Value::str("a"), "5x").is_err());
}

#[test]
fn percent_formatting() {
    assert_eq!(
        percent(
            "%-6s|%5.1f|%03d",
            &Value::tuple(vec![Value::str("ab"), Value::Float(2.25), Value::Int(7)])
        )
        .ok()
        .as_deref(),
        Some("ab    |  2.2|007")
    );
    assert_eq!(
        percent(
            "%(a)s=%(b)r",
            &Value::dict({
                let mut d = crate::value::Dict::default();
                let _ = d.insert(Value::str("a"), Value::Int(1));
                let _ = d.insert(Value::str("b"), Value::str("x"));
                d
            })
        )
        .ok()
        .as_deref(),
        Some("1='x'")
    );
    assert_eq!(ok("'%5.2s|' % 'abc'"), "   ab|");
    assert_eq!(ok("'%#o %#X' % (8, 255)"), "0o10 0XFF");
    assert_eq!(ok("'%e' % 0"), "0.000000e+00");
    assert_eq!(ok("'%g' % 123456789"), "1.23457e+08");
    assert_eq!(
        exc("'%d %d' % (1,)").1,
        "not enough arguments for format string"
    );
    assert_eq!(
        exc("'%z' % 1").1,
        "unsupported format character 'z' (0x7a) at index 1"
    );
    assert!(matches!(
        crate::eval::tests::ev("'%99999999d' % 1"),
        Err(EvalError::NeedsPython { .. })
    ));
}

#[test]
fn str_format_fields() {
    assert_eq!(ok("'{0}{1}{0}'.format('a', 'b')"), "aba");
    assert_eq!(ok("'{x[0]}-{y[k]}'.format(x=[1], y={'k': 'v'})"), "1-v");
    assert_eq!(ok("'{:{}}|'.format('a', 3)"), "a  |");
    assert_eq!(ok("'{!r:>5}'.format('a')"), "  'a'");
    assert!(matches!(
        crate::eval::tests::ev("'{0.real}'.format(1)"),
        Err(EvalError::NeedsPython { .. })
    ));
}
