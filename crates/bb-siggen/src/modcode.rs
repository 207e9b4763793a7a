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
//!
//! Listing costs most of a second of CPU (every call of every function is unparsed), and
//! every task worker of a build needs it: with a file set by [`set_module_code_cache`],
//! the listing is kept there with a key (`listing_key()` in the script: the
//! interpreter's version, the modules listed, the content of every `.py` file under the
//! namespaces' directories, and bake's own build), and a process whose key matches reads
//! it instead of listing again. The modules are imported either way.

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

/// The file the listing is kept in, set once by the embedding process.
static CACHE_FILE: OnceLock<std::path::PathBuf> = OnceLock::new();

/// Why the listing could not be kept in [`CACHE_FILE`] (the listing itself was made).
static CACHE_ERROR: OnceLock<String> = OnceLock::new();

/// The first line of the file the listing is kept in, before its key.
const CACHE_MAGIC: &str = "bake-module-code 1";

/// Makes [`module_code`] keep the listing in `file` and read it from there when its key
/// still holds (see the module documentation). Only the first call counts.
pub fn set_module_code_cache(file: std::path::PathBuf) {
    let _ = CACHE_FILE.set(file);
}

/// Why the listing could not be written to the file given to [`set_module_code_cache`]
/// (`None`: written, read, or never tried).
pub fn module_code_cache_error() -> Option<&'static str> {
    CACHE_ERROR.get().map(String::as_str)
}

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
    // Loads the script as module `_bake_siggen` (once), then calls `call` of it.
    let script = |call: &str| {
        let code = format!(
            "(__import__('sys').modules.get('_bake_siggen') or (lambda m: (exec(compile(\
             d.getVar('__bake_modulecode_py', False), 'bb-siggen/modulecode.py', 'exec'), \
             m.__dict__), __import__('sys').modules.__setitem__('_bake_siggen', m), m)[2])\
             (__import__('types').ModuleType('_bake_siggen'))).{call}()"
        );
        host.eval_expr(&d, &code, None).map_err(failure)
    };
    let cache = match CACHE_FILE.get() {
        Some(file) => Some((
            file,
            format!("{CACHE_MAGIC} {}", cache_key(&script("listing_key")?)),
        )),
        None => None,
    };
    if let Some((file, header)) = &cache
        && let Some(modules) = read_cached(file, header)
    {
        return Ok(MODULES.get_or_init(|| build(&modules)));
    }
    let text = script("listing")?;
    let modules: Vec<PyModule> =
        serde_json::from_str(&text).map_err(|e| Error::ModuleCode(e.to_string()))?;
    if let Some((file, header)) = &cache
        && let Err(e) = file
            .parent()
            .map_or(Ok(()), fs_err::create_dir_all)
            .and_then(|()| bb_util::fs::atomic_write(file, format!("{header}\n{text}").as_bytes()))
    {
        let _ = CACHE_ERROR.set(format!(
            "the listing of the addpylib modules' functions was not kept in `{}`: {e}",
            file.display()
        ));
    }
    Ok(MODULES.get_or_init(|| build(&modules)))
}

/// The key of a kept listing: the script's key of the modules and bake's own build (its
/// script and the Python modules it carries), as the parse cache keys it.
fn cache_key(modules_key: &str) -> String {
    let exe = std::env::current_exe()
        .and_then(fs_err::metadata)
        .map(|m| format!("{}:{:?}", m.len(), m.modified().ok()))
        .unwrap_or_default();
    format!("{} {modules_key} {exe}", env!("CARGO_PKG_VERSION"))
}

/// The listing kept in `file` when its first line is `header` (a missing, older or
/// damaged file is listed again and replaced).
fn read_cached(file: &std::path::Path, header: &str) -> Option<Vec<PyModule>> {
    let text = fs_err::read_to_string(file).ok()?;
    let (first, body) = text.split_once('\n')?;
    if first != header {
        return None;
    }
    serde_json::from_str(body).ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    const LISTING: &str = r#"[{"module": "oe.m", "names": ["f"], "functions": [{"name": "f",
        "source": "def f(d):\n    return d.getVar('A')\n", "lineno": 3, "calls": ["d.getVar('A')"],
        "visited_contains": {}, "visited_execs": [], "visitor": false, "vardeps": [],
        "vardepsexclude": []}]}]"#;

    #[test]
    fn a_kept_listing_is_read_only_under_its_own_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bake-module-code");
        let header = format!("{CACHE_MAGIC} {}", cache_key("abc"));
        assert!(read_cached(&file, &header).is_none(), "no file yet");
        bb_util::fs::atomic_write(&file, format!("{header}\n{LISTING}").as_bytes()).unwrap();
        let modules = read_cached(&file, &header).unwrap();
        let code = build(&modules);
        let f = &code["oe.m.f"];
        assert!(f.references.contains("A"), "{f:?}");
        // Another key (a module file changed, another build of bake): listed again.
        let other = format!("{CACHE_MAGIC} {}", cache_key("abd"));
        assert!(read_cached(&file, &other).is_none());
        // A damaged body is no listing either.
        bb_util::fs::atomic_write(&file, format!("{header}\n[{{").as_bytes()).unwrap();
        assert!(read_cached(&file, &header).is_none());
    }
}
