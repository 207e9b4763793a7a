//! Properties: arbitrary input never panics, compilation is deterministic, and a few laws of
//! Python and BitBake semantics hold.

use bb_pyexpr::{EvalError, compile, eval};
use proptest::prelude::*;

use crate::MapCtx;

fn ctx() -> MapCtx {
    MapCtx::with(&[
        ("PN", "foo"),
        ("PV", "1.2"),
        ("DISTRO_FEATURES", "a b c"),
        ("EMPTY", ""),
    ])
}

/// Fragments that combine into mostly valid, sometimes broken, Python.
fn pythonish() -> impl Strategy<Value = String> {
    let frag = prop::sample::select(vec![
        "1",
        "-2",
        "0x1f",
        "1.5",
        "'a b'",
        "\"c\"",
        "r'\\d'",
        "f'{PN}'",
        "PN",
        "d",
        "x",
        "None",
        "True",
        "[",
        "]",
        "(",
        ")",
        "{",
        "}",
        ",",
        ":",
        ".",
        "+",
        "-",
        "*",
        "/",
        "//",
        "%",
        "**",
        "==",
        "<",
        " in ",
        " not ",
        " and ",
        " or ",
        " if ",
        " else ",
        " for ",
        " lambda ",
        "d.getVar('PN')",
        ".split()",
        ".join",
        "[0]",
        "[::-1]",
        "len",
        "sorted",
        "str",
        "int",
        "bb.utils.contains('DISTRO_FEATURES', 'a', 'y', 'n', d)",
        "oe.utils",
        "os.path.join",
        "'%s' % ",
        ".format(",
        "range(3)",
        "x for x in ",
        "*",
        "**",
        "=",
        "'",
        "\\",
        "\n",
        " ",
    ]);
    prop::collection::vec(frag, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(s in any::<String>()) {
        let _ = eval(&s, &ctx());
    }

    #[test]
    fn pythonish_text_never_panics(s in pythonish()) {
        let _ = eval(&s, &ctx());
    }

    #[test]
    fn compile_is_deterministic(s in pythonish()) {
        let a = compile(&s).map(|e| e.eval(&ctx()));
        let b = compile(&s).map(|e| e.eval(&ctx()));
        prop_assert_eq!(a, b);
    }

    #[test]
    fn floor_division_law(a in any::<i32>(), b in any::<i32>().prop_filter("non-zero", |b| *b != 0)) {
        let r = eval(&format!("({a} // {b}) * {b} + {a} % {b} == {a}"), &ctx());
        prop_assert_eq!(r.as_deref(), Ok("True"));
        let m = eval(&format!("{a} % {b}"), &ctx()).ok().and_then(|s| s.parse::<i64>().ok());
        // The remainder has the sign of the divisor.
        prop_assert!(m.is_some_and(|m| m == 0 || (m < 0) == (b < 0)));
    }

    #[test]
    fn int_text_round_trips(n in any::<i64>()) {
        prop_assert_eq!(eval(&format!("str(int('{n}'))"), &ctx()), Ok(n.to_string()));
    }

    #[test]
    fn repr_reads_back(s in "\\PC{0,12}") {
        let ctx = MapCtx::with(&[("X", &s)]);
        match eval("repr(X)", &ctx) {
            Ok(r) => prop_assert_eq!(eval(&r, &ctx), Ok(s.clone())),
            Err(EvalError::NeedsPython { .. }) => {}
            Err(e) => prop_assert!(false, "{e:?}"),
        }
    }

    #[test]
    fn vercmp_is_a_total_order(a in "[0-9a-c.~+-]{0,6}", b in "[0-9a-c.~+-]{0,6}", c in "[0-9a-c.~+-]{0,6}") {
        let cmp = |x: &str, y: &str| -> i64 {
            eval(&format!("bb.utils.vercmp_string('{x}', '{y}')"), &ctx())
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(i64::MIN)
        };
        let (ab, ba, bc, ac) = (cmp(&a, &b), cmp(&b, &a), cmp(&b, &c), cmp(&a, &c));
        prop_assert!(ab != i64::MIN && ba != i64::MIN);
        prop_assert_eq!(ab.signum(), -ba.signum());
        prop_assert_eq!(cmp(&a, &a), 0);
        if ab <= 0 && bc <= 0 {
            prop_assert!(ac <= 0, "{} <= {} <= {} but {}", a, b, c, ac);
        }
    }

    #[test]
    fn contains_agrees_with_word_sets(words in prop::collection::vec("[a-d]{1,2}", 0..5), check in prop::collection::vec("[a-d]{1,2}", 0..3)) {
        let ctx = MapCtx::with(&[("V", &words.join(" "))]);
        let r = eval(&format!("bb.utils.contains('V', '{}', 'y', 'n', d)", check.join(" ")), &ctx);
        let want = if !words.is_empty() && check.iter().all(|c| words.contains(c)) { "y" } else { "n" };
        prop_assert_eq!(r.as_deref(), Ok(want));
    }
}

/// Inputs that once crashed or stressed the crate (fuzzing finds, deep nesting) must
/// evaluate to a result or an error.
#[test]
fn fuzz_regressions_do_not_crash() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/bb-pyexpr/fuzz-regressions");
    // invariant: the directory is part of the repository.
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut n = 0;
    for entry in entries.flatten() {
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        let _ = eval(&String::from_utf8_lossy(&bytes), &ctx());
        n += 1;
    }
    assert!(n > 0, "no regression inputs in {}", dir.display());
}

/// Function bodies that once crashed or stalled the `pyfunc` fuzz target run to a result or
/// an error (the target wraps them in `def __anon_fuzz(d):`).
#[test]
fn pyfunc_fuzz_regressions_do_not_crash() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/bb-pyexpr/fuzz-regressions-pyfunc");
    // invariant: the directory is part of the repository.
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut n = 0;
    for entry in entries.flatten() {
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        let body = String::from_utf8_lossy(&bytes);
        let store = crate::store::StoreCtx::with(&[("PN", "foo")]);
        let _ = bb_pyexpr::run_function(&format!("def __anon_fuzz(d):\n{body}"), &store);
        n += 1;
    }
    assert!(n > 0, "no regression inputs in {}", dir.display());
}

/// Lines that combine into function bodies: statements, blocks at several indentation levels,
/// and broken fragments.
fn function_body() -> impl Strategy<Value = String> {
    let line = prop::sample::select(vec![
        "x = 1",
        "x += 1",
        "x, y = y, x",
        "l = []",
        "l.append(x)",
        "l.extend(l)",
        "l[0] = l",
        "m = {}",
        "m[x] = l",
        "m.setdefault('k', []).append(m)",
        "del l[0]",
        "del x",
        "s = set()",
        "s.add(x)",
        "for x in l:",
        "for x in range(3):",
        "for k, v in m.items():",
        "while x < 5:",
        "while True:",
        "if x:",
        "elif y:",
        "else:",
        "try:",
        "except Exception as e:",
        "except:",
        "finally:",
        "break",
        "continue",
        "pass",
        "return x",
        "raise ValueError(x)",
        "raise",
        "def f(a, b=1, *c, **k):",
        "return f(a)",
        "f(x)",
        "lambda: x",
        "import os",
        "import re",
        "from oe.utils import conditional",
        "with x:",
        "class A:",
        "yield x",
        "global x",
        "d.setVar('A', str(x))",
        "d.appendVar('A', 'b')",
        "d.getVar('PN')",
        "d.setVarFlag('A', 'f', x)",
        "bb.note('n')",
        "bb.fatal('f')",
        "raise bb.parse.SkipRecipe('s')",
        "helper(d)",
        "assert x",
        "x = [y for y in l if y]",
        "(",
        ")",
        "'''",
        "\\",
        "",
        "# comment",
    ]);
    let indent = prop::sample::select(vec!["", " ", "    ", "        ", "\t", "            "]);
    prop::collection::vec((indent, line), 0..16).prop_map(|v| {
        v.into_iter()
            .map(|(i, l)| format!("    {i}{l}\n"))
            .collect::<String>()
    })
}

proptest! {
    #[test]
    fn arbitrary_function_text_never_panics(s in any::<String>()) {
        let store = crate::store::StoreCtx::default();
        let _ = bb_pyexpr::run_function(&s, &store);
        let _ = bb_pyexpr::run_function(&format!("def f(d):\n{s}"), &store);
    }

    #[test]
    fn function_bodies_never_panic(body in function_body()) {
        let mut store = crate::store::StoreCtx::with(&[("PN", "foo")]);
        store.add_defs("def helper(d):\n    return d.getVar('PN') * 2\n");
        let src = format!("def f(d):\n{body}");
        let first = bb_pyexpr::run_function(&src, &store);
        // Deterministic: a second run on a fresh datastore gives the same outcome.
        let mut again = crate::store::StoreCtx::with(&[("PN", "foo")]);
        again.add_defs("def helper(d):\n    return d.getVar('PN') * 2\n");
        prop_assert_eq!(first, bb_pyexpr::run_function(&src, &again));
    }
}

/// Fragments of regular expressions, valid or not.
fn regexish() -> impl Strategy<Value = String> {
    let frag = prop::sample::select(vec![
        "a", "b", ".", "*", "+", "?", "*?", "{2}", "{1,3}", "{,2}", "(", ")", "(?:", "(?P<n>",
        "(?P=n)", "(?=", "(?!", "(?<=", "(?<!", "[", "]", "[^", "-", "|", "^", "$", "\\d", "\\w",
        "\\s", "\\b", "\\1", "\\", "é", "(?i)", "#", " ",
    ]);
    prop::collection::vec(frag, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn regular_expressions_never_panic(p in regexish(), t in "[ab é\n-]{0,12}") {
        let store = crate::store::StoreCtx::default();
        let body = format!(
            "def f(d):\n    import re\n    p = {p:?}\n    t = {t:?}\n    \
             re.search(p, t)\n    re.sub(p, '-', t)\n    re.split(p, t)\n    re.findall(p, t)\n"
        );
        let _ = bb_pyexpr::run_function(&body, &store);
    }
}
