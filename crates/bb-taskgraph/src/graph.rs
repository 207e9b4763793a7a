//! `RunQueueData.prepare`: task dependencies from the task data, recursive flags,
//! marking what the targets need, `--runall` / `--runonly`, and cycle checks.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use bb_cooker::providers::{Message, Providers};
use bb_data::DataStore;

use crate::error::{Error, Result};
use crate::taskdata::{TaskData, split_tid, tid};

/// A target on the command line: a name (PN, PROVIDES word) and its task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The build-time name.
    pub name: String,
    /// The task, with its `do_` prefix.
    pub task: String,
    /// `name:do_task-`: only the task's dependencies, not the task itself.
    pub parents_only: bool,
}

impl Target {
    /// Parses a command-line target: `NAME`, or `NAME:do_TASK` (which overrides
    /// `default_task`, itself with or without `do_`).
    pub fn parse(word: &str, default_task: &str) -> Target {
        let (name, task) = match word.split_once(":do_") {
            Some((n, t)) => (n.to_owned(), format!("do_{t}")),
            None => (word.to_owned(), default_task.to_owned()),
        };
        let mut task = if task.starts_with("do_") {
            task
        } else {
            format!("do_{task}")
        };
        let parents_only = task.ends_with('-');
        if parents_only {
            task.pop();
        }
        Target {
            name,
            task,
            parents_only,
        }
    }
}

/// How to build the graph.
#[derive(Debug, Clone)]
pub struct GraphOptions {
    /// The targets, in command-line order.
    pub targets: Vec<Target>,
    /// `--runall=TASK` names (with or without `do_`).
    pub runall: Vec<String>,
    /// `--runonly=TASK` names.
    pub runonly: Vec<String>,
    /// Stop at the first unbuildable target (no `-k`).
    pub halt: bool,
    /// Leave unresolvable dependencies in place (what `-g` does).
    pub allow_incomplete: bool,
}

impl Default for GraphOptions {
    fn default() -> Self {
        GraphOptions {
            targets: Vec::new(),
            runall: Vec::new(),
            runonly: Vec::new(),
            halt: true,
            allow_incomplete: false,
        }
    }
}

/// A task in the graph, `fn:do_task`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId {
    /// The recipe target (`/path/x.bb` or `virtual:native:/path/x.bb`).
    pub fn_name: String,
    /// The task name (`do_compile`).
    pub task: String,
}

impl std::fmt::Display for TaskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Three plain writes: ids are made for every task of a build, and `write!`'s
        // argument handling was most of their cost.
        f.write_str(&self.fn_name)?;
        f.write_str(":")?;
        f.write_str(&self.task)
    }
}

/// The pruned task graph of a build.
#[derive(Debug, Clone, Default)]
pub struct TaskGraph {
    /// The tasks, sorted.
    pub tasks: Vec<TaskId>,
    /// For each task (same index), the indices of the tasks it depends on, sorted.
    pub deps: Vec<Vec<usize>>,
    /// The indices of the tasks the command line asked for.
    pub targets: Vec<usize>,
    /// Per recipe target in the graph: PN, `PE:PV-PR` (empty epoch shown as `:`).
    pub recipes: BTreeMap<String, (String, String)>,
    /// Per recipe target in the graph: its task table (`noexec`, `nostamp`, ...).
    pub flags: BTreeMap<String, bb_data::TaskDeps>,
    /// Per recipe target in the graph: its DEPENDS names that a provider resolved, each
    /// with the chosen provider's target (ASSUME_PROVIDED names are left out), in
    /// DEPENDS order. What BitBake's dependency tree gives as `depends` + `providermap`.
    pub depends: BTreeMap<String, Vec<(String, String)>>,
    /// For each task (same index), its position in the order BitBake's run queue holds
    /// its tasks (`runtaskentries`, the task data's order): the scheduler's tie-break.
    pub rank: Vec<usize>,
}

impl TaskGraph {
    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the graph has no task.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// The index of a task.
    pub fn index_of(&self, fn_name: &str, task: &str) -> Option<usize> {
        self.tasks
            .binary_search_by(|t| (t.fn_name.as_str(), t.task.as_str()).cmp(&(fn_name, task)))
            .ok()
    }

    /// For each task, the tasks that depend on it.
    pub fn reverse_deps(&self) -> Vec<Vec<usize>> {
        let mut rev = vec![Vec::new(); self.tasks.len()];
        for (i, ds) in self.deps.iter().enumerate() {
            for &d in ds {
                rev[d].push(i);
            }
        }
        rev
    }
}

/// Builds the task graph of `opts.targets`, as `bitbake TARGET` (or `-g`) does before
/// running anything. Returns the graph (or the fatal problem) and BitBake's notes and
/// errors in the order it logs them (printed even when the graph fails).
pub fn build_graph(
    providers: &Providers,
    config: &DataStore,
    opts: &GraphOptions,
) -> (Result<TaskGraph>, Vec<Message>) {
    let mut td = match TaskData::new(providers, config, opts.halt, opts.allow_incomplete) {
        Ok(td) => td,
        Err(e) => return (Err(e), Vec::new()),
    };
    let r = resolve(&mut td, opts);
    let log = std::mem::take(&mut td.log);
    (r, log)
}

fn resolve(td: &mut TaskData<'_>, opts: &GraphOptions) -> Result<TaskGraph> {
    let mut runlist: Vec<(Target, String)> = Vec::new();
    for t in &opts.targets {
        td.add_provider(&t.name)?;
        if let Some(f) = td.build_provider(&t.name) {
            runlist.push((t.clone(), f.to_owned()));
        }
    }
    td.add_unresolved()?;
    prepare(td, &runlist, opts)
}

/// A task of the task data, numbered by the byte order of its `fn:do_task` id (so
/// that sets of them iterate in the order sets of the id strings would).
type Ix = u32;

/// The task ids of the task data, numbered in byte order, and the way back from
/// `(fn, task)` to a number.
struct Index<'a> {
    /// `fn:do_task`, sorted.
    ids: Vec<&'a str>,
    /// `split_tid(id)` -> its number.
    by_key: HashMap<(&'a str, &'a str), Ix>,
}

impl<'a> Index<'a> {
    fn new(td: &'a TaskData<'_>) -> Index<'a> {
        let mut ids: Vec<&'a str> = td.task_order.iter().map(String::as_str).collect();
        ids.sort_unstable();
        ids.dedup();
        let by_key = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (split_tid(id), ix(i)))
            .collect();
        Index { ids, by_key }
    }

    /// The number of task `t` of `f` (the task data's `fn:t`).
    fn get(&self, f: &str, t: &str) -> Option<Ix> {
        if t.contains(':') {
            // `fn:a:b` splits as (`fn:a`, `b`): look it up the way the id splits.
            let id = tid(f, t);
            return self.by_key.get(&split_tid(&id)).copied();
        }
        self.by_key.get(&(f, t)).copied()
    }

    /// The number of a task id string.
    fn of(&self, id: &str) -> Option<Ix> {
        self.by_key.get(&split_tid(id)).copied()
    }

    fn id(&self, i: Ix) -> &'a str {
        self.ids[i as usize]
    }

    fn len(&self) -> usize {
        self.ids.len()
    }
}

fn ix(i: usize) -> Ix {
    // invariant: a task graph has fewer than 2^32 tasks (each is a string in memory).
    Ix::try_from(i).unwrap_or(Ix::MAX)
}

/// Each task's dependencies (`None`: not in the graph).
type Depends = Vec<Option<BTreeSet<Ix>>>;

fn prepare(
    td: &TaskData<'_>,
    runlist: &[(Target, String)],
    opts: &GraphOptions,
) -> Result<TaskGraph> {
    let idx = Index::new(td);
    let mut depends: Depends = vec![None; idx.len()];
    let mut recursive: Vec<(Ix, Vec<String>)> = Vec::new();
    let mut recursive_i: HashMap<Ix, Vec<Ix>> = HashMap::default();
    let mut selfref: HashSet<Ix> = HashSet::default();

    let add_build = |ids: &[String], names: &[&str], out: &mut BTreeSet<Ix>| {
        for name in ids {
            let Some(f) = td.build_provider(name) else {
                continue;
            };
            for t in names {
                if let Some(i) = idx.get(f, t) {
                    out.insert(i);
                }
            }
        }
    };
    let add_runtime = |ids: &[String], names: &[&str], out: &mut BTreeSet<Ix>| {
        for name in ids {
            let Some(f) = td.run_provider(name) else {
                continue;
            };
            for t in names {
                if let Some(i) = idx.get(f, t) {
                    out.insert(i);
                }
            }
        }
    };

    for id in &td.task_order {
        let (f, task) = split_tid(id);
        let Some(me) = idx.of(id) else { continue };
        let mut deps = BTreeSet::new();
        if td.failed_fns.contains(f) {
            depends[me as usize] = Some(deps);
            continue;
        }
        let Some(r) = td.recipe(f) else { continue };
        let Some(entry) = td.taskentries.get(id) else {
            continue;
        };
        let flags = &r.task_deps;
        let no = Vec::new();
        let depids = td.depids.get(f).unwrap_or(&no);
        let rdepids = td.rdepids.get(f).unwrap_or(&no);
        // Same-recipe parents are tasks of this recipe, always in the task data.
        deps.extend(entry.tdepends.iter().filter_map(|t| idx.of(t)));
        let names = flags.flag_words("deptask", task);
        if !names.is_empty() {
            add_build(depids, &names, &mut deps);
        }
        let names = flags.flag_words("rdeptask", task);
        if !names.is_empty() {
            add_runtime(rdepids, &names, &mut deps);
        }
        for (name, t) in &entry.idepends {
            if td.dep_failed(name) {
                continue;
            }
            if let Some(p) = td.build_provider(name) {
                let Some(i) = idx.get(p, t) else {
                    return Err(Error::RunQueue(format!(
                        "Task {task} in {f} depends upon non-existent task {t} in {p}"
                    )));
                };
                deps.insert(i);
            }
        }
        for (name, t) in &entry.irdepends {
            if let Some(p) = td.run_provider(name) {
                let Some(i) = idx.get(p, t) else {
                    return Err(Error::RunQueue(format!(
                        "Task {task} in {f} rdepends upon non-existent task {t} in {p}"
                    )));
                };
                deps.insert(i);
            }
        }
        let names = flags.flag_words("recrdeptask", task);
        if !names.is_empty() {
            recursive.push((me, names.iter().map(|s| (*s).to_owned()).collect()));
            add_build(depids, &names, &mut deps);
            add_runtime(rdepids, &names, &mut deps);
            if names.contains(&task) {
                selfref.insert(me);
            }
            let inames = flags.flag_words("recideptask", task);
            if !inames.is_empty() {
                // A name that is no task of the recipe adds nothing.
                recursive_i.insert(me, inames.iter().filter_map(|t| idx.get(f, t)).collect());
            }
        }
        deps.remove(&me);
        depends[me as usize] = Some(deps);
    }

    resolve_recursive(&idx, &mut depends, &recursive, &recursive_i, &selfref);

    // Step B: mark what the targets need.
    let mut active = vec![false; idx.len()];
    let mut target_ids: Vec<Ix> = Vec::new();
    for (t, f) in runlist {
        if td.failed_fns.contains(f) || td.dep_failed(&t.name) {
            continue;
        }
        let Some(me) = idx.get(f, &t.task) else {
            let id = tid(f, &t.task);
            let tasks: Vec<String> = td
                .recipe(f)
                .map(|r| r.task_deps.tasks.clone())
                .unwrap_or_default();
            let close = close_matches(&t.task, &tasks);
            let extra = if close.is_empty() {
                String::new()
            } else {
                format!(". Close matches:\n  {}", close.join("\n  "))
            };
            return Err(Error::RunQueue(format!(
                "Task {} does not exist for target {} ({id}){extra}",
                t.task, t.name
            )));
        };
        target_ids.push(me);
        if t.parents_only {
            let ds: Vec<Ix> = depends[me as usize].iter().flatten().copied().collect();
            for d in ds {
                mark_active(d, &depends, &mut active);
            }
        } else {
            mark_active(me, &depends, &mut active);
        }
    }

    if !opts.runall.is_empty() {
        let mut runall_ids: BTreeSet<Ix> = BTreeSet::new();
        loop {
            let reduced: Vec<Ix> = (0..idx.len()).filter(|&i| active[i]).map(ix).collect();
            active.iter_mut().for_each(|a| *a = false);
            let orig = std::mem::take(&mut runall_ids);
            for task in &opts.runall {
                let task = with_do(task);
                for &id in &reduced {
                    if let Some(want) = idx.get(split_tid(idx.id(id)).0, &task)
                        && depends[want as usize].is_some()
                    {
                        runall_ids.insert(want);
                    }
                }
                // In id order, as BitBake sorts them.
                for &id in &runall_ids {
                    mark_active(id, &depends, &mut active);
                    target_ids.push(id);
                }
            }
            if runall_ids.difference(&orig).next().is_none() {
                break;
            }
        }
        if !active.iter().any(|a| *a) {
            return Err(Error::RunQueue(format!(
                "Could not find any tasks with the tasknames {} to run within the recipes of the taskgraphs of the targets {}",
                crate::taskdata::py_list(&opts.runall),
                targets_repr(runlist)
            )));
        }
    }
    for (d, a) in depends.iter_mut().zip(&active) {
        if !a {
            *d = None;
        }
    }

    if !opts.runonly.is_empty() {
        let mut only = vec![false; idx.len()];
        for task in &opts.runonly {
            let task = with_do(task);
            let ids: Vec<Ix> = (0..idx.len())
                .map(ix)
                .filter(|&i| depends[i as usize].is_some() && split_tid(idx.id(i)).1 == task)
                .collect();
            for id in ids {
                mark_active(id, &depends, &mut only);
            }
        }
        for (d, a) in depends.iter_mut().zip(&only) {
            if !a {
                *d = None;
            }
        }
        if depends.iter().all(Option::is_none) {
            return Err(Error::RunQueue(format!(
                "Could not find any tasks with the tasknames {} to run within the taskgraphs of the targets {}",
                crate::taskdata::py_list(&opts.runonly),
                targets_repr(runlist)
            )));
        }
    }

    if depends.iter().all(Option::is_none) {
        return Err(Error::RunQueue(
            "No active tasks and not in --continue mode?! Please report this bug.".into(),
        ));
    }

    let order: Vec<Ix> = td
        .task_order
        .iter()
        .filter_map(|id| idx.of(id))
        .filter(|&i| depends[i as usize].is_some())
        .collect();
    check_cycles(&idx, &order, &depends)?;
    // The graph's order: (fn, task), each id split once (ids are unique).
    let mut ids: Vec<((&str, &str), Ix)> = (0..idx.len())
        .map(ix)
        .filter(|&i| depends[i as usize].is_some())
        .map(|i| (split_tid(idx.id(i)), i))
        .collect();
    ids.sort_unstable();
    let mut index: Vec<Option<usize>> = vec![None; idx.len()];
    for (i, &(_, id)) in ids.iter().enumerate() {
        index[id as usize] = Some(i);
    }
    let mut rank_of: Vec<usize> = vec![usize::MAX; idx.len()];
    for (r, &id) in order.iter().enumerate() {
        rank_of[id as usize] = r;
    }
    let mut graph = TaskGraph::default();
    graph.tasks.reserve(ids.len());
    graph.deps.reserve(ids.len());
    graph.rank.reserve(ids.len());
    for &((f, t), id) in &ids {
        graph.rank.push(rank_of[id as usize]);
        graph.tasks.push(TaskId {
            fn_name: f.to_owned(),
            task: t.to_owned(),
        });
        let mut ds: Vec<usize> = depends[id as usize]
            .iter()
            .flatten()
            .filter_map(|&d| index[d as usize])
            .collect();
        ds.sort_unstable();
        graph.deps.push(ds);
        if !graph.recipes.contains_key(f)
            && let Some(r) = td.recipe(f)
        {
            graph.recipes.insert(
                f.to_owned(),
                (r.pn.clone(), format!("{}:{}-{}", r.pe, r.pv, r.pr)),
            );
            graph.flags.insert(f.to_owned(), r.task_deps.clone());
            let resolved = td
                .depids
                .get(f)
                .into_iter()
                .flatten()
                .filter_map(|d| Some((d.clone(), td.build_provider(d)?.to_owned())))
                .collect();
            graph.depends.insert(f.to_owned(), resolved);
        }
    }
    let mut seen = HashSet::default();
    for &id in &target_ids {
        if let Some(i) = index[id as usize]
            && seen.insert(i)
        {
            graph.targets.push(i);
        }
    }
    Ok(graph)
}

fn with_do(task: &str) -> String {
    if task.starts_with("do_") {
        task.to_owned()
    } else {
        format!("do_{task}")
    }
}

fn targets_repr(runlist: &[(Target, String)]) -> String {
    let items: Vec<String> = runlist
        .iter()
        .map(|(t, f)| {
            format!(
                "[{}, {}, {}, {}]",
                bb_util::py_repr(""),
                bb_util::py_repr(&t.name),
                bb_util::py_repr(&t.task),
                bb_util::py_repr(f)
            )
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// Marks `id` and everything it needs, recursively.
fn mark_active(id: Ix, depends: &Depends, active: &mut [bool]) {
    let mut stack = vec![id];
    while let Some(t) = stack.pop() {
        if active[t as usize] {
            continue;
        }
        active[t as usize] = true;
        if let Some(ds) = &depends[t as usize] {
            stack.extend(ds.iter().copied().filter(|&d| !active[d as usize]));
        }
    }
}

/// `recrdeptask` part B: every task named by the flag, in every recipe the task's
/// dependencies reach (recursively), becomes a dependency; repeated until stable.
fn resolve_recursive(
    idx: &Index<'_>,
    depends: &mut Depends,
    recursive: &[(Ix, Vec<String>)],
    recursive_i: &HashMap<Ix, Vec<Ix>>,
    selfref: &HashSet<Ix>,
) {
    if recursive.is_empty() {
        return;
    }
    // The recipes each task reaches through its dependencies (cumulative), found
    // by walking up from the tasks with no dependencies.
    let n = depends.len();
    let mut remaining: Vec<usize> = vec![0; n];
    let mut revdeps: Vec<Vec<Ix>> = vec![Vec::new(); n];
    for (id, ds) in depends.iter().enumerate() {
        let Some(ds) = ds else { continue };
        remaining[id] = ds.len();
        for &d in ds {
            revdeps[d as usize].push(ix(id));
        }
    }
    let mut cumulative: Vec<HashSet<&str>> = vec![HashSet::default(); n];
    let mut endpoints: Vec<Ix> = (0..n)
        .filter(|&i| depends[i].as_ref().is_some_and(BTreeSet::is_empty))
        .map(ix)
        .collect();
    while !endpoints.is_empty() {
        let mut next = Vec::new();
        for id in endpoints {
            let mine: Vec<&str> = cumulative[id as usize].iter().copied().collect();
            let fn_name = split_tid(idx.id(id)).0;
            for &p in &revdeps[id as usize] {
                let c = &mut cumulative[p as usize];
                c.insert(fn_name);
                c.extend(mine.iter().copied());
                let r = &mut remaining[p as usize];
                *r = r.saturating_sub(1);
                if *r == 0 {
                    next.push(p);
                }
            }
        }
        endpoints = next;
    }
    let recursive_ids: HashSet<Ix> = recursive.iter().map(|(id, _)| *id).collect();
    loop {
        let mut extra = 0usize;
        for (id, names) in recursive {
            let id = *id;
            let mine: BTreeSet<Ix> = depends[id as usize].clone().unwrap_or_default();
            let mut total: BTreeSet<Ix> = mine.clone();
            if let Some(list) = recursive_i.get(&id) {
                total.extend(list.iter().copied());
                for &d in list {
                    if let Some(ds) = &depends[d as usize] {
                        total.extend(ds.iter().copied());
                    }
                }
            }
            let mut fns: HashSet<&str> = HashSet::default();
            for &d in &total {
                fns.extend(cumulative[d as usize].iter().copied());
            }
            let mut add = Vec::new();
            for f in fns {
                for name in names {
                    let Some(new) = idx.get(f, name) else {
                        continue;
                    };
                    if new == id {
                        continue;
                    }
                    if depends[new as usize].is_some() && !mine.contains(&new) {
                        add.push(new);
                    }
                }
            }
            // Recursive tasks that depend on other recursive tasks take on their
            // dependencies of the same names.
            let suffixes: Vec<String> = names.iter().map(|n| format!(":{n}")).collect();
            for &d in mine.iter().filter(|d| recursive_ids.contains(d)) {
                if let Some(theirs) = &depends[d as usize] {
                    for &n in theirs.difference(&mine) {
                        if suffixes.iter().any(|s| idx.id(n).ends_with(s.as_str()))
                            && depends[n as usize].is_some()
                        {
                            add.push(n);
                        }
                    }
                }
            }
            if let Some(ds) = &mut depends[id as usize] {
                for a in add {
                    if ds.insert(a) {
                        extra += 1;
                    }
                }
            }
        }
        if extra == 0 {
            break;
        }
    }
    for &id in selfref {
        if let Some(ds) = &mut depends[id as usize] {
            ds.retain(|d| !selfref.contains(d));
        }
    }
}

/// BitBake's cycle checks, in its order: a task and one of its dependencies that
/// depend on each other ("has circular dependency on"); then tasks that can never run
/// (on a loop, or needed by one), reported with the loops found among them.
fn check_cycles(idx: &Index<'_>, order: &[Ix], depends: &Depends) -> Result<()> {
    let n = depends.len();
    let mut in_order = vec![false; n];
    for &id in order {
        in_order[id as usize] = true;
    }
    let deps_of = |id: Ix| -> &BTreeSet<Ix> {
        static EMPTY: BTreeSet<Ix> = BTreeSet::new();
        depends[id as usize].as_ref().unwrap_or(&EMPTY)
    };
    let mut revdeps: Vec<BTreeSet<Ix>> = vec![BTreeSet::new(); n];
    for &id in order {
        for &d in deps_of(id) {
            if in_order[d as usize] {
                revdeps[d as usize].insert(id);
            }
        }
    }
    for &id in order {
        for &dep in &revdeps[id as usize] {
            if deps_of(id).contains(&dep) {
                return Err(Error::RunQueue(format!(
                    "Task {} has circular dependency on {}",
                    idx.id(id),
                    idx.id(dep)
                )));
            }
        }
    }
    // Walk down from the tasks nothing depends on; a task is done once everything
    // that depends on it is.
    let mut deps_left: Vec<usize> = revdeps.iter().map(BTreeSet::len).collect();
    let mut done = vec![false; n];
    let mut endpoints: Vec<Ix> = order
        .iter()
        .copied()
        .filter(|&id| revdeps[id as usize].is_empty())
        .collect();
    for &e in &endpoints {
        done[e as usize] = true;
    }
    while !endpoints.is_empty() {
        let mut next = Vec::new();
        for id in endpoints {
            for &d in deps_of(id) {
                if in_order[d as usize] {
                    let left = &mut deps_left[d as usize];
                    *left = left.saturating_sub(1);
                    if *left == 0 {
                        next.push(d);
                        done[d as usize] = true;
                    }
                }
            }
        }
        endpoints = next;
    }
    let problems: Vec<&str> = order
        .iter()
        .copied()
        .filter(|&id| !done[id as usize] || deps_left[id as usize] != 0)
        .map(|id| idx.id(id))
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    // The loop search works on the id strings (an error path: speed does not matter).
    let revdeps: HashMap<&str, BTreeSet<&str>> = order
        .iter()
        .map(|&id| {
            (
                idx.id(id),
                revdeps[id as usize].iter().map(|&r| idx.id(r)).collect(),
            )
        })
        .collect();
    let depends: HashMap<String, BTreeSet<String>> = (0..n)
        .filter_map(|i| {
            let ds = depends[i].as_ref()?;
            Some((
                idx.id(ix(i)).to_owned(),
                ds.iter().map(|&d| idx.id(d).to_owned()).collect(),
            ))
        })
        .collect();
    let mut finder = LoopFinder {
        revdeps: &revdeps,
        depends: &depends,
        valid: Vec::new(),
        explored: HashMap::default(),
        msgs: String::new(),
    };
    for t in &problems {
        if finder.find(t, Vec::new()).is_err() {
            break;
        }
    }
    Err(Error::Unbuildable {
        count: problems.len(),
        loops: finder.msgs,
    })
}

/// BitBake's `circular_depchains_handler`: loops among unbuildable tasks, each once
/// (rotated to start at its lowest task id), at most ten.
struct LoopFinder<'a> {
    revdeps: &'a HashMap<&'a str, BTreeSet<&'a str>>,
    depends: &'a HashMap<String, BTreeSet<String>>,
    valid: Vec<Vec<&'a str>>,
    explored: HashMap<&'a str, Vec<&'a str>>,
    msgs: String,
}

impl<'a> LoopFinder<'a> {
    fn find(&mut self, tid: &'a str, mut chain: Vec<&'a str>) -> std::result::Result<(), ()> {
        chain.push(tid);
        let revs: Vec<&'a str> = self
            .revdeps
            .get(tid)
            .map(|r| r.iter().copied().collect())
            .unwrap_or_default();
        let mut total: Vec<&'a str> = revs.clone();
        for rev in revs {
            if let Some(idx) = chain.iter().position(|c| *c == rev) {
                let mut found: Vec<&'a str> = chain[idx..].to_vec();
                let lowest = found
                    .iter()
                    .enumerate()
                    .min_by(|a, b| a.1.cmp(b.1))
                    .map(|(i, _)| i)
                    .unwrap_or(0);
                found.rotate_left(lowest);
                if !self.valid.contains(&found) {
                    self.msgs.push_str(&format!(
                        "Dependency loop #{} found:\n",
                        self.valid.len() + 1
                    ));
                    for dep in &found {
                        let names: Vec<String> = self
                            .depends
                            .get(*dep)
                            .map(|d| {
                                d.iter()
                                    .map(|t| t.rsplit('/').next().unwrap_or(t).to_owned())
                                    .collect()
                            })
                            .unwrap_or_default();
                        self.msgs.push_str(&format!(
                            "  Task {dep} (dependent Tasks {})\n",
                            crate::taskdata::py_list(&names)
                        ));
                    }
                    self.msgs.push('\n');
                    self.valid.push(found);
                }
                if self.valid.len() > 10 {
                    self.msgs
                        .push_str("Halted dependency loops search after 10 matches.\n");
                    return Err(());
                }
                continue;
            }
            let scan = match self.explored.get(rev) {
                None => true,
                Some(ex) => ex.contains(&rev) || chain.iter().any(|c| ex.contains(c)),
            };
            if scan {
                self.find(rev, chain.clone())?;
            }
            if let Some(ex) = self.explored.get(rev) {
                for d in ex.clone() {
                    if !total.contains(&d) {
                        total.push(d);
                    }
                }
            }
        }
        self.explored.insert(tid, total);
        Ok(())
    }
}

/// `difflib.get_close_matches(word, possibilities, cutoff=0.7)`.
fn close_matches(word: &str, candidates: &[String]) -> Vec<String> {
    bb_cooker::providers::close_matches(word, candidates, 3, 0.7)
}
