//! bake as a library: what BitBake's tinfoil is for Python tools. A [`Session`] opens a
//! build directory as `bitbake` does (`conf/bblayers.conf`, layers, the base
//! configuration), parses every recipe with the parse cache and a progress callback,
//! answers questions about recipes and providers, hands out a recipe's finalized
//! datastore (`get_var` with and without expansion, flags, history), computes the task
//! graph of targets, and runs a build whose events stream over a channel and which can
//! be cancelled.
//!
//! Entry points:
//! - [`Session::open`], [`Session::parse`], [`Session::recipes`], [`Session::providers`];
//! - [`Session::recipe_data`] / [`Session::target_data`] (a [`bb_data::DataStore`]);
//! - [`Session::task_graph`] (a [`bb_taskgraph::TaskGraph`], `bitbake -g`);
//! - [`Session::build`] with a [`BuildRequest`], events as [`bb_events::BuildEvent`],
//!   cancellation through [`BuildRequest::cancel`];
//! - [`Observer`]: where status lines, log records and progress go (nothing here prints);
//! - [`natives::natives`]: the native task functions of bake's default layer.
//!
//! Two runnable programs show the API: `examples/list_recipes.rs` (every recipe with
//! PV and LICENSE) and `examples/build_events.rs` (build a target, print each task's
//! outcome and duration): `cargo run -p bb-session --example list_recipes -- BUILDDIR`.
//!
//! ```no_run
//! use std::sync::mpsc;
//! use bb_session::{BuildRequest, Quiet, Session};
//!
//! # fn main() -> Result<(), bb_session::Error> {
//! let mut session = Session::open("testdata/build-hello")?;
//! session.parse(&Quiet)?;
//! let (tx, rx) = mpsc::channel();
//! let req = BuildRequest { targets: vec!["sayhello".into()], ..Default::default() };
//! let printer = std::thread::spawn(move || rx.iter().count());
//! let report = session.build(&req, &tx, &Quiet)?;
//! drop(tx);
//! println!("{} events, {:?}", printer.join().unwrap_or(0), report.summary);
//! # Ok(()) }
//! ```

mod build;
mod diskmon;
mod error;
pub mod natives;
pub mod pysiggen;
mod pytask;
mod rqevents;
mod session;
pub mod sstate;
mod taskcache;
pub mod worker;

pub use bb_cooker::providers::Level;
pub use bb_runqueue::SetsceneMode;
pub use build::{BuildReport, BuildRequest, TasksReady};
pub use error::{Error, Result};
pub use session::{Observer, Quiet, Session};
