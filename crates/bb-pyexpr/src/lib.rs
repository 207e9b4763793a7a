//! Evaluates BitBake inline Python (`${@ ... }`) natively, without CPython.
//!
//! Entry points: [`compile`] (parse once, evaluate many times), [`Expr::eval`], the one-shot
//! [`eval`], and the [`Context`] trait through which an expression reads the datastore
//! (`d.getVar`, `d.getVarFlag`, `d.expand`, bare variable names).
//! What this crate cannot evaluate is reported as [`EvalError::NeedsPython`], never guessed.
//!
//! The datastore extracts the text between `${@` and `}` and substitutes `${VAR}` references
//! before calling us; this crate sees only the expression.
//!
//! Code map: `lexer.rs` (tokens and literals), `parser.rs` (grammar) building `ast.rs`;
//! `eval.rs` (names, scopes, calls, comprehensions, iterators) over `value.rs` (values and
//! their `==`, ordering, `repr`); `ops.rs` (operators, indexing), `methods.rs` (attributes
//! and methods), `builtins.rs` (Python builtins and the `bb`/`oe`/`os.path` helpers),
//! `format.rs` (`%`, `str.format`, format specs); `error.rs` ([`EvalError`]).

mod ast;
mod builtins;
mod error;
mod eval;
mod format;
mod lexer;
mod methods;
mod ops;
mod parser;
mod value;

use std::sync::Arc;

pub use error::{EvalError, Result};

/// How an expression reads the datastore. Implemented by the datastore crate.
pub trait Context {
    /// `d.getVar(name, expand)`: the variable's final value; `None` when unset.
    /// Errors pass through unchanged.
    fn get_var(&self, name: &str, expand: bool) -> Result<Option<String>, EvalError>;
    /// `d.getVarFlag(name, flag, expand)`.
    fn get_var_flag(&self, name: &str, flag: &str, expand: bool) -> Result<Option<String>, EvalError>;
    /// `d.expand(text)`.
    fn expand(&self, text: &str) -> Result<String, EvalError>;
}

/// A compiled expression: parse once, evaluate against any number of datastores.
#[derive(Debug, Clone)]
pub struct Expr {
    text: Arc<str>,
    root: Arc<ast::Node>,
}

/// Python's `str.strip()` whitespace, which BitBake applies before compiling.
fn strip_py(text: &str) -> &str {
    text.trim_matches(value::is_py_space)
}

/// Parses an inline Python expression (the text between `${@` and `}`).
pub fn compile(expr: &str) -> Result<Expr> {
    let root = parser::parse(strip_py(expr)).map_err(|e| e.with_expr(expr))?;
    Ok(Expr { text: Arc::from(expr), root: Arc::new(root) })
}

impl Expr {
    /// The expression's source text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Evaluates the expression and converts the result with Python `str()`.
    pub fn eval(&self, ctx: &dyn Context) -> Result<String> {
        let interp = eval::Interp::new(ctx);
        interp
            .eval(&self.root, None)
            .and_then(|v| value::py_str(&v))
            .map_err(|e| e.with_expr(&self.text))
    }
}

/// Compiles and evaluates an expression in one step.
pub fn eval(expr: &str, ctx: &dyn Context) -> Result<String> {
    compile(expr)?.eval(ctx)
}
