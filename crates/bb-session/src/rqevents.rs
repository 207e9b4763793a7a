//! The run queue's events to the configuration's event handlers, as BitBake's run
//! queue fires them in its server: `bb.runqueue.runQueueTaskStarted`,
//! `runQueueTaskCompleted`, `runQueueTaskFailed`, `runQueueTaskSkipped`,
//! `sceneQueueTaskStarted`, `sceneQueueTaskCompleted`, `sceneQueueTaskFailed`,
//! `sceneQueueComplete`, `runQueueExitWait` (the build stops and waits for its running
//! tasks), and `bb.event.HeartbeatEvent` every BB_HEARTBEAT_EVENT seconds while the build
//! runs, each followed by the disk space monitor's check (BB_DISKMON_DIRS) with its
//! `bb.event.DiskFull` and `bb.event.MonitorDiskEvent`, as BitBake's run queue checks
//! on the heartbeat. Each carries BitBake's attributes (`taskid`, `taskstring`, `taskname`,
//! `taskfile`, `taskhash`, `stats`, and `noexec`, `exitcode` or `reason`; `remain` and
//! `message`).
//!
//! A thread sits between the scheduler and the caller's channel: for each event it
//! runs the handlers that listen to the matching class (with the configuration
//! datastore of BuildStarted and BuildCompleted), then passes the event on. When no
//! handler of the configuration listens to any of these classes there is no such
//! thread and nothing costs anything (see [`Wanted::of`]).

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use bb_data::DataStore;
use bb_events::{BuildEvent, SkipReason, TaskRef};
use bb_pyexpr::EventAttr::{Object, Str};

use crate::Observer;
use crate::diskmon::DiskMonitor;
use bb_cooker::providers::Level;
use bb_runqueue::StopTasks;

/// The classes this module fires.
const CLASSES: [&str; 12] = [
    "bb.runqueue.runQueueTaskStarted",
    "bb.runqueue.runQueueTaskCompleted",
    "bb.runqueue.runQueueTaskFailed",
    "bb.runqueue.runQueueTaskSkipped",
    "bb.runqueue.sceneQueueTaskStarted",
    "bb.runqueue.sceneQueueTaskCompleted",
    "bb.runqueue.sceneQueueTaskFailed",
    "bb.runqueue.sceneQueueComplete",
    "bb.event.HeartbeatEvent",
    "bb.runqueue.runQueueExitWait",
    "bb.event.DiskFull",
    "bb.event.MonitorDiskEvent",
];

/// Which of [`CLASSES`] the configuration's handlers listen to.
pub(crate) struct Wanted {
    classes: HashSet<&'static str>,
    /// BB_HEARTBEAT_EVENT (seconds).
    heartbeat: Duration,
}

impl Wanted {
    /// The classes `config`'s handlers listen to (a handler without an eventmask
    /// listens to all); `None` when none, or without Python.
    pub(crate) fn of(config: &DataStore) -> Option<Wanted> {
        bb_data::python::python_host()?;
        let mut classes = HashSet::new();
        for (_, _, mask) in bb_data::python::event_handlers(config) {
            for class in CLASSES {
                if mask.as_ref().is_none_or(|m| m.iter().any(|c| c == class)) {
                    classes.insert(class);
                }
            }
        }
        if classes.is_empty() {
            return None;
        }
        Some(Wanted {
            classes,
            heartbeat: heartbeat_interval(config),
        })
    }
}

/// BB_HEARTBEAT_EVENT: how often BitBake's server beats (seconds; default 1).
pub(crate) fn heartbeat_interval(config: &DataStore) -> Duration {
    let secs = config
        .get_var("BB_HEARTBEAT_EVENT")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(1.0);
    Duration::from_secs_f64(secs)
}

/// Whether a handler of `config` listens to `class` (one without an eventmask listens
/// to all); false without Python.
pub(crate) fn listened(config: &DataStore, class: &str) -> bool {
    bb_data::python::python_host().is_some()
        && bb_data::python::event_handlers(config)
            .iter()
            .any(|(_, _, mask)| mask.as_ref().is_none_or(|m| m.iter().any(|c| c == class)))
}

/// BitBake's RunQueueStats, kept from the events as BitBake's run queue keeps it.
#[derive(Default)]
struct Stats {
    completed: usize,
    skipped: usize,
    failed: usize,
    active: usize,
    setscene_active: usize,
    setscene_covered: usize,
    setscene_notcovered: usize,
    setscene_total: usize,
    total: usize,
}

impl Stats {
    /// The text `bb.runqueue` turns back into a RunQueueStats.
    fn text(&self) -> String {
        format!(
            "completed={} skipped={} failed={} active={} setscene_active={} setscene_covered={} setscene_notcovered={} setscene_total={} total={}",
            self.completed,
            self.skipped,
            self.failed,
            self.active,
            self.setscene_active,
            self.setscene_covered,
            self.setscene_notcovered,
            self.setscene_total,
            self.total
        )
    }
}

/// Fires the events of one build at the configuration's handlers.
struct Firing<'a> {
    cfg: &'a mut DataStore,
    wanted: &'a Wanted,
    /// Each task's hash, by graph index.
    hashes: &'a [String],
    obs: &'a dyn Observer,
    stats: Stats,
    /// sceneQueueComplete was fired, or is not to be (a graph without setscene tasks
    /// has no scene queue, and BitBake fires none).
    scene_done: bool,
    /// `-k`: a failure does not stop the build.
    keep_going: bool,
    /// Set when the build is interrupted.
    cancel: &'a AtomicBool,
    /// The `remain` of the last runQueueExitWait fired.
    waiting: Option<usize>,
    /// The disk space monitor, checking after each heartbeat.
    monitor: Option<DiskMonitor>,
    /// The monitor's say over the run queue.
    stop_tasks: &'a StopTasks,
}

impl Firing<'_> {
    fn fire(&mut self, event: &bb_pyexpr::Event) {
        if !self.wanted.classes.contains(event.class()) {
            return;
        }
        // A failing handler is reported, as BitBake logs it, and the build goes on.
        if let Err(e) = bb_data::python::fire_event(self.cfg, event) {
            self.obs.log(Level::Error, &e.to_string());
        }
    }

    /// A task event of `class` (`setscene`: the task's setscene task) with the
    /// stats as they are now.
    fn task_event(&self, class: &str, t: &TaskRef, setscene: bool) -> bb_pyexpr::Event {
        let tid = format!("{}:{}", t.fn_name, t.task);
        let suffix = if setscene { "_setscene" } else { "" };
        bb_pyexpr::Event::new(format!("bb.runqueue.{class}"))
            .with("taskstring", Str(format!("{tid}{suffix}")))
            .with("taskid", Str(tid))
            .with("taskname", Str(format!("{}{suffix}", t.task)))
            .with("taskfile", Str(t.fn_name.clone()))
            .with(
                "taskhash",
                Str(self.hashes.get(t.index).cloned().unwrap_or_default()),
            )
            .with("stats", Object(self.stats.text()))
    }

    /// sceneQueueComplete, once, before the first real task is dealt with (when the
    /// graph has setscene tasks).
    fn scene_complete(&mut self) {
        if self.scene_done {
            return;
        }
        self.scene_done = true;
        let e = bb_pyexpr::Event::new("bb.runqueue.sceneQueueComplete")
            .with("stats", Object(self.stats.text()));
        self.fire(&e);
    }

    /// One event of the scheduler, in BitBake's order of firing and counting.
    fn event(&mut self, ev: &BuildEvent) {
        match ev {
            BuildEvent::BuildStarted { total, .. } => self.stats.total = *total,
            BuildEvent::SetsceneChecked { total, .. } => {
                self.stats.setscene_total = *total;
                self.scene_done = false;
            }
            BuildEvent::SetsceneStarted { task, .. } => {
                let e = self.task_event("sceneQueueTaskStarted", task, true);
                self.fire(&e);
                self.stats.setscene_active += 1;
            }
            BuildEvent::SetsceneSucceeded { task, .. } => {
                self.stats.setscene_active = self.stats.setscene_active.saturating_sub(1);
                self.stats.setscene_covered += 1;
                let e = self.task_event("sceneQueueTaskCompleted", task, true);
                self.fire(&e);
            }
            BuildEvent::SetsceneFailed { task, exitcode, .. } => {
                self.stats.setscene_active = self.stats.setscene_active.saturating_sub(1);
                self.stats.setscene_notcovered += 1;
                let e = self
                    .task_event("sceneQueueTaskFailed", task, true)
                    .with("exitcode", Object(exitcode.to_string()));
                self.fire(&e);
            }
            BuildEvent::TaskStarted { task, noexec, .. } => {
                self.scene_complete();
                let e = self
                    .task_event("runQueueTaskStarted", task, false)
                    .with("noexec", Object(if *noexec { "1" } else { "0" }.to_owned()));
                self.fire(&e);
                self.stats.active += 1;
            }
            BuildEvent::TaskSucceeded { task, .. }
            | BuildEvent::TaskSkipped {
                task,
                reason: SkipReason::NoExec,
            } => {
                self.stats.active = self.stats.active.saturating_sub(1);
                self.stats.completed += 1;
                let e = self.task_event("runQueueTaskCompleted", task, false);
                self.fire(&e);
            }
            BuildEvent::TaskFailed { task, exitcode, .. } => {
                self.stats.active = self.stats.active.saturating_sub(1);
                self.stats.failed += 1;
                let e = self
                    .task_event("runQueueTaskFailed", task, false)
                    .with("exitcode", Object(exitcode.to_string()))
                    .with("fakeroot_log", Str(String::new()));
                self.fire(&e);
            }
            BuildEvent::TaskSkipped { task, reason } => {
                let reason = match reason {
                    SkipReason::UpToDate => "existing",
                    SkipReason::Covered => "covered",
                    // Not run because something failed: BitBake fires nothing.
                    SkipReason::DependencyFailed | SkipReason::NoExec => return,
                };
                self.scene_complete();
                let e = self
                    .task_event("runQueueTaskSkipped", task, false)
                    .with("reason", Str(reason.to_owned()));
                self.fire(&e);
                self.stats.skipped += 1;
                self.stats.completed += 1;
            }
            BuildEvent::BuildFinished { .. } => self.scene_complete(),
            BuildEvent::LogLine { .. } | BuildEvent::TaskProgress { .. } => {}
        }
        self.exit_wait();
    }

    /// runQueueExitWait while the build is stopping (a failure without `-k`, or an
    /// interrupt) and tasks still run: BitBake fires it each time its run queue looks
    /// at them then; bake, each time their number changes.
    fn exit_wait(&mut self) {
        // HALT (which also sets `cancel`) stops at once: BitBake waits for nothing.
        let stopping = !self.stop_tasks.halted()
            && ((self.stats.failed > 0 && !self.keep_going)
                || self.cancel.load(std::sync::atomic::Ordering::Relaxed)
                || self.stop_tasks.stopped());
        let remain = self.stats.active + self.stats.setscene_active;
        if !stopping || remain == 0 || self.waiting == Some(remain) {
            return;
        }
        self.waiting = Some(remain);
        let e = bb_pyexpr::Event::new("bb.runqueue.runQueueExitWait")
            .with("remain", Object(remain.to_string()))
            .with(
                "message",
                Str(format!("Waiting for {remain} active tasks to finish")),
            );
        self.fire(&e);
    }

    /// A heartbeat: HeartbeatEvent, then the disk space monitor's check, its action,
    /// DiskFull for each action taken and MonitorDiskEvent.
    fn heartbeat(&mut self) {
        self.fire(&heartbeat_event());
        let Some(check) = self.monitor.as_mut().map(DiskMonitor::check) else {
            return;
        };
        crate::diskmon::act(&check, (self.stop_tasks, self.cancel), self.obs);
        for e in &check.full {
            self.fire(e);
        }
        self.fire(&check.usage);
        self.exit_wait();
    }
}

/// A `bb.event.HeartbeatEvent` of now.
fn heartbeat_event() -> bb_pyexpr::Event {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    bb_pyexpr::Event::new("bb.event.HeartbeatEvent").with("time", Object(now.to_string()))
}

/// The configuration of BuildStarted while the run queue is prepared (hashes, the
/// recipes to finalize, the setscene check): BitBake's server beats from BuildStarted
/// on, so HeartbeatEvent is fired at its handlers every BB_HEARTBEAT_EVENT seconds
/// from a thread of its own, when one listens, until [`Preparing::finish`] gives the
/// configuration back for the run.
pub(crate) enum Preparing {
    /// No handler listens to HeartbeatEvent.
    Still(Box<DataStore>),
    /// The thread beating; dropping the sender ends it.
    Beating(
        Sender<()>,
        std::thread::JoinHandle<(DataStore, Vec<String>)>,
    ),
}

impl Preparing {
    /// Starts beating on `cfg` when a handler of `config` listens to HeartbeatEvent.
    pub(crate) fn start(mut cfg: DataStore, config: &DataStore) -> Preparing {
        if !listened(config, "bb.event.HeartbeatEvent") {
            return Preparing::Still(Box::new(cfg));
        }
        let every = heartbeat_interval(config);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let handle = std::thread::spawn(move || {
            let mut failures = Vec::new();
            while let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(every) {
                if let Err(e) = bb_data::python::fire_event(&mut cfg, &heartbeat_event()) {
                    failures.push(e.to_string());
                }
            }
            (cfg, failures)
        });
        Preparing::Beating(tx, handle)
    }

    /// Stops beating: the configuration, the handlers' failures reported to `obs` (as
    /// BitBake logs them).
    pub(crate) fn finish(self, obs: &dyn Observer) -> Option<DataStore> {
        match self {
            Preparing::Still(cfg) => Some(*cfg),
            Preparing::Beating(tx, handle) => {
                drop(tx);
                let (cfg, failures) = handle.join().ok()?;
                for f in failures {
                    obs.log(Level::Error, &f);
                }
                Some(cfg)
            }
        }
    }
}

/// How the build runs, for when it stops (runQueueExitWait), and the disk space
/// monitor.
pub(crate) struct Stopping<'a> {
    /// `-k`.
    pub(crate) keep_going: bool,
    /// Set when the build is interrupted.
    pub(crate) cancel: &'a AtomicBool,
    /// The disk space monitor's say over the run queue.
    pub(crate) stop_tasks: &'a StopTasks,
    /// The disk space monitor, if BB_DISKMON_DIRS sets one up.
    pub(crate) monitor: Option<DiskMonitor>,
}

/// Runs `run` (the run queue, publishing on the sender it is given) with the
/// configuration's handlers of `wanted` fired for its events, on `cfg`, before each
/// event goes on to `out`. `hashes`: each task's hash by graph index.
pub(crate) fn around<R>(
    cfg: &mut DataStore,
    wanted: &Wanted,
    hashes: &[String],
    stopping: Stopping<'_>,
    out: &Sender<BuildEvent>,
    obs: &dyn Observer,
    run: impl FnOnce(&Sender<BuildEvent>) -> R,
) -> R {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut firing = Firing {
        cfg,
        wanted,
        hashes,
        obs,
        stats: Stats::default(),
        scene_done: true,
        keep_going: stopping.keep_going,
        cancel: stopping.cancel,
        waiting: None,
        monitor: stopping.monitor,
        stop_tasks: stopping.stop_tasks,
    };
    std::thread::scope(|scope| {
        scope.spawn(move || pass_on(&mut firing, &rx, out));
        let result = run(&tx);
        drop(tx);
        result
    })
}

/// The thread between the scheduler and `out`.
fn pass_on(firing: &mut Firing<'_>, rx: &Receiver<BuildEvent>, out: &Sender<BuildEvent>) {
    let beat = (firing.wanted.classes.contains("bb.event.HeartbeatEvent")
        || firing.monitor.is_some())
    .then_some(firing.wanted.heartbeat);
    let mut next_beat = beat.map(|b| Instant::now() + b);
    loop {
        let ev = match next_beat {
            Some(at) => match rx.recv_timeout(at.saturating_duration_since(Instant::now())) {
                Ok(ev) => Some(ev),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            },
            None => match rx.recv() {
                Ok(ev) => Some(ev),
                Err(_) => return,
            },
        };
        if let (Some(at), Some(b)) = (next_beat, beat)
            && Instant::now() >= at
        {
            firing.heartbeat();
            next_beat = Some(Instant::now() + b);
        }
        if let Some(ev) = ev {
            firing.event(&ev);
            let _ = out.send(ev);
        }
    }
}
