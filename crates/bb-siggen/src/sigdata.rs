//! Sig data files: what one task's signature was computed from, written in BitBake's
//! format (zstd-compressed JSON, sorted keys, sets as `{"_set_object": [...]}`) so that
//! `bitbake-dumpsig` and `bitbake-diffsigs` read them, and the two readers of such files:
//! [`dump`] (like `bitbake-dumpsig`) and [`compare`] (like `bitbake-diffsigs`, same
//! sentences and order). The plain JSON that older bakes wrote is still read.
//!
//! Writes go to a temporary name in the target directory, then a rename.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sig::{TaskSig, calc_basehash, clean_checksum_path, taskhash, taskhash_ordered};

/// The contents of a sig data file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigData {
    /// The task (`do_compile`).
    pub task: String,
    /// `BB_BASEHASH_IGNORE_VARS`.
    pub basehash_ignore_vars: BTreeSet<String>,
    /// `BB_TASKHASH_IGNORE_TASKS`.
    pub taskhash_ignore_tasks: Option<String>,
    /// The task's dependency closure.
    pub taskdeps: BTreeSet<String>,
    /// The base hash.
    pub basehash: String,
    /// Direct dependencies of the task and of each entry of `taskdeps`.
    pub gendeps: BTreeMap<String, BTreeSet<String>>,
    /// The hashed value of the task and of each entry of `taskdeps`.
    pub varvals: BTreeMap<String, Option<String>>,
    /// `bb.utils.contains` checks: variable -> items (not written: BitBake's files have
    /// them in `varvals` only).
    #[serde(default, skip_serializing)]
    pub contains: BTreeMap<String, BTreeSet<String>>,
    /// The dependency tasks mixed into the task hash, sorted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtaskdeps: Option<Vec<String>>,
    /// The files whose checksums were mixed in: (name, checksum), sorted, each named as
    /// BitBake names it (`./` and the part after `/./`, else the base name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_checksum_values: Option<Vec<(String, String)>>,
    /// Hash of each dependency task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtaskhashes: Option<BTreeMap<String, String>>,
    /// The task hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taskhash: Option<String>,
    /// Taint of a forced run (`nostamp:<uuid>` for nostamp tasks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taint: Option<String>,
    /// The unihash the task ran with (BitBake writes it with the task hash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unihash: Option<String>,
}

impl SigData {
    /// The base part of a task's sig data (what `bitbake -S none` writes): as BitBake's
    /// `dump_sigtask`, `gendeps` of the dependency closure only (not of the task itself),
    /// `varvals` of the task and its closure, ignored variables left out of both.
    pub fn from_task(sig: &TaskSig) -> SigData {
        let kept = |k: &String| sig.taskdeps.contains(k) && !sig.basehash_ignore_vars.contains(k);
        SigData {
            task: sig.task.clone(),
            basehash_ignore_vars: sig.basehash_ignore_vars.clone(),
            taskhash_ignore_tasks: sig.taskhash_ignore_tasks.clone(),
            taskdeps: sig.taskdeps.clone(),
            basehash: sig.basehash.clone(),
            gendeps: (sig.gendeps.iter())
                .filter(|(k, _)| kept(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            varvals: (sig.varvals.iter())
                .filter(|(k, _)| **k == sig.task || kept(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            contains: sig.contains.clone(),
            runtaskdeps: None,
            file_checksum_values: None,
            runtaskhashes: None,
            taskhash: None,
            taint: None,
            unihash: None,
        }
    }

    /// Adds the task hash inputs (as given to [`taskhash`]) and the resulting task hash.
    pub fn set_runtime(
        &mut self,
        dep_taskhashes: &[(&str, &str)],
        file_checksums: &[(String, String)],
        taint: Option<&str>,
    ) {
        let mut deps: Vec<String> = dep_taskhashes
            .iter()
            .map(|(t, _)| (*t).to_owned())
            .collect();
        deps.sort();
        self.runtaskdeps = Some(deps);
        self.runtaskhashes = Some(
            dep_taskhashes
                .iter()
                .map(|(t, h)| ((*t).to_owned(), (*h).to_owned()))
                .collect(),
        );
        let mut files = file_checksums.to_vec();
        files.sort_by(|a, b| a.1.cmp(&b.1));
        files.sort_by_key(|f| clean_checksum_path(&f.0));
        self.file_checksum_values = Some(
            files
                .into_iter()
                .map(|(f, cs)| (clean_checksum_path(&f), cs))
                .collect(),
        );
        self.taint = taint.map(str::to_owned);
        self.taskhash = Some(taskhash(
            &self.basehash,
            dep_taskhashes,
            file_checksums,
            taint,
        ));
    }

    /// The base hash recomputed from `varvals` and `taskdeps`.
    pub fn computed_basehash(&self) -> String {
        calc_basehash(&self.task, &self.taskdeps, &self.varvals)
    }

    /// The task hash recomputed from the stored inputs, when there are any.
    pub fn computed_taskhash(&self) -> Option<String> {
        let hashes = self.runtaskhashes.as_ref()?;
        let order: Vec<&String> = match &self.runtaskdeps {
            Some(deps) => deps.iter().collect(),
            None => hashes.keys().collect(),
        };
        Some(taskhash_ordered(
            &self.basehash,
            order
                .into_iter()
                .map(|d| hashes.get(d).map_or("", String::as_str)),
            self.file_checksum_values
                .iter()
                .flatten()
                .map(|(f, cs)| (f.as_str(), cs.as_str())),
            self.taint.as_deref(),
        ))
    }
}

/// The fields BitBake writes as Python sets (`{"_set_object": [sorted items]}`).
const SET_FIELDS: &[&str] = &["basehash_ignore_vars", "taskdeps"];

/// Writes `data` to `path` as BitBake does (`SignatureGeneratorBasic.dump_sigtask`):
/// compact JSON with sorted keys and BitBake's set encoding, zstd-compressed, through a
/// temporary file in the same directory that is then renamed.
pub fn write_sigdata(path: &Path, data: &SigData) -> Result<()> {
    let json_err = |source| Error::Json {
        path: path.to_owned(),
        source,
    };
    let mut v = serde_json::to_value(data).map_err(json_err)?;
    let set_object = |items: &mut serde_json::Value| {
        let list = items.take();
        *items = serde_json::json!({ "_set_object": list });
    };
    for f in SET_FIELDS {
        if let Some(items) = v.get_mut(*f) {
            set_object(items);
        }
    }
    if let Some(gendeps) = v.get_mut("gendeps").and_then(|g| g.as_object_mut()) {
        gendeps.values_mut().for_each(set_object);
    }
    let text = serde_json::to_vec(&v).map_err(json_err)?;
    let packed = zstd::encode_all(text.as_slice(), 0)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    bb_util::fs::atomic_write(path, &packed)?;
    Ok(())
}

/// Reads a file written by [`write_sigdata`], or one BitBake wrote (zstd-compressed JSON
/// whose sets are `{"_set_object": [...]}` and whose values may be numbers or booleans,
/// read as Python's `str()` of them).
pub fn read_sigdata(path: &Path) -> Result<SigData> {
    let bytes = fs_err::read(path)?;
    let json_err = |source| Error::Json {
        path: path.to_owned(),
        source,
    };
    if !bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return serde_json::from_slice(&bytes).map_err(json_err);
    }
    let text = zstd::decode_all(bytes.as_slice())
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let mut v: serde_json::Value = serde_json::from_slice(&text).map_err(json_err)?;
    from_bitbake(&mut v);
    if let Some(vals) = v.get_mut("varvals").and_then(|x| x.as_object_mut()) {
        for val in vals.values_mut() {
            let s = match &*val {
                serde_json::Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_owned()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
            if let Some(s) = s {
                *val = serde_json::Value::String(s);
            }
        }
    }
    serde_json::from_value(v).map_err(json_err)
}

/// BitBake's set encoding (`{"_set_object": [...]}`) as plain lists, everywhere in `v`.
fn from_bitbake(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            if map.len() == 1
                && let Some(list) = map.get_mut("_set_object")
            {
                let list = list.take();
                *v = list;
                return;
            }
            map.values_mut().for_each(from_bitbake);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(from_bitbake),
        _ => {}
    }
}

/// Python's `repr` of a sorted list of strings.
fn list_repr<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    let v: Vec<String> = items.into_iter().map(|s| bb_util::py_repr(s)).collect();
    format!("[{}]", v.join(", "))
}

/// Python's `repr` of a set of strings (sorted here; Python's order is arbitrary).
fn set_repr(items: &BTreeSet<String>) -> String {
    if items.is_empty() {
        return "set()".to_owned();
    }
    let v: Vec<String> = items.iter().map(|s| bb_util::py_repr(s)).collect();
    format!("{{{}}}", v.join(", "))
}

fn opt_str(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("None")
}

/// The readable text of a sig data set, one line per fact, like `bitbake-dumpsig`.
pub fn dump(a: &SigData) -> String {
    let mut out: Vec<String> = Vec::new();
    out.push(format!(
        "basehash_ignore_vars: {}",
        list_repr(&a.basehash_ignore_vars)
    ));
    out.push(format!(
        "taskhash_ignore_tasks: {}",
        list_repr(a.taskhash_ignore_tasks.iter())
    ));
    out.push(format!("Task dependencies: {}", list_repr(&a.taskdeps)));
    out.push(format!("basehash: {}", a.basehash));
    for (dep, deps) in &a.gendeps {
        out.push(format!(
            "List of dependencies for variable {dep} is {}",
            list_repr(deps)
        ));
    }
    for (dep, val) in &a.varvals {
        out.push(format!("Variable {dep} value is {}", opt_str(val)));
    }
    if let Some(r) = &a.runtaskdeps {
        out.push(format!("Tasks this task depends on: {}", list_repr(r)));
    }
    if let Some(files) = &a.file_checksum_values {
        let v: Vec<String> = files
            .iter()
            .map(|(f, c)| format!("[{}, {}]", bb_util::py_repr(f), bb_util::py_repr(c)))
            .collect();
        out.push(format!(
            "This task depends on the checksums of files: [{}]",
            v.join(", ")
        ));
    }
    if let Some(h) = &a.runtaskhashes {
        for (dep, hash) in h {
            out.push(format!("Hash for dependent task {dep} is {hash}"));
        }
    }
    if let Some(t) = &a.taint {
        out.push(format!(
            "Tainted (by forced/invalidated task): {}",
            t.replacen("nostamp:", "nostamp(uuid4):", 1)
        ));
    }
    out.push(format!(
        "Computed base hash is {} and from file {}",
        a.computed_basehash(),
        a.basehash
    ));
    match a.computed_taskhash() {
        Some(h) => out.push(format!("Computed task hash is {h}")),
        None => out.push("Unable to compute task hash".to_owned()),
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

/// BitBake's `simplediff.diff`: the longest common run, recursively.
fn simplediff<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<(char, Vec<&'a str>)> {
    let mut index: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, v) in old.iter().enumerate() {
        index.entry(v).or_default().push(i);
    }
    let mut overlap: BTreeMap<usize, usize> = BTreeMap::new();
    let (mut so, mut sn, mut len) = (0usize, 0usize, 0usize);
    for (inew, v) in new.iter().enumerate() {
        let mut next = BTreeMap::new();
        for &iold in index.get(v).map(Vec::as_slice).unwrap_or_default() {
            let prev = if iold == 0 {
                0
            } else {
                overlap.get(&(iold - 1)).copied().unwrap_or(0)
            };
            let l = prev + 1;
            next.insert(iold, l);
            if l > len {
                len = l;
                so = iold + 1 - l;
                sn = inew + 1 - l;
            }
        }
        overlap = next;
    }
    if len == 0 {
        let mut out = Vec::new();
        if !old.is_empty() {
            out.push(('-', old.to_vec()));
        }
        if !new.is_empty() {
            out.push(('+', new.to_vec()));
        }
        return out;
    }
    let mut out = simplediff(&old[..so], &new[..sn]);
    out.push(('=', new[sn..sn + len].to_vec()));
    out.extend(simplediff(&old[so + len..], &new[sn + len..]));
    out
}

/// BitBake's `worddiff_str`: `[-removed-]` and `{+added+}` words.
fn worddiff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.split(' ').collect();
    let b: Vec<&str> = new.split(' ').collect();
    let parts: Vec<String> = simplediff(&a, &b)
        .into_iter()
        .map(|(c, v)| {
            let v = v.join(" ");
            match c {
                '+' => format!("{{+{v}+}}"),
                '-' => format!("[-{v}-]"),
                _ => v,
            }
        })
        .collect();
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let note = if old != new && norm(old) == norm(new) {
        " (whitespace changed)"
    } else {
        ""
    };
    format!("\"{}\"{note}", parts.join(" "))
}

/// A line diff of two multi-line values: each line prefixed by ` `, `-` or `+` (the whole
/// text, without the hunk headers of Python's `difflib.unified_diff`).
fn linediff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut out = Vec::new();
    for (c, lines) in simplediff(&a, &b) {
        let prefix = if c == '=' { ' ' } else { c };
        for l in lines {
            out.push(format!("{prefix}{l}"));
        }
    }
    out.join("\n")
}

/// BitBake's `list_inline_diff`.
fn list_inline_diff(old: &[String], new: &[String]) -> String {
    let a: Vec<&str> = old.iter().map(String::as_str).collect();
    let b: Vec<&str> = new.iter().map(String::as_str).collect();
    let parts: Vec<String> = simplediff(&a, &b)
        .into_iter()
        .map(|(c, v)| {
            let v = v.join(" ");
            match c {
                '+' => format!("+{v}"),
                '-' => format!("-{v}"),
                _ => format!("'{v}'"),
            }
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// Changed, added and removed keys of two maps (`ignored` keys never count as changed).
fn dict_diff<V: PartialEq>(
    a: &BTreeMap<String, V>,
    b: &BTreeMap<String, V>,
    ignored: &BTreeSet<String>,
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let changed = a
        .iter()
        .filter(|(k, v)| b.get(*k).is_some_and(|bv| bv != *v) && !ignored.contains(*k))
        .map(|(k, _)| k.clone())
        .collect();
    let added = b.keys().filter(|k| !a.contains_key(*k)).cloned().collect();
    let removed = a.keys().filter(|k| !b.contains_key(*k)).cloned().collect();
    (changed, added, removed)
}

/// Why two sig data sets of a task differ, one explanation per entry, in the words and
/// order of `bitbake-diffsigs`; empty when nothing differs.
pub fn compare(a: &SigData, b: &SigData) -> Vec<String> {
    let mut out = Vec::new();
    if a.basehash_ignore_vars != b.basehash_ignore_vars {
        out.push(format!(
            "basehash_ignore_vars changed from '{}' to '{}'",
            set_repr(&a.basehash_ignore_vars),
            set_repr(&b.basehash_ignore_vars)
        ));
        if !a.basehash_ignore_vars.is_empty() && !b.basehash_ignore_vars.is_empty() {
            let sym: BTreeSet<String> = a
                .basehash_ignore_vars
                .symmetric_difference(&b.basehash_ignore_vars)
                .cloned()
                .collect();
            out.push(format!("changed items: {}", set_repr(&sym)));
        }
    }
    if a.taskhash_ignore_tasks != b.taskhash_ignore_tasks {
        out.push(format!(
            "taskhash_ignore_tasks changed from '{}' to '{}'",
            opt_str(&a.taskhash_ignore_tasks),
            opt_str(&b.taskhash_ignore_tasks)
        ));
    }
    if a.taskdeps != b.taskdeps {
        out.push(format!(
            "Task dependencies changed from:\n{}\nto:\n{}",
            list_repr(&a.taskdeps),
            list_repr(&b.taskdeps)
        ));
    }
    if a.basehash != b.basehash {
        out.push(format!(
            "basehash changed from {} to {}",
            a.basehash, b.basehash
        ));
    }
    let both_ignored: BTreeSet<String> = a
        .basehash_ignore_vars
        .intersection(&b.basehash_ignore_vars)
        .cloned()
        .collect();
    let (changed, added, removed) = dict_diff(&a.gendeps, &b.gendeps, &both_ignored);
    for dep in changed {
        let (x, y) = (&a.gendeps[&dep], &b.gendeps[&dep]);
        out.push(format!(
            "List of dependencies for variable {dep} changed from '{}' to '{}'",
            set_repr(x),
            set_repr(y)
        ));
        if !x.is_empty() && !y.is_empty() {
            let sym: BTreeSet<String> = x.symmetric_difference(y).cloned().collect();
            out.push(format!("changed items: {}", set_repr(&sym)));
        }
    }
    for dep in added {
        out.push(format!("Dependency on variable {dep} was added"));
    }
    for dep in removed {
        out.push(format!("Dependency on Variable {dep} was removed"));
    }
    let (changed, _, _) = dict_diff(&a.varvals, &b.varvals, &BTreeSet::new());
    for dep in changed {
        let (old, new) = (&a.varvals[&dep], &b.varvals[&dep]);
        match (old.as_deref(), new.as_deref()) {
            (Some(o), Some(n))
                if !o.is_empty() && !n.is_empty() && (o.contains('\n') || n.contains('\n')) =>
            {
                out.push(format!("Variable {dep} value changed:\n{}", linediff(o, n)));
            }
            (Some(o), Some(n))
                if !o.is_empty() && !n.is_empty() && (o.contains(' ') || n.contains(' ')) =>
            {
                out.push(format!("Variable {dep} value changed:\n{}", worddiff(o, n)));
            }
            _ => out.push(format!(
                "Variable {dep} value changed from '{}' to '{}'",
                opt_str(old),
                opt_str(new)
            )),
        }
    }
    file_checksum_changes(a, b, &mut out);
    runtask_changes(a, b, &mut out);
    if a.taint != b.taint {
        let show = |t: &Option<String>| {
            t.as_deref().map_or_else(
                || "None".to_owned(),
                |t| t.replacen("nostamp:", "nostamp(uuid4):", 1),
            )
        };
        out.push(format!(
            "Taint (by forced/invalidated task) changed from {} to {}",
            show(&a.taint),
            show(&b.taint)
        ));
    }
    out
}

/// BitBake's `file_checksums_diff` sentences.
fn file_checksum_changes(a: &SigData, b: &SigData, out: &mut Vec<String>) {
    let fa = a.file_checksum_values.clone().unwrap_or_default();
    let fb = b.file_checksum_values.clone().unwrap_or_default();
    let count =
        |list: &[(String, String)], x: &(String, String)| list.iter().filter(|y| *y == x).count();
    let mut added: Vec<(String, String)> = Vec::new();
    {
        let mut budget: BTreeMap<&(String, String), isize> = BTreeMap::new();
        for x in &fb {
            budget.insert(x, count(&fb, x) as isize - count(&fa, x) as isize);
        }
        for x in &fb {
            if let Some(n) = budget.get_mut(x)
                && *n > 0
            {
                *n -= 1;
                added.push(x.clone());
            }
        }
    }
    let mut removed = Vec::new();
    let mut changed = Vec::new();
    let mut budget: BTreeMap<&(String, String), isize> = BTreeMap::new();
    for x in &fa {
        budget.insert(x, count(&fa, x) as isize - count(&fb, x) as isize);
    }
    for x in &fa {
        if let Some(n) = budget.get_mut(x)
            && *n > 0
        {
            *n -= 1;
            if let Some(p) = added.iter().position(|y| y.0 == x.0) {
                let y = added.remove(p);
                changed.push((x.0.clone(), x.1.clone(), y.1));
            } else {
                removed.push(x.0.clone());
            }
        }
    }
    for (f, old, new) in changed {
        out.push(format!("Checksum for file {f} changed from {old} to {new}"));
    }
    for (f, _) in added {
        out.push(format!("Dependency on checksum of file {f} was added"));
    }
    for f in removed {
        out.push(format!("Dependency on checksum of file {f} was removed"));
    }
}

/// The `runtaskdeps` and `runtaskhashes` sentences.
fn runtask_changes(a: &SigData, b: &SigData, out: &mut Vec<String>) {
    let ra = a.runtaskdeps.clone().unwrap_or_default();
    let rb = b.runtaskdeps.clone().unwrap_or_default();
    let ha = a.runtaskhashes.clone().unwrap_or_default();
    let hb = b.runtaskhashes.clone().unwrap_or_default();
    let mut changed: Vec<String> = Vec::new();
    if ra.len() != rb.len() {
        changed.push("Number of task dependencies changed".to_owned());
    } else {
        for (x, y) in ra.iter().zip(&rb) {
            let (hx, hy) = (ha.get(x), hb.get(y));
            if hx != hy {
                let mut s = String::new();
                let _ = write!(
                    s,
                    "{x} with hash {}\n changed to\n{y} with hash {}",
                    hx.map_or("None", String::as_str),
                    hy.map_or("None", String::as_str)
                );
                changed.push(s);
            }
        }
    }
    if !changed.is_empty() {
        if ra != rb {
            out.push(format!(
                "runtaskdeps changed:\n{}",
                list_inline_diff(&ra, &rb)
            ));
        } else {
            out.push("runtaskdeps changed:".to_owned());
        }
        out.push(changed.join("\n"));
    }
    if a.runtaskhashes.is_some() && b.runtaskhashes.is_some() {
        let (changed, added, removed) = dict_diff(&ha, &hb, &BTreeSet::new());
        for dep in &added {
            if !removed.iter().any(|r| hb[dep] == ha[r]) {
                out.push(format!(
                    "Dependency on task {dep} was added with hash {}",
                    hb[dep]
                ));
            }
        }
        for dep in &removed {
            if !added.iter().any(|x| hb[x] == ha[dep]) {
                out.push(format!(
                    "Dependency on task {dep} was removed with hash {}",
                    ha[dep]
                ));
            }
        }
        for dep in &changed {
            out.push(format!(
                "Hash for task dependency {dep} changed from {} to {}",
                ha[dep], hb[dep]
            ));
        }
    }
}
