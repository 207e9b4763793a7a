//! The hook through which Python code that `bb-pyexpr` cannot run natively goes to an
//! embedded interpreter: inline expressions (`${@...}`), anonymous functions, `def`
//! functions, event handlers and `addpylib`.
//!
//! This crate never links an interpreter: the binary installs one [`PythonHost`] for the
//! process with [`set_python_host`] (bake's is `bb-python`'s CPython). Without a host, the
//! callers record the construct in [`DataStore::needs_python`] (functions) or return
//! [`Error::NeedsPython`] (expansions), so that the cooker can report it.

use std::sync::OnceLock;

use crate::error::Error;
use crate::store::DataStore;

/// How Python code run by a [`PythonHost`] failed.
#[derive(Debug, Clone, PartialEq)]
pub enum PyFailure {
    /// A Python exception escaped: its class name (`NameError`, `SkipRecipe`, ...),
    /// `str()` of it, and the traceback as Python prints it (may be empty).
    Exception {
        /// The exception class name.
        kind: String,
        /// `str(exception)`.
        message: String,
        /// The formatted traceback, for the report.
        traceback: String,
    },
    /// A datastore call made by the Python code failed; the error is kept whole.
    Data(Error),
}

impl std::fmt::Display for PyFailure {
    /// As Python reports an uncaught exception: the traceback, then `Kind: message`;
    /// a datastore error as it is.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PyFailure::Exception {
                kind,
                message,
                traceback,
            } => write!(f, "{traceback}{kind}: {message}"),
            PyFailure::Data(e) => write!(f, "{e}"),
        }
    }
}

/// One Python function to run: its name (as stored in the datastore), its whole source
/// (`def NAME(...):` and the body), where the header is, and the call to make.
#[derive(Debug, Clone, Copy)]
pub struct PyFunctionCall<'a> {
    /// The function's name.
    pub name: &'a str,
    /// The source, starting with its `def` line.
    pub source: &'a str,
    /// The file that defines it.
    pub file: &'a str,
    /// The line of the `def` header in that file (1-based; 0 when unknown).
    pub line: u32,
}

/// An embedded Python interpreter, as `bb-data` needs it.
///
/// Every method is called on the thread that parses; an implementation serialises the
/// interpreter itself (CPython's GIL).
pub trait PythonHost: Send + Sync {
    /// Evaluates inline Python `code` (the text of `${@code}`) with `d` as `d`; the
    /// result is `str()` of the value. `varname` is the variable being expanded.
    fn eval_expr(
        &self,
        d: &DataStore,
        code: &str,
        varname: Option<&str>,
    ) -> Result<String, PyFailure>;

    /// Defines `func` and calls it with `d` as its only argument (`NAME(d)`), with the
    /// writes made to `d` itself.
    fn run_function(&self, d: &mut DataStore, func: &PyFunctionCall<'_>) -> Result<(), PyFailure>;

    /// Calls event handler `func` (`def NAME(e, d):`) with an event object of `event`'s
    /// class and attributes; `e.data` is `d`.
    fn fire_handler(
        &self,
        d: &mut DataStore,
        func: &PyFunctionCall<'_>,
        event: &bb_pyexpr::Event,
    ) -> Result<(), PyFailure>;

    /// Applies `d.setVarFilter` expression `expr` to value `val` (`None` when the
    /// filter returns `None`).
    fn apply_filter(&self, expr: &str, val: &str) -> Result<Option<String>, PyFailure>;

    /// `addpylib DIR NAMESPACE`: puts `dir` on the module path and makes `namespace`
    /// (and the modules it lists in `BBIMPORTS`) known to metadata Python.
    fn add_pylib(&self, dir: &str, namespace: &str) -> Result<(), PyFailure>;

    /// Compiles `def` function `source` (its `def` line at `line` of `file`) without
    /// running it: a syntax error is reported as BitBake reports it at parse time.
    fn check_syntax(&self, _source: &str, _file: &str, _line: u32) -> Result<(), PyFailure> {
        Ok(())
    }

    /// Runs `task` wholly in Python on `d` (BitBake's `exec_task` in a worker child):
    /// prefuncs, task and postfuncs share `d`; shell functions, native functions and the
    /// fetcher are reached through [`service`]s.
    fn run_task(&self, _d: &mut DataStore, task: &PyTask<'_>) -> Result<(), PyFailure> {
        Err(PyFailure::Exception {
            kind: "RuntimeError".to_owned(),
            message: format!("this Python host cannot run tasks ({})", task.task),
            traceback: String::new(),
        })
    }
}

static HOST: OnceLock<Box<dyn PythonHost>> = OnceLock::new();

/// Installs the process's Python interpreter; a second call is ignored (returns `false`).
pub fn set_python_host(host: Box<dyn PythonHost>) -> bool {
    HOST.set(host).is_ok()
}

/// The installed interpreter, if any.
pub fn python_host() -> Option<&'static dyn PythonHost> {
    HOST.get().map(|b| &**b)
}

impl PyFailure {
    /// The failure as a one-line `Kind: message` text.
    pub fn summary(&self) -> String {
        match self {
            PyFailure::Exception { kind, message, .. } => format!("{kind}: {message}"),
            PyFailure::Data(e) => e.to_string(),
        }
    }
}

/// A task to run wholly in Python (a task worker's child): its prefuncs, the task and
/// its postfuncs with BitBake's `exec_func` semantics, on one datastore.
#[derive(Debug, Clone, Copy)]
pub struct PyTask<'a> {
    /// The task (`do_compile`).
    pub task: &'a str,
    /// The recipe target (`virtual:native:/path/x.bb`).
    pub fn_name: &'a str,
    /// The task's log (`${T}/log.do_task.PID`), already open for appending.
    pub logfile: &'a str,
    /// BB_TASKDEPDATA as JSON: a list of `[tid, pn, taskname, fn, deps, provides,
    /// taskhash, unihash, hashfn, taskhash_deps]`.
    pub taskdepdata: &'a str,
}

/// A service the task runtime calls back into (`_bake.service(NAME, d, ARGS)` from
/// Python): the shell-script writer, the native task functions, the fetcher. Gets the
/// datastore of the call and string arguments; answers a string.
pub type Service = fn(&mut DataStore, &[String]) -> Result<String, String>;

static SERVICES: std::sync::Mutex<Vec<(&'static str, Service)>> = std::sync::Mutex::new(Vec::new());

/// Registers service `name` (a second registration of a name replaces the first).
pub fn register_service(name: &'static str, f: Service) {
    let mut s = SERVICES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    s.retain(|(n, _)| *n != name);
    s.push((name, f));
}

/// The service registered as `name`.
pub fn service(name: &str) -> Option<Service> {
    SERVICES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
}

/// A registered event handler: its name, its `def NAME(e, d):` source, and the event
/// classes it listens to (`None`: all).
pub type HandlerInfo = (String, String, Option<Vec<String>>);

/// The event handlers registered in `d` (`addhandler`), in registration order.
pub fn event_handlers(d: &DataStore) -> Vec<HandlerInfo> {
    d.handlers
        .iter()
        .map(|h| (h.name.clone(), h.source.clone(), h.mask.clone()))
        .collect()
}

/// Fires `event` at `d`'s handlers that listen to its class, as BitBake's
/// `bb.event.fire` does (build-time events such as `bb.event.BuildStarted`, on the
/// configuration's datastore).
pub fn fire_event(d: &mut DataStore, event: &bb_pyexpr::Event) -> crate::Result<()> {
    crate::anon::fire(d, event)
}

/// Checks that `def` function `source` compiles (BitBake compiles every `def` when it
/// parses it): `Err(message)` as BitBake words a syntax error. Each distinct source is
/// compiled once per process; without a Python host nothing is checked.
pub(crate) fn check_def(source: &str, file: &str, line: u32) -> Result<(), String> {
    use std::hash::{Hash as _, Hasher as _};
    static CHECKED: std::sync::Mutex<Option<std::collections::HashSet<u64>>> =
        std::sync::Mutex::new(None);
    let Some(host) = python_host() else {
        return Ok(());
    };
    // What the native parser reads is valid Python: CPython (and its start-up) only for
    // the rest.
    if bb_pyexpr::check_function(source).is_ok() {
        return Ok(());
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (source, file, line).hash(&mut h);
    let key = h.finish();
    let known = |insert: bool| {
        let mut g = CHECKED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let set = g.get_or_insert_with(Default::default);
        if insert {
            !set.insert(key)
        } else {
            set.contains(&key)
        }
    };
    if known(false) {
        return Ok(());
    }
    match host.check_syntax(source, file, line) {
        Ok(()) => {
            known(true);
            Ok(())
        }
        Err(PyFailure::Exception { message, .. }) => Err(message),
        Err(PyFailure::Data(e)) => Err(e.to_string()),
    }
}
