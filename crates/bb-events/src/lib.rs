//! Build events: what the run queue publishes while it works, for the terminal UI and
//! for the build recorder (Toaster). Plain serde types sent over a channel; this crate
//! depends on serde only, so a recorder or a UI links none of the build engine.
//!
//! Entry points: [`BuildEvent`] (one step of a build), [`TaskRef`], [`Usage`],
//! [`Outcome`], [`SkipReason`], [`SstateFound`]. Any change to these types bumps [`FORMAT_VERSION`].
//!
//! ```
//! use bb_events::{BuildEvent, Outcome};
//! let e = BuildEvent::BuildFinished { outcome: Outcome::Succeeded, ran: 1, skipped: 0, failed: 0, not_run: 0 };
//! let text = serde_json::to_string(&e).unwrap();
//! assert_eq!(serde_json::from_str::<BuildEvent>(&text).unwrap(), e);
//! ```

use serde::{Deserialize, Serialize};

/// The version of the serialized form of these types; bumped by any change to them.
pub const FORMAT_VERSION: u32 = 4;

/// A task as events name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRef {
    /// Index in the task graph.
    pub index: usize,
    /// The recipe's PN.
    pub pn: String,
    /// The recipe target (`/path/x.bb`, `virtual:native:/path/x.bb`).
    pub fn_name: String,
    /// The task (`do_compile`).
    pub task: String,
}

/// Resources a task's processes used, from the OS's child accounting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Wall time, seconds.
    pub elapsed: f64,
    /// User CPU time of the task's processes, seconds.
    pub cpu_user: f64,
    /// System CPU time, seconds.
    pub cpu_system: f64,
    /// Bytes read from disk (block input operations x 512).
    pub disk_read: u64,
    /// Bytes written to disk (block output operations x 512).
    pub disk_write: u64,
}

/// Why a task did not run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SkipReason {
    /// A stamp for its current hash exists.
    UpToDate,
    /// `noexec`: nothing to run (its stamp is written).
    NoExec,
    /// A task it depends on failed (with `-k`), or the build stopped.
    DependencyFailed,
    /// Covered by shared state: restored by its setscene task (this build or an
    /// earlier one), or needed only by tasks that were (BitBake's "covered").
    Covered,
}

/// Where the hash check found a setscene task's object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SstateFound {
    /// In SSTATE_DIR.
    Local,
    /// On one of SSTATE_MIRRORS.
    Mirror,
    /// Nowhere.
    Missed,
}

/// How a build ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Every task ran or was up to date.
    Succeeded,
    /// At least one task failed.
    Failed,
    /// Interrupted (Ctrl-C).
    Cancelled,
}

/// One event of a build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BuildEvent {
    /// The run queue starts: the targets and how many tasks the graph holds.
    BuildStarted {
        /// The command-line targets.
        targets: Vec<String>,
        /// Tasks in the graph.
        total: usize,
    },
    /// A task starts running (the `number` of `Running task N of M`: tasks finished or
    /// skipped so far plus those running, plus one, as BitBake counts).
    TaskStarted {
        /// The task.
        task: TaskRef,
        /// 1-based count of tasks started so far.
        number: usize,
        /// Tasks in the graph.
        total: usize,
        /// Its log file (`${T}/log.do_task.PID`).
        log: String,
        /// A `noexec` task: nothing runs, a `TaskSkipped` with `NoExec` follows.
        noexec: bool,
    },
    /// A message of a running task (`bb.note`/`bb.warn`/`bb.error`/`bb.plain`, its
    /// shell's `bbnote`/`bbwarn`/...) as its log has it: `NOTE: text`,
    /// `WARNING: text`, `ERROR: text`, or the text alone for `bb.plain`. Sent as the
    /// task logs it when the task runs in a worker; from its log when it ends otherwise.
    LogLine {
        /// The task.
        task: TaskRef,
        /// The line.
        line: String,
    },
    /// A running task's progress (BitBake's `bb.build.TaskProgress`): from its
    /// `[progress]` flag's handler reading its output, or fired by its Python code.
    /// Sent while the task runs.
    TaskProgress {
        /// The task.
        task: TaskRef,
        /// Percent done (0 to 100); negative: progress made, amount unknown.
        progress: f64,
        /// Extra text to show beside it (a rate such as `1.2 MiB/s`), if any.
        rate: Option<String>,
    },
    /// A task succeeded; its stamp is written.
    TaskSucceeded {
        /// The task.
        task: TaskRef,
        /// What it used.
        usage: Usage,
    },
    /// A task failed.
    TaskFailed {
        /// The task.
        task: TaskRef,
        /// What it used.
        usage: Usage,
        /// Its log file.
        log: String,
        /// Why, in a line.
        message: String,
        /// The last lines of its log.
        tail: Vec<String>,
        /// The exit code BitBake's run queue reports for it (`runQueueTaskFailed`): 1,
        /// or the code a task process ended with by itself (`os._exit(3)`: 3), or 128
        /// plus the number of the signal that killed it.
        exitcode: i32,
    },
    /// The setscene phase's hash check (BB_HASHCHECK_FUNCTION): what it looked for and
    /// found. The counts of oe-core's "Sstate summary" line.
    SetsceneChecked {
        /// Each task looked for (the real task: `do_populate_sysroot`), with its hash
        /// and where its object is.
        checked: Vec<(TaskRef, String, SstateFound)>,
        /// Setscene tasks already current (stamps valid): not looked for.
        current: usize,
        /// Tasks of the graph with a setscene variant.
        total: usize,
    },
    /// A setscene task starts (`task` names the real task; the setscene task is
    /// `<task>_setscene`): the `number` of `Running setscene task N of M`.
    SetsceneStarted {
        /// The real task.
        task: TaskRef,
        /// 1-based.
        number: usize,
        /// Tasks of the graph with a setscene variant.
        total: usize,
        /// Its log file.
        log: String,
    },
    /// A setscene task succeeded: the real task's output is restored.
    SetsceneSucceeded {
        /// The real task.
        task: TaskRef,
        /// What it used.
        usage: Usage,
    },
    /// A setscene task failed: the real task will run instead.
    SetsceneFailed {
        /// The real task.
        task: TaskRef,
        /// What it used.
        usage: Usage,
        /// Its log file.
        log: String,
        /// Why, in a line.
        message: String,
        /// The exit code BitBake reports (`sceneQueueTaskFailed.exitcode`): the task
        /// process's own, 128 + the signal that killed it, or 1.
        exitcode: i32,
    },
    /// A task did not need to run.
    TaskSkipped {
        /// The task.
        task: TaskRef,
        /// Why.
        reason: SkipReason,
    },
    /// The build ended.
    BuildFinished {
        /// How.
        outcome: Outcome,
        /// Tasks that ran (succeeded or failed).
        ran: usize,
        /// Tasks up to date or without anything to run.
        skipped: usize,
        /// Tasks that failed.
        failed: usize,
        /// Tasks never started because something they need failed or the build stopped.
        not_run: usize,
    },
}
