//! Reads BitBake metadata files (`.conf`, `.bb`, `.bbappend`, `.bbclass`, `.inc`) into a
//! lossless syntax tree.
//!
//! Entry points: [`parse`] (text in, [`ast::File`] plus [`Diagnostic`]s out) and
//! [`ast::File::print`] (tree back to the same bytes). This crate is pure: it reads no
//! files and evaluates nothing.

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
