//! Variable dependency discovery: for one variable or task, the variables its signature
//! depends on and the value string that is hashed, as BitBake's `bb.data.build_dependencies`
//! computes them, and the closure over a recipe's tasks (`generate_dependencies`).
//!
//! It only reads the datastore; it never evaluates shell or Python function bodies.

use std::collections::{BTreeMap, BTreeSet};

use bb_data::DataStore;

use crate::error::{Error, Result};
use crate::shell::shell_execs;

/// What one variable (or task, or `VAR[flag]`) contributes to a signature.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VarDeps {
    /// The variables (and `VAR[flag]` entries) it depends on.
    pub deps: BTreeSet<String>,
    /// The value string hashed for it: the unexpanded value (or `vardepvalue`), followed by
    /// the `\nVAR{item} = Set|Unset` lines of its `bb.utils.contains` checks and the
    /// `\n_remove of X` lines of its matched `:remove`s. `None` only for a `VAR[flag]`
    /// entry whose flag is unset.
    pub value: Option<String>,
    /// The `bb.utils.contains`-style checks: variable -> items checked.
    pub contains: BTreeMap<String, BTreeSet<String>>,
    /// What could not be expanded or parsed on the way (the result is then partial).
    pub problems: Vec<String>,
}

/// Flags whose values `build_dependencies` expands before use (BitBake's list).
const EXPANDED_FLAGS: &[&str] = &[
    "vardeps",
    "vardepvalue",
    "vardepsexclude",
    "exports",
    "postfuncs",
    "prefuncs",
    "lineno",
    "filename",
];

/// The per-recipe inputs shared by every [`Dependencies::build`] call (BitBake's
/// `generate_dependencies` preamble): the variable names, the exported variables, the
/// signature-excluded flags, the ignored variables and the code-parser copy of the
/// datastore (with `BB_HASH_CODEPARSER_VALS` applied).
#[derive(Debug)]
pub struct Dependencies<'d> {
    d: &'d DataStore,
    codeparser: DataStore,
    keys: BTreeSet<String>,
    shelldeps: BTreeSet<String>,
    flags_excluded: BTreeSet<String>,
    ignored: BTreeSet<String>,
    modules: &'static crate::modcode::ModuleCode,
}

fn words(v: Option<String>) -> BTreeSet<String> {
    v.unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

impl<'d> Dependencies<'d> {
    /// Reads the recipe-wide inputs from `d`: `BB_BASEHASH_IGNORE_VARS`,
    /// `BB_SIGNATURE_EXCLUDE_FLAGS`, `BB_HASH_CODEPARSER_VALS` and the `export` flags.
    pub fn new(d: &'d DataStore) -> Result<Dependencies<'d>> {
        let get = |name: &str| {
            d.get_var(name).map_err(|source| Error::Expand {
                var: name.to_owned(),
                source,
            })
        };
        let ignored = words(get("BB_BASEHASH_IGNORE_VARS")?);
        let flags_excluded = words(get("BB_SIGNATURE_EXCLUDE_FLAGS")?);
        let mut codeparser = d.clone();
        for forced in words(get("BB_HASH_CODEPARSER_VALS")?) {
            if let Some((k, v)) = forced.split_once('=') {
                codeparser.set_var(k, v);
            }
        }
        let all = d.keys();
        let mut shelldeps = BTreeSet::new();
        for k in &all {
            let flag = |f: &str| {
                d.get_var_flag(k, f, true).map_err(|source| Error::Expand {
                    var: format!("{k}[{f}]"),
                    source,
                })
            };
            let boolean = |f: &str| {
                bb_util::to_boolean(flag(f)?.as_deref(), false).map_err(|source| Error::Boolean {
                    var: format!("{k}[{f}]"),
                    source,
                })
            };
            if boolean("export")? && !boolean("unexport")? {
                shelldeps.insert(k.clone());
            }
        }
        let modules = crate::modcode::module_code()?;
        let mut keys: BTreeSet<String> = all.into_iter().filter(|k| !k.starts_with("__")).collect();
        keys.extend(modules.keys().cloned());
        Ok(Dependencies {
            d,
            codeparser,
            keys,
            shelldeps,
            flags_excluded,
            ignored,
            modules,
        })
    }

    /// `BB_BASEHASH_IGNORE_VARS`, as read by [`Dependencies::new`].
    pub fn ignored_vars(&self) -> &BTreeSet<String> {
        &self.ignored
    }

    /// The variables a shell function depends on through the environment: every variable
    /// with a true `export` flag and no true `unexport` flag.
    pub fn exported(&self) -> &BTreeSet<String> {
        &self.shelldeps
    }

    /// BitBake's `build_dependencies(key)`: what `key` (a variable, a function, a task or a
    /// `VAR[flag]` entry) depends on and the value hashed for it.
    pub fn build(&self, key: &str) -> Result<VarDeps> {
        let d = self.d;
        let expand_err = |var: String| move |source| Error::Expand { var, source };
        let mut out = VarDeps::default();
        if let Some(m) = self.modules.get(key) {
            // BitBake's update_module_dependencies: the function's `[vardepsexclude]`.
            let excl = words(
                d.get_var_flag(key, "vardepsexclude", true)
                    .map_err(expand_err(format!("{key}[vardepsexclude]")))?,
            );
            out.deps.extend(m.references.difference(&excl).cloned());
            out.deps.extend(
                m.execs
                    .iter()
                    .filter(|e| !excl.contains(*e) && self.keys.contains(*e))
                    .cloned(),
            );
            out.deps.retain(|x| !self.ignored.contains(x));
            out.contains = m.contains.clone();
            out.value =
                Some(self.handle_contains(Some(&m.extra), &m.contains, &BTreeSet::new())?);
            return Ok(out);
        }
        if let Some(inner) = key.strip_suffix(']')
            && let Some((var, flag)) = inner.split_once('[')
        {
            if flag == "vardepvalueexclude" {
                out.value = Some(String::new());
                return Ok(out);
            }
            let value = d
                .get_var_flag(var, flag, false)
                .map_err(expand_err(key.to_owned()))?;
            if let Some(v) = &value {
                let r = d.expand_with_refs(v, Some(key));
                out.deps.extend(r.references);
                out.deps
                    .extend(r.execs.into_iter().filter(|e| self.keys.contains(e)));
                out.problems.extend(r.problems);
            }
            out.deps.retain(|x| !self.ignored.contains(x));
            out.value = value;
            return Ok(out);
        }

        let mut flags: BTreeMap<String, String> = BTreeMap::new();
        for (f, v) in d.get_var_flags(key) {
            // A flag Python code set to `None` holds nothing (BitBake's `vardeps or ""`),
            // not the word "None".
            if d.typed_flag(key, &f)
                .is_some_and(bb_data::TypedValue::is_none)
            {
                flags.insert(f, String::new());
                continue;
            }
            let v = if EXPANDED_FLAGS.contains(&f.as_str()) {
                d.expand(&v).map_err(expand_err(format!("{key}[{f}]")))?
            } else {
                v
            };
            flags.insert(f, v);
        }
        let vardeps = flags.get("vardeps");
        let exclusions: BTreeSet<String> = words(flags.get("vardepsexclude").cloned());
        let truthy = |f: &str| flags.get(f).is_some_and(|v| !v.is_empty());

        let mut value: String;
        if let Some(v) = flags.get("vardepvalue") {
            value = v.clone();
        } else if truthy("func") {
            let raw = self
                .codeparser
                .get_var_opts(key, false, false)
                .map_err(expand_err(key.to_owned()))?;
            if truthy("python") {
                let raw = raw.unwrap_or_default();
                match bb_pyexpr::python_refs(&raw) {
                    Ok(mut r) => {
                        // Our parser skips the bodies of `with`/`class` and decorators, and
                        // knows no visitors: such bodies are listed by the interpreter.
                        let visited = if !self.modules.is_empty()
                            && (raw.contains("with ")
                                || raw.contains("class ")
                                || raw.contains('@')
                                || r.execs
                                    .iter()
                                    .any(|e| self.modules.get(e).is_some_and(|m| m.visitor)))
                        {
                            let v = crate::modcode::visit(&raw)?;
                            if let Some(calls) = &v.calls {
                                r = calls_refs(calls);
                            }
                            r.execs.retain(|e| !v.visited.contains(e));
                            r.execs.extend(v.execs.iter().cloned());
                            Some(v)
                        } else {
                            None
                        };
                        out.deps.extend(r.references);
                        out.deps
                            .extend(r.execs.into_iter().filter(|e| self.keys.contains(e)));
                        merge_contains(&mut out.contains, r.contains);
                        for text in r.expands {
                            // BitBake expands `d.expand("...")` literals in an empty datastore.
                            let e = DataStore::new().expand_with_refs(&text, Some(key));
                            out.deps.extend(e.references);
                            out.deps
                                .extend(e.execs.into_iter().filter(|x| self.keys.contains(x)));
                            merge_contains(&mut out.contains, e.contains);
                        }
                        // A visitor's checks replace the variable's (BitBake assigns them).
                        for (k, items) in visited.iter().flat_map(|v| v.contains.iter()) {
                            out.contains.insert(k.clone(), items.clone());
                        }
                    }
                    Err(e) => out.problems.push(format!("parsing python `{key}`: {e}")),
                }
                value = self.handle_contains(Some(&raw), &out.contains, &exclusions)?;
            } else {
                let raw_text = raw.clone().unwrap_or_default();
                let parsed = self.codeparser.expand_with_refs(&raw_text, Some(key));
                out.problems.extend(parsed.problems.iter().cloned());
                let execs = shell_execs(&parsed.value);
                out.deps.extend(self.shelldeps.iter().cloned());
                out.deps.extend(parsed.references.iter().cloned());
                out.deps
                    .extend(execs.into_iter().filter(|e| self.keys.contains(e)));
                out.deps.extend(
                    parsed
                        .execs
                        .iter()
                        .filter(|e| self.keys.contains(*e))
                        .cloned(),
                );
                merge_contains(&mut out.contains, parsed.contains.clone());
                value = self.handle_contains(raw.as_deref(), &parsed.contains, &exclusions)?;
                let removes = self.codeparser.matched_removes(key, &parsed.value);
                value = self.handle_remove(value, &mut out, removes, &exclusions)?;
            }
            for f in ["prefuncs", "postfuncs", "exports"] {
                if let Some(v) = flags.get(f) {
                    out.deps.extend(v.split_whitespace().map(str::to_owned));
                }
            }
        } else {
            let raw = d
                .get_var_opts(key, false, false)
                .map_err(expand_err(key.to_owned()))?;
            let parsed = raw.as_deref().map(|r| d.expand_with_refs(r, Some(key)));
            let mut removes = Vec::new();
            let mut contains = BTreeMap::new();
            if let Some(p) = parsed {
                out.problems.extend(p.problems);
                out.deps.extend(p.references);
                out.deps
                    .extend(p.execs.into_iter().filter(|e| self.keys.contains(e)));
                removes = d.matched_removes(key, &p.value);
                contains = p.contains;
            }
            merge_contains(&mut out.contains, contains.clone());
            value = self.handle_contains(raw.as_deref(), &contains, &exclusions)?;
            value = self.handle_remove(value, &mut out, removes, &exclusions)?;
        }

        if let Some(excl) = flags.get("vardepvalueexclude") {
            for e in excl.split('|').filter(|e| !e.is_empty()) {
                value = value.replace(e, "");
            }
        }
        if !self.flags_excluded.is_empty() {
            for f in flags.keys() {
                if !self.flags_excluded.contains(f) {
                    out.deps.insert(format!("{key}[{f}]"));
                }
            }
        }
        out.deps.extend(words(vardeps.cloned()));
        out.deps
            .retain(|x| !exclusions.contains(x) && !self.ignored.contains(x));
        out.value = Some(value);
        Ok(out)
    }

    /// BitBake's `handle_contains`: the value followed by one `VAR{item} = Set|Unset` line
    /// per checked item (variables excluded or ignored are skipped).
    fn handle_contains(
        &self,
        value: Option<&str>,
        contains: &BTreeMap<String, BTreeSet<String>>,
        exclusions: &BTreeSet<String>,
    ) -> Result<String> {
        let mut out = value.unwrap_or_default().to_owned();
        for (k, items) in contains {
            if exclusions.contains(k) || self.ignored.contains(k) {
                continue;
            }
            let v = self.d.get_var(k).map_err(|source| Error::Expand {
                var: k.clone(),
                source,
            })?;
            let present: BTreeSet<&str> = v.as_deref().unwrap_or("").split_whitespace().collect();
            for item in items {
                let set = item.split_whitespace().all(|w| present.contains(w));
                out.push_str(&format!(
                    "\n{k}{{{item}}} = {}",
                    if set { "Set" } else { "Unset" }
                ));
            }
        }
        Ok(out)
    }

    /// BitBake's `handle_remove`: one `_remove of X` line per matched remove, whose
    /// references become dependencies.
    fn handle_remove(
        &self,
        mut value: String,
        out: &mut VarDeps,
        mut removes: Vec<String>,
        exclusions: &BTreeSet<String>,
    ) -> Result<String> {
        removes.sort();
        for r in removes {
            let r2 = self.d.expand_with_refs(&r, None);
            value.push_str(&format!("\n_remove of {r}"));
            out.deps.extend(r2.references);
            merge_contains(&mut out.contains, r2.contains.clone());
            value = self.handle_contains(Some(&value), &r2.contains, exclusions)?;
        }
        Ok(value)
    }
}

/// The references of a body from the texts of its calls, each read on its own.
pub(crate) fn calls_refs(calls: &[String]) -> bb_pyexpr::PyRefs {
    let mut out = bb_pyexpr::PyRefs::default();
    for call in calls {
        // A call our parser cannot read adds nothing; BitBake's would.
        let Ok(r) = bb_pyexpr::python_refs(call) else {
            continue;
        };
        out.references.extend(r.references);
        out.execs.extend(r.execs);
        merge_contains(&mut out.contains, r.contains);
        out.expands.extend(r.expands);
    }
    out
}

fn merge_contains(
    into: &mut BTreeMap<String, BTreeSet<String>>,
    from: BTreeMap<String, BTreeSet<String>>,
) {
    for (k, v) in from {
        into.entry(k).or_default().extend(v);
    }
}

/// [`Dependencies::build`] for one key, reading the recipe-wide inputs first (use
/// [`Dependencies`] directly for many keys).
pub fn build_dependencies(d: &DataStore, key: &str) -> Result<VarDeps> {
    Dependencies::new(d)?.build(key)
}
