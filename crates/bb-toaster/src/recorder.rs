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

/// A layer of the build.
#[derive(Debug, Clone, Default)]
pub struct LayerInfo {
    /// Its name (the collection).
    pub name: String,
    /// Its directory.
    pub path: String,
    /// Branch and commit when it is a git checkout (empty otherwise).
    pub branch: String,
    /// The commit.
    pub commit: String,
    /// BBFILE_PRIORITY.
    pub priority: i64,
}

/// A recipe of the build.
#[derive(Debug, Clone, Default)]
pub struct RecipeRow {
    /// The target (`/path/x.bb` or `virtual:native:/path/x.bb`), as events name it.
    pub fn_name: String,
    /// PN.
    pub name: String,
    /// `PE:PV-PR` as Toaster shows it.
    pub version: String,
    /// The layer's name (a [`LayerInfo::name`]).
    pub layer: String,
    /// The recipe file.
    pub file_path: String,
    /// SUMMARY, DESCRIPTION, SECTION, LICENSE, HOMEPAGE.
    pub summary: String,
    /// DESCRIPTION.
    pub description: String,
    /// SECTION.
    pub section: String,
    /// LICENSE.
    pub license: String,
    /// HOMEPAGE.
    pub homepage: String,
    /// The PNs in its DEPENDS that are recipes of this build.
    pub depends: Vec<String>,
}

/// One history entry of a variable: where and how it was set.
#[derive(Debug, Clone, Default)]
pub struct HistoryRow {
    /// The file.
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
    /// Where it was set.
    pub history: Vec<HistoryRow>,
}

/// What is known of a build when it starts (the build directory's configuration and the
/// recipes of its task graph).
#[derive(Debug, Clone, Default)]
pub struct BuildStart {
    /// The project ("Command line builds" for `bake` runs when None).
    pub project: Option<String>,
    /// MACHINE, DISTRO, DISTRO_VERSION.
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
    /// (target, task); an empty task means the default task.
    pub targets: Vec<(String, String)>,
    /// The layers.
    pub layers: Vec<LayerInfo>,
    /// The recipes in the build.
    pub recipes: Vec<RecipeRow>,
    /// The configuration's variables.
    pub variables: Vec<VariableRow>,
}

enum Msg {
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

/// A build being recorded: [`Recorder::event`] queues the run queue's events for the
/// writer thread; [`Recorder::finish`] waits until they are written. Dropping a recorder
/// without `finish` also waits, and records the build as failed unless its
/// `BuildFinished` arrived.
pub struct Recorder {
    build_id: i64,
    db_file: String,
    tx: Sender<Msg>,
    writer: Option<JoinHandle<Result<()>>>,
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
    /// [`crate::manage::fail_stale_builds`]), then creates the build row and everything
    /// known at start (one transaction), then starts the writer that records the events.
    pub fn start(db_path: &Path, start: BuildStart) -> Result<Recorder> {
        let mut conn = crate::db::open(db_path)?;
        crate::recovery::fail_stale_builds(&conn)?;
        let (build_id, recipes) = write_start(&mut conn, &start)?;
        let db_file = conn.path().unwrap_or("").to_owned();
        crate::recovery::register(&conn, build_id);
        let (tx, rx) = channel();
        let writer = std::thread::Builder::new()
            .name("toaster-recorder".into())
            .spawn(move || {
                Writer {
                    build: build_id,
                    recipes,
                    tasks: HashMap::new(),
                    unidentified: None,
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

    /// Records an event of the run queue (queued with the current time; never blocks on
    /// the database).
    pub fn event(&self, ev: &BuildEvent) {
        let _ = self.tx.send(Msg::Event(ev.clone(), SystemTime::now()));
    }

    /// Records a log message (error, warning, note) of the build.
    pub fn log(&self, level: LogLevel, message: &str, pathname: &str, lineno: Option<i64>) {
        let _ = self.tx.send(Msg::Log {
            level,
            message: message.to_owned(),
            pathname: pathname.to_owned(),
            lineno,
        });
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

/// Finds or creates the layer called `name` at `path` (command-line builds share
/// their layers; the versions are per build).
fn layer_id(tx: &Connection, name: &str, path: Option<&str>) -> Result<i64> {
    if let Some(id) = tx
        .query_row(
            "SELECT id FROM orm_layer WHERE name = ?1 AND local_source_dir IS ?2 ORDER BY id LIMIT 1",
            params![name, path],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        .map_err(db(format!("find layer `{name}`")))?
    {
        return Ok(id);
    }
    tx.execute(
        "INSERT INTO orm_layer (name, local_source_dir, up_date) VALUES (?1, ?2, ?3)",
        params![name, path, now()],
    )
    .map_err(db(format!("insert layer `{name}`")))?;
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

fn write_start(conn: &mut Connection, s: &BuildStart) -> Result<(i64, HashMap<String, i64>)> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db("begin build"))?;
    let project = match &s.project {
        Some(p) => project_named(&tx, p, false)?,
        None => cli_project(&tx)?,
    };
    let t = now();
    let pid = i64::from(std::process::id());
    tx.execute(
        "INSERT INTO orm_build (project_id, machine, distro, distro_version, started_on, completed_on, outcome, cooker_log_path, build_name, bitbake_version, recorder_pid, recorder_started) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
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
            crate::recovery::process_start(pid)
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
    let mut layer_versions: HashMap<&str, i64> = HashMap::new();
    for l in &s.layers {
        let layer = layer_id(&tx, &l.name, Some(l.path.as_str()))?;
        let lv = layer_version(&tx, build, layer, l, Some(project))?;
        layer_versions.insert(l.name.as_str(), lv);
    }
    let mut by_fn: HashMap<String, i64> = HashMap::new();
    {
        let mut recipe_by_pn: HashMap<&str, i64> = HashMap::new();
        let mut unidentified: Option<i64> = None;
        let mut ins = tx
            .prepare("INSERT INTO orm_recipe (name, version, layer_version_id, summary, description, section, license, homepage, file_path, pathflags, up_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")
            .map_err(db("prepare recipe"))?;
        for r in &s.recipes {
            let lv = match layer_versions.get(r.layer.as_str()) {
                Some(&lv) => lv,
                None => match unidentified {
                    Some(lv) => lv,
                    None => {
                        let lv = unidentified_layer(&tx, build, Some(project))?;
                        unidentified = Some(lv);
                        lv
                    }
                },
            };
            ins.execute(params![
                r.name,
                r.version,
                lv,
                r.summary,
                r.description,
                r.section,
                r.license,
                r.homepage,
                r.file_path,
                r.fn_name,
                t
            ])
            .map_err(db(format!("insert recipe `{}` ({})", r.name, r.fn_name)))?;
            let id = tx.last_insert_rowid();
            recipe_by_pn.entry(r.name.as_str()).or_insert(id);
            by_fn.insert(r.fn_name.clone(), id);
        }
        let mut dep = tx
            .prepare("INSERT INTO orm_recipe_dependency (recipe_id, depends_on_id, dep_type) VALUES (?1, ?2, 0)")
            .map_err(db("prepare recipe dependency"))?;
        for r in &s.recipes {
            let Some(&from) = by_fn.get(&r.fn_name) else {
                continue;
            };
            for d in &r.depends {
                // Toaster hides self-dependencies; bake does not write them.
                if let Some(&to) = recipe_by_pn.get(d.as_str())
                    && to != from
                {
                    dep.execute(params![from, to])
                        .map_err(db(format!("insert dependency `{}` -> `{d}`", r.name)))?;
                }
            }
        }
        let mut var = tx
            .prepare("INSERT INTO orm_variable (build_id, variable_name, variable_value) VALUES (?1, ?2, ?3)")
            .map_err(db("prepare variable"))?;
        let mut hist = tx
            .prepare("INSERT INTO orm_variablehistory (variable_id, value, file_name, line_number, operation) VALUES (?1, ?2, ?3, ?4, ?5)")
            .map_err(db("prepare history"))?;
        for v in &s.variables {
            var.execute(params![build, v.name, v.value])
                .map_err(db(format!("insert variable `{}`", v.name)))?;
            let id = tx.last_insert_rowid();
            for h in &v.history {
                hist.execute(params![
                    id,
                    h.value,
                    h.file_name,
                    h.line_number,
                    h.operation
                ])
                .map_err(db(format!("insert history of `{}`", v.name)))?;
            }
        }
    }
    tx.commit().map_err(db("commit build start"))?;
    Ok((build, by_fn))
}

/// The build's "Unidentified layer" version, for recipes no layer of the build holds.
fn unidentified_layer(tx: &Connection, build: i64, project: Option<i64>) -> Result<i64> {
    let name = crate::model::UNIDENTIFIED_LAYER;
    let layer = layer_id(tx, name, None)?;
    layer_version(
        tx,
        build,
        layer,
        &LayerInfo {
            name: name.to_owned(),
            ..LayerInfo::default()
        },
        project,
    )
}

/// The writer thread's state.
struct Writer {
    build: i64,
    /// The build's recipes by target name (`/path/x.bb`, `virtual:native:/path/x.bb`).
    recipes: HashMap<String, i64>,
    /// Task rows by (recipe, task name).
    tasks: HashMap<(i64, String), i64>,
    unidentified: Option<i64>,
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
            let mut batch = vec![first];
            while batch.len() < 4096 {
                match rx.try_recv() {
                    Ok(m) => batch.push(m),
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
                    Msg::Log {
                        level,
                        message,
                        pathname,
                        lineno,
                    } => {
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
        // A recipe the start did not list: recorded bare, in the unidentified layer.
        let lv = match self.unidentified {
            Some(lv) => lv,
            None => {
                let project: Option<i64> = tx
                    .query_row(
                        "SELECT project_id FROM orm_build WHERE id = ?1",
                        [self.build],
                        |r| r.get(0),
                    )
                    .map_err(db("find the build's project"))?;
                let lv = unidentified_layer(tx, self.build, project)?;
                self.unidentified = Some(lv);
                lv
            }
        };
        tx.execute(
            "INSERT INTO orm_recipe (name, file_path, pathflags, layer_version_id) VALUES (?1, ?2, ?3, ?4)",
            params![pn, fn_name, fn_name, lv],
        )
        .map_err(db(format!("insert recipe `{pn}` ({fn_name})")))?;
        let id = tx.last_insert_rowid();
        self.recipes.insert(fn_name.to_owned(), id);
        Ok(id)
    }

    fn task_row(&mut self, tx: &Connection, t: &bb_runqueue::events::TaskRef) -> Result<i64> {
        let recipe = self.recipe_for(tx, &t.fn_name, &t.pn)?;
        if let Some(&id) = self.tasks.get(&(recipe, t.task.clone())) {
            return Ok(id);
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
        Ok(id)
    }

    fn record(&mut self, tx: &Connection, ev: &BuildEvent, at: SystemTime) -> Result<()> {
        let at_s = crate::model::timestamp(at);
        match ev {
            BuildEvent::BuildStarted { .. } => {}
            BuildEvent::TaskStarted {
                task,
                number,
                log,
                noexec,
                ..
            } => {
                let id = self.task_row(tx, task)?;
                let (outcome, script) = if *noexec {
                    (TaskOutcome::Empty, ScriptType::NotApplicable)
                } else {
                    (TaskOutcome::NotAvailable, ScriptType::Shell)
                };
                exec_cached(
                    tx,
                    "UPDATE orm_task SET \"order\" = ?2, started = ?3, logfile = ?4, script_type = ?5, outcome = ?6, task_executed = ?7 WHERE id = ?1",
                    params![id, *number as i64, at_s, log, script as i64, outcome as i64, !*noexec],
                )
                .map_err(db(format!("task `{}:{}` started", task.pn, task.task)))?;
            }
            BuildEvent::TaskSucceeded { task, usage } => {
                let id = self.task_row(tx, task)?;
                exec_cached(
                    tx,
                    "UPDATE orm_task SET outcome = ?2, task_executed = 1, ended = ?3, elapsed_time = ?4, cpu_time_user = ?5, cpu_time_system = ?6, disk_io_read = ?7, disk_io_write = ?8, disk_io = ?9 WHERE id = ?1",
                    params![
                        id,
                        TaskOutcome::Succeeded as i64,
                        at_s,
                        usage.elapsed,
                        usage.cpu_user,
                        usage.cpu_system,
                        usage.disk_read as i64,
                        usage.disk_write as i64,
                        (usage.disk_read + usage.disk_write) as i64
                    ],
                )
                .map_err(db(format!("task `{}:{}` succeeded", task.pn, task.task)))?;
            }
            BuildEvent::TaskFailed {
                task,
                usage,
                log,
                message,
                tail,
            } => {
                let id = self.task_row(tx, task)?;
                let short: String = message.chars().take(240).collect();
                exec_cached(
                    tx,
                    "UPDATE orm_task SET outcome = ?2, task_executed = 1, ended = ?3, elapsed_time = ?4, cpu_time_user = ?5, cpu_time_system = ?6, disk_io_read = ?7, disk_io_write = ?8, disk_io = ?9, message = ?10, logfile = ?11 WHERE id = ?1",
                    params![
                        id,
                        TaskOutcome::Failed as i64,
                        at_s,
                        usage.elapsed,
                        usage.cpu_user,
                        usage.cpu_system,
                        usage.disk_read as i64,
                        usage.disk_write as i64,
                        (usage.disk_read + usage.disk_write) as i64,
                        short,
                        log
                    ],
                )
                .map_err(db(format!("task `{}:{}` failed", task.pn, task.task)))?;
                let mut text = format!("{} {}: {message}", task.pn, task.task);
                if !tail.is_empty() {
                    text.push('\n');
                    text.push_str(&tail.join("\n"));
                }
                exec_cached(
                    tx,
                    "INSERT INTO orm_logmessage (build_id, task_id, level, message, pathname) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![self.build, id, LogLevel::Error as i64, text, log],
                )
                .map_err(db(format!("failure message of `{}:{}`", task.pn, task.task)))?;
            }
            BuildEvent::TaskSkipped { task, reason } => {
                let id = self.task_row(tx, task)?;
                // Toaster's words: a stamp for the current hash is a task reused from a
                // previous build (PREBUILT); noexec has no executable content (EMPTY);
                // tasks never started keep Not Available.
                let outcome = match reason {
                    SkipReason::UpToDate => TaskOutcome::Prebuilt,
                    SkipReason::NoExec => TaskOutcome::Empty,
                    SkipReason::DependencyFailed => TaskOutcome::NotAvailable,
                };
                exec_cached(
                    tx,
                    "UPDATE orm_task SET outcome = ?2, task_executed = 0, script_type = ?3 WHERE id = ?1",
                    params![id, outcome as i64, ScriptType::NotApplicable as i64],
                )
                .map_err(db(format!("task `{}:{}` skipped", task.pn, task.task)))?;
            }
            BuildEvent::LogLine { task, line } => {
                let (level, text) = if let Some(t) = line.strip_prefix("WARNING: ") {
                    (LogLevel::Warn, t)
                } else if let Some(t) = line.strip_prefix("ERROR: ") {
                    (LogLevel::Error, t)
                } else {
                    (LogLevel::Info, line.strip_prefix("NOTE: ").unwrap_or(line))
                };
                let id = self.task_row(tx, task)?;
                exec_cached(
                    tx,
                    "INSERT INTO orm_logmessage (build_id, task_id, level, message, pathname) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        self.build,
                        id,
                        level as i64,
                        format!("{} {}: {text}", task.pn, task.task),
                        task.fn_name
                    ],
                )
                .map_err(db(format!("message of `{}:{}`", task.pn, task.task)))?;
            }
            BuildEvent::BuildFinished { outcome, .. } => {
                let o = match outcome {
                    Outcome::Succeeded => BuildOutcome::Succeeded,
                    Outcome::Failed => BuildOutcome::Failed,
                    Outcome::Cancelled => BuildOutcome::Cancelled,
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
