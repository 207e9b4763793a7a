//! Property tests: laws that hold for every input, checked with proptest.
//!
//! Round trip (`parse(src).print() == src`) and no panic for arbitrary text and for text
//! built from metadata-like fragments; statements start on strictly increasing lines
//! and diagnostics point inside the file; well-formed assignments and function bodies
//! read back exactly.

use bb_parse::{AssignOp, FileKind, Severity, StmtKind, parse};
use proptest::prelude::*;

/// Pieces of metadata, including every troublesome character and keyword.
const FRAGMENTS: &[&str] = &[
    "A",
    "B_x",
    "do_x",
    "${PN}",
    ":append",
    ":o",
    "_append",
    "export ",
    "unset ",
    "include ",
    "require ",
    "inherit ",
    "inherit_defer ",
    "addtask ",
    "deltask ",
    " after ",
    " before ",
    "addhandler ",
    "EXPORT_FUNCTIONS ",
    "addpylib ",
    "addfragments ",
    "def ",
    "python ",
    "fakeroot ",
    "__anonymous",
    "()",
    " {",
    "{",
    "}",
    "\n}\n",
    ":",
    "=",
    " = ",
    ":=",
    "?=",
    "??=",
    "+=",
    "=+",
    ".=",
    "=.",
    "\"",
    "'",
    "\"v\"",
    "'v'",
    "[doc]",
    "[",
    "]",
    "@",
    "/",
    "#",
    "# c",
    "\\",
    "\\\n",
    "\n",
    "\r\n",
    "\r",
    " ",
    "\t",
    "  ",
    "\u{3000}",
    "\u{1c}",
    "é",
    "ü",
    "x",
    "y z",
    "${@d.getVar('A')}",
    "):",
    "    pass",
    "\tx",
];

/// Physical lines as BitBake counts them.
fn line_count(src: &str) -> u32 {
    let n = src.replace("\r\n", "\n").matches(['\n', '\r']).count();
    u32::try_from(n).unwrap_or(u32::MAX - 1) + 1
}

/// Checks every law that holds for any input, with both readers.
fn laws(src: &str) -> Result<(), TestCaseError> {
    let lines = line_count(src);
    for kind in [FileKind::Conf, FileKind::Recipe] {
        let (file, diags) = parse("p", src, kind);
        prop_assert_eq!(file.print(), src);
        let mut prev = 0;
        for stmt in &file.stmts {
            prop_assert!(!stmt.raw.is_empty());
            prop_assert!(stmt.span.line > prev, "statement lines must increase");
            prop_assert_eq!(stmt.span.col, 1);
            prev = stmt.span.line;
        }
        for d in &diags {
            prop_assert!(d.span.line >= 1 && d.span.line <= lines, "{}", d);
            prop_assert!(d.span.col >= 1);
            prop_assert!(!d.message.is_empty());
        }
        // Parsing is deterministic.
        let (again, diags2) = parse("p", src, kind);
        prop_assert_eq!(&again, &file);
        prop_assert_eq!(diags2, diags);
    }
    Ok(())
}

/// The eight operators.
const OPS: [AssignOp; 8] = [
    AssignOp::Set,
    AssignOp::Immediate,
    AssignOp::Default,
    AssignOp::WeakDefault,
    AssignOp::Append,
    AssignOp::Prepend,
    AssignOp::PostDot,
    AssignOp::PreDot,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text(src in any::<String>()) {
        laws(&src)?;
    }

    #[test]
    fn metadata_alphabet(src in "[ \t\r\n\\\\#\"'=:?+.\\[\\]{}()a-z_A$@/~é\u{3000}\u{1c}]{0,200}") {
        laws(&src)?;
    }

    #[test]
    fn metadata_fragments(parts in prop::collection::vec(prop::sample::select(FRAGMENTS), 0..60)) {
        laws(&parts.concat())?;
    }

    #[test]
    fn assignments_read_back(
        name in "[A-Z][A-Z0-9]{0,8}(:[a-z]{1,5}){0,2}",
        flag in proptest::option::of("[a-z][a-z0-9@/]{0,6}"),
        op in prop::sample::select(&OPS[..]),
        ws1 in prop::sample::select(&["", " ", "  ", "\t"][..]),
        ws2 in prop::sample::select(&["", " ", "\t "][..]),
        quote in prop::sample::select(&['"', '\''][..]),
        value in "[a-zA-Z0-9 ${}#@.:/\\-]{0,30}",
        eol in prop::sample::select(&["", "\n", "\r\n", "  \n"][..]),
    ) {
        let flag_text = flag.as_deref().map(|f| format!("[{f}]")).unwrap_or_default();
        let src = format!("{name}{flag_text}{ws1}{}{ws2}{quote}{value}{quote}{eol}", op.as_str());
        for kind in [FileKind::Conf, FileKind::Recipe] {
            let (file, diags) = parse("p", &src, kind);
            prop_assert_eq!(file.print(), src.clone());
            prop_assert_eq!(file.stmts.len(), 1);
            let expected = StmtKind::Assign {
                export: false,
                name: name.clone(),
                flag: flag.clone(),
                op,
                value: value.clone(),
            };
            prop_assert_eq!(&file.stmts[0].kind, &expected);
            prop_assert!(diags.iter().all(|d| d.severity == Severity::Warning));
            let spaced = !ws1.is_empty() && !ws2.is_empty();
            let whitespace_warnings = diags.iter().filter(|d| d.message.contains("whitespace")).count();
            prop_assert_eq!(whitespace_warnings, usize::from(!spaced));
        }
    }

    #[test]
    fn function_bodies_read_back(
        lines in prop::collection::vec("[ \t]{0,2}[a-z#${}\\\\ ]{0,12}", 0..8),
        python in any::<bool>(),
    ) {
        // No body line may be a lone `}` (that would close the function).
        prop_assume!(lines.iter().all(|l| l.trim_end() != "}"));
        let keyword = if python { "python " } else { "" };
        let src = format!("{keyword}do_x() {{\n{}}}\n", lines.iter().map(|l| format!("{l}\n")).collect::<String>());
        let (file, diags) = parse("p", &src, FileKind::Recipe);
        prop_assert!(diags.iter().all(|d| d.severity == Severity::Warning), "{:?}", diags);
        prop_assert_eq!(file.stmts.len(), 1);
        let body: String = lines.iter().map(|l| format!("{}\n", l.trim_end())).collect();
        let expected = StmtKind::Function { name: Some("do_x".into()), python, fakeroot: false, body };
        prop_assert_eq!(&file.stmts[0].kind, &expected);
    }
}
