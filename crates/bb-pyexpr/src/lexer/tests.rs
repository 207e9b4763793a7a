//! Unit tests of `lexer.rs`.

use super::*;

fn toks(src: &str) -> Vec<Tok> {
    match tokenize(src) {
        Ok(t) => t,
        Err(e) => panic!("{src}: {e:?}"),
    }
}

fn err(src: &str) -> EvalError {
    match tokenize(src) {
        Ok(t) => panic!("{src}: expected an error, got {t:?}"),
        Err(e) => e,
    }
}

fn string(src: &str) -> String {
    match toks(src).first() {
        Some(Tok::Str(s)) => s.value.clone(),
        other => panic!("{src}: {other:?}"),
    }
}

#[test]
fn numbers() {
    assert_eq!(
        toks("0x1F 0o17 0b101 1_000 00")[..5],
        [
            Tok::Int(31),
            Tok::Int(15),
            Tok::Int(5),
            Tok::Int(1000),
            Tok::Int(0)
        ]
    );
    assert_eq!(
        toks("1.5 .5 5. 1e3 1E-2")[..5],
        [
            Tok::Float(1.5),
            Tok::Float(0.5),
            Tok::Float(5.0),
            Tok::Float(1000.0),
            Tok::Float(0.01)
        ]
    );
    assert_eq!(toks("99999999999999999999")[0], Tok::BigInt);
    assert_eq!(toks("1j")[0], Tok::Imag);
    assert_eq!(toks("1if x else 2")[1], Tok::Name(Arc::from("if")));
    assert!(
        matches!(err("0777"), EvalError::Syntax { message, .. } if message.starts_with("leading zeros"))
    );
    assert!(matches!(err("1__0"), EvalError::Syntax { .. }));
    assert!(matches!(err("1_"), EvalError::Syntax { .. }));
    assert!(
        matches!(err("1abc"), EvalError::Syntax { message, .. } if message == "invalid decimal literal")
    );
    assert!(matches!(err("0x"), EvalError::Syntax { .. }));
}

#[test]
fn strings_and_escapes() {
    assert_eq!(string(r"'a\tb\n'"), "a\tb\n");
    assert_eq!(string(r"'\x41\101\u00e9\U0001F600'"), "AAé😀");
    assert_eq!(string(r"'\q\d'"), "\\q\\d");
    assert_eq!(string(r"r'\n\''"), "\\n\\'");
    assert_eq!(string("'a\\\nb'"), "ab");
    assert_eq!(string("'''x\ny'''"), "x\ny");
    assert_eq!(string(r#""it's""#), "it's");
    assert_eq!(string(r"'\0'"), "\0");
    assert!(matches!(
        toks("b'x'")[0],
        Tok::Str(StrLit {
            kind: StrKind::Bytes,
            ..
        })
    ));
    assert!(matches!(
        toks("f'{x}'")[0],
        Tok::Str(StrLit {
            kind: StrKind::Format { raw: false },
            ..
        })
    ));
    assert!(matches!(toks("ub'x'")[0], Tok::Name(_)));
    assert!(matches!(
        &toks(r"'\N{DASH}'")[0],
        Tok::Str(StrLit {
            unsupported: Some(_),
            ..
        })
    ));
    assert!(matches!(
        &toks(r"'\ud800'")[0],
        Tok::Str(StrLit {
            unsupported: Some(_),
            ..
        })
    ));
    assert!(
        matches!(err(r"'\x4'"), EvalError::Syntax { message, .. } if message.contains("truncated"))
    );
    assert!(matches!(err(r"'\U00110000'"), EvalError::Syntax { .. }));
    assert!(matches!(err("b'é'"), EvalError::Syntax { .. }));
}

#[test]
fn unterminated_strings() {
    let single = err("'abc");
    assert!(matches!(
        single,
        EvalError::Syntax {
            unterminated_string: true,
            ..
        }
    ));
    assert!(matches!(
        err("'a\nb'"),
        EvalError::Syntax {
            unterminated_string: true,
            ..
        }
    ));
    assert!(matches!(
        err(r"'abc\'"),
        EvalError::Syntax {
            unterminated_string: true,
            ..
        }
    ));
    // CPython's message for these does not start with "unterminated string literal".
    assert!(matches!(
        err("'''abc"),
        EvalError::Syntax {
            unterminated_string: false,
            ..
        }
    ));
    // The first tokenizer error in the text wins.
    assert!(
        matches!(err(")'abc"), EvalError::Syntax { message, .. } if message == "unmatched ')'")
    );
    assert!(matches!(
        err("a b 'x"),
        EvalError::Syntax {
            unterminated_string: true,
            ..
        }
    ));
}

#[test]
fn brackets() {
    assert!(
        matches!(err("(1"), EvalError::Syntax { message, .. } if message == "'(' was never closed")
    );
    assert!(
        matches!(err("(]"), EvalError::Syntax { message, .. } if message.contains("does not match"))
    );
    assert!(matches!(err("]"), EvalError::Syntax { message, .. } if message == "unmatched ']'"));
    let deep = format!("{}1{}", "(".repeat(200), ")".repeat(200));
    assert!(tokenize(&deep).is_ok());
    let deeper = format!("{}1{}", "(".repeat(201), ")".repeat(201));
    assert!(
        matches!(tokenize(&deeper), Err(EvalError::Syntax { message, .. }) if message == "too many nested parentheses")
    );
}

#[test]
fn lines_and_comments() {
    assert_eq!(toks("(1 +\n 2)").len(), 6);
    assert_eq!(toks("1 \\\n + 2").len(), 4);
    assert_eq!(toks("1 # comment").len(), 2);
    assert!(toks("1\n2").contains(&Tok::Newline));
    assert!(toks("1\r\n").iter().all(|t| *t != Tok::Newline));
    assert!(matches!(err("1 \\ 2"), EvalError::Syntax { .. }));
    assert!(matches!(err("a\0"), EvalError::Exception { kind, .. } if kind == "ValueError"));
    assert!(matches!(err("a $ b"), EvalError::Syntax { .. }));
    assert!(
        matches!(err("a → b"), EvalError::Syntax { message, .. } if message.contains("U+2192"))
    );
}

fn stmt_toks(src: &str) -> Vec<Tok> {
    match tokenize_statements(src) {
        Ok((t, _)) => t,
        Err(e) => panic!("{src:?}: {e:?}"),
    }
}

fn kinds(src: &str) -> String {
    stmt_toks(src)
        .iter()
        .map(|t| match t {
            Tok::Newline => "NL",
            Tok::Indent => "IN",
            Tok::Dedent => "DE",
            Tok::End => "END",
            _ => "t",
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn statement_mode_emits_indentation_tokens() {
    assert_eq!(kinds("a\n  b\n  c\nd"), "t NL IN t NL t NL DE t NL END");
    assert_eq!(
        kinds("a\n  b\n    c\n\n# x\n      # y\n"),
        "t NL IN t NL IN t NL DE DE END"
    );
    // Lines continued inside brackets or with a backslash are one logical line.
    assert_eq!(kinds("a(\n  b)\nc \\\n  d\n"), "t t t t NL t t NL END");
    // Triple-quoted strings span lines.
    assert_eq!(kinds("a = '''x\n  y'''\nb\n"), "t t t NL t NL END");
    // Expression mode emits no indentation tokens, but an indented new logical line is
    // CPython's "unexpected indent" there too (blank and comment lines do not count).
    assert!(
        !toks("a(\n  b)\n# c\n")
            .iter()
            .any(|t| matches!(t, Tok::Indent | Tok::Dedent))
    );
    for src in ["a\n  b", "# c\n  a", "\n\ta"] {
        assert!(
            matches!(tokenize(src), Err(EvalError::Syntax { message, .. }) if message == "unexpected indent"),
            "{src:?}"
        );
    }
    assert_eq!(toks("# c\n\n  \na").len(), 2);
}

#[test]
fn statement_mode_indentation_errors() {
    let err = |src: &str| match tokenize_statements(src) {
        Err(EvalError::Syntax { message, .. }) => message,
        other => panic!("{src:?}: {other:?}"),
    };
    assert_eq!(
        err("a\n    b\n  c\n"),
        "unindent does not match any outer indentation level"
    );
    assert_eq!(
        err("a\n\tb\n        c\n"),
        "inconsistent use of tabs and spaces in indentation"
    );
}

#[test]
fn statement_tokens_carry_their_lines() {
    let (toks, lines) = tokenize_statements("a = '''x\ny'''\nif b:\n    c(1,\n      2)\n").unwrap();
    assert_eq!(toks.len(), lines.len());
    let line_of = |name: &str| {
        toks.iter()
            .position(|t| matches!(t, Tok::Name(n) if &**n == name))
            .map(|i| lines[i])
    };
    assert_eq!(line_of("a"), Some(1));
    assert_eq!(line_of("if"), Some(3));
    assert_eq!(line_of("c"), Some(4));
}
