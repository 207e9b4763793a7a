//! Unit tests of `parser.rs`.

use super::*;

fn p(src: &str) -> Node {
    match parse(src) {
        Ok(n) => n,
        Err(e) => panic!("{src}: {e:?}"),
    }
}

fn syntax(src: &str) -> String {
    match parse(src) {
        Err(EvalError::Syntax { message, .. }) => message,
        other => panic!("{src}: expected a syntax error, got {other:?}"),
    }
}

fn int(i: i64) -> Node {
    Node::Const(Const::Int(i))
}

#[test]
fn precedence() {
    // -2**2 is -(2**2).
    assert_eq!(
        p("-2**2"),
        Node::Unary(
            UnaryOp::Neg,
            Box::new(Node::Binary(BinOp::Pow, Box::new(int(2)), Box::new(int(2))))
        )
    );
    // 1 + 2 * 3 groups the product.
    assert_eq!(
        p("1 + 2 * 3"),
        Node::Binary(
            BinOp::Add,
            Box::new(int(1)),
            Box::new(Node::Binary(BinOp::Mul, Box::new(int(2)), Box::new(int(3))))
        )
    );
    // 1 - 2 - 3 is left-associative.
    assert_eq!(
        p("1 - 2 - 3"),
        Node::Binary(
            BinOp::Sub,
            Box::new(Node::Binary(BinOp::Sub, Box::new(int(1)), Box::new(int(2)))),
            Box::new(int(3))
        )
    );
    // 2**3**2 is right-associative.
    assert!(
        matches!(p("2**3**2"), Node::Binary(BinOp::Pow, _, r) if matches!(*r, Node::Binary(BinOp::Pow, ..)))
    );
    // not binds looser than comparison.
    assert!(matches!(p("not 1 == 2"), Node::Not(inner) if matches!(*inner, Node::Compare(..))));
    // a if b else c if d else e nests in the else branch.
    assert!(
        matches!(p("1 if 2 else 3 if 4 else 5"), Node::IfExp { orelse, .. } if matches!(*orelse, Node::IfExp { .. }))
    );
    assert!(matches!(p("1 < 2 < 3"), Node::Compare(_, rest) if rest.len() == 2));
    assert!(matches!(p("a not in b"), Node::Compare(_, rest) if rest[0].0 == CmpOp::NotIn));
    assert!(matches!(p("a is not b"), Node::Compare(_, rest) if rest[0].0 == CmpOp::IsNot));
}

#[test]
fn displays_and_tuples() {
    assert_eq!(p("()"), Node::Tuple(vec![]));
    assert_eq!(p("(1)"), int(1));
    assert_eq!(p("(1,)"), Node::Tuple(vec![Elt::One(int(1))]));
    assert_eq!(
        p("1, 2"),
        Node::Tuple(vec![Elt::One(int(1)), Elt::One(int(2))])
    );
    assert_eq!(p("{}"), Node::Dict(vec![]));
    assert!(matches!(p("{1}"), Node::Set(_)));
    assert!(matches!(p("{**a, 'b': 1}"), Node::Dict(items) if items.len() == 2));
    assert!(matches!(p("[*a, 1]"), Node::List(items) if matches!(items[0], Elt::Star(_))));
    assert!(matches!(p("'a' 'b'"), Node::Const(Const::Str(s)) if &*s == "ab"));
}

#[test]
fn comprehensions() {
    let Node::Comp(c) = p("[x for x in y if x for z in x]") else {
        panic!()
    };
    assert_eq!(c.kind, CompKind::List);
    assert_eq!(c.clauses.len(), 2);
    assert_eq!(c.clauses[0].ifs.len(), 1);
    assert!(
        matches!(p("{k: v for k, v in x}"), Node::Comp(c) if c.kind == CompKind::Dict && c.key.is_some())
    );
    assert!(
        matches!(p("f(x for x in y)"), Node::Call(_, args) if matches!(&args[0], Arg::Pos(Node::Comp(_))))
    );
    assert!(
        matches!(p("[a for (a, b), *c in x]"), Node::Comp(c) if matches!(&c.clauses[0].target, Target::Seq(t) if t.len() == 2))
    );
    assert_eq!(
        syntax("f(x for x in y, 1)"),
        "Generator expression must be parenthesized"
    );
}

#[test]
fn calls_and_lambdas() {
    assert!(matches!(p("f(1, *a, k=2, **m)"), Node::Call(_, args) if args.len() == 4));
    assert_eq!(
        syntax("f(a=1, 2)"),
        "positional argument follows keyword argument"
    );
    assert_eq!(
        syntax("f(**a, 2)"),
        "positional argument follows keyword argument unpacking"
    );
    assert_eq!(syntax("f(a=1, a=2)"), "keyword argument repeated: a");
    let Node::Lambda(l) = p("lambda a, b=1, /, c=2, *args, k, **kw: a") else {
        panic!()
    };
    assert_eq!(
        (
            l.params.params.len(),
            l.params.posonly,
            l.params.kwonly.len()
        ),
        (3, 2, 1)
    );
    assert!(l.params.varargs.is_some() && l.params.varkw.is_some());
    assert_eq!(
        syntax("lambda x, x: 1"),
        "duplicate argument 'x' in function definition"
    );
    assert_eq!(
        syntax("lambda x=1, y: 1"),
        "non-default argument follows default argument"
    );
    assert!(matches!(p("lambda: (yield)"), Node::Lambda(_)));
    assert_eq!(syntax("(yield)"), "'yield' outside function");
}

#[test]
fn fstrings() {
    let Node::FString(parts) = p("f'a{x!r:>{w}}b{{c}}'") else {
        panic!()
    };
    assert_eq!(parts.len(), 3);
    assert!(matches!(&parts[1], FPart::Field { conv: Some('r'), spec, .. } if spec.len() == 2));
    assert!(matches!(&parts[2], FPart::Lit(s) if &**s == "b{c}"));
    assert_eq!(syntax("f'{}'"), "f-string: empty expression not allowed");
    assert_eq!(syntax("f'}'"), "f-string: single '}' is not allowed");
    assert_eq!(syntax("f'{x'"), "f-string: expecting '}'");
    assert!(matches!(
        parse("f'{x=}'"),
        Err(EvalError::NeedsPython { .. })
    ));
}

#[test]
fn errors() {
    assert_eq!(syntax(""), "invalid syntax");
    assert_eq!(syntax("1 +"), "invalid syntax");
    assert_eq!(syntax("1 if 2"), "expected 'else' after 'if' expression");
    assert!(syntax("x = 5").starts_with("invalid syntax"));
    assert_eq!(syntax("1\n2"), "invalid syntax");
    assert_eq!(syntax("import os"), "invalid syntax");
    assert_eq!(syntax("*a"), "invalid syntax");
    assert_eq!(syntax("await x"), "'await' outside function");
}

#[test]
fn depth_is_bounded() {
    let _guard = crate::stack::Guard::new();
    let nested = format!("{}1{}", "(".repeat(40), ")".repeat(40));
    assert!(parse(&nested).is_ok());
    // CPython accepts 200 levels; unoptimised builds may run out of stack budget first.
    let deep = format!("{}1{}", "(".repeat(200), ")".repeat(200));
    assert!(matches!(
        parse(&deep),
        Ok(_) | Err(EvalError::NeedsPython { .. })
    ));
    for src in [
        format!("{}1", "-".repeat(100_000)),
        format!("{}1", "not ".repeat(100_000)),
        "1+".repeat(100_000) + "1",
        "a".to_owned() + &".b".repeat(50_000),
        "f".to_owned() + &"()".repeat(50_000),
        "x".to_owned() + &"[0]".repeat(50_000),
        "a or ".repeat(50_000) + "b",
        "lambda: ".repeat(10_000) + "1",
        "1 if 2 else ".repeat(10_000) + "3",
    ] {
        // The depth limit, or in unoptimised builds possibly the stack budget, stops it; as
        // neither is CPython's, either hands over to Python.
        let r = parse(&src);
        assert!(
            matches!(&r, Err(EvalError::NeedsPython { .. })),
            "{}",
            &src[..20]
        );
    }
}
