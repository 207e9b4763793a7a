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
}

impl DepTable {
    /// The table of `graph` with `plans` (same order) and the recipes' datastores.
    pub fn new(
        graph: &TaskGraph,
        plans: &[TaskPlan],
        recipes: &HashMap<String, DataStore>,
    ) -> DepTable {
        let mut per_recipe: HashMap<&str, (Vec<String>, String)> = HashMap::new();
        let entries = graph
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
        DepTable {
            entries,
            deps: graph.deps.clone(),
        }
    }

    /// The entries task `i` is given: itself and every task it depends on, directly or
    /// not, in the order they are reached.
    pub fn closure(&self, i: usize) -> Vec<&DepEntry> {
        let mut seen = vec![false; self.entries.len()];
        let mut out = Vec::new();
        let mut stack = vec![i];
        while let Some(j) = stack.pop() {
            if j >= seen.len() || seen[j] {
                continue;
            }
            seen[j] = true;
            out.push(&self.entries[j]);
            stack.extend(self.deps[j].iter().rev().copied());
        }
        out
    }
}
