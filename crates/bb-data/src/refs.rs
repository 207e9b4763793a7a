//! Expansion that also reports what it referenced, as BitBake's `expandWithRefs` does for
//! signatures: the `${NAME}` references met in every expansion round, and the variables,
//! calls and `bb.utils.contains` checks of the inline Python it evaluated. Also which
//! `:remove` operations of a variable matched its value.
//!
//! It only reads the datastore (through the same reads as [`DataStore::expand`]) and never
//! fails: what cannot be expanded stays verbatim and is listed in [`ExpandRefs::problems`].

use std::collections::{BTreeMap, BTreeSet};

use crate::expand::{has_var_ref, python_len, ref_len};
use crate::store::DataStore;

/// The result of [`DataStore::expand_with_refs`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpandRefs {
    /// The expanded text (what [`DataStore::expand`] returns, unless a problem occurred).
    pub value: String,
    /// Every `${NAME}` met while expanding (set or not), plus the variables inline Python
    /// reads by literal name (`X[f]` for flags).
    pub references: BTreeSet<String>,
    /// Names called by inline Python (see [`bb_pyexpr::PyRefs::execs`]).
    pub execs: BTreeSet<String>,
    /// `bb.utils.contains`-style checks of inline Python: variable -> items checked.
    pub contains: BTreeMap<String, BTreeSet<String>>,
    /// What could not be expanded or parsed (the text stayed verbatim), one message each.
    pub problems: Vec<String>,
}

impl ExpandRefs {
    fn add_py(&mut self, refs: bb_pyexpr::PyRefs, varname: Option<&str>) {
        self.references.extend(refs.references);
        self.execs.extend(refs.execs);
        for (k, v) in refs.contains {
            self.contains.entry(k).or_default().extend(v);
        }
        // BitBake expands `d.expand("...")` literals against an empty datastore.
        for text in refs.expands {
            let inner = DataStore::new().expand_with_refs(&text, varname);
            self.references.extend(inner.references);
            self.execs.extend(inner.execs);
            for (k, v) in inner.contains {
                self.contains.entry(k).or_default().extend(v);
            }
        }
    }
}

impl DataStore {
    /// Expands `s` (as the value of `varname`, for self-reference checks) and reports what
    /// the expansion referenced, round by round as BitBake's `expandWithRefs`: a `${NAME}`
    /// is a reference whether or not NAME is set; inline Python without `${` inside is
    /// parsed for its references and evaluated.
    ///
    /// ```
    /// let mut d = bb_data::DataStore::new();
    /// d.set_var("A", "${B}");
    /// d.set_var("B", "b");
    /// let r = d.expand_with_refs("${A} ${@d.getVar('C') or 'x'} ${UNSET}", None);
    /// assert_eq!(r.value, "b x ${UNSET}");
    /// assert_eq!(r.references.into_iter().collect::<Vec<_>>(), ["A", "C", "UNSET"]);
    /// ```
    pub fn expand_with_refs(&self, s: &str, varname: Option<&str>) -> ExpandRefs {
        let mut out = ExpandRefs::default();
        let mut s = s.to_owned();
        while s.contains("${") {
            let old = s.clone();
            match self.refs_sub_vars(&s, varname, &mut out) {
                Some(n) => s = n,
                None => break,
            }
            s = self.refs_sub_python(&s, varname, &mut out);
            if s == old {
                break;
            }
        }
        out.value = s;
        out
    }

    /// One round of `${NAME}` substitution; `None` on a self-reference (reported).
    fn refs_sub_vars(
        &self,
        s: &str,
        varname: Option<&str>,
        out: &mut ExpandRefs,
    ) -> Option<String> {
        let b = s.as_bytes();
        let mut text = String::with_capacity(s.len());
        let mut last = 0;
        let mut i = 0;
        while i < b.len() {
            let Some(n) = ref_len(b, i) else {
                i += 1;
                continue;
            };
            let key = &s[i + 2..i + n - 1];
            if varname == Some(key) {
                out.problems
                    .push(format!("variable `{key}` references itself"));
                return None;
            }
            out.references.insert(key.to_owned());
            text.push_str(&s[last..i]);
            match self.get_var(key) {
                Ok(Some(v)) => text.push_str(&v),
                Ok(None) => text.push_str(&s[i..i + n]),
                Err(e) => {
                    out.problems.push(format!("expanding `{key}`: {e}"));
                    text.push_str(&s[i..i + n]);
                }
            }
            i += n;
            last = i;
        }
        text.push_str(&s[last..]);
        Some(text)
    }

    /// One round of inline Python: parsed for references, then evaluated.
    fn refs_sub_python(&self, s: &str, varname: Option<&str>, out: &mut ExpandRefs) -> String {
        let b = s.as_bytes();
        let mut text = String::with_capacity(s.len());
        let mut last = 0;
        let mut i = 0;
        while i < b.len() {
            let Some(n) = python_len(b, i) else {
                i += 1;
                continue;
            };
            let code = &s[i + 3..i + n - 1];
            text.push_str(&s[last..i]);
            if has_var_ref(code) {
                text.push_str(&s[i..i + n]);
            } else {
                match bb_pyexpr::python_refs(code) {
                    Ok(r) => out.add_py(r, varname),
                    Err(e) => out.problems.push(format!("parsing `{code}`: {e}")),
                }
                match self.eval_python_expr(code) {
                    Ok(v) => text.push_str(&v),
                    Err(e) => {
                        out.problems.push(format!("evaluating `{code}`: {e}"));
                        text.push_str(&s[i..i + n]);
                    }
                }
            }
            i += n;
            last = i;
        }
        text.push_str(&s[last..]);
        text
    }

    /// The `:remove` operations of `name` (unconditional or with active overrides) that
    /// remove at least one word of `expanded`, the variable's value before removal, in the
    /// order they were queued. Removes carried up from a picked conditional variant
    /// (`A:o:remove`) are not included.
    pub fn matched_removes(&self, name: &str, expanded: &str) -> Vec<String> {
        let Some(v) = self.var(name) else {
            return Vec::new();
        };
        if v.removes.is_empty() || expanded.is_empty() {
            return Vec::new();
        }
        let ovr = self.overrides();
        let words: Vec<&str> = bb_util::split_words(expanded).collect();
        let mut out: Vec<String> = Vec::new();
        for op in &v.removes {
            if !ovr.cond_holds(&op.cond) || out.contains(&op.value) {
                continue;
            }
            let removed = self.expand(&op.value).unwrap_or_else(|_| op.value.clone());
            if bb_util::split_words(&removed).any(|r| words.contains(&r)) {
                out.push(op.value.clone());
            }
        }
        out
    }
}
