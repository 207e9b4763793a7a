//! Expansion of `${VAR}` references and `${@ python }` expressions, with BitBake's
//! rounds, verbatim unknown references, recursion detection and error chains.
//!
//! Inline Python goes to `bb_pyexpr`; what it cannot evaluate natively surfaces as
//! [`Error::NeedsPython`], never as a guessed value.

use crate::error::{Error, Result};
use crate::store::DataStore;

/// An exception raised while expanding one string, before it is wrapped with the
/// variable name and expression the way BitBake's `ExpansionError` does.
enum Raised {
    /// Already an expansion error from a deeper variable: only the chain grows.
    Wrapped(Error),
    /// A bare exception (`kind`, `message`) to be wrapped at this level.
    Exception(String, String),
}

/// Whether `b` may appear in a `${NAME}` reference.
fn is_ref_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b'.' | b'/' | b'~' | b':')
}

/// Length of a `${NAME}` reference starting at `s[i..]`, if one starts there.
pub(crate) fn ref_len(s: &[u8], i: usize) -> Option<usize> {
    if s.get(i) != Some(&b'$') || s.get(i + 1) != Some(&b'{') {
        return None;
    }
    let mut j = i + 2;
    while j < s.len() && is_ref_char(s[j]) {
        j += 1;
    }
    if j > i + 2 && s.get(j) == Some(&b'}') {
        Some(j + 1 - i)
    } else {
        None
    }
}

/// The first `$` of `s` at or after byte `i` (a character boundary), or `s.len()`:
/// the scans below jump from one `$` to the next instead of testing every byte.
fn next_dollar(s: &str, i: usize) -> usize {
    s.get(i..)
        .and_then(|t| t.find('$'))
        .map_or(s.len(), |p| i + p)
}

/// Whether `s` holds any `${NAME}` reference.
pub(crate) fn has_var_ref(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = next_dollar(s, 0);
    while i < b.len() {
        if ref_len(b, i).is_some() {
            return true;
        }
        i = next_dollar(s, i + 1);
    }
    false
}

/// Every `${NAME}` reference name in `s`, in order.
pub fn var_refs(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = next_dollar(s, 0);
    while i < b.len() {
        match ref_len(b, i) {
            Some(n) => {
                out.push(&s[i + 2..i + n - 1]);
                i = next_dollar(s, i + n);
            }
            None => i = next_dollar(s, i + 1),
        }
    }
    out
}

/// Length of an inline Python reference `${@...}` starting at `s[i..]`.
///
/// The expression is the shortest run of units (a `{...}` group or any single
/// character, never crossing a newline) followed by `}`; at least one unit.
pub(crate) fn python_len(s: &[u8], i: usize) -> Option<usize> {
    if s.get(i) != Some(&b'$') || s.get(i + 1) != Some(&b'{') || s.get(i + 2) != Some(&b'@') {
        return None;
    }
    let eol = s[i..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(s.len(), |p| i + p);
    let next_close = |from: usize| (from..eol).find(|&k| s[k] == b'}');
    let mut pos = i + 3;
    let mut first = true;
    loop {
        if pos >= eol {
            return None;
        }
        if !first && s[pos] == b'}' {
            return Some(pos + 1 - i);
        }
        first = false;
        if s[pos] == b'{'
            && let Some(q) = next_close(pos + 1)
            && next_close(q + 1).is_some()
        {
            pos = q + 1;
            continue;
        }
        // One character (whole UTF-8 sequence).
        pos += 1;
        while pos < eol && (s[pos] & 0xC0) == 0x80 {
            pos += 1;
        }
    }
}

/// Compiled inline Python, shared by every datastore: metadata repeats the same few
/// thousand expressions across all recipes.
fn compiled(code: &str) -> Result<bb_pyexpr::Expr, bb_pyexpr::EvalError> {
    use rustc_hash::FxHashMap;
    use std::sync::{OnceLock, RwLock};
    type Cache = RwLock<FxHashMap<Box<str>, Result<bb_pyexpr::Expr, bb_pyexpr::EvalError>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| RwLock::new(FxHashMap::default()));
    if let Some(hit) = cache.read().unwrap_or_else(|e| e.into_inner()).get(code) {
        return hit.clone();
    }
    let r = bb_pyexpr::compile(code);
    cache
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(code.into(), r.clone());
    r
}

/// A read of a value that Python code stored as an object: only Python can give the
/// object back.
fn stored_object(name: &str, flag: Option<&str>, t: &crate::TypedValue) -> bb_pyexpr::EvalError {
    let what = match flag {
        Some(f) => format!("{name}[{f}]"),
        None => name.to_owned(),
    };
    bb_pyexpr::EvalError::NeedsPython {
        expr: String::new(),
        reason: format!("{what} holds a `{}` object stored by Python code", t.kind()),
    }
}

/// The read-only view of a datastore that inline Python evaluates against.
pub(crate) struct Ctx<'a> {
    d: &'a DataStore,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(d: &'a DataStore) -> Self {
        Ctx { d }
    }

    fn pass(&self, r: Result<Option<String>>) -> Result<Option<String>, bb_pyexpr::EvalError> {
        r.map_err(|e| {
            self.d.stash_error(e);
            bb_pyexpr::EvalError::Data("datastore error".to_owned())
        })
    }
}

impl bb_pyexpr::Context for Ctx<'_> {
    fn get_var(&self, name: &str, expand: bool) -> Result<Option<String>, bb_pyexpr::EvalError> {
        if let Some(t) = self.d.typed_var(name) {
            return Err(stored_object(name, None, t));
        }
        self.pass(self.d.get_var_opts(name, expand, false))
    }

    fn get_var_flag(
        &self,
        name: &str,
        flag: &str,
        expand: bool,
    ) -> Result<Option<String>, bb_pyexpr::EvalError> {
        if let Some(t) = self.d.typed_flag(name, flag) {
            if t.is_none() {
                return Ok(None);
            }
            return Err(stored_object(name, Some(flag), t));
        }
        self.pass(self.d.get_var_flag(name, flag, expand))
    }

    fn expand(&self, text: &str) -> Result<String, bb_pyexpr::EvalError> {
        self.pass(self.d.expand(text).map(Some))
            .map(Option::unwrap_or_default)
    }

    fn get_var_flags(
        &self,
        name: &str,
    ) -> Result<Option<Vec<(String, String)>>, bb_pyexpr::EvalError> {
        self.d.note_name_read(name);
        if self.d.has_typed_flags(name) {
            return Err(bb_pyexpr::EvalError::NeedsPython {
                expr: String::new(),
                reason: format!(
                    "d.getVarFlags({name:?}): a flag holds an object stored by Python code"
                ),
            });
        }
        Ok(self.d.py_var_flags(name))
    }

    fn has_overrides(&self, name: &str) -> Result<bool, bb_pyexpr::EvalError> {
        self.d.note_name_read(name);
        Ok(self.d.overridedata.contains_key(name))
    }

    fn keys(&self) -> Result<Vec<String>, bb_pyexpr::EvalError> {
        self.d.note_wide_read();
        Ok(self.d.keys())
    }

    fn key_names(&self) -> Result<Vec<std::sync::Arc<str>>, bb_pyexpr::EvalError> {
        self.d.note_wide_read();
        Ok(self.d.key_names())
    }

    fn internal_list(&self, name: &str, flag: Option<&str>) -> Option<Vec<String>> {
        // Most calls ask about an ordinary variable (every `d.getVar`): that answer
        // depends on the name alone and reads nothing.
        if !DataStore::is_internal_list(name, flag) {
            return None;
        }
        self.d.note_name_read(name);
        self.d.internal_list(name, flag)
    }

    fn python_function(&self, name: &str) -> Option<bb_pyexpr::PyFunction> {
        self.d.note_name_read(name);
        self.d.python_function(name)
    }

    fn host_uname(&self) -> Option<[String; 5]> {
        self.d.host_uname()
    }
}

impl DataStore {
    /// `d.getVarFlags(name)` as Python sees it: `None` when there are no flags.
    pub(crate) fn py_var_flags(&self, name: &str) -> Option<Vec<(String, String)>> {
        let flags = self.get_var_flags(name);
        (!flags.is_empty()).then_some(flags)
    }

    /// Whether `name` (or its flag `flag`) is one of the values BitBake keeps as
    /// Python lists (see [`DataStore::internal_list`]).
    fn is_internal_list(name: &str, flag: Option<&str>) -> bool {
        match flag {
            Some(f) => f == "deps",
            None => matches!(
                name,
                "__inherit_cache" | "__BBTASKS" | "__BBANONFUNCS" | "__BBHANDLERS"
            ),
        }
    }

    /// Values BitBake keeps as Python lists, which bake stores as words.
    pub fn internal_list(&self, name: &str, flag: Option<&str>) -> Option<Vec<String>> {
        if !Self::is_internal_list(name, flag) {
            return None;
        }
        let text = match flag {
            Some(f) => self.get_raw_flag(name, f)?,
            None => self.get_raw(name)?,
        };
        Some(bb_util::split_words(&text).map(str::to_owned).collect())
    }

    /// The source of a `def` function stored under `name`, for calls by name.
    pub fn python_function(&self, name: &str) -> Option<bb_pyexpr::PyFunction> {
        let is = |f: &str| {
            self.get_raw_flag(name, f)
                .is_some_and(|v| !v.is_empty() && v != "0")
        };
        if !is("func") || !is("python") {
            return None;
        }
        let source = self.get_var_opts(name, false, false).ok().flatten()?;
        // Only `def` functions are compiled into metadata Python's namespace; a
        // `python NAME () {}` function is only callable once run as a task.
        source.starts_with("def ").then_some(bb_pyexpr::PyFunction {
            source,
            kind: bb_pyexpr::PyFunctionKind::Def,
        })
    }

    /// `d.expand(text)`: expands references and inline Python in `text`.
    pub fn expand(&self, s: &str) -> Result<String> {
        self.expand_tracked(s, None)
    }

    /// Expands `s` as the value of `varname` (used for self-reference checks and error
    /// messages), in BitBake's rounds until nothing changes.
    pub(crate) fn expand_tracked(&self, s: &str, varname: Option<&str>) -> Result<String> {
        if !s.contains("${") {
            return Ok(s.to_owned());
        }
        if let Some(v) = varname {
            self.push_expanding(v)?;
        }
        let r = self.expand_rounds(s, varname);
        if varname.is_some() {
            self.pop_expanding();
        }
        r
    }

    fn expand_rounds(&self, s: &str, varname: Option<&str>) -> Result<String> {
        let mut s = s.to_owned();
        while s.contains("${") {
            let old = s.clone();
            let step = self.sub_vars(&s, varname).and_then(|n| {
                s = n;
                self.sub_python(&s, varname)
            });
            match step {
                Ok(Some(n)) => s = n,
                Ok(None) => {}
                Err(Raised::Wrapped(Error::Expansion {
                    msg,
                    mut chain,
                    kind,
                })) => {
                    if let Some(v) = varname {
                        chain.push(v.to_owned());
                    }
                    return Err(Error::Expansion { msg, chain, kind });
                }
                Err(Raised::Wrapped(e)) => return Err(e),
                Err(Raised::Exception(kind, message)) => {
                    let msg = match varname {
                        Some(v) => format!(
                            "Failure expanding variable {v}, expression was {s} which triggered exception {kind}: {message}"
                        ),
                        None => format!(
                            "Failure expanding expression {s} which triggered exception {kind}: {message}"
                        ),
                    };
                    let first = varname.map_or_else(|| s.clone(), str::to_owned);
                    return Err(Error::Expansion {
                        msg,
                        chain: vec![first],
                        kind,
                    });
                }
            }
            if s == old {
                break;
            }
        }
        Ok(s)
    }

    fn sub_vars(&self, s: &str, varname: Option<&str>) -> Result<String, Raised> {
        let b = s.as_bytes();
        let mut out = String::with_capacity(s.len());
        let mut last = 0;
        let mut i = 0;
        while i < b.len() {
            i = next_dollar(s, i);
            let Some(n) = ref_len(b, i) else {
                i += 1;
                continue;
            };
            let key = &s[i + 2..i + n - 1];
            if varname == Some(key) {
                return Err(Raised::Exception(
                    "Exception".to_owned(),
                    format!("variable {key} references itself!"),
                ));
            }
            out.push_str(&s[last..i]);
            match self.get_var(key) {
                Ok(Some(v)) => out.push_str(&v),
                Ok(None) => out.push_str(&s[i..i + n]),
                Err(Error::Expansion { msg, chain, kind }) if chain.is_empty() => {
                    return Err(Raised::Exception(kind, msg));
                }
                Err(e) => return Err(Raised::Wrapped(e)),
            }
            i += n;
            last = i;
        }
        out.push_str(&s[last..]);
        Ok(out)
    }

    /// One pass of inline Python; `Ok(None)` when the pass was abandoned because of an
    /// unterminated string literal (BitBake then keeps the text as it is).
    fn sub_python(&self, s: &str, varname: Option<&str>) -> Result<Option<String>, Raised> {
        let b = s.as_bytes();
        let mut out = String::with_capacity(s.len());
        let mut last = 0;
        let mut i = 0;
        let mut any = false;
        while i < b.len() {
            i = next_dollar(s, i);
            let Some(n) = python_len(b, i) else {
                i += 1;
                continue;
            };
            let code = &s[i + 3..i + n - 1];
            out.push_str(&s[last..i]);
            if has_var_ref(code) {
                out.push_str(&s[i..i + n]);
            } else {
                any = true;
                match self.eval_python(code.trim(), varname) {
                    Ok(v) => out.push_str(&v),
                    Err(None) => return Ok(None),
                    Err(Some(r)) => return Err(r),
                }
            }
            i += n;
            last = i;
        }
        if !any {
            return Ok(Some(s.to_owned()));
        }
        out.push_str(&s[last..]);
        Ok(Some(out))
    }

    /// Evaluates one Python expression against this datastore (for anonymous
    /// functions); errors are wrapped as expansion errors.
    pub(crate) fn eval_python_expr(&self, code: &str) -> Result<String> {
        match self.eval_python(code.trim(), None) {
            Ok(v) => Ok(v),
            Err(None) => Err(Error::Expansion {
                msg: format!("unterminated string literal in `{code}`"),
                chain: vec![code.to_owned()],
                kind: "SyntaxError".to_owned(),
            }),
            Err(Some(Raised::Wrapped(e))) => Err(e),
            Err(Some(Raised::Exception(kind, message))) => Err(Error::Expansion {
                msg: format!(
                    "Failure expanding expression {code} which triggered exception {kind}: {message}"
                ),
                chain: vec![code.to_owned()],
                kind,
            }),
        }
    }

    /// Evaluates Python expression `code` natively as the value of a datastore write
    /// (`Some(text)` for a `str`, `None` for Python's `None`). Anything else, a value
    /// that is not a string included, is [`Error::NeedsPython`]: the caller hands the
    /// whole function to CPython, which keeps such values as objects.
    pub(crate) fn eval_python_stored(&self, code: &str) -> Result<Option<String>> {
        let ctx = Ctx { d: self };
        compiled(code.trim())
            .and_then(|e| e.eval_stored(&ctx))
            .map_err(|e| Error::NeedsPython {
                var: String::new(),
                expr: code.to_owned(),
                reason: e.to_string(),
            })
    }

    fn eval_python(&self, code: &str, varname: Option<&str>) -> Result<String, Option<Raised>> {
        use bb_pyexpr::EvalError as E;
        let ctx = Ctx { d: self };
        let r = compiled(code).and_then(|e| e.eval(&ctx));
        let r = match r {
            // What the native evaluator cannot run (or whose grammar it does not know)
            // goes to the embedded interpreter, when there is one.
            Err(
                E::NeedsPython { .. }
                | E::Syntax {
                    unterminated_string: false,
                    ..
                },
            ) if crate::python::python_host().is_some() => {
                return self.eval_cpython(code, varname);
            }
            // A name the native evaluator does not know may be one only CPython knows
            // (a module added with `addpylib`): CPython decides.
            Err(E::Exception { kind, .. })
                if kind == "NameError" && crate::python::python_host().is_some() =>
            {
                return self.eval_cpython(code, varname);
            }
            Err(E::Data(msg)) if crate::python::python_host().is_some() => {
                match self.take_stashed() {
                    Some(Error::NeedsPython { .. }) => return self.eval_cpython(code, varname),
                    Some(e) => {
                        self.stash_error(e);
                        Err(E::Data(msg))
                    }
                    None => Err(E::Data(msg)),
                }
            }
            r => r,
        };
        match r {
            Ok(v) => Ok(v),
            Err(E::Syntax {
                unterminated_string: true,
                ..
            }) => Err(None),
            Err(E::Syntax { message, .. }) => {
                // Python's str() of a SyntaxError names the pseudo-file BitBake compiles in.
                let file =
                    varname.map_or_else(|| "<expansion>".to_owned(), |v| format!("Var <{v}>"));
                Err(Some(Raised::Exception(
                    "SyntaxError".to_owned(),
                    format!("{message} ({file}, line 1)"),
                )))
            }
            Err(E::Exception { kind, message }) => Err(Some(Raised::Exception(kind, message))),
            Err(E::NeedsPython { expr, reason }) => {
                Err(Some(Raised::Wrapped(Error::NeedsPython {
                    var: varname.unwrap_or("<expansion>").to_owned(),
                    expr,
                    reason,
                })))
            }
            Err(E::Data(msg)) => match self.take_stashed() {
                Some(e) => Err(Some(Raised::Wrapped(e))),
                None => Err(Some(Raised::Exception("Exception".to_owned(), msg))),
            },
        }
    }
}

impl DataStore {
    /// Evaluates `code` with the embedded interpreter. What it reads is not tracked one
    /// name at a time, so the expansion under way counts as reading everything.
    fn eval_cpython(&self, code: &str, varname: Option<&str>) -> Result<String, Option<Raised>> {
        let Some(host) = crate::python::python_host() else {
            return Err(Some(Raised::Exception(
                "Exception".to_owned(),
                "no Python interpreter".to_owned(),
            )));
        };
        self.note_wide_read();
        match host.eval_expr(self, code, varname) {
            Ok(v) => Ok(v),
            Err(crate::python::PyFailure::Exception { kind, message, .. }) => {
                Err(Some(Raised::Exception(kind, message)))
            }
            Err(crate::python::PyFailure::Data(e)) => Err(Some(Raised::Wrapped(e))),
        }
    }
}

#[cfg(test)]
mod tests;
