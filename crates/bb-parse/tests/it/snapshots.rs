//! Snapshot checks over the inputs in `testdata/bb-parse/`.
//!
//! For each input, `check` parses it with the reader its extension selects, asserts the
//! round trip, renders statements (position and meaning) and diagnostics as text for
//! insta, and compares the canonical dump with BitBake's (`FILE.bitbake`, written by
//! `testdata/bb-parse/bitbake-oracle.py`) when that file exists.

use std::fmt::Write as _;
use std::path::Path;

use bb_parse::{FileKind, parse};

/// Parses one input and renders what a reviewer needs to see.
fn check(path: &Path) -> String {
    let src = fs_err::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let kind = FileKind::from_path(&name).unwrap_or_else(|| panic!("{name} is not metadata"));
    let (file, diags) = parse(&name, &src, kind);
    assert_eq!(file.print(), src, "{name}: round trip");

    let oracle = path.with_file_name(format!("{name}.bitbake"));
    if oracle.exists() {
        let expected = fs_err::read_to_string(&oracle).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            bb_parse::dump(&file, &diags),
            expected,
            "{name}: differs from BitBake's reading"
        );
    }

    let mut out = String::new();
    for stmt in &file.stmts {
        let _ = writeln!(out, "{}:{} {:?}", stmt.span.line, stmt.span.col, stmt.kind);
    }
    if !diags.is_empty() {
        out.push_str("---\n");
    }
    for d in &diags {
        let _ = writeln!(out, "{d}");
    }
    out
}

#[test]
fn testdata_inputs() {
    insta::glob!(
        "../../../../testdata/bb-parse",
        "*.{bb,bbappend,bbclass,conf,inc}",
        |path| {
            insta::assert_snapshot!(check(path));
        }
    );
}
