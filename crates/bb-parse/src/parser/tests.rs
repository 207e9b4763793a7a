//! Unit tests of the readers: every statement form, every operator, every trap of
//! BitBake's two readers, spans, diagnostics and lossless printing.

use crate::ast::{AssignOp, FileKind, IncludeKind, StmtKind};
use crate::error::{Diagnostic, Severity};
use crate::parse;

/// Parses and checks the round trip; returns the non-trivia statements and diagnostics.
fn run(src: &str, kind: FileKind) -> (Vec<StmtKind>, Vec<Diagnostic>) {
    let (file, diags) = parse("t", src, kind);
    assert_eq!(file.print(), src, "round trip");
    let stmts = file
        .stmts
        .into_iter()
        .map(|s| s.kind)
        .filter(|k| !matches!(k, StmtKind::Blank | StmtKind::Comment))
        .collect();
    (stmts, diags)
}

/// Error messages only.
fn errors(diags: &[Diagnostic]) -> Vec<&str> {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.message.as_str())
        .collect()
}

/// Warning messages only.
fn warnings(diags: &[Diagnostic]) -> Vec<&str> {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.message.as_str())
        .collect()
}

/// The single statement of an error-free source (checked with both readers when
/// `both`, else with `kind` only).
fn one(src: &str, kind: FileKind) -> StmtKind {
    let (stmts, diags) = run(src, kind);
    assert!(
        errors(&diags).is_empty(),
        "unexpected errors for {src:?}: {diags:?}"
    );
    assert_eq!(
        stmts.len(),
        1,
        "expected one statement for {src:?}: {stmts:?}"
    );
    stmts.into_iter().next().unwrap_or(StmtKind::Error)
}

/// The single statement, which must parse the same in both readers.
fn both(src: &str) -> StmtKind {
    let c = one(src, FileKind::Conf);
    let r = one(src, FileKind::Recipe);
    assert_eq!(c, r, "readers disagree on {src:?}");
    c
}

/// Asserts that the source is rejected (by the given reader) and returns the messages.
fn rejected(src: &str, kind: FileKind) -> Vec<String> {
    let (stmts, diags) = run(src, kind);
    let errs = errors(&diags);
    assert!(
        !errs.is_empty(),
        "expected an error for {src:?}, got {stmts:?}"
    );
    errs.into_iter().map(str::to_owned).collect()
}

/// Asserts rejection by both readers.
fn rejected_both(src: &str) -> Vec<String> {
    rejected(src, FileKind::Conf);
    rejected(src, FileKind::Recipe)
}

fn assign(name: &str, op: AssignOp, value: &str) -> StmtKind {
    StmtKind::Assign {
        export: false,
        name: name.into(),
        flag: None,
        op,
        value: value.into(),
    }
}

fn assign_flag(name: &str, flag: &str, op: AssignOp, value: &str) -> StmtKind {
    StmtKind::Assign {
        export: false,
        name: name.into(),
        flag: Some(flag.into()),
        op,
        value: value.into(),
    }
}

// ---- operators -------------------------------------------------------------------

#[test]
fn all_eight_operators() {
    let cases = [
        ("A = \"v\"", AssignOp::Set),
        ("A := \"v\"", AssignOp::Immediate),
        ("A ?= \"v\"", AssignOp::Default),
        ("A ??= \"v\"", AssignOp::WeakDefault),
        ("A += \"v\"", AssignOp::Append),
        ("A =+ \"v\"", AssignOp::Prepend),
        ("A .= \"v\"", AssignOp::PostDot),
        ("A =. \"v\"", AssignOp::PreDot),
    ];
    for (src, op) in cases {
        assert_eq!(both(src), assign("A", op, "v"), "{src}");
        assert_eq!(op.as_str(), src.split(' ').nth(1).unwrap_or(""));
    }
}

#[test]
fn operators_without_spaces_warn() {
    for (src, op) in [
        ("A=\"v\"", AssignOp::Set),
        ("A:=\"v\"", AssignOp::Immediate),
        ("A?=\"v\"", AssignOp::Default),
        ("A??=\"v\"", AssignOp::WeakDefault),
        ("A+=\"v\"", AssignOp::Append),
        ("A=+\"v\"", AssignOp::Prepend),
        ("A.=\"v\"", AssignOp::PostDot),
        ("A=.\"v\"", AssignOp::PreDot),
        ("A =\"v\"", AssignOp::Set),
        ("A= \"v\"", AssignOp::Set),
    ] {
        let (stmts, diags) = run(src, FileKind::Conf);
        assert_eq!(stmts, vec![assign("A", op, "v")], "{src}");
        assert_eq!(warnings(&diags).len(), 1, "{src}");
        assert!(warnings(&diags)[0].contains("lack of whitespace"), "{src}");
    }
    let (_, diags) = run("A = \"v\"", FileKind::Conf);
    assert!(diags.is_empty());
}

#[test]
fn operator_is_followed_by_value_even_when_it_looks_like_another() {
    // `=+` wins over `=` followed by a value starting with `+` (which is not a quote).
    assert_eq!(both("A =+\"x\""), assign("A", AssignOp::Prepend, "x"));
    // `A.= ` is `A .=`, not `A. =` (the name is lazy).
    assert_eq!(both("A.= \"x\""), assign("A", AssignOp::PostDot, "x"));
    assert_eq!(both("A. = \"x\""), assign("A.", AssignOp::Set, "x"));
    assert_eq!(both("A: = \"x\""), assign("A:", AssignOp::Set, "x"));
    rejected_both("A == \"x\"");
    rejected_both("A = = \"x\"");
}

// ---- names ---------------------------------------------------------------------------

#[test]
fn lazy_name_matching() {
    assert_eq!(both("A+=\"a\""), assign("A", AssignOp::Append, "a"));
    assert_eq!(both("A+ = \"b\""), assign("A+", AssignOp::Set, "b"));
    assert_eq!(both("+ = \"c\""), assign("+", AssignOp::Set, "c"));
    let msgs = rejected_both("+= \"d\"");
    assert!(msgs[0].contains("empty variable name"), "{msgs:?}");
    rejected_both("= \"d\"");
    rejected_both("[doc] = \"d\"");
}

#[test]
fn name_charset() {
    for name in [
        "A",
        "a-b",
        "X_Y",
        "a+b",
        "a.b",
        "${PN}",
        "a/b",
        "~c",
        "A:append:o",
        "0",
    ] {
        assert_eq!(
            both(&format!("{name} = \"v\"")),
            assign(name, AssignOp::Set, "v"),
            "{name}"
        );
    }
    for bad in [
        "A B = \"v\"",
        "A@ = \"v\"",
        "É = \"v\"",
        "A* = \"v\"",
        "A(x) = \"v\"",
    ] {
        rejected_both(bad);
    }
}

#[test]
fn export_prefix() {
    let k = both("export A = \"1\"");
    assert_eq!(
        k,
        StmtKind::Assign {
            export: true,
            name: "A".into(),
            flag: None,
            op: AssignOp::Set,
            value: "1".into()
        }
    );
    let k = both("export\t A:o ?= '1'");
    assert!(
        matches!(k, StmtKind::Assign { export: true, ref name, op: AssignOp::Default, .. } if name == "A:o")
    );
    // No whitespace after `export`: the name is `exportD`.
    assert_eq!(
        both("exportD = \"d\""),
        assign("exportD", AssignOp::Set, "d")
    );
    // `export = "1"` matches with an empty name, which BitBake rejects.
    rejected_both("export = \"1\"");
    // A variable named `export` can still be assigned without spaces around it.
    assert_eq!(both("export= \"1\""), assign("export", AssignOp::Set, "1"));
}

#[test]
fn export_name_alone() {
    assert_eq!(both("export A"), StmtKind::Export { name: "A".into() });
    assert_eq!(
        both("export  ${X}_y"),
        StmtKind::Export {
            name: "${X}_y".into()
        }
    );
    // No `:` in this form's name set, and a single name only.
    rejected_both("export A:o");
    rejected_both("export A B");
    rejected_both("export");
}

// ---- flags ---------------------------------------------------------------------------

#[test]
fn flag_charset() {
    assert_eq!(
        both("X[foo@.service] = \"1\""),
        assign_flag("X", "foo@.service", AssignOp::Set, "1")
    );
    assert_eq!(
        both("X[a/b] = \"1\""),
        assign_flag("X", "a/b", AssignOp::Set, "1")
    );
    assert_eq!(
        both("X[f] ??= \"1\""),
        assign_flag("X", "f", AssignOp::WeakDefault, "1")
    );
    assert_eq!(
        both("X[-+._9] .= \"1\""),
        assign_flag("X", "-+._9", AssignOp::PostDot, "1")
    );
    assert_eq!(
        both("X:o[doc] = \"1\""),
        assign_flag("X:o", "doc", AssignOp::Set, "1")
    );
    rejected_both("X[@foo] = \"1\"");
    rejected_both("X[/foo] = \"1\"");
    rejected_both("X[] = \"1\"");
    rejected_both("X[a b] = \"1\"");
    rejected_both("X[a]b = \"1\"");
}

// ---- quotes --------------------------------------------------------------------------

#[test]
fn quote_rule() {
    assert_eq!(
        both("A = \"a\"b\"c\""),
        assign("A", AssignOp::Set, "a\"b\"c")
    );
    assert_eq!(both("A = \"it's\""), assign("A", AssignOp::Set, "it's"));
    assert_eq!(
        both("A = 'say \"hi\"'"),
        assign("A", AssignOp::Set, "say \"hi\"")
    );
    assert_eq!(both("A = ''"), assign("A", AssignOp::Set, ""));
    assert_eq!(both("A = \"\"\"\""), assign("A", AssignOp::Set, "\"\""));
    assert_eq!(
        both("A = \"${B} \\n x\""),
        assign("A", AssignOp::Set, "${B} \\n x")
    );
    assert_eq!(both("A = \"ü ∂\""), assign("A", AssignOp::Set, "ü ∂"));
    // Trailing whitespace is stripped before matching.
    assert_eq!(both("A = \"x\"   \t"), assign("A", AssignOp::Set, "x"));
}

#[test]
fn closing_quote_must_end_the_line() {
    let msgs = rejected_both("A = \"x\" # note");
    assert!(
        msgs[0].starts_with("unterminated quoted value: the closing `\"` must end the line"),
        "{msgs:?}"
    );
    rejected_both("A = 'x\"");
    rejected_both("A = \"");
    rejected_both("A = \"x");
    let msgs = rejected_both("A = x");
    assert!(msgs[0].contains("expected a quoted value"), "{msgs:?}");
    rejected_both("A =");
}

#[test]
fn three_quote_trap() {
    let msgs = rejected_both("A = \"a\"b\"");
    assert!(msgs[0].contains("exactly three"), "{msgs:?}");
    rejected_both("A = 'a'b'");
    rejected_both("A = \"\"\"");
    rejected_both("A ?= \"\"x\"");
    // Four quotes, or three of the other kind inside, are fine.
    assert_eq!(
        both("A = '\"a\"b\"'"),
        assign("A", AssignOp::Set, "\"a\"b\"")
    );
    assert_eq!(both("A = \"'\""), assign("A", AssignOp::Set, "'"));
}

// ---- unset ---------------------------------------------------------------------------

#[test]
fn unset_forms() {
    assert_eq!(
        both("unset A"),
        StmtKind::Unset {
            name: "A".into(),
            flag: None
        }
    );
    assert_eq!(
        both("unset A[fl]"),
        StmtKind::Unset {
            name: "A".into(),
            flag: Some("fl".into())
        }
    );
    assert_eq!(
        both("unset A[doc@x]"),
        StmtKind::Unset {
            name: "A".into(),
            flag: Some("doc@x".into())
        }
    );
    // The flag form needs at least two characters, and no `/`.
    let msgs = rejected_both("unset A[f]");
    assert!(msgs[0].contains("at least two"), "{msgs:?}");
    rejected_both("unset A[f/x]");
    rejected_both("unset A B");
    rejected_both("unset A:o");
    rejected_both("unset");
}

// ---- include, inherit --------------------------------------------------------------

#[test]
fn include_forms() {
    assert_eq!(
        both("include a.inc"),
        StmtKind::Include {
            kind: IncludeKind::Include,
            args: "a.inc".into()
        }
    );
    assert_eq!(
        both("require  ${A} b.inc"),
        StmtKind::Include {
            kind: IncludeKind::Require,
            args: "${A} b.inc".into()
        }
    );
    assert_eq!(
        both("include_all conf/x.conf"),
        StmtKind::Include {
            kind: IncludeKind::IncludeAll,
            args: "conf/x.conf".into()
        }
    );
    let msgs = rejected_both("include");
    assert!(
        msgs[0].contains("expected a file name after `include`"),
        "{msgs:?}"
    );
    rejected_both("includex a");
    // An assignment is tried first.
    assert_eq!(
        both("include = \"x\""),
        assign("include", AssignOp::Set, "x")
    );
}

#[test]
fn inherit_forms() {
    let r = FileKind::Recipe;
    assert_eq!(
        one("inherit a b", r),
        StmtKind::Inherit {
            defer: false,
            args: "a b".into()
        }
    );
    assert_eq!(
        one("inherit_defer ${X}", r),
        StmtKind::Inherit {
            defer: true,
            args: "${X}".into()
        }
    );
    // In a recipe the inherit form is tried before assignments.
    assert_eq!(
        one("inherit = \"x\"", r),
        StmtKind::Inherit {
            defer: false,
            args: "= \"x\"".into()
        }
    );
    assert_eq!(
        one("inherit = \"x\"", FileKind::Conf),
        assign("inherit", AssignOp::Set, "x")
    );
    let msgs = rejected("inherit a", FileKind::Conf);
    assert!(msgs[0].contains("only allowed in recipes"), "{msgs:?}");
}

// ---- tasks, handlers, exported functions ---------------------------------------------

fn addtask(names: &[&str], after: &[&str], before: &[&str]) -> StmtKind {
    let v = |xs: &[&str]| xs.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    StmtKind::AddTask {
        names: v(names),
        after: v(after),
        before: v(before),
    }
}

#[test]
fn addtask_forms() {
    let r = FileKind::Recipe;
    assert_eq!(one("addtask do_x", r), addtask(&["do_x"], &[], &[]));
    assert_eq!(
        one("addtask x after a b before c", r),
        addtask(&["x"], &["a", "b"], &["c"])
    );
    assert_eq!(
        one("addtask x before c after a", r),
        addtask(&["x"], &["a"], &["c"])
    );
    assert_eq!(
        one("addtask f2 p2 after a", r),
        addtask(&["f2", "p2"], &["a"], &[])
    );
    // `#` starts a comment even without a space.
    assert_eq!(
        one("addtask x after a#b c", r),
        addtask(&["x"], &["a"], &[])
    );
    assert_eq!(one("addtask x # after a", r), addtask(&["x"], &[], &[]));
    // Several `after` parts are concatenated without a separator (as BitBake does).
    assert_eq!(
        one("addtask x after a before b after c", r),
        addtask(&["x"], &["ac"], &["b"])
    );
    // Only single spaces split.
    assert_eq!(
        one("addtask x\tafter a", r),
        addtask(&["x", "after", "a"], &[], &[])
    );
    let msgs = rejected("addtask do_a:append_x", r);
    assert!(msgs[0].contains("contains a keyword"), "{msgs:?}");
    rejected("addtask", r);
    rejected("addtask x", FileKind::Conf);
}

#[test]
fn deltask_addhandler_export_functions() {
    let r = FileKind::Recipe;
    assert_eq!(
        one("deltask do_a ${B} # c", r),
        StmtKind::DelTask {
            args: "do_a ${B} ".into()
        }
    );
    assert_eq!(
        one("addhandler h1  h2", r),
        StmtKind::AddHandler {
            names: vec!["h1".into(), "h2".into()]
        }
    );
    assert_eq!(
        one("EXPORT_FUNCTIONS do_a do_b", r),
        StmtKind::ExportFunctions {
            names: vec!["do_a".into(), "do_b".into()]
        }
    );
    for src in ["deltask a", "addhandler h", "EXPORT_FUNCTIONS f"] {
        rejected(src, FileKind::Conf);
    }
}

// ---- addpylib, addfragments --------------------------------------------------------

#[test]
fn addpylib_and_addfragments() {
    assert_eq!(
        one("addpylib ${LAYERDIR}/lib oe", FileKind::Conf),
        StmtKind::AddPylib {
            dir: "${LAYERDIR}/lib".into(),
            namespace: "oe".into()
        }
    );
    let msgs = rejected("addpylib ${LAYERDIR}/lib oe", FileKind::Recipe);
    assert!(
        msgs[0].contains("only allowed in configuration files"),
        "{msgs:?}"
    );
    assert_eq!(
        both(
            "addfragments conf/fragments OE_FRAGMENTS OE_FRAGMENTS_METADATA_VARS OE_FRAGMENTS_BUILTIN"
        ),
        StmtKind::AddFragments {
            prefix: "conf/fragments".into(),
            list_var: "OE_FRAGMENTS".into(),
            meta_vars: "OE_FRAGMENTS_METADATA_VARS".into(),
            builtin_var: "OE_FRAGMENTS_BUILTIN".into(),
        }
    );
    // Greedy groups keep inner whitespace, exactly like BitBake's regex.
    assert_eq!(
        one("addpylib a  b", FileKind::Conf),
        StmtKind::AddPylib {
            dir: "a ".into(),
            namespace: "b".into()
        }
    );
    rejected_both("addfragments a b c");
}

// ---- functions -----------------------------------------------------------------------

fn func(name: Option<&str>, python: bool, fakeroot: bool, body: &str) -> StmtKind {
    StmtKind::Function {
        name: name.map(str::to_owned),
        python,
        fakeroot,
        body: body.into(),
    }
}

#[test]
fn shell_and_python_functions() {
    let r = FileKind::Recipe;
    assert_eq!(
        one("do_x() {\n\techo \"hello\"\n}\n", r),
        func(Some("do_x"), false, false, "\techo \"hello\"\n")
    );
    assert_eq!(
        one("python do_x () {\n    pass\n}\n", r),
        func(Some("do_x"), true, false, "    pass\n")
    );
    assert_eq!(
        one("fakeroot do_x() {\n:\n}", r),
        func(Some("do_x"), false, true, ":\n")
    );
    assert_eq!(
        one("python fakeroot do_x() {\n}\n", r),
        func(Some("do_x"), true, true, "")
    );
    assert_eq!(
        one("fakeroot python do_x() {\n}\n", r),
        func(Some("do_x"), true, true, "")
    );
    assert_eq!(
        one("do_foo:append() {\n\tb\n}\n", r),
        func(Some("do_foo:append"), false, false, "\tb\n")
    );
    assert_eq!(
        one("${PN}_fn ( ) {\n}\n", r),
        func(Some("${PN}_fn"), false, false, "")
    );
    // `fakeroot(` is a name (the keyword needs whitespace after it).
    assert_eq!(
        one("python fakeroot() {\n}\n", r),
        func(Some("fakeroot"), true, false, "")
    );
    assert_eq!(
        one("pythonx() {\n}\n", r),
        func(Some("pythonx"), false, false, "")
    );
}

#[test]
fn anonymous_functions() {
    let r = FileKind::Recipe;
    assert_eq!(
        one("python () {\n    x\n}\n", r),
        func(None, true, false, "    x\n")
    );
    assert_eq!(one("python() {\n}\n", r), func(None, true, false, ""));
    assert_eq!(
        one("python __anonymous () {\n    x\n}\n", r),
        func(None, true, false, "    x\n")
    );
    // No keyword at all: still anonymous Python for BitBake.
    assert_eq!(one("() {\n}\n", r), func(None, true, false, ""));
    assert_eq!(one("fakeroot () {\n}\n", r), func(None, true, true, ""));
}

#[test]
fn function_body_is_verbatim() {
    let r = FileKind::Recipe;
    let src = "do_x() {\n# not a comment \\\n  }\n\t}\nA = \"x\"\n\n  indented\n}   \nB = \"1\"\n";
    let (stmts, diags) = run(src, r);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        stmts,
        vec![
            func(
                Some("do_x"),
                false,
                false,
                "# not a comment \\\n  }\n\t}\nA = \"x\"\n\n  indented\n"
            ),
            assign("B", AssignOp::Set, "1"),
        ]
    );
    // Trailing whitespace of body lines is stripped, as BitBake's reader does.
    assert_eq!(
        one("f() {\n  a  \t\n}\n", r),
        func(Some("f"), false, false, "  a\n")
    );
    // A body of one empty line is a single newline.
    assert_eq!(one("f() {\n\n}\n", r), func(Some("f"), false, false, "\n"));
}

#[test]
fn function_start_line_can_be_joined() {
    assert_eq!(
        one("do_x() \\\n{\necho\n}\n", FileKind::Recipe),
        func(Some("do_x"), false, false, "echo\n")
    );
}

#[test]
fn unclosed_function_is_an_error() {
    let src = "A = \"1\"\ndo_x() {\n  echo\n";
    let (stmts, diags) = run(src, FileKind::Recipe);
    assert_eq!(
        stmts,
        vec![assign("A", AssignOp::Set, "1"), StmtKind::Error]
    );
    let e = &diags[0];
    assert_eq!(
        e.message,
        "unclosed function `do_x`: reached end of file before a `}` in column 0"
    );
    assert_eq!((e.span.line, e.span.col), (2, 1));
    assert_eq!(e.line_text, "do_x() {");
    rejected("python () {\n", FileKind::Recipe);
}

#[test]
fn functions_are_rejected_in_conf() {
    let msgs = rejected("do_x() {\n}\n", FileKind::Conf);
    assert!(
        msgs[0].contains("function definition") && msgs[0].contains("configuration file"),
        "{msgs:?}"
    );
    rejected("python () {\n}\n", FileKind::Conf);
    rejected("def f():\n  pass\n", FileKind::Conf);
}

#[test]
fn python_tabs_warn() {
    let (_, diags) = run("python do_x() {\n\tx\n    \ty\n  z\n}\n", FileKind::Recipe);
    assert_eq!(warnings(&diags).len(), 2);
    assert!(warnings(&diags)[0].contains("4 spaces"));
    // Shell functions may use tabs.
    let (_, diags) = run("do_x() {\n\tx\n}\n", FileKind::Recipe);
    assert!(diags.is_empty());
    let (_, diags) = run("def f():\n\tx\n", FileKind::Recipe);
    assert_eq!(warnings(&diags).len(), 1);
}

// ---- def -----------------------------------------------------------------------------

fn def(name: &str, body: &str) -> StmtKind {
    StmtKind::Def {
        name: name.into(),
        body: body.into(),
    }
}

#[test]
fn def_blocks() {
    let r = FileKind::Recipe;
    // The empty line that ends the block is part of it.
    let (stmts, _) = run("def f(d):\n    return 1\n\nA = \"1\"\n", r);
    assert_eq!(
        stmts,
        vec![
            def("f", "def f(d):\n    return 1\n"),
            assign("A", AssignOp::Set, "1")
        ]
    );
    // A statement right after: no trailing newline.
    let (stmts, _) = run("def f(d):\n    return 1\nA = \"1\"\n", r);
    assert_eq!(
        stmts,
        vec![
            def("f", "def f(d):\n    return 1"),
            assign("A", AssignOp::Set, "1")
        ]
    );
    // Column-0 comments and several empty lines are collected too.
    let (stmts, _) = run("def f():\n  a\n\n# c\n\nB = \"2\"", r);
    assert_eq!(
        stmts,
        vec![
            def("f", "def f():\n  a\n\n# c\n"),
            assign("B", AssignOp::Set, "2")
        ]
    );
    // End of file ends the block.
    assert_eq!(
        one("def g(a: int) -> int:\n  return a", r),
        def("g", "def g(a: int) -> int:\n  return a")
    );
    // One-line defs and the colon anywhere after the name.
    assert_eq!(one("def h(): return 1", r), def("h", "def h(): return 1"));
    rejected("def h()", r);
}

#[test]
fn def_block_lines_are_not_joined() {
    let (stmts, _) = run("def f():\n    x = 1 \\\n\nA = \"1\"\n", FileKind::Recipe);
    assert_eq!(
        stmts,
        vec![
            def("f", "def f():\n    x = 1 \\\n"),
            assign("A", AssignOp::Set, "1")
        ]
    );
}

// ---- old override syntax ----------------------------------------------------------

#[test]
fn old_override_syntax_is_an_error() {
    let expected = "Variable A_append contains an operation using the old override syntax. Please convert this layer/metadata before attempting to use with a newer bitbake.";
    let (stmts, diags) = run("A_append = \"x\"\n", FileKind::Conf);
    assert_eq!(stmts, vec![assign("A_append", AssignOp::Set, "x")]);
    assert_eq!(errors(&diags), vec![expected]);
    // A substring test.
    rejected_both("MY_append_LIST = \"x\"");
    rejected_both("A_prepend += \"x\"");
    rejected_both("export X_remove := \"x\"");
    rejected("do_remove_stuff() {\n}\n", FileKind::Recipe);
    rejected("python my_prepend() {\n}\n", FileKind::Recipe);
    rejected("def foo_append():\n  pass\n", FileKind::Recipe);
    // Exempt: `__anon_` names; and what BitBake stores as a flag (flags, `??=`).
    both("__anon_x_append = \"x\"");
    both("A_append[doc] = \"x\"");
    both("A_append ??= \"x\"");
    one(
        "python () {\n  d.setVar('A_append', 1)\n}\n",
        FileKind::Recipe,
    );
}

#[test]
fn override_with_plain_operator_warns() {
    for src in [
        "A:append += \"x\"",
        "A:remove =+ \"x\"",
        "A:prepend .= \"x\"",
        "A:o:append =. \"x\"",
    ] {
        let (_, diags) = run(src, FileKind::Conf);
        assert_eq!(warnings(&diags).len(), 1, "{src}");
        assert!(
            warnings(&diags)[0].contains("not a recommended operator combination"),
            "{src}"
        );
    }
    for src in [
        "A:append = \"x\"",
        "A:append ?= \"x\"",
        "A:append := \"x\"",
        "A:append ??= \"x\"",
    ] {
        let (_, diags) = run(src, FileKind::Conf);
        assert!(diags.is_empty(), "{src}");
    }
}

// ---- comments --------------------------------------------------------------------------

#[test]
fn comments_only_in_column_zero() {
    for kind in [FileKind::Conf, FileKind::Recipe] {
        let (file, diags) = parse("t", "# c\n#\n", kind);
        assert!(diags.is_empty());
        assert!(file.stmts.iter().all(|s| s.kind == StmtKind::Comment));
        let msgs = rejected(" # c", kind);
        assert!(
            msgs[0].contains("comment must start with `#` in column 1"),
            "{msgs:?}"
        );
        rejected("\t# c", kind);
    }
}

#[test]
fn comment_continuations() {
    for kind in [FileKind::Conf, FileKind::Recipe] {
        let (stmts, diags) = run("# a \\\n# b\nA = \"1\"\n", kind);
        assert!(diags.is_empty(), "{kind:?} {diags:?}");
        assert_eq!(stmts, vec![assign("A", AssignOp::Set, "1")]);
        let msgs = rejected("# a \\\nA = \"1\"\n", kind);
        assert!(msgs[0].contains("confusing multi-line comment"), "{msgs:?}");
        rejected("# a \\\n\nA = \"1\"\n", kind);
    }
    // The configuration reader also fails on a comment continued into the end of file;
    // the recipe reader reports the pending continuation.
    rejected("# a \\", FileKind::Conf);
    rejected("# a \\\n", FileKind::Recipe);
}

#[test]
fn comment_inside_multiline_value() {
    let src = "A = \"a \\\n#b\"\n";
    // The recipe reader refuses a comment line inside a continued expression...
    let msgs = rejected(src, FileKind::Recipe);
    assert!(
        msgs[0].contains("comment line inside a multi-line expression"),
        "{msgs:?}"
    );
    // ...the configuration reader simply joins it.
    assert_eq!(one(src, FileKind::Conf), assign("A", AssignOp::Set, "a #b"));
}

#[test]
fn trailing_comments_are_not_allowed() {
    rejected_both("A = \"x\" # c");
    // Only `addtask`/`deltask` know comments; elsewhere `#` is just text.
    assert_eq!(
        both("include a # c"),
        StmtKind::Include {
            kind: IncludeKind::Include,
            args: "a # c".into()
        }
    );
    assert_eq!(
        one("inherit a #c", FileKind::Recipe),
        StmtKind::Inherit {
            defer: false,
            args: "a #c".into()
        }
    );
}

// ---- line joining ------------------------------------------------------------------

#[test]
fn continuation_lines_join_without_separator() {
    let src = "A = \"a \\\n    b\\\n c\"\n";
    assert_eq!(both(src), assign("A", AssignOp::Set, "a     b c"));
    // Whitespace after the backslash is stripped before the test.
    assert_eq!(
        both("A = \"a\\   \nb\"\n"),
        assign("A", AssignOp::Set, "ab")
    );
    // A backslash that does not end the line is literal.
    assert_eq!(both("A = \"a\\b\"\n"), assign("A", AssignOp::Set, "a\\b"));
    // A blank line ends the continuation.
    rejected_both("A = \"a \\\n\nb\"\n");
}

#[test]
fn continuation_at_end_of_file() {
    // The configuration reader just stops at the end...
    assert_eq!(
        one("A = \"1\"\\", FileKind::Conf),
        assign("A", AssignOp::Set, "1")
    );
    // ...the recipe reader has unparsed lines left.
    let msgs = rejected("A = \"1\"\\", FileKind::Recipe);
    assert!(msgs[0].starts_with("unparsed lines"), "{msgs:?}");
}

#[test]
fn lone_backslash_lines() {
    // BitBake's recipe reader fails on a continuation whose first line is only `\`.
    rejected("\\\nA = \"1\"\n", FileKind::Recipe);
    // The configuration reader joins it away, unless the result is empty.
    assert_eq!(
        one("\\\nA = \"1\"\n", FileKind::Conf),
        assign("A", AssignOp::Set, "1")
    );
    rejected("\\\n\n", FileKind::Conf);
    rejected("\\", FileKind::Conf);
}

#[test]
fn indented_statements_are_errors() {
    let msgs = rejected_both(" A = \"1\"");
    assert!(msgs[0].contains("column 1"), "{msgs:?}");
    rejected_both("\tinclude x");
}

// ---- lines, spans, printing ----------------------------------------------------------

#[test]
fn crlf_cr_and_missing_final_newline() {
    for kind in [FileKind::Conf, FileKind::Recipe] {
        let src = "A = \"1\"\r\nB = \"2\"\rC = \"3\"";
        let (stmts, diags) = run(src, kind);
        assert!(diags.is_empty());
        assert_eq!(
            stmts,
            vec![
                assign("A", AssignOp::Set, "1"),
                assign("B", AssignOp::Set, "2"),
                assign("C", AssignOp::Set, "3")
            ]
        );
        let (file, _) = parse("t", src, kind);
        let lines: Vec<u32> = file.stmts.iter().map(|s| s.span.line).collect();
        assert_eq!(lines, vec![1, 2, 3]);
        assert_eq!(file.stmts[0].raw, "A = \"1\"\r\n");
        assert_eq!(file.stmts[1].raw, "B = \"2\"\r");
    }
    // A CR inside a value splits the line, as in Python's text mode.
    rejected_both("A = \"a\rb\"\n");
    // CRLF continuation lines.
    assert_eq!(
        both("A = \"a \\\r\nb\"\r\n"),
        assign("A", AssignOp::Set, "a b")
    );
}

#[test]
fn python_whitespace_is_stripped() {
    // Form feed, the ASCII separators and Unicode spaces are whitespace for Python.
    assert_eq!(
        both("A = \"1\"\x0c\u{1c}\u{3000}"),
        assign("A", AssignOp::Set, "1")
    );
    assert_eq!(
        both("A\u{3000}=\u{a0}\"1\""),
        assign("A", AssignOp::Set, "1")
    );
    let (file, _) = parse("t", "\u{3000}\n\x0c\n", FileKind::Conf);
    assert!(file.stmts.iter().all(|s| s.kind == StmtKind::Blank));
}

#[test]
fn spans_and_raw_text() {
    let src = "# head\n\nA = \"1\"\nB = \"x \\\n  y\"\n\ndo_x() {\n  :\n}\ninherit c\n";
    let (file, _) = parse("dir/x.bb", src, FileKind::Recipe);
    let got: Vec<(u32, u32, &str)> = file
        .stmts
        .iter()
        .map(|s| (s.span.line, s.span.col, s.raw.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, 1, "# head\n"),
            (2, 1, "\n"),
            (3, 1, "A = \"1\"\n"),
            (4, 1, "B = \"x \\\n  y\"\n"),
            (6, 1, "\n"),
            (7, 1, "do_x() {\n  :\n}\n"),
            (10, 1, "inherit c\n"),
        ]
    );
    assert_eq!(&*file.stmts[0].span.file, "dir/x.bb");
    assert_eq!(file.stmts[0].span.to_string(), "dir/x.bb:1:1");
}

#[test]
fn blank_lines_merge() {
    let (file, _) = parse("t", "\n\n  \n\nA = \"1\"\n\n", FileKind::Conf);
    assert_eq!(file.stmts.len(), 3);
    assert_eq!(file.stmts[0].raw, "\n\n  \n\n");
}

#[test]
fn diagnostic_positions() {
    let (_, diags) = parse("f.conf", "A = \"1\"\nB = \"x\" y\n", FileKind::Conf);
    let d = &diags[0];
    assert_eq!((d.span.line, d.span.col), (2, 5));
    assert_eq!(d.line_text, "B = \"x\" y");
    assert_eq!(d.severity, Severity::Error);
    assert!(
        d.to_string()
            .starts_with("f.conf:2:5: error: unterminated quoted value")
    );
    // Positions in joined lines point into the physical line.
    let (_, diags) = parse("f.conf", "A = \\\n  x\n", FileKind::Conf);
    assert_eq!((diags[0].span.line, diags[0].span.col), (2, 3));
    // Warnings point at the operator.
    let (_, diags) = parse("f.conf", "ÄB=\"1\"", FileKind::Conf);
    assert_eq!(diags.len(), 1);
    let (_, diags) = parse("f.conf", "AB=\"1\"", FileKind::Conf);
    assert_eq!((diags[0].span.line, diags[0].span.col), (1, 3));
}

#[test]
fn errors_resynchronise_at_the_next_line() {
    let (stmts, diags) = run("A = x\nB = \"1\"\n  C\nD = \"2\"\n", FileKind::Conf);
    assert_eq!(
        stmts,
        vec![
            StmtKind::Error,
            assign("B", AssignOp::Set, "1"),
            StmtKind::Error,
            assign("D", AssignOp::Set, "2")
        ]
    );
    assert_eq!(errors(&diags).len(), 2);
}

#[test]
fn messages_are_lowercase_without_trailing_period() {
    let srcs = [
        "A = x",
        " # c",
        "include",
        "unset A[f]",
        "A = \"x",
        "A = \"a\"b\"",
        "X[@f] = \"1\"",
        "+= \"1\"",
        "inherit x",
        "do_x() {",
        "\\",
        "# a \\\nB",
        "export A B",
        "A@ = \"1\"",
    ];
    for src in srcs {
        for kind in [FileKind::Conf, FileKind::Recipe] {
            let (_, diags) = parse("t", src, kind);
            for d in diags {
                let first = d.message.chars().next().unwrap_or('a');
                assert!(!first.is_uppercase(), "{src:?}: {}", d.message);
                assert!(!d.message.ends_with('.'), "{src:?}: {}", d.message);
            }
        }
    }
}

#[test]
fn never_panics_on_odd_input() {
    let odd = [
        "",
        "\\",
        "\\\\",
        "\r",
        "\r\n",
        "\n\r",
        "#\\",
        "}",
        "{",
        "()",
        "() {",
        "def",
        "def :",
        "def f:",
        "export",
        "export ",
        "A[",
        "A[]",
        "A[x",
        "=",
        "\"",
        "'''",
        "addtask  #",
        "addtask  ",
        "include  \\\n \n",
        "\u{3000}\\",
        "é\\\né",
        "python",
        "python (",
        "fakeroot\u{3000}() {",
        "A = \"\u{10ffff}\"",
        "\u{feff}A = \"1\"",
    ];
    for src in odd {
        for kind in [FileKind::Conf, FileKind::Recipe] {
            let (file, _) = parse("t", src, kind);
            assert_eq!(file.print(), src);
        }
    }
}
