//! Toaster's build recorder: Toaster's data model in SQLite, builds recorded from the run
//! queue's events, and the logic of the `toaster-manage` commands.
//!
//! Entry points:
//! - [`db::open`]: opens or creates `toaster.sqlite` (WAL, foreign keys, incremental
//!   auto-vacuum) and applies the numbered migrations of `schema.rs` up to
//!   [`db::SCHEMA_VERSION`] (`PRAGMA user_version`); [`db::check`] runs
//!   `integrity_check` and `foreign_key_check`.
//! - [`Recorder`]: [`Recorder::start`] writes the build, its targets, layers, recipes
//!   and variables with their history in one transaction; [`Recorder::event`] queues
//!   each [`bb_events::BuildEvent`] for a writer thread that commits in batches;
//!   [`Recorder::finish`] waits for it. [`Recorder::parse_progress`] records the parse
//!   progress the web interface shows live, [`Recorder::packages`] and
//!   [`Recorder::image`] what packaging made (packages, files, dependencies; an image's
//!   installed packages, tree and image files).
//! - [`manage`]: `buildslist`, `builddelete`, `checksettings`, `perf` and the crash
//!   recovery of builds whose recorder died ([`manage::fail_stale_builds`]).
//! - [`fixtures`]: `loaddata` of Django XML fixtures (`fixtures/*.xml`).
//! - [`model`]: Toaster's enumerations with their stored values.
//! - [`bldcontrol`]: the build queue (requests scheduled, claimed by `runbuilds`,
//!   cancelled, closed); [`layerindex`]: the layer-index import of `lsupdates`;
//!   [`projects`]: the changes the project pages make.
//!
//! Files: `db.rs` (connection, migrations, checks, vacuum), `schema.rs` (the SQL),
//! `recorder.rs` (build start and the writer thread; `recorder/writer/packages.rs` packages and images), `recovery.rs` (stale builds),
//! `manage.rs` (commands), `fixtures.rs` (XML fixtures), `model.rs` (enums),
//! `error.rs`.
//!
//! ```
//! # fn main() -> bb_toaster::Result<()> {
//! use bb_events::{BuildEvent, Outcome, TaskRef, Usage};
//! use bb_toaster::{BuildStart, Recorder};
//!
//! let dir = tempfile::tempdir()?;
//! let db = dir.path().join(bb_toaster::db::DB_FILE);
//! let rec = Recorder::start(
//!     &db,
//!     BuildStart {
//!         machine: "qemux86-64".into(),
//!         distro: "bake".into(),
//!         targets: vec![("sayhello".into(), String::new())],
//!         ..BuildStart::default()
//!     },
//! )?;
//! let task = TaskRef {
//!     index: 0,
//!     pn: "sayhello".into(),
//!     fn_name: "/meta/sayhello.bb".into(),
//!     task: "do_compile".into(),
//! };
//! rec.event(&BuildEvent::TaskStarted {
//!     task: task.clone(),
//!     number: 1,
//!     total: 1,
//!     log: "/tmp/log.do_compile".into(),
//!     noexec: false,
//! });
//! rec.event(&BuildEvent::TaskSucceeded { task, usage: Usage::default() });
//! rec.event(&BuildEvent::BuildFinished {
//!     outcome: Outcome::Succeeded,
//!     ran: 1,
//!     skipped: 0,
//!     failed: 0,
//!     not_run: 0,
//! });
//! let id = rec.finish()?;
//!
//! let mut conn = bb_toaster::db::open(&db)?;
//! let builds = bb_toaster::manage::buildslist(&conn)?;
//! assert_eq!(builds[0].text(), format!("{id}: qemux86-64 bake sayhello"));
//! assert_eq!(builds[0].outcome, "Succeeded");
//! bb_toaster::manage::builddelete(&mut conn, &[id])?;
//! assert!(bb_toaster::db::check(&conn)?.is_empty());
//! # Ok(()) }
//! ```

pub mod bldcontrol;
pub mod customimages;
pub mod db;
mod error;
pub mod fixtures;
pub mod layerindex;
pub mod manage;
pub mod model;
pub mod projects;
mod recorder;
mod recovery;
mod schema;

pub use error::{Error, Result};
pub use recorder::{
    BuildStart, DepTree, HistoryRow, ImageFile, ImageRow, InstalledPackage, LayerInfo, Logger,
    PackageRow, RecipeRow, Recorder, SstateNames, TaskRow, VariableRow,
};
