//! Recording a build as Toaster does: the build row, its targets, layers, recipes and
//! variables (with history) when it starts, each task as it starts and ends, log
//! messages, and the outcome. Writes happen on a thread of their own, batched into
//! transactions, so that the build never waits for the database.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use bb_runqueue::events::{BuildEvent, Outcome, SkipReason};
use rusqlite::{Connection, params};

use crate::error::{Error, Result};
use crate::model::{BuildOutcome, LogLevel, TaskOutcome};

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

/// What is known of a build when it starts.
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
    Event(BuildEvent),
    Log {
        level: LogLevel,
        message: String,
        pathname: String,
        lineno: Option<i64>,
    },
    Finish,
}

/// A build being recorded.
pub struct Recorder {
    build_id: i64,
    tx: Sender<Msg>,
    writer: Option<JoinHandle<Result<()>>>,
}

/// The id of the project "Command line builds", created when missing.
pub(crate) fn cli_project(conn: &Connection) -> Result<i64> {
    project_named(conn, crate::model::CLI_PROJECT, true)
}

fn project_named(conn: &Connection, name: &str, is_default: bool) -> Result<i64> {
    let db = |what: &str| {
        let what = what.to_owned();
        move |e| Error::Db {
            what: what.clone(),
            source: e,
        }
    };
    if let Some(id) = conn
        .query_row(
            "SELECT id FROM orm_project WHERE name = ?1 ORDER BY id LIMIT 1",
            [name],
            |r| r.get::<_, i64>(0),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })
        .map_err(db("find project"))?
    {
        return Ok(id);
    }
    conn.execute(
        "INSERT INTO orm_project (name, is_default) VALUES (?1, ?2)",
        params![name, is_default],
    )
    .map_err(db("create project"))?;
    Ok(conn.last_insert_rowid())
}

fn now() -> String {
    crate::model::timestamp(std::time::SystemTime::now())
}

impl Recorder {
    /// Creates the build row and everything known at start (one transaction), then
    /// starts the writer that records the events.
    pub fn start(db_path: &Path, start: BuildStart) -> Result<Recorder> {
        let mut conn = crate::db::open(db_path)?;
        let build_id = write_start(&mut conn, &start)?;
        let (tx, rx) = channel();
        let recipes: HashMap<String, i64> = recipe_ids(&conn, build_id)?;
        let path = db_path.to_path_buf();
        let writer = std::thread::Builder::new()
            .name("toaster-recorder".into())
            .spawn(move || writer(conn, rx, build_id, recipes, path))
            .map_err(|e| Error::Recorder(e.to_string()))?;
        Ok(Recorder {
            build_id,
            tx,
            writer: Some(writer),
        })
    }

    /// The build's id.
    pub fn build_id(&self) -> i64 {
        self.build_id
    }

    /// Records an event of the run queue (queued; never blocks on the database).
    pub fn event(&self, ev: &BuildEvent) {
        let _ = self.tx.send(Msg::Event(ev.clone()));
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

    /// Waits until everything is written.
    pub fn finish(mut self) -> Result<i64> {
        let _ = self.tx.send(Msg::Finish);
        if let Some(w) = self.writer.take() {
            w.join()
                .map_err(|_| Error::Recorder("the writer thread panicked".into()))??;
        }
        Ok(self.build_id)
    }
}

fn write_start(conn: &mut Connection, s: &BuildStart) -> Result<i64> {
    let tx = conn.transaction().map_err(|e| Error::Db {
        what: "begin build".into(),
        source: e,
    })?;
    let db = |what: &'static str| {
        move |e| Error::Db {
            what: what.into(),
            source: e,
        }
    };
    let project = match &s.project {
        Some(p) => project_named(&tx, p, false)?,
        None => cli_project(&tx)?,
    };
    let t = now();
    tx.execute(
        "INSERT INTO orm_build (project_id, machine, distro, distro_version, started_on, completed_on, outcome, cooker_log_path, build_name, bitbake_version, recorder_pid) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?9, ?10)",
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
            i64::from(std::process::id())
        ],
    )
    .map_err(db("insert build"))?;
    let build = tx.last_insert_rowid();
    for (target, task) in &s.targets {
        tx.execute(
            "INSERT INTO orm_target (build_id, target, task) VALUES (?1, ?2, ?3)",
            params![build, target, task],
        )
        .map_err(db("insert target"))?;
    }
    let mut layer_versions: HashMap<String, i64> = HashMap::new();
    for l in &s.layers {
        tx.execute(
            "INSERT INTO orm_layer (name, local_source_dir) VALUES (?1, ?2)",
            params![l.name, l.path],
        )
        .map_err(db("insert layer"))?;
        let layer = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO orm_layer_version (layer_id, build_id, layer_source, branch, commit_, priority, local_path) VALUES (?1, ?2, 3, ?3, ?4, ?5, ?6)",
            params![layer, build, l.branch, l.commit, l.priority, l.path],
        )
        .map_err(db("insert layer version"))?;
        layer_versions.insert(l.name.clone(), tx.last_insert_rowid());
    }
    let mut recipe_by_pn: HashMap<&str, i64> = HashMap::new();
    {
        let mut ins = tx
            .prepare("INSERT INTO orm_recipe (name, version, layer_version_id, summary, description, section, license, homepage, file_path, pathflags) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
            .map_err(db("prepare recipe"))?;
        for r in &s.recipes {
            ins.execute(params![
                r.name,
                r.version,
                layer_versions.get(&r.layer),
                r.summary,
                r.description,
                r.section,
                r.license,
                r.homepage,
                r.file_path,
                r.fn_name
            ])
            .map_err(db("insert recipe"))?;
            recipe_by_pn.insert(r.name.as_str(), tx.last_insert_rowid());
        }
        let mut dep = tx
            .prepare("INSERT INTO orm_recipe_dependency (recipe_id, depends_on_id, dep_type) VALUES (?1, ?2, 0)")
            .map_err(db("prepare recipe dependency"))?;
        for r in &s.recipes {
            let Some(&from) = recipe_by_pn.get(r.name.as_str()) else {
                continue;
            };
            for d in &r.depends {
                if let Some(&to) = recipe_by_pn.get(d.as_str()) {
                    dep.execute(params![from, to])
                        .map_err(db("insert recipe dependency"))?;
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
                .map_err(db("insert variable"))?;
            let id = tx.last_insert_rowid();
            for h in &v.history {
                hist.execute(params![
                    id,
                    h.value,
                    h.file_name,
                    h.line_number,
                    h.operation
                ])
                .map_err(db("insert variable history"))?;
            }
        }
    }
    tx.commit().map_err(db("commit build start"))?;
    Ok(build)
}

/// The build's recipes by target name (kept in `pathflags`).
fn recipe_ids(conn: &Connection, build: i64) -> Result<HashMap<String, i64>> {
    let db = |e| Error::Db {
        what: "read recipes".into(),
        source: e,
    };
    let mut st = conn
        .prepare("SELECT r.pathflags, r.id FROM orm_recipe r JOIN orm_layer_version lv ON r.layer_version_id = lv.id WHERE lv.build_id = ?1")
        .map_err(db)?;
    let rows = st
        .query_map([build], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })
        .map_err(db)?;
    let mut out = HashMap::new();
    for r in rows {
        let (k, v) = r.map_err(db)?;
        out.insert(k, v);
    }
    Ok(out)
}

fn writer(
    mut conn: Connection,
    rx: Receiver<Msg>,
    build: i64,
    mut recipes: HashMap<String, i64>,
    _path: PathBuf,
) -> Result<()> {
    lower_priority();
    let mut done = false;
    while !done {
        // Block for one message, then take whatever else is queued: one transaction.
        let Ok(first) = rx.recv() else { break };
        let mut batch = vec![first];
        while batch.len() < 2000 {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        let tx = conn.transaction().map_err(|e| Error::Db {
            what: "begin batch".into(),
            source: e,
        })?;
        for m in batch {
            match m {
                Msg::Finish => done = true,
                Msg::Log {
                    level,
                    message,
                    pathname,
                    lineno,
                } => {
                    tx.execute(
                        "INSERT INTO orm_logmessage (build_id, level, message, pathname, lineno) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![build, level as i64, message, pathname, lineno],
                    )
                    .map_err(|e| Error::Db { what: "insert log message".into(), source: e })?;
                }
                Msg::Event(ev) => record(&tx, build, &mut recipes, &ev)?,
            }
        }
        tx.commit().map_err(|e| Error::Db {
            what: "commit batch".into(),
            source: e,
        })?;
    }
    Ok(())
}

fn recipe_for(
    tx: &Connection,
    build: i64,
    recipes: &mut HashMap<String, i64>,
    fn_name: &str,
    pn: &str,
) -> Result<i64> {
    if let Some(&id) = recipes.get(fn_name) {
        return Ok(id);
    }
    // A recipe the start did not list: record it bare.
    tx.execute(
        "INSERT INTO orm_recipe (name, file_path, pathflags) VALUES (?1, ?2, ?3)",
        params![pn, fn_name, fn_name],
    )
    .map_err(|e| Error::Db {
        what: format!("insert recipe {pn}"),
        source: e,
    })?;
    let id = tx.last_insert_rowid();
    let _ = build;
    recipes.insert(fn_name.to_owned(), id);
    Ok(id)
}

fn task_row(tx: &Connection, build: i64, recipe: i64, task: &str) -> Result<i64> {
    let found = tx
        .prepare_cached(
            "SELECT id FROM orm_task WHERE build_id = ?1 AND recipe_id = ?2 AND task_name = ?3",
        )
        .and_then(|mut st| {
            st.query_row(params![build, recipe, task], |r| r.get::<_, i64>(0))
                .map(Some)
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    e => Err(e),
                })
        })
        .map_err(|e| Error::Db {
            what: format!("find task {task}"),
            source: e,
        })?;
    if let Some(id) = found {
        return Ok(id);
    }
    exec_cached(
        tx,
        "INSERT INTO orm_task (build_id, recipe_id, task_name) VALUES (?1, ?2, ?3)",
        params![build, recipe, task],
    )
    .map_err(|e| Error::Db {
        what: format!("insert task {task}"),
        source: e,
    })?;
    Ok(tx.last_insert_rowid())
}

fn record(
    tx: &Connection,
    build: i64,
    recipes: &mut HashMap<String, i64>,
    ev: &BuildEvent,
) -> Result<()> {
    let db = |what: &'static str| {
        move |e| Error::Db {
            what: what.into(),
            source: e,
        }
    };
    match ev {
        BuildEvent::BuildStarted { .. } => {}
        BuildEvent::TaskStarted {
            task,
            number,
            log,
            noexec,
            ..
        } => {
            let r = recipe_for(tx, build, recipes, &task.fn_name, &task.pn)?;
            let id = task_row(tx, build, r, &task.task)?;
            exec_cached(tx,
                "UPDATE orm_task SET \"order\" = ?2, started = ?3, logfile = ?4, script_type = ?5 WHERE id = ?1",
                params![id, *number as i64, now(), log, if *noexec { 0 } else { 3 }],
            )
            .map_err(db("task started"))?;
        }
        BuildEvent::TaskSucceeded { task, usage } => {
            let r = recipe_for(tx, build, recipes, &task.fn_name, &task.pn)?;
            let id = task_row(tx, build, r, &task.task)?;
            exec_cached(tx,
                "UPDATE orm_task SET outcome = ?2, task_executed = 1, ended = ?3, elapsed_time = ?4, cpu_time_user = ?5, cpu_time_system = ?6, disk_io_read = ?7, disk_io_write = ?8, disk_io = ?9 WHERE id = ?1",
                params![
                    id,
                    TaskOutcome::Succeeded as i64,
                    now(),
                    usage.elapsed,
                    usage.cpu_user,
                    usage.cpu_system,
                    usage.disk_read as i64,
                    usage.disk_write as i64,
                    (usage.disk_read + usage.disk_write) as i64
                ],
            )
            .map_err(db("task succeeded"))?;
        }
        BuildEvent::TaskFailed {
            task,
            usage,
            log,
            message,
            tail,
        } => {
            let r = recipe_for(tx, build, recipes, &task.fn_name, &task.pn)?;
            let id = task_row(tx, build, r, &task.task)?;
            let short: String = message.chars().take(240).collect();
            exec_cached(tx,
                "UPDATE orm_task SET outcome = ?2, task_executed = 1, ended = ?3, elapsed_time = ?4, cpu_time_user = ?5, cpu_time_system = ?6, disk_io_read = ?7, disk_io_write = ?8, disk_io = ?9, message = ?10, logfile = ?11 WHERE id = ?1",
                params![
                    id,
                    TaskOutcome::Failed as i64,
                    now(),
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
            .map_err(db("task failed"))?;
            let mut text = format!("{} {}: {message}", task.pn, task.task);
            if !tail.is_empty() {
                text.push('\n');
                text.push_str(&tail.join("\n"));
            }
            exec_cached(tx,
                "INSERT INTO orm_logmessage (build_id, task_id, level, message, pathname) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![build, id, LogLevel::Error as i64, text, log],
            )
            .map_err(db("failure message"))?;
        }
        BuildEvent::TaskSkipped { task, reason } => {
            let r = recipe_for(tx, build, recipes, &task.fn_name, &task.pn)?;
            let id = task_row(tx, build, r, &task.task)?;
            let outcome = match reason {
                SkipReason::UpToDate => TaskOutcome::Prebuilt,
                SkipReason::NoExec => TaskOutcome::Empty,
                SkipReason::DependencyFailed => TaskOutcome::NotAvailable,
            };
            exec_cached(
                tx,
                "UPDATE orm_task SET outcome = ?2 WHERE id = ?1",
                params![id, outcome as i64],
            )
            .map_err(db("task skipped"))?;
        }
        BuildEvent::LogLine { task, line } => {
            let (level, text) = if let Some(t) = line.strip_prefix("WARNING: ") {
                (LogLevel::Warn, t)
            } else if let Some(t) = line.strip_prefix("ERROR: ") {
                (LogLevel::Error, t)
            } else {
                (LogLevel::Info, line.strip_prefix("NOTE: ").unwrap_or(line))
            };
            exec_cached(tx,
                "INSERT INTO orm_logmessage (build_id, level, message, pathname) VALUES (?1, ?2, ?3, ?4)",
                params![build, level as i64, format!("{} {}: {text}", task.pn, task.task), task.fn_name],
            )
            .map_err(db("task message"))?;
        }
        BuildEvent::BuildFinished { outcome, .. } => {
            let o = match outcome {
                Outcome::Succeeded => BuildOutcome::Succeeded,
                Outcome::Failed => BuildOutcome::Failed,
                Outcome::Cancelled => BuildOutcome::Cancelled,
            };
            exec_cached(
                tx,
                "UPDATE orm_build SET outcome = ?2, completed_on = ?3 WHERE id = ?1",
                params![build, o as i64, now()],
            )
            .map_err(db("build finished"))?;
        }
    }
    Ok(())
}

/// `execute` through the connection's statement cache (the recorder runs the same few
/// statements thousands of times).
fn exec_cached(tx: &Connection, sql: &str, p: impl rusqlite::Params) -> rusqlite::Result<usize> {
    tx.prepare_cached(sql)?.execute(p)
}

/// Gives the writer thread a lower scheduling priority (nice +10), so that on a busy
/// machine the build's own work goes first and recording catches up in the gaps.
#[allow(unsafe_code)]
fn lower_priority() {
    // SAFETY: gettid and setpriority only read and set this thread's scheduling
    // priority; they touch no memory of ours.
    unsafe {
        let tid = libc::gettid();
        let _ = libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 10);
    }
}
