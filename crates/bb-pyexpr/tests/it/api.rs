//! Behaviour of the public API: compile once and evaluate many times, error kinds, the
//! `None` trap and errors passed through from the context.

use bb_pyexpr::{Context, EvalError, Expr, compile, eval};

use crate::MapCtx;

#[test]
fn compile_once_eval_many() {
    let expr =
        compile("bb.utils.contains('DISTRO_FEATURES', 'x11', 'gui', 'tty', d)").expect("compiles");
    let with = MapCtx::with(&[("DISTRO_FEATURES", "x11 systemd")]);
    let without = MapCtx::with(&[("DISTRO_FEATURES", "systemd")]);
    assert_eq!(expr.eval(&with).as_deref(), Ok("gui"));
    assert_eq!(expr.eval(&without).as_deref(), Ok("tty"));
    assert_eq!(expr.clone().eval(&with).as_deref(), Ok("gui"));
    assert_eq!(
        expr.text(),
        "bb.utils.contains('DISTRO_FEATURES', 'x11', 'gui', 'tty', d)"
    );
}

#[test]
fn expr_is_shareable() {
    fn assert_shareable<T: Clone + Send + Sync + 'static>() {}
    assert_shareable::<Expr>();
    let expr = compile("d.getVar('PN') + '-x'").expect("compiles");
    let handle = std::thread::spawn(move || expr.eval(&MapCtx::with(&[("PN", "foo")])));
    assert_eq!(
        handle.join().ok().and_then(Result::ok).as_deref(),
        Some("foo-x")
    );
}

#[test]
fn none_is_the_text_none() {
    let ctx = MapCtx::default();
    assert_eq!(eval("d.getVar('UNSET')", &ctx).as_deref(), Ok("None"));
    assert_eq!(eval("True", &ctx).as_deref(), Ok("True"));
    assert_eq!(eval("['a', \"b'\"]", &ctx).as_deref(), Ok("['a', \"b'\"]"));
}

#[test]
fn surrounding_whitespace_is_ignored() {
    assert_eq!(eval("  1 + 1\n ", &MapCtx::default()).as_deref(), Ok("2"));
    assert_eq!(eval("\t'x'  ", &MapCtx::default()).as_deref(), Ok("x"));
}

#[test]
fn error_kinds() {
    let ctx = MapCtx::default();
    assert!(matches!(
        eval("'abc", &ctx),
        Err(EvalError::Syntax {
            unterminated_string: true,
            ..
        })
    ));
    assert!(matches!(
        eval("foo = 5", &ctx),
        Err(EvalError::Syntax {
            unterminated_string: false,
            ..
        })
    ));
    assert_eq!(
        eval("UNSET_NAME", &ctx),
        Err(EvalError::Exception {
            kind: "NameError".into(),
            message: "name 'UNSET_NAME' is not defined".into()
        })
    );
    assert_eq!(
        eval("get_perl_version(d)", &ctx),
        Err(EvalError::NeedsPython {
            expr: "get_perl_version(d)".into(),
            reason: "call to `get_perl_version`".into()
        })
    );
    let e = eval("oe.utils.foo(d)", &ctx);
    assert!(
        matches!(&e, Err(EvalError::NeedsPython { expr, reason }) if expr == "oe.utils.foo(d)" && reason == "call to `oe.utils.foo`")
    );
    assert_eq!(
        e.map_err(|e| e.to_string()),
        Err("cannot evaluate `oe.utils.foo(d)` natively: call to `oe.utils.foo`".into())
    );
}

/// A context whose every read fails, as a recursive variable would.
struct Failing;

impl Context for Failing {
    fn get_var(&self, name: &str, _expand: bool) -> Result<Option<String>, EvalError> {
        if name == "BB_GLOBAL_PYMODULES" {
            return Ok(None);
        }
        Err(EvalError::Data(format!(
            "variable {name} references itself"
        )))
    }
    fn get_var_flag(
        &self,
        name: &str,
        _flag: &str,
        _expand: bool,
    ) -> Result<Option<String>, EvalError> {
        Err(EvalError::Data(format!("flag of {name}")))
    }
    fn expand(&self, _text: &str) -> Result<String, EvalError> {
        Err(EvalError::Data("expand".into()))
    }
}

#[test]
fn context_errors_pass_through_unchanged() {
    assert_eq!(
        eval("d.getVar('A')", &Failing),
        Err(EvalError::Data("variable A references itself".into()))
    );
    assert_eq!(
        eval("d.getVarFlag('A', 'f')", &Failing),
        Err(EvalError::Data("flag of A".into()))
    );
    assert_eq!(
        eval("d.expand('x')", &Failing),
        Err(EvalError::Data("expand".into()))
    );
    assert_eq!(
        eval("BARE", &Failing),
        Err(EvalError::Data("variable BARE references itself".into()))
    );
    // Short-circuiting means the context is never asked.
    assert_eq!(eval("'a' or d.getVar('A')", &Failing).as_deref(), Ok("a"));
}

/// A context that evaluates inline Python itself while answering, as a datastore does.
struct Nested(MapCtx);

impl Context for Nested {
    fn get_var(&self, name: &str, expand: bool) -> Result<Option<String>, EvalError> {
        match self.0.get_var(name, expand)? {
            Some(v) if expand && v.starts_with("${@") && v.ends_with('}') => {
                eval(&v[3..v.len() - 1], self).map(Some)
            }
            other => Ok(other),
        }
    }
    fn get_var_flag(
        &self,
        name: &str,
        flag: &str,
        expand: bool,
    ) -> Result<Option<String>, EvalError> {
        self.0.get_var_flag(name, flag, expand)
    }
    fn expand(&self, text: &str) -> Result<String, EvalError> {
        self.0.expand(text)
    }
}

#[test]
fn contexts_may_evaluate_recursively() {
    let ctx = Nested(MapCtx::with(&[
        ("A", "${@d.getVar('B') + '1'}"),
        ("B", "${@'b' * 2}"),
    ]));
    assert_eq!(eval("d.getVar('A').upper()", &ctx).as_deref(), Ok("BB1"));
    // Unbounded recursion through the context ends in an error, not a stack overflow: our
    // depth budget is not CPython's recursion limit, so it hands over to Python.
    let ctx = Nested(MapCtx::with(&[("A", "${@d.getVar('A')}")]));
    assert!(matches!(
        eval("d.getVar('A')", &ctx),
        Err(EvalError::NeedsPython { .. })
    ));
}

/// With counting on, an entry point that gives up leaves its reason for the handover that
/// follows, and the report has a row per outcome (counting changes no result).
#[test]
fn stats_count_entry_points_and_keep_the_reason() {
    bb_pyexpr::stats::enable();
    let ctx = MapCtx::with(&[("A", "1")]);
    assert_eq!(eval("d.getVar('A')", &ctx).as_deref(), Ok("1"));
    let _ = bb_pyexpr::stats::take_reason();
    assert!(matches!(
        eval("oe.unknown.helper(d)", &ctx),
        Err(EvalError::NeedsPython { .. })
    ));
    let reason = bb_pyexpr::stats::take_reason().unwrap_or_default();
    assert!(reason.contains("oe.unknown.helper"), "{reason}");
    assert_eq!(bb_pyexpr::stats::take_reason(), None);
    bb_pyexpr::stats::record(
        "test section",
        "key".to_owned(),
        std::time::Duration::from_millis(2),
        None,
    );
    let report = bb_pyexpr::stats::report(10);
    assert!(report.contains("== native eval: "), "{report}");
    assert!(report.contains(" ok\n"), "{report}");
    assert!(report.contains(" needs Python\n"), "{report}");
    assert!(
        report.contains("== test section: 1 calls, 0.002 s"),
        "{report}"
    );
}
