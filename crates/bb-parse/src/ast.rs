//! The syntax tree of one BitBake metadata file.
//!
//! Every statement keeps the exact source text it was parsed from (`raw`), so that
//! printing a [`File`] gives back the input byte for byte, and carries the line and
//! column where it starts. This module only describes; it must not evaluate anything.

use std::sync::Arc;

/// Which reader a file gets, chosen from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// `.conf`: the configuration reader (no functions, no inherit).
    Conf,
    /// `.bb`, `.bbappend`, `.bbclass`, `.inc`: the recipe reader.
    Recipe,
}

impl FileKind {
    /// The reader for a path, from its extension, or `None` for a file that is not
    /// BitBake metadata.
    pub fn from_path(path: &str) -> Option<FileKind> {
        let ext = path.rsplit_once('.').map(|(_, e)| e)?;
        match ext {
            "conf" => Some(FileKind::Conf),
            "bb" | "bbappend" | "bbclass" | "inc" => Some(FileKind::Recipe),
            _ => None,
        }
    }
}

/// A place in a metadata file: 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Span {
    /// The file as it was named to the parser.
    pub file: Arc<str>,
    /// 1-based line number.
    pub line: u32,
    /// 1-based column (in characters).
    pub col: u32,
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// A parsed file: its statements in source order, trivia included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// The file name given to the parser.
    pub path: Arc<str>,
    /// Which reader was used.
    pub kind: FileKind,
    /// Every piece of the file, in order; concatenating their `raw` texts gives the input.
    pub stmts: Vec<Stmt>,
}

impl File {
    /// Prints the file back; equals the parsed input byte for byte.
    pub fn print(&self) -> String {
        let mut out = String::with_capacity(self.stmts.iter().map(|s| s.raw.len()).sum());
        for s in &self.stmts {
            out.push_str(&s.raw);
        }
        out
    }
}

/// One statement (or piece of trivia) with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stmt {
    /// Where the statement starts.
    pub span: Span,
    /// The exact source text, including the line terminators it consumed.
    pub raw: String,
    /// What it means.
    pub kind: StmtKind,
}

/// The eight assignment operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssignOp {
    /// `=`
    Set,
    /// `:=`
    Immediate,
    /// `?=`
    Default,
    /// `??=`
    WeakDefault,
    /// `+=`
    Append,
    /// `=+`
    Prepend,
    /// `.=`
    PostDot,
    /// `=.`
    PreDot,
}

impl AssignOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            AssignOp::Set => "=",
            AssignOp::Immediate => ":=",
            AssignOp::Default => "?=",
            AssignOp::WeakDefault => "??=",
            AssignOp::Append => "+=",
            AssignOp::Prepend => "=+",
            AssignOp::PostDot => ".=",
            AssignOp::PreDot => "=.",
        }
    }
}

/// `include`, `require` or `include_all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncludeKind {
    /// `include`: a missing file is silent.
    Include,
    /// `require`: a missing file is an error.
    Require,
    /// `include_all`: every BBPATH entry's copy is included.
    IncludeAll,
}

/// What a statement is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StmtKind {
    /// Blank lines (whitespace only).
    Blank,
    /// A column-0 `#` comment, continuation lines included.
    Comment,
    /// `[export ]NAME[[FLAG]] OP "VALUE"`.
    Assign {
        /// `export ` prefix given.
        export: bool,
        /// Variable name, unexpanded (may contain `${...}` and `:override` parts).
        name: String,
        /// `NAME[FLAG]` form.
        flag: Option<String>,
        /// The operator.
        op: AssignOp,
        /// Text between the quotes, joined lines included, unexpanded.
        value: String,
    },
    /// `export NAME` alone.
    Export {
        /// The variable.
        name: String,
    },
    /// `unset NAME` or `unset NAME[FLAG]`.
    Unset {
        /// The variable.
        name: String,
        /// The flag, for the flag form.
        flag: Option<String>,
    },
    /// `include`, `require`, `include_all`; `args` is unexpanded.
    Include {
        /// Which directive.
        kind: IncludeKind,
        /// Rest of the line, unexpanded.
        args: String,
    },
    /// `inherit ARGS` or `inherit_defer ARGS`; `args` is unexpanded.
    Inherit {
        /// `inherit_defer`.
        defer: bool,
        /// Rest of the line, unexpanded.
        args: String,
    },
    /// `addtask NAMES [after ...] [before ...]` (names as written, without `do_` added).
    AddTask {
        /// Tasks being added.
        names: Vec<String>,
        /// `after` lists, concatenated. Like BitBake, several `after` parts are glued
        /// together with no separator before splitting into words
        /// (`addtask x after a before b after c` gives `["ac"]`).
        after: Vec<String>,
        /// `before` lists, concatenated the same way.
        before: Vec<String>,
    },
    /// `deltask ARGS`; `args` is unexpanded.
    DelTask {
        /// Rest of the line (comment removed), unexpanded.
        args: String,
    },
    /// `addhandler h1 h2`.
    AddHandler {
        /// Handler function names.
        names: Vec<String>,
    },
    /// `EXPORT_FUNCTIONS f1 f2`.
    ExportFunctions {
        /// Function names.
        names: Vec<String>,
    },
    /// A shell or BitBake-style Python function; `name` is `None` for anonymous Python
    /// (`python () {` and `python __anonymous () {`).
    Function {
        /// Function name, unexpanded, possibly with override syntax (`do_x:append`).
        name: Option<String>,
        /// `python` keyword (always true for anonymous functions, which BitBake runs
        /// as Python whatever the keywords say).
        python: bool,
        /// `fakeroot` keyword.
        fakeroot: bool,
        /// The body lines joined with `\n`, plus a trailing `\n`, verbatim except that
        /// each line's trailing whitespace is stripped (an empty body is `""`).
        body: String,
    },
    /// A `def NAME(...):` block: the `def` line and the lines after it that start with
    /// whitespace, are empty or start with `#`.
    Def {
        /// The function name.
        name: String,
        /// The collected lines (the `def` line included) joined with `\n`, trailing
        /// whitespace stripped; an empty line that ended the block is part of it.
        body: String,
    },
    /// `addpylib DIR NAMESPACE`.
    AddPylib {
        /// Directory, unexpanded.
        dir: String,
        /// Python namespace.
        namespace: String,
    },
    /// `addfragments PREFIX LISTVAR METAVARS BUILTINVAR`.
    AddFragments {
        /// Fragment directory prefix.
        prefix: String,
        /// Variable listing enabled fragments.
        list_var: String,
        /// Variable listing metadata variables.
        meta_vars: String,
        /// Variable listing built-in fragments.
        builtin_var: String,
    },
    /// A line that could not be parsed; a matching [`crate::Diagnostic`] was emitted.
    Error,
}
