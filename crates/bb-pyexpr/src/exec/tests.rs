//! Unit tests of `exec.rs`: statements, function calls, exceptions and imports, run against a
//! small writable datastore.

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::{Context, EvalError, PyFunction, PyFunctionKind};

/// Variables that Python code may write; `def` functions by name.
#[derive(Default)]
struct Store {
    vars: RefCell<BTreeMap<String, String>>,
    funcs: BTreeMap<String, String>,
}

impl Context for Store {
    fn get_var(&self, name: &str, _: bool) -> Result<Option<String>, EvalError> {
        Ok(self.vars.borrow().get(name).cloned())
    }
    fn get_var_flag(&self, _: &str, _: &str, _: bool) -> Result<Option<String>, EvalError> {
        Ok(None)
    }
    fn expand(&self, text: &str) -> Result<String, EvalError> {
        Ok(text.to_owned())
    }
    fn python_function(&self, name: &str) -> Option<PyFunction> {
        self.funcs.get(name).map(|s| PyFunction {
            source: s.clone(),
            kind: PyFunctionKind::Def,
        })
    }
    fn set_var(&self, name: &str, value: Option<&str>) -> Result<(), EvalError> {
        let mut vars = self.vars.borrow_mut();
        match value {
            Some(v) => vars.insert(name.to_owned(), v.to_owned()),
            None => vars.remove(name),
        };
        Ok(())
    }
}

/// Runs a body (indented by four spaces) and returns the variable `R`.
fn run(body: &str) -> Result<Option<String>, EvalError> {
    let store = Store::default();
    let src = format!("def f(d):\n{body}");
    crate::run_function(&src, &store)?;
    Ok(store.vars.borrow().get("R").cloned())
}

fn r(body: &str) -> String {
    match run(body) {
        Ok(Some(v)) => v,
        other => panic!("{body}: {other:?}"),
    }
}

fn exc(body: &str) -> (String, String) {
    match run(body) {
        Err(EvalError::Exception { kind, message }) => (kind, message),
        other => panic!("{body}: expected an exception, got {other:?}"),
    }
}

fn needs(body: &str) -> String {
    match run(body) {
        Err(EvalError::NeedsPython { reason, .. }) => reason,
        other => panic!("{body}: expected NeedsPython, got {other:?}"),
    }
}

#[test]
fn control_flow() {
    assert_eq!(
        r(
            "    x = 0\n    for i in range(10):\n        if i == 3:\n            continue\n        if i > 6:\n            break\n        x += i\n    d.setVar('R', str(x))\n"
        ),
        "18"
    );
    assert_eq!(
        r(
            "    n = 0\n    while n < 5:\n        n += 2\n    else:\n        n = -n\n    d.setVar('R', str(n))\n"
        ),
        "-6"
    );
}

#[test]
fn functions_and_scopes() {
    assert_eq!(
        r(
            "    def f(a, *b, c=3, **k):\n        return [a, b, c, k]\n    d.setVar('R', repr(f(1, 2, c=4, z=5)))\n"
        ),
        "[1, (2,), 4, {'z': 5}]"
    );
    assert_eq!(
        exc("    def f():\n        x\n        x = 1\n    f()\n"),
        (
            "UnboundLocalError".into(),
            "cannot access local variable 'x' where it is not associated with a value".into()
        )
    );
    assert_eq!(
        exc("    f2(1)\n    def f2(x):\n        pass\n"),
        (
            "UnboundLocalError".into(),
            "cannot access local variable 'f2' where it is not associated with a value".into()
        )
    );
    // `d` is not a global of a `def` function.
    assert_eq!(
        exc("    def g():\n        return d2\n    g()\n").0,
        "NameError"
    );
}

#[test]
fn datastore_functions_are_globals() {
    let mut store = Store::default();
    store.funcs.insert(
        "helper".into(),
        "def helper(x, y='!'):\n    return x.upper() + y\n".into(),
    );
    let src = "def f(d):\n    d.setVar('R', helper('a') + helper('b', y='?'))\n";
    assert_eq!(crate::run_function(src, &store), Ok(()));
    assert_eq!(
        store.vars.borrow().get("R").map(String::as_str),
        Some("A!B?")
    );
    // The same function from inline Python.
    assert_eq!(crate::eval("helper('x')", &store).as_deref(), Ok("X!"));
}

#[test]
fn exceptions() {
    assert_eq!(
        r("    try:\n        [][0]\n    except IndexError as e:\n        d.setVar('R', str(e))\n"),
        "list index out of range"
    );
    assert_eq!(
        r(
            "    try:\n        raise ValueError('a', 1)\n    except Exception as e:\n        d.setVar('R', repr(e.args) + str(e))\n"
        ),
        "('a', 1)('a', 1)"
    );
    assert_eq!(
        exc("    try:\n        {}['k']\n    except ValueError:\n        pass\n"),
        ("KeyError".into(), "'k'".into())
    );
    assert_eq!(
        exc("    raise"),
        (
            "RuntimeError".into(),
            "No active exception to reraise".into()
        )
    );
    assert_eq!(
        exc("    raise 1\n"),
        (
            "TypeError".into(),
            "exceptions must derive from BaseException".into()
        )
    );
    assert_eq!(
        exc("    assert 1 == 2, 'no'\n"),
        ("AssertionError".into(), "no".into())
    );
    // The name bound by `except ... as e` is unbound after the handler.
    assert_eq!(
        exc("    try:\n        1/0\n    except ZeroDivisionError as e:\n        pass\n    e\n").0,
        "UnboundLocalError"
    );
}

#[test]
fn our_limits_are_not_caught_as_python_exceptions() {
    assert_eq!(
        needs(
            "    def f():\n        return f()\n    try:\n        f()\n    except RecursionError:\n        pass\n"
        ),
        "recursion deeper than the native evaluator allows"
    );
    assert_eq!(
        needs(
            "    try:\n        raise KeyError('x')\n    except bb.process.ExecutionError:\n        pass\n"
        ),
        "use of `bb.process.ExecutionError`"
    );
}

#[test]
fn finally_runs_and_can_override() {
    assert_eq!(
        r(
            "    def f():\n        try:\n            return 1\n        finally:\n            d.setVar('R', 'fin')\n    f()\n"
        ),
        "fin"
    );
    assert_eq!(
        r(
            "    for i in range(3):\n        try:\n            raise KeyError\n        finally:\n            break\n    d.setVar('R', str(i))\n"
        ),
        "0"
    );
}

#[test]
fn imports_bind_modelled_modules_only() {
    assert_eq!(
        r(
            "    import os.path as p\n    from bb import utils\n    d.setVar('R', p.join('a', 'b') + str(utils.to_boolean('yes')))\n"
        ),
        "a/bTrue"
    );
    // Modules that surely exist import fine; using them needs Python.
    assert_eq!(r("    import re, string\n    d.setVar('R', 'ok')\n"), "ok");
    assert_eq!(
        needs("    import string\n    string.capwords('a')\n"),
        "call to `string.capwords`"
    );
    assert_eq!(
        needs("    import string\n    x = string\n"),
        "use of `string`"
    );
    assert_eq!(
        r("    from re import match\n    d.setVar('R', str(bool(match('a', 'a'))))\n"),
        "True"
    );
    assert_eq!(
        needs("    import not_a_module\n"),
        "import of `not_a_module`"
    );
    assert_eq!(
        needs("    from string import digits\n"),
        "import from `string`"
    );
    assert_eq!(needs("    import oe.nope\n"), "import of `oe.nope`");
    assert_eq!(r("    import oe.license\n    d.setVar('R', 'ok')\n"), "ok");
    assert_eq!(
        needs("    from oe.utils import nope\n"),
        "import of `oe.utils.nope`"
    );
}

#[test]
fn unsupported_constructs() {
    assert_eq!(needs("    with x:\n        pass\n"), "`with` statement");
    assert_eq!(needs("    class A:\n        pass\n"), "`class` statement");
    assert_eq!(
        needs("    def g():\n        yield 1\n    g()\n"),
        "generator function (`yield`)"
    );
    assert_eq!(
        needs("    x = [1]\n    x[0:1] = []\n"),
        "assignment to a slice"
    );
    assert_eq!(needs("    d.x = 1\n"), "assignment to an attribute");
}

#[test]
fn function_sources_are_cached_by_text() {
    let src = "def f(d):\n    pass\n";
    let a = super::compile_function(src);
    let b = super::compile_function(src);
    assert!(matches!((a, b), (Ok(a), Ok(b)) if std::sync::Arc::ptr_eq(&a, &b)));
}
