//! Unit tests of `ops.rs`.

use super::*;
use crate::eval::tests::{exc, ok};
use crate::value::py_str;

fn int(i: i64) -> Value {
    Value::Int(i)
}

#[test]
fn integer_division_follows_floor_semantics() {
    let bin = |op, a, b| binary(op, &int(a), &int(b)).ok().and_then(|v| as_index(&v));
    assert_eq!(bin(BinOp::FloorDiv, -7, 2), Some(-4));
    assert_eq!(bin(BinOp::Mod, -7, 2), Some(1));
    assert_eq!(bin(BinOp::Mod, 7, -2), Some(-1));
    assert_eq!(bin(BinOp::Mod, i64::MIN, -1), Some(0));
    assert!(matches!(
        binary(BinOp::FloorDiv, &int(i64::MIN), &int(-1)),
        Err(EvalError::NeedsPython { .. })
    ));
    assert!(matches!(
        binary(BinOp::Add, &int(i64::MAX), &int(1)),
        Err(EvalError::NeedsPython { .. })
    ));
    assert!(matches!(
        binary(BinOp::Pow, &int(3), &int(64)),
        Err(EvalError::NeedsPython { .. })
    ));
    assert!(matches!(
        unary(UnaryOp::Neg, &int(i64::MIN)),
        Err(EvalError::NeedsPython { .. })
    ));
    assert!(matches!(
        binary(BinOp::LShift, &int(1), &int(63)),
        Err(EvalError::NeedsPython { .. })
    ));
    assert_eq!(
        binary(BinOp::RShift, &int(-1), &int(100))
            .ok()
            .and_then(|v| as_index(&v)),
        Some(-1)
    );
}

#[test]
fn float_divmod_matches_cpython() {
    assert_eq!(float_divmod(-7.5, 2.0), (-4.0, 0.5));
    assert_eq!(float_divmod(7.5, -2.0), (-4.0, -0.5));
    let (q, r) = float_divmod(-0.0, 5.0);
    assert!(q == 0.0 && r == 0.0 && r.is_sign_positive());
}

#[test]
fn operators_through_the_evaluator() {
    assert_eq!(ok("[1, 2] * 2"), "[1, 2, 1, 2]");
    assert_eq!(ok("'ab' * 0"), "");
    assert_eq!(ok("{1, 2} ^ {2, 3}"), "{1, 3}");
    assert_eq!(ok("{'a': 1} | {'a': 2, 'b': 3}"), "{'a': 2, 'b': 3}");
    assert_eq!(ok("True + True"), "2");
    assert_eq!(ok("True & True"), "True");
    assert_eq!(
        exc("[] + ()").1,
        "can only concatenate list (not \"tuple\") to list"
    );
    assert_eq!(
        exc("1 @ 2").1,
        "unsupported operand type(s) for @: 'int' and 'int'"
    );
    assert_eq!(
        exc("2 ** 0.5 * 'a'").1,
        "can't multiply sequence by non-int of type 'float'"
    );
}

#[test]
fn identity_is_only_defined_where_python_defines_it() {
    assert_eq!(ok("None is None"), "True");
    assert_eq!(ok("'a' is None"), "False");
    assert_eq!(ok("[] is []"), "False");
    assert_eq!(ok("True is not False"), "True");
    assert!(matches!(
        crate::eval::tests::ev("'a' is 'a'"),
        Err(EvalError::NeedsPython { .. })
    ));
    assert!(matches!(
        crate::eval::tests::ev("1 is 1"),
        Err(EvalError::NeedsPython { .. })
    ));
}

#[test]
fn membership() {
    assert_eq!(ok("'PN' in d"), "True");
    assert_eq!(ok("'NOPE' not in d"), "True");
    assert_eq!(ok("2 in iter([1, 2, 3])"), "True");
    assert_eq!(
        ok("(lambda it: (2 in it, list(it)))(iter([1, 2, 3]))"),
        "(True, [3])"
    );
    assert_eq!(ok("-3 in range(0, -10, -3)"), "True");
    assert_eq!(ok("1.0 in range(3)"), "True");
    assert_eq!(exc("[] in {}").1, "unhashable type: 'list'");
}

#[test]
fn slicing() {
    let s = Value::str("héllo");
    let sl =
        |a: Value, b: Value, c: Value| slice(&s, &a, &b, &c).ok().and_then(|v| py_str(&v).ok());
    assert_eq!(sl(int(1), int(3), Value::None).as_deref(), Some("él"));
    assert_eq!(
        sl(Value::None, Value::None, int(-2)).as_deref(),
        Some("olh")
    );
    assert_eq!(
        sl(int(-100), int(100), Value::None).as_deref(),
        Some("héllo")
    );
    assert!(slice(&s, &Value::None, &Value::None, &int(0)).is_err());
    assert_eq!(ok("range(10)[::-3]"), "range(9, -1, -3)");
    assert_eq!(ok("list(range(10)[2:-2:3])"), "[2, 5]");
    assert_eq!(ok("d['PN']"), "foo");
    assert_eq!(exc("d['NOPE']"), ("KeyError".into(), "'NOPE'".into()));
}
