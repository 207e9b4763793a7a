//! The two readers: BitBake's configuration reader (`.conf`) and recipe reader (`.bb`,
//! `.bbappend`, `.bbclass`, `.inc`), turning source text into a lossless [`File`].
//!
//! Each reader groups physical lines into statements exactly as BitBake does
//! (trailing-whitespace strip, backslash joining, column-0 comments, verbatim function
//! bodies, `def` blocks), hands each logical line to the matchers in `forms.rs`, and
//! records a [`Diagnostic`] for everything BitBake would reject or warn about. Every
//! byte of the input ends up in exactly one statement's `raw` text, so
//! `parse(..).0.print()` returns the input. The readers never panic and never stop
//! early: after an error they resynchronise at the next line.

use std::borrow::Cow;
use std::sync::Arc;

use crate::ast::{AssignOp, File, FileKind, Span, Stmt, StmtKind};
use crate::error::{Diagnostic, Severity};
use crate::forms::{self, AssignForm, Form};
use crate::lines::{PhysLine, PhysLines, column, is_blank, rstrip};

#[cfg(test)]
mod tests;

/// Parses one metadata file with the reader for `kind`.
///
/// `path` is only used to label spans and diagnostics. The returned tree prints back to
/// `src` byte for byte ([`File::print`]); the diagnostics list every error (statements
/// BitBake would refuse; those statements are [`StmtKind::Error`] or, for semantic
/// rejections such as the old override syntax, the statement as parsed) and warning.
///
/// ```
/// use bb_parse::{AssignOp, FileKind, StmtKind, parse};
///
/// let src = "A ?= \"1\"\n# note\nB = \"x\" # no trailing comments\n";
/// let (file, diags) = parse("local.conf", src, FileKind::Conf);
/// assert_eq!(file.print(), src);
/// assert!(matches!(&file.stmts[0].kind, StmtKind::Assign { name, op: AssignOp::Default, .. } if name == "A"));
/// assert_eq!(file.stmts[2].kind, StmtKind::Error);
/// assert_eq!(diags[0].to_string().lines().next(), Some(
///     "local.conf:3:5: error: unterminated quoted value: the closing `\"` must end the line"));
/// ```
pub fn parse(path: &str, src: &str, kind: FileKind) -> (File, Vec<Diagnostic>) {
    let file: Arc<str> = Arc::from(path);
    let mut b = Builder {
        src,
        file: Arc::clone(&file),
        stmts: Vec::with_capacity(src.len() / 40 + 1),
        diags: Vec::new(),
        pos: 0,
    };
    match kind {
        FileKind::Conf => conf_reader(&mut b),
        FileKind::Recipe => recipe_reader(&mut b),
    }
    // Whatever is left (nothing, by construction) still belongs in the tree.
    if b.pos < src.len() {
        debug_assert!(false, "reader left {} bytes unconsumed", src.len() - b.pos);
        b.push(src.len(), 1, 1, StmtKind::Error);
    }
    (
        File {
            path: file,
            kind,
            stmts: b.stmts,
        },
        b.diags,
    )
}

/// Where a piece of a joined logical line came from.
#[derive(Debug, Clone, Copy)]
struct Piece {
    /// Byte offset of the piece in the logical text.
    at: usize,
    /// The physical line it was taken from.
    line: PhysLine,
}

/// A logical line: the joined text and the physical lines it came from.
#[derive(Debug)]
struct Logical<'s> {
    /// Joined text (borrowed when it is a single physical line).
    text: Cow<'s, str>,
    /// The first physical line.
    first: PhysLine,
    /// Where each piece starts, for joined lines (empty for a single line).
    pieces: Vec<Piece>,
    /// Source offset just past the last physical line consumed.
    end: usize,
}

impl Logical<'_> {
    /// Line and column of byte offset `at` of the logical text.
    fn locate(&self, src: &str, at: usize) -> (u32, u32) {
        let piece = self.pieces.iter().rev().find(|p| p.at <= at);
        match piece {
            None => (self.first.number, column(self.first.content(src), at)),
            Some(p) => (p.line.number, column(p.line.content(src), at - p.at)),
        }
    }
}

/// Accumulates statements and diagnostics, keeping the statements contiguous.
struct Builder<'s> {
    src: &'s str,
    file: Arc<str>,
    stmts: Vec<Stmt>,
    diags: Vec<Diagnostic>,
    /// Source offset up to which statements have been emitted.
    pos: usize,
}

impl Builder<'_> {
    /// Emits a statement covering the source from the end of the previous one up to `end`.
    fn push(&mut self, end: usize, line: u32, col: u32, kind: StmtKind) {
        let end = end.clamp(self.pos, self.src.len());
        let raw = self.src.get(self.pos..end).unwrap_or("");
        if raw.is_empty() {
            return;
        }
        self.pos = end;
        if kind == StmtKind::Blank
            && let Some(last) = self.stmts.last_mut()
            && last.kind == StmtKind::Blank
        {
            last.raw.push_str(raw);
            return;
        }
        let span = Span {
            file: Arc::clone(&self.file),
            line,
            col,
        };
        self.stmts.push(Stmt {
            span,
            raw: raw.to_owned(),
            kind,
        });
    }

    /// Records a diagnostic.
    fn diag(&mut self, severity: Severity, line: u32, col: u32, line_text: &str, message: String) {
        let span = Span {
            file: Arc::clone(&self.file),
            line,
            col,
        };
        self.diags.push(Diagnostic {
            severity,
            span,
            line_text: line_text.to_owned(),
            message,
        });
    }

    /// Records an error diagnostic.
    fn error(&mut self, line: u32, col: u32, line_text: &str, message: String) {
        self.diag(Severity::Error, line, col, line_text, message);
    }
}

/// BitBake's fatal check for names in the old `_append`/`_prepend`/`_remove` style
/// (a substring test; names starting with `__anon_` are exempt).
fn uses_old_override_syntax(name: &str) -> bool {
    !name.starts_with("__anon_")
        && (name.contains("_append") || name.contains("_prepend") || name.contains("_remove"))
}

/// BitBake's message for the old override syntax (from `data_smart.py`).
fn old_override_message(name: &str) -> String {
    format!(
        "Variable {name} contains an operation using the old override syntax. Please convert this layer/metadata before attempting to use with a newer bitbake."
    )
}

/// The configuration reader.
fn conf_reader(b: &mut Builder<'_>) {
    let src = b.src;
    let mut lines = PhysLines::new(src);
    while let Some(line) = lines.next() {
        let content = line.content(src);
        if is_blank(content) {
            b.push(line.end, line.number, 1, StmtKind::Blank);
            continue;
        }
        let s = rstrip(content);
        let mut logical = Logical {
            text: Cow::Borrowed(s),
            first: line,
            pieces: Vec::new(),
            end: line.end,
        };
        let mut swallowing_comment = false;
        let mut emptied = false;
        if s.ends_with('\\') {
            let mut text = s.to_owned();
            logical.pieces.push(Piece { at: 0, line });
            while text.ends_with('\\') {
                let next = lines.next();
                let s2 = next.map_or("", |n| n.stripped(src));
                if text.starts_with('#') && !s2.starts_with('#') {
                    swallowing_comment = true;
                }
                text.pop();
                if let Some(n) = next {
                    logical.pieces.push(Piece {
                        at: text.len(),
                        line: n,
                    });
                    logical.end = n.end;
                }
                text.push_str(s2);
                if text.is_empty() {
                    emptied = true;
                    break;
                }
            }
            logical.text = Cow::Owned(text);
        }
        let first = logical.first.number;
        if emptied {
            b.error(
                first,
                1,
                "\\",
                "line continuation `\\` joins into an empty line (bitbake fails on this)".into(),
            );
            b.push(logical.end, first, 1, StmtKind::Error);
            continue;
        }
        if swallowing_comment {
            let text = logical.text.clone();
            b.error(
                first,
                1,
                &text,
                "confusing multi-line comment: a comment line ending in `\\` must be continued by another comment line"
                    .into(),
            );
            b.push(logical.end, first, 1, StmtKind::Error);
            continue;
        }
        if logical.text.starts_with('#') {
            b.push(logical.end, first, 1, StmtKind::Comment);
            continue;
        }
        let form = forms::match_conf(&logical.text, true);
        emit_simple(b, &logical, form, false);
    }
}

/// State of an open function body in the recipe reader.
struct OpenFunc {
    first: u32,
    col: u32,
    header: String,
    name: Option<String>,
    python: bool,
    fakeroot: bool,
    body: String,
}

/// State of an open `def` block in the recipe reader.
struct OpenDef {
    first: u32,
    col: u32,
    header: String,
    name: String,
    body: String,
}

/// Continuation lines waiting for the line that ends them.
struct Residue {
    first: PhysLine,
    text: String,
    pieces: Vec<Piece>,
    end: usize,
    first_empty: bool,
    comment: bool,
}

/// The recipe reader's line state.
enum Mode {
    Normal,
    Func(OpenFunc),
    Def(OpenDef),
}

/// BitBake's check for Python indented with tabs: spaces, then a tab, at the start.
fn tab_indented(s: &str) -> bool {
    s.trim_start_matches(' ').starts_with('\t')
}

/// The recipe reader.
fn recipe_reader(b: &mut Builder<'_>) {
    let src = b.src;
    let mut mode = Mode::Normal;
    let mut residue: Option<Residue> = None;
    for line in PhysLines::new(src) {
        let s = line.stripped(src);
        match &mut mode {
            Mode::Func(f) => {
                if (f.python || f.name.is_none()) && tab_indented(s) {
                    tab_warning(b, line, s);
                }
                if s == "}" {
                    let Mode::Func(f) = std::mem::replace(&mut mode, Mode::Normal) else {
                        continue;
                    };
                    close_func(b, f, line.end);
                } else {
                    f.body.push_str(s);
                    f.body.push('\n');
                }
                continue;
            }
            Mode::Def(d) => {
                if tab_indented(s) {
                    tab_warning(b, line, s);
                }
                if s.is_empty() || s.starts_with('#') || crate::lines::starts_with_space(s) {
                    d.body.push('\n');
                    d.body.push_str(s);
                    continue;
                }
                let Mode::Def(d) = std::mem::replace(&mut mode, Mode::Normal) else {
                    continue;
                };
                close_def(b, d, line.start);
            }
            Mode::Normal => {}
        }

        if let Some(res) = residue.take() {
            if res.first_empty {
                b.error(
                    res.first.number,
                    1,
                    &res.text,
                    "line continuation `\\` on an otherwise empty line (bitbake fails on this)"
                        .into(),
                );
                b.push(res.end, res.first.number, 1, StmtKind::Error);
            } else if s.starts_with('#') && !res.comment {
                b.error(
                    line.number,
                    1,
                    s,
                    "comment line inside a multi-line expression (the line before ends with `\\`)"
                        .into(),
                );
                b.push(line.end, res.first.number, 1, StmtKind::Error);
                continue;
            } else if res.comment && !s.starts_with('#') {
                b.error(
                    res.first.number,
                    1,
                    &res.text,
                    "confusing multi-line comment: a comment line ending in `\\` must be continued by another comment line"
                        .into(),
                );
                b.push(res.end, res.first.number, 1, StmtKind::Error);
            } else {
                residue = Some(res);
            }
        }

        if let Some(part) = s.strip_suffix('\\') {
            match &mut residue {
                Some(res) => {
                    res.pieces.push(Piece {
                        at: res.text.len(),
                        line,
                    });
                    res.text.push_str(part);
                    res.end = line.end;
                }
                None => {
                    residue = Some(Residue {
                        first: line,
                        text: part.to_owned(),
                        pieces: vec![Piece { at: 0, line }],
                        end: line.end,
                        first_empty: part.is_empty(),
                        comment: part.starts_with('#'),
                    });
                }
            }
            continue;
        }

        let logical = match residue.take() {
            None => Logical {
                text: Cow::Borrowed(s),
                first: line,
                pieces: Vec::new(),
                end: line.end,
            },
            Some(mut res) => {
                res.pieces.push(Piece {
                    at: res.text.len(),
                    line,
                });
                res.text.push_str(s);
                Logical {
                    text: Cow::Owned(res.text),
                    first: res.first,
                    pieces: res.pieces,
                    end: line.end,
                }
            }
        };
        let first = logical.first.number;
        if logical.text.is_empty() {
            b.push(logical.end, first, 1, StmtKind::Blank);
            continue;
        }
        if logical.text.starts_with('#') {
            b.push(logical.end, first, 1, StmtKind::Comment);
            continue;
        }
        match forms::match_recipe(&logical.text) {
            Some(Form::FuncStart {
                name,
                python,
                fakeroot,
            }) => {
                // The statement is emitted when the closing `}` arrives.
                mode = Mode::Func(OpenFunc {
                    first,
                    col: 1,
                    header: logical.text.to_string(),
                    name: name.map(str::to_owned),
                    // BitBake runs anonymous functions as Python whatever the keywords.
                    python: python || name.is_none(),
                    fakeroot,
                    body: String::new(),
                });
            }
            Some(Form::Def { name }) => {
                mode = Mode::Def(OpenDef {
                    first,
                    col: 1,
                    header: logical.text.to_string(),
                    name: name.to_owned(),
                    body: logical.text.to_string(),
                });
            }
            other => emit_simple(b, &logical, other, true),
        }
    }

    match mode {
        Mode::Normal => {}
        Mode::Func(f) => {
            let what = f.name.as_deref().unwrap_or("__anonymous");
            b.error(
                f.first,
                f.col,
                &f.header,
                format!(
                    "unclosed function `{what}`: reached end of file before a `}}` in column 0"
                ),
            );
            b.push(src.len(), f.first, f.col, StmtKind::Error);
        }
        Mode::Def(d) => close_def(b, d, src.len()),
    }
    if let Some(res) = residue {
        b.error(
            res.first.number,
            1,
            &res.text,
            "unparsed lines: the last line ends with a `\\` continuation at the end of the file"
                .into(),
        );
        b.push(res.end, res.first.number, 1, StmtKind::Error);
    }
}

/// Warns about a tab-indented line of a Python body.
fn tab_warning(b: &mut Builder<'_>, line: PhysLine, s: &str) {
    b.diag(
        Severity::Warning,
        line.number,
        1,
        s,
        "python should use 4 spaces indentation, but found tabs".into(),
    );
}

/// Emits a finished function.
fn close_func(b: &mut Builder<'_>, f: OpenFunc, end: usize) {
    if let Some(name) = &f.name
        && uses_old_override_syntax(name)
    {
        b.error(f.first, f.col, &f.header, old_override_message(name));
    }
    let kind = StmtKind::Function {
        name: f.name,
        python: f.python,
        fakeroot: f.fakeroot,
        body: f.body,
    };
    b.push(end, f.first, f.col, kind);
}

/// Emits a finished `def` block ending just before source offset `end`.
fn close_def(b: &mut Builder<'_>, d: OpenDef, end: usize) {
    if uses_old_override_syntax(&d.name) {
        b.error(d.first, d.col, &d.header, old_override_message(&d.name));
    }
    b.push(
        end,
        d.first,
        d.col,
        StmtKind::Def {
            name: d.name,
            body: d.body,
        },
    );
}

/// Emits a statement for a logical line that is not a function start: the matched
/// form, or an error explaining why nothing matched.
fn emit_simple(b: &mut Builder<'_>, logical: &Logical<'_>, form: Option<Form<'_>>, recipe: bool) {
    let src = b.src;
    let text: &str = &logical.text;
    let first = logical.first.number;
    let kind = match form {
        None => {
            let (at, message) = forms::explain(text, recipe);
            let (line, col) = logical.locate(src, at);
            b.error(line, col, text, message);
            StmtKind::Error
        }
        Some(Form::Assign(a)) => assign_stmt(b, logical, a),
        Some(Form::Include { kind, args }) => StmtKind::Include {
            kind,
            args: args.to_owned(),
        },
        Some(Form::Export { name }) => StmtKind::Export {
            name: name.to_owned(),
        },
        Some(Form::Unset { name, flag }) => StmtKind::Unset {
            name: name.to_owned(),
            flag: flag.map(str::to_owned),
        },
        Some(Form::AddPylib { dir, namespace }) => StmtKind::AddPylib {
            dir: dir.to_owned(),
            namespace: namespace.to_owned(),
        },
        Some(Form::AddFragments {
            parts: [prefix, list_var, meta_vars, builtin_var],
        }) => StmtKind::AddFragments {
            prefix: prefix.to_owned(),
            list_var: list_var.to_owned(),
            meta_vars: meta_vars.to_owned(),
            builtin_var: builtin_var.to_owned(),
        },
        Some(Form::ExportFunctions { args }) => StmtKind::ExportFunctions {
            names: forms::py_words(args).map(str::to_owned).collect(),
        },
        Some(Form::AddHandler { args }) => StmtKind::AddHandler {
            names: forms::py_words(args).map(str::to_owned).collect(),
        },
        Some(Form::Inherit { defer, args }) => StmtKind::Inherit {
            defer,
            args: args.to_owned(),
        },
        Some(Form::DelTask { args }) => StmtKind::DelTask {
            args: args.to_owned(),
        },
        Some(Form::AddTask { args }) => {
            let bad = forms::py_words(text).find(|w| {
                w.contains(":append_") || w.contains(":prepend_") || w.contains(":remove_")
            });
            if let Some(bad) = bad {
                let at = forms::offset_in(text, bad);
                let (line, col) = logical.locate(src, at);
                b.error(
                    line,
                    col,
                    text,
                    format!(
                        "task name `{bad}` contains a keyword (`:append_`, `:prepend_` or `:remove_`) which is not supported; rename the task"
                    ),
                );
                StmtKind::Error
            } else {
                let (names, after, before) = forms::split_addtask(args);
                StmtKind::AddTask {
                    names,
                    after,
                    before,
                }
            }
        }
        // Function starts and `def` lines are handled by the recipe reader itself.
        Some(Form::FuncStart { .. } | Form::Def { .. }) => {
            debug_assert!(false, "function starts are handled by the recipe reader");
            StmtKind::Error
        }
    };
    b.push(logical.end, first, 1, kind);
}

/// Checks and converts an assignment.
fn assign_stmt(b: &mut Builder<'_>, logical: &Logical<'_>, a: AssignForm<'_>) -> StmtKind {
    let src = b.src;
    let text: &str = &logical.text;
    if a.name.is_empty() {
        let (line, col) = logical.locate(src, a.op_at);
        b.error(
            line,
            col,
            text,
            format!(
                "empty variable name in assignment before `{}`",
                a.op.as_str()
            ),
        );
        return StmtKind::Error;
    }
    if !a.spaced {
        let (line, col) = logical.locate(src, a.op_at);
        b.diag(
            Severity::Warning,
            line,
            col,
            text,
            format!(
                "lack of whitespace around the assignment operator `{}`",
                a.op.as_str()
            ),
        );
    }
    let override_op =
        a.name.contains(":append") || a.name.contains(":prepend") || a.name.contains(":remove");
    if override_op
        && matches!(
            a.op,
            AssignOp::Append | AssignOp::Prepend | AssignOp::PostDot | AssignOp::PreDot
        )
    {
        let (line, col) = logical.locate(src, a.op_at);
        b.diag(
            Severity::Warning,
            line,
            col,
            text,
            format!(
                "`{} {}` is not a recommended operator combination, please replace it",
                a.name,
                a.op.as_str()
            ),
        );
    }
    // BitBake checks in `setVar`: flags and `??=` (stored as a flag) are not checked.
    if a.flag.is_none() && a.op != AssignOp::WeakDefault && uses_old_override_syntax(a.name) {
        let (line, col) = logical.locate(src, 0);
        b.error(line, col, text, old_override_message(a.name));
    }
    StmtKind::Assign {
        export: a.export,
        name: a.name.to_owned(),
        flag: a.flag.map(str::to_owned),
        op: a.op,
        value: a.value.to_owned(),
    }
}
