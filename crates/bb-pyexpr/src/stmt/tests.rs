//! Unit tests of `stmt.rs`: the statement grammar, indentation, and each function's locals.

use super::*;

fn module(src: &str) -> Vec<Stmt> {
    match parse_module(src) {
        Ok(m) => strip_lines(m),
        Err(e) => panic!("{src:?}: {e:?}"),
    }
}

/// The statements without their line markers (checked on their own below).
fn strip_lines(body: Vec<Stmt>) -> Vec<Stmt> {
    body.into_iter()
        .filter(|s| !matches!(s, Stmt::Line(_)))
        .map(|s| match s {
            Stmt::If(branches, orelse) => Stmt::If(
                branches
                    .into_iter()
                    .map(|(c, b)| (c, strip_lines(b)))
                    .collect(),
                strip_lines(orelse),
            ),
            Stmt::For {
                target,
                iter,
                body,
                orelse,
            } => Stmt::For {
                target,
                iter,
                body: strip_lines(body),
                orelse: strip_lines(orelse),
            },
            Stmt::While { cond, body, orelse } => Stmt::While {
                cond,
                body: strip_lines(body),
                orelse: strip_lines(orelse),
            },
            Stmt::Try {
                body,
                handlers,
                orelse,
                finally,
            } => Stmt::Try {
                body: strip_lines(body),
                handlers: handlers
                    .into_iter()
                    .map(|h| Handler {
                        body: strip_lines(h.body),
                        ..h
                    })
                    .collect(),
                orelse: strip_lines(orelse),
                finally: strip_lines(finally),
            },
            Stmt::Def(f) => {
                let mut f = (*f).clone();
                f.body = strip_lines(f.body);
                Stmt::Def(Arc::new(f))
            }
            s => s,
        })
        .collect()
}

#[test]
fn each_statement_is_preceded_by_its_line() {
    let m =
        parse_module("def f(d):\n    x = 1; y = 2\n\n    if x:\n        d.setVar('A',\n   'a')\n")
            .unwrap();
    let Some(Stmt::Def(f)) = m.into_iter().find(|s| matches!(s, Stmt::Def(_))) else {
        panic!("no def");
    };
    assert!(matches!(f.body[0], Stmt::Line(2)));
    assert!(matches!(f.body[1], Stmt::Assign(..)));
    assert!(matches!(f.body[3], Stmt::Line(4)));
    let Stmt::If(branches, _) = &f.body[4] else {
        panic!("{:?}", f.body[4]);
    };
    assert!(matches!(branches[0].1[0], Stmt::Line(5)));
}

fn func(src: &str) -> Arc<FuncDef> {
    match module(src).into_iter().next() {
        Some(Stmt::Def(f)) => f,
        other => panic!("{src:?}: {other:?}"),
    }
}

fn syntax_err(src: &str) -> String {
    match parse_module(src) {
        Err(EvalError::Syntax { message, .. }) => message,
        other => panic!("{src:?}: expected a syntax error, got {other:?}"),
    }
}

fn locals(src: &str) -> Vec<String> {
    func(src).locals.iter().map(|n| n.to_string()).collect()
}

#[test]
fn simple_statements() {
    let f = func("def f(d):\n    x = 1; y = 2\n    x += y\n    pass\n    return x\n");
    assert_eq!(f.body.len(), 5);
    assert!(matches!(f.body[0], Stmt::Assign(..)));
    assert!(matches!(f.body[2], Stmt::AugAssign(_, BinOp::Add, _)));
    assert!(matches!(f.body[3], Stmt::Pass));
    assert!(matches!(f.body[4], Stmt::Return(Some(_))));
}

#[test]
fn chained_and_unpacking_assignments() {
    let f = func("def f():\n    a = b = 1\n    c, (d, *e) = x\n    l[0] = m.k = 2\n");
    let Stmt::Assign(targets, _) = &f.body[0] else {
        panic!("{:?}", f.body[0]);
    };
    assert_eq!(targets.len(), 2);
    let Stmt::Assign(targets, _) = &f.body[1] else {
        panic!("{:?}", f.body[1]);
    };
    assert!(matches!(&targets[0], Target::Seq(ts) if ts.len() == 2));
    let Stmt::Assign(targets, _) = &f.body[2] else {
        panic!("{:?}", f.body[2]);
    };
    assert!(matches!(targets[0], Target::Subscript(..)));
    assert!(matches!(targets[1], Target::Attr(..)));
}

#[test]
fn compound_statements() {
    let src = "def f(d):\n    if a:\n        pass\n    elif b:\n        pass\n    else:\n        pass\n    for i in x:\n        continue\n    else:\n        pass\n    while y:\n        break\n    try:\n        pass\n    except (A, B) as e:\n        pass\n    except:\n        pass\n    else:\n        pass\n    finally:\n        pass\n";
    let f = func(src);
    assert!(
        matches!(&f.body[0], Stmt::If(branches, orelse) if branches.len() == 2 && orelse.len() == 1)
    );
    assert!(matches!(&f.body[1], Stmt::For { orelse, .. } if orelse.len() == 1));
    assert!(matches!(&f.body[2], Stmt::While { .. }));
    let Stmt::Try {
        handlers,
        orelse,
        finally,
        ..
    } = &f.body[3]
    else {
        panic!("{:?}", f.body[3]);
    };
    assert_eq!(handlers.len(), 2);
    assert_eq!(handlers[0].name.as_deref(), Some("e"));
    assert!(handlers[1].kind.is_none());
    assert_eq!((orelse.len(), finally.len()), (1, 1));
}

#[test]
fn one_line_blocks_and_continuations() {
    let f =
        func("def f():\n    if x: y = 1; z = 2\n    v = [1,\n  2]\n    w = 1 + \\\n        2\n");
    assert!(matches!(&f.body[0], Stmt::If(b, _) if b[0].1.len() == 2));
    assert_eq!(f.body.len(), 3);
}

#[test]
fn comments_blank_lines_and_docstrings() {
    let f = func(
        "def f():\n    \"\"\"Doc\n    string.\"\"\"\n\n    # comment\n        # odd comment\n    return 1\n\n",
    );
    assert!(matches!(f.body[0], Stmt::Expr(Node::Const(_))));
    assert!(matches!(f.body[1], Stmt::Return(_)));
}

#[test]
fn tabs_count_to_multiples_of_eight() {
    let f = func("def f():\n\tif x:\n\t\treturn 1\n\treturn 2\n");
    assert_eq!(f.body.len(), 2);
    // Eight spaces and one tab are the same column, but depend on the tab size.
    assert_eq!(
        syntax_err("def f():\n        x = 1\n\ty = 2\n"),
        "inconsistent use of tabs and spaces in indentation"
    );
}

#[test]
fn indentation_errors() {
    assert_eq!(
        syntax_err("def f():\nx = 1\n"),
        "expected an indented block"
    );
    assert_eq!(syntax_err("  x = 1\n"), "unexpected indent");
    assert_eq!(
        syntax_err("def f():\n    if x:\n            y\n        z\n"),
        "unindent does not match any outer indentation level"
    );
    assert_eq!(
        syntax_err("def f():\n    x = 1\n      y = 2\n"),
        "unexpected indent"
    );
    assert_eq!(syntax_err("def f():\n"), "expected an indented block");
}

#[test]
fn statement_errors() {
    assert_eq!(syntax_err("def f():\n    break\n"), "'break' outside loop");
    assert_eq!(syntax_err("return 1\n"), "'return' outside function");
    assert_eq!(
        syntax_err("def f():\n    f() = 1\n"),
        "cannot assign to function call"
    );
    assert_eq!(
        syntax_err("def f():\n    1 = x\n"),
        "cannot assign to literal"
    );
    assert_eq!(
        syntax_err("def f():\n    a, b += 1\n"),
        "illegal expression for augmented assignment"
    );
    assert_eq!(
        syntax_err("def f():\n    try:\n        pass\n"),
        "expected 'except' or 'finally' block"
    );
    assert_eq!(
        syntax_err(
            "def f():\n    try:\n        pass\n    except:\n        pass\n    except A:\n        pass\n"
        ),
        "default 'except:' must be last"
    );
    assert_eq!(syntax_err("def f():\n    x = 1 +\n"), "invalid syntax");
    assert_eq!(syntax_err("def f(,):\n    pass\n"), "invalid syntax");
}

#[test]
fn locals_are_the_names_bound_in_the_body() {
    assert_eq!(
        locals(
            "def f(d, x=1, *a, k, **kw):\n    y = 1\n    for i, (j, *r) in z:\n        pass\n    import os.path\n    import bb.utils as u\n    from oe import utils as ou, types\n    try:\n        pass\n    except E as e:\n        pass\n    def g():\n        inner = 1\n    del q\n    n += 1\n    l[0] = 1\n    m.attr = 2\n"
        ),
        [
            "d", "x", "a", "k", "kw", "y", "i", "j", "r", "os", "u", "ou", "types", "e", "g", "q",
            "n"
        ]
    );
}

#[test]
fn generators_globals_and_decorators_are_flagged() {
    assert_eq!(
        func("def f():\n    yield 1\n").unsupported,
        Some("generator function (`yield`)")
    );
    assert_eq!(
        func("def f():\n    x = yield\n").unsupported,
        Some("generator function (`yield`)")
    );
    // A `yield` in a nested function or a lambda does not make the outer one a generator.
    assert_eq!(
        func("def f():\n    def g():\n        yield 1\n").unsupported,
        None
    );
    assert_eq!(
        func("def f():\n    global X\n    X = 1\n").unsupported,
        Some("`global` or `nonlocal` statement")
    );
    let m = module("@decorator\ndef f():\n    pass\n");
    assert!(matches!(&m[0], Stmt::Def(f) if f.unsupported == Some("decorated function")));
    assert_eq!(syntax_err("yield 1\n"), "'yield' outside function");
}

#[test]
fn unsupported_statements_still_parse() {
    let f = func(
        "def f():\n    with open(x) as f, g:\n        pass\n    class A(B, metaclass=M):\n        x = 1\n    from . import x\n    async def g():\n        pass\n",
    );
    assert!(matches!(f.body[0], Stmt::Unsupported("`with` statement")));
    assert!(matches!(f.body[1], Stmt::Unsupported("`class` statement")));
    assert!(matches!(f.body[2], Stmt::Unsupported("relative import")));
    assert!(matches!(f.body[3], Stmt::Unsupported("`async` statement")));
}

#[test]
fn imports() {
    let f = func("def f():\n    import a.b as c, d\n    from e.f import (g as h, i,)\n");
    assert!(matches!(&f.body[0], Stmt::Import(n) if n.len() == 2 && &*n[0].0 == "a.b"));
    assert!(matches!(&f.body[1], Stmt::ImportFrom(m, n) if &**m == "e.f" && n.len() == 2));
}

#[test]
fn annotated_assignments() {
    let f = func("def f():\n    x: int = 1\n    y: str\n");
    assert!(matches!(f.body[0], Stmt::Assign(..)));
    assert!(matches!(f.body[1], Stmt::Pass));
    assert_eq!(
        syntax_err("def f():\n    a, b: int = 1, 2\n"),
        "only single target (not tuple) can be annotated"
    );
}
