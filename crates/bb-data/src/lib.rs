//! The BitBake datastore and the evaluation of parsed metadata into it.
//!
//! Entry points:
//! - [`DataStore`]: variables, flags, overrides, `:append`/`:prepend`/`:remove`,
//!   expansion ([`DataStore::get_var`], [`DataStore::expand`]) and history; cheap copies.
//! - [`Evaluator`]: reads files through a [`FileSource`] and evaluates them
//!   (`include`, `require`, `inherit`, functions, tasks), then finalizes recipes.
//! - [`dump::emit_env`]: the `bitbake -e` output.
//!
//! This crate is pure: no network, no child processes, no writes; files come in through
//! [`FileSource`].

mod anon;
pub mod dump;
mod error;
mod eval;
mod expand;
mod history;
pub mod python;
mod refs;
mod store;
mod tasks;
mod typed;
mod varmap;

pub use anon::run_python_function;
pub use error::{Error, Result};
pub use eval::{
    Evaluator, FileSource, ParsedFile, VariantRunner, add_task, base_datastore, del_task,
    expand_keys, file_depends,
};
pub use expand::var_refs;
pub use history::{HistoryEvent, IncludeTree, Origin};
pub use refs::ExpandRefs;
pub use store::{DataStore, OpKind, SetOpts};
pub use tasks::{TASK_FLAGS, TaskDeps};
pub use typed::TypedValue;
