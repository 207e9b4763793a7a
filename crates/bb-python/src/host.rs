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
    fn with_store<T>(
        &self,
        d: &mut DataStore,
        f: impl FnOnce(Python<'_>, &Bound<'_, PyModule>, Py<DataSmart>) -> PyResult<T>,
    ) -> std::result::Result<T, PyFailure> {
        Python::attach(|py| {
            clear_last_error();
            let obj = Py::new(py, DataSmart::new(std::mem::take(d))).map_err(|e| failure(py, e))?;
            let r = f(py, self.runtime.bind(py), obj.clone_ref(py));
            if let Some(back) = obj.get().take() {
                *d = back;
            }
            r.map_err(|e| failure(py, e))
        })
    }
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
        let r = self.with_store(&mut copy, |_, rt, obj| {
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
        self.with_store(d, |_, rt, obj| {
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
        self.with_store(d, |py, rt, obj| {
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
        Python::attach(|py| {
            clear_last_error();
            self.runtime
                .bind(py)
                .call_method1("apply_filter", (expr, val))
                .and_then(|v| v.extract::<Option<String>>())
                .map_err(|e| failure(py, e))
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
        self.with_store(d, |_, rt, obj| {
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
