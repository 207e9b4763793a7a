//! `bb.taskdata.TaskData`: which recipe targets provide the names a build needs, and
//! each target's tasks with their intra-recipe parents and inter-recipe flags.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use bb_cooker::providers::{Level, Message, Providers};
use bb_cooker::{Error as CookerError, RecipeInfo};
use bb_data::DataStore;

use crate::error::{Error, Result};

/// A task id: `fn:do_task` (the fn may itself contain colons, `virtual:native:/x.bb`).
pub(crate) fn tid(fn_name: &str, task: &str) -> String {
    format!("{fn_name}:{task}")
}

/// Splits a task id into (fn, task) at the last colon.
pub(crate) fn split_tid(tid: &str) -> (&str, &str) {
    tid.rsplit_once(':').unwrap_or((tid, ""))
}

/// One task of a target before the run queue resolves its flags.
#[derive(Debug, Clone, Default)]
pub(crate) struct TaskEntry {
    /// Same-recipe parents, as task ids.
    pub(crate) tdepends: Vec<String>,
    /// `depends` flag entries: (build-time name, task).
    pub(crate) idepends: Vec<(String, String)>,
    /// `rdepends` flag entries: (runtime name, task).
    pub(crate) irdepends: Vec<(String, String)>,
}

/// A list of names with their providers, in first-seen order (BitBake iterates its
/// dicts in insertion order, which decides message order).
#[derive(Debug, Default)]
struct Targets {
    order: Vec<String>,
    map: HashMap<String, Vec<String>>,
}

impl Targets {
    fn seen(&mut self, name: &str) {
        if !self.map.contains_key(name) {
            self.order.push(name.to_owned());
            self.map.insert(name.to_owned(), Vec::new());
        }
    }

    fn add(&mut self, fn_name: &str, name: &str) {
        self.seen(name);
        if let Some(v) = self.map.get_mut(name)
            && !v.iter().any(|f| f == fn_name)
        {
            v.push(fn_name.to_owned());
        }
    }

    fn have(&self, name: &str) -> bool {
        self.map.get(name).is_some_and(|v| !v.is_empty())
    }

    fn first(&self, name: &str) -> Option<&str> {
        self.map
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
    }
}

/// BitBake's task data for one build.
pub struct TaskData<'a> {
    providers: &'a Providers<'a>,
    config: &'a DataStore,
    halt: bool,
    allow_incomplete: bool,
    build_targets: Targets,
    run_targets: Targets,
    /// The names `add_provider` was called with (command-line targets).
    external_targets: HashSet<String>,
    pub(crate) taskentries: HashMap<String, TaskEntry>,
    /// Task ids in the order they were added.
    pub(crate) task_order: Vec<String>,
    pub(crate) depids: HashMap<String, Vec<String>>,
    pub(crate) rdepids: HashMap<String, Vec<String>>,
    /// The reverse of `depids`: build-time name -> the fns with it in their DEPENDS.
    dependees: HashMap<String, Vec<String>>,
    /// The reverse of `rdepids`: runtime name -> the fns that need it.
    rdependees: HashMap<String, Vec<String>>,
    seenfns: HashSet<String>,
    pub(crate) failed_fns: HashSet<String>,
    failed_deps: HashSet<String>,
    failed_rdeps: HashSet<String>,
    ignored: Vec<String>,
    /// Messages in the order BitBake logs them.
    pub log: Vec<Message>,
}

impl<'a> TaskData<'a> {
    /// Empty task data. `halt`: stop at the first unbuildable target (no `-k`);
    /// `allow_incomplete`: leave unresolvable dependencies in place (`-g`).
    pub fn new(
        providers: &'a Providers<'a>,
        config: &'a DataStore,
        halt: bool,
        allow_incomplete: bool,
    ) -> Result<TaskData<'a>> {
        let ignored = config
            .get_var("ASSUME_PROVIDED")
            .map_err(CookerError::from)?
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        Ok(TaskData {
            providers,
            config,
            halt,
            allow_incomplete,
            build_targets: Targets::default(),
            run_targets: Targets::default(),
            external_targets: HashSet::default(),
            taskentries: HashMap::default(),
            task_order: Vec::new(),
            depids: HashMap::default(),
            rdepids: HashMap::default(),
            dependees: HashMap::default(),
            rdependees: HashMap::default(),
            seenfns: HashSet::default(),
            failed_fns: HashSet::default(),
            failed_deps: HashSet::default(),
            failed_rdeps: HashSet::default(),
            ignored,
            log: Vec::new(),
        })
    }

    pub(crate) fn recipe(&self, fn_name: &str) -> Option<&'a RecipeInfo> {
        self.providers.recipe(fn_name)
    }

    fn say(&mut self, level: Level, text: String) {
        self.log.push(Message { level, text });
    }

    fn is_ignored(&self, name: &str) -> bool {
        self.ignored.iter().any(|pat| {
            if pat.starts_with('^') || pat.ends_with('$') {
                bb_pyexpr::PyRegex::new(pat).is_ok_and(|re| re.is_match_at_start(name))
            } else {
                pat == name
            }
        })
    }

    /// The first provider chosen for build-time name `name`.
    pub fn build_provider(&self, name: &str) -> Option<&str> {
        self.build_targets.first(name)
    }

    /// The first provider chosen for runtime name `name`.
    pub fn run_provider(&self, name: &str) -> Option<&str> {
        self.run_targets.first(name)
    }

    pub(crate) fn dep_failed(&self, name: &str) -> bool {
        self.failed_deps.contains(name)
    }

    /// Adds a target's tasks (`TaskData.add_tasks`).
    fn add_tasks(&mut self, fn_name: &str) -> Result<()> {
        if self.failed_fns.contains(fn_name) || !self.seenfns.insert(fn_name.to_owned()) {
            return Ok(());
        }
        let Some(r) = self.recipe(fn_name) else {
            return Ok(());
        };
        let td = &r.task_deps;
        for task in &td.tasks {
            let id = tid(fn_name, task);
            let mut entry = TaskEntry::default();
            if let Some(parents) = td.parents.get(task) {
                for p in parents {
                    if td.contains(p) {
                        entry.tdepends.push(tid(fn_name, p));
                    }
                }
            }
            for (flag, runtime) in [("depends", false), ("rdepends", true)] {
                let Some(value) = td.flag(flag, task) else {
                    continue;
                };
                for dep in value.split_whitespace() {
                    let parts: Vec<&str> = dep.split(':').collect();
                    if parts.len() != 2 {
                        return Err(Error::TaskData(format!(
                            "Error for {fn_name}:{task}[{flag}], dependency {dep} in '{value}' does not contain exactly one ':' character.\n Task '{flag}' should be specified in the form 'packagename:task'"
                        )));
                    }
                    let pair = (parts[0].to_owned(), parts[1].to_owned());
                    if runtime {
                        self.run_targets.seen(parts[0]);
                        entry.irdepends.push(pair);
                    } else {
                        self.build_targets.seen(parts[0]);
                        entry.idepends.push(pair);
                    }
                }
            }
            if !self.taskentries.contains_key(&id) {
                self.task_order.push(id.clone());
            }
            self.taskentries.insert(id, entry);
        }
        let mut seen = HashSet::default();
        let deps: Vec<String> = r
            .depends
            .iter()
            .filter(|d| seen.insert((*d).clone()))
            .cloned()
            .collect();
        let mut seen = HashSet::default();
        let rdeps: Vec<String> = r
            .rundeps
            .values()
            .chain(r.runrecs.values())
            .flatten()
            .filter(|d| seen.insert((*d).clone()))
            .cloned()
            .collect();
        for dep in &deps {
            self.dependees
                .entry(dep.clone())
                .or_default()
                .push(fn_name.to_owned());
        }
        for dep in &rdeps {
            self.rdependees
                .entry(dep.clone())
                .or_default()
                .push(fn_name.to_owned());
        }
        self.depids.insert(fn_name.to_owned(), deps.clone());
        self.rdepids.insert(fn_name.to_owned(), rdeps.clone());
        for dep in &deps {
            self.build_targets.seen(dep);
            if self.failed_deps.contains(dep) {
                return self.fail_fn(fn_name, &[]);
            }
        }
        for dep in &rdeps {
            self.run_targets.seen(dep);
            if self.failed_rdeps.contains(dep) {
                return self.fail_fn(fn_name, &[]);
            }
        }
        Ok(())
    }

    /// The fns with `item` in their DEPENDS, sorted (each fn's DEPENDS is recorded
    /// once, without duplicates, so each fn appears once).
    fn dependees(&self, item: &str) -> Vec<String> {
        let mut out = self.dependees.get(item).cloned().unwrap_or_default();
        out.sort();
        out
    }

    /// The fns that need the runtime name `item`, sorted.
    fn rdependees(&self, item: &str) -> Vec<String> {
        let mut out = self.rdependees.get(item).cloned().unwrap_or_default();
        out.sort();
        out
    }

    /// `TaskData.add_provider`: a target named on the command line.
    pub fn add_provider(&mut self, item: &str) -> Result<()> {
        if let Err(e) = self.add_provider_internal(item) {
            if self.halt {
                return Err(e);
            }
            self.remove_buildtarget(item, &[])?;
        }
        if !self.external_targets.contains(item) {
            self.external_targets.insert(item.to_owned());
        }
        Ok(())
    }

    fn add_provider_internal(&mut self, item: &str) -> Result<()> {
        if self.is_ignored(item) || self.build_targets.have(item) {
            return Ok(());
        }
        let dependees = self.dependees(item);
        let failed = &self.failed_fns;
        let mut log = Vec::new();
        let r = self.providers.resolve_build_providers_with(
            item,
            &dependees,
            &|f| failed.contains(f),
            self.config,
            &mut log,
        );
        self.log.append(&mut log);
        let eligible = match r {
            Ok(e) => e,
            Err(e) if e.is_provider() => {
                let msg = e.to_string();
                self.say(Level::Error, msg.clone());
                return Err(Error::NoProvider(msg));
            }
            Err(e) => return Err(e.into()),
        };
        for f in eligible {
            if self.failed_fns.contains(&f) {
                continue;
            }
            self.build_targets.add(&f, item);
            self.add_tasks(&f)?;
        }
        Ok(())
    }

    fn add_rprovider(&mut self, item: &str) -> Result<()> {
        if self.is_ignored(item) || self.run_targets.have(item) {
            return Ok(());
        }
        let dependees = self.rdependees(item);
        let failed = &self.failed_fns;
        let mut log = Vec::new();
        let r = self.providers.resolve_runtime_providers(
            item,
            &dependees,
            &|f| failed.contains(f),
            self.config,
            &mut log,
        );
        self.log.append(&mut log);
        let eligible = match r {
            Ok(e) => e,
            Err(e) if e.is_provider() => {
                let msg = e.to_string();
                // The "unbuildable" text of conflicting preferences is logged by
                // remove_runtarget; a NoProvider text is an error event.
                if msg.starts_with("Nothing RPROVIDES") {
                    self.say(Level::Error, msg.clone());
                }
                return Err(Error::NoProvider(msg));
            }
            Err(e) => return Err(e.into()),
        };
        for f in eligible {
            if self.failed_fns.contains(&f) {
                continue;
            }
            self.run_targets.add(&f, item);
            self.add_tasks(&f)?;
        }
        Ok(())
    }

    /// `TaskData.fail_fn`: a target that cannot be built, and what that takes down.
    fn fail_fn(&mut self, fn_name: &str, missing: &[String]) -> Result<()> {
        if !self.failed_fns.insert(fn_name.to_owned()) {
            return Ok(());
        }
        let mut emptied_build = Vec::new();
        for name in &self.build_targets.order {
            if let Some(v) = self.build_targets.map.get_mut(name)
                && let Some(pos) = v.iter().position(|f| f == fn_name)
            {
                v.remove(pos);
                if v.is_empty() {
                    emptied_build.push(name.clone());
                }
            }
        }
        let mut emptied_run = Vec::new();
        for name in &self.run_targets.order {
            if let Some(v) = self.run_targets.map.get_mut(name)
                && let Some(pos) = v.iter().position(|f| f == fn_name)
            {
                v.remove(pos);
                if v.is_empty() {
                    emptied_run.push(name.clone());
                }
            }
        }
        for name in emptied_build {
            self.remove_buildtarget(&name, missing)?;
        }
        for name in emptied_run {
            self.remove_runtarget(&name, missing)?;
        }
        Ok(())
    }

    fn fns_requiring(&self, name: &str, runtime: bool) -> Vec<String> {
        let mut out = if runtime {
            self.rdependees(name)
        } else {
            self.dependees(name)
        };
        for id in &self.task_order {
            let Some(e) = self.taskentries.get(id) else {
                continue;
            };
            let list = if runtime { &e.irdepends } else { &e.idepends };
            if list.iter().any(|(n, _)| n == name) {
                let f = split_tid(id).0.to_owned();
                if !out.contains(&f) {
                    out.push(f);
                }
            }
        }
        out
    }

    fn remove_buildtarget(&mut self, target: &str, missing: &[String]) -> Result<()> {
        let mut chain = vec![target.to_owned()];
        chain.extend(missing.iter().cloned());
        if !self.failed_deps.insert(target.to_owned()) {
            return Ok(());
        }
        for f in self.fns_requiring(target, false) {
            self.fail_fn(&f, &chain)?;
        }
        if self.halt && self.external_targets.contains(target) {
            let msg = format!(
                "Required build target '{target}' has no buildable providers.\nMissing or unbuildable dependency chain was: {}",
                py_list(&chain)
            );
            self.say(Level::Error, msg.clone());
            return Err(Error::NoProvider(msg));
        }
        Ok(())
    }

    fn remove_runtarget(&mut self, target: &str, missing: &[String]) -> Result<()> {
        let mut chain = vec![target.to_owned()];
        chain.extend(missing.iter().cloned());
        self.say(
            Level::Note,
            format!(
                "Runtime target '{target}' is unbuildable, removing...\nMissing or unbuildable dependency chain was: {}",
                py_list(&chain)
            ),
        );
        if !self.failed_rdeps.insert(target.to_owned()) {
            return Ok(());
        }
        for f in self.fns_requiring(target, true) {
            self.fail_fn(&f, &chain)?;
        }
        Ok(())
    }

    /// `TaskData.add_unresolved`: resolves every name seen so far, until nothing new
    /// is added.
    pub fn add_unresolved(&mut self) -> Result<()> {
        loop {
            let mut added = 0;
            let unresolved: Vec<String> = self
                .build_targets
                .order
                .iter()
                .filter(|t| {
                    !self.is_ignored(t)
                        && !self.failed_deps.contains(*t)
                        && !self.build_targets.have(t)
                })
                .cloned()
                .collect();
            for target in unresolved {
                match self.add_provider_internal(&target) {
                    Ok(()) => added += 1,
                    Err(Error::NoProvider(_)) => {
                        if self.halt
                            && self.external_targets.contains(&target)
                            && !self.allow_incomplete
                        {
                            return Err(Error::NoProvider(format!("Nothing PROVIDES '{target}'")));
                        }
                        if !self.allow_incomplete {
                            self.remove_buildtarget(&target, &[])?;
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
            let unresolved: Vec<String> = self
                .run_targets
                .order
                .iter()
                .filter(|t| {
                    !self.is_ignored(t)
                        && !self.failed_rdeps.contains(*t)
                        && !self.run_targets.have(t)
                })
                .cloned()
                .collect();
            for target in unresolved {
                match self.add_rprovider(&target) {
                    Ok(()) => added += 1,
                    Err(Error::NoProvider(_)) => self.remove_runtarget(&target, &[])?,
                    Err(e) => return Err(e),
                }
            }
            if added == 0 {
                return Ok(());
            }
        }
    }
}

/// A Python list repr of strings (`['a', 'b']`).
pub(crate) fn py_list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|s| bb_util::py_repr(s))
            .collect::<Vec<_>>()
            .join(", ")
    )
}
