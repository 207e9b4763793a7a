//! `RunQueueData.prepare`: task dependencies from the task data, recursive flags,
//! marking what the targets need, `--runall` / `--runonly`, and cycle checks.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

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
        write!(f, "{}:{}", self.fn_name, self.task)
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

fn prepare(
    td: &TaskData<'_>,
    runlist: &[(Target, String)],
    opts: &GraphOptions,
) -> Result<TaskGraph> {
    let mut depends: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut recursive: Vec<(String, Vec<String>)> = Vec::new();
    let mut recursive_i: HashMap<String, Vec<String>> = HashMap::new();
    let mut selfref: HashSet<String> = HashSet::new();

    let add_build = |ids: &[String], names: &[&str], out: &mut BTreeSet<String>| {
        for name in ids {
            let Some(f) = td.build_provider(name) else {
                continue;
            };
            for t in names {
                let id = tid(f, t);
                if td.taskentries.contains_key(&id) {
                    out.insert(id);
                }
            }
        }
    };
    let add_runtime = |ids: &[String], names: &[&str], out: &mut BTreeSet<String>| {
        for name in ids {
            let Some(f) = td.run_provider(name) else {
                continue;
            };
            for t in names {
                let id = tid(f, t);
                if td.taskentries.contains_key(&id) {
                    out.insert(id);
                }
            }
        }
    };

    for id in &td.task_order {
        let (f, task) = split_tid(id);
        let mut deps = BTreeSet::new();
        if td.failed_fns.contains(f) {
            depends.insert(id.clone(), deps);
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
        deps.extend(entry.tdepends.iter().cloned());
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
                let id2 = tid(p, t);
                if !td.taskentries.contains_key(&id2) {
                    return Err(Error::RunQueue(format!(
                        "Task {task} in {f} depends upon non-existent task {t} in {p}"
                    )));
                }
                deps.insert(id2);
            }
        }
        for (name, t) in &entry.irdepends {
            if let Some(p) = td.run_provider(name) {
                let id2 = tid(p, t);
                if !td.taskentries.contains_key(&id2) {
                    return Err(Error::RunQueue(format!(
                        "Task {task} in {f} rdepends upon non-existent task {t} in {p}"
                    )));
                }
                deps.insert(id2);
            }
        }
        let names = flags.flag_words("recrdeptask", task);
        if !names.is_empty() {
            recursive.push((id.clone(), names.iter().map(|s| (*s).to_owned()).collect()));
            add_build(depids, &names, &mut deps);
            add_runtime(rdepids, &names, &mut deps);
            if names.contains(&task) {
                selfref.insert(id.clone());
            }
            let inames = flags.flag_words("recideptask", task);
            if !inames.is_empty() {
                recursive_i.insert(id.clone(), inames.iter().map(|t| tid(f, t)).collect());
            }
        }
        deps.remove(id);
        depends.insert(id.clone(), deps);
    }

    resolve_recursive(&mut depends, &recursive, &recursive_i, &selfref);

    // Step B: mark what the targets need.
    let mut active: HashSet<String> = HashSet::new();
    let mut target_ids: Vec<String> = Vec::new();
    for (t, f) in runlist {
        if td.failed_fns.contains(f) || td.dep_failed(&t.name) {
            continue;
        }
        let id = tid(f, &t.task);
        if !td.taskentries.contains_key(&id) {
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
        }
        target_ids.push(id.clone());
        if t.parents_only {
            let ds: Vec<String> = depends
                .get(&id)
                .map(|d| d.iter().cloned().collect())
                .unwrap_or_default();
            for d in ds {
                mark_active(&d, &depends, &mut active);
            }
        } else {
            mark_active(&id, &depends, &mut active);
        }
    }

    if !opts.runall.is_empty() {
        let mut runall_ids: HashSet<String> = HashSet::new();
        loop {
            let reduced: Vec<String> = active.iter().cloned().collect();
            active.clear();
            let orig = std::mem::take(&mut runall_ids);
            for task in &opts.runall {
                let task = with_do(task);
                for id in &reduced {
                    let want = tid(split_tid(id).0, &task);
                    if depends.contains_key(&want) {
                        runall_ids.insert(want);
                    }
                }
                let mut list: Vec<String> = runall_ids.iter().cloned().collect();
                list.sort();
                for id in list {
                    mark_active(&id, &depends, &mut active);
                    target_ids.push(id);
                }
            }
            if runall_ids.difference(&orig).next().is_none() {
                break;
            }
        }
        if active.is_empty() {
            return Err(Error::RunQueue(format!(
                "Could not find any tasks with the tasknames {} to run within the recipes of the taskgraphs of the targets {}",
                crate::taskdata::py_list(&opts.runall),
                targets_repr(runlist)
            )));
        }
    }
    depends.retain(|id, _| active.contains(id));

    if !opts.runonly.is_empty() {
        let mut only: HashSet<String> = HashSet::new();
        for task in &opts.runonly {
            let task = with_do(task);
            let ids: Vec<String> = depends
                .keys()
                .filter(|id| split_tid(id).1 == task)
                .cloned()
                .collect();
            for id in ids {
                mark_active(&id, &depends, &mut only);
            }
        }
        depends.retain(|id, _| only.contains(id));
        if depends.is_empty() {
            return Err(Error::RunQueue(format!(
                "Could not find any tasks with the tasknames {} to run within the taskgraphs of the targets {}",
                crate::taskdata::py_list(&opts.runonly),
                targets_repr(runlist)
            )));
        }
    }

    if depends.is_empty() {
        return Err(Error::RunQueue(
            "No active tasks and not in --continue mode?! Please report this bug.".into(),
        ));
    }

    let order: Vec<&String> = td
        .task_order
        .iter()
        .filter(|id| depends.contains_key(*id))
        .collect();
    check_cycles(&order, &depends)?;
    let mut ids: Vec<&String> = depends.keys().collect();
    ids.sort_by(|a, b| split_tid(a).cmp(&split_tid(b)));
    let index: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let mut graph = TaskGraph::default();
    let rank_of: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(r, id)| (id.as_str(), r))
        .collect();
    for id in &ids {
        graph
            .rank
            .push(rank_of.get(id.as_str()).copied().unwrap_or(usize::MAX));
        let (f, t) = split_tid(id);
        graph.tasks.push(TaskId {
            fn_name: f.to_owned(),
            task: t.to_owned(),
        });
        let mut ds: Vec<usize> = depends[*id]
            .iter()
            .filter_map(|d| index.get(d.as_str()).copied())
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
    let mut seen = HashSet::new();
    for id in &target_ids {
        if let Some(&i) = index.get(id.as_str())
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

fn mark_active(
    id: &str,
    depends: &HashMap<String, BTreeSet<String>>,
    active: &mut HashSet<String>,
) {
    let mut stack = vec![id.to_owned()];
    while let Some(t) = stack.pop() {
        if !active.insert(t.clone()) {
            continue;
        }
        if let Some(ds) = depends.get(&t) {
            for d in ds {
                if !active.contains(d) {
                    stack.push(d.clone());
                }
            }
        }
    }
}

/// `recrdeptask` part B: every task named by the flag, in every recipe the task's
/// dependencies reach (recursively), becomes a dependency; repeated until stable.
fn resolve_recursive(
    depends: &mut HashMap<String, BTreeSet<String>>,
    recursive: &[(String, Vec<String>)],
    recursive_i: &HashMap<String, Vec<String>>,
    selfref: &HashSet<String>,
) {
    if recursive.is_empty() {
        return;
    }
    // The recipes each task reaches through its dependencies (cumulative), found
    // by walking up from the tasks with no dependencies.
    let mut remaining: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut revdeps: HashMap<&str, Vec<&str>> = HashMap::new();
    for (id, ds) in depends.iter() {
        remaining.insert(id, ds.iter().map(String::as_str).collect());
        for d in ds {
            revdeps.entry(d.as_str()).or_default().push(id);
        }
    }
    let mut cumulative: HashMap<&str, HashSet<String>> = HashMap::new();
    let mut endpoints: Vec<&str> = remaining
        .iter()
        .filter(|(_, ds)| ds.is_empty())
        .map(|(id, _)| *id)
        .collect();
    while !endpoints.is_empty() {
        let mut next = Vec::new();
        for id in endpoints {
            let mine = cumulative.get(id).cloned().unwrap_or_default();
            let Some(parents) = revdeps.get(id) else {
                continue;
            };
            for &p in parents {
                let c = cumulative.entry(p).or_default();
                c.insert(split_tid(id).0.to_owned());
                c.extend(mine.iter().cloned());
                if let Some(r) = remaining.get_mut(p) {
                    r.remove(id);
                    if r.is_empty() {
                        next.push(p);
                    }
                }
            }
        }
        endpoints = next;
    }
    let cumulative: HashMap<String, HashSet<String>> = cumulative
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let recursive_ids: HashSet<&str> = recursive.iter().map(|(id, _)| id.as_str()).collect();
    loop {
        let mut extra = 0usize;
        for (id, names) in recursive {
            let mut total: BTreeSet<String> = depends.get(id).cloned().unwrap_or_default();
            if let Some(list) = recursive_i.get(id) {
                total.extend(list.iter().cloned());
                for d in list {
                    if let Some(ds) = depends.get(d) {
                        total.extend(ds.iter().cloned());
                    }
                }
            }
            let mut fns: HashSet<&String> = HashSet::new();
            for d in &total {
                if let Some(c) = cumulative.get(d) {
                    fns.extend(c.iter());
                }
            }
            let mut add = Vec::new();
            for f in fns {
                for name in names {
                    let new = tid(f, name);
                    if new == *id {
                        continue;
                    }
                    if depends.contains_key(&new)
                        && !depends.get(id).is_some_and(|d| d.contains(&new))
                    {
                        add.push(new);
                    }
                }
            }
            // Recursive tasks that depend on other recursive tasks take on their
            // dependencies of the same names.
            let mine = depends.get(id).cloned().unwrap_or_default();
            for d in mine.iter().filter(|d| recursive_ids.contains(d.as_str())) {
                if let Some(theirs) = depends.get(d) {
                    for n in theirs.difference(&mine) {
                        if names.iter().any(|name| n.ends_with(&format!(":{name}")))
                            && depends.contains_key(n)
                        {
                            add.push(n.clone());
                        }
                    }
                }
            }
            if let Some(ds) = depends.get_mut(id) {
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
    for id in selfref {
        if let Some(ds) = depends.get_mut(id) {
            ds.retain(|d| !selfref.contains(d));
        }
    }
}

/// BitBake's cycle checks, in its order: a task and one of its dependencies that
/// depend on each other ("has circular dependency on"); then tasks that can never run
/// (on a loop, or needed by one), reported with the loops found among them.
fn check_cycles(order: &[&String], depends: &HashMap<String, BTreeSet<String>>) -> Result<()> {
    let mut revdeps: HashMap<&str, BTreeSet<&str>> = order
        .iter()
        .map(|id| (id.as_str(), BTreeSet::new()))
        .collect();
    for id in order {
        for d in &depends[*id] {
            if let Some(r) = revdeps.get_mut(d.as_str()) {
                r.insert(id.as_str());
            }
        }
    }
    for id in order {
        for dep in &revdeps[id.as_str()] {
            if depends[*id].contains(*dep) {
                return Err(Error::RunQueue(format!(
                    "Task {id} has circular dependency on {dep}"
                )));
            }
        }
    }
    // Walk down from the tasks nothing depends on; a task is done once everything
    // that depends on it is.
    let mut deps_left: HashMap<&str, usize> = order
        .iter()
        .map(|id| (id.as_str(), revdeps[id.as_str()].len()))
        .collect();
    let mut done: HashSet<&str> = HashSet::new();
    let mut endpoints: Vec<&str> = order
        .iter()
        .map(|id| id.as_str())
        .filter(|id| revdeps[id].is_empty())
        .collect();
    done.extend(endpoints.iter().copied());
    while !endpoints.is_empty() {
        let mut next = Vec::new();
        for id in endpoints {
            for d in &depends[id] {
                if let Some(n) = deps_left.get_mut(d.as_str()) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        next.push(d.as_str());
                        done.insert(d.as_str());
                    }
                }
            }
        }
        endpoints = next;
    }
    let problems: Vec<&str> = order
        .iter()
        .map(|id| id.as_str())
        .filter(|id| !done.contains(id) || deps_left[id] != 0)
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    let mut finder = LoopFinder {
        revdeps: &revdeps,
        depends,
        valid: Vec::new(),
        explored: HashMap::new(),
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
