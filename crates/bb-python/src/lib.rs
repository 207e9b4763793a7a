//! Embedded CPython for metadata Python that `bb-pyexpr` cannot run natively.
//!
//! Entry points:
//! - [`install`]: starts the interpreter (with the `_bake` extension module and the
//!   embedded `bb` package) and installs it as `bb-data`'s [`bb_data::python::PythonHost`].
//! - [`set_logger`]: where `bb.note`/`bb.warn`/`bb.error`/... go.
//! - [`write_stats`]: with `BAKE_PYSTATS=FILE` set when [`install`] ran, appends to FILE
//!   the counts and times of the native evaluator's entry points, of each handover to
//!   CPython (by function, handler, expression or filter, with the reason the native
//!   evaluator gave up) and of the datastore calls Python made (`bb_pyexpr::stats`).
//! - [`CPython`]: the host itself, usable directly (tests, a future task worker).
//!
//! Files:
//! - `datastore.rs`: `d`, bake's Rust [`bb_data::DataStore`] seen from Python (the
//!   `DataSmart` class of `_bake`), moved in for a call and taken back, never copied.
//! - `host.rs`: [`CPython`]: expressions, functions, event handlers, `addpylib`.
//! - `modules.rs`: the `bb` package's Python sources, embedded with `include_str!`, and
//!   the `_bake` module that serves them to the import system.
//! - `python/bb/**.py`: the `bb` package, written for this project from BitBake's
//!   documented behaviour (BitBake's own `lib/bb` is GPL-2.0-only and is not used).
//!
//! Every call takes the GIL, so parse threads take turns in Python; `bb-pyexpr` stays the
//! fast path and CPython runs only what it hands over.

mod datastore;
mod error;
mod host;
mod modules;

pub use datastore::DataSmart;
pub use error::{Error, Result};
pub use host::{
    CPython, Level, after_fork_child, after_fork_parent, before_fork, install, set_logger,
    write_stats,
};
