//! Toaster's build recorder: Toaster's data model in SQLite ([`db::open`] creates and
//! migrates it: WAL, foreign keys, incremental vacuum), builds recorded from the run
//! queue's events by a [`Recorder`] that writes on its own thread in batched
//! transactions, and the logic of `toaster-manage` ([`manage`]).
//!
//! ```no_run
//! # fn demo(events: Vec<bb_runqueue::BuildEvent>) -> bb_toaster::Result<()> {
//! use bb_toaster::{BuildStart, Recorder};
//! let rec = Recorder::start(
//!     std::path::Path::new("toaster.sqlite"),
//!     BuildStart {
//!         machine: "qemux86-64".into(),
//!         targets: vec![("sayhello".into(), String::new())],
//!         ..BuildStart::default()
//!     },
//! )?;
//! for ev in &events {
//!     rec.event(ev);
//! }
//! let id = rec.finish()?;
//! let conn = bb_toaster::db::open(std::path::Path::new("toaster.sqlite"))?;
//! for b in bb_toaster::manage::buildslist(&conn)? {
//!     println!("{}", b.text());
//! }
//! # let _ = id; Ok(()) }
//! ```

pub mod db;
mod error;
pub mod fixtures;
pub mod manage;
pub mod model;
mod recorder;
mod recovery;
mod schema;

pub use error::{Error, Result};
pub use recorder::{BuildStart, HistoryRow, LayerInfo, RecipeRow, Recorder, VariableRow};
