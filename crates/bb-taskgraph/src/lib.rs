//! The task graph of a build, as BitBake's `bb.taskdata` and the first half of
//! `bb.runqueue` (`RunQueueData.prepare`) make it: the requested targets are resolved
//! to recipe targets through the cooker's [`Providers`](bb_cooker::providers::Providers),
//! every build-time (DEPENDS) and runtime (RDEPENDS/RRECOMMENDS) name reached from them
//! is resolved the same way, and each task's dependencies are worked out from its
//! `addtask` parents and its `depends`, `rdepends`, `deptask`, `rdeptask`,
//! `recrdeptask` and `recideptask` flags. Tasks no target needs are pruned;
//! `--runall` and `--runonly` are applied; cycles are errors that print the cycle.
//!
//! It works only from the cached recipe summaries ([`RecipeInfo`](bb_cooker::RecipeInfo)),
//! so a graph of a fully cached tree needs no parsing. [`dot`] writes BitBake's
//! `task-depends.dot` and `pn-buildlist`.
//!
//! ```no_run
//! # fn demo(providers: &bb_cooker::providers::Providers, config: &bb_data::DataStore)
//! #     -> Result<(), bb_taskgraph::Error> {
//! use bb_taskgraph::{GraphOptions, Target, build_graph};
//! let opts = GraphOptions {
//!     targets: vec![Target::parse("sayhello", "build")],
//!     ..GraphOptions::default()
//! };
//! let (graph, log) = build_graph(providers, config, &opts);
//! for m in &log {
//!     eprintln!("{m}");
//! }
//! println!("{} tasks", graph?.len());
//! # Ok(()) }
//! ```

pub mod dot;
mod error;
mod graph;
mod taskdata;

pub use error::{Error, Result};
pub use graph::{GraphOptions, Target, TaskGraph, TaskId, build_graph};
pub use taskdata::TaskData;
