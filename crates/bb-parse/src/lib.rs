//! Reads BitBake metadata files (`.conf`, `.bb`, `.bbappend`, `.bbclass`, `.inc`) into a
//! lossless syntax tree.
//!
//! Entry points: [`parse`] (text in, [`ast::File`] plus [`Diagnostic`]s out),
//! [`ast::File::print`] (tree back to the same bytes) and [`dump()`] (a canonical text
//! form, comparable with BitBake's own reading of a file). This crate is pure: it reads
//! no files and evaluates nothing.
//!
//! Code map: `lines.rs` splits physical lines and knows Python's whitespace;
//! `parser.rs` holds the two readers (configuration and recipe) that group lines into
//! statements; `forms.rs` matches one logical line against BitBake's statement forms;
//! `ast.rs` and `error.rs` are the output types; `dump.rs` the canonical text form.

pub mod ast;
mod dump;
mod error;
mod forms;
mod lines;
mod parser;

pub use ast::{AssignOp, File, FileKind, IncludeKind, Span, Stmt, StmtKind};
pub use dump::dump;
pub use error::{Diagnostic, Severity};
pub use parser::parse;
