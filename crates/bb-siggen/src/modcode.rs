//! Functions of the Python modules added with `addpylib` (BitBake's `modulecode_deps`):
//! a task that calls `oe.utils.vartrue` depends on that function's code and on what it
//! reads, as it depends on a metadata function.
//!
//! The modules are listed by the embedded interpreter (`python/modulecode.py`: each
//! namespace's BBIMPORTS modules, their public callables defined in their own file, the
//! source lines `inspect` gives, the text of every call in them); what the calls read is
//! found by `bb_pyexpr::python_refs`, so calls inside `with` and `class` bodies count
//! too. The value hashed for a function is the sha256 of its source lines preceded by as
//! many newlines as its first line number, as BitBake hashes it. Listed once per process,
//! the first time a recipe's signature needs it with an interpreter installed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use bb_data::DataStore;
use serde::Deserialize;

use crate::error::{Error, Result};

/// What one module function contributes to signatures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModFunc {
    /// Variables it reads (with its `bb_vardeps`, without its `bb_vardepsexclude`).
    pub references: BTreeSet<String>,
    /// Names it calls (calls of functions of its own module named with the module).
    pub execs: BTreeSet<String>,
    /// Its `bb.utils.contains` checks.
    pub contains: BTreeMap<String, BTreeSet<String>>,
    /// sha256 of its source (the value hashed for it).
    pub extra: String,
    /// It has a `visitorcode`: a call of it contributes what the visitor decides from the
    /// call's arguments (see [`visit`]), not the call.
    pub visitor: bool,
}

/// Every module function, by dotted name (`oe.utils.vartrue`).
pub type ModuleCode = HashMap<String, ModFunc>;

#[derive(Deserialize)]
struct PyModule {
    module: String,
    names: Vec<String>,
    functions: Vec<PyFunction>,
}

#[derive(Deserialize)]
struct PyFunction {
    name: String,
    source: String,
    lineno: usize,
    calls: Option<Vec<String>>,
    visited_contains: BTreeMap<String, BTreeSet<String>>,
    visited_execs: Vec<String>,
    visitor: bool,
    vardeps: Vec<String>,
    vardepsexclude: Vec<String>,
}

const SCRIPT: &str = include_str!("python/modulecode.py");

static MODULES: OnceLock<ModuleCode> = OnceLock::new();

/// The module functions of the process's interpreter (empty without one).
pub fn module_code() -> Result<&'static ModuleCode> {
    static EMPTY: OnceLock<ModuleCode> = OnceLock::new();
    let Some(host) = bb_data::python::python_host() else {
        return Ok(EMPTY.get_or_init(ModuleCode::new));
    };
    if let Some(m) = MODULES.get() {
        return Ok(m);
    }
    let mut d = DataStore::new();
    d.set_var("__bake_modulecode_py", SCRIPT);
    // Loads the script as module `_bake_siggen` (once), then lists.
    let code = "(__import__('sys').modules.get('_bake_siggen') or (lambda m: (exec(compile(\
                d.getVar('__bake_modulecode_py', False), 'bb-siggen/modulecode.py', 'exec'), \
                m.__dict__), __import__('sys').modules.__setitem__('_bake_siggen', m), m)[2])\
                (__import__('types').ModuleType('_bake_siggen'))).listing()";
    let text = host.eval_expr(&d, code, None).map_err(failure)?;
    let modules: Vec<PyModule> =
        serde_json::from_str(&text).map_err(|e| Error::ModuleCode(e.to_string()))?;
    Ok(MODULES.get_or_init(|| build(&modules)))
}

fn failure(e: bb_data::python::PyFailure) -> Error {
    Error::ModuleCode(match e {
        bb_data::python::PyFailure::Exception {
            kind,
            message,
            traceback,
        } => format!("{kind}: {message}\n{traceback}"),
        bb_data::python::PyFailure::Data(e) => e.to_string(),
    })
}

/// The calls of one Python body as the interpreter's own parser lists them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Visited {
    /// The text of each call without a visitor, its nested calls replaced by `None`
    /// (`None`: the body does not parse).
    pub calls: Option<Vec<String>>,
    /// The final `bb.utils.contains`-style items of each variable a visitor touched
    /// (they replace what the body's other calls collected for it).
    pub contains: BTreeMap<String, BTreeSet<String>>,
    /// Names the visitors report as called.
    pub execs: BTreeSet<String>,
    /// The module functions whose calls were visited (their calls are not execs).
    pub visited: BTreeSet<String>,
}

/// The calls of Python body `src` listed by the interpreter's parser (which sees the
/// bodies of `with` and `class` statements and decorators), with the `visitorcode` of
/// module functions run over their calls (cached by text for the process).
pub fn visit(src: &str) -> Result<std::sync::Arc<Visited>> {
    static CACHE: OnceLock<std::sync::Mutex<HashMap<String, std::sync::Arc<Visited>>>> =
        OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Ok(c) = cache.lock()
        && let Some(v) = c.get(src)
    {
        return Ok(v.clone());
    }
    let Some(host) = bb_data::python::python_host() else {
        return Ok(Default::default());
    };
    let mut d = DataStore::new();
    d.set_var("__bake_visit_src", src);
    let code =
        "__import__('sys').modules['_bake_siggen'].visit(d.getVar('__bake_visit_src', False))";
    let text = host.eval_expr(&d, code, None).map_err(failure)?;
    let v: Visited = serde_json::from_str(&text).map_err(|e| Error::ModuleCode(e.to_string()))?;
    let v = std::sync::Arc::new(v);
    if let Ok(mut c) = cache.lock() {
        c.insert(src.to_owned(), v.clone());
    }
    Ok(v)
}

fn build(modules: &[PyModule]) -> ModuleCode {
    let mut out = ModuleCode::new();
    for m in modules {
        let siblings: BTreeSet<&str> = m.names.iter().map(String::as_str).collect();
        for f in &m.functions {
            let mut v = ModFunc::default();
            let r = crate::deps::calls_refs(f.calls.as_deref().unwrap_or_default());
            v.references.extend(r.references);
            v.execs.extend(r.execs);
            v.contains = r.contains;
            for text in r.expands {
                let e = DataStore::new().expand_with_refs(&text, None);
                v.references.extend(e.references);
            }
            // A visitor's checks replace the variable's (BitBake assigns them).
            for (k, items) in &f.visited_contains {
                v.contains.insert(k.clone(), items.clone());
            }
            v.execs.extend(f.visited_execs.iter().cloned());
            v.visitor = f.visitor;
            v.references.extend(f.vardeps.iter().cloned());
            for x in &f.vardepsexclude {
                v.references.remove(x);
            }
            v.execs = v
                .execs
                .into_iter()
                .map(|e| {
                    if siblings.contains(e.as_str()) {
                        format!("{}.{e}", m.module)
                    } else {
                        e
                    }
                })
                .collect();
            let text = format!("{}{}", "\n".repeat(f.lineno), f.source);
            v.extra = crate::sig::sha256_hex(text.as_bytes());
            out.insert(format!("{}.{}", m.module, f.name), v);
        }
    }
    out
}
