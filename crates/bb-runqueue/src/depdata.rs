//! BB_TASKDEPDATA: what BitBake's run queue tells a task about the tasks it depends on.
//! For each task of the build, its recipe's PN, the task name, the recipe target, its
//! dependencies (task ids, `FN:TASK`), the recipe's provides, its hashes and the
//! recipe's BB_HASHFILENAME; a task is given the entries of itself and of every task
//! it depends on, directly or not (BitBake's `build_taskdepdata`).

use std::collections::HashMap;

use bb_data::DataStore;
use bb_taskgraph::TaskGraph;

use crate::hashes::TaskPlan;

/// One task as BB_TASKDEPDATA describes it (BitBake's `bb.TaskData`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepEntry {
    /// `FN:TASK`, the key of the entry.
    pub tid: String,
    /// The recipe's PN.
    pub pn: String,
    /// The task name.
    pub taskname: String,
    /// The recipe target.
    pub fn_name: String,
    /// The task ids it depends on directly.
    pub deps: Vec<String>,
    /// The recipe's PN and PROVIDES, each once.
    pub provides: Vec<String>,
    /// The task's hash.
    pub taskhash: String,
    /// Its unified hash (its taskhash: bake has no hash equivalence yet).
    pub unihash: String,
    /// The recipe's BB_HASHFILENAME.
    pub hashfn: String,
}

/// Every task of a build as BB_TASKDEPDATA entries, built once per build.
#[derive(Debug, Default)]
pub struct DepTable {
    entries: Vec<DepEntry>,
    deps: Vec<Vec<usize>>,
    /// Per task, the tasks its setscene task's `[depends]` names (BitBake's
    /// `getsetscenedeps`): `do_X_setscene[depends]` entries `NAME:do_Y_setscene` whose
    /// NAME a recipe of the build provides.
    sq_deps: Vec<Vec<usize>>,
    /// Per task, what its signature's run-time part needs beyond the entries (see
    /// [`DepTable::sig_runtime`]).
    runtime: Vec<RuntimeInputs>,
}

/// The dependencies whose unihashes went into a task's hash (`None`: all of its graph
/// dependencies), its file checksums and its taint.
#[derive(Debug, Default)]
struct RuntimeInputs {
    hash_deps: Option<Vec<usize>>,
    file_checksums: Vec<(String, String)>,
    taint: Option<String>,
}

/// What a task's sig data holds besides its own code and variables, as `-S` writes it:
/// the dependencies whose unihashes went into its hash (`pn:do_task` ids), its file
/// checksums, its taint and its unihash. A task run in a worker is given it, so that
/// `bb.siggen.dump_this_task` (openembedded-core's `.siginfo` beside an sstate object)
/// writes the whole of it, as BitBake's does.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SigRuntime {
    /// (`pn:do_task`, unihash) of each dependency in the hash.
    pub deps: Vec<(String, String)>,
    /// (path, md5) of each local file in the hash.
    pub file_checksums: Vec<(String, String)>,
    /// The taint in the hash (`-f`/`-C`).
    pub taint: Option<String>,
    /// The task's unihash.
    pub unihash: String,
}

impl DepTable {
    /// The table of `graph` with `plans` (same order) and the recipes' datastores.
    pub fn new(
        graph: &TaskGraph,
        plans: &[TaskPlan],
        recipes: &HashMap<String, DataStore>,
    ) -> DepTable {
        let mut per_recipe: HashMap<&str, (Vec<String>, String)> = HashMap::new();
        let entries: Vec<DepEntry> = graph
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let pn = plans.get(i).map(|p| p.pn.clone()).unwrap_or_default();
                let (provides, hashfn) = per_recipe
                    .entry(t.fn_name.as_str())
                    .or_insert_with(|| {
                        let d = recipes.get(&t.fn_name);
                        let var = |v: &str| {
                            d.and_then(|d| d.get_var(v).ok().flatten())
                                .unwrap_or_default()
                        };
                        let mut provides = vec![pn.clone()];
                        for p in var("PROVIDES").split_whitespace() {
                            if !provides.iter().any(|q| q == p) {
                                provides.push(p.to_owned());
                            }
                        }
                        (provides, var("BB_HASHFILENAME"))
                    })
                    .clone();
                let taskhash = plans.get(i).map(|p| p.taskhash.clone()).unwrap_or_default();
                let unihash = plans.get(i).map(|p| p.unihash.clone()).unwrap_or_default();
                DepEntry {
                    tid: t.to_string(),
                    pn,
                    taskname: t.task.clone(),
                    fn_name: t.fn_name.clone(),
                    deps: graph.deps[i]
                        .iter()
                        .map(|&j| graph.tasks[j].to_string())
                        .collect(),
                    provides,
                    unihash,
                    taskhash,
                    hashfn,
                }
            })
            .collect();
        let sq_deps = setscene_deps(graph, &entries, recipes);
        let runtime = (0..graph.len())
            .map(|i| match plans.get(i) {
                Some(p) => RuntimeInputs {
                    hash_deps: p.hash_deps.clone(),
                    file_checksums: p.file_checksums.clone(),
                    taint: p.taint.clone(),
                },
                None => RuntimeInputs::default(),
            })
            .collect();
        DepTable {
            entries,
            deps: graph.deps.clone(),
            sq_deps,
            runtime,
        }
    }

    /// The run-time part of task `i`'s signature data (`None` past the table's tasks):
    /// the dependency ids and unihashes come from the entries.
    pub fn sig_runtime(&self, i: usize) -> Option<SigRuntime> {
        let inputs = self.runtime.get(i)?;
        let deps = inputs.hash_deps.as_deref().unwrap_or(&self.deps[i]);
        Some(SigRuntime {
            deps: deps
                .iter()
                .filter_map(|&j| self.entries.get(j))
                .map(|e| (format!("{}:{}", e.pn, e.taskname), e.unihash.clone()))
                .collect(),
            file_checksums: inputs.file_checksums.clone(),
            taint: inputs.taint.clone(),
            unihash: self.entries[i].unihash.clone(),
        })
    }

    /// The number of tasks in the table; a setscene job's index is this plus its
    /// task's index (see [`DepTable::setscene_closure`]).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table has no task.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// What task `i`'s setscene task is given (BitBake's `sq_build_taskdepdata`): the
    /// task itself and the tasks its setscene task's `[depends]` names, directly or
    /// not, each with those setscene dependencies as its `deps` (ids without
    /// `_setscene`).
    pub fn setscene_closure(&self, i: usize) -> Vec<DepEntry> {
        let deps = |j: usize| self.sq_deps.get(j).map(Vec::as_slice).unwrap_or_default();
        self.reach(i, deps)
            .into_iter()
            .map(|j| {
                let mut e = self.entries[j].clone();
                e.deps = deps(j)
                    .iter()
                    .map(|&k| self.entries[k].tid.clone())
                    .collect();
                e
            })
            .collect()
    }

    /// The entries task `i` is given: itself and every task it depends on, directly or
    /// not, in the order they are reached.
    pub fn closure(&self, i: usize) -> Vec<&DepEntry> {
        self.reach(i, |j| self.deps[j].as_slice())
            .into_iter()
            .map(|j| &self.entries[j])
            .collect()
    }

    /// Task `i` and every task reached from it through `deps`, depth first, each once,
    /// in the order reached.
    fn reach<'a>(&'a self, i: usize, deps: impl Fn(usize) -> &'a [usize]) -> Vec<usize> {
        let mut seen = vec![false; self.entries.len()];
        let mut out = Vec::new();
        let mut stack = vec![i];
        while let Some(j) = stack.pop() {
            if j >= seen.len() || seen[j] {
                continue;
            }
            seen[j] = true;
            out.push(j);
            stack.extend(deps(j).iter().rev().copied());
        }
        out
    }
}

/// Per task, the tasks named by its setscene task's `[depends]` flag (`NAME:do_Y_setscene`
/// or `NAME:do_Y`), NAME looked up among the build's recipes by PN and PROVIDES (the
/// first recipe of the graph that provides it, as BitBake's `build_targets`); names no
/// recipe of the build provides are left out, as BitBake leaves them.
fn setscene_deps(
    graph: &TaskGraph,
    entries: &[DepEntry],
    recipes: &HashMap<String, DataStore>,
) -> Vec<Vec<usize>> {
    let mut provider: HashMap<&str, &str> = HashMap::new();
    for e in entries {
        for p in &e.provides {
            provider.entry(p.as_str()).or_insert(e.fn_name.as_str());
        }
    }
    let index: HashMap<&str, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.tid.as_str(), i))
        .collect();
    graph
        .tasks
        .iter()
        .map(|t| {
            let Some(d) = recipes.get(&t.fn_name) else {
                return Vec::new();
            };
            let flag = d
                .get_var_flag(&format!("{}_setscene", t.task), "depends", true)
                .ok()
                .flatten()
                .unwrap_or_default();
            flag.split_whitespace()
                .filter_map(|dep| {
                    let (name, task) = dep.rsplit_once(':')?;
                    let task = task.strip_suffix("_setscene").unwrap_or(task);
                    let fn_name = provider.get(name)?;
                    index.get(format!("{fn_name}:{task}").as_str()).copied()
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setscene_task_is_given_itself_and_its_setscene_depends() {
        use bb_taskgraph::{TaskGraph, TaskId};
        let mut graph = TaskGraph::default();
        for (f, t) in [
            ("/r/app.bb", "do_compile"),
            ("/r/app.bb", "do_populate_sysroot"),
            ("/r/base-passwd.bb", "do_populate_sysroot"),
            ("/r/shadow.bb", "do_populate_sysroot"),
        ] {
            graph.tasks.push(TaskId {
                fn_name: f.to_owned(),
                task: t.to_owned(),
            });
            graph.deps.push(Vec::new());
        }
        graph.deps[1] = vec![0];
        let mut recipes = HashMap::new();
        let mut app = DataStore::new();
        app.set_var_flag(
            "do_populate_sysroot_setscene",
            "depends",
            "base-passwd:do_populate_sysroot_setscene virtual/shadow:do_populate_sysroot_setscene nothing:do_x_setscene",
        );
        recipes.insert("/r/app.bb".to_owned(), app);
        let mut shadow = DataStore::new();
        shadow.set_var("PROVIDES", "virtual/shadow");
        recipes.insert("/r/shadow.bb".to_owned(), shadow);
        recipes.insert("/r/base-passwd.bb".to_owned(), DataStore::new());
        let plans: Vec<TaskPlan> = ["app", "app", "base-passwd", "shadow"]
            .iter()
            .map(|pn| TaskPlan {
                pn: (*pn).to_owned(),
                basehash: String::new(),
                taskhash: String::new(),
                unihash: String::new(),
                stamp: None,
                noexec: false,
                up_to_date: false,
                tainted: false,
                sigdata_path: None,
                taint: None,
                file_checksums: Vec::new(),
                hash_deps: None,
            })
            .collect();
        let table = DepTable::new(&graph, &plans, &recipes);
        let got = table.setscene_closure(1);
        let tids: Vec<&str> = got.iter().map(|e| e.tid.as_str()).collect();
        assert_eq!(
            tids,
            [
                "/r/app.bb:do_populate_sysroot",
                "/r/base-passwd.bb:do_populate_sysroot",
                "/r/shadow.bb:do_populate_sysroot"
            ]
        );
        // The task's deps are its setscene dependencies, not its real ones.
        assert_eq!(
            got[0].deps,
            [
                "/r/base-passwd.bb:do_populate_sysroot",
                "/r/shadow.bb:do_populate_sysroot"
            ]
        );
        assert!(got[1].deps.is_empty());
        // A task whose setscene task names nothing is given itself alone.
        let alone = table.setscene_closure(2);
        assert_eq!(alone.len(), 1);
        assert_eq!(alone[0].pn, "base-passwd");
    }
}
