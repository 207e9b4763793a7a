//! Behaviour of [`bb_pyexpr::run_function`] and of calls to the datastore's Python functions
//! from inline Python, through the public API.

use bb_pyexpr::{EvalError, PyFunction, PyFunctionKind, eval, run_function};

use crate::store::StoreCtx;

fn anon(body: &str) -> String {
    format!("def __anon_1_test(d):\n{body}")
}

fn needs(r: Result<impl std::fmt::Debug, EvalError>) -> (String, String) {
    match r {
        Err(EvalError::NeedsPython { expr, reason }) => (expr, reason),
        other => panic!("expected NeedsPython, got {other:?}"),
    }
}

#[test]
fn anonymous_function_writes_the_datastore() {
    let ctx = StoreCtx::with(&[("PACKAGECONFIG", "gtk x11")]);
    let src = anon(
        "    pc = d.getVar('PACKAGECONFIG').split()\n    if 'gtk' in pc:\n        \
         d.appendVar('DEPENDS', ' gtk+3')\n",
    );
    assert_eq!(run_function(&src, &ctx), Ok(()));
    assert_eq!(ctx.var("DEPENDS").as_deref(), Some(" gtk+3"));
}

#[test]
fn skip_recipe_and_fatal() {
    let ctx = StoreCtx::default();
    let r = run_function(&anon("    raise bb.parse.SkipRecipe('no')\n"), &ctx);
    assert_eq!(
        r,
        Err(EvalError::Exception {
            kind: "SkipRecipe".into(),
            message: "no".into()
        })
    );
    let r = run_function(&anon("    raise bb.parse.SkipPackage('old')\n"), &ctx);
    assert!(matches!(r, Err(EvalError::Exception { kind, .. }) if kind == "SkipRecipe"));
    let r = run_function(&anon("    bb.fatal('boom ', 'now')\n"), &ctx);
    assert_eq!(
        r,
        Err(EvalError::Exception {
            kind: "BBHandledException".into(),
            message: "boom now".into()
        })
    );
    assert_eq!(
        ctx.log.borrow().last(),
        Some(&("fatal".to_owned(), "boom now".to_owned()))
    );
}

#[test]
fn needs_python_names_the_function_and_the_construct() {
    let ctx = StoreCtx::default();
    let (expr, reason) = needs(run_function(
        &anon("    with open('x') as f:\n        pass\n"),
        &ctx,
    ));
    assert_eq!(expr, "def __anon_1_test(d):");
    assert_eq!(reason, "`with` statement");
    let (_, reason) = needs(run_function(
        &anon("    import subprocess\n    subprocess.run(['true'])\n"),
        &ctx,
    ));
    assert_eq!(reason, "call to `subprocess.run`");
    let (_, reason) = needs(run_function(&anon("    import yaml\n"), &ctx));
    assert_eq!(reason, "import of `yaml`");
    let (_, reason) = needs(run_function(&anon("    x = oe.foo.bar(d)\n"), &ctx));
    assert_eq!(reason, "call to `oe.foo.bar`");
}

#[test]
fn a_source_that_is_not_one_def_needs_python() {
    let ctx = StoreCtx::default();
    let (_, reason) = needs(run_function("x = 1\n", &ctx));
    assert!(reason.contains("single `def`"), "{reason}");
}

#[test]
fn syntax_errors_are_syntax_errors() {
    let ctx = StoreCtx::default();
    assert!(matches!(
        run_function(&anon("    if x\n        pass\n"), &ctx),
        Err(EvalError::Syntax { .. })
    ));
    assert!(matches!(
        run_function(&anon("  x = 1\n    y = 2\n"), &ctx),
        Err(EvalError::Syntax { .. })
    ));
    assert!(matches!(
        run_function("def f(d):\n\tif 1:\n        \tx = 1\n\ty = 2\n", &ctx),
        Err(EvalError::Syntax { .. }) | Ok(())
    ));
}

#[test]
fn inline_python_calls_def_functions() {
    let mut ctx = StoreCtx::with(&[("PN", "foo"), ("PV", "1.0")]);
    ctx.add_defs(
        "def pkg_name(d, suffix='-dev'):\n    return d.getVar('PN') + suffix\n\n\
         def versioned(d):\n    return '%s_%s' % (pkg_name(d, ''), d.getVar('PV'))\n",
    );
    assert_eq!(eval("pkg_name(d)", &ctx).as_deref(), Ok("foo-dev"));
    assert_eq!(
        eval("pkg_name(d, suffix='-x')", &ctx).as_deref(),
        Ok("foo-x")
    );
    assert_eq!(eval("versioned(d)", &ctx).as_deref(), Ok("foo_1.0"));
    assert_eq!(
        eval("' '.join(map(pkg_name, [d, d]))", &ctx).as_deref(),
        Ok("foo-dev foo-dev")
    );
    // A function that raises gives its exception.
    ctx.add_defs("def bad(d):\n    return {}['k']\n");
    assert_eq!(
        eval("bad(d)", &ctx),
        Err(EvalError::Exception {
            kind: "KeyError".into(),
            message: "'k'".into()
        })
    );
}

#[test]
fn bitbake_python_functions_run_as_def_name_d() {
    let mut ctx = StoreCtx::default();
    ctx.funcs.insert(
        "do_thing".into(),
        PyFunction {
            source: "    d.setVar('DONE', 'yes')\n".into(),
            kind: PyFunctionKind::BitBake,
        },
    );
    assert_eq!(run_function(&anon("    do_thing(d)\n"), &ctx), Ok(()));
    assert_eq!(ctx.var("DONE").as_deref(), Some("yes"));
}

#[test]
fn unknown_bare_calls_need_python() {
    let ctx = StoreCtx::default();
    let (_, reason) = needs(run_function(&anon("    not_a_function(d)\n"), &ctx));
    assert_eq!(reason, "call to `not_a_function`");
    let (_, reason) = needs(eval("not_a_function(d)", &ctx));
    assert_eq!(reason, "call to `not_a_function`");
}

#[test]
fn deep_values_and_long_loops_do_not_crash() {
    let ctx = StoreCtx::default();
    // A list nested 200000 levels deep is built and dropped without recursion.
    let src = anon(
        "    x = []\n    top = x\n    for i in range(200000):\n        y = []\n        \
         x.append(y)\n        x = y\n    t = ()\n    for i in range(200000):\n        \
         t = (t,)\n    d.setVar('DONE', '1')\n",
    );
    assert_eq!(run_function(&src, &ctx), Ok(()));
    // Comparing such values needs Python rather than overflowing the stack.
    let src = anon(
        "    a = []\n    b = []\n    x, y = a, b\n    for i in range(100000):\n        \
         x.append([])\n        y.append([])\n        x = x[0]\n        y = y[0]\n    \
         d.setVar('EQ', str(a == b))\n",
    );
    assert!(matches!(
        run_function(&src, &ctx),
        Err(EvalError::NeedsPython { .. })
    ));
    // An endless loop ends at the step budget.
    let (_, reason) = needs(run_function(&anon("    while True:\n        pass\n"), &ctx));
    assert!(reason.contains("steps"), "{reason}");
    // A container may not contain itself.
    let (_, reason) = needs(run_function(&anon("    l = []\n    l.append(l)\n"), &ctx));
    assert_eq!(reason, "a container that contains itself");
}

#[test]
fn default_context_reports_missing_writes() {
    let ctx = crate::MapCtx::default();
    let (_, reason) = needs(run_function(&anon("    d.setVar('A', 'b')\n"), &ctx));
    assert_eq!(reason, "`d.setVar` is not supported by this datastore");
}
