//! A canonical one-line-per-statement text form of a parsed file, for conformance tests.
//!
//! BitBake's own parser can print the same form (the script
//! `testdata/bb-parse/bitbake-oracle.py` does), so comparing the two texts checks that a
//! file means the same to both parsers. BitBake stops at the first error; so does the
//! dump, which then ends with a line `error`. Trivia (blank lines, comments) and
//! positions are left out, since BitBake does not keep them. Nothing here parses.

use std::fmt::Write as _;

use crate::ast::{File, IncludeKind, StmtKind};
use crate::error::{Diagnostic, Severity};

/// Escapes text as the dump writes it: quoted, with `\\`, `\"`, `\n`, `\r`, `\t` and
/// `\xNN` for other control characters.
fn esc(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || u32::from(c) == 0x7f => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// An optional name: escaped, or `-`.
fn opt(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => esc(out, s),
        None => out.push('-'),
    }
}

/// A list of words: `["a","b"]`.
fn list(out: &mut String, xs: &[String]) {
    out.push('[');
    for (i, x) in xs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        esc(out, x);
    }
    out.push(']');
}

/// Writes one statement's line (without newline); returns false for trivia.
fn stmt_line(out: &mut String, kind: &StmtKind) -> bool {
    let b = |x: bool| u8::from(x);
    match kind {
        StmtKind::Blank | StmtKind::Comment => return false,
        StmtKind::Error => out.push_str("error"),
        StmtKind::Assign {
            export,
            name,
            flag,
            op,
            value,
        } => {
            let _ = write!(out, "assign export={} name=", b(*export));
            esc(out, name);
            out.push_str(" flag=");
            opt(out, flag.as_deref());
            let _ = write!(out, " op={} value=", op.as_str());
            esc(out, value);
        }
        StmtKind::Export { name } => {
            out.push_str("export name=");
            esc(out, name);
        }
        StmtKind::Unset { name, flag } => {
            out.push_str("unset name=");
            esc(out, name);
            out.push_str(" flag=");
            opt(out, flag.as_deref());
        }
        StmtKind::Include { kind, args } => {
            let k = match kind {
                IncludeKind::Include => "include",
                IncludeKind::Require => "require",
                IncludeKind::IncludeAll => "include_all",
            };
            let _ = write!(out, "include kind={k} args=");
            esc(out, args);
        }
        StmtKind::Inherit { defer, args } => {
            let _ = write!(out, "inherit defer={} args=", b(*defer));
            esc(out, args);
        }
        StmtKind::AddTask {
            names,
            after,
            before,
        } => {
            out.push_str("addtask names=");
            list(out, names);
            out.push_str(" after=");
            list(out, after);
            out.push_str(" before=");
            list(out, before);
        }
        StmtKind::DelTask { args } => {
            out.push_str("deltask args=");
            esc(out, args);
        }
        StmtKind::AddHandler { names } => {
            out.push_str("addhandler names=");
            list(out, names);
        }
        StmtKind::ExportFunctions { names } => {
            out.push_str("exportfuncs names=");
            list(out, names);
        }
        StmtKind::Function {
            name,
            python,
            fakeroot,
            body,
        } => {
            out.push_str("func name=");
            opt(out, name.as_deref());
            let _ = write!(
                out,
                " python={} fakeroot={} body=",
                b(*python),
                b(*fakeroot)
            );
            esc(out, body);
        }
        StmtKind::Def { name, body } => {
            out.push_str("def name=");
            esc(out, name);
            out.push_str(" body=");
            esc(out, body);
        }
        StmtKind::AddPylib { dir, namespace } => {
            out.push_str("addpylib dir=");
            esc(out, dir);
            out.push_str(" ns=");
            esc(out, namespace);
        }
        StmtKind::AddFragments {
            prefix,
            list_var,
            meta_vars,
            builtin_var,
        } => {
            out.push_str("addfragments");
            for part in [prefix, list_var, meta_vars, builtin_var] {
                out.push(' ');
                esc(out, part);
            }
        }
    }
    true
}

/// Number of physical lines in a statement's raw text.
fn line_count(raw: &str) -> u32 {
    let b = raw.as_bytes();
    let mut n = 0u32;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
            n = n.saturating_add(1);
        }
        i += 1;
    }
    if !raw.ends_with(['\n', '\r']) {
        n = n.saturating_add(1);
    }
    n.max(1)
}

/// The canonical dump of a parsed file and its diagnostics.
///
/// One line per statement (trivia left out) in source order; a statement with an
/// error diagnostic on one of its lines is followed by (or, for [`StmtKind::Error`],
/// replaced by) a line `error`, and the dump stops there, as BitBake does. A file with
/// no error ends with `warnings N`.
pub fn dump(file: &File, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for stmt in &file.stmts {
        let first = stmt.span.line;
        let last = first.saturating_add(line_count(&stmt.raw) - 1);
        let failed = diags
            .iter()
            .any(|d| d.severity == Severity::Error && (first..=last).contains(&d.span.line));
        if stmt_line(&mut out, &stmt.kind) {
            out.push('\n');
            if stmt.kind == StmtKind::Error {
                return out;
            }
        }
        if failed {
            out.push_str("error\n");
            return out;
        }
    }
    let warnings = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let _ = writeln!(out, "warnings {warnings}");
    out
}
