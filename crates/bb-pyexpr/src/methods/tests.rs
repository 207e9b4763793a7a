//! Unit tests of `methods.rs`.

use super::*;
use crate::eval::tests::{exc, needs, ok};

#[test]
fn split_variants() {
    let sp = |s: &str, sep: Option<Value>, max: Option<i64>, right: bool| {
        split(s, sep.as_ref(), max.map(Value::Int).as_ref(), right)
            .ok()
            .and_then(|v| py_repr(&v).ok())
    };
    assert_eq!(
        sp("  a b  c ", None, Some(1), false).as_deref(),
        Some("['a', 'b  c ']")
    );
    assert_eq!(
        sp("  a b  c ", None, Some(1), true).as_deref(),
        Some("['  a b', 'c']")
    );
    assert_eq!(
        sp("a,b,c", Some(Value::str(",")), Some(1), true).as_deref(),
        Some("['a,b', 'c']")
    );
    assert_eq!(sp("", None, None, false).as_deref(), Some("[]"));
    assert_eq!(
        sp("", Some(Value::str(",")), None, false).as_deref(),
        Some("['']")
    );
    assert_eq!(sp("a b", None, Some(0), false).as_deref(), Some("['a b']"));
}

#[test]
fn lines() {
    let l = |s: &str, keep: bool| py_repr(&Value::list(splitlines(s, keep))).unwrap_or_default();
    assert_eq!(l("a\r\nb\rc\n", false), "['a', 'b', 'c']");
    assert_eq!(l("a\r\nb\x0bc", true), "['a\\r\\n', 'b\\x0b', 'c']");
}

#[test]
fn str_windows_use_character_indices() {
    assert_eq!(ok("'héllo'.find('l', 3)"), "3");
    assert_eq!(ok("'héllo'.rfind('l', 0, 3)"), "2");
    assert_eq!(ok("'héllo'.count('l', -2)"), "1");
    assert_eq!(ok("'héllo'.startswith('l', 2)"), "True");
    assert_eq!(ok("'abc'.find('', 10)"), "-1");
}

#[test]
fn attributes() {
    assert_eq!(needs("'a'.translate({})"), "call to `str.translate`");
    assert_eq!(ok("[].append(1)"), "None");
    assert_eq!(
        needs("d.setVar('A', 'b')"),
        "`d.setVar` is not supported by this datastore"
    );
    assert_eq!(needs("d.setVarFlags('A', {})"), "call to `d.setVarFlags`");
    assert_eq!(exc("'a'.nope").1, "'str' object has no attribute 'nope'");
    assert_eq!(
        exc("d.nope").1,
        "'DataSmart' object has no attribute 'nope'"
    );
    assert_eq!(exc("None.x").1, "'NoneType' object has no attribute 'x'");
    assert_eq!(ok("os.sep + os.path.join('a', 'b')"), "/a/b");
    assert_eq!(ok("(5).bit_length()"), "3");
}

#[test]
fn datastore_methods() {
    assert_eq!(ok("d.getVar('PN', expand=False)"), "foo");
    assert_eq!(ok("d.getVar('NOPE')"), "None");
    assert_eq!(ok("d.expand('${PN}')"), "foo");
    assert_eq!(
        exc("d.getVar()").1,
        "DataSmart.getVar() missing 1 required positional argument: 'var'"
    );
    assert_eq!(
        needs("d.getVar(1)"),
        "d.getVar() with a `int` variable name"
    );
    assert_eq!(
        needs("d.getVar('A', noweakdefault=True)"),
        "d.getVar(noweakdefault=True)"
    );
}
