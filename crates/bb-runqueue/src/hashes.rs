//! Task hashes and stamps: each task's basehash (bb-siggen) combined with the hashes
//! of the tasks it depends on, the checksums of the local files it fetches and its
//! taint, and the stamp `${STAMP}.do_task.<taskhash>` that says it ran with that hash.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use bb_cooker::BuildInfo;
use bb_data::DataStore;
use bb_siggen::SigData;
use bb_taskgraph::TaskGraph;

use crate::error::{Error, Result};

mod checksum_cache;
pub use checksum_cache::{ChecksumCache, persistent_dir};

/// What the run queue knows about one task before running anything.
#[derive(Debug, Clone)]
pub struct TaskPlan {
    /// The recipe's PN.
    pub pn: String,
    /// sha256 of the task's code and everything it reads (BitBake's).
    pub basehash: String,
    /// The basehash with the dependencies' unihashes, file checksums and taint.
    pub taskhash: String,
    /// The hash the task is known by: its taskhash, or the unihash a hash
    /// equivalence server maps it to (an earlier task hash whose output was the same).
    /// Dependants' taskhashes and shared state objects use it.
    pub unihash: String,
    /// The stamp the task writes when it succeeds (`None`: `nostamp`).
    pub stamp: Option<PathBuf>,
    /// `noexec`: nothing to run.
    pub noexec: bool,
    /// A stamp for the current hash exists.
    pub up_to_date: bool,
    /// A taint left by `-f` / `-C` is part of the hash (BitBake warns about it).
    pub tainted: bool,
    /// Where the sig data file goes (`${STAMP}.do_task.sigdata.<taskhash>`).
    pub sigdata_path: Option<PathBuf>,
    /// The taint that went into the hash, if any.
    pub taint: Option<String>,
    /// The checksums of local files that went into the hash (do_fetch's local sources and
    /// the task's `[file-checksums]`): (path, md5), directories' files with `/./`.
    pub file_checksums: Vec<(String, String)>,
    /// The dependencies (graph indexes) whose unihashes went into the hash, as the
    /// signature handler's rules kept them; `None`: all of the graph's.
    pub hash_deps: Option<Vec<usize>>,
}

impl TaskPlan {
    /// The dependencies of task `i` whose hashes go into its hash.
    pub fn hash_deps<'a>(&'a self, graph: &'a TaskGraph, i: usize) -> &'a [usize] {
        self.hash_deps.as_deref().unwrap_or(&graph.deps[i])
    }
}

fn expand(d: &DataStore, name: &str) -> Result<String> {
    d.get_var(name)
        .map(Option::unwrap_or_default)
        .map_err(Error::expand(name))
}

fn flag(d: &DataStore, name: &str, flag: &str) -> Result<Option<String>> {
    d.get_var_flag(name, flag, true)
        .map_err(Error::expand(format!("{name}[{flag}]")))
}

/// The local sources of a `do_fetch`: each `file://` entry of SRC_URI found through
/// FILESPATH (a file or a directory), in SRC_URI order. Missing ones are left out (the
/// fetch itself reports them).
pub fn local_files(d: &DataStore) -> Result<Vec<String>> {
    let src_uri = expand(d, "SRC_URI")?;
    let filespath = expand(d, "FILESPATH")?;
    let dirs: Vec<&str> = filespath.split(':').filter(|s| !s.is_empty()).collect();
    let mut out = Vec::new();
    for uri in src_uri.split_whitespace() {
        let Some(rest) = uri.strip_prefix("file://") else {
            continue;
        };
        let path = rest.split(';').next().unwrap_or(rest);
        let found = if path.starts_with('/') {
            Some(PathBuf::from(path))
        } else {
            dirs.iter()
                .map(|dir| Path::new(dir).join(path))
                .find(|p| p.exists())
        };
        if let Some(found) = found {
            out.push(found.to_string_lossy().into_owned());
        }
    }
    Ok(out)
}

/// The directories a checksummed directory's walk skips by default
/// (BB_SIGNATURE_LOCAL_DIRS_EXCLUDE's default).
pub const LOCAL_DIRS_EXCLUDE: [&str; 8] =
    ["CVS", ".bzr", ".git", ".hg", ".osc", ".p4", ".repo", ".svn"];

/// The content checksums of local sources as BitBake's `get_file_checksums` makes them:
/// md5 of each file; every file under a directory (not followed when it is a symlink;
/// subdirectories named in `exclude` skipped) with `/./` between the directory and the
/// rest of its path; `*` patterns globbed. Unreadable files are left out. Files whose
/// `stat` is unchanged are answered from `cache`.
pub fn checksums(
    paths: &[String],
    exclude: &[String],
    cache: &mut ChecksumCache,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in paths {
        if p.contains('*') {
            let Ok(found) = glob::glob(p) else { continue };
            for f in found.flatten() {
                checksum_path(&f.to_string_lossy(), exclude, cache, &mut out);
            }
        } else {
            checksum_path(p, exclude, cache, &mut out);
        }
    }
    out
}

fn checksum_path(
    p: &str,
    exclude: &[String],
    cache: &mut ChecksumCache,
    out: &mut Vec<(String, String)>,
) {
    let path = Path::new(p);
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    if meta.is_symlink() && path.is_dir() {
        return;
    }
    if meta.is_dir() {
        let root = p.trim_end_matches('/');
        let mut files = Vec::new();
        collect_files(Path::new(root), exclude, &mut files);
        for f in files {
            let rel = f.strip_prefix(root).unwrap_or(&f).to_string_lossy();
            let marked = format!(
                "{root}/.{}",
                if rel.starts_with('/') {
                    rel.to_string()
                } else {
                    format!("/{rel}")
                }
            );
            if let Some(cs) = cache.md5(&f) {
                out.push((marked, cs));
            }
        }
    } else if let Some(cs) = cache.md5(path) {
        out.push((p.to_owned(), cs));
    }
}

/// The paths of a `[file-checksums]` value (`path:True` / `path:False` words; a path may
/// hold spaces): those marked as existing.
pub fn file_checksum_paths(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in value.split_whitespace() {
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
        if word.ends_with(":True") || word.ends_with(":False") {
            let entry = std::mem::take(&mut cur);
            let mut parts = entry.split(':');
            let path = parts.next().unwrap_or_default();
            if parts.next() == Some("True") && !path.is_empty() {
                out.push(path.to_owned());
            }
        }
    }
    out
}

/// What a build keeps of a recipe target (see [`BuildInfo`]): its stamp base, every
/// task's basehash, `[stamp-extra-info]` and `[file-checksums]`, its local sources and
/// what the signature handler's rules need of it.
pub fn build_info(d: &DataStore) -> std::result::Result<BuildInfo, String> {
    let sigs = bb_siggen::task_basehashes(d, &[]).map_err(|e| e.to_string())?;
    let mut tasks = BTreeMap::new();
    let mut file_checksums = BTreeMap::new();
    for (task, sig) in sigs {
        let extra = flag(d, &task, "stamp-extra-info")
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        if let Some(v) = flag(d, &task, "file-checksums").map_err(|e| e.to_string())?
            && !v.trim().is_empty()
        {
            file_checksums.insert(task.clone(), v);
        }
        tasks.insert(task, (sig.basehash, extra));
    }
    Ok(BuildInfo {
        stamp: stamp_base(d).map_err(|e| e.to_string())?,
        tasks,
        local_files: local_files(d).map_err(|e| e.to_string())?,
        file_checksums,
        sig_traits: bb_siggen::RecipeTraits::of(d)
            .map_err(|e| e.to_string())?
            .bits(),
    })
}

/// The files under `dir` as `os.walk` lists them: symlinks to directories are not
/// followed (nor listed), subdirectories named in `exclude` are skipped.
fn collect_files(dir: &Path, exclude: &[String], out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            if !exclude.iter().any(|x| e.file_name() == x.as_str()) {
                collect_files(&p, exclude, out);
            }
        } else if !(ft.is_symlink() && p.is_dir()) {
            out.push(p);
        }
    }
}

/// The stamp base of a recipe (`${STAMP}`).
pub fn stamp_base(d: &DataStore) -> Result<String> {
    expand(d, "STAMP")
}

/// `${STAMP}.do_task.taint`: the taint `-f` / `-C` leave, read back.
pub fn taint_path(stamp: &str, task: &str) -> PathBuf {
    PathBuf::from(format!("{stamp}.{task}.taint"))
}

/// Writes a new taint for a task (what `-f` and `-C` do): its hash, and the hashes of
/// the tasks after it, change, so they run again.
pub fn write_taint(stamp: &str, task: &str) -> Result<()> {
    let path = taint_path(stamp, task);
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir)?;
    }
    let nonce = format!(
        "{}-{}-{:?}",
        std::process::id(),
        path.display(),
        std::time::SystemTime::now()
    );
    let value = bb_siggen::sha256_hex(nonce.as_bytes());
    crate::atomic_write(&path, value.as_bytes())
}

/// Works out every task's hashes, stamp and whether it is up to date, from the build
/// information of every recipe target in the graph (no parsing).
pub fn plan(graph: &TaskGraph, infos: &HashMap<String, BuildInfo>) -> Result<Vec<TaskPlan>> {
    plan_with(graph, infos, None)
}

/// Looks up the unihash of a task (`fn`, `do_task`, taskhash): `None` keeps the
/// taskhash.
pub type UnihashLookup<'a> = &'a mut dyn FnMut(&str, &str, &str) -> Option<String>;

/// [`plan`] with each task's unihash looked up (hash equivalence), dependencies first,
/// so that a task's hash is made of its dependencies' unihashes.
pub fn plan_with(
    graph: &TaskGraph,
    infos: &HashMap<String, BuildInfo>,
    unihash: Option<UnihashLookup<'_>>,
) -> Result<Vec<TaskPlan>> {
    plan_for(
        graph,
        infos,
        &bb_siggen::SigHandler::default(),
        unihash,
        &mut ChecksumCache::default(),
    )
}

/// [`plan_with`] under the configured signature handler (BB_SIGNATURE_HANDLER), whose
/// rules say which dependency edges go into a task's hash, with local files' checksums
/// from `sums` (saved by the caller).
pub fn plan_for(
    graph: &TaskGraph,
    infos: &HashMap<String, BuildInfo>,
    handler: &bb_siggen::SigHandler,
    mut unihash: Option<UnihashLookup<'_>>,
    sums: &mut ChecksumCache,
) -> Result<Vec<TaskPlan>> {
    let order = topo_order(graph);
    let mut plans: Vec<Option<TaskPlan>> = vec![None; graph.len()];
    // Every task's `pn:do_task`, made once: its dependants' hashes take its unihash in
    // the order of these names (BitBake's `runtaskdeps`).
    let pns: Vec<&str> = graph
        .tasks
        .iter()
        .map(|t| {
            graph
                .recipes
                .get(&t.fn_name)
                .map_or("", |(pn, _)| pn.as_str())
        })
        .collect();
    let pnids: Vec<String> = graph
        .tasks
        .iter()
        .zip(&pns)
        .map(|(t, pn)| format!("{pn}:{}", t.task))
        .collect();
    let filter = !handler.keeps_all();
    // Each stamp directory listed once (see `DirListing`).
    let mut listing = crate::stamps::DirListing::new();
    for i in order {
        let t = &graph.tasks[i];
        let info = infos
            .get(&t.fn_name)
            .ok_or_else(|| Error::NoBuildInfo(t.fn_name.clone()))?;
        let pn = pns[i].to_owned();
        let (basehash, extra) = info
            .tasks
            .get(&t.task)
            .cloned()
            .ok_or_else(|| Error::NoSignature(t.to_string()))?;
        let flags = graph.flags.get(&t.fn_name);
        let nostamp = flags.is_some_and(|f| f.has("nostamp", &t.task));
        let noexec = flags.is_some_and(|f| f.has("noexec", &t.task));
        let stamp = &info.stamp;
        let hash_deps: Option<Vec<usize>> = filter.then(|| {
            let end = |k: usize| {
                let tk = &graph.tasks[k];
                bb_siggen::EdgeEnd {
                    pn: pns[k],
                    fn_name: &tk.fn_name,
                    task: &tk.task,
                    traits: infos
                        .get(&tk.fn_name)
                        .map(|x| bb_siggen::RecipeTraits::from_bits(x.sig_traits))
                        .unwrap_or_default(),
                }
            };
            let me = end(i);
            graph.deps[i]
                .iter()
                .copied()
                .filter(|&j| handler.keep(&me, &end(j)))
                .collect()
        });
        let deps = hash_deps.as_deref().unwrap_or(&graph.deps[i]);
        let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(deps.len());
        for &j in deps {
            let hash = plans[j].as_ref().map_or("", |p| p.unihash.as_str());
            pairs.push((pnids[j].as_str(), hash));
        }
        let mut paths: Vec<String> = Vec::new();
        if t.task == "do_fetch" {
            paths.extend(info.local_files.iter().cloned());
        }
        if let Some(v) = info.file_checksums.get(&t.task) {
            for p in file_checksum_paths(v) {
                if !paths.contains(&p) {
                    paths.push(p);
                }
            }
        }
        let files = if paths.is_empty() {
            Vec::new()
        } else {
            checksums(&paths, handler.local_dirs_exclude(), sums)
        };
        let taint_file = taint_path(stamp, &t.task);
        let forced = if listing.exists(&taint_file) {
            fs_err::read_to_string(&taint_file)
                .ok()
                .map(|s| s.trim().to_owned())
        } else {
            None
        };
        let tainted = forced.is_some() && !nostamp;
        let taint = if nostamp {
            // A nostamp task runs every time: so do the tasks after it.
            Some(format!("nostamp:{}", run_nonce()))
        } else {
            forced
        };
        let taskhash = bb_siggen::taskhash(&basehash, &pairs, &files, taint.as_deref());
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!(".{extra}")
        };
        let stamp_path = (!nostamp && !stamp.is_empty())
            .then(|| PathBuf::from(format!("{stamp}.{}.{taskhash}{extra}", t.task)));
        let up_to_date = stamp_path.as_ref().is_some_and(|p| listing.exists(p));
        let sigdata_path = (!stamp.is_empty())
            .then(|| PathBuf::from(format!("{stamp}.{}.sigdata.{taskhash}", t.task)));
        let unihash = unihash
            .as_mut()
            .and_then(|f| f(&t.fn_name, &t.task, &taskhash))
            .unwrap_or_else(|| taskhash.clone());
        plans[i] = Some(TaskPlan {
            pn,
            basehash,
            unihash,
            taskhash,
            stamp: stamp_path,
            noexec,
            up_to_date,
            tainted,
            sigdata_path,
            taint,
            file_checksums: files,
            hash_deps,
        });
    }
    plans
        .into_iter()
        .enumerate()
        .map(|(i, p)| p.ok_or_else(|| Error::Cycle(graph.tasks[i].to_string())))
        .collect()
}

/// `pn:do_task` of task `j`: the name its hash goes by in its dependants' hashes.
fn pnid(graph: &TaskGraph, plans: &[TaskPlan], j: usize) -> String {
    format!("{}:{}", plans[j].pn, graph.tasks[j].task)
}

/// The sig data of every task of the graph (what `-S` writes), from the finalized
/// datastores of its recipes and the plan's hashes.
pub fn sigdata(
    graph: &TaskGraph,
    plans: &[TaskPlan],
    recipes: &HashMap<String, DataStore>,
) -> Result<Vec<SigData>> {
    let mut per_fn: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for t in &graph.tasks {
        per_fn
            .entry(t.fn_name.as_str())
            .or_default()
            .push(t.task.as_str());
    }
    let mut sigs: HashMap<(String, String), bb_siggen::TaskSig> = HashMap::new();
    for (f, tasks) in &per_fn {
        let d = recipes
            .get(*f)
            .ok_or_else(|| Error::NoDatastore((*f).to_owned()))?;
        let map = bb_siggen::task_basehashes(d, tasks).map_err(|source| Error::Signature {
            fn_name: (*f).to_owned(),
            source: Box::new(source),
        })?;
        for (task, sig) in map {
            sigs.insert(((*f).to_owned(), task), sig);
        }
    }
    let mut out = Vec::with_capacity(graph.len());
    for (i, t) in graph.tasks.iter().enumerate() {
        let sig = sigs
            .get(&(t.fn_name.clone(), t.task.clone()))
            .ok_or_else(|| Error::NoSignature(t.to_string()))?;
        let mut data = SigData::from_task(sig);
        let deps = plans[i].hash_deps(graph, i);
        let dep_ids: Vec<String> = deps.iter().map(|&j| pnid(graph, plans, j)).collect();
        let pairs: Vec<(&str, &str)> = dep_ids
            .iter()
            .map(String::as_str)
            .zip(deps.iter().map(|&j| plans[j].unihash.as_str()))
            .collect();
        data.set_runtime(&pairs, &plans[i].file_checksums, plans[i].taint.as_deref());
        data.unihash = Some(plans[i].unihash.clone());
        out.push(data);
    }
    Ok(out)
}

/// One value per run, for nostamp taints.
fn run_nonce() -> &'static str {
    static NONCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NONCE.get_or_init(|| {
        let seed = format!("{}-{:?}", std::process::id(), std::time::SystemTime::now());
        blake3::hash(seed.as_bytes()).to_hex().to_string()
    })
}

/// Which tasks are up to date for this build: a stamp for the current hash, and every
/// task they depend on up to date too (a dependency whose stamp went missing runs
/// again, and so do the tasks after it).
pub fn up_to_date(graph: &TaskGraph, plans: &[TaskPlan]) -> Vec<bool> {
    up_to_date_in(graph, plans, &topo_order(graph))
}

/// [`up_to_date`] with the graph's [`topo_order`] at hand.
pub(crate) fn up_to_date_in(graph: &TaskGraph, plans: &[TaskPlan], order: &[usize]) -> Vec<bool> {
    let mut current = vec![false; graph.len()];
    for &i in order {
        current[i] = plans[i].up_to_date && graph.deps[i].iter().all(|&d| current[d]);
    }
    current
}

/// Dependencies before dependents (Kahn's algorithm, lowest index first).
pub fn topo_order(graph: &TaskGraph) -> Vec<usize> {
    topo_order_with(graph, &graph.reverse_deps())
}

/// [`topo_order`] with the graph's reverse dependencies at hand.
pub(crate) fn topo_order_with(graph: &TaskGraph, rev: &[Vec<usize>]) -> Vec<usize> {
    let mut indeg: Vec<usize> = graph.deps.iter().map(Vec::len).collect();
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<usize>> = (0..graph.len())
        .filter(|&i| indeg[i] == 0)
        .map(std::cmp::Reverse)
        .collect();
    let mut out = Vec::with_capacity(graph.len());
    while let Some(std::cmp::Reverse(i)) = ready.pop() {
        out.push(i);
        for &r in &rev[i] {
            indeg[r] -= 1;
            if indeg[r] == 0 {
                ready.push(std::cmp::Reverse(r));
            }
        }
    }
    out
}

/// Writes a task's stamp (after it succeeded), removing its stamps for other hashes.
/// A build writes its stamps through one [`StampIndex`](crate::StampIndex) instead,
/// which reads each stamp directory once.
pub fn write_stamp(plan: &TaskPlan, task: &str) -> Result<()> {
    crate::StampIndex::new().write(plan, task)
}

/// Task `changed` got another unihash: the hashes of every task after it are worked
/// out again (dependencies first), their stamps looked for, their unihashes looked up.
/// Returns the tasks whose hash changed. `order` is the graph's [`topo_order`],
/// `rev` its reverse dependencies.
pub fn rehash_dependents(
    graph: &TaskGraph,
    plans: &mut [TaskPlan],
    rev: &[Vec<usize>],
    order: &[usize],
    changed: usize,
    mut unihash: Option<UnihashLookup<'_>>,
) -> Vec<usize> {
    let mut pos = vec![0usize; graph.len()];
    for (k, &i) in order.iter().enumerate() {
        pos[i] = k;
    }
    let mut below = std::collections::HashSet::new();
    let mut stack = rev[changed].clone();
    while let Some(j) = stack.pop() {
        if below.insert(j) {
            stack.extend(rev[j].iter().copied());
        }
    }
    let mut todo: Vec<usize> = below.into_iter().collect();
    todo.sort_by_key(|&j| pos[j]);
    let mut out = Vec::new();
    for j in todo {
        let deps = plans[j].hash_deps(graph, j);
        let ids: Vec<String> = deps.iter().map(|&d| pnid(graph, plans, d)).collect();
        let pairs: Vec<(&str, &str)> = ids
            .iter()
            .map(String::as_str)
            .zip(deps.iter().map(|&d| plans[d].unihash.as_str()))
            .collect();
        let p = &plans[j];
        let taskhash =
            bb_siggen::taskhash(&p.basehash, &pairs, &p.file_checksums, p.taint.as_deref());
        if taskhash == p.taskhash {
            continue;
        }
        let old = p.taskhash.clone();
        let rename = |path: &Option<PathBuf>| {
            path.as_ref().map(|path| {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().replace(&old, &taskhash))
                    .unwrap_or_default();
                path.with_file_name(name)
            })
        };
        let stamp = rename(&p.stamp);
        let sigdata_path = rename(&p.sigdata_path);
        let t = &graph.tasks[j];
        let u = unihash
            .as_mut()
            .and_then(|f| f(&t.fn_name, &t.task, &taskhash))
            .unwrap_or_else(|| taskhash.clone());
        let p = &mut plans[j];
        p.up_to_date = stamp.as_ref().is_some_and(|s| s.exists());
        p.stamp = stamp;
        p.sigdata_path = sigdata_path;
        p.taskhash = taskhash;
        p.unihash = u;
        out.push(j);
    }
    out
}
