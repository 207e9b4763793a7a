//! Anonymous Python functions run at finalization, natively where their bodies are
//! straight-line datastore calls (`d.setVar`, `d.appendVar`, `d.setVarFlag`, ...).
//!
//! A body with anything else is not run at all (never half-run): it is reported as
//! needing Python, so that a later stage can hand it to embedded CPython.

use std::cell::RefCell;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::expand::Ctx;
use crate::history::Origin;
use crate::python::{PyFailure, PyFunctionCall, python_host};
use crate::store::{DataStore, SetOpts};

/// One supported datastore call.
#[derive(Debug, Clone, PartialEq)]
enum Call {
    SetVar(String, String),
    AppendVar(String, String),
    PrependVar(String, String),
    DelVar(String),
    SetVarFlag(String, String, String),
    AppendVarFlag(String, String, String),
    PrependVarFlag(String, String, String),
    DelVarFlag(String, String),
    RenameVar(String, String),
}

/// Splits call arguments at top-level commas (outside quotes and brackets).
fn split_args(s: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    let mut prev = '\0';
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) => {
                if c == q && prev != '\\' {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    out.push(s[start..i].trim());
                    start = i + 1;
                }
                _ => {}
            },
        }
        prev = c;
    }
    if quote.is_some() || depth != 0 {
        return None;
    }
    let last = s[start..].trim();
    if !last.is_empty() {
        out.push(last);
    }
    Some(out)
}

/// Recognises `d.method(args)` on one line; `None` for anything else.
fn parse_call(line: &str) -> Option<(&str, Vec<&str>)> {
    let rest = line.strip_prefix("d.")?;
    let open = rest.find('(')?;
    let method = &rest[..open];
    if !method
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return None;
    }
    let inner = rest[open + 1..].strip_suffix(')')?;
    Some((method, split_args(inner)?))
}

/// Arguments are Python expressions evaluated against the datastore as it is when the
/// call runs.
fn eval_arg(d: &DataStore, arg: &str) -> Result<String> {
    d.eval_python_expr(arg)
}

/// Keyword arguments are not supported natively: they make the call "needs Python".
fn positional<'s>(args: &[&'s str], n: usize) -> Option<Vec<&'s str>> {
    if args.len() != n
        || args
            .iter()
            .any(|a| a.contains('=') && !a.starts_with(['\'', '"']))
    {
        return None;
    }
    Some(args.to_vec())
}

/// Checks that every statement of a body is supported, returning them.
fn plan(body: &str) -> std::result::Result<Vec<(u32, String, Vec<String>)>, String> {
    let mut calls = Vec::new();
    let lines: Vec<&str> = body.lines().skip(1).collect();
    for (idx, raw) in lines.into_iter().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line == "pass" {
            continue;
        }
        if raw.starts_with(' ') || raw.starts_with('\t') {
            // Only the function's own indentation level is supported.
        }
        if let Some(arg) = line
            .strip_prefix("raise bb.parse.SkipRecipe(")
            .and_then(|r| r.strip_suffix(')'))
        {
            calls.push((
                idx as u32 + 1,
                "SkipRecipe".to_owned(),
                vec![arg.to_owned()],
            ));
            continue;
        }
        if let Some((func, arg)) = [
            "bb.fatal(",
            "bb.note(",
            "bb.warn(",
            "bb.debug(",
            "bb.plain(",
            "bb.error(",
        ]
        .iter()
        .find_map(|f| {
            line.strip_prefix(f)
                .and_then(|r| r.strip_suffix(')'))
                .map(|a| (f.trim_end_matches('('), a))
        }) {
            calls.push((idx as u32 + 1, func.to_owned(), vec![arg.to_owned()]));
            continue;
        }
        let Some((method, args)) = parse_call(line) else {
            return Err(format!("statement `{line}`"));
        };
        let n = match method {
            "setVar" | "appendVar" | "prependVar" | "renameVar" => 2,
            "delVar" => 1,
            "setVarFlag" | "appendVarFlag" | "prependVarFlag" => 3,
            "delVarFlag" => 2,
            _ => return Err(format!("call to `d.{method}`")),
        };
        let Some(args) = positional(&args, n) else {
            return Err(format!("arguments of `d.{method}`"));
        };
        calls.push((
            idx as u32 + 1,
            method.to_owned(),
            args.into_iter().map(str::to_owned).collect(),
        ));
    }
    // Bodies must be at a single indentation level (no blocks).
    let indents: Vec<usize> = body
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| l.len() - l.trim_start().len())
        .collect();
    if indents.windows(2).any(|w| w[0] != w[1]) {
        return Err("nested blocks".to_owned());
    }
    Ok(calls)
}

/// Where a write made by line `offset` of function `name`'s body is recorded: the
/// file's base name, the metadata line, and the function, as BitBake shows it.
fn anon_origin(d: &DataStore, name: &str, offset: u32) -> Origin {
    let file = d.get_raw_flag(name, "filename").unwrap_or_default();
    let base = file.rsplit('/').next().unwrap_or(&file);
    let header: u32 = d
        .get_raw_flag(name, "lineno")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    Origin::internal(base, header + offset, name)
}

fn run_one(d: &mut DataStore, name: &str, calls: &[(u32, String, Vec<String>)]) -> Result<()> {
    for (offset, method, args) in calls {
        let origin = anon_origin(d, name, *offset);
        let origin = Some(&origin);
        if matches!(
            method.as_str(),
            "bb.note" | "bb.warn" | "bb.debug" | "bb.plain" | "bb.error"
        ) {
            continue;
        }
        // The argument that is the value written: a string or None natively; any other
        // object makes the whole function CPython's.
        let value_arg = match method.as_str() {
            "setVar" | "appendVar" | "prependVar" => Some(1),
            "setVarFlag" | "appendVarFlag" | "prependVarFlag" => Some(2),
            _ => None,
        };
        let mut vals = Vec::with_capacity(args.len());
        let mut none_value = false;
        for (i, a) in args.iter().enumerate() {
            if Some(i) == value_arg {
                match d.eval_python_stored(a)? {
                    Some(v) => vals.push(v),
                    None if method == "setVar" => {
                        none_value = true;
                        vals.push(String::new());
                    }
                    None if method == "setVarFlag" => {
                        none_value = true;
                        vals.push("None".to_owned());
                    }
                    None => {
                        return Err(Error::NeedsPython {
                            var: String::new(),
                            expr: a.clone(),
                            reason: format!("d.{method}() with a `None` value"),
                        });
                    }
                }
            } else {
                vals.push(eval_arg(d, a)?);
            }
        }
        let v = |i: usize| vals.get(i).cloned().unwrap_or_default();
        let call = match method.as_str() {
            "SkipRecipe" => return Err(Error::SkipRecipe(v(0))),
            "bb.fatal" => return Err(Error::Fatal(v(0))),
            "setVar" if none_value => {
                d.set_var_none(&v(0), origin);
                continue;
            }
            "setVar" => Call::SetVar(v(0), v(1)),
            "appendVar" => Call::AppendVar(v(0), v(1)),
            "prependVar" => Call::PrependVar(v(0), v(1)),
            "delVar" => Call::DelVar(v(0)),
            "renameVar" => Call::RenameVar(v(0), v(1)),
            "setVarFlag" if none_value => {
                d.set_var_flag_typed(&v(0), &v(1), crate::TypedValue::none(), origin);
                continue;
            }
            "setVarFlag" => Call::SetVarFlag(v(0), v(1), v(2)),
            "appendVarFlag" => Call::AppendVarFlag(v(0), v(1), v(2)),
            "prependVarFlag" => Call::PrependVarFlag(v(0), v(1), v(2)),
            _ => Call::DelVarFlag(v(0), v(1)),
        };
        match call {
            Call::SetVar(n, val) => d.set_var_with(
                &n,
                &val,
                SetOpts {
                    parsing: false,
                    op: "set",
                    detail: None,
                    origin,
                },
            ),
            Call::AppendVar(n, val) => d.append_var(&n, &val, origin),
            Call::PrependVar(n, val) => d.prepend_var(&n, &val, origin),
            Call::DelVar(n) => d.del_var(&n, origin),
            Call::RenameVar(a, b) => d.rename_var(&a, &b, origin),
            Call::SetVarFlag(n, f, val) => d.set_var_flag_with(&n, &f, &val, "set", None, origin),
            Call::AppendVarFlag(n, f, val) => d.append_var_flag(&n, &f, &val, origin),
            Call::PrependVarFlag(n, f, val) => d.prepend_var_flag(&n, &f, &val, origin),
            Call::DelVarFlag(n, f) => d.del_var_flag(&n, &f, origin),
        }
    }
    Ok(())
}

/// A datastore that Python code may write to, for [`bb_pyexpr::run_function`]. Writes
/// are recorded in history at the function's definition (BitBake shows the line of the
/// statement; a straight-line body gets that, see [`plan`]).
struct Exec<'d> {
    d: RefCell<Store<'d>>,
    origin: Origin,
    /// The statement running (see `Context::set_position`): its writes are recorded at its
    /// line, as CPython's frame shows it.
    pos: RefCell<Option<Position>>,
}

/// A statement's place: the datastore function holding it, the Python function, the line.
type Position = (Arc<str>, Arc<str>, u32);

/// The datastore an [`Exec`] runs on: the caller's, or a copy of its own
/// (`d.createCopy()`).
enum Store<'d> {
    Borrowed(&'d mut DataStore),
    Owned(Box<DataStore>),
}

impl std::ops::Deref for Store<'_> {
    type Target = DataStore;
    fn deref(&self) -> &DataStore {
        match self {
            Store::Borrowed(d) => d,
            Store::Owned(d) => d,
        }
    }
}

impl std::ops::DerefMut for Store<'_> {
    fn deref_mut(&mut self) -> &mut DataStore {
        match self {
            Store::Borrowed(d) => d,
            Store::Owned(d) => d,
        }
    }
}

impl<'d> Exec<'d> {
    fn new(d: &'d mut DataStore, origin: Origin) -> Self {
        Exec {
            d: RefCell::new(Store::Borrowed(d)),
            origin,
            pos: RefCell::new(None),
        }
    }

    fn write(
        &self,
        f: impl FnOnce(&mut DataStore, Option<&Origin>),
    ) -> Result<(), bb_pyexpr::EvalError> {
        let mut d = self.d.borrow_mut();
        let here = match &*self.pos.borrow() {
            Some((owner, func, line)) if d.tracking() => {
                let o = anon_origin(&d, owner, line.saturating_sub(1));
                Some(Origin::internal(&o.file, o.line, func))
            }
            _ => None,
        };
        f(&mut d, Some(here.as_ref().unwrap_or(&self.origin)));
        Ok(())
    }
}

impl bb_pyexpr::Context for Exec<'_> {
    fn create_copy(&self) -> Result<Box<dyn bb_pyexpr::Context>, bb_pyexpr::EvalError> {
        let copy = self.d.borrow().clone();
        Ok(Box::new(Exec {
            d: RefCell::new(Store::Owned(Box::new(copy))),
            origin: self.origin.clone(),
            pos: RefCell::new(None),
        }))
    }
    fn set_position(&self, owner: &Arc<str>, func: &Arc<str>, line: u32) {
        let mut pos = self.pos.borrow_mut();
        match &mut *pos {
            // Most calls move on within the same function: no reference count changes.
            Some((o, f, l)) if Arc::ptr_eq(o, owner) && Arc::ptr_eq(f, func) => *l = line,
            other => *other = Some((owner.clone(), func.clone(), line)),
        }
    }
    fn get_var(&self, name: &str, expand: bool) -> Result<Option<String>, bb_pyexpr::EvalError> {
        Ctx::new(&self.d.borrow()).get_var(name, expand)
    }
    fn get_var_flag(
        &self,
        name: &str,
        flag: &str,
        expand: bool,
    ) -> Result<Option<String>, bb_pyexpr::EvalError> {
        Ctx::new(&self.d.borrow()).get_var_flag(name, flag, expand)
    }
    fn expand(&self, text: &str) -> Result<String, bb_pyexpr::EvalError> {
        Ctx::new(&self.d.borrow()).expand(text)
    }
    fn get_var_flags(
        &self,
        name: &str,
    ) -> Result<Option<Vec<(String, String)>>, bb_pyexpr::EvalError> {
        Ctx::new(&self.d.borrow()).get_var_flags(name)
    }
    fn keys(&self) -> Result<Vec<String>, bb_pyexpr::EvalError> {
        Ctx::new(&self.d.borrow()).keys()
    }
    fn key_names(&self) -> Result<Vec<Arc<str>>, bb_pyexpr::EvalError> {
        Ctx::new(&self.d.borrow()).key_names()
    }
    fn has_overrides(&self, name: &str) -> Result<bool, bb_pyexpr::EvalError> {
        Ctx::new(&self.d.borrow()).has_overrides(name)
    }
    fn internal_list(&self, name: &str, flag: Option<&str>) -> Option<Vec<String>> {
        Ctx::new(&self.d.borrow()).internal_list(name, flag)
    }
    fn python_function(&self, name: &str) -> Option<bb_pyexpr::PyFunction> {
        Ctx::new(&self.d.borrow()).python_function(name)
    }
    fn host_uname(&self) -> Option<[String; 5]> {
        Ctx::new(&self.d.borrow()).host_uname()
    }
    fn add_task(
        &self,
        task: &str,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<(), bb_pyexpr::EvalError> {
        let words = |s: Option<&str>| -> Vec<String> {
            s.map(|s| bb_util::split_words(s).map(str::to_owned).collect())
                .unwrap_or_default()
        };
        self.write(|d, _| crate::eval::add_task(d, task, &words(before), &words(after)))
    }
    fn del_task(&self, task: &str) -> Result<(), bb_pyexpr::EvalError> {
        self.write(|d, _| crate::eval::del_task(d, task))
    }
    fn set_var(&self, name: &str, value: Option<&str>) -> Result<(), bb_pyexpr::EvalError> {
        self.write(|d, o| match value {
            Some(v) => d.set_var_with(
                name,
                v,
                SetOpts {
                    parsing: false,
                    op: "set",
                    detail: None,
                    origin: o,
                },
            ),
            None => d.set_var_none(name, o),
        })
    }
    fn append_var(&self, name: &str, value: &str) -> Result<(), bb_pyexpr::EvalError> {
        self.write(|d, o| d.append_var(name, value, o))
    }
    fn set_var_filter(&self, name: &str, expr: Option<&str>) -> Result<(), bb_pyexpr::EvalError> {
        self.write(|d, _| d.set_var_filter(name, expr))
    }
    fn prepend_var(&self, name: &str, value: &str) -> Result<(), bb_pyexpr::EvalError> {
        self.write(|d, o| d.prepend_var(name, value, o))
    }
    fn del_var(&self, name: &str) -> Result<(), bb_pyexpr::EvalError> {
        self.write(|d, o| d.del_var(name, o))
    }
    fn rename_var(&self, from: &str, to: &str) -> Result<(), bb_pyexpr::EvalError> {
        self.write(|d, o| d.rename_var(from, to, o))
    }
    fn set_var_flag(
        &self,
        name: &str,
        flag: &str,
        value: Option<&str>,
    ) -> Result<(), bb_pyexpr::EvalError> {
        self.write(|d, o| match value {
            Some(v) => d.set_var_flag_with(name, flag, v, "set", None, o),
            None => d.set_var_flag_typed(name, flag, crate::TypedValue::none(), o),
        })
    }
    fn append_var_flag(
        &self,
        name: &str,
        flag: &str,
        value: &str,
    ) -> Result<(), bb_pyexpr::EvalError> {
        self.write(|d, o| d.append_var_flag(name, flag, value, o))
    }
    fn prepend_var_flag(
        &self,
        name: &str,
        flag: &str,
        value: &str,
    ) -> Result<(), bb_pyexpr::EvalError> {
        self.write(|d, o| d.prepend_var_flag(name, flag, value, o))
    }
    fn del_var_flag(&self, name: &str, flag: &str) -> Result<(), bb_pyexpr::EvalError> {
        self.write(|d, o| d.del_var_flag(name, flag, o))
    }
}

/// Runs one anonymous function with the Python interpreter of `bb_pyexpr`, in a
/// transaction of `d` kept only when the function completes.
fn run_python(
    d: &mut DataStore,
    name: &str,
    body: &str,
) -> Result<std::result::Result<(), String>> {
    use bb_pyexpr::EvalError as E;
    if python_host().is_some() && known_cpython(body) {
        return run_cpython(d, name, body).map(Ok);
    }
    let origin = anon_origin(d, name, 1);
    d.begin();
    let exec = Exec::new(&mut *d, origin);
    let r = bb_pyexpr::run_function(body, &exec);
    drop(exec);
    let r = match r {
        Err(E::NeedsPython { .. } | E::Syntax { .. }) if python_host().is_some() => {
            d.rollback();
            note_cpython(body);
            return run_cpython(d, name, body).map(Ok);
        }
        // A name only CPython knows (an `addpylib` module): CPython decides.
        Err(E::Exception { kind, .. }) if kind == "NameError" && python_host().is_some() => {
            d.rollback();
            note_cpython(body);
            return run_cpython(d, name, body).map(Ok);
        }
        Err(E::Data(msg)) => match d.take_stashed() {
            Some(Error::NeedsPython { .. }) if python_host().is_some() => {
                d.rollback();
                note_cpython(body);
                return run_cpython(d, name, body).map(Ok);
            }
            Some(e) => {
                d.stash_error(e);
                Err(E::Data(msg))
            }
            None => Err(E::Data(msg)),
        },
        r => r,
    };
    // The function's writes stay when it completed (or skipped the recipe).
    match &r {
        Ok(()) => d.commit(),
        Err(E::Exception { kind, .. }) if kind == "SkipRecipe" => d.commit(),
        _ => d.rollback(),
    }
    match r {
        Ok(()) => {
            note_native(body);
            Ok(Ok(()))
        }
        Err(E::NeedsPython { reason, .. }) => Ok(Err(reason)),
        Err(E::Exception { kind, message }) if kind == "SkipRecipe" => {
            Err(Error::SkipRecipe(message))
        }
        Err(E::Exception { kind, message }) if kind == "BBHandledException" => {
            Err(Error::Fatal(message))
        }
        Err(E::Exception { kind, message }) => {
            Err(Error::Fatal(format!("{name}: {kind}: {message}")))
        }
        Err(E::Syntax { message, .. }) => {
            Err(Error::Fatal(format!("{name}: SyntaxError: {message}")))
        }
        Err(E::Data(msg)) => match d.take_stashed() {
            // A value the function read needs Python: so does the function.
            Some(Error::NeedsPython { var, reason, .. }) => {
                Ok(Err(format!("reading `{var}`: {reason}")))
            }
            Some(e) => Err(e),
            None => Err(Error::Fatal(msg)),
        },
    }
}

/// For each function source (by hash): how often the native evaluator handed it to
/// CPython, and how often it ran it. A source handed over several times and never run
/// natively goes straight to CPython, with the datastore's memoised expansions intact;
/// the result is the same either way (CPython is the reference), only the wasted native
/// attempt is saved.
fn verdicts() -> &'static std::sync::Mutex<std::collections::HashMap<u64, (u32, u32)>> {
    static MAP: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<u64, (u32, u32)>>> =
        std::sync::OnceLock::new();
    MAP.get_or_init(Default::default)
}

/// Hand-overs after which a source never run natively skips the native attempt.
const HANDOVERS_BEFORE_SKIP: u32 = 8;

/// A fast hash of a function's source: the key of its verdicts. Two sources sharing a
/// key share their verdict, which only decides where they are tried first.
fn source_hash(source: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    source.hash(&mut h);
    h.finish()
}

fn known_cpython(source: &str) -> bool {
    verdicts()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&source_hash(source))
        .is_some_and(|&(handed, native)| native == 0 && handed >= HANDOVERS_BEFORE_SKIP)
}

fn note_cpython(source: &str) {
    verdicts()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(source_hash(source))
        .or_default()
        .0 += 1;
}

fn note_native(source: &str) {
    verdicts()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(source_hash(source))
        .or_default()
        .1 += 1;
}

/// Where function `name` is defined: its file and the line of its header.
fn function_place(d: &DataStore, name: &str) -> (String, u32) {
    let file = d.get_raw_flag(name, "filename").unwrap_or_default();
    let line = d
        .get_raw_flag(name, "lineno")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    (file, line)
}

/// A failure of Python code run by the embedded interpreter, as a datastore error:
/// `SkipRecipe` skips, `bb.fatal` (BBHandledException) fails with its message, any
/// other exception fails naming the function, its file and line, and the traceback.
fn py_failure(what: &str, file: &str, line: u32, f: PyFailure) -> Error {
    match f {
        PyFailure::Exception { kind, message, .. } if kind == "SkipRecipe" => {
            Error::SkipRecipe(message)
        }
        PyFailure::Exception { kind, message, .. } if kind == "BBHandledException" => {
            Error::Fatal(message)
        }
        PyFailure::Exception {
            kind,
            message,
            traceback,
        } => Error::Eval {
            file: file.into(),
            line,
            message: format!("{what} failed: {kind}: {message}\n{traceback}")
                .trim_end()
                .to_owned(),
        },
        PyFailure::Data(e) => e,
    }
}

/// Runs function `name` (whole `source`, `def` line first) on `d` with the embedded
/// interpreter; only called when one is installed.
fn run_cpython(d: &mut DataStore, name: &str, source: &str) -> Result<()> {
    let Some(host) = python_host() else {
        return Err(Error::Fatal(format!("`{name}` needs Python")));
    };
    let (file, line) = function_place(d, name);
    let call = PyFunctionCall {
        name,
        source,
        file: &file,
        line,
    };
    host.run_function(d, &call)
        .map_err(|f| py_failure(&format!("Python function `{name}`"), &file, line, f))
}

/// Runs the anonymous functions of `d` in definition order. Straight-line bodies of
/// datastore calls run directly (with exact history lines); others go to the Python
/// interpreter. One that needs CPython has no effect (its transaction's writes are
/// rolled back) and is recorded in [`DataStore::needs_python`]; finalization goes on.
pub(crate) fn run_anon_funcs(d: &mut DataStore) -> Result<()> {
    let names: Vec<String> = d
        .get_raw("__BBANONFUNCS")
        .map(|s| bb_util::split_words(&s).map(str::to_owned).collect())
        .unwrap_or_default();
    for name in names {
        let body = d.get_raw(&name).unwrap_or_default();
        let direct = match plan(&body) {
            Ok(calls) => {
                d.begin();
                match run_one(d, &name, &calls) {
                    Ok(()) => {
                        d.commit();
                        true
                    }
                    Err(Error::NeedsPython { .. }) => {
                        d.rollback();
                        false
                    }
                    Err(e) => {
                        d.rollback();
                        return Err(e);
                    }
                }
            }
            Err(_) => false,
        };
        if direct {
            continue;
        }
        if let Err(reason) = run_python(d, &name, &body)? {
            let file = d.get_raw_flag(&name, "filename").unwrap_or_default();
            let line = d.get_raw_flag(&name, "lineno").unwrap_or_default();
            d.note_needs_python(format!("`{name}` ({file}:{line}): {reason}"));
        }
    }
    Ok(())
}

/// Registers the handlers listed in `__BBHANDLERS` that this datastore has not registered
/// yet (BitBake's `bb.event.register`: a name already registered keeps the body and mask
/// it was registered with), in list order. A name without a function is an error.
pub(crate) fn register_handlers(d: &mut DataStore) -> Result<()> {
    let names: Vec<String> = d
        .get_raw("__BBHANDLERS")
        .map(|s| bb_util::split_words(&s).map(str::to_owned).collect())
        .unwrap_or_default();
    for name in names {
        if d.get_raw_flag(&name, "filename").is_none() {
            return Err(Error::Eval {
                file: "".into(),
                line: 0,
                message: format!("Undefined event handler function '{name}'"),
            });
        }
        if d.handlers.iter().any(|h| h.name == name) {
            continue;
        }
        let body = d.get_raw(&name).unwrap_or_default();
        let mask: Vec<String> = d
            .get_var_flag(&name, "eventmask", true)?
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let mask = (!mask.is_empty() && !mask.iter().any(|m| m == "*")).then_some(mask);
        let source = format!("def {name}(e, d):\n{body}");
        std::sync::Arc::make_mut(&mut d.handlers).push(crate::store::Handler {
            name,
            source,
            mask,
        });
    }
    Ok(())
}

/// Fires `event` at the registered handlers that listen to its class, in registration
/// order, as BitBake's `bb.event.fire` does. Each handler runs in a transaction of the
/// datastore kept only when it completes; one that needs CPython has no effect and is recorded in
/// [`DataStore::needs_python`]. `raise bb.parse.SkipRecipe` in a handler is
/// [`Error::SkipRecipe`]; any other exception fails.
pub(crate) fn fire(d: &mut DataStore, event: &bb_pyexpr::Event) -> Result<()> {
    use bb_pyexpr::EvalError as E;
    let handlers = d.handlers.clone();
    for h in handlers.iter() {
        if let Some(mask) = &h.mask
            && !mask.iter().any(|m| m == event.class())
        {
            continue;
        }
        let known = python_host().is_some() && known_cpython(&h.source);
        let r = if known {
            Err(E::NeedsPython {
                expr: String::new(),
                reason: "known to need CPython".to_owned(),
            })
        } else {
            let origin = anon_origin(d, &h.name, 1);
            d.begin();
            let exec = Exec::new(&mut *d, origin);
            let r = bb_pyexpr::run_handler(&h.source, event, &exec);
            drop(exec);
            // The handler's writes stay when it completed (or skipped the recipe).
            match &r {
                Ok(()) => d.commit(),
                Err(E::Exception { kind, .. }) if kind == "SkipRecipe" => d.commit(),
                _ => d.rollback(),
            }
            r
        };
        let cpython = match &r {
            Err(E::NeedsPython { .. } | E::Syntax { .. }) => python_host(),
            Err(E::Exception { kind, .. }) if kind == "NameError" => python_host(),
            Err(E::Data(_)) => match d.take_stashed() {
                Some(Error::NeedsPython { .. }) => python_host(),
                Some(e) => {
                    d.stash_error(e);
                    None
                }
                None => None,
            },
            _ => None,
        };
        if let Some(host) = cpython {
            if !known {
                note_cpython(&h.source);
            }
            let (file, line) = function_place(d, &h.name);
            let call = PyFunctionCall {
                name: &h.name,
                source: &h.source,
                file: &file,
                line,
            };
            host.fire_handler(d, &call, event).map_err(|f| {
                py_failure(
                    &format!("Execution of event handler '{}'", h.name),
                    &file,
                    line,
                    f,
                )
            })?;
            continue;
        }
        match r {
            Ok(()) => {
                note_native(&h.source);
            }
            Err(E::NeedsPython { reason, .. }) => {
                let file = d.get_raw_flag(&h.name, "filename").unwrap_or_default();
                let line = d.get_raw_flag(&h.name, "lineno").unwrap_or_default();
                d.note_needs_python(format!(
                    "`{}` ({file}:{line}) for {}: {reason}",
                    h.name,
                    event.short_name()
                ));
            }
            Err(E::Exception { kind, message }) if kind == "SkipRecipe" => {
                return Err(Error::SkipRecipe(message));
            }
            Err(E::Exception { kind, message }) if kind == "BBHandledException" => {
                return Err(Error::Fatal(message));
            }
            Err(E::Exception { kind, message }) => {
                return Err(Error::Fatal(format!(
                    "Execution of event handler '{}' failed: {kind}: {message}",
                    h.name
                )));
            }
            Err(E::Syntax { message, .. }) => {
                // BitBake logs the error and registers a handler that does nothing; our
                // grammar is a subset, so the text is left for CPython to judge.
                d.note_needs_python(format!(
                    "`{}` for {}: SyntaxError: {message}",
                    h.name,
                    event.short_name()
                ));
            }
            Err(E::Data(msg)) => match d.take_stashed() {
                Some(Error::NeedsPython { var, reason, .. }) => {
                    d.note_needs_python(format!(
                        "`{}` for {}: reading `{var}`: {reason}",
                        h.name,
                        event.short_name()
                    ));
                }
                Some(e) => return Err(e),
                None => return Err(Error::Fatal(msg)),
            },
        }
    }
    Ok(())
}

/// Runs one `python` function body (a task or handler) natively; `Ok(Err(reason))`
/// when it needs CPython.
pub fn run_python_function(
    d: &mut DataStore,
    name: &str,
) -> Result<std::result::Result<(), String>> {
    let body = d.get_raw(name).unwrap_or_default();
    let source = if body.starts_with("def ") {
        body
    } else {
        format!("def {name}(d):\n{body}")
    };
    run_python(d, name, &source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_arguments_outside_quotes() {
        assert_eq!(
            split_args("'A', 'b, c', f(1, 2)"),
            Some(vec!["'A'", "'b, c'", "f(1, 2)"])
        );
        assert_eq!(split_args("'A"), None);
    }

    #[test]
    fn plans_straight_line_bodies_only() {
        assert!(plan("def f(d):\n    d.setVar('A', 'x')\n    # note\n").is_ok());
        assert!(plan("def f(d):\n    if True:\n        d.setVar('A', 'x')\n").is_err());
        assert!(plan("def f(d):\n    x = 1\n").is_err());
    }
}
