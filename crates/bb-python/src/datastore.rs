//! `d`: bake's [`DataStore`] seen from Python as BitBake's `DataSmart`.
//!
//! The object owns the datastore only while Python code runs: the host moves the caller's
//! datastore in (`DataStore` moves and clones are O(1)), calls Python, and takes it back;
//! reads and writes go to that very storage, never to a copy. After the call the object
//! is empty and any use of it raises `RuntimeError`. It never reads files itself.

use std::any::Any;
use std::cell::RefCell;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use bb_data::{DataStore, Origin, SetOpts, TypedValue};
use pyo3::exceptions::{PyException, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

pyo3::create_exception!(
    _bake,
    ExpansionError,
    PyException,
    "A datastore read failed (BitBake's `bb.data_smart.ExpansionError`)."
);

thread_local! {
    /// The datastore error behind the last `ExpansionError` raised on this thread, so
    /// that an uncaught one reaches `bb-data` whole.
    static LAST_ERROR: RefCell<Option<bb_data::Error>> = const { RefCell::new(None) };
}

/// Takes the datastore error behind the last `ExpansionError` of this thread.
pub(crate) fn take_last_error() -> Option<bb_data::Error> {
    LAST_ERROR.with(|e| e.borrow_mut().take())
}

/// Forgets a pending datastore error (at the start of a call).
pub(crate) fn clear_last_error() {
    LAST_ERROR.with(|e| *e.borrow_mut() = None);
}

/// A datastore error as the Python exception BitBake raises for it.
fn data_err(e: bb_data::Error) -> PyErr {
    let text = e.to_string();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = Some(e));
    ExpansionError::new_err(text)
}

/// bake's datastore as Python's `d` (BitBake's `bb.data_smart.DataSmart` API).
///
/// The datastore sits behind a mutex only so that the object may be dropped by whichever
/// thread runs Python's garbage collector; a method never waits for it (a call made while
/// another call of the same object is under way raises `RuntimeError`).
#[pyclass(frozen, module = "bb.data_smart", name = "DataSmart")]
pub struct DataSmart {
    inner: Mutex<Slot>,
}

/// The datastore of a [`DataSmart`], and whether it is still there (after
/// [`DataSmart::take`] the slot holds an empty datastore nobody may use).
struct Slot {
    d: DataStore,
    present: bool,
}

/// The datastore of a [`DataSmart`] for the duration of one method (only made over a
/// present one, see [`DataSmart::store`]).
pub struct Guard<'a> {
    slot: MutexGuard<'a, Slot>,
    /// With `BAKE_PYSTATS`: the method and when it took the datastore.
    timer: Option<(&'static str, std::time::Instant)>,
}

impl std::ops::Deref for Guard<'_> {
    type Target = DataStore;
    fn deref(&self) -> &DataStore {
        &self.slot.d
    }
}

impl std::ops::DerefMut for Guard<'_> {
    fn deref_mut(&mut self) -> &mut DataStore {
        &mut self.slot.d
    }
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        if let Some((method, start)) = self.timer {
            let time = start.elapsed();
            bb_pyexpr::stats::add_inner(time);
            bb_pyexpr::stats::record("d calls from CPython", method.to_owned(), time, None);
        }
    }
}

impl DataSmart {
    /// Wraps `d` (moved in; take it back with [`DataSmart::take`]).
    pub fn new(d: DataStore) -> DataSmart {
        DataSmart {
            inner: Mutex::new(Slot { d, present: true }),
        }
    }

    /// Takes the datastore back out, leaving the object empty.
    pub fn take(&self) -> Option<DataStore> {
        let mut g = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        std::mem::replace(&mut g.present, false).then(|| std::mem::take(&mut g.d))
    }

    /// The datastore, for the duration of one call.
    pub fn store(&self) -> PyResult<Guard<'_>> {
        self.store_as("other")
    }

    /// The datastore, for the duration of one call of Python method `method` (the name
    /// its time is counted under with `BAKE_PYSTATS`).
    fn store_as(&self, method: &'static str) -> PyResult<Guard<'_>> {
        let g = match self.inner.try_lock() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => {
                return Err(PyRuntimeError::new_err(
                    "this datastore is in use by a call under way",
                ));
            }
        };
        if !g.present {
            return Err(PyRuntimeError::new_err(
                "this datastore is no longer available",
            ));
        }
        let timer = bb_pyexpr::stats::on().then(|| (method, std::time::Instant::now()));
        Ok(Guard { slot: g, timer })
    }

    /// Runs write `op` on the datastore with the calling Python frame as its origin
    /// (the variable history's file and line), under one lock.
    fn write(
        &self,
        method: &'static str,
        py: Python<'_>,
        op: impl FnOnce(&mut DataStore, Option<&Origin>),
    ) -> PyResult<()> {
        let mut d = self.store_as(method)?;
        let origin = caller(py, &d);
        op(&mut d, origin.as_ref());
        Ok(())
    }
}

/// Where the Python code that called a datastore method is, for variable history:
/// the innermost frame outside the `bb` package, as `FILE:LINE [FUNCTION]`.
fn caller(py: Python<'_>, d: &DataStore) -> Option<Origin> {
    if !d.tracking() {
        return None;
    }
    let mut frame = py
        .import("sys")
        .ok()?
        .call_method1("_getframe", (0,))
        .ok()?;
    loop {
        let code = frame.getattr("f_code").ok()?;
        let file: String = code.getattr("co_filename").ok()?.extract().ok()?;
        if !file.starts_with("<bake>") {
            let line: u32 = frame.getattr("f_lineno").ok()?.extract().ok()?;
            let func: String = code.getattr("co_name").ok()?.extract().ok()?;
            let base = file.rsplit('/').next().unwrap_or(&file).to_owned();
            return Some(Origin::internal(&base, line, &func));
        }
        let back = frame.getattr("f_back").ok()?;
        if back.is_none() {
            return None;
        }
        frame = back;
    }
}

/// What a value stored from Python becomes in the datastore.
enum Stored {
    /// Python's `None`.
    None,
    /// A string, or the words of one of BitBake's internal lists.
    Text(String),
    /// Any other object: kept as itself, with its `str()` as the text.
    Object(TypedValue),
}

impl Stored {
    /// `value` stored under variable `var` (flag `flag`). The internal lists BitBake
    /// keeps (`__BBTASKS` and the other `__` variables, the `deps` flag) become words
    /// when they hold strings only.
    fn of(value: &Bound<'_, PyAny>, var: &str, flag: Option<&str>) -> PyResult<Stored> {
        if value.is_none() {
            // A flag keeps Python's `None` as itself: BitBake's readers (the signature's
            // `vardeps`, `getVarFlag`) tell it from the text "None".
            if flag.is_some() {
                return Ok(Stored::Object(TypedValue::none()));
            }
            return Ok(Stored::None);
        }
        if let Ok(s) = value.cast::<PyString>() {
            return Ok(Stored::Text(s.to_str()?.to_owned()));
        }
        let internal = match flag {
            Some(f) => f == "deps",
            None => var.starts_with("__"),
        };
        if internal && let Some(words) = string_items(value)? {
            return Ok(Stored::Text(words));
        }
        let text = value.str()?.to_str()?.to_owned();
        let kind = value.get_type().name()?.to_str()?.to_owned();
        let object: Arc<dyn Any + Send + Sync> = Arc::new(value.clone().unbind());
        Ok(Stored::Object(TypedValue::new(&text, &kind, object)))
    }

    /// `d.setVar(var, value)` of this value, with history from `origin`.
    fn set_var(self, d: &mut DataStore, var: &str, parsing: bool, origin: Option<&Origin>) {
        let opts = SetOpts {
            parsing,
            op: "set",
            detail: None,
            origin,
        };
        match self {
            Stored::None => d.set_var_none(var, origin),
            Stored::Text(v) => d.set_var_with(var, &v, opts),
            Stored::Object(t) => d.set_var_typed(var, t, opts),
        }
    }

    /// The text the datastore keeps (`None` for Python's `None`).
    fn text(&self) -> Option<&str> {
        match self {
            Stored::None => None,
            Stored::Text(t) => Some(t),
            Stored::Object(t) => Some(t.text()),
        }
    }
}

/// The object a [`TypedValue`] holds, when this module stored it.
fn typed_object<'py>(py: Python<'py>, t: &TypedValue) -> Option<Bound<'py, PyAny>> {
    if t.is_none() {
        return Some(py.None().into_bound(py));
    }
    t.object()
        .downcast_ref::<Py<PyAny>>()
        .map(|o| o.bind(py).clone())
}

/// The items of a list or tuple joined by spaces when they are all strings.
fn string_items(v: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let mut words = Vec::new();
        let mut all_str = true;
        for item in v.try_iter()? {
            let item = item?;
            match item.cast::<PyString>() {
                Ok(s) => words.push(s.to_str()?.to_owned()),
                Err(_) => {
                    all_str = false;
                    break;
                }
            }
        }
        if all_str {
            return Ok(Some(words.join(" ")));
        }
    }
    Ok(None)
}

/// The text of a value appended or prepended from Python: a string, or `str()` of
/// anything else (BitBake would raise on most such operands; `None` is empty).
fn operand_text(v: &Bound<'_, PyAny>) -> PyResult<String> {
    if v.is_none() {
        return Ok(String::new());
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(s.to_str()?.to_owned());
    }
    Ok(v.str()?.to_str()?.to_owned())
}

/// A flag value as Python sees it: the internal lists are lists.
fn flag_value<'py>(
    py: Python<'py>,
    d: &DataStore,
    var: &str,
    flag: &str,
    value: Option<String>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    if let Some(list) = d.internal_list(var, Some(flag)) {
        return Ok(Some(PyList::new(py, list)?.into_any()));
    }
    Ok(value.map(|v| PyString::new(py, &v).into_any()))
}

#[pymethods]
impl DataSmart {
    /// `d.getVar(var, expand=True, noweakdefault=False, parsing=False)`.
    #[pyo3(name = "getVar", signature = (var, expand = true, noweakdefault = false, parsing = false))]
    fn get_var<'py>(
        &self,
        py: Python<'py>,
        var: &str,
        expand: bool,
        noweakdefault: bool,
        parsing: bool,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let _ = parsing;
        let d = self.store_as("getVar")?;
        if let Some(o) = d.typed_var(var).and_then(|t| typed_object(py, t)) {
            return Ok(Some(o));
        }
        if var == "BB_ORIGENV" {
            return Ok(Some(
                py.import("bb.data_smart")?.getattr("OrigEnv")?.call0()?,
            ));
        }
        if !expand && let Some(list) = d.internal_list(var, None) {
            return Ok(Some(PyList::new(py, list)?.into_any()));
        }
        let v = d
            .get_var_opts(var, expand, noweakdefault)
            .map_err(data_err)?;
        Ok(v.map(|v| PyString::new(py, &v).into_any()))
    }

    /// `d.setVar(var, value, parsing=False, **loginfo)`.
    #[pyo3(name = "setVar", signature = (var, value, parsing = false, **_loginfo))]
    fn set_var(
        &self,
        py: Python<'_>,
        var: &str,
        value: &Bound<'_, PyAny>,
        parsing: bool,
        _loginfo: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let v = Stored::of(value, var, None)?;
        let mut d = self.store_as("setVar")?;
        let origin = caller(py, &d);
        v.set_var(&mut d, var, parsing, origin.as_ref());
        Ok(())
    }

    /// `d.appendVar(var, value)`.
    #[pyo3(name = "appendVar", signature = (var, value, **_loginfo))]
    fn append_var(
        &self,
        py: Python<'_>,
        var: &str,
        value: &Bound<'_, PyAny>,
        _loginfo: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let v = operand_text(value)?;
        self.write("appendVar", py, |d, origin| d.append_var(var, &v, origin))
    }

    /// `d.prependVar(var, value)`.
    #[pyo3(name = "prependVar", signature = (var, value, **_loginfo))]
    fn prepend_var(
        &self,
        py: Python<'_>,
        var: &str,
        value: &Bound<'_, PyAny>,
        _loginfo: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let v = operand_text(value)?;
        self.write("prependVar", py, |d, origin| d.prepend_var(var, &v, origin))
    }

    /// `d.delVar(var)`.
    #[pyo3(name = "delVar", signature = (var, **_loginfo))]
    fn del_var(
        &self,
        py: Python<'_>,
        var: &str,
        _loginfo: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        self.write("delVar", py, |d, origin| d.del_var(var, origin))
    }

    /// `d.renameVar(key, newkey)`.
    #[pyo3(name = "renameVar", signature = (key, newkey, **_loginfo))]
    fn rename_var(
        &self,
        py: Python<'_>,
        key: &str,
        newkey: &str,
        _loginfo: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        self.write("renameVar", py, |d, origin| {
            d.rename_var(key, newkey, origin)
        })
    }

    /// `d.getVarFlag(var, flag, expand=True, noweakdefault=False, retparser=False)`.
    #[pyo3(name = "getVarFlag", signature = (var, flag, expand = true, noweakdefault = false, retparser = false))]
    fn get_var_flag<'py>(
        &self,
        py: Python<'py>,
        var: &str,
        flag: &str,
        expand: bool,
        noweakdefault: bool,
        retparser: bool,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let _ = retparser;
        if flag == "_content" {
            return self.get_var(py, var, expand, noweakdefault, false);
        }
        let d = self.store_as("getVarFlag")?;
        if let Some(o) = d.typed_flag(var, flag).and_then(|t| typed_object(py, t)) {
            return Ok(Some(o));
        }
        let v = d
            .get_var_flag_opts(var, flag, expand, noweakdefault)
            .map_err(data_err)?;
        flag_value(py, &d, var, flag, v)
    }

    /// `d.setVarFlag(var, flag, value)`.
    #[pyo3(name = "setVarFlag", signature = (var, flag, value, **_loginfo))]
    fn set_var_flag(
        &self,
        py: Python<'_>,
        var: &str,
        flag: &str,
        value: &Bound<'_, PyAny>,
        _loginfo: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let v = Stored::of(value, var, Some(flag))?;
        self.write("setVarFlag", py, |d, origin| match v {
            Stored::Object(t) => d.set_var_flag_typed(var, flag, t, origin),
            v => d.set_var_flag_with(var, flag, v.text().unwrap_or("None"), "set", None, origin),
        })
    }

    /// `d.appendVarFlag(var, flag, value)`.
    #[pyo3(name = "appendVarFlag", signature = (var, flag, value, **_loginfo))]
    fn append_var_flag(
        &self,
        py: Python<'_>,
        var: &str,
        flag: &str,
        value: &Bound<'_, PyAny>,
        _loginfo: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let v = operand_text(value)?;
        self.write("appendVarFlag", py, |d, origin| {
            d.append_var_flag(var, flag, &v, origin)
        })
    }

    /// `d.prependVarFlag(var, flag, value)`.
    #[pyo3(name = "prependVarFlag", signature = (var, flag, value, **_loginfo))]
    fn prepend_var_flag(
        &self,
        py: Python<'_>,
        var: &str,
        flag: &str,
        value: &Bound<'_, PyAny>,
        _loginfo: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let v = operand_text(value)?;
        self.write("prependVarFlag", py, |d, origin| {
            d.prepend_var_flag(var, flag, &v, origin)
        })
    }

    /// `d.delVarFlag(var, flag)`.
    #[pyo3(name = "delVarFlag", signature = (var, flag, **_loginfo))]
    fn del_var_flag(
        &self,
        py: Python<'_>,
        var: &str,
        flag: &str,
        _loginfo: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        self.write("delVarFlag", py, |d, origin| {
            d.del_var_flag(var, flag, origin)
        })
    }

    /// `d.getVarFlags(var, expand=False, internalflags=False)`: a dict, or `None` when
    /// the variable has no flags. `expand` is `True` or a list of flags to expand.
    #[pyo3(name = "getVarFlags", signature = (var, expand = None, internalflags = false))]
    fn get_var_flags<'py>(
        &self,
        py: Python<'py>,
        var: &str,
        expand: Option<&Bound<'py, PyAny>>,
        internalflags: bool,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let d = self.store_as("getVarFlags")?;
        let flags = d.get_var_flags(var);
        let out = PyDict::new(py);
        for (k, v) in flags {
            let wanted = match expand {
                None => false,
                Some(e) if e.is_instance_of::<pyo3::types::PyBool>() => e.is_truthy()?,
                Some(e) if e.is_none() => false,
                Some(e) => e.contains(&k)?,
            };
            if let Some(o) = d.typed_flag(var, &k).and_then(|t| typed_object(py, t)) {
                out.set_item(&k, o)?;
                continue;
            }
            let v = if wanted {
                d.get_var_flag(var, &k, true).map_err(data_err)?
            } else {
                Some(v)
            };
            if let Some(v) = flag_value(py, &d, var, &k, v)? {
                out.set_item(&k, v)?;
            }
        }
        if internalflags && let Some(v) = d.get_raw(var) {
            out.set_item("_content", v)?;
        }
        Ok((!out.is_empty()).then_some(out))
    }

    /// `d.setVarFlags(var, flags)`.
    #[pyo3(name = "setVarFlags", signature = (var, flags, **_loginfo))]
    fn set_var_flags(
        &self,
        py: Python<'_>,
        var: &str,
        flags: &Bound<'_, PyDict>,
        _loginfo: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let mut items = Vec::new();
        for (k, v) in flags.iter() {
            let k: String = k.extract()?;
            let flag = (k != "_content").then_some(k.as_str());
            let v = Stored::of(&v, var, flag)?;
            items.push((k, v));
        }
        let mut d = self.store_as("setVarFlags")?;
        let origin = caller(py, &d);
        for (k, v) in items {
            if k == "_content" {
                v.set_var(&mut d, var, false, origin.as_ref());
            } else {
                match v {
                    Stored::Object(t) => d.set_var_flag_typed(var, &k, t, origin.as_ref()),
                    v => d.set_var_flag_with(
                        var,
                        &k,
                        v.text().unwrap_or("None"),
                        "set",
                        None,
                        origin.as_ref(),
                    ),
                }
            }
        }
        Ok(())
    }

    /// `d.delVarFlags(var)`.
    #[pyo3(name = "delVarFlags", signature = (var, **_loginfo))]
    fn del_var_flags(
        &self,
        py: Python<'_>,
        var: &str,
        _loginfo: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let mut d = self.store_as("delVarFlags")?;
        let origin = caller(py, &d);
        for (k, _) in d.get_var_flags(var) {
            d.del_var_flag(var, &k, origin.as_ref());
        }
        Ok(())
    }

    /// `d.expand(s, varname=None)`.
    #[pyo3(signature = (s, varname = None))]
    fn expand(&self, s: Option<&str>, varname: Option<&str>) -> PyResult<Option<String>> {
        let _ = varname;
        let Some(s) = s else { return Ok(None) };
        self.store_as("expand")?
            .expand(s)
            .map(Some)
            .map_err(data_err)
    }

    /// `d.keys()`: every variable name.
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let names = self.store_as("keys")?.key_names();
        PyList::new(py, names.iter().map(|k| &**k))
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let names = self.store_as("__iter__")?.key_names();
        Ok(PyList::new(py, names.iter().map(|k| &**k))?
            .try_iter()?
            .into_any())
    }

    fn __len__(&self) -> PyResult<usize> {
        Ok(self.store_as("__len__")?.key_names().len())
    }

    fn __contains__(&self, var: &str) -> PyResult<bool> {
        Ok(self.store_as("__contains__")?.contains(var))
    }

    /// `d.createCopy()`: an O(1) copy that shares storage until either side writes.
    #[pyo3(name = "createCopy")]
    fn create_copy(&self) -> PyResult<DataSmart> {
        Ok(DataSmart::new(self.store_as("createCopy")?.clone()))
    }

    /// `d.setVarFilter(var, filter)`.
    #[pyo3(name = "setVarFilter")]
    fn set_var_filter(&self, var: &str, filter: Option<&str>) -> PyResult<()> {
        self.store_as("setVarFilter")?.set_var_filter(var, filter);
        Ok(())
    }

    /// `d.getVarHistory(var)`: the recorded events, oldest first, as dicts with
    /// `op`, `file`, `line`, `func`, `flag` and `detail`.
    #[pyo3(name = "getVarHistory", signature = (var, *_args))]
    fn get_var_history<'py>(
        &self,
        py: Python<'py>,
        var: &str,
        _args: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for ev in self.store_as("getVarHistory")?.history(var) {
            let e = PyDict::new(py);
            e.set_item("variable", var)?;
            e.set_item("op", &ev.op)?;
            e.set_item("file", &*ev.origin.file)?;
            e.set_item("line", ev.origin.line)?;
            if let Some(f) = &ev.origin.func {
                e.set_item("func", &**f)?;
            }
            if let Some(f) = &ev.flag {
                e.set_item("flag", f)?;
            }
            e.set_item("detail", &ev.detail)?;
            out.append(e)?;
        }
        Ok(out)
    }

    /// Source of metadata `def` function `name` (used to resolve names in Python code
    /// run for this datastore), or `None`.
    fn _def_source(&self, name: &str) -> PyResult<Option<(String, String, u32)>> {
        let d = self.store_as("_def_source")?;
        Ok(d.python_function(name).map(|f| {
            let file = d.get_raw_flag(name, "filename").unwrap_or_default();
            let line = d
                .get_raw_flag(name, "lineno")
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            (f.source, file, line)
        }))
    }

    /// `d.expandVarref(var)`: replaces `var`'s value by its expansion.
    /// `d._handlers()`: the registered event handlers as `(name, source, mask)`
    /// (`mask` `None` for every event), for `bb.event.fire` in a task.
    fn _handlers(&self) -> PyResult<Vec<bb_data::python::HandlerInfo>> {
        Ok(bb_data::python::event_handlers(
            &*self.store_as("_handlers")?,
        ))
    }

    #[pyo3(name = "expandVarref", signature = (var, parsing = false))]
    fn expand_varref(&self, var: &str, parsing: bool) -> PyResult<()> {
        let _ = parsing;
        let mut d = self.store_as("expandVarref")?;
        if let Some(v) = d.get_var_opts(var, true, false).map_err(data_err)? {
            d.set_var(var, &v);
        }
        Ok(())
    }

    /// An empty datastore (`bb.data.init()`).
    #[new]
    fn py_new() -> DataSmart {
        DataSmart::new(DataStore::new())
    }

    /// `bb.build.addtask(task, before, after, d)`: `before`/`after` are
    /// space-separated task names (or `None`).
    #[pyo3(signature = (task, before = None, after = None))]
    fn _addtask(&self, task: &str, before: Option<&str>, after: Option<&str>) -> PyResult<()> {
        let words = |s: Option<&str>| -> Vec<String> {
            s.map(|s| s.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default()
        };
        bb_data::add_task(
            &mut *self.store_as("_addtask")?,
            task,
            &words(before),
            &words(after),
        );
        Ok(())
    }

    /// `bb.build.deltask(task, d)`.
    fn _deltask(&self, task: &str) -> PyResult<()> {
        bb_data::del_task(&mut *self.store_as("_deltask")?, task);
        Ok(())
    }
}
