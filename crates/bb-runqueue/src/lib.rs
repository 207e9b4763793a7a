//! BitBake's run queue: given the task graph of a build (bb-taskgraph) and what each
//! recipe in it needs ([`hashes::build_info`]: stamp base, basehashes, local sources),
//! work out every task's hash and stamp ([`hashes::plan`]), then run what is not up to date in dependency order on
//! parallel workers ([`run_build`]), the way BitBake's runqueue and `bb.build` do:
//! run scripts and logs in `${T}`, `[dirs]`, `[cleandirs]`, `[lockfiles]`,
//! `[prefuncs]`/`[postfuncs]`, `[umask]`, `[number_threads]`, `noexec` and `nostamp`,
//! a stamp written only after success, `-k`, `-n`, Ctrl-C. Python task functions run
//! through native implementations ([`Builtins`], see [`builtin`]).
//!
//! Progress and results are [`BuildEvent`]s (crate `bb-events`) sent on a channel, for the terminal UI
//! and for the build recorder. Every task's [`Usage`] is measured however it ends
//! (success, failure, Ctrl-C): wall time, its shells' CPU and block I/O (`wait4`) and
//! the worker thread's own (`RUSAGE_THREAD`) for native functions, with the processes
//! a native function starts itself when no other native call overlaps it.
//!
//! Entry points: [`hashes::plan`], [`setscene::plan`] (what shared state covers, through
//! the [`SetsceneHooks`] the caller gives), [`run_build`] / [`run_build_with_setscene`]
//! (a [`Scheduler`] run to the end),
//! [`Builtins`] / [`builtin::Native`] for native task functions (which fail with a
//! [`TaskError`]), [`StampIndex`] (stamp writes that cost the same in a directory every
//! recipe shares), [`BuildLock`]. Errors: [`Error`].
//!
//! Every per-task step costs the same whatever the size of the build (issue 11 §4;
//! `benches/benches/scale.rs` measures it on worlds of 1,000 to 100,000 tasks).
//!
//! ```no_run
//! # fn demo(graph: &bb_taskgraph::TaskGraph,
//! #         infos: &std::collections::HashMap<String, bb_cooker::BuildInfo>,
//! #         recipes: &std::collections::HashMap<String, bb_data::DataStore>)
//! #     -> Result<(), bb_runqueue::Error> {
//! use bb_runqueue::{RunOptions, builtin::Native, hashes, run_build};
//! // `infos`: what each recipe target's build needs (`hashes::build_info`, cached by
//! // the cooker); `recipes`: finalized datastores of the recipes with tasks to run.
//! let plans = hashes::plan(graph, infos)?;
//! let (tx, rx) = std::sync::mpsc::channel();
//! let opts = RunOptions {
//!     threads: 2,
//!     keep_going: false,
//!     dry_run: false,
//!     cancel: Default::default(),
//!     stop_tasks: Default::default(),
//!     targets: vec!["sayhello".into()],
//! };
//! let summary = run_build(graph, &plans, recipes, &Native::new(), &opts, &tx);
//! drop(tx);
//! for event in rx {
//!     println!("{event:?}");
//! }
//! println!("{summary:?}");
//! # Ok(()) }
//! ```

pub mod builtin;
pub mod depdata;
mod error;
pub mod exec;
pub mod hashes;
mod lock;
pub mod priority;
mod runner;
mod rusage;
mod sched;
pub mod setscene;
mod stamps;

pub use bb_events::{BuildEvent, Outcome, SkipReason, SstateFound, TaskRef, Usage};
pub use error::{Error, Result, TaskError};
pub use exec::{
    Builtins, LiveEvents, TaskContext, TaskFailure, TaskOutcome, TaskRequest, run_task_here,
};
pub use lock::BuildLock;
pub use runner::{runner_main, set_runner_command};
pub use rusage::{from_rusage, ignore_interrupts};
pub use sched::{RunOptions, Scheduler, StopTasks, Summary, run_build, run_build_with_setscene};
pub use setscene::{SetsceneHooks, SetsceneMode, SetscenePlan, SetsceneQuery};
pub use stamps::StampIndex;

/// Writes `bytes` to `path` through a temporary name in the same directory and a
/// rename, so that a crash never leaves a partial file under the real name.
pub(crate) fn atomic_write(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    Ok(bb_util::fs::atomic_write(path, bytes)?)
}
