//! Expressions, functions, handlers and filters run by CPython on a real datastore.
#![expect(
    clippy::disallowed_methods,
    reason = "test inputs are written directly"
)]

use bb_data::DataStore;
use bb_data::python::{PyFailure, PyFunctionCall, PythonHost, python_host};

fn host() -> &'static dyn PythonHost {
    bb_python::install();
    python_host().expect("invariant: install() sets the host")
}

fn call<'a>(name: &'a str, source: &'a str) -> PyFunctionCall<'a> {
    PyFunctionCall {
        name,
        source,
        file: "/layer/classes/test.bbclass",
        line: 10,
    }
}

#[test]
fn inline_expression_reads_the_datastore() {
    host();
    let mut d = DataStore::new();
    d.set_var("A", "x y");
    d.set_var(
        "B",
        "${@ ' '.join(sorted(__import__('json').loads('[\"b\", \"a\"]'))) + d.getVar('A')}",
    );
    assert_eq!(d.get_var("B").unwrap().as_deref(), Some("a bx y"));
}

#[test]
fn a_bare_name_in_an_expression_reads_the_variable() {
    host();
    let mut d = DataStore::new();
    d.set_var("FOO", "bar");
    d.set_var("X", "${@__import__('re').sub('a', 'o', FOO)}");
    assert_eq!(d.get_var("X").unwrap().as_deref(), Some("bor"));
}

#[test]
fn a_function_writes_to_the_same_datastore_with_history() {
    let h = host();
    let mut d = DataStore::new();
    d.set_tracking(true);
    d.set_var("IN", "3");
    let src = "def f(d):\n    import os\n    n = int(d.getVar('IN'))\n    d.setVar('OUT', os.path.join('a', str(n * 2)))\n    d.appendVar('OUT', ' z')\n    d.setVarFlag('OUT', 'doc', 'x')\n";
    h.run_function(&mut d, &call("f", src)).unwrap();
    assert_eq!(d.get_var("OUT").unwrap().as_deref(), Some("a/6 z"));
    assert_eq!(
        d.get_var_flag("OUT", "doc", false).unwrap().as_deref(),
        Some("x")
    );
    let hist = d.history("OUT");
    let first = hist.first().expect("invariant: the write is recorded");
    assert_eq!(&*first.origin.file, "test.bbclass");
    // The def line is line 10 of the file, so its fourth line is line 13.
    assert_eq!(first.origin.line, 13);
    assert_eq!(first.origin.func.as_deref(), Some("f"));
}

#[test]
fn skiprecipe_and_fatal_are_reported_by_class() {
    let h = host();
    let mut d = DataStore::new();
    let skip = "def f(d):\n    raise bb.parse.SkipRecipe('no thanks')\n";
    match h.run_function(&mut d, &call("f", skip)) {
        Err(PyFailure::Exception { kind, message, .. }) => {
            assert_eq!(kind, "SkipRecipe");
            assert_eq!(message, "no thanks");
        }
        other => panic!("expected SkipRecipe, got {other:?}"),
    }
    let fatal = "def g(d):\n    bb.fatal('broken ' + 'here')\n";
    match h.run_function(&mut d, &call("g", fatal)) {
        Err(PyFailure::Exception { kind, message, .. }) => {
            assert_eq!(kind, "BBHandledException");
            assert_eq!(message, "broken here");
        }
        other => panic!("expected BBHandledException, got {other:?}"),
    }
}

#[test]
fn an_exception_names_the_metadata_file_and_line() {
    let h = host();
    let mut d = DataStore::new();
    let src = "def f(d):\n    x = 1\n    return {}['missing']\n";
    match h.run_function(&mut d, &call("f", src)) {
        Err(PyFailure::Exception {
            kind, traceback, ..
        }) => {
            assert_eq!(kind, "KeyError");
            assert!(
                traceback.contains("File \"/layer/classes/test.bbclass\", line 12, in f"),
                "{traceback}"
            );
        }
        other => panic!("expected KeyError, got {other:?}"),
    }
}

#[test]
fn def_functions_of_the_datastore_are_callable_by_name() {
    let h = host();
    let mut d = DataStore::new();
    d.set_var("helper", "def helper(d, n):\n    return 'h%d' % n\n");
    d.set_var_flag("helper", "func", "1");
    d.set_var_flag("helper", "python", "1");
    let src =
        "def f(d):\n    d.setVar('R', helper(d, 4) + ''.join(map(lambda x: helper(d, x), [1])))\n";
    h.run_function(&mut d, &call("f", src)).unwrap();
    assert_eq!(d.get_var("R").unwrap().as_deref(), Some("h4h1"));
    d.set_var("E", "${@helper(d, 7)}");
    assert_eq!(h.eval_expr(&d, "helper(d, 7)", Some("E")).unwrap(), "h7");
}

#[test]
fn a_datastore_error_inside_python_comes_back_whole() {
    let h = host();
    let mut d = DataStore::new();
    d.set_var("LOOP", "${LOOP}");
    let src = "def f(d):\n    d.getVar('LOOP')\n";
    match h.run_function(&mut d, &call("f", src)) {
        Err(PyFailure::Data(e)) => assert!(e.to_string().contains("LOOP"), "{e}"),
        other => panic!("expected the datastore error, got {other:?}"),
    }
}

#[test]
fn handlers_get_the_event_and_the_datastore() {
    let h = host();
    let mut d = DataStore::new();
    let ev = bb_pyexpr::Event::new("bb.event.RecipeParsed")
        .with("fn", bb_pyexpr::EventAttr::Str("/x/a.bb".to_owned()));
    let src = "def handler(e, d):\n    d.setVar('EV', '%s %s %s' % (bb.event.getName(e), e.fn, isinstance(e, bb.event.RecipeEvent)))\n    d.setVar('SAME', str(e.data is d))\n";
    h.fire_handler(&mut d, &call("handler", src), &ev).unwrap();
    assert_eq!(
        d.get_var("EV").unwrap().as_deref(),
        Some("RecipeParsed /x/a.bb True")
    );
    assert_eq!(d.get_var("SAME").unwrap().as_deref(), Some("True"));
}

#[test]
fn create_copy_is_independent() {
    let h = host();
    let mut d = DataStore::new();
    d.set_var("A", "1");
    let src = "def f(d):\n    l = bb.data.createCopy(d)\n    l.setVar('A', '2')\n    d.setVar('B', l.getVar('A') + d.getVar('A'))\n";
    h.run_function(&mut d, &call("f", src)).unwrap();
    assert_eq!(d.get_var("A").unwrap().as_deref(), Some("1"));
    assert_eq!(d.get_var("B").unwrap().as_deref(), Some("21"));
}

#[test]
fn bb_utils_helpers_follow_bitbake() {
    let h = host();
    let mut d = DataStore::new();
    d.set_var("F", "a b c");
    let cases = [
        ("bb.utils.contains('F', 'a c', 'y', 'n', d)", "y"),
        ("bb.utils.contains_any('F', 'x c', 'y', 'n', d)", "y"),
        ("bb.utils.filter('F', 'c a z', d)", "a c"),
        (
            "str(dict(bb.utils.explode_dep_versions2('b (>= 1.0) a c (< 2)')))",
            "{'a': [], 'b': ['>= 1.0'], 'c': ['< 2']}",
        ),
        ("bb.utils.explode_deps('a (>= 1) b')", "['a', 'b']"),
        ("bb.utils.vercmp_string_op('1.10', '1.9', '>')", "True"),
        ("bb.utils.vercmp_string('1.0~rc1', '1.0')", "-1"),
        (
            "str(bb.fetch2.decodeurl('git://host/p/r.git;branch=m;protocol=https'))",
            "('git', 'host', '/p/r.git', '', '', OrderedDict([('branch', 'm'), ('protocol', 'https')]))",
        ),
        ("bb.fetch2.URI('https://u@h:8080/a%20b;x=1').path", "/a b"),
        ("bb.utils.to_boolean('Yes')", "True"),
    ];
    for (expr, want) in cases {
        assert_eq!(h.eval_expr(&d, expr, None).unwrap(), want, "{expr}");
    }
}

#[test]
fn filters_run_through_bb_filter() {
    let h = host();
    assert_eq!(
        h.apply_filter("suffix(val, '-x')", "a b")
            .unwrap()
            .as_deref(),
        Some("a-x b-x")
    );
    assert_eq!(
        h.apply_filter("remove(sort(val), 'b')", "c b a")
            .unwrap()
            .as_deref(),
        Some("a c")
    );
}

#[test]
fn an_addpylib_namespace_is_reached_first_from_an_expression() {
    let h = host();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("pylib-expr");
    let pkg = dir.join("pylibexpr");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("__init__.py"), "BBIMPORTS = ['m']\n").unwrap();
    std::fs::write(pkg.join("m.py"), "def twice(s):\n    return s * 2\n").unwrap();
    h.add_pylib(&dir.to_string_lossy(), "pylibexpr").unwrap();
    let d = DataStore::new();
    assert_eq!(
        h.eval_expr(&d, "pylibexpr.m.twice('ab')", None).unwrap(),
        "abab"
    );
}

/// Where each write of `var` is recorded: file, line and function.
fn origins(d: &DataStore, var: &str) -> Vec<(String, u32, Option<String>)> {
    d.history(var)
        .iter()
        .map(|e| {
            (
                e.origin.file.to_string(),
                e.origin.line,
                e.origin.func.as_deref().map(str::to_owned),
            )
        })
        .collect()
}

#[test]
fn natively_run_functions_record_writes_at_cpythons_lines() {
    let h = host();
    // Line 10 of test.bbclass is the `def` line: a nested function, a loop, a call.
    let body = "    def inner(d, v):\n        d.setVar('B', v)\n    for x in ['1', '2']:\n        d.appendVar('A', x)\n    inner(d, 'b')\n    d.setVar('C', 'c')\n";
    let setup = || {
        let mut d = DataStore::new();
        d.set_tracking(true);
        d.set_var("f", body);
        d.set_var_flag("f", "func", "1");
        d.set_var_flag("f", "python", "1");
        d.set_var_flag("f", "filename", "/layer/classes/test.bbclass");
        d.set_var_flag("f", "lineno", "10");
        d
    };
    let mut native = setup();
    assert_eq!(
        bb_data::run_python_function(&mut native, "f").unwrap(),
        Ok(())
    );
    let mut cpython = setup();
    h.run_function(&mut cpython, &call("f", &format!("def f(d):\n{body}")))
        .unwrap();
    let at = |line, func: &str| ("test.bbclass".to_owned(), line, Some(func.to_owned()));
    assert_eq!(origins(&cpython, "A"), vec![at(14, "f"), at(14, "f")]);
    assert_eq!(origins(&cpython, "B"), vec![at(12, "inner")]);
    assert_eq!(origins(&cpython, "C"), vec![at(16, "f")]);
    for var in ["A", "B", "C"] {
        assert_eq!(origins(&native, var), origins(&cpython, var), "{var}");
    }
}
