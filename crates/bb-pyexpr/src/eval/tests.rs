//! Unit tests of `eval.rs`: name resolution, scopes, calls, comprehensions and iterators.
//! Also home of [`Ctx`], the small datastore the other unit tests use.

use std::collections::HashMap;

use crate::{Context, EvalError};

/// A datastore of plain variables and flags for unit tests; `expand` substitutes `${NAME}`.
#[derive(Default)]
pub(crate) struct Ctx {
    pub(crate) vars: HashMap<String, String>,
    pub(crate) flags: HashMap<(String, String), String>,
}

impl Ctx {
    pub(crate) fn new(vars: &[(&str, &str)]) -> Self {
        Self {
            vars: vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            flags: HashMap::new(),
        }
    }

    pub(crate) fn flag(mut self, name: &str, flag: &str, value: &str) -> Self {
        self.flags
            .insert((name.to_owned(), flag.to_owned()), value.to_owned());
        self
    }
}

impl Context for Ctx {
    fn get_var(&self, name: &str, _expand: bool) -> Result<Option<String>, EvalError> {
        if name == "BROKEN" {
            return Err(EvalError::Data("variable BROKEN references itself".into()));
        }
        Ok(self.vars.get(name).cloned())
    }

    fn get_var_flag(
        &self,
        name: &str,
        flag: &str,
        _expand: bool,
    ) -> Result<Option<String>, EvalError> {
        Ok(self.flags.get(&(name.to_owned(), flag.to_owned())).cloned())
    }

    fn expand(&self, text: &str) -> Result<String, EvalError> {
        let mut out = text.to_owned();
        for (k, v) in &self.vars {
            out = out.replace(&format!("${{{k}}}"), v);
        }
        Ok(out)
    }
}

/// Evaluates with a few standard variables.
pub(crate) fn ev(src: &str) -> Result<String, EvalError> {
    let ctx = Ctx::new(&[
        ("PN", "foo"),
        ("PV", "1.2.3"),
        ("FEATURES", "a b c"),
        ("EMPTY", ""),
    ]);
    crate::eval(src, &ctx)
}

/// Evaluates and unwraps, with the expression in the panic message.
pub(crate) fn ok(src: &str) -> String {
    match ev(src) {
        Ok(s) => s,
        Err(e) => panic!("{src}: {e:?}"),
    }
}

/// The exception kind and message an expression raises.
pub(crate) fn exc(src: &str) -> (String, String) {
    match ev(src) {
        Err(EvalError::Exception { kind, message }) => (kind, message),
        other => panic!("{src}: expected an exception, got {other:?}"),
    }
}

/// The NeedsPython reason of an expression.
pub(crate) fn needs(src: &str) -> String {
    match ev(src) {
        Err(EvalError::NeedsPython { reason, expr }) => {
            assert_eq!(expr, src);
            reason
        }
        other => panic!("{src}: expected NeedsPython, got {other:?}"),
    }
}

#[test]
fn bare_names_read_the_datastore_at_top_level_only() {
    assert_eq!(ok("PN + '-' + PV"), "foo-1.2.3");
    assert_eq!(
        exc("NOPE"),
        ("NameError".into(), "name 'NOPE' is not defined".into())
    );
    // Lambdas and comprehension bodies see only Python globals, as in CPython's eval().
    assert_eq!(exc("(lambda: PN)()").1, "name 'PN' is not defined");
    assert_eq!(exc("[x + PN for x in 'ab']").1, "name 'PN' is not defined");
    // ... but the first iterable is evaluated in the enclosing scope.
    assert_eq!(ok("[x for x in PN]"), "['f', 'o', 'o']");
    assert_eq!(ok("(lambda: d.getVar('PN'))()"), "foo");
}

#[test]
fn builtins_win_over_variables() {
    let ctx = Ctx::new(&[("len", "shadow"), ("__name__", "var")]);
    assert_eq!(crate::eval("len('ab')", &ctx).as_deref(), Ok("2"));
    // Names starting with `_` are not excluded from the datastore lookup.
    assert_eq!(crate::eval("__name__", &ctx).as_deref(), Ok("var"));
}

#[test]
fn calls_of_unknown_names_need_python() {
    assert_eq!(needs("get_perl_version(d)"), "call to `get_perl_version`");
    assert_eq!(needs("PN(1)"), "call to `PN`");
    assert_eq!(
        needs("oe.kernel.get_kernel_version(d)"),
        "call to `oe.kernel.get_kernel_version`"
    );
    assert_eq!(
        needs("time.strftime('%Y')"),
        "`time.strftime` of the local time (the host's time zone)"
    );
    assert_eq!(needs("time.localtime()"), "call to `time.localtime`");
    assert_eq!(needs("[oe.foo]"), "use of `oe.foo`");
    assert_eq!(needs("print('x')"), "call to `print`");
}

#[test]
fn def_functions_are_not_strings() {
    let ctx = Ctx::new(&[("myfunc", "def myfunc(d):\n    return 1")]).flag("myfunc", "func", "1");
    assert!(matches!(
        crate::eval("myfunc", &ctx),
        Err(EvalError::NeedsPython { .. })
    ));
}

#[test]
fn global_python_modules_come_from_the_datastore() {
    let ctx = Ctx::new(&[("BB_GLOBAL_PYMODULES", "os sys time")]);
    let r = crate::eval("sys.executable", &ctx);
    assert!(
        matches!(r, Err(EvalError::NeedsPython { reason, .. }) if reason == "use of `sys.executable`")
    );
    let r = crate::eval("sys", &Ctx::new(&[]));
    assert!(matches!(r, Err(EvalError::Exception { kind, .. }) if kind == "NameError"));
}

#[test]
fn context_errors_pass_through() {
    assert_eq!(
        ev("d.getVar('BROKEN')"),
        Err(EvalError::Data("variable BROKEN references itself".into()))
    );
    assert_eq!(
        ev("BROKEN"),
        Err(EvalError::Data("variable BROKEN references itself".into()))
    );
}

#[test]
fn closures_bind_late() {
    assert_eq!(
        ok("[f() for f in [lambda: i for i in range(3)]]"),
        "[2, 2, 2]"
    );
    assert_eq!(
        ok("[f() for f in [lambda i=i: i for i in range(3)]]"),
        "[0, 1, 2]"
    );
}

#[test]
fn generators_are_lazy() {
    // any() stops before the element that would raise.
    assert_eq!(ok("any(int(x) > 1 for x in ['2', 'x'])"), "True");
    assert_eq!(exc("any(int(x) > 5 for x in ['2', 'x'])").0, "ValueError");
    assert_eq!(ok("next(x for x in range(10**6) if x > 3)"), "4");
    // A generator is consumed once.
    assert_eq!(
        ok("(lambda g: (list(g), list(g)))(x for x in 'ab')"),
        "(['a', 'b'], [])"
    );
    assert_eq!(
        ok("(lambda it: list(zip(it, it)))(iter('abcd'))"),
        "[('a', 'b'), ('c', 'd')]"
    );
}

#[test]
fn unpacking_in_for_targets() {
    assert_eq!(ok("[b + a for a, b in ['xy', 'zw']]"), "['yx', 'wz']");
    assert_eq!(ok("[m for a, *m, z in ['abcd']]"), "[['b', 'c']]");
    assert_eq!(
        exc("[a for a, b in ['xyz']]").1,
        "too many values to unpack (expected 2)"
    );
    assert_eq!(
        exc("[a for a, b in ['x']]").1,
        "not enough values to unpack (expected 2, got 1)"
    );
    assert_eq!(
        exc("[a for a, b in [5]]").1,
        "cannot unpack non-iterable int object"
    );
    assert_eq!(needs("[1 for d.x in 'a']"), "assignment to an attribute");
}

#[test]
fn recursion_is_bounded() {
    // How deep CPython gets depends on its recursion limit and on BitBake's own stack, so
    // running out of our depth budget hands over to Python.
    assert!(needs("(lambda f: f(f))(lambda f: f(f))").starts_with("recursion deeper"));
    assert_eq!(
        ok("(lambda f: f(f, 10))(lambda g, n: 1 if n <= 1 else n * g(g, n - 1))"),
        "3628800"
    );
}

#[test]
fn long_evaluations_are_refused() {
    for src in ["sum(1 for a in range(10**9))", "sum(range(10**12))"] {
        let r = ev(src);
        assert!(
            matches!(r, Err(EvalError::NeedsPython { reason, .. }) if reason.starts_with("evaluation longer")),
            "{src}"
        );
    }
}

#[test]
fn huge_results_are_refused() {
    assert!(matches!(
        ev("'a' * 10**12"),
        Err(EvalError::NeedsPython { .. })
    ));
    assert!(matches!(
        ev("list(range(10**12))"),
        Err(EvalError::NeedsPython { .. })
    ));
    // CPython builds a few million items in megabytes: not a MemoryError of ours.
    assert!(matches!(
        ev("len(list(range(2 * 10**6)))"),
        Err(EvalError::NeedsPython { .. })
    ));
    assert!(needs("'1'.zfill(10**12)").starts_with("result too large"));
    assert!(needs("'a\\tb'.expandtabs(2**30)").starts_with("result too large"));
    assert_eq!(
        exc("'a'.expandtabs(2**31)"),
        (
            "OverflowError".to_owned(),
            "Python int too large to convert to C int".to_owned()
        )
    );
    assert!(matches!(ev("len(list(range(10**6)))"), Ok(s) if s == "1000000"));
}

#[test]
fn walrus_and_other_unsupported_syntax() {
    assert_eq!(needs("(x := 5)"), "assignment expression `:=`");
    assert_eq!(needs("..."), "`Ellipsis`");
    assert_eq!(needs("b'x'"), "bytes literal");
    assert_eq!(needs("1j"), "complex number literal");
    assert_eq!(
        needs("99999999999999999999"),
        "integer literal beyond 64 bits"
    );
}

#[test]
fn str_of_objects_with_addresses_needs_python() {
    assert!(needs("lambda: 1").contains("memory address"));
    assert!(needs("map(str, [])").contains("memory address"));
    assert!(needs("d").contains("memory address"));
    assert_eq!(ok("len"), "<built-in function len>");
    assert_eq!(ok("str"), "<class 'str'>");
}
#[test]
fn deep_recursion_through_builtins_stays_on_the_stack() {
    for src in [
        "(lambda f: list(map(f, [f])))(lambda g: list(map(g, [g])))",
        "(lambda f: sorted([f], key=f))(lambda g: sorted([g], key=g))",
        "(lambda f: ''.join(f(f) for x in 'a'))(lambda g: ''.join(g(g) for x in 'a'))",
        "(lambda f: [f(f) for x in 'a'])(lambda g: [g(g) for x in 'a'])",
        "(lambda f: '{}'.format(f(f)))(lambda g: '{}'.format(g(g)))",
    ] {
        assert!(needs(src).starts_with("recursion deeper"), "{src}");
    }
}
