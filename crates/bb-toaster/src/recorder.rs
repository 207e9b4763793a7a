//! Recording a build as Toaster does: the build row and its targets when it starts (one
//! transaction); then, through a writer thread of its own (`writer.rs`), the layers and
//! variables with their history, the dependency tree (recipes, tasks and their
//! dependencies), each task as it starts and ends, log messages, and the outcome.
//! Events are stamped with the time they were queued and written in batched
//! transactions, so that the build never waits for the database: nothing blocks the
//! caller on SQLite after [`Recorder::start`]. `rows.rs` holds the plain rows the
//! recorder is given.

use std::path::Path;
use std::sync::mpsc::{Sender, channel};
use std::thread::JoinHandle;
use std::time::SystemTime;

use bb_events::BuildEvent;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result, db};
use crate::model::{BuildOutcome, LayerSource, LogLevel};

mod rows;
#[cfg(test)]
mod tests;
mod writer;

pub use rows::{
    BuildStart, DepTree, HistoryRow, ImageFile, ImageRow, InstalledPackage, LayerInfo, PackageRow,
    RecipeRow, SstateNames, TaskRow, VariableRow,
};
use writer::Writer;

enum Msg {
    Config(Box<BuildStart>),
    Tree(Box<DepTree>),
    /// How the build's shared state objects are named (see [`SstateNames`]).
    SstateNames(SstateNames),
    Event(BuildEvent, SystemTime),
    /// Packages a recipe built.
    Packages(Vec<PackageRow>),
    /// What an image target made.
    Image(Box<ImageRow>),
    /// Parse progress: recipe files done of total.
    Parse {
        done: i64,
        total: i64,
    },
    Log {
        level: LogLevel,
        message: String,
        pathname: String,
        lineno: Option<i64>,
        /// The task the message is about (`LogMessage.task`).
        task: Option<bb_events::TaskRef>,
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
    /// The configuration, until the build starts running (see [`Recorder::build_started`]).
    config: std::sync::Mutex<Option<Box<BuildStart>>>,
    config_sent: std::sync::atomic::AtomicBool,
    /// The last parse progress sent, in thousandths (see [`Recorder::parse_progress`]).
    parse_sent: std::sync::atomic::AtomicI64,
}

/// Records log messages into a build being recorded (see [`Recorder::logger`]).
#[derive(Clone)]
pub struct Logger {
    tx: Sender<Msg>,
}

impl Logger {
    /// As [`Recorder::log`].
    pub fn log(&self, level: LogLevel, message: &str, pathname: &str, lineno: Option<i64>) {
        self.log_task(level, message, pathname, lineno, None);
    }

    /// As [`Recorder::log`], the message linked to the task it is about (a task's
    /// warning or failure): Toaster's `LogMessage.task`, which the build dashboard links.
    pub fn log_task(
        &self,
        level: LogLevel,
        message: &str,
        pathname: &str,
        lineno: Option<i64>,
        task: Option<&bb_events::TaskRef>,
    ) {
        if level == LogLevel::Info {
            return;
        }
        let _ = self.tx.send(Msg::Log {
            level,
            message: message.to_owned(),
            pathname: pathname.to_owned(),
            lineno,
            task: task.cloned(),
        });
    }
}

/// The id of Toaster's default project ("Command line builds", `is_default`), created
/// when missing as Toaster creates it: no release and no project variables.
pub(crate) fn cli_project(conn: &Connection) -> Result<i64> {
    if let Some(id) = conn
        .query_row(
            "SELECT id FROM orm_project WHERE is_default ORDER BY id LIMIT 1",
            [],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        .map_err(db("find the default project"))?
    {
        return Ok(id);
    }
    conn.execute(
        "INSERT INTO orm_project (name, short_description, is_default, created, updated) VALUES (?1, ?2, 1, ?3, ?3)",
        params![
            crate::model::CLI_PROJECT,
            "Project for builds started outside Toaster",
            now()
        ],
    )
    .map_err(db("create the default project"))?;
    Ok(conn.last_insert_rowid())
}

/// The project called `name`; a new one gets the DEFCONF_<VAR> settings as its variables
/// and the DEFAULT_RELEASE release, as Toaster's new projects do.
pub(crate) fn project_named(conn: &Connection, name: &str) -> Result<i64> {
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
         SELECT ?1, 0, r.id, r.bitbake_version_id FROM (SELECT 1) \
         LEFT JOIN orm_toastersetting s ON s.name = 'DEFAULT_RELEASE' \
         LEFT JOIN orm_release r ON r.name = s.value ORDER BY s.id LIMIT 1",
        params![name],
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
    /// transaction), then starts the writer. The layers and variables of `start` are
    /// recorded when the build starts running ([`Recorder::build_started`]).
    pub fn start(db_path: &Path, mut start: BuildStart) -> Result<Recorder> {
        let mut conn = crate::db::open(db_path)?;
        crate::recovery::fail_stale_builds(&conn)?;
        let (build_id, project) = write_start(&mut conn, &start)?;
        let db_file = conn.path().unwrap_or("").to_owned();
        crate::recovery::register(&conn, build_id);
        let (tx, rx) = channel();
        start.targets.clear();
        let writer = std::thread::Builder::new()
            .name("toaster-recorder".into())
            .spawn(move || Writer::new(build_id, project).run(conn, &rx))
            .map_err(|e| {
                crate::recovery::unregister(&db_file, build_id);
                Error::Recorder(format!("cannot start the writer thread: {e}"))
            })?;
        Ok(Recorder {
            build_id,
            db_file,
            tx,
            writer: Some(writer),
            config: std::sync::Mutex::new(Some(Box::new(start))),
            config_sent: std::sync::atomic::AtomicBool::new(false),
            parse_sent: std::sync::atomic::AtomicI64::new(-1),
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
        self.build_started();
        let _ = self.tx.send(Msg::Tree(Box::new(tree)));
    }

    /// How the build names the shared state object of a task: given the task's index
    /// in the dependency tree and the hash it is looked up by, the object's name
    /// relative to SSTATE_DIR (`None` for a task without one). Used to record
    /// `path_to_sstate_obj` and the sstate result Miss when the run queue says which
    /// objects it found, as openembedded-core's `MissedSstate` event tells Toaster.
    /// Queued, never blocks; without it those columns stay empty.
    pub fn sstate_names(&self, names: SstateNames) {
        let _ = self.tx.send(Msg::SstateNames(names));
    }

    /// The build starts running (BitBake's `BuildStarted`, once the providers of the
    /// targets are known): the layers and the variables with their history are recorded
    /// now. [`Recorder::dep_tree`] and the first [`Recorder::event`] do it too; a build
    /// that stops before (no provider for a target) has none, as in Toaster.
    pub fn build_started(&self) {
        use std::sync::atomic::Ordering;
        if self.config_sent.swap(true, Ordering::SeqCst) {
            return;
        }
        let config = self
            .config
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(c) = config {
            let _ = self.tx.send(Msg::Config(c));
        }
    }

    /// Parse progress, as Toaster stores BitBake's ParseStarted, ParseProgress and
    /// ParseCompleted (`Build.recipes_to_parse`, `Build.recipes_parsed`): `done` recipe
    /// files of `total`. The build is "Parsing" while `done < total`, which is what
    /// `api/building` and the most-recent-builds box show. Queued, never blocks; only a
    /// change of at least a thousandth, and the last file, are sent to the writer.
    pub fn parse_progress(&self, done: usize, total: usize) {
        use std::sync::atomic::Ordering;
        let total = i64::try_from(total).unwrap_or(i64::MAX).max(1);
        let done = i64::try_from(done).unwrap_or(i64::MAX).min(total);
        let step = if done == total {
            1000
        } else {
            done * 1000 / total
        };
        if self.parse_sent.fetch_max(step, Ordering::SeqCst) >= step {
            return;
        }
        let _ = self.tx.send(Msg::Parse { done, total });
    }

    /// Records the packages a recipe built (Toaster's `SinglePackageInfo`, sent after
    /// its do_package): the packages with their files and dependencies; a dependency on
    /// a package not built (yet) creates it with size -1, as Toaster does. Queued.
    pub fn packages(&self, packages: Vec<PackageRow>) {
        let _ = self.tx.send(Msg::Packages(packages));
    }

    /// Records what an image target made (Toaster's `ImagePkgList` and image
    /// artifacts): its installed packages with their sizes and the dependencies between
    /// them, its root filesystem's tree (the directory browser's data) and its image
    /// files. Queued.
    pub fn image(&self, image: ImageRow) {
        let _ = self.tx.send(Msg::Image(Box::new(image)));
    }

    /// Records an event of the run queue (queued with the current time; never blocks on
    /// the database).
    pub fn event(&self, ev: &BuildEvent) {
        self.build_started();
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
        "INSERT INTO orm_layer_version (layer_id, build_id, project_id, layer_source, branch, \"commit\", priority, local_path, up_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            layer,
            build,
            project,
            LayerSource::Local as i64,
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
    // A build started by `runbuilds` for a build request records into the request's row.
    let adopted = crate::bldcontrol::adopt(&tx, s)?;
    let project = match (&adopted, &s.project) {
        (Some((_, p)), _) => *p,
        (None, Some(p)) => project_named(&tx, p)?,
        (None, None) => cli_project(&tx)?,
    };
    let t = now();
    let pid = i64::from(std::process::id());
    let parsed = s.recipes_parsed.max(1);
    if let Some((build, _)) = adopted {
        insert_targets(&tx, build, s)?;
        tx.commit().map_err(db("commit build start"))?;
        return Ok((build, project));
    }
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
    insert_targets(&tx, build, s)?;
    tx.commit().map_err(db("commit build start"))?;
    Ok((build, project))
}

/// The build's targets.
fn insert_targets(tx: &Connection, build: i64, s: &BuildStart) -> Result<()> {
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
    Ok(())
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
