//! The task worker's cache of finalized recipe datastores: a worker (`bake --worker`,
//! see `worker.rs`) runs many tasks of the same recipes, and BitBake's worker parses
//! the recipe again for each of them. Here the first task of a recipe target parses it;
//! the next ones get an O(1) copy of that finalized datastore, as long as every file
//! the parse read (recipe, appends, includes, classes, configuration, and the paths it
//! tried that did not exist) still has the content it had then. A changed file makes
//! the next task parse the recipe again.
//!
//! What a copy shares with a fresh parse: a copy starts with no memoised expansion (see
//! `bb_data::DataStore`'s `Clone`), so a value computed when it is expanded (oe-core's
//! SOURCE_DATE_EPOCH from `${T}/../__source_date_epoch.txt`, written by do_unpack) is
//! computed again in each task from what earlier tasks left. What differs: anonymous
//! functions and the recipe's parse-time event handlers run once per worker and target
//! instead of once per task, so a result they computed from the build's own output
//! (files under WORKDIR, the sysroots) is the one of the first task's parse. oe-core's
//! anonymous functions read no such file (docs/compat.md).
//!
//! The first parse also warms what every task child would compute again (see
//! [`warm_up`]); the costliest part, the listing of the `addpylib` modules' functions,
//! is read from the copy an earlier process kept on disk when it still holds
//! (`bb_siggen::set_module_code_cache`, set by [`Session::with_options`]).
//!
//! The cache holds at most [`LIMIT`] targets (the least recently used goes first): a
//! worker of a large build sees hundreds of recipes, and their datastores stay in
//! memory. This module parses nothing itself ([`Session::task_data`] does) and never
//! changes a datastore it hands out.

use bb_cooker::cache::{FileHasher, FileState};
use bb_data::DataStore;

use crate::Session;
use crate::error::Result;

/// How many finalized recipe targets a worker keeps.
pub(crate) const LIMIT: usize = 16;

/// One cached target: its finalized datastore and the files its parse read.
struct Entry {
    target: String,
    d: DataStore,
    deps: Vec<FileState>,
}

/// Finalized recipe datastores by target, least recently used first.
#[derive(Default)]
pub(crate) struct TaskCache {
    entries: Vec<Entry>,
    /// Parses made (misses).
    #[cfg(test)]
    parses: usize,
}

impl TaskCache {
    /// The finalized datastore of recipe target `target` as a task gets it
    /// ([`Session::task_data`]): a copy of the cached one when none of the files its
    /// parse read changed, else parsed again (and cached).
    pub(crate) fn task_data(&mut self, session: &Session, target: &str) -> Result<DataStore> {
        let hasher = FileHasher::default();
        if let Some(i) = self.entries.iter().position(|e| e.target == target) {
            let e = self.entries.remove(i);
            let changed: Vec<&str> = e
                .deps
                .iter()
                .filter(|f| !hasher.unchanged(f))
                .map(|f| f.path.as_str())
                .collect();
            // The evaluator keeps every file's parsed tree: the changed ones are read
            // again by the parse below.
            session.cooker.evaluator().forget(&changed);
            if changed.is_empty() {
                let d = e.d.clone();
                self.entries.push(e);
                return Ok(d);
            }
        }
        let (_, file) = bb_util::split_virtual(target);
        let appends = session.cooker.collected.appends_for(file);
        let d = match session.task_data(target) {
            Ok(d) => d,
            Err(e) => {
                // Not cached; the recipe and its appends are read again next time (a
                // fix made during the build is seen by its next task).
                let mut files = vec![file];
                files.extend(appends.iter().map(String::as_str));
                session.cooker.evaluator().forget(&files);
                return Err(e);
            }
        };
        #[cfg(test)]
        {
            self.parses += 1;
        }
        warm_up(&d);
        let mut files = vec![file.to_owned()];
        files.extend(appends);
        files.extend(bb_data::file_depends(&d));
        let mut seen = std::collections::HashSet::new();
        files.retain(|f| seen.insert(f.clone()));
        let deps = files.iter().map(|f| hasher.state(f)).collect();
        if self.entries.len() >= LIMIT {
            self.entries.remove(0);
        }
        // The task gets a copy too: `warm_up` memoised expansions in `d`, computed
        // before the task ran, which a copy does not carry.
        let copy = d.clone();
        self.entries.push(Entry {
            target: target.to_owned(),
            d,
            deps,
        });
        Ok(copy)
    }

    /// How many times a target was parsed.
    #[cfg(test)]
    pub(crate) fn parses(&self) -> usize {
        self.parses
    }
}

/// Work every task child would otherwise do again, done once in the worker before it
/// forks, for recipe datastore `d` just parsed. oe-core's sstate functions write a
/// `.siginfo` (the task's signature data) in every task; it needs the listing of the
/// `addpylib` modules' functions (`bb_siggen::module_code`, which also imports every
/// BBIMPORTS module, as BitBake's parse does) and the calls found in each Python
/// function body (`bb_siggen::visit`, kept by text for the process), which took about
/// 0.6 s and 50 ms of each task child. Both are computed here, for every task of the
/// recipe, and the children inherit them. Nothing without Python. A failure here is
/// left to the task, which computes it again and reports it.
#[expect(
    clippy::print_stderr,
    reason = "a worker's own warnings go to bake's stderr"
)]
fn warm_up(d: &DataStore) {
    if bb_data::python::python_host().is_none() {
        return;
    }
    let _ = bb_siggen::module_code();
    static REPORTED: std::sync::Once = std::sync::Once::new();
    if let Some(e) = bb_siggen::module_code_cache_error() {
        REPORTED.call_once(|| eprintln!("WARNING: {e}"));
    }
    let _ = bb_siggen::task_basehashes(d, &[]);
}

#[cfg(test)]
mod tests;
