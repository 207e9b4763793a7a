//! The task table of a finalized recipe, as `bb.build.add_tasks` collects it
//! (`_task_deps`): the tasks in definition order, each task's parents (its `deps`
//! flag: the `after` tasks of `addtask`), and the flags that shape the task graph,
//! expanded.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The flags `add_tasks` collects per task, in BitBake's order.
pub const TASK_FLAGS: &[&str] = &[
    "mcdepends",
    "depends",
    "rdepends",
    "deptask",
    "rdeptask",
    "recrdeptask",
    "recideptask",
    "nostamp",
    "fakeroot",
    "noexec",
    "umask",
];

/// One recipe's tasks and their graph flags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TaskDeps {
    /// Task names (`do_compile`), in the order they were added.
    pub tasks: Vec<String>,
    /// Per task, the tasks of the same recipe it runs after.
    pub parents: BTreeMap<String, Vec<String>>,
    /// Flag name (one of [`TASK_FLAGS`]) -> task -> expanded value.
    pub flags: BTreeMap<String, BTreeMap<String, String>>,
}

impl TaskDeps {
    /// The expanded value of `flag` on `task`, when set.
    pub fn flag(&self, flag: &str, task: &str) -> Option<&str> {
        self.flags.get(flag)?.get(task).map(String::as_str)
    }

    /// The words of `flag` on `task` (empty when unset).
    pub fn flag_words(&self, flag: &str, task: &str) -> Vec<&str> {
        self.flag(flag, task)
            .map(|v| bb_util::split_words(v).collect())
            .unwrap_or_default()
    }

    /// Whether `flag` is set on `task` (`noexec`, `nostamp`: BitBake checks presence).
    pub fn has(&self, flag: &str, task: &str) -> bool {
        self.flag(flag, task).is_some()
    }

    /// Whether `task` exists.
    pub fn contains(&self, task: &str) -> bool {
        self.tasks.iter().any(|t| t == task)
    }
}
