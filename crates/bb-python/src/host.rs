//! [`CPython`]: the [`PythonHost`] that runs metadata Python in the embedded interpreter,
//! and [`install`], which starts it once per process.
//!
//! Each call moves the caller's datastore into a `DataSmart` object, runs Python through
//! the `_bake_runtime` module (embedded, see `modules.rs`), and moves the datastore back.
//! Expressions evaluated in the middle of an expansion get an O(1) copy instead (the
//! caller only lends the datastore for reading), which knows what is being expanded.

use std::sync::OnceLock;

use bb_data::DataStore;
use bb_data::python::{PyFailure, PyFunctionCall, PythonHost};
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::datastore::{DataSmart, ExpansionError, clear_last_error, take_last_error};
use crate::error::{Error, Result};

/// The level of a message logged by metadata Python (`bb.note`, `bb.warn`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `bb.debug`
    Debug,
    /// `bb.note`
    Note,
    /// `bb.plain`: the text alone, without a level prefix
    Plain,
    /// `bb.warn`
    Warning,
    /// `bb.error`, `bb.fatal`
    Error,
}

type Logger = Box<dyn Fn(Level, &str) + Send + Sync>;
static LOGGER: OnceLock<Logger> = OnceLock::new();

/// Sets where metadata Python's log messages go (the binary's console); without one
/// they are dropped. A second call is ignored.
pub fn set_logger(f: impl Fn(Level, &str) + Send + Sync + 'static) {
    let _ = LOGGER.set(Box::new(f));
}

/// Hands one log message to the logger.
pub(crate) fn log(level: &str, msg: &str) {
    let level = match level {
        "DEBUG" => Level::Debug,
        "WARNING" => Level::Warning,
        "ERROR" => Level::Error,
        "PLAIN" => Level::Plain,
        _ => Level::Note,
    };
    if let Some(f) = LOGGER.get() {
        f(level, msg);
    }
}

/// The embedded interpreter, as `bb-data`'s [`PythonHost`].
pub struct CPython {
    runtime: Py<PyModule>,
}

/// Installs the embedded interpreter as `bb-data`'s Python host for this process. The
/// interpreter itself starts when metadata first needs it, so a parse that never leaves
/// the native evaluator pays nothing. A second call does nothing.
pub fn install() {
    enable_stats_from_env();
    bb_data::python::set_python_host(Box::new(Lazy::default()));
}

/// Starts [`CPython`] on first use.
#[derive(Default)]
struct Lazy {
    started: OnceLock<std::result::Result<CPython, String>>,
}

impl Lazy {
    fn get(&self) -> std::result::Result<&CPython, PyFailure> {
        self.started
            .get_or_init(|| CPython::start().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| PyFailure::Exception {
                kind: "RuntimeError".to_owned(),
                message: e.clone(),
                traceback: String::new(),
            })
    }
}

impl PythonHost for Lazy {
    fn eval_expr(
        &self,
        d: &DataStore,
        code: &str,
        varname: Option<&str>,
    ) -> std::result::Result<String, PyFailure> {
        self.get()?.eval_expr(d, code, varname)
    }

    fn run_function(
        &self,
        d: &mut DataStore,
        func: &PyFunctionCall<'_>,
    ) -> std::result::Result<(), PyFailure> {
        self.get()?.run_function(d, func)
    }

    fn fire_handler(
        &self,
        d: &mut DataStore,
        func: &PyFunctionCall<'_>,
        event: &bb_pyexpr::Event,
    ) -> std::result::Result<(), PyFailure> {
        self.get()?.fire_handler(d, func, event)
    }

    fn apply_filter(
        &self,
        expr: &str,
        val: &str,
    ) -> std::result::Result<Option<String>, PyFailure> {
        self.get()?.apply_filter(expr, val)
    }

    fn add_pylib(&self, dir: &str, namespace: &str) -> std::result::Result<(), PyFailure> {
        self.get()?.add_pylib(dir, namespace)
    }

    fn run_task(
        &self,
        d: &mut DataStore,
        task: &bb_data::python::PyTask<'_>,
    ) -> std::result::Result<(), PyFailure> {
        self.get()?.run_task(d, task)
    }

    fn check_syntax(
        &self,
        source: &str,
        file: &str,
        line: u32,
    ) -> std::result::Result<(), PyFailure> {
        self.get()?.check_syntax(source, file, line)
    }
}

impl CPython {
    /// Starts the interpreter and loads the runtime. Call once per process, before
    /// anything else starts Python (the extension module is registered first).
    pub fn start() -> Result<CPython> {
        pyo3::append_to_inittab!(_bake);
        Python::attach(|py| {
            crate::modules::bootstrap(py)?;
            let runtime = py.import("_bake_runtime")?;
            Ok::<_, PyErr>(CPython {
                runtime: runtime.unbind(),
            })
        })
        .map_err(|e| Error::Start(e.to_string()))
    }

    /// Runs `f` with the datastore moved into a `DataSmart` object, and moves it back.
    /// `what` names the call for `BAKE_PYSTATS` (its section and key).
    fn with_store<T>(
        &self,
        d: &mut DataStore,
        what: impl FnOnce() -> (&'static str, String),
        f: impl FnOnce(Python<'_>, &Bound<'_, PyModule>, Py<DataSmart>) -> PyResult<T>,
    ) -> std::result::Result<T, PyFailure> {
        let timer = Handover::start();
        Python::attach(|py| {
            let timer = timer.locked();
            clear_last_error();
            let obj = Py::new(py, DataSmart::new(std::mem::take(d))).map_err(|e| failure(py, e))?;
            let r = f(py, self.runtime.bind(py), obj.clone_ref(py));
            if let Some(back) = obj.get().take() {
                *d = back;
            }
            timer.end(what);
            r.map_err(|e| failure(py, e))
        })
    }
}

/// The timing of one handover for `BAKE_PYSTATS`: the wait for the interpreter lock,
/// then the time holding it; the reason is the last native failure of this thread.
struct Handover {
    start: Option<std::time::Instant>,
    locked: Option<std::time::Instant>,
    /// [`bb_pyexpr::stats::inner_total`] when the lock was taken.
    inner: std::time::Duration,
}

impl Handover {
    fn start() -> Handover {
        Handover {
            start: bb_pyexpr::stats::on().then(std::time::Instant::now),
            locked: None,
            inner: std::time::Duration::ZERO,
        }
    }

    /// Marks the lock taken.
    fn locked(self) -> Handover {
        Handover {
            locked: self.start.map(|_| std::time::Instant::now()),
            inner: bb_pyexpr::stats::inner_total(),
            ..self
        }
    }

    fn end(self, what: impl FnOnce() -> (&'static str, String)) {
        let (Some(start), Some(locked)) = (self.start, self.locked) else {
            return;
        };
        let (section, key) = what();
        bb_pyexpr::stats::record_handover(
            section,
            key,
            locked.elapsed(),
            locked - start,
            bb_pyexpr::stats::inner_total().saturating_sub(self.inner),
            bb_pyexpr::stats::take_reason(),
        );
    }
}

/// A statistics key of an expression (at most 120 characters) and its variable.
fn stats_key(code: &str, var: &str) -> String {
    let code: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
    let code = match code.char_indices().nth(120) {
        Some((i, _)) => format!("{}...", &code[..i]),
        None => code,
    };
    if var.is_empty() {
        code
    } else {
        format!("{var}: {code}")
    }
}

/// A statistics key of a function: its name and where it is defined.
fn function_key(f: &PyFunctionCall<'_>) -> String {
    let file = f.file.rsplit('/').next().unwrap_or(f.file);
    format!("{} ({file}:{})", f.name, f.line)
}

/// With `BAKE_PYSTATS=FILE`: counts where metadata Python runs (see
/// [`bb_pyexpr::stats`]) from now on; [`write_stats`] writes the tables to FILE.
fn enable_stats_from_env() {
    if std::env::var_os("BAKE_PYSTATS").is_some_and(|v| !v.is_empty()) {
        bb_pyexpr::stats::enable();
    }
}

/// Appends the `BAKE_PYSTATS` tables to the file that variable names (nothing when it
/// is not set).
pub fn write_stats() -> std::io::Result<()> {
    let Some(path) = std::env::var_os("BAKE_PYSTATS").filter(|v| !v.is_empty()) else {
        return Ok(());
    };
    let text = bb_pyexpr::stats::report(40);
    let path = std::path::PathBuf::from(path);
    let mut old = match fs_err::read_to_string(&path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    old.push_str(&text);
    bb_util::fs::atomic_write(&path, old.as_bytes())
}

/// A Python exception as a [`PyFailure`]: the datastore error behind an uncaught
/// `ExpansionError` is handed back whole.
fn failure(py: Python<'_>, e: PyErr) -> PyFailure {
    if e.is_instance_of::<ExpansionError>(py)
        && let Some(err) = take_last_error()
    {
        return PyFailure::Data(err);
    }
    let kind = e
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".to_owned());
    let message = e.value(py).str().map(|s| s.to_string()).unwrap_or_default();
    let traceback = py
        .import("traceback")
        .and_then(|tb| tb.call_method1("format_exception", (e.value(py),)))
        .and_then(|lines| lines.extract::<Vec<String>>())
        .map(|lines| lines.concat())
        .unwrap_or_default();
    PyFailure::Exception {
        kind,
        message,
        traceback,
    }
}

impl PythonHost for CPython {
    fn eval_expr(
        &self,
        d: &DataStore,
        code: &str,
        varname: Option<&str>,
    ) -> std::result::Result<String, PyFailure> {
        let mut copy = d.nested_copy();
        let writes = copy.write_count();
        let what = || ("cpython eval_expr", stats_key(code, varname.unwrap_or("")));
        let r = self.with_store(&mut copy, what, |_, rt, obj| {
            rt.call_method1("eval_expr", (obj, code, varname))?
                .extract::<String>()
        });
        d.end_nested(copy, writes);
        r
    }

    fn run_function(
        &self,
        d: &mut DataStore,
        func: &PyFunctionCall<'_>,
    ) -> std::result::Result<(), PyFailure> {
        let what = || ("cpython run_function", function_key(func));
        self.with_store(d, what, |_, rt, obj| {
            rt.call_method1(
                "run_function",
                (obj, func.name, func.source, func.file, func.line),
            )?;
            Ok(())
        })
    }

    fn fire_handler(
        &self,
        d: &mut DataStore,
        func: &PyFunctionCall<'_>,
        event: &bb_pyexpr::Event,
    ) -> std::result::Result<(), PyFailure> {
        let what = || {
            let key = format!("{} {}", event.class(), function_key(func));
            ("cpython fire_handler", key)
        };
        self.with_store(d, what, |py, rt, obj| {
            let attrs = PyList::empty(py);
            for (name, value) in event.attrs() {
                let v = match value {
                    bb_pyexpr::EventAttr::Str(s) | bb_pyexpr::EventAttr::Object(s) => {
                        s.into_pyobject(py)?.into_any()
                    }
                    bb_pyexpr::EventAttr::List(l) => PyList::new(py, l)?.into_any(),
                };
                attrs.append((name, v))?;
            }
            rt.call_method1(
                "fire_handler",
                (
                    obj,
                    func.name,
                    func.source,
                    func.file,
                    func.line,
                    event.class(),
                    attrs,
                ),
            )?;
            Ok(())
        })
    }

    fn apply_filter(
        &self,
        expr: &str,
        val: &str,
    ) -> std::result::Result<Option<String>, PyFailure> {
        let timer = Handover::start();
        Python::attach(|py| {
            let timer = timer.locked();
            clear_last_error();
            let r = self
                .runtime
                .bind(py)
                .call_method1("apply_filter", (expr, val))
                .and_then(|v| v.extract::<Option<String>>())
                .map_err(|e| failure(py, e));
            timer.end(|| ("cpython apply_filter", stats_key(expr, "")));
            r
        })
    }

    fn add_pylib(&self, dir: &str, namespace: &str) -> std::result::Result<(), PyFailure> {
        Python::attach(|py| {
            self.runtime
                .bind(py)
                .call_method1("add_pylib", (dir, namespace))
                .map(|_| ())
                .map_err(|e| failure(py, e))
        })
    }

    fn check_syntax(
        &self,
        source: &str,
        file: &str,
        line: u32,
    ) -> std::result::Result<(), PyFailure> {
        Python::attach(|py| {
            self.runtime
                .bind(py)
                .call_method1("check_syntax", (source, file, line))
                .map(|_| ())
                .map_err(|e| failure(py, e))
        })
    }

    fn run_task(
        &self,
        d: &mut DataStore,
        task: &bb_data::python::PyTask<'_>,
    ) -> std::result::Result<(), PyFailure> {
        let what = || ("cpython run_task", task.task.to_owned());
        self.with_store(d, what, |_, rt, obj| {
            rt.call_method1(
                "run_task",
                (obj, task.fn_name, task.task, task.logfile, task.taskdepdata),
            )?;
            Ok(())
        })
    }
}

/// The `_bake` extension module: the datastore class, its exception, the log sink
/// and the embedded sources.
#[pymodule]
pub(crate) fn _bake(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<DataSmart>()?;
    m.add("ExpansionError", m.py().get_type::<ExpansionError>())?;
    m.add_function(wrap_pyfunction!(py_log, m)?)?;
    m.add_function(wrap_pyfunction!(py_service, m)?)?;
    m.add_function(wrap_pyfunction!(crate::modules::py_sources, m)?)?;
    Ok(())
}

/// `_bake.log(level, message)`.
#[pyfunction]
#[pyo3(name = "log")]
fn py_log(level: &str, msg: &str) {
    log(level, msg);
}

/// `_bake.service(name, d, args)`: a service the binary registered
/// (`bb_data::python::register_service`), called with `d`'s datastore; a failure is a
/// `bb.process.ExecutionError`-like `RuntimeError` carrying the service's message.
#[pyfunction]
#[pyo3(name = "service")]
fn py_service(name: &str, d: &Bound<'_, DataSmart>, args: Vec<String>) -> PyResult<String> {
    let f = bb_data::python::service(name).ok_or_else(|| {
        pyo3::exceptions::PyRuntimeError::new_err(format!("no service `{name}` in this process"))
    })?;
    let mut store = d.get().store()?;
    f(&mut store, &args).map_err(pyo3::exceptions::PyRuntimeError::new_err)
}

/// The GIL state taken by [`before_fork`] (0: none), released after the fork.
static FORK_GIL: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(-1);

/// To be called right before `fork()` by a process that may have started the
/// interpreter (a task worker): takes the GIL and CPython's fork locks, as
/// `os.fork()` does. Pair it with [`after_fork_parent`] and [`after_fork_child`].
#[expect(unsafe_code, reason = "CPython's documented before-fork call")]
pub fn before_fork() {
    // SAFETY: plain CPython API calls, made only when the interpreter is initialised;
    // PyGILState_Ensure may be called from any thread that does not hold the GIL
    // (nothing of bake holds it across a fork).
    unsafe {
        if pyo3::ffi::Py_IsInitialized() != 0 {
            let state = pyo3::ffi::PyGILState_Ensure();
            pyo3::ffi::PyOS_BeforeFork();
            FORK_GIL.store(state as i64, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// Releases what [`before_fork`] took, in the parent.
#[expect(unsafe_code, reason = "CPython's documented after-fork call")]
pub fn after_fork_parent() {
    let state = FORK_GIL.swap(-1, std::sync::atomic::Ordering::SeqCst);
    if state < 0 {
        return;
    }
    // SAFETY: the GIL is held since before_fork on this thread.
    unsafe {
        pyo3::ffi::PyOS_AfterFork_Parent();
        pyo3::ffi::PyGILState_Release(gil_state(state));
    }
}

/// To be called in a child process right after `fork()` (a task worker's task child):
/// when the parent had started the interpreter, CPython's own state is reset for the
/// child (its other threads and locks belong to the parent), as `os.fork()` does, and
/// the GIL taken by [`before_fork`] is released.
#[expect(unsafe_code, reason = "CPython's documented after-fork call")]
pub fn after_fork_child() {
    let state = FORK_GIL.swap(-1, std::sync::atomic::Ordering::SeqCst);
    if state < 0 {
        return;
    }
    // SAFETY: the child's only thread holds the GIL (taken before the fork).
    unsafe {
        pyo3::ffi::PyOS_AfterFork_Child();
        pyo3::ffi::PyGILState_Release(gil_state(state));
    }
}

fn gil_state(v: i64) -> pyo3::ffi::PyGILState_STATE {
    if v == pyo3::ffi::PyGILState_STATE::PyGILState_LOCKED as i64 {
        pyo3::ffi::PyGILState_STATE::PyGILState_LOCKED
    } else {
        pyo3::ffi::PyGILState_STATE::PyGILState_UNLOCKED
    }
}
