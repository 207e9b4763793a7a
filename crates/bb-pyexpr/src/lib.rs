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
//! Evaluation is bounded: nesting depth, stack use, container sizes (about a million items)
//! and work (five million steps). Past a bound the result is an error (`RecursionError`,
//! `MemoryError` or `NeedsPython`), never a crash; no input panics.
//!
//! Code map: `lexer.rs` (tokens and literals), `parser.rs` (grammar) building `ast.rs`;
//! `eval.rs` (names, scopes, calls, comprehensions, iterators) over `value.rs` (values and
//! their `==`, ordering, `repr`); `ops.rs` (operators, indexing), `methods.rs` (attributes
//! and methods), `builtins.rs` (Python builtins and the `bb`/`oe`/`os.path` helpers),
//! `format.rs` (`%`, `str.format`, format specs); `error.rs` ([`EvalError`]); `stack.rs` (the
//! stack budget that turns runaway nesting into errors; the crate needs 2 MiB of stack).

mod ast;
mod builtins;
mod error;
mod eval;
mod format;
mod lexer;
mod methods;
mod ops;
mod parser;
mod stack;
mod value;

use std::sync::Arc;

pub use error::{EvalError, Result};

/// How an expression reads the datastore. Implemented by the datastore crate.
pub trait Context {
    /// `d.getVar(name, expand)`: the variable's final value; `None` when unset.
    /// Errors pass through unchanged.
    fn get_var(&self, name: &str, expand: bool) -> Result<Option<String>, EvalError>;
    /// `d.getVarFlag(name, flag, expand)`.
    fn get_var_flag(
        &self,
        name: &str,
        flag: &str,
        expand: bool,
    ) -> Result<Option<String>, EvalError>;
    /// `d.expand(text)`.
    fn expand(&self, text: &str) -> Result<String, EvalError>;
    /// `d.getVarFlags(name)`: the user-visible flags (unexpanded), in insertion order; `None`
    /// when the variable has none.
    fn get_var_flags(&self, name: &str) -> Result<Option<Vec<(String, String)>>, EvalError> {
        let _ = name;
        Err(needs("d.getVarFlags"))
    }
    /// `d.keys()`: every variable name.
    fn keys(&self) -> Result<Vec<String>, EvalError> {
        Err(needs("d.keys"))
    }
    /// Values BitBake keeps as Python lists (the `deps` flag of tasks, `__inherit_cache`,
    /// `__BBTASKS`...): `Some(items)` makes `d.getVar`/`d.getVarFlag` return a list instead of
    /// a str.
    fn internal_list(&self, name: &str, flag: Option<&str>) -> Option<Vec<String>> {
        let _ = (name, flag);
        None
    }
    /// Source of a Python function stored in the datastore (a `def NAME(...):` block, or a
    /// BitBake `python NAME() {}` body), for calls by bare name. `None`: not a Python function.
    fn python_function(&self, name: &str) -> Option<PyFunction> {
        let _ = name;
        None
    }
    /// `d.setVar(name, value)` from Python code; `value` `None` means Python `None`.
    fn set_var(&self, name: &str, value: Option<&str>) -> Result<(), EvalError> {
        let _ = (name, value);
        Err(needs("d.setVar"))
    }
    /// `d.appendVar(name, value)`.
    fn append_var(&self, name: &str, value: &str) -> Result<(), EvalError> {
        let _ = (name, value);
        Err(needs("d.appendVar"))
    }
    /// `d.prependVar(name, value)`.
    fn prepend_var(&self, name: &str, value: &str) -> Result<(), EvalError> {
        let _ = (name, value);
        Err(needs("d.prependVar"))
    }
    /// `d.delVar(name)`.
    fn del_var(&self, name: &str) -> Result<(), EvalError> {
        let _ = name;
        Err(needs("d.delVar"))
    }
    /// `d.renameVar(from, to)`.
    fn rename_var(&self, from: &str, to: &str) -> Result<(), EvalError> {
        let _ = (from, to);
        Err(needs("d.renameVar"))
    }
    /// `d.setVarFlag(name, flag, value)`; `value` `None` means Python `None`.
    fn set_var_flag(&self, name: &str, flag: &str, value: Option<&str>) -> Result<(), EvalError> {
        let _ = (name, flag, value);
        Err(needs("d.setVarFlag"))
    }
    /// `d.appendVarFlag(name, flag, value)`.
    fn append_var_flag(&self, name: &str, flag: &str, value: &str) -> Result<(), EvalError> {
        let _ = (name, flag, value);
        Err(needs("d.appendVarFlag"))
    }
    /// `d.prependVarFlag(name, flag, value)`.
    fn prepend_var_flag(&self, name: &str, flag: &str, value: &str) -> Result<(), EvalError> {
        let _ = (name, flag, value);
        Err(needs("d.prependVarFlag"))
    }
    /// `d.delVarFlag(name, flag)`.
    fn del_var_flag(&self, name: &str, flag: &str) -> Result<(), EvalError> {
        let _ = (name, flag);
        Err(needs("d.delVarFlag"))
    }
    /// `bb.note`/`bb.warn`/`bb.error`/`bb.debug`/`bb.plain`/`bb.fatal` from metadata Python
    /// (`level` is the function name). Default: ignored.
    fn log(&self, level: &str, message: &str) {
        let _ = (level, message);
    }
}

/// The [`EvalError::NeedsPython`] of a [`Context`] method that is not implemented.
fn needs(method: &str) -> EvalError {
    EvalError::NeedsPython {
        expr: method.to_owned(),
        reason: format!("`{method}` is not supported by this datastore"),
    }
}

/// A Python function's source as stored in the datastore.
#[derive(Debug, Clone)]
pub struct PyFunction {
    /// The source text; see [`PyFunctionKind`].
    pub source: String,
    /// How `source` is to be read.
    pub kind: PyFunctionKind,
}

/// The form of a [`PyFunction`]'s source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PyFunctionKind {
    /// `source` is the whole `def NAME(args):` block.
    Def,
    /// `source` is the body of `python NAME () { }`; BitBake runs it as `def NAME(d):` + body.
    BitBake,
}

/// Runs a function body as BitBake runs anonymous functions and `python` tasks: `source` is
/// the complete text `def NAME(d):\n<body>` (exactly what BitBake stores for anonymous
/// functions); it is called with `d`.
pub fn run_function(source: &str, ctx: &dyn Context) -> Result<()> {
    let _ = ctx;
    Err(EvalError::NeedsPython {
        expr: source.to_owned(),
        reason: "statements are not supported yet".to_owned(),
    })
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
    let _guard = stack::Guard::new();
    let root = parser::parse(strip_py(expr)).map_err(|e| e.with_expr(expr))?;
    Ok(Expr {
        text: Arc::from(expr),
        root: Arc::new(root),
    })
}

impl Expr {
    /// The expression's source text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Evaluates the expression and converts the result with Python `str()`.
    pub fn eval(&self, ctx: &dyn Context) -> Result<String> {
        let _guard = stack::Guard::new();
        let interp = eval::Interp::new(ctx);
        interp
            .eval(&self.root, None)
            .and_then(|v| value::py_str(&v))
            .map_err(|e| e.with_expr(&self.text))
    }
}

/// Compiles and evaluates an expression in one step.
///
/// ```
/// use bb_pyexpr::{Context, EvalError};
///
/// struct Features;
///
/// impl Context for Features {
///     fn get_var(&self, name: &str, _expand: bool) -> Result<Option<String>, EvalError> {
///         Ok((name == "DISTRO_FEATURES").then(|| "systemd x11".to_owned()))
///     }
///     fn get_var_flag(&self, _: &str, _: &str, _: bool) -> Result<Option<String>, EvalError> {
///         Ok(None)
///     }
///     fn expand(&self, text: &str) -> Result<String, EvalError> {
///         Ok(text.to_owned())
///     }
/// }
///
/// let r = bb_pyexpr::eval("bb.utils.contains('DISTRO_FEATURES', 'x11', 'gui', '', d)", &Features);
/// assert_eq!(r.as_deref(), Ok("gui"));
/// // An unset variable reads as `None`, whose text is "None".
/// assert_eq!(bb_pyexpr::eval("d.getVar('PN')", &Features).as_deref(), Ok("None"));
/// // A `def` function of a class cannot be evaluated here.
/// assert!(matches!(
///     bb_pyexpr::eval("get_perl_version(d)", &Features),
///     Err(EvalError::NeedsPython { .. })
/// ));
/// ```
pub fn eval(expr: &str, ctx: &dyn Context) -> Result<String> {
    compile(expr)?.eval(ctx)
}
