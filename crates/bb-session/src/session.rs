//! [`Session`]: one build directory opened the way `bitbake` opens it, and the
//! questions a tool asks of it (recipes, providers, a recipe's datastore, the task
//! graph). Messages go to an [`Observer`]; nothing here prints.

use std::path::{Path, PathBuf};

use bb_cooker::providers::{Level, Message, Providers};
use bb_cooker::{Cooker, CookerOptions, ParseResult, RecipeInfo};
use bb_data::DataStore;
use bb_taskgraph::{GraphOptions, Target, TaskGraph};

use crate::error::{Error, Result};

/// Where a session's messages go: the status lines knotty prints as they are
/// (`NOTE: Resolving any missing task queue dependencies`) and the log records of
/// BitBake's server (notes, warnings, errors), plus the two moments a build recorder
/// needs. Every method has a default that ignores it.
pub trait Observer: Sync {
    /// A status line, printed as it is.
    fn status(&self, _line: &str) {}
    /// A log record (`level` is never `Debug`/`Verbose`: those are dropped).
    fn log(&self, _level: Level, _text: &str) {}
    /// Parse progress: `done` of `total` recipe files.
    fn parse_progress(&self, _done: usize, _total: usize) {}
    /// The targets' providers are known and the build starts (BitBake's
    /// BuildStarted); not sent when a target has no provider.
    fn build_started(&self) {}
    /// The task graph, the hash of each of its tasks and the finalized recipes with
    /// work to do, just before the first task runs (BitBake's DepTreeGenerated).
    fn tasks_ready(&self, _ready: &crate::build::TasksReady<'_>) {}
}

/// An observer that ignores everything.
pub struct Quiet;

impl Observer for Quiet {}

/// Sends a provider log to `obs` as BitBake's UI shows it (debug and verbose
/// messages dropped).
pub(crate) fn forward_log(obs: &dyn Observer, log: &[Message]) {
    for m in log {
        if !matches!(m.level, Level::Debug | Level::Verbose) {
            obs.log(m.level, &m.text);
        }
    }
}

/// A build directory opened for reading and building: its base configuration, layers
/// and recipe files ([`Cooker`]), and once [`Session::parse`] ran, every recipe's
/// summary.
///
/// ```no_run
/// # fn main() -> Result<(), bb_session::Error> {
/// let mut s = bb_session::Session::open("/path/to/build")?;
/// s.parse(&bb_session::Quiet)?;
/// for r in s.recipes()? {
///     println!("{} {}", r.pn, r.pv);
/// }
/// let d = s.recipe_data("busybox", &bb_session::Quiet)?;
/// println!("{:?}", d.get_var("SRC_URI")?);
/// # Ok(()) }
/// ```
pub struct Session {
    pub(crate) cooker: Cooker,
    pub(crate) parsed: Option<ParseResult>,
    /// How the build directory was opened (for the task workers).
    pub(crate) opts: CookerOptions,
    /// A task worker's finalized recipe datastores (see [`Session::cached_task_data`]).
    task_cache: std::sync::Mutex<crate::taskcache::TaskCache>,
}

impl Session {
    /// Opens the build directory `dir` (the directory holding `conf/bblayers.conf`, or
    /// any directory below it, as `bitbake` finds it) with this process's environment.
    pub fn open(dir: impl AsRef<Path>) -> Result<Session> {
        let mut opts = CookerOptions::from_process()?;
        opts.cwd = absolute(dir.as_ref())?;
        Session::with_options(&opts)
    }

    /// Opens a build directory as described by `opts` (working directory, environment,
    /// command line).
    /// Inline Python that reads the machine (the clock, `os.getcwd()`, `which`) is
    /// answered by the process's host ([`bb_pyexpr::SystemHost`]) unless the embedding
    /// program installed another one with [`bb_pyexpr::set_host`] first.
    pub fn with_options(opts: &CookerOptions) -> Result<Session> {
        if bb_pyexpr::host().is_none() {
            bb_pyexpr::set_host(std::sync::Arc::new(bb_pyexpr::SystemHost));
        }
        let cooker = Cooker::new(opts)?;
        // The listing of the addpylib modules' functions, which the parse's signatures
        // and every task worker need, is kept beside the file checksum cache.
        if let Some(dir) = bb_runqueue::hashes::persistent_dir(&cooker.config) {
            bb_siggen::set_module_code_cache(dir.join("bake-module-code"));
        }
        Ok(Session {
            cooker,
            parsed: None,
            opts: opts.clone(),
            task_cache: std::sync::Mutex::default(),
        })
    }

    /// The cooker: base configuration, layers, collections, recipe files.
    pub fn cooker(&self) -> &Cooker {
        &self.cooker
    }

    /// The base configuration (BitBake's `d` before any recipe).
    pub fn config(&self) -> &DataStore {
        &self.cooker.config
    }

    /// Warnings from reading the configuration and layers.
    pub fn warnings(&self) -> &[String] {
        &self.cooker.warnings
    }

    /// The build directory (TOPDIR).
    pub fn topdir(&self) -> PathBuf {
        let t = self.cooker.config.get_var("TOPDIR").ok().flatten();
        PathBuf::from(t.unwrap_or_else(|| ".".to_owned()))
    }

    /// Parses every recipe, through the parse cache (read, checked, and written back),
    /// in parallel. Progress and the status lines BitBake prints (`Loading cache...done.`,
    /// the summary) go to `obs`; warnings and failures are logged there too. The result
    /// stays in the session.
    pub fn parse(&mut self, obs: &dyn Observer) -> Result<&ParseResult> {
        let loaded = self.cooker.load_cache(self.cooker.cache_file().as_deref());
        obs.status("Loading cache...done.");
        obs.status(&format!(
            "Loaded {} entries from dependency cache.",
            loaded.targets()
        ));
        let res = self
            .cooker
            .parse_all_from(loaded, &|done, total| obs.parse_progress(done, total));
        if let Some(e) = bb_siggen::module_code_cache_error() {
            obs.log(Level::Warning, e);
        }
        Ok(self.parsed.insert(res))
    }

    /// The result of [`Session::parse`].
    pub fn parsed(&self) -> Result<&ParseResult> {
        self.parsed.as_ref().ok_or(Error::NotParsed)
    }

    /// Every recipe target (one per file and BBCLASSEXTEND variant), skipped ones included.
    pub fn recipes(&self) -> Result<&[RecipeInfo]> {
        Ok(&self.parsed()?.recipes)
    }

    /// Provider selection over the parsed recipes (PREFERRED_PROVIDER, versions,
    /// priorities).
    pub fn providers(&self) -> Result<Providers<'_>> {
        Ok(Providers::new(&self.parsed()?.recipes))
    }

    /// The base configuration with its keys expanded, as the task graph reads it.
    pub fn expanded_config(&self) -> Result<DataStore> {
        let mut d = self.cooker.config.clone();
        bb_data::expand_keys(&mut d)?;
        Ok(d)
    }

    /// BitBake's check for `.bbappend` files that match no recipe: an error, or with
    /// BB_DANGLINGAPPENDS_WARNONLY set (a bake extension), a warning sent to `obs`.
    pub fn check_dangling(&self, obs: &dyn Observer) -> Result<()> {
        let dangling = self.cooker.dangling_appends();
        if dangling.is_empty() {
            return Ok(());
        }
        let msg = format!(
            "No recipes in default available for:\n  {}",
            dangling.join("\n  ")
        );
        let var = "BB_DANGLINGAPPENDS_WARNONLY";
        let value = self.cooker.config.get_var(var)?;
        let warn_only =
            bb_util::to_boolean(value.as_deref(), false).map_err(|source| Error::Boolean {
                var: var.to_owned(),
                source,
            })?;
        if warn_only {
            obs.log(Level::Warning, &msg);
            Ok(())
        } else {
            Err(Error::DanglingAppends(msg))
        }
    }

    /// The default task: `cmd` (`-c TASK`) when given, else BB_DEFAULT_TASK, else `build`.
    pub fn default_task(&self, cmd: Option<&str>) -> String {
        cmd.map(str::to_owned)
            .or_else(|| self.cooker.config.get_var("BB_DEFAULT_TASK").ok().flatten())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "build".to_owned())
    }

    /// The recipe target (`/path/x.bb` or `virtual:CLS:/path/x.bb`) that builds `name`
    /// (a PN or something it PROVIDES), and the build-time dependencies of it that
    /// have no provider (each logged as an error, as `bitbake -e NAME` does).
    pub fn resolve_target(&self, name: &str, obs: &dyn Observer) -> Result<(String, Vec<String>)> {
        let d = self.expanded_config()?;
        let providers = self.providers()?;
        let mut log = Vec::new();
        let found = providers.resolve_build_target(name, &d, &mut log);
        forward_log(obs, &log);
        let found = found?;
        obs.status("NOTE: Resolving any missing task queue dependencies");
        let mut log = Vec::new();
        let missing = providers.resolve_depends_tree(&found, &d, &mut log);
        forward_log(obs, &log);
        let missing = missing?;
        for m in &missing {
            obs.log(Level::Error, m);
        }
        Ok((found, missing))
    }

    /// The finalized datastore of recipe target `target` as a build's task gets it
    /// (the real file's FILE_LAYERNAME for a variant too; see [`Session::target_data`]).
    pub fn task_data(&self, target: &str) -> Result<DataStore> {
        self.cooker
            .parse_task_target(target)
            .map_err(|source| Error::Recipe {
                target: target.to_owned(),
                source,
            })
    }

    /// [`Session::task_data`] for a task worker, which runs many tasks of the same
    /// recipes: the recipe is parsed again only when a file its last parse read
    /// changed (`taskcache.rs`), else the task gets a copy of that parse's datastore.
    pub(crate) fn cached_task_data(&self, target: &str) -> Result<DataStore> {
        self.task_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .task_data(self, target)
    }

    /// The finalized datastore of recipe target `target` (a name from
    /// [`RecipeInfo::fn_name`], `virtual:CLS:` prefix for a variant).
    pub fn target_data(&self, target: &str) -> Result<DataStore> {
        let (variant, file) = bb_util::split_virtual(target);
        let mut v = self
            .cooker
            .parse_file(file, Some(variant))
            .map_err(|source| Error::Recipe {
                target: target.to_owned(),
                source,
            })?;
        v.pop()
            .map(|(_, d)| d)
            .ok_or_else(|| Error::NoSuchVariant(target.to_owned()))
    }

    /// The finalized datastore of the recipe that builds `name` (BitBake's
    /// `tinfoil.parse_recipe`).
    pub fn recipe_data(&self, name: &str, obs: &dyn Observer) -> Result<DataStore> {
        let (target, _) = self.resolve_target(name, obs)?;
        self.target_data(&target)
    }

    /// The command-line targets with BitBake's special names expanded: `world` (every
    /// recipe not excluded from world) and `universe` (every recipe), appended after the
    /// others as BitBake does.
    pub fn graph_targets(&self, names: &[String], task: &str) -> Result<Vec<Target>> {
        Ok(graph_targets(names, &self.providers()?, task))
    }

    /// The task graph of `names` (`bitbake -g`): with `opts.targets` ignored and
    /// replaced by `names` expanded ([`Session::graph_targets`]). Provider messages are
    /// logged to `obs`; the graph's own errors are returned.
    pub fn task_graph(
        &self,
        names: &[String],
        task: &str,
        mut opts: GraphOptions,
        obs: &dyn Observer,
    ) -> Result<(TaskGraph, bool)> {
        let d = self.expanded_config()?;
        let providers = self.providers()?;
        opts.targets = graph_targets(names, &providers, task);
        obs.status("NOTE: Resolving any missing task queue dependencies");
        let (g, log) = bb_taskgraph::build_graph(&providers, &d, &opts);
        forward_log(obs, &log);
        let errors = log.iter().any(|m| m.level == Level::Error);
        Ok((g?, errors))
    }
}

/// `names` with `world` and `universe` expanded (see [`Session::graph_targets`]).
pub(crate) fn graph_targets(names: &[String], providers: &Providers, task: &str) -> Vec<Target> {
    let full = if task.starts_with("do_") {
        task.to_owned()
    } else {
        format!("do_{task}")
    };
    let mut out: Vec<Target> = names
        .iter()
        .filter(|n| *n != "world" && *n != "universe")
        .map(|t| Target::parse(t, task))
        .collect();
    if names.iter().any(|n| n == "world") {
        for pn in providers.world_targets(Some(&full)) {
            out.push(Target::parse(&pn, task));
        }
    }
    if names.iter().any(|n| n == "universe") {
        let mut pns: Vec<&str> = providers.pns().collect();
        pns.sort_unstable();
        pns.dedup();
        for pn in pns {
            out.push(Target::parse(pn, task));
        }
    }
    out
}

/// `dir` made absolute against the working directory.
fn absolute(dir: &Path) -> Result<PathBuf> {
    if dir.is_absolute() {
        return Ok(dir.to_owned());
    }
    Ok(std::env::current_dir()?.join(dir))
}
