//! Fuzz target `parse`: arbitrary bytes (lossy UTF-8) through both readers.
//!
//! Checks that parsing never panics, that printing the tree gives back the input, and
//! that every statement and diagnostic points inside the input. Crashes found here are
//! kept in `testdata/fuzz-regressions/` and replayed by bb-parse's integration tests.
#![no_main]

use bb_parse::{FileKind, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    // Physical lines as BitBake counts them (`\n`, `\r\n` and `\r` end a line).
    let lines = src.replace("\r\n", "\n").matches(['\n', '\r']).count() as u32 + 1;
    for kind in [FileKind::Conf, FileKind::Recipe] {
        let (file, diags) = parse("fuzz.in", &src, kind);
        assert_eq!(file.print(), src, "round trip failed for {kind:?}");
        for stmt in &file.stmts {
            assert!(!stmt.raw.is_empty(), "empty statement");
            assert!(
                stmt.span.line >= 1 && stmt.span.line <= lines,
                "statement line out of range"
            );
            assert!(stmt.span.col >= 1, "statement column out of range");
        }
        for d in &diags {
            assert!(
                d.span.line >= 1 && d.span.line <= lines,
                "diagnostic line out of range: {d}"
            );
            assert!(d.span.col >= 1, "diagnostic column out of range: {d}");
            assert!(!d.message.is_empty(), "diagnostic without a message");
        }
    }
});
