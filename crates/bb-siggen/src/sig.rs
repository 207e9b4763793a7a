//! Task base hashes over the dependency closure of each task (BitBake's
//! `generate_dependencies` and `generate_dependency_hash`), and the task hash that mixes in
//! dependency task hashes, file checksums and taints (`SignatureGeneratorBasic.get_taskhash`).
//! Hashes are sha256 over the same concatenated text as BitBake's, written as lowercase
//! hex, so that they equal BitBake's.

use std::collections::{BTreeMap, BTreeSet};

use bb_data::DataStore;
use sha2::{Digest, Sha256};

use crate::deps::{Dependencies, VarDeps};
use crate::error::Result;

/// Everything known about one task's base signature: enough to write its sig data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSig {
    /// The task (`do_compile`).
    pub task: String,
    /// sha256 over the task's value, then each dependency's name and value in sorted order.
    pub basehash: String,
    /// The transitive dependency closure of the task (BitBake's `taskdeps`), sorted.
    pub taskdeps: BTreeSet<String>,
    /// The value string of the task and of every dependency (`None`: an unset `VAR[flag]`).
    pub varvals: BTreeMap<String, Option<String>>,
    /// The direct dependencies of the task and of every dependency in the closure (minus
    /// ignored variables).
    pub gendeps: BTreeMap<String, BTreeSet<String>>,
    /// The `bb.utils.contains` checks of the task and its dependencies: variable -> items.
    pub contains: BTreeMap<String, BTreeSet<String>>,
    /// `BB_BASEHASH_IGNORE_VARS` of the recipe.
    pub basehash_ignore_vars: BTreeSet<String>,
    /// `BB_TASKHASH_IGNORE_TASKS` of the recipe, if set.
    pub taskhash_ignore_tasks: Option<String>,
}

/// The tasks of a recipe datastore, in definition order (`__BBTASKS`).
pub fn recipe_tasks(d: &DataStore) -> Vec<String> {
    d.get_raw("__BBTASKS")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// Direct dependencies of every task in `tasks` and of everything they reach (BitBake's
/// `generate_dependencies`): key -> its [`VarDeps`].
pub fn generate_dependencies(
    deps: &Dependencies<'_>,
    tasks: &[&str],
) -> Result<BTreeMap<String, VarDeps>> {
    let mut gen_deps: BTreeMap<String, VarDeps> = BTreeMap::new();
    for task in tasks {
        if !gen_deps.contains_key(*task) {
            let v = deps.build(task)?;
            gen_deps.insert((*task).to_owned(), v);
        }
        let mut todo: Vec<String> = gen_deps[*task].deps.iter().cloned().collect();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        while let Some(dep) = todo.pop() {
            if !seen.insert(dep.clone()) {
                continue;
            }
            if !gen_deps.contains_key(&dep) {
                let v = deps.build(&dep)?;
                gen_deps.insert(dep.clone(), v);
            }
            todo.extend(
                gen_deps[&dep]
                    .deps
                    .iter()
                    .filter(|x| !seen.contains(*x))
                    .cloned(),
            );
        }
    }
    Ok(gen_deps)
}

/// The transitive closure of `task`'s dependencies in `gen_deps`.
fn closure(task: &str, gen_deps: &BTreeMap<String, VarDeps>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<&String> = gen_deps
        .get(task)
        .map(|v| v.deps.iter().collect())
        .unwrap_or_default();
    while let Some(dep) = todo.pop() {
        if seen.insert(dep.clone())
            && let Some(v) = gen_deps.get(dep)
        {
            todo.extend(v.deps.iter().filter(|x| !seen.contains(*x)));
        }
    }
    seen
}

/// The base signature of each task in `tasks` (all of [`recipe_tasks`] when empty) of a
/// finalized recipe datastore.
///
/// ```
/// let mut d = bb_data::DataStore::new();
/// d.set_var("CFLAGS", "-O2 ${EXTRA}");
/// d.set_var("EXTRA", "-g");
/// d.set_var("do_compile", "cc ${CFLAGS} -c x.c\n");
/// d.set_var_flag("do_compile", "func", "1");
/// d.set_var_flag("do_compile", "task", "1");
/// d.set_var("__BBTASKS", "do_compile");
/// let sigs = bb_siggen::task_basehashes(&d, &[])?;
/// let sig = &sigs["do_compile"];
/// assert_eq!(sig.taskdeps.iter().collect::<Vec<_>>(), ["CFLAGS", "EXTRA"]);
/// assert_eq!(sig.basehash.len(), 64);
/// # Ok::<(), bb_siggen::Error>(())
/// ```
pub fn task_basehashes(d: &DataStore, tasks: &[&str]) -> Result<BTreeMap<String, TaskSig>> {
    let all = recipe_tasks(d);
    let tasks: Vec<&str> = if tasks.is_empty() {
        all.iter().map(String::as_str).collect()
    } else {
        tasks.to_vec()
    };
    let deps = Dependencies::new(d)?;
    let gen_deps = generate_dependencies(&deps, &tasks)?;
    let taskhash_ignore_tasks = d
        .get_var("BB_TASKHASH_IGNORE_TASKS")
        .map_err(|source| crate::Error::Expand {
            var: "BB_TASKHASH_IGNORE_TASKS".to_owned(),
            source,
        })?
        .filter(|s| !s.is_empty());
    let mut out = BTreeMap::new();
    for task in tasks {
        let seen = closure(task, &gen_deps);
        let value = |k: &str| gen_deps.get(k).and_then(|v| v.value.clone());
        let mut h = Sha256::new();
        if let Some(v) = value(task) {
            h.update(v.as_bytes());
        }
        let mut varvals = BTreeMap::new();
        let mut gendeps = BTreeMap::new();
        let mut contains: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        varvals.insert(task.to_owned(), value(task));
        for key in std::iter::once(task).chain(seen.iter().map(String::as_str)) {
            if let Some(v) = gen_deps.get(key) {
                for (k, items) in &v.contains {
                    contains
                        .entry(k.clone())
                        .or_default()
                        .extend(items.iter().cloned());
                }
            }
        }
        for dep in &seen {
            h.update(dep.as_bytes());
            let v = value(dep);
            if let Some(v) = &v {
                h.update(v.as_bytes());
            }
            if !deps.ignored_vars().contains(dep) {
                gendeps.insert(
                    dep.clone(),
                    gen_deps
                        .get(dep)
                        .map(|x| x.deps.clone())
                        .unwrap_or_default(),
                );
                varvals.insert(dep.clone(), v);
            }
        }
        gendeps.insert(
            task.to_owned(),
            gen_deps
                .get(task)
                .map(|x| x.deps.clone())
                .unwrap_or_default(),
        );
        out.insert(
            task.to_owned(),
            TaskSig {
                task: task.to_owned(),
                basehash: hex(&h.finalize()),
                taskdeps: seen,
                varvals,
                gendeps,
                contains,
                basehash_ignore_vars: deps.ignored_vars().clone(),
                taskhash_ignore_tasks: taskhash_ignore_tasks.clone(),
            },
        );
    }
    Ok(out)
}

/// The base hash of a sig data set recomputed from its contents (BitBake's
/// `calc_basehash`): the task's value, then each of `taskdeps` in sorted order with its
/// value.
pub fn calc_basehash(
    task: &str,
    taskdeps: &BTreeSet<String>,
    varvals: &BTreeMap<String, Option<String>>,
) -> String {
    let mut h = Sha256::new();
    if let Some(Some(v)) = varvals.get(task) {
        h.update(v.as_bytes());
    }
    for dep in taskdeps {
        h.update(dep.as_bytes());
        if let Some(Some(v)) = varvals.get(dep) {
            h.update(v.as_bytes());
        }
    }
    hex(&h.finalize())
}

/// The task hash (BitBake's `get_taskhash`): sha256 over the base hash, the hashes of the
/// dependency tasks (`(pn:do_task, hash)` pairs, in sorted order), the non-empty file
/// checksums (sorted by checksum, then by [`clean_checksum_path`]; a path with `/./`
/// also contributes its `./` name) and the taint (a `nostamp:` prefix
/// is dropped).
///
/// ```
/// let a = bb_siggen::taskhash("b1", &[("r:do_fetch", "h1")], &[], None);
/// let b = bb_siggen::taskhash("b1", &[("r:do_fetch", "h2")], &[], None);
/// assert_ne!(a, b);
/// // BitBake: sha256("b1" + "h1")
/// let c = bb_siggen::taskhash("b", &[("r:do_fetch", "1h1")], &[], None);
/// assert_eq!(a, c);
/// ```
pub fn taskhash(
    basehash: &str,
    dep_taskhashes: &[(&str, &str)],
    file_checksums: &[(String, String)],
    taint: Option<&str>,
) -> String {
    let mut deps = dep_taskhashes.to_vec();
    deps.sort_unstable();
    let mut files: Vec<(String, &str)> = file_checksums
        .iter()
        .map(|(f, cs)| (clean_checksum_path(f), cs.as_str()))
        .collect();
    // BitBake's order: by checksum, then (stable) by name.
    files.sort_by(|a, b| a.1.cmp(b.1));
    files.sort_by(|a, b| a.0.cmp(&b.0));
    taskhash_ordered(
        basehash,
        deps.iter().map(|d| d.1),
        // Only the `./` names of paths with `/./` are hashed.
        files.iter().map(|(f, cs)| {
            let named = if f.starts_with("./") { f.as_str() } else { "" };
            (named, *cs)
        }),
        taint,
    )
}

/// [`taskhash`] over inputs already in BitBake's order (BitBake's `calc_taskhash` over a
/// sig data file): file names are the sig data's (`./rest` names are hashed).
pub(crate) fn taskhash_ordered<'a>(
    basehash: &str,
    dep_hashes: impl Iterator<Item = &'a str>,
    files: impl Iterator<Item = (&'a str, &'a str)>,
    taint: Option<&str>,
) -> String {
    let mut h = Sha256::new();
    h.update(basehash.as_bytes());
    for dh in dep_hashes {
        h.update(dh.as_bytes());
    }
    for (name, cs) in files {
        if cs.is_empty() {
            continue;
        }
        if name.contains("./") {
            h.update(name.as_bytes());
        }
        h.update(cs.as_bytes());
    }
    if let Some(t) = taint {
        h.update(t.strip_prefix("nostamp:").unwrap_or(t).as_bytes());
    }
    hex(&h.finalize())
}

/// BitBake's `clean_checksum_file_path`: a checksummed file's sort key and its name in
/// sig data: the part after the first `/./` (up to a second one) prefixed by `./`, else
/// the base name.
pub fn clean_checksum_path(f: &str) -> String {
    match f.split_once("/./") {
        Some((_, rest)) => format!("./{}", rest.split("/./").next().unwrap_or(rest)),
        None => f.rsplit('/').next().unwrap_or(f).to_owned(),
    }
}

/// Lowercase hex of sha256 over `data` (how BitBake writes its hashes).
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}
