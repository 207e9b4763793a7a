//! Unit tests of `builtins.rs`.

use super::*;
use crate::eval::tests::{exc, ok};

#[test]
fn vercmp_matches_bitbake() {
    let v = |a: &str, b: &str| vercmp_string(&Value::str(a), &Value::str(b)).ok();
    assert_eq!(v("1.0", "1.0"), Some(0));
    assert_eq!(v("1.10", "1.9"), Some(1));
    assert_eq!(v("1.0~rc1", "1.0"), Some(-1));
    assert_eq!(v("1.0", "1.0.1"), Some(-1));
    assert_eq!(v("1.0a", "1.0"), Some(1));
    assert_eq!(v("2:1.0", "1:9.9"), Some(1));
    assert_eq!(v("1.0-r10", "1.0-r9"), Some(1));
    assert_eq!(v("007", "7"), Some(0));
    assert_eq!(v("99999999999999999999999", "1"), Some(1));
    assert!(matches!(
        vercmp_string(&Value::str("x:1"), &Value::str("1")),
        Err(EvalError::Exception { .. })
    ));
}

#[test]
fn posix_paths() {
    assert_eq!(normpath("/a//b/./c/../d/"), "/a/b/d");
    assert_eq!(normpath("//a"), "//a");
    assert_eq!(normpath("///a"), "/a");
    assert_eq!(normpath("../../a"), "../../a");
    assert_eq!(normpath("/.."), "/");
    assert_eq!(splitext("a/b.tar.gz"), ("a/b.tar".into(), ".gz".into()));
    assert_eq!(splitext("..a"), ("..a".into(), String::new()));
    assert_eq!(path_split("//"), ("//".into(), String::new()));
    let rel = |p: &str, s: &str| {
        relpath(&Value::str(p), Some(&Value::str(s)))
            .ok()
            .and_then(|v| py_str(&v).ok())
    };
    assert_eq!(
        rel("/usr/lib/foo", "/usr/share").as_deref(),
        Some("../lib/foo")
    );
    assert_eq!(rel("a/b", "a/c/d").as_deref(), Some("../../b"));
    assert_eq!(rel("/a", "/a").as_deref(), Some("."));
    assert!(relpath(&Value::str("a"), Some(&Value::str("/b"))).is_err());
}

#[test]
fn int_and_float_parsing() {
    assert_eq!(parse_int(" -0x_1f ", 0).ok(), Some(-31));
    assert_eq!(parse_int("0b101", 2).ok(), Some(5));
    assert_eq!(parse_int("z", 36).ok(), Some(35));
    assert_eq!(parse_int("-9223372036854775808", 10).ok(), Some(i64::MIN));
    assert!(matches!(
        parse_int("9223372036854775808", 10),
        Err(EvalError::NeedsPython { .. })
    ));
    assert!(parse_int("010", 0).is_err());
    assert!(parse_int("1__0", 10).is_err());
    assert!(matches!(
        parse_int("١", 10),
        Err(EvalError::NeedsPython { .. })
    ));
    assert_eq!(parse_float(" 1_000.5 "), Some(1000.5));
    assert_eq!(parse_float("-inf"), Some(f64::NEG_INFINITY));
    assert_eq!(parse_float("1e"), None);
    assert_eq!(parse_float("+-1"), None);
    assert_eq!(parse_float("_1"), None);
}

#[test]
fn python_function_argument_errors() {
    assert_eq!(
        exc("bb.utils.contains('A', 'b', 1, 0)").1,
        "contains() missing 1 required positional argument: 'd'"
    );
    assert_eq!(
        exc("bb.utils.contains()").1,
        "contains() missing 5 required positional arguments: 'variable', 'checkvalues', 'truevalue', 'falsevalue', and 'd'"
    );
    assert_eq!(
        exc("oe.utils.ifelse(1, 2, 3, 4)").1,
        "ifelse() takes from 1 to 3 positional arguments but 4 were given"
    );
    assert_eq!(
        exc("oe.utils.ifelse(1, foo=2)").1,
        "ifelse() got an unexpected keyword argument 'foo'"
    );
    assert_eq!(
        exc("oe.utils.ifelse(1, condition=2)").1,
        "ifelse() got multiple values for argument 'condition'"
    );
}

#[test]
fn helpers_through_the_evaluator() {
    assert_eq!(ok("bb.utils.contains('FEATURES', 'a c', 'y', 'n', d)"), "y");
    assert_eq!(ok("bb.utils.contains('EMPTY', '', 'y', 'n', d)"), "n");
    assert_eq!(ok("bb.utils.filter('FEATURES', 'c a z', d)"), "a c");
    assert_eq!(ok("oe.utils.conditional('PN', 'foo', 1, 2, d)"), "1");
    assert_eq!(ok("oe.utils.parallel_make_argument(d, '-j%d')"), "");
    assert_eq!(ok("sorted([3, 1, 2], key=lambda x: -x)"), "[3, 2, 1]");
    assert_eq!(
        ok("sorted(['b', 'a', 'B'], key=str.lower)"),
        "['a', 'b', 'B']"
    );
    assert_eq!(ok("[x for x in reversed({'a': 1, 'b': 2})]"), "['b', 'a']");
    assert_eq!(ok("max('ab', 'ba', key=lambda s: s[1])"), "ab");
    assert_eq!(ok("round(0.125, 2)"), "0.12");
    assert_eq!(ok("pow(2, 100, 7)"), "2");
    assert_eq!(ok("isinstance(d.getVar('PN'), str)"), "True");
}

#[test]
fn parallel_make() {
    let ctx = crate::eval::tests::Ctx::new(&[
        ("PARALLEL_MAKE", "-l 4 -j 16"),
        ("PARALLEL_MAKEINST", "-j3"),
    ]);
    let e = |s: &str| crate::eval(s, &ctx);
    assert_eq!(e("oe.utils.parallel_make(d)").as_deref(), Ok("16"));
    assert_eq!(e("oe.utils.parallel_make(d, True)").as_deref(), Ok("3"));
    assert_eq!(
        e("oe.utils.parallel_make_argument(d, '-j%d', limit=8)").as_deref(),
        Ok("-j8")
    );
    assert_eq!(
        e("oe.utils.parallel_make_argument(d, '-j %d', 64)").as_deref(),
        Ok("-j 16")
    );
}
