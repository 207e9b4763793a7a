//! Recording a build as Toaster does: the build row, its targets, layers, recipes and
//! variables (with history) when it starts (one transaction), each task as it starts and
//! ends, log messages, and the outcome. Events are stamped with the time they were
//! queued and written by a thread of its own, batched into transactions, so that the
//! build never waits for the database. It must not block the caller on SQLite after
//! [`Recorder::start`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::SystemTime;

use bb_runqueue::events::{BuildEvent, Outcome, SkipReason};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result, db};
use crate::model::{BuildOutcome, LayerSource, LogLevel, ScriptType, TaskOutcome};

/// A layer of the build, as `toaster.bbclass` describes it.
#[derive(Debug, Clone, Default)]
pub struct LayerInfo {
    /// Toaster's name: the directory's name, `meta` being `openembedded-core`
    /// (see [`LayerInfo::toaster_name`]).
    pub name: String,
    /// Its directory.
    pub path: String,
    /// The branch when it is a git checkout (empty otherwise).
    pub branch: String,
    /// The commit when it is a git checkout (empty otherwise: the layer is then
    /// identified by its directory).
    pub commit: String,
    /// BBFILE_PRIORITY of its collection.
    pub priority: i64,
}

impl LayerInfo {
    /// The name Toaster gives the layer in `path`: the directory's name, with `meta`
    /// named `openembedded-core` as on the layer index.
    pub fn toaster_name(path: &str) -> String {
        let base = path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(path);
        if base == "meta" {
            "openembedded-core".to_owned()
        } else {
            base.to_owned()
        }
    }
}

/// A recipe of the build's dependency tree.
#[derive(Debug, Clone, Default)]
pub struct RecipeRow {
    /// The target (`/path/x.bb` or `virtual:native:/path/x.bb`), as events name it.
    pub fn_name: String,
    /// PN.
    pub name: String,
    /// `PE:PV-PR` as BitBake's dependency tree gives it (a leading `:` for no epoch is
    /// dropped when stored).
    pub version: String,
    /// PF (`PN-PV-PR`), for the task messages (`recipe PF: task do_x: Succeeded`).
    pub pf: String,
    /// SUMMARY.
    pub summary: String,
    /// DESCRIPTION.
    pub description: String,
    /// SECTION.
    pub section: String,
    /// LICENSE.
    pub license: String,
    /// HOMEPAGE.
    pub homepage: String,
    /// BUGTRACKER.
    pub bugtracker: String,
    /// The classes it inherits (paths); one ending in `/image.bbclass` makes it an image.
    pub inherits: Vec<String>,
    /// Its DEPENDS names that resolved, each with the target of the recipe providing it.
    pub depends: Vec<(String, String)>,
}

/// A task of the build's dependency tree.
#[derive(Debug, Clone, Default)]
pub struct TaskRow {
    /// The recipe target.
    pub fn_name: String,
    /// The task (`do_compile`).
    pub task: String,
    /// The task is a Python function (`[python]`).
    pub python: bool,
    /// Its task hash.
    pub hash: String,
}

/// The build's dependency tree (BitBake's `DepTreeGenerated`): the recipes and every
/// task of the run queue with the tasks each depends on.
#[derive(Debug, Clone, Default)]
pub struct DepTree {
    /// The recipes.
    pub recipes: Vec<RecipeRow>,
    /// The tasks, indexed as the run queue's events index them ([`TaskRef::index`]).
    ///
    /// [`TaskRef::index`]: bb_runqueue::events::TaskRef::index
    pub tasks: Vec<TaskRow>,
    /// For each task (same index), the indices of the tasks it depends on.
    pub deps: Vec<Vec<usize>>,
}

/// One history entry of a variable: where and how it was set.
#[derive(Debug, Clone, Default)]
pub struct HistoryRow {
    /// The file (absolute; stored relative to its layer as Toaster does).
    pub file_name: String,
    /// The line (None for internal settings).
    pub line_number: Option<i64>,
    /// BitBake's operation name (`set`, `append`, `set?`, ...).
    pub operation: String,
    /// The value written.
    pub value: String,
}

/// A variable of the build's configuration with its history.
#[derive(Debug, Clone, Default)]
pub struct VariableRow {
    /// Its name.
    pub name: String,
    /// Its final value.
    pub value: String,
    /// Its `[doc]` flag.
    pub doc: Option<String>,
    /// A function (`[func]`): only its help text is recorded, as in Toaster.
    pub func: bool,
    /// Where it was set.
    pub history: Vec<HistoryRow>,
}

/// What is known of a build when it starts: the build directory's configuration.
#[derive(Debug, Clone, Default)]
pub struct BuildStart {
    /// The project ("Command line builds" for `bake` runs when None).
    pub project: Option<String>,
    /// MACHINE.
    pub machine: String,
    /// DISTRO.
    pub distro: String,
    /// DISTRO_VERSION.
    pub distro_version: String,
    /// BUILDNAME.
    pub build_name: String,
    /// BB_VERSION.
    pub bitbake_version: String,
    /// The cooker log.
    pub cooker_log_path: String,
    /// Recipe files parsed (not from the cache) for this build; 0 leaves Toaster's
    /// default of 1 of 1.
    pub recipes_parsed: i64,
    /// (target, task); an empty task means the default task.
    pub targets: Vec<(String, String)>,
    /// The layers.
    pub layers: Vec<LayerInfo>,
    /// The configuration's variables.
    pub variables: Vec<VariableRow>,
}

enum Msg {
    Config(Box<BuildStart>),
    Tree(Box<DepTree>),
    Event(BuildEvent, SystemTime),
    Log {
        level: LogLevel,
        message: String,
        pathname: String,
        lineno: Option<i64>,
    },
    /// The caller is done: an outcome not recorded by then is "failed".
    Finish,
}

/// A build being recorded. [`Recorder::start`] writes the build row and its targets;
/// everything else ([`Recorder::dep_tree`], [`Recorder::event`], [`Recorder::log`]) is
/// queued for a writer thread that commits in batches, so the build never waits for
/// the database. [`Recorder::finish`] waits until all is written. Dropping a recorder
/// without `finish` also waits, and records the build as failed unless its
/// `BuildFinished` arrived.
pub struct Recorder {
    build_id: i64,
    db_file: String,
    tx: Sender<Msg>,
    writer: Option<JoinHandle<Result<()>>>,
}

/// Records log messages into a build being recorded (see [`Recorder::logger`]).
#[derive(Clone)]
pub struct Logger {
    tx: Sender<Msg>,
}

impl Logger {
    /// As [`Recorder::log`].
    pub fn log(&self, level: LogLevel, message: &str, pathname: &str, lineno: Option<i64>) {
        if level == LogLevel::Info {
            return;
        }
        let _ = self.tx.send(Msg::Log {
            level,
            message: message.to_owned(),
            pathname: pathname.to_owned(),
            lineno,
        });
    }
}

/// The id of the project "Command line builds", created when missing.
pub(crate) fn cli_project(conn: &Connection) -> Result<i64> {
    project_named(conn, crate::model::CLI_PROJECT, true)
}

/// The project called `name`; a new one gets the DEFCONF_<VAR> settings as its variables
/// and the DEFAULT_RELEASE release, as Toaster's new projects do.
pub(crate) fn project_named(conn: &Connection, name: &str, is_default: bool) -> Result<i64> {
    if let Some(id) = conn
        .query_row(
            "SELECT id FROM orm_project WHERE name = ?1 ORDER BY id LIMIT 1",
            [name],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        .map_err(db(format!("find project `{name}`")))?
    {
        return Ok(id);
    }
    conn.execute(
        "INSERT INTO orm_project (name, is_default, release_id, bitbake_version_id) \
         SELECT ?1, ?2, r.id, r.bitbake_version_id FROM (SELECT 1) \
         LEFT JOIN orm_toastersetting s ON s.name = 'DEFAULT_RELEASE' \
         LEFT JOIN orm_release r ON r.name = s.value ORDER BY s.id LIMIT 1",
        params![name, is_default],
    )
    .map_err(db(format!("create project `{name}`")))?;
    let id = conn.last_insert_rowid();
    conn.execute(
        "INSERT INTO orm_projectvariable (project_id, name, value) \
         SELECT ?1, substr(name, 9), value FROM orm_toastersetting \
         WHERE substr(name, 1, 8) = 'DEFCONF_' ORDER BY id",
        [id],
    )
    .map_err(db(format!("variables of project `{name}`")))?;
    Ok(id)
}

fn now() -> String {
    crate::model::timestamp(SystemTime::now())
}

impl Recorder {
    /// Marks failed any build whose recorder died (see
    /// [`crate::manage::fail_stale_builds`]), creates the build row and its targets (one
    /// transaction), then starts the writer, which records the layers and the variables
    /// with their history first.
    pub fn start(db_path: &Path, mut start: BuildStart) -> Result<Recorder> {
        let mut conn = crate::db::open(db_path)?;
        crate::recovery::fail_stale_builds(&conn)?;
        let (build_id, project) = write_start(&mut conn, &start)?;
        let db_file = conn.path().unwrap_or("").to_owned();
        crate::recovery::register(&conn, build_id);
        let (tx, rx) = channel();
        start.targets.clear();
        let _ = tx.send(Msg::Config(Box::new(start)));
        let writer = std::thread::Builder::new()
            .name("toaster-recorder".into())
            .spawn(move || {
                Writer {
                    build: build_id,
                    project,
                    layers: Vec::new(),
                    recipes: HashMap::new(),
                    pf: HashMap::new(),
                    by_index: Vec::new(),
                    tasks: HashMap::new(),
                    unidentified: None,
                    order: 0,
                    errors: 0,
                    failed_tasks: 0,
                    finished: false,
                }
                .run(conn, &rx)
            })
            .map_err(|e| {
                crate::recovery::unregister(&db_file, build_id);
                Error::Recorder(format!("cannot start the writer thread: {e}"))
            })?;
        Ok(Recorder {
            build_id,
            db_file,
            tx,
            writer: Some(writer),
        })
    }

    /// The build's id.
    pub fn build_id(&self) -> i64 {
        self.build_id
    }

    /// Records the build's dependency tree: its recipes (with their layer, DEPENDS and
    /// the names they provide), and every task of the run queue with its dependencies,
    /// each task "Not Available" until its events arrive. Queued, never blocks.
    pub fn dep_tree(&self, tree: DepTree) {
        let _ = self.tx.send(Msg::Tree(Box::new(tree)));
    }

    /// Records an event of the run queue (queued with the current time; never blocks on
    /// the database).
    pub fn event(&self, ev: &BuildEvent) {
        let _ = self.tx.send(Msg::Event(ev.clone(), SystemTime::now()));
    }

    /// Records a log message of the build. Toaster keeps warnings and above: info-level
    /// messages are dropped. An error makes the build's outcome "failed".
    pub fn log(&self, level: LogLevel, message: &str, pathname: &str, lineno: Option<i64>) {
        self.logger().log(level, message, pathname, lineno);
    }

    /// A handle that records log messages into this build from anywhere (other
    /// threads, a UI's message hook), as long as the recorder runs.
    pub fn logger(&self) -> Logger {
        Logger {
            tx: self.tx.clone(),
        }
    }

    /// Waits until everything is written; returns the build's id. A build whose
    /// `BuildFinished` never came is recorded as failed.
    pub fn finish(mut self) -> Result<i64> {
        self.stop()?;
        Ok(self.build_id)
    }

    fn stop(&mut self) -> Result<()> {
        let Some(w) = self.writer.take() else {
            return Ok(());
        };
        let _ = self.tx.send(Msg::Finish);
        let r = w
            .join()
            .map_err(|_| Error::Recorder("the writer thread panicked".into()))
            .and_then(|r| r);
        crate::recovery::unregister(&self.db_file, self.build_id);
        r
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// Finds or creates the layer `l` as Toaster does for command-line builds: by name,
/// layer index URL and, for a layer that is not a git checkout, its directory.
fn layer_id(tx: &Connection, l: &LayerInfo) -> Result<i64> {
    let url = if l.name == crate::model::UNIDENTIFIED_LAYER {
        String::new()
    } else {
        format!(
            "http://layers.openembedded.org/layerindex/layer/{}/",
            l.name
        )
    };
    let dir = (l.commit.is_empty() && !l.path.is_empty()).then_some(l.path.as_str());
    if let Some(id) = tx
        .query_row(
            "SELECT id FROM orm_layer WHERE name = ?1 AND local_source_dir IS ?2 AND layer_index_url = ?3 ORDER BY id LIMIT 1",
            params![l.name, dir, url],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        .map_err(db(format!("find layer `{}`", l.name)))?
    {
        return Ok(id);
    }
    tx.execute(
        "INSERT INTO orm_layer (name, local_source_dir, layer_index_url, up_date) VALUES (?1, ?2, ?3, ?4)",
        params![l.name, dir, url, now()],
    )
    .map_err(db(format!("insert layer `{}`", l.name)))?;
    Ok(tx.last_insert_rowid())
}

/// A layer version of `build` (a build-history snapshot owned by the build's project).
fn layer_version(
    tx: &Connection,
    build: i64,
    layer: i64,
    l: &LayerInfo,
    project: Option<i64>,
) -> Result<i64> {
    tx.execute(
        "INSERT INTO orm_layer_version (layer_id, build_id, project_id, layer_source, branch, commit_, priority, local_path, up_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            layer,
            build,
            project,
            LayerSource::Build as i64,
            l.branch,
            l.commit,
            l.priority,
            if l.path.is_empty() { "/" } else { l.path.as_str() },
            now()
        ],
    )
    .map_err(db(format!("insert layer version of `{}`", l.name)))?;
    Ok(tx.last_insert_rowid())
}

/// The build row and its targets, in one transaction.
fn write_start(conn: &mut Connection, s: &BuildStart) -> Result<(i64, i64)> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db("begin build"))?;
    let project = match &s.project {
        Some(p) => project_named(&tx, p, false)?,
        None => cli_project(&tx)?,
    };
    let t = now();
    let pid = i64::from(std::process::id());
    let parsed = s.recipes_parsed.max(1);
    tx.execute(
        "INSERT INTO orm_build (project_id, machine, distro, distro_version, started_on, completed_on, outcome, cooker_log_path, build_name, bitbake_version, recorder_pid, recorder_started, recipes_to_parse, recipes_parsed) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
        params![
            project,
            s.machine,
            s.distro,
            s.distro_version,
            t,
            BuildOutcome::InProgress as i64,
            s.cooker_log_path,
            s.build_name,
            s.bitbake_version,
            pid,
            crate::recovery::process_start(pid),
            parsed
        ],
    )
    .map_err(db("insert build"))?;
    let build = tx.last_insert_rowid();
    for (target, task) in &s.targets {
        // Toaster's normalisation: no `do_` prefix, and `build` is the default task.
        let task = task.strip_prefix("do_").unwrap_or(task);
        let task = if task == "build" { "" } else { task };
        tx.execute(
            "INSERT INTO orm_target (build_id, target, task) VALUES (?1, ?2, ?3)",
            params![build, target, task],
        )
        .map_err(db(format!("insert target `{target}`")))?;
    }
    tx.commit().map_err(db("commit build start"))?;
    Ok((build, project))
}

/// The build's "Unidentified layer" version, for recipes no layer of the build holds.
fn unidentified_layer(tx: &Connection, build: i64, project: Option<i64>) -> Result<i64> {
    let l = LayerInfo {
        name: crate::model::UNIDENTIFIED_LAYER.to_owned(),
        ..LayerInfo::default()
    };
    let layer = layer_id(tx, &l)?;
    layer_version(tx, build, layer, &l, project)
}

/// `path` without `.` and `..` components (lexically, as Python's `os.path.normpath`).
fn normalize(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.pop().is_none() && !path.starts_with('/') {
                    out.push("..");
                }
            }
            p => out.push(p),
        }
    }
    let joined = out.join("/");
    if path.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

/// `virtual:native:/p/x.bb` → `native:virtual`: Toaster's pathflags, the sorted
/// prefixes of a recipe target.
pub(crate) fn pathflags(fn_name: &str) -> String {
    let mut parts: Vec<&str> = fn_name.split(':').collect();
    parts.pop();
    parts.sort_unstable();
    parts.join(":")
}

/// A variable's help text: its `[doc]`, else that of its "root" variable (the
/// upper-case words of its name: `FOO_bar` → `FOO`) when that is documented.
fn description<'a>(v: &'a VariableRow, docs: &HashMap<&str, &'a str>) -> Option<&'a str> {
    if let Some(d) = v.doc.as_deref() {
        return Some(d);
    }
    let root: Vec<&str> = v
        .name
        .split('_')
        .filter(|w| {
            !w.is_empty()
                && w.chars().all(|c| !c.is_lowercase())
                && w.chars().any(char::is_uppercase)
        })
        .collect();
    let root = root.join("_");
    if root.is_empty() || root == v.name {
        return None;
    }
    docs.get(root.as_str()).copied()
}

/// How long the writer gathers messages into one transaction.
const BATCH_WINDOW: std::time::Duration = std::time::Duration::from_millis(100);

/// The writer thread's state.
struct Writer {
    build: i64,
    project: i64,
    /// The build's layer versions: (directory, id), longest directory first.
    layers: Vec<(String, i64)>,
    /// The build's recipes by target name (`/path/x.bb`, `virtual:native:/path/x.bb`).
    recipes: HashMap<String, i64>,
    /// PF by target name.
    pf: HashMap<String, String>,
    /// Task rows by the dependency tree's index, with their target and task name.
    by_index: Vec<(i64, String, String, bool)>,
    /// Task rows not in the tree, by (recipe, task name).
    tasks: HashMap<(i64, String), i64>,
    unidentified: Option<i64>,
    /// Toaster's execution order: counts started and skipped tasks.
    order: i64,
    errors: usize,
    failed_tasks: usize,
    finished: bool,
}

impl Writer {
    fn run(mut self, mut conn: Connection, rx: &Receiver<Msg>) -> Result<()> {
        let mut done = false;
        while !done {
            // Block for one message, then take whatever else is queued: one transaction.
            let first = match rx.recv() {
                Ok(m) => m,
                // The recorder vanished without a word: treat it as a finish.
                Err(_) => Msg::Finish,
            };
            // Then whatever arrives within BATCH_WINDOW: one transaction for each tenth
            // of a second of a build rather than one per event (Toaster commits every
            // third task update for its progress bar; a tenth of a second is as live).
            let deadline = std::time::Instant::now() + BATCH_WINDOW;
            let mut last_is_finish = matches!(first, Msg::Finish);
            let mut batch = vec![first];
            while batch.len() < 4096 && !last_is_finish {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                match rx.recv_timeout(left) {
                    Ok(m) => {
                        last_is_finish = matches!(m, Msg::Finish);
                        batch.push(m);
                    }
                    Err(_) => break,
                }
            }
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(db("begin batch"))?;
            for m in batch {
                match m {
                    Msg::Finish => {
                        done = true;
                        if !self.finished {
                            self.outcome(&tx, BuildOutcome::Failed, SystemTime::now())?;
                        }
                    }
                    Msg::Config(s) => self.config(&tx, &s)?,
                    Msg::Tree(t) => self.tree(&tx, &t)?,
                    Msg::Log {
                        level,
                        message,
                        pathname,
                        lineno,
                    } => {
                        if matches!(
                            level,
                            LogLevel::Error | LogLevel::Critical | LogLevel::Exception
                        ) {
                            self.errors += 1;
                        }
                        exec_cached(
                            &tx,
                            "INSERT INTO orm_logmessage (build_id, level, message, pathname, lineno) VALUES (?1, ?2, ?3, ?4, ?5)",
                            params![self.build, level as i64, message, pathname, lineno],
                        )
                        .map_err(db("insert log message"))?;
                    }
                    Msg::Event(ev, at) => self.record(&tx, &ev, at)?,
                }
            }
            tx.commit().map_err(db("commit batch"))?;
        }
        Ok(())
    }

    /// The layers (snapshots for this build), the variables with their history (file
    /// names relative to their layer, keeping the layer's directory name, as Toaster
    /// stores them; `documentation.conf` entries left out) and the help texts.
    fn config(&mut self, tx: &Connection, s: &BuildStart) -> Result<()> {
        for l in &s.layers {
            let layer = layer_id(tx, l)?;
            let lv = layer_version(tx, self.build, layer, l, Some(self.project))?;
            let raw = l.path.trim_end_matches('/').to_owned();
            // BBLAYERS may say `${TOPDIR}/../meta`: recipe files are found under the
            // normalised directory.
            let clean = normalize(&raw);
            if clean != raw {
                self.layers.push((clean, lv));
            }
            self.layers.push((raw, lv));
        }
        self.layers
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        let docs: HashMap<&str, &str> = s
            .variables
            .iter()
            .filter_map(|v| Some((v.name.as_str(), v.doc.as_deref()?)))
            .collect();
        let mut var = tx
            .prepare("INSERT INTO orm_variable (build_id, variable_name, variable_value, description) VALUES (?1, ?2, ?3, ?4)")
            .map_err(db("prepare variable"))?;
        let mut hist = tx
            .prepare("INSERT INTO orm_variablehistory (variable_id, value, file_name, line_number, operation) VALUES (?1, ?2, ?3, ?4, ?5)")
            .map_err(db("prepare history"))?;
        let mut help = tx
            .prepare("INSERT INTO orm_helptext (build_id, area, key, text) VALUES (?1, 0, ?2, ?3)")
            .map_err(db("prepare help text"))?;
        for v in &s.variables {
            let desc = description(v, &docs).unwrap_or("");
            if !desc.is_empty() {
                help.execute(params![self.build, v.name, desc])
                    .map_err(db(format!("insert help text of `{}`", v.name)))?;
            }
            if v.func {
                continue;
            }
            var.execute(params![self.build, v.name, v.value, desc])
                .map_err(db(format!("insert variable `{}`", v.name)))?;
            let id = tx.last_insert_rowid();
            for h in &v.history {
                if h.file_name.contains("documentation.conf") {
                    continue;
                }
                hist.execute(params![
                    id,
                    h.value,
                    self.relative(&h.file_name),
                    h.line_number,
                    h.operation
                ])
                .map_err(db(format!("insert history of `{}`", v.name)))?;
            }
        }
        Ok(())
    }

    /// `file` relative to the longest layer directory holding it, keeping that
    /// directory's own name (`/src/poky/meta/conf/x.conf` → `meta/conf/x.conf`).
    fn relative<'a>(&self, file: &'a str) -> &'a str {
        for (dir, _) in &self.layers {
            if let Some(rest) = file.strip_prefix(dir.as_str())
                && rest.starts_with('/')
            {
                let cut = dir.rfind('/').map_or(0, |i| i + 1);
                return &file[cut..];
            }
        }
        file
    }

    /// The layer version holding `file` (longest directory first), else the build's
    /// "Unidentified layer".
    fn layer_of(&mut self, tx: &Connection, file: &str) -> Result<(i64, String)> {
        for (dir, lv) in &self.layers {
            if let Some(rest) = file.strip_prefix(dir.as_str())
                && (rest.starts_with('/') || dir.is_empty())
            {
                return Ok((*lv, rest.trim_start_matches('/').to_owned()));
            }
        }
        let lv = match self.unidentified {
            Some(lv) => lv,
            None => {
                let lv = unidentified_layer(tx, self.build, Some(self.project))?;
                self.unidentified = Some(lv);
                lv
            }
        };
        Ok((lv, file.trim_start_matches('/').to_owned()))
    }

    /// BitBake's `DepTreeGenerated` as Toaster stores it: recipes, recipe dependencies
    /// (through Provides when the name is not the recipe's), tasks and task dependencies.
    fn tree(&mut self, tx: &Connection, t: &DepTree) -> Result<()> {
        let now = now();
        let mut pn_of: HashMap<&str, &str> = HashMap::new();
        {
            let mut ins = tx
                .prepare("INSERT INTO orm_recipe (name, version, layer_version_id, summary, description, section, license, homepage, bugtracker, file_path, pathflags, is_image, up_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")
                .map_err(db("prepare recipe"))?;
            for r in &t.recipes {
                let file = r.fn_name.rsplit(':').next().unwrap_or(&r.fn_name);
                let (lv, rel) = self.layer_of(tx, file)?;
                let is_image = r.inherits.iter().any(|c| c.ends_with("/image.bbclass"));
                ins.execute(params![
                    r.name,
                    r.version.strip_prefix(':').unwrap_or(&r.version),
                    lv,
                    r.summary,
                    r.description,
                    r.section,
                    r.license,
                    r.homepage,
                    r.bugtracker,
                    rel,
                    pathflags(&r.fn_name),
                    is_image,
                    now
                ])
                .map_err(db(format!("insert recipe `{}` ({})", r.name, r.fn_name)))?;
                self.recipes
                    .insert(r.fn_name.clone(), tx.last_insert_rowid());
                self.pf.insert(r.fn_name.clone(), r.pf.clone());
                pn_of.insert(r.fn_name.as_str(), r.name.as_str());
                if is_image {
                    tx.execute(
                        "UPDATE orm_target SET is_image = 1 WHERE build_id = ?1 AND target = ?2",
                        params![self.build, r.name],
                    )
                    .map_err(db(format!("mark target `{}` an image", r.name)))?;
                }
            }
        }
        {
            let mut provides: HashMap<(String, i64), i64> = HashMap::new();
            let mut dep = tx
                .prepare("INSERT INTO orm_recipe_dependency (recipe_id, depends_on_id, via_id, dep_type) VALUES (?1, ?2, ?3, 0)")
                .map_err(db("prepare recipe dependency"))?;
            for r in &t.recipes {
                let Some(&from) = self.recipes.get(&r.fn_name) else {
                    continue;
                };
                for (name, provider) in &r.depends {
                    let Some(&to) = self.recipes.get(provider) else {
                        continue;
                    };
                    let via = if pn_of.get(provider.as_str()) == Some(&name.as_str()) {
                        None
                    } else if let Some(&p) = provides.get(&(name.clone(), to)) {
                        Some(p)
                    } else {
                        tx.execute(
                            "INSERT INTO orm_provides (name, recipe_id) VALUES (?1, ?2)",
                            params![name, to],
                        )
                        .map_err(db(format!("insert provides `{name}`")))?;
                        let p = tx.last_insert_rowid();
                        provides.insert((name.clone(), to), p);
                        Some(p)
                    };
                    dep.execute(params![from, to, via])
                        .map_err(db(format!("insert dependency `{}` -> `{name}`", r.name)))?;
                }
            }
        }
        let mut ins = tx
            .prepare("INSERT INTO orm_task (build_id, recipe_id, task_name, sstate_checksum) VALUES (?1, ?2, ?3, ?4)")
            .map_err(db("prepare task"))?;
        self.by_index.clear();
        for task in &t.tasks {
            let recipe = self.recipe_for(tx, &task.fn_name, "")?;
            ins.execute(params![self.build, recipe, task.task, task.hash])
                .map_err(db(format!("insert task `{}:{}`", task.fn_name, task.task)))?;
            self.by_index.push((
                tx.last_insert_rowid(),
                task.fn_name.clone(),
                task.task.clone(),
                task.python,
            ));
        }
        let mut dep = tx
            .prepare("INSERT INTO orm_task_dependency (task_id, depends_on_id) VALUES (?1, ?2)")
            .map_err(db("prepare task dependency"))?;
        for (i, ds) in t.deps.iter().enumerate() {
            let Some(&(from, ..)) = self.by_index.get(i) else {
                continue;
            };
            for &d in ds {
                if let Some(&(to, ..)) = self.by_index.get(d) {
                    dep.execute(params![from, to])
                        .map_err(db("insert task dependency"))?;
                }
            }
        }
        Ok(())
    }

    fn outcome(&mut self, tx: &Connection, o: BuildOutcome, at: SystemTime) -> Result<()> {
        self.finished = true;
        exec_cached(
            tx,
            "UPDATE orm_build SET outcome = ?2, completed_on = ?3 WHERE id = ?1",
            params![self.build, o as i64, crate::model::timestamp(at)],
        )
        .map_err(db("record the build's outcome"))?;
        Ok(())
    }

    fn recipe_for(&mut self, tx: &Connection, fn_name: &str, pn: &str) -> Result<i64> {
        if let Some(&id) = self.recipes.get(fn_name) {
            return Ok(id);
        }
        // A recipe the tree did not list: recorded bare.
        let file = fn_name.rsplit(':').next().unwrap_or(fn_name);
        let (lv, rel) = self.layer_of(tx, file)?;
        tx.execute(
            "INSERT INTO orm_recipe (name, file_path, pathflags, layer_version_id, up_date) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![pn, rel, pathflags(fn_name), lv, now()],
        )
        .map_err(db(format!("insert recipe `{pn}` ({fn_name})")))?;
        let id = tx.last_insert_rowid();
        self.recipes.insert(fn_name.to_owned(), id);
        Ok(id)
    }

    /// The task row of an event's task, and whether it is a Python task.
    fn task_row(
        &mut self,
        tx: &Connection,
        t: &bb_runqueue::events::TaskRef,
    ) -> Result<(i64, bool)> {
        if let Some((id, f, name, python)) = self.by_index.get(t.index)
            && *f == t.fn_name
            && *name == t.task
        {
            return Ok((*id, *python));
        }
        let recipe = self.recipe_for(tx, &t.fn_name, &t.pn)?;
        if let Some(&id) = self.tasks.get(&(recipe, t.task.clone())) {
            return Ok((id, false));
        }
        let what = || format!("task `{}:{}`", t.pn, t.task);
        let found = tx
            .prepare_cached(
                "SELECT id FROM orm_task WHERE build_id = ?1 AND recipe_id = ?2 AND task_name = ?3",
            )
            .and_then(|mut st| {
                st.query_row(params![self.build, recipe, t.task], |r| r.get::<_, i64>(0))
                    .optional()
            })
            .map_err(db(format!("find {}", what())))?;
        let id = match found {
            Some(id) => id,
            None => {
                exec_cached(
                    tx,
                    "INSERT INTO orm_task (build_id, recipe_id, task_name) VALUES (?1, ?2, ?3)",
                    params![self.build, recipe, t.task],
                )
                .map_err(db(format!("insert {}", what())))?;
                tx.last_insert_rowid()
            }
        };
        self.tasks.insert((recipe, t.task.clone()), id);
        Ok((id, false))
    }

    /// Toaster's task message: `recipe PF: task do_x: Succeeded`.
    fn message(&self, t: &bb_runqueue::events::TaskRef, what: &str) -> String {
        let pf = self
            .pf
            .get(&t.fn_name)
            .map_or(t.pn.as_str(), String::as_str);
        format!("recipe {pf}: task {}: {what}", t.task)
    }

    fn record(&mut self, tx: &Connection, ev: &BuildEvent, at: SystemTime) -> Result<()> {
        let at_s = crate::model::timestamp(at);
        match ev {
            BuildEvent::BuildStarted { .. } | BuildEvent::LogLine { .. } => {}
            BuildEvent::TaskStarted {
                task, log, noexec, ..
            } => {
                let (id, python) = self.task_row(tx, task)?;
                self.order += 1;
                if *noexec {
                    exec_cached(
                        tx,
                        "UPDATE orm_task SET \"order\" = ?2, outcome = ?3, task_executed = 0, script_type = ?4 WHERE id = ?1",
                        params![id, self.order, TaskOutcome::Empty as i64, ScriptType::NotApplicable as i64],
                    )
                } else {
                    let script = if python {
                        ScriptType::Python
                    } else {
                        ScriptType::Shell
                    };
                    exec_cached(
                        tx,
                        "UPDATE orm_task SET \"order\" = ?2, started = ?3, logfile = ?4, script_type = ?5, task_executed = 1, message = ?6 WHERE id = ?1",
                        params![id, self.order, at_s, log, script as i64, self.message(task, "Started")],
                    )
                }
                .map_err(db(format!("task `{}:{}` started", task.pn, task.task)))?;
            }
            BuildEvent::TaskSucceeded { task, usage }
            | BuildEvent::TaskFailed { task, usage, .. } => {
                let (id, _) = self.task_row(tx, task)?;
                let (outcome, what) = if matches!(ev, BuildEvent::TaskFailed { .. }) {
                    self.failed_tasks += 1;
                    (TaskOutcome::Failed, "Failed")
                } else {
                    (TaskOutcome::Succeeded, "Succeeded")
                };
                exec_cached(
                    tx,
                    "UPDATE orm_task SET outcome = ?2, task_executed = 1, ended = ?3, elapsed_time = ?4, cpu_time_user = ?5, cpu_time_system = ?6, disk_io_read = ?7, disk_io_write = ?8, disk_io = ?9, message = ?10 WHERE id = ?1",
                    params![
                        id,
                        outcome as i64,
                        at_s,
                        usage.elapsed,
                        usage.cpu_user,
                        usage.cpu_system,
                        usage.disk_read as i64,
                        usage.disk_write as i64,
                        (usage.disk_read + usage.disk_write) as i64,
                        self.message(task, what)
                    ],
                )
                .map_err(db(format!("task `{}:{}` {what}", task.pn, task.task)))?;
            }
            BuildEvent::TaskSkipped { task, reason } => {
                // Toaster's words: a stamp for the current hash is a task reused from a
                // previous build (PREBUILT, counted in the order); a noexec task (its
                // TaskStarted already counted) has no executable content (EMPTY); tasks
                // never started keep Not Available.
                match reason {
                    SkipReason::UpToDate => {
                        let (id, _) = self.task_row(tx, task)?;
                        self.order += 1;
                        exec_cached(
                            tx,
                            "UPDATE orm_task SET \"order\" = ?2, outcome = ?3, task_executed = 0, script_type = ?4 WHERE id = ?1",
                            params![id, self.order, TaskOutcome::Prebuilt as i64, ScriptType::NotApplicable as i64],
                        )
                        .map_err(db(format!("task `{}:{}` skipped", task.pn, task.task)))?;
                    }
                    SkipReason::NoExec => {
                        let (id, _) = self.task_row(tx, task)?;
                        exec_cached(
                            tx,
                            "UPDATE orm_task SET outcome = ?2, task_executed = 0, script_type = ?3 WHERE id = ?1",
                            params![id, TaskOutcome::Empty as i64, ScriptType::NotApplicable as i64],
                        )
                        .map_err(db(format!("task `{}:{}` skipped", task.pn, task.task)))?;
                    }
                    SkipReason::DependencyFailed => {}
                }
            }
            BuildEvent::BuildFinished { outcome, .. } => {
                // Toaster: failed when any error was logged or any task failed.
                let o = match outcome {
                    Outcome::Cancelled => BuildOutcome::Cancelled,
                    Outcome::Failed => BuildOutcome::Failed,
                    Outcome::Succeeded if self.errors > 0 || self.failed_tasks > 0 => {
                        BuildOutcome::Failed
                    }
                    Outcome::Succeeded => BuildOutcome::Succeeded,
                };
                self.outcome(tx, o, at)?;
            }
        }
        Ok(())
    }
}

/// `execute` through the connection's statement cache (the recorder runs the same few
/// statements thousands of times).
fn exec_cached(tx: &Connection, sql: &str, p: impl rusqlite::Params) -> rusqlite::Result<usize> {
    tx.prepare_cached(sql)?.execute(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_drops_dot_and_dotdot() {
        assert_eq!(normalize("/a/b/../../meta"), "/meta");
        assert_eq!(normalize("/a/./b/"), "/a/b");
        assert_eq!(normalize("/.."), "/");
    }

    #[test]
    fn pathflags_are_the_sorted_prefixes() {
        assert_eq!(pathflags("/l/x.bb"), "");
        assert_eq!(pathflags("virtual:native:/l/x.bb"), "native:virtual");
        assert_eq!(
            pathflags("virtual:multilib:lib32:/l/x.bb"),
            "lib32:multilib:virtual"
        );
    }

    #[test]
    fn toaster_names_meta_openembedded_core() {
        assert_eq!(
            LayerInfo::toaster_name("/src/oe-core/meta"),
            "openembedded-core"
        );
        assert_eq!(LayerInfo::toaster_name("/src/meta-hello/"), "meta-hello");
    }

    #[test]
    fn descriptions_fall_back_to_the_root_variable() {
        let v = |name: &str, doc: Option<&str>| VariableRow {
            name: name.into(),
            doc: doc.map(str::to_owned),
            ..VariableRow::default()
        };
        let cflags = v("CFLAGS", Some("Flags for C"));
        let docs: HashMap<&str, &str> = [("CFLAGS", "Flags for C")].into_iter().collect();
        assert_eq!(description(&cflags, &docs), Some("Flags for C"));
        assert_eq!(
            description(&v("CFLAGS_native", None), &docs),
            Some("Flags for C")
        );
        assert_eq!(description(&v("LDFLAGS", None), &docs), None);
        assert_eq!(description(&v("CFLAGS", None), &docs), None);
    }
}
