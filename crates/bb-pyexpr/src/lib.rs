//! Evaluates BitBake inline Python (`${@ ... }`) natively, without CPython, and runs the
//! metadata's Python functions (anonymous functions, `python` tasks, `def` functions) when
//! they use plain Python.
//!
//! Entry points: [`compile`] (parse once, evaluate many times), [`Expr::eval`], the one-shot
//! [`eval`], [`run_function`] (a function body, as BitBake runs anonymous functions), and the
//! [`Context`] trait through which Python code reads and writes the datastore (`d.getVar`,
//! `d.setVar`, bare variable names, calls of the datastore's `def` functions by name).
//! What this crate cannot evaluate is reported as [`EvalError::NeedsPython`], never guessed.
//!
//! The datastore extracts the text between `${@` and `}` and substitutes `${VAR}` references
//! before calling us; this crate sees only the expression.
//!
//! Evaluation is bounded: nesting depth, stack use, container sizes (about a million items),
//! text sizes and work (five million steps). Our bounds are not Python's, so past one the
//! result is `NeedsPython`, never a crash and never an exception CPython might not raise; no
//! input panics. The parser's own limits are CPython's ("too many nested parentheses").
//! CPython's `OverflowError`s (a C `int` or `ssize_t` argument out of range) are reproduced.
//!
//! Code map: `lexer.rs` (tokens and literals, and the indentation tokens of statements),
//! `parser.rs` (expression grammar) and `stmt.rs` (statement grammar, function locals)
//! building `ast.rs`; `eval.rs` (names, scopes, calls, comprehensions, iterators) and
//! `exec.rs` (statements, function calls, exceptions, the cache of parsed functions) over
//! `value.rs` (values, mutable containers and their `==`, ordering, `repr`, drop); `ops.rs`
//! (operators, indexing), `mutate.rs` (item assignment, mutating methods, in-place operators),
//! `methods.rs` (attributes and methods, the datastore's methods), `builtins.rs` (Python
//! builtins, exception classes and the `bb`/`oe`/`os.path` helpers), `format.rs` (`%`,
//! `str.format`, format specs), `re.rs` (Python's `re` module); `error.rs` ([`EvalError`]); `stack.rs` (the stack budget that
//! turns runaway nesting into errors; the crate needs 2 MiB of stack).

mod ast;
mod builtins;
mod error;
mod eval;
mod event;
mod exec;
mod filter;
mod format;
mod git;
mod host;
mod lexer;
mod license;
mod methods;
mod mutate;
mod ops;
mod parser;
mod pytime;
mod re;
mod refs;
mod stack;
pub mod stats;
mod stmt;
mod uri;
mod value;

use std::sync::Arc;

pub use error::{EvalError, Result};
pub use event::{Event, EventAttr};
pub use host::{Host, PathInfo, ProcessIds, SystemHost, host, set_host};
pub use re::PyRegex;
pub use refs::{PyRefs, expr_refs, python_refs};

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
    /// `d.hasOverrides(name)`: whether `name` has conditional variants (`name:o`).
    fn has_overrides(&self, name: &str) -> Result<bool, EvalError> {
        let _ = name;
        Err(needs("d.hasOverrides"))
    }
    /// `d.keys()`: every variable name.
    fn keys(&self) -> Result<Vec<String>, EvalError> {
        Err(needs("d.keys"))
    }
    /// [`Context::keys`] as shared names (`for var in d` makes a value of each).
    fn key_names(&self) -> Result<Vec<Arc<str>>, EvalError> {
        Ok(self.keys()?.into_iter().map(Arc::from).collect())
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
    /// Where the statement about to run is, for the history of the writes that follow:
    /// `owner` the datastore function whose source holds it (the function run, one called by
    /// name, or the one a nested `def` is written in), `func` the Python function running it
    /// (CPython's `co_name`) and `line` its line in `owner`'s source as CPython compiles it
    /// (the `def` line is 1). Writes made before the first call are the caller's to place.
    fn set_position(&self, owner: &Arc<str>, func: &Arc<str>, line: u32) {
        let _ = (owner, func, line);
    }
    /// `d.createCopy()`: a datastore of its own, equal to this one now; its writes do not
    /// reach this one.
    fn create_copy(&self) -> Result<Box<dyn Context>, EvalError> {
        Err(needs("d.createCopy"))
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
    /// `d.setVarFilter(name, expr)`: reads of `name` (and of `name:...`) with expansion
    /// pass the value through filter `expr` ([`apply_filter`]); `None` removes the filter.
    fn set_var_filter(&self, name: &str, expr: Option<&str>) -> Result<(), EvalError> {
        let _ = (name, expr);
        Err(needs("d.setVarFilter"))
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
    /// `bb.build.addtask(task, before, after, d)`: `before`/`after` are the
    /// whitespace-separated task lists (or None).
    fn add_task(
        &self,
        task: &str,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<(), EvalError> {
        let _ = (task, before, after);
        Err(EvalError::needs(
            "`bb.build.addtask` is not supported by this datastore",
        ))
    }

    /// `bb.build.deltask(task, d)`.
    fn del_task(&self, task: &str) -> Result<(), EvalError> {
        let _ = task;
        Err(EvalError::needs(
            "`bb.build.deltask` is not supported by this datastore",
        ))
    }

    /// `os.uname()` of the machine bake runs on: sysname, nodename, release, version,
    /// machine. None (the default) makes `os.uname()` need Python.
    fn host_uname(&self) -> Option<[String; 5]> {
        None
    }

    /// The machine Python code may ask about (`time.time()`, `os.path.exists`,
    /// `bb.utils.which`, `os.getcwd()`). Default: the process-wide host given to
    /// [`set_host`]; `None` makes those calls need Python.
    fn host(&self) -> Option<Arc<dyn Host>> {
        host::host()
    }

    /// `bb.parse.mark_dependency(d, path)`: the parse of this recipe depends on `path`.
    /// Default: needs Python.
    fn mark_dependency(&self, path: &str) -> Result<(), EvalError> {
        let _ = path;
        Err(needs("bb.parse.mark_dependency"))
    }

    fn log(&self, level: &str, message: &str) {
        let _ = (level, message);
    }
}

/// The [`EvalError::NeedsPython`] of a [`Context`] method that is not implemented (the
/// expression or function text is filled in on the way out).
fn needs(method: &str) -> EvalError {
    EvalError::needs(format!("`{method}` is not supported by this datastore"))
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
///
/// `raise bb.parse.SkipRecipe(msg)` (or `SkipPackage`) ends as [`EvalError::Exception`] of
/// kind "SkipRecipe"; `bb.fatal(msg)` logs `msg` at level "fatal" and ends as kind
/// "BBHandledException" with `msg` as message; other Python exceptions keep CPython's class
/// name and message. Anything this crate does not run natively is
/// [`EvalError::NeedsPython`], possibly after some datastore writes: run functions on a copy
/// of the datastore and keep it only on success.
///
/// ```
/// use std::cell::RefCell;
/// use std::collections::HashMap;
/// use bb_pyexpr::{Context, EvalError};
///
/// #[derive(Default)]
/// struct Store(RefCell<HashMap<String, String>>);
///
/// impl Context for Store {
///     fn get_var(&self, name: &str, _: bool) -> Result<Option<String>, EvalError> {
///         Ok(self.0.borrow().get(name).cloned())
///     }
///     fn get_var_flag(&self, _: &str, _: &str, _: bool) -> Result<Option<String>, EvalError> {
///         Ok(None)
///     }
///     fn expand(&self, text: &str) -> Result<String, EvalError> {
///         Ok(text.to_owned())
///     }
///     fn set_var(&self, name: &str, value: Option<&str>) -> Result<(), EvalError> {
///         match value {
///             Some(v) => self.0.borrow_mut().insert(name.to_owned(), v.to_owned()),
///             None => self.0.borrow_mut().remove(name),
///         };
///         Ok(())
///     }
/// }
///
/// let d = Store::default();
/// d.0.borrow_mut().insert("PACKAGECONFIG".into(), "a b".into());
/// let src = "def __anon(d):\n    for p in d.getVar('PACKAGECONFIG').split():\n        \
///            d.setVar('HAS_' + p.upper(), '1')\n";
/// bb_pyexpr::run_function(src, &d)?;
/// assert_eq!(d.0.borrow().get("HAS_B").map(String::as_str), Some("1"));
/// # Ok::<(), bb_pyexpr::EvalError>(())
/// ```
pub fn run_function(source: &str, ctx: &dyn Context) -> Result<()> {
    let timer = stats::Native::start();
    let _guard = stack::Guard::new();
    let interp = eval::Interp::new(ctx);
    let r = exec::run(source, &interp).map_err(|e| match e {
        EvalError::Exception { kind, message } if kind == "SkipPackage" => EvalError::Exception {
            kind: "SkipRecipe".to_owned(),
            message,
        },
        e => e.with_expr(source.lines().next().unwrap_or(source)),
    });
    timer.end("native run_function", &r);
    r
}

/// Whether `source` (a module holding one `def`) is a function the native evaluator can
/// parse. `Ok` means it is valid Python; an error means either a syntax error or a construct
/// beyond the native parser (only CPython can tell which).
pub fn check_function(source: &str) -> Result<()> {
    exec::compile_function(source).map(|_| ())
}

/// Runs an event handler as BitBake does: `source` is `def NAME(e, d):\n<body>` (what
/// BitBake compiles for a handler registered with `addhandler`); it is called with `event`
/// (whose `e.data` is the datastore) and `d`. Errors as for [`run_function`].
pub fn run_handler(source: &str, event: &Event, ctx: &dyn Context) -> Result<()> {
    let timer = stats::Native::start();
    let _guard = stack::Guard::new();
    let interp = eval::Interp::new(ctx);
    let args = vec![event::value(event.clone()), value::Value::Datastore];
    let r = exec::run_with(source, &interp, args).map_err(|e| match e {
        EvalError::Exception { kind, message } if kind == "SkipPackage" => EvalError::Exception {
            kind: "SkipRecipe".to_owned(),
            message,
        },
        e => e.with_expr(source.lines().next().unwrap_or(source)),
    });
    timer.end("native run_handler", &r);
    r
}

/// Applies a variable filter (`d.setVarFilter`) to a non-empty expanded value, as
/// BitBake's `bb.filter.apply_filters` does: `expr` is evaluated with `val` bound to `val`
/// and only the filter functions in scope (`suffix`, `prefix`, `sort`, `remove`,
/// `native_filter`). `Ok(None)`: the filter returned `None`.
///
/// ```
/// let r = bb_pyexpr::apply_filter(
///     "native_filter(val, 'zlib-native', 'zlib', selfref=False)",
///     "zlib-native gettext-cross-x86_64 perl",
/// );
/// assert_eq!(r, Ok(Some("gettext-native-x86_64 perl-native".to_owned())));
/// ```
pub fn apply_filter(expr: &str, val: &str) -> Result<Option<String>> {
    let timer = stats::Native::start();
    let r = filter::apply(expr, val);
    timer.end("native apply_filter", &r);
    r
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
///
/// Calls of the datastore's Python functions by bare name (`${@get_perl_version(d)}`) are
/// resolved at evaluation time through [`Context::python_function`].
pub fn compile(expr: &str) -> Result<Expr> {
    let timer = stats::Native::start();
    let _guard = stack::Guard::new();
    let r = parser::parse(strip_py(expr))
        .map_err(|e| e.with_expr(expr))
        .map(|root| Expr {
            text: Arc::from(expr),
            root: Arc::new(root),
        });
    timer.end("native compile", &r);
    r
}

impl Expr {
    /// The expression's source text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Evaluates the expression and converts the result with Python `str()`.
    pub fn eval(&self, ctx: &dyn Context) -> Result<String> {
        let timer = stats::Native::start();
        let _guard = stack::Guard::new();
        let interp = eval::Interp::new(ctx);
        let r = interp
            .eval(&self.root, None)
            .and_then(|v| value::py_str(&v))
            .map_err(|e| e.with_expr(&self.text));
        timer.end("native eval", &r);
        r
    }

    /// Evaluates the expression as the value of a datastore write: its text when the
    /// result is a `str`, `None` for Python's `None`. Any other value needs Python: the
    /// datastore keeps such an object as it is, which only CPython's datastore can.
    pub fn eval_stored(&self, ctx: &dyn Context) -> Result<Option<String>> {
        let timer = stats::Native::start();
        let _guard = stack::Guard::new();
        let interp = eval::Interp::new(ctx);
        let r = interp
            .eval(&self.root, None)
            .and_then(|v| mutate::store_text(&v, "a datastore write"))
            .map_err(|e| e.with_expr(&self.text));
        timer.end("native eval_stored", &r);
        r
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
