//! The setscene phase: which tasks' output can come from shared state instead of
//! running them and everything before them, as BitBake's run queue decides it.
//!
//! A task has a setscene variant when its recipe adds `<task>_setscene`. Before any
//! task runs, [`plan`]:
//! 1. counts as current every setscene task whose setscene stamp
//!    (`${STAMP}.do_task_setscene.<hash>`) or whose own stamp is valid;
//! 2. asks the [`SetsceneHooks`] (BitBake's BB_HASHCHECK_FUNCTION) which of the others
//!    have an object, locally or on a mirror, all in one call (the hook checks them in
//!    parallel);
//! 3. works backwards from the targets: a task that is current stops the walk; a task
//!    whose object exists is restored and stops the walk too, except for the nearest
//!    setscene tasks below it that [`SetsceneHooks::dep_valid`] (BB_SETSCENE_DEPVALID)
//!    says it still needs; any other task runs, and the walk goes on into its
//!    dependencies. What the walk never reaches is covered: not needed, never
//!    fetched, never built (a recipe restored from shared state does not pull in its
//!    compiler).
//!
//! The scheduler runs the restores first; a setscene task that fails makes its real
//! task run instead, and the walk is done again from there ([`SetscenePlan::fail`]).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use bb_events::{SkipReason, SstateFound};
use bb_taskgraph::TaskGraph;

use crate::hashes::TaskPlan;

/// One task as the hooks see it (the real task: `do_populate_sysroot`).
#[derive(Debug, Clone, Copy)]
pub struct SetsceneQuery<'a> {
    /// Index in the task graph.
    pub index: usize,
    /// The recipe target.
    pub fn_name: &'a str,
    /// The recipe's PN.
    pub pn: &'a str,
    /// The task (`do_populate_sysroot`).
    pub task: &'a str,
    /// The hash its objects are named by: its unihash (the taskhash unless a hash
    /// equivalence server maps it to another).
    pub hash: &'a str,
    /// The task's own hash.
    pub taskhash: &'a str,
}

/// What a build's metadata says about shared state: BitBake's BB_HASHCHECK_FUNCTION
/// and BB_SETSCENE_DEPVALID. Implemented by the session: bake's native sstate, or the
/// metadata's own Python functions.
pub trait SetsceneHooks: Sync {
    /// Where the object of each task is (same order as `tasks`); `current`: how many
    /// setscene tasks are current already (BitBake's `currentcount`).
    fn check(&self, tasks: &[SetsceneQuery<'_>], current: usize) -> Vec<SstateFound>;

    /// What the hash check printed itself (the metadata's function prints oe-core's
    /// "Sstate summary" line with `bb.plain`); `None`: the caller words the summary.
    fn printed(&self) -> Option<String> {
        None
    }

    /// Whether setscene task `task` can be left out although `dependees` (the restored
    /// tasks it lies below) are restored: `true` when none of them needs it. The
    /// default needs every dependency, as BitBake does without BB_SETSCENE_DEPVALID.
    fn dep_valid(&self, _task: &SetsceneQuery<'_>, _dependees: &[SetsceneQuery<'_>]) -> bool {
        false
    }

    /// Hash equivalence, after task `task` succeeded: its output hash reported, the
    /// unihash the server gives its taskhash returned (`None`: no hash equivalence, or
    /// not a task whose output is reported).
    fn report(&self, _task: &SetsceneQuery<'_>) -> Option<String> {
        None
    }

    /// Hash equivalence: the unihash of `taskhash` of task `task` of `fn_name`, when a
    /// server knows one.
    fn unihash(&self, _fn_name: &str, _task: &str, _taskhash: &str) -> Option<String> {
        None
    }
}

/// How the command line wants shared state used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SetsceneMode {
    /// Restore what can be restored, run the rest.
    #[default]
    Normal,
    /// `--setscene-only`: restore what can be restored, run no real task.
    Only,
    /// `--skip-setscene`: run no setscene task, but keep what earlier builds restored.
    Skip,
    /// `--no-setscene`: ignore shared state: build everything needed.
    Off,
}

/// What the setscene phase decided for one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cover {
    /// Runs (if its stamp is not current).
    Run,
    /// Restored by its setscene task.
    Restore,
    /// A setscene task already current (its stamp or setscene stamp is valid): what
    /// it covers need not run (BitBake reports it and them as "covered").
    Current,
    /// Not a setscene task, its stamp current, above what the setscene tasks cover
    /// (BitBake's "existing").
    Existing,
    /// Not needed: only restored or current setscene tasks depend on it.
    Covered,
}

/// The setscene decisions of a build (see the module documentation).
#[derive(Debug, Clone)]
pub struct SetscenePlan {
    /// Per task of the graph.
    pub cover: Vec<Cover>,
    /// Per task: has a setscene variant.
    pub has_setscene: Vec<bool>,
    /// Per task: where the hash check found its object (`None`: not checked).
    pub found: Vec<Option<SstateFound>>,
    /// Per task: current through a setscene stamp of an earlier build.
    pub setscene_stamp: Vec<bool>,
    /// Setscene tasks current before the phase (oe-core's "Current").
    pub current: usize,
    /// Tasks of the graph with a setscene variant.
    pub total: usize,
    /// Per task to restore: the restored tasks it was found needed below (its
    /// setscene task starts after theirs, as BitBake orders setscene tasks from the
    /// targets down).
    pub needed_by: Vec<Vec<usize>>,
    /// Setscene tasks that failed this build.
    failed: HashSet<usize>,
    mode: SetsceneMode,
}

/// `${STAMP}.do_task_setscene.<hash>`: task `i`'s setscene stamp, from its real stamp.
pub fn setscene_stamp(plan: &TaskPlan, task: &str) -> Option<PathBuf> {
    let stamp = plan.stamp.as_ref()?;
    let name = stamp.file_name()?.to_string_lossy().into_owned();
    let marker = format!(".{task}.");
    let pos = name.find(&marker)?;
    let renamed = format!(
        "{}.{task}_setscene.{}",
        &name[..pos],
        &name[pos + marker.len()..]
    );
    Some(stamp.with_file_name(renamed))
}

/// Whether the graph has any setscene task (else BitBake says "No setscene tasks").
pub fn has_setscene_tasks(graph: &TaskGraph) -> bool {
    let variants = setscene_variants(graph);
    graph.tasks.iter().any(|t| {
        variants
            .get(t.fn_name.as_str())
            .is_some_and(|v| v.contains(&t.task.as_str()))
    })
}

/// Per recipe target, the tasks that have a `_setscene` variant (one pass over each
/// recipe's task list).
fn setscene_variants(graph: &TaskGraph) -> HashMap<&str, Vec<&str>> {
    graph
        .flags
        .iter()
        .filter_map(|(f, td)| {
            let v: Vec<&str> = td
                .tasks
                .iter()
                .filter_map(|t| t.strip_suffix("_setscene"))
                .collect();
            (!v.is_empty()).then_some((f.as_str(), v))
        })
        .collect()
}

/// Task `i` as the hooks see it.
pub fn query<'a>(graph: &'a TaskGraph, plans: &'a [TaskPlan], i: usize) -> SetsceneQuery<'a> {
    SetsceneQuery {
        index: i,
        fn_name: &graph.tasks[i].fn_name,
        pn: &plans[i].pn,
        task: &graph.tasks[i].task,
        hash: &plans[i].unihash,
        taskhash: &plans[i].taskhash,
    }
}

/// Works out the setscene phase of a build: which tasks are current, which objects
/// exist (one call of `hooks.check`, unless `mode` is `Skip` or `Off`), and the walk
/// from the targets.
pub fn plan(
    graph: &TaskGraph,
    plans: &[TaskPlan],
    hooks: &dyn SetsceneHooks,
    mode: SetsceneMode,
) -> SetscenePlan {
    let n = graph.len();
    let variants = setscene_variants(graph);
    let has_setscene: Vec<bool> = graph
        .tasks
        .iter()
        .map(|t| {
            variants
                .get(t.fn_name.as_str())
                .is_some_and(|v| v.contains(&t.task.as_str()))
        })
        .collect();
    let order = crate::hashes::topo_order(graph);
    // Setscene stamps of earlier builds (not with --no-setscene: everything builds).
    let setscene_stamp: Vec<bool> = (0..n)
        .map(|i| {
            mode != SetsceneMode::Off
                && has_setscene[i]
                && !plans[i].up_to_date
                && setscene_stamp(&plans[i], &graph.tasks[i].task).is_some_and(|p| p.exists())
        })
        .collect();
    let eff = effective_current(graph, plans, &order, &setscene_stamp);
    let total = has_setscene.iter().filter(|h| **h).count();
    let current = (0..n).filter(|&i| has_setscene[i] && eff[i]).count();
    let mut found = vec![None; n];
    if matches!(mode, SetsceneMode::Normal | SetsceneMode::Only) {
        // Called even with nothing to check, as BitBake calls it (the metadata's
        // function prints its summary).
        let wanted: Vec<usize> = (0..n).filter(|&i| has_setscene[i] && !eff[i]).collect();
        let queries: Vec<SetsceneQuery<'_>> =
            wanted.iter().map(|&i| query(graph, plans, i)).collect();
        let answers = hooks.check(&queries, current);
        for (k, &i) in wanted.iter().enumerate() {
            found[i] = Some(answers.get(k).copied().unwrap_or(SstateFound::Missed));
        }
    }
    let mut p = SetscenePlan {
        cover: vec![Cover::Covered; n],
        needed_by: vec![Vec::new(); n],
        has_setscene,
        found,
        setscene_stamp,
        current,
        total,
        failed: HashSet::new(),
        mode,
    };
    p.walk(graph, plans, hooks, &eff);
    p
}

/// A task is current when its own stamp is valid and so is every task it depends on,
/// or when its setscene stamp is valid (what it covers need not be).
fn effective_current(
    graph: &TaskGraph,
    plans: &[TaskPlan],
    order: &[usize],
    setscene_stamp: &[bool],
) -> Vec<bool> {
    let mut eff = vec![false; graph.len()];
    for &i in order {
        eff[i] =
            setscene_stamp[i] || (plans[i].up_to_date && graph.deps[i].iter().all(|&d| eff[d]));
    }
    eff
}

impl SetscenePlan {
    /// Whether task `i`'s object can be restored (found, and its setscene task has not
    /// failed this build).
    fn restorable(&self, i: usize) -> bool {
        self.has_setscene[i]
            && !self.failed.contains(&i)
            && matches!(
                self.found[i],
                Some(SstateFound::Local | SstateFound::Mirror)
            )
    }

    /// The walk from the targets (see the module documentation).
    fn walk(
        &mut self,
        graph: &TaskGraph,
        plans: &[TaskPlan],
        hooks: &dyn SetsceneHooks,
        eff: &[bool],
    ) {
        let n = graph.len();
        let mut cover = vec![Cover::Covered; n];
        let mut seen = vec![false; n];
        let mut stack: Vec<usize> = graph.targets.clone();
        // Restored tasks whose nearest setscene dependencies are still to be decided.
        let mut restored: Vec<usize> = Vec::new();
        loop {
            while let Some(i) = stack.pop() {
                if seen[i] {
                    continue;
                }
                seen[i] = true;
                if eff[i] && self.has_setscene[i] {
                    cover[i] = Cover::Current;
                    continue;
                }
                if eff[i] {
                    // Current, but not covered by a setscene task: what it needs is
                    // looked at too (it may be covered, or current on its own).
                    cover[i] = Cover::Existing;
                    stack.extend(graph.deps[i].iter().copied());
                    continue;
                }
                if self.restorable(i) {
                    cover[i] = Cover::Restore;
                    restored.push(i);
                    continue;
                }
                cover[i] = Cover::Run;
                stack.extend(graph.deps[i].iter().copied());
            }
            // The nearest setscene tasks below each restored one: needed unless the
            // hook says the dependees can do without.
            let Some(r) = restored.pop() else { break };
            for j in self.nearest_setscene_below(graph, r) {
                if seen[j] {
                    continue;
                }
                let dependees = [query(graph, plans, r)];
                if !hooks.dep_valid(&query(graph, plans, j), &dependees) {
                    stack.push(j);
                }
            }
        }
        // The order of the restores: each after the restores right above it.
        let mut needed_by = vec![Vec::new(); n];
        for r in (0..n).filter(|&r| cover[r] == Cover::Restore) {
            for j in self.nearest_setscene_below(graph, r) {
                if cover[j] == Cover::Restore {
                    needed_by[j].push(r);
                }
            }
        }
        self.needed_by = needed_by;
        self.cover = cover;
    }

    /// The setscene tasks reached from `i`'s dependencies without passing through
    /// another setscene task.
    fn nearest_setscene_below(&self, graph: &TaskGraph, i: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut stack: Vec<usize> = graph.deps[i].clone();
        while let Some(j) = stack.pop() {
            if !seen.insert(j) {
                continue;
            }
            if self.has_setscene[j] {
                out.push(j);
                continue;
            }
            stack.extend(graph.deps[j].iter().copied());
        }
        out.sort_unstable();
        out
    }

    /// Setscene task `i` failed: its real task runs instead. The walk is done again;
    /// returns the tasks newly to be restored (not restored yet).
    pub fn fail(
        &mut self,
        graph: &TaskGraph,
        plans: &[TaskPlan],
        hooks: &dyn SetsceneHooks,
        i: usize,
        done: &HashSet<usize>,
    ) -> Vec<usize> {
        self.failed.insert(i);
        let order = crate::hashes::topo_order(graph);
        let eff = effective_current(graph, plans, &order, &self.setscene_stamp);
        let before = self.cover.clone();
        self.walk(graph, plans, hooks, &eff);
        // What was restored already stays restored.
        for &d in done {
            if self.cover[d] != Cover::Run {
                self.cover[d] = Cover::Restore;
            }
        }
        (0..graph.len())
            .filter(|&k| {
                self.cover[k] == Cover::Restore && before[k] != Cover::Restore && !done.contains(&k)
            })
            .collect()
    }

    /// The tasks to restore, in the order they are considered: from the targets
    /// down (a task before the tasks it depends on), as BitBake runs setscene tasks.
    pub fn to_restore(&self, graph: &TaskGraph) -> Vec<usize> {
        let mut v: Vec<usize> = crate::hashes::topo_order(graph)
            .into_iter()
            .filter(|&i| self.cover[i] == Cover::Restore)
            .collect();
        v.reverse();
        v
    }

    /// Which tasks are current: their own stamp valid and every dependency current,
    /// or their setscene stamp valid (see `effective_current`), as planned.
    pub(crate) fn effective_current(
        &self,
        graph: &TaskGraph,
        plans: &[TaskPlan],
        order: &[usize],
    ) -> Vec<bool> {
        effective_current(graph, plans, order, &self.setscene_stamp)
    }

    /// `--setscene-only`: no real task runs.
    pub fn setscene_only(&self) -> bool {
        self.mode == SetsceneMode::Only
    }

    /// Why task `i` is passed over in the real phase (`None`: it runs, unless its
    /// stamp is current).
    pub fn skip_reason(&self, i: usize, up_to_date: bool) -> Option<SkipReason> {
        match self.cover[i] {
            Cover::Run => None,
            Cover::Restore | Cover::Covered | Cover::Current => Some(SkipReason::Covered),
            Cover::Existing if up_to_date => Some(SkipReason::UpToDate),
            Cover::Existing => None,
        }
    }

    /// The counts of oe-core's summary line: wanted, local, mirrors, missed.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let mut c = (0, 0, 0, 0);
        for f in self.found.iter().flatten() {
            c.0 += 1;
            match f {
                SstateFound::Local => c.1 += 1,
                SstateFound::Mirror => c.2 += 1,
                SstateFound::Missed => c.3 += 1,
            }
        }
        c
    }
}

#[cfg(test)]
mod tests;
