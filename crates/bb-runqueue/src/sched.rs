//! The scheduler: tasks in dependency order on BB_NUMBER_THREADS workers, up-to-date
//! and noexec tasks passed over, `[number_threads]` limits honoured, failures
//! stopping the build (or, with `-k`, only what depends on them), Ctrl-C waiting for
//! the running tasks. Every step is published as a [`BuildEvent`].
//!
//! [`Scheduler`] holds the state of one build; its steps are methods:
//! [`Scheduler::run`] starts the workers, then alternates `start_ready` (hand the best
//! ready tasks to free workers, pass over those with nothing to run) and `task_ended`
//! (a worker's answer: stamp, event, what it releases) until nothing runs.
//!
//! Every step costs the same whatever the size of the build: the ready set is a heap,
//! a task's dependants are released through a countdown, tasks held back by their
//! `[number_threads]` wait in a heap of their own, a failure marks each dependant
//! once, and stamps are written through one [`StampIndex`] (each stamp directory read
//! once per build).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};

use bb_data::DataStore;
use bb_taskgraph::TaskGraph;

use crate::exec::{Builtins, TaskOutcome, TaskRun};
use crate::hashes::TaskPlan;
use crate::setscene::{SetsceneHooks, SetscenePlan};
use crate::stamps::StampIndex;
use bb_events::{BuildEvent, Outcome, SkipReason, TaskRef, Usage};

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Workers (BB_NUMBER_THREADS).
    pub threads: usize,
    /// `-k`: go on with what does not depend on a failure.
    pub keep_going: bool,
    /// `-n`: run nothing, write no stamp; report what would run.
    pub dry_run: bool,
    /// Set to stop (Ctrl-C): no new task starts; running ones are waited for.
    pub cancel: Arc<AtomicBool>,
    /// The disk space monitor's `STOPTASKS` (no new task starts; running tasks end as
    /// usual, their stamps are written) and `HALT`; the build is not "interrupted".
    pub stop_tasks: Arc<StopTasks>,
    /// The command-line targets, for the events.
    pub targets: Vec<String>,
}

/// What the disk space monitor asks of a running build, as BitBake's
/// `finish_runqueue`: `STOPTASKS` ([`StopTasks::stop`]: no new task starts, running
/// ones end as usual) or `HALT` ([`StopTasks::halt`], with [`RunOptions::cancel`] set
/// so that the running tasks are sent SIGTERM: what they end with is not reported, as
/// BitBake's run queue stops reading them). It also shows how many tasks are running.
#[derive(Debug, Default)]
pub struct StopTasks {
    /// 0: go on; 1: STOPTASKS; 2: HALT.
    level: AtomicU8,
    running: AtomicUsize,
}

impl StopTasks {
    /// No new task starts.
    pub fn stop(&self) {
        self.level.fetch_max(1, Ordering::SeqCst);
    }

    /// No new task starts, and the ends of the running ones are not reported (the
    /// caller also sets [`RunOptions::cancel`], which kills them).
    pub fn halt(&self) {
        self.level.store(2, Ordering::SeqCst);
    }

    /// [`StopTasks::stop`] or [`StopTasks::halt`] was called.
    pub fn stopped(&self) -> bool {
        self.level.load(Ordering::SeqCst) >= 1
    }

    /// [`StopTasks::halt`] was called.
    pub fn halted(&self) -> bool {
        self.level.load(Ordering::SeqCst) == 2
    }

    /// Tasks (setscene tasks included) running now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    fn set_running(&self, n: usize) {
        self.running.store(n, Ordering::SeqCst);
    }
}

/// What happened, in counts (the same as the `BuildFinished` event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// How the build ended.
    pub outcome: Outcome,
    /// Tasks run (succeeded or failed).
    pub ran: usize,
    /// Tasks up to date or noexec.
    pub skipped: usize,
    /// Tasks that failed.
    pub failed: usize,
    /// Tasks never started.
    pub not_run: usize,
}

/// What a worker gets: one task to run.
struct Job {
    index: usize,
    /// The task as events name it (for a setscene task, its real task).
    task_ref: TaskRef,
    fn_name: String,
    /// The task's log and its link, when the scheduler could work them out.
    log_paths: Option<(std::path::PathBuf, std::path::PathBuf)>,
    d: DataStore,
    pn: String,
    task: String,
    sysroot_deps: Vec<String>,
    taskhash: String,
}

/// What a worker answers: the task's index and how it ended.
type JobResult = (usize, TaskOutcome);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Ready,
    Running,
    Done,
    Failed,
    NotRun,
}

/// A ready task's place in the queue: heaviest first, then the one the run queue holds
/// last (see [`weights`]), then the lowest index.
type Ready = ((usize, usize), Reverse<usize>);

/// What starting a ready task came to.
enum Start {
    /// Done without a worker (up to date, noexec, dry run, no datastore).
    Instant,
    /// Held back by its `[number_threads]`.
    Held,
    /// Handed to a worker.
    Sent(Box<Job>),
}

/// One build of a task graph: the state of every task and the queues between them.
pub struct Scheduler<'a> {
    graph: &'a TaskGraph,
    /// Borrowed until hash equivalence changes a unihash (then owned).
    plans: std::borrow::Cow<'a, [TaskPlan]>,
    recipes: &'a HashMap<String, DataStore>,
    /// BB_TASKDEPDATA of every task, made before the first job is sent (a build with
    /// nothing to run never makes it).
    depdata: Arc<std::sync::OnceLock<crate::depdata::DepTable>>,
    opts: &'a RunOptions,
    events: &'a Sender<BuildEvent>,
    /// For each task, the tasks that depend on it.
    rev: Vec<Vec<usize>>,
    /// Dependencies before dependants.
    order: Vec<usize>,
    weight: Vec<(usize, usize)>,
    /// Passed over when reached, and why (up to date, covered by shared state).
    skip: Vec<Option<SkipReason>>,
    /// The setscene phase, when the graph has setscene tasks and the caller gave hooks.
    setscene: Option<(SetscenePlan, &'a dyn SetsceneHooks)>,
    state: Vec<State>,
    /// For each task, how many of its dependencies are not done yet.
    waiting: Vec<usize>,
    ready: BinaryHeap<Ready>,
    /// Ready tasks held back because as many tasks of their name as their
    /// `[number_threads]` allows are running, per task name.
    held: HashMap<String, BinaryHeap<Ready>>,
    running: usize,
    running_by_task: HashMap<String, usize>,
    /// Tasks finished (run, failed or skipped): the `N` of "Running task N of M".
    finished: usize,
    /// No new task starts (a failure without `-k`, or Ctrl-C).
    stop: bool,
    summary: Summary,
    /// Shared with the workers (`do_clean` removes stamps).
    stamps: Arc<StampIndex>,
}

/// Runs the graph. `recipes` holds each recipe target's finalized datastore; `plans`
/// the tasks' hashes and stamps (same order as the graph). See [`Scheduler`].
pub fn run_build(
    graph: &TaskGraph,
    plans: &[TaskPlan],
    recipes: &HashMap<String, DataStore>,
    builtins: &(dyn Builtins + Send + Sync),
    opts: &RunOptions,
    events: &Sender<BuildEvent>,
) -> Summary {
    Scheduler::new(graph, plans, recipes, opts, events).run(builtins)
}

/// [`run_build`] with a setscene phase first: the tasks `setscene` restores run as
/// their `<task>_setscene` tasks before any real task, and what they cover is passed
/// over (see [`crate::setscene`]).
pub fn run_build_with_setscene(
    graph: &TaskGraph,
    plans: &[TaskPlan],
    recipes: &HashMap<String, DataStore>,
    builtins: &(dyn Builtins + Send + Sync),
    opts: &RunOptions,
    events: &Sender<BuildEvent>,
    (setscene, hooks): (SetscenePlan, &dyn SetsceneHooks),
) -> Summary {
    Scheduler::new(graph, plans, recipes, opts, events)
        .with_setscene(setscene, hooks)
        .run(builtins)
}

impl<'a> Scheduler<'a> {
    /// A build of `graph` with `plans` (same order), the finalized datastores of the
    /// recipes with tasks to run, publishing on `events`.
    pub fn new(
        graph: &'a TaskGraph,
        plans: &'a [TaskPlan],
        recipes: &'a HashMap<String, DataStore>,
        opts: &'a RunOptions,
        events: &'a Sender<BuildEvent>,
    ) -> Scheduler<'a> {
        let rev = graph.reverse_deps();
        let order = crate::hashes::topo_order_with(graph, &rev);
        let weight = weights(graph, &rev, &order);
        Scheduler {
            graph,
            plans: std::borrow::Cow::Borrowed(plans),
            recipes,
            depdata: Arc::default(),
            opts,
            events,
            skip: crate::hashes::up_to_date_in(graph, plans, &order)
                .into_iter()
                .map(|c| c.then_some(SkipReason::UpToDate))
                .collect(),
            order,
            setscene: None,
            weight,
            rev,
            state: vec![State::Waiting; graph.len()],
            waiting: graph.deps.iter().map(Vec::len).collect(),
            ready: BinaryHeap::new(),
            held: HashMap::new(),
            running: 0,
            running_by_task: HashMap::new(),
            finished: 0,
            stop: false,
            summary: Summary {
                outcome: Outcome::Succeeded,
                ran: 0,
                skipped: 0,
                failed: 0,
                not_run: 0,
            },
            stamps: Arc::new(StampIndex::new()),
        }
    }

    /// Adds the setscene phase `plan` (see [`run_build_with_setscene`]).
    pub fn with_setscene(mut self, plan: SetscenePlan, hooks: &'a dyn SetsceneHooks) -> Self {
        self.setscene = Some((plan, hooks));
        self
    }

    /// Runs the build on `opts.threads` workers, native task functions from
    /// `builtins`; returns the counts of the `BuildFinished` event.
    pub fn run(mut self, builtins: &(dyn Builtins + Send + Sync)) -> Summary {
        let total = self.graph.len();
        self.send(BuildEvent::BuildStarted {
            targets: self.opts.targets.clone(),
            total,
        });
        self.send_setscene_checked();
        // Tasks whose stamp is current are skipped when the scheduler reaches them, as
        // BitBake's run queue skips them ("existing"): in priority order, when a
        // worker could take them, so the order of the skips (and Toaster's order
        // numbers) follows the build.
        for i in 0..total {
            if self.waiting[i] == 0 {
                self.make_ready(i);
            }
        }
        let (job_tx, job_rx) = channel::<Job>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (res_tx, res_rx) = channel::<JobResult>();
        let stamps = Arc::clone(&self.stamps);
        let depdata = Arc::clone(&self.depdata);
        std::thread::scope(|scope| {
            for _ in 0..self.opts.threads.max(1) {
                let rx = Arc::clone(&job_rx);
                let tx = res_tx.clone();
                let stamps = Arc::clone(&stamps);
                let depdata = &depdata;
                let events = self.events.clone();
                scope.spawn(move || worker(&rx, &tx, builtins, &stamps, depdata, &events));
            }
            drop(res_tx);
            self.run_setscene(&job_tx, &res_rx);
            loop {
                self.check_cancel();
                self.start_ready(&job_tx);
                if self.running == 0 {
                    break;
                }
                // Wait for a task to end (checking for Ctrl-C now and then).
                match res_rx.recv_timeout(std::time::Duration::from_millis(200)) {
                    Ok((i, outcome)) => self.task_ended(i, outcome),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
            drop(job_tx);
        });
        self.finish_build()
    }

    /// The hash check's answer as an event (oe-core's "Sstate summary").
    fn send_setscene_checked(&self) {
        let Some((plan, _)) = &self.setscene else {
            return;
        };
        let checked = (0..self.graph.len())
            .filter_map(|i| {
                plan.found[i].map(|f| (self.task_ref(i), self.plans[i].unihash.clone(), f))
            })
            .collect();
        self.send(BuildEvent::SetsceneChecked {
            checked,
            current: plan.current,
            total: plan.total,
        });
    }

    /// The setscene phase: every task to restore runs as its `<task>_setscene` task on
    /// the workers; a failure makes the real task run instead (and may make more
    /// restores needed). Then every task's skip reason is taken from the plan.
    fn run_setscene(&mut self, jobs: &Sender<Job>, results: &Receiver<JobResult>) {
        let Some((plan, hooks)) = self.setscene.take() else {
            return;
        };
        let mut plan = plan;
        let n = self.graph.len();
        let mut queue: std::collections::VecDeque<usize> = plan.to_restore(self.graph).into();
        let mut done: HashSet<usize> = HashSet::new();
        // Setscene tasks that ended (restored or failed), and those running now.
        let mut ended: HashSet<usize> = HashSet::new();
        let mut in_flight: HashSet<usize> = HashSet::new();
        let queued_or_running =
            |p: usize, queue: &std::collections::VecDeque<usize>, in_flight: &HashSet<usize>| {
                in_flight.contains(&p) || queue.contains(&p)
            };
        let mut running = 0usize;
        let mut started = 0usize;
        loop {
            self.check_cancel();
            while !self.stop && running < self.opts.threads.max(1) {
                // The first queued task whose dependants (the restores that need it)
                // are all dealt with.
                let ready = queue.iter().position(|&i| {
                    plan.needed_by[i].iter().all(|p| {
                        done.contains(p)
                            || ended.contains(p)
                            || !queued_or_running(*p, &queue, &in_flight)
                    })
                });
                let Some(i) = ready.and_then(|k| queue.remove(k)) else {
                    break;
                };
                let Some(job) = self.setscene_job(i) else {
                    self.send(BuildEvent::SetsceneFailed {
                        task: self.task_ref(i),
                        usage: Usage::default(),
                        log: String::new(),
                        message: format!("no datastore for {}", self.graph.tasks[i].fn_name),
                        exitcode: 1,
                    });
                    queue.extend(plan.fail(self.graph, &self.plans, hooks, i, &done));
                    continue;
                };
                started += 1;
                if self.opts.dry_run {
                    // -n: reported as restored, nothing runs, no stamp.
                    self.send(BuildEvent::SetsceneStarted {
                        task: self.task_ref(i),
                        number: started,
                        total: plan.total,
                        log: String::new(),
                    });
                    self.send(BuildEvent::SetsceneSucceeded {
                        task: self.task_ref(i),
                        usage: Usage::default(),
                    });
                    done.insert(i);
                    ended.insert(i);
                    continue;
                }
                self.send(BuildEvent::SetsceneStarted {
                    task: self.task_ref(i),
                    number: started,
                    total: plan.total,
                    log: job
                        .log_paths
                        .as_ref()
                        .map(|(p, _)| p.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                });
                self.make_depdata();
                if jobs.send(job).is_err() {
                    self.stop = true;
                    break;
                }
                in_flight.insert(i);
                running += 1;
                self.opts.stop_tasks.set_running(running);
            }
            if running == 0 {
                break;
            }
            let (k, outcome) = match results.recv_timeout(std::time::Duration::from_millis(200)) {
                Ok(r) => r,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
            };
            running -= 1;
            self.opts.stop_tasks.set_running(running);
            let i = k - n;
            in_flight.remove(&i);
            ended.insert(i);
            if self.opts.stop_tasks.halted() {
                // HALT: killed; BitBake reports nothing of it.
                continue;
            }
            for line in outcome.messages {
                self.send(BuildEvent::LogLine {
                    task: self.task_ref(i),
                    line,
                });
            }
            let task = &self.graph.tasks[i].task;
            let stamp = crate::setscene::setscene_stamp(&self.plans[i], task);
            let written = match (&outcome.result, stamp) {
                (Ok(()), Some(path)) if !self.cancelled() => {
                    let mut p = self.plans[i].clone();
                    p.stamp = Some(path);
                    self.stamps
                        .write(&p, &format!("{task}_setscene"))
                        .map_err(|e| (e.to_string(), 1))
                }
                (Ok(()), None) if !self.cancelled() => Ok(()),
                (Ok(()), _) => Err(("interrupted".to_owned(), 1)),
                (Err(f), _) => Err((f.message.clone(), f.exitcode)),
            };
            match written {
                Ok(()) => {
                    done.insert(i);
                    self.send(BuildEvent::SetsceneSucceeded {
                        task: self.task_ref(i),
                        usage: outcome.usage,
                    });
                }
                Err((message, exitcode)) => {
                    self.send(BuildEvent::SetsceneFailed {
                        task: self.task_ref(i),
                        usage: outcome.usage,
                        log: outcome.log,
                        message,
                        exitcode,
                    });
                    if !self.cancelled() {
                        queue.extend(plan.fail(self.graph, &self.plans, hooks, i, &done));
                    }
                }
            }
        }
        // A task whose own stamp is valid is up to date when what it depends on is
        // current or was restored by an earlier build (its setscene stamp), as
        // BitBake's stamp check counts a dependency's setscene stamp: after a build
        // from shared state, `do_build` is not run again.
        let eff = plan.effective_current(self.graph, &self.plans, &self.order);
        for (i, &current) in eff.iter().enumerate().take(n) {
            let up =
                self.skip[i] == Some(SkipReason::UpToDate) || (self.plans[i].up_to_date && current);
            self.skip[i] = plan.skip_reason(i, up);
        }
        self.setscene = Some((plan, hooks));
    }

    /// Hash equivalence after task `i` succeeded: its output reported; when the server
    /// gives it another unihash (an earlier, equivalent output), the hashes of the
    /// tasks after it are worked out again, and those not started whose stamp now
    /// exists are passed over.
    fn report_unihash(&mut self, i: usize) {
        // Only tasks with a setscene variant have their output reported (BitBake's
        // worker reports only setscene tasks).
        let Some((plan, hooks)) = &self.setscene else {
            return;
        };
        if !plan.has_setscene.get(i).copied().unwrap_or(false) {
            return;
        }
        let hooks: &dyn SetsceneHooks = *hooks;
        let Some(u) = hooks.report(&crate::setscene::query(self.graph, &self.plans, i)) else {
            return;
        };
        if u == self.plans[i].unihash {
            return;
        }
        let graph = self.graph;
        let plans = self.plans.to_mut();
        plans[i].unihash = u;
        let mut lookup = |f: &str, t: &str, h: &str| hooks.unihash(f, t, h);
        let changed = crate::hashes::rehash_dependents(
            graph,
            plans,
            &self.rev,
            &self.order,
            i,
            Some(&mut lookup),
        );
        for j in changed {
            if matches!(self.state[j], State::Waiting | State::Ready) {
                self.skip[j] = self.plans[j].up_to_date.then_some(SkipReason::UpToDate);
            }
        }
    }

    /// The job of task `i`'s setscene task (`None`: its recipe was not parsed).
    fn setscene_job(&self, i: usize) -> Option<Job> {
        let t = &self.graph.tasks[i];
        let d = self.recipes.get(&t.fn_name)?;
        let task = format!("{}_setscene", t.task);
        let log_paths = crate::exec::log_paths(d, &task).ok();
        let mut d = d.clone();
        d.set_var("BB_UNIHASH", &self.plans[i].unihash);
        Some(Job {
            index: self.graph.len() + i,
            task_ref: self.task_ref(i),
            fn_name: t.fn_name.clone(),
            log_paths,
            d,
            pn: self.plans[i].pn.clone(),
            task,
            sysroot_deps: Vec::new(),
            taskhash: self.plans[i].taskhash.clone(),
        })
    }

    fn send(&self, e: BuildEvent) {
        let _ = self.events.send(e);
    }

    fn task_ref(&self, i: usize) -> TaskRef {
        TaskRef {
            index: i,
            pn: self.plans[i].pn.clone(),
            fn_name: self.graph.tasks[i].fn_name.clone(),
            task: self.graph.tasks[i].task.clone(),
        }
    }

    fn cancelled(&self) -> bool {
        self.opts.cancel.load(Ordering::SeqCst)
    }

    /// Ctrl-C: nothing new starts; nor after [`RunOptions::stop_tasks`].
    fn check_cancel(&mut self) {
        if self.interrupted() && !self.stop {
            self.stop = true;
            self.summary.outcome = Outcome::Cancelled;
        }
        if self.opts.stop_tasks.stopped() {
            self.stop = true;
        }
    }

    /// Ctrl-C (not the disk monitor's HALT, which also sets `cancel`).
    fn interrupted(&self) -> bool {
        self.cancelled() && !self.opts.stop_tasks.halted()
    }

    fn make_ready(&mut self, i: usize) {
        self.state[i] = State::Ready;
        self.ready.push((self.weight[i], Reverse(i)));
    }

    /// Hands the best ready tasks to free workers, and passes over those with nothing
    /// to run, until the workers are busy or nothing is ready.
    /// Makes the BB_TASKDEPDATA table the workers read, once, before the first job.
    fn make_depdata(&self) {
        self.depdata
            .get_or_init(|| crate::depdata::DepTable::new(self.graph, &self.plans, self.recipes));
    }

    fn start_ready(&mut self, jobs: &Sender<Job>) {
        while !self.stop && self.running < self.opts.threads.max(1) {
            let Some((_, Reverse(i))) = self.ready.pop() else {
                break;
            };
            match self.start(i) {
                Start::Instant | Start::Held => {}
                Start::Sent(job) => {
                    self.make_depdata();
                    self.running += 1;
                    self.opts.stop_tasks.set_running(self.running);
                    *self
                        .running_by_task
                        .entry(self.graph.tasks[i].task.clone())
                        .or_default() += 1;
                    if jobs.send(*job).is_err() {
                        self.running -= 1;
                        self.stop = true;
                    }
                }
            }
        }
    }

    /// Starts ready task `i`: passed over (up to date, noexec), held back by its
    /// `[number_threads]`, or made a job.
    fn start(&mut self, i: usize) -> Start {
        let t = &self.graph.tasks[i];
        let plan = &self.plans[i];
        // Done without running: a current stamp (BitBake's "existing" skip) or a
        // noexec task (started, then skipped; counted as attempted).
        if let Some(reason) = self.skip[i].clone() {
            self.summary.skipped += 1;
            self.skipped(i, reason);
            return Start::Instant;
        }
        // --setscene-only: no real task runs; it and what waits for it are not run.
        if self
            .setscene
            .as_ref()
            .is_some_and(|(p, _)| p.setscene_only())
        {
            self.state[i] = State::Waiting;
            return Start::Instant;
        }
        if plan.noexec {
            if !self.opts.dry_run {
                let _ = self.stamps.write(plan, &t.task);
            }
            self.send(BuildEvent::TaskStarted {
                task: self.task_ref(i),
                number: self.finished + self.running + 1,
                total: self.graph.len(),
                log: String::new(),
                noexec: true,
            });
            self.summary.ran += 1;
            self.skipped(i, SkipReason::NoExec);
            return Start::Instant;
        }
        let d = self.recipes.get(&t.fn_name);
        let limit = d.and_then(|d| {
            d.get_var_flag(&t.task, "number_threads", true)
                .ok()
                .flatten()
                .and_then(|v| v.trim().parse::<usize>().ok())
        });
        if let Some(limit) = limit
            && self.running_by_task.get(&t.task).copied().unwrap_or(0) >= limit.max(1)
        {
            self.held
                .entry(t.task.clone())
                .or_default()
                .push((self.weight[i], Reverse(i)));
            return Start::Held;
        }
        // Worked out here, on the scheduler's copy of the datastore (whose expansions
        // are memoised), and handed to the worker with the job.
        let log_paths = d.and_then(|d| crate::exec::log_paths(d, &t.task).ok());
        let log = log_paths
            .as_ref()
            .map(|(p, _)| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.send(BuildEvent::TaskStarted {
            task: self.task_ref(i),
            number: self.finished + self.running + 1,
            total: self.graph.len(),
            log,
            noexec: false,
        });
        self.state[i] = State::Running;
        if self.opts.dry_run {
            self.send(BuildEvent::TaskSucceeded {
                task: self.task_ref(i),
                usage: Usage::default(),
            });
            self.summary.ran += 1;
            self.finished += 1;
            self.release(i);
            return Start::Instant;
        }
        let Some(d) = d else {
            self.summary.ran += 1;
            self.failed(
                i,
                Usage::default(),
                String::new(),
                format!("no datastore for {}", t.fn_name),
                (Vec::new(), 1),
            );
            return Start::Instant;
        };
        let mut d = d.clone();
        d.set_var("BB_UNIHASH", &plan.unihash);
        Start::Sent(Box::new(Job {
            index: i,
            task_ref: self.task_ref(i),
            fn_name: t.fn_name.clone(),
            log_paths,
            d,
            pn: plan.pn.clone(),
            task: t.task.clone(),
            sysroot_deps: if t.task == "do_prepare_recipe_sysroot" {
                sysroot_deps(self.graph, &self.plans, i)
            } else {
                Vec::new()
            },
            taskhash: plan.taskhash.clone(),
        }))
    }

    /// Task `i` needed no worker: its `TaskSkipped` event, then what it releases.
    fn skipped(&mut self, i: usize, reason: SkipReason) {
        self.send(BuildEvent::TaskSkipped {
            task: self.task_ref(i),
            reason,
        });
        self.finished += 1;
        self.release(i);
    }

    /// A worker's answer for task `i`: its messages, then its stamp and success, or
    /// its failure (a task that succeeded during Ctrl-C counts as interrupted, and
    /// writes no stamp).
    fn task_ended(&mut self, i: usize, outcome: TaskOutcome) {
        self.running -= 1;
        self.opts.stop_tasks.set_running(self.running);
        if self.opts.stop_tasks.halted() {
            // HALT: killed; BitBake reports nothing of it (not run, no stamp).
            self.state[i] = State::Waiting;
            return;
        }
        let task = &self.graph.tasks[i].task;
        if let Some(n) = self.running_by_task.get_mut(task) {
            *n = n.saturating_sub(1);
        }
        // One slot of this task name is free: its best held-back task is ready again.
        if let Some(next) = self.held.get_mut(task).and_then(BinaryHeap::pop) {
            self.ready.push(next);
        }
        self.summary.ran += 1;
        for line in outcome.messages {
            self.send(BuildEvent::LogLine {
                task: self.task_ref(i),
                line,
            });
        }
        let usage = outcome.usage;
        match outcome.result {
            Ok(()) if self.cancelled() => {
                // Interrupted: it may have been cut short; no stamp, and it does not
                // stop its dependants from being counted as not run.
                self.finished += 1;
                self.summary.failed += 1;
                self.state[i] = State::Failed;
                self.send(BuildEvent::TaskFailed {
                    task: self.task_ref(i),
                    usage,
                    log: outcome.log,
                    message: "interrupted".to_owned(),
                    tail: Vec::new(),
                    exitcode: 1,
                });
            }
            Ok(()) => match self.stamps.write(&self.plans[i], task) {
                Ok(()) => {
                    self.finished += 1;
                    self.send(BuildEvent::TaskSucceeded {
                        task: self.task_ref(i),
                        usage,
                    });
                    self.report_unihash(i);
                    self.release(i);
                }
                Err(e) => self.failed(
                    i,
                    usage,
                    outcome.log,
                    crate::TaskError::Stamps(Box::new(e)).to_string(),
                    (Vec::new(), 1),
                ),
            },
            Err(f) => self.failed(i, usage, outcome.log, f.message, (f.tail, f.exitcode)),
        }
    }

    /// Task `i` is done: each dependant waits for one task less, and becomes ready
    /// when it waits for none.
    fn release(&mut self, i: usize) {
        self.state[i] = State::Done;
        for k in 0..self.rev[i].len() {
            let r = self.rev[i][k];
            self.waiting[r] = self.waiting[r].saturating_sub(1);
            if self.waiting[r] == 0 && self.state[r] == State::Waiting {
                self.make_ready(r);
            }
        }
    }

    /// Task `i` failed: its `TaskFailed` event; what depends on it will not run;
    /// without `-k`, nothing new starts.
    /// `(tail, exitcode)`: the log's last lines and the exit code to report.
    fn failed(
        &mut self,
        i: usize,
        usage: Usage,
        log: String,
        message: String,
        (tail, exitcode): (Vec<String>, i32),
    ) {
        self.finished += 1;
        self.summary.failed += 1;
        self.send(BuildEvent::TaskFailed {
            task: self.task_ref(i),
            usage,
            log,
            message,
            tail,
            exitcode,
        });
        self.state[i] = State::Failed;
        // Each dependant is marked once over the whole build: a task already marked
        // had its own dependants marked with it.
        let mut stack: Vec<usize> = self.rev[i].clone();
        let mut seen = HashSet::new();
        while let Some(r) = stack.pop() {
            if self.state[r] == State::NotRun || !seen.insert(r) {
                continue;
            }
            if matches!(self.state[r], State::Waiting | State::Ready) {
                self.state[r] = State::NotRun;
            }
            stack.extend(self.rev[r].iter().copied());
        }
        if !self.opts.keep_going {
            self.stop = true;
        }
    }

    /// The end: tasks never started are counted (those cut off by a failure get their
    /// `TaskSkipped`), then `BuildFinished`.
    fn finish_build(mut self) -> Summary {
        for i in 0..self.state.len() {
            let s = self.state[i];
            if matches!(s, State::Waiting | State::Ready | State::NotRun) {
                self.summary.not_run += 1;
                if s == State::NotRun {
                    self.send(BuildEvent::TaskSkipped {
                        task: self.task_ref(i),
                        reason: SkipReason::DependencyFailed,
                    });
                }
            }
        }
        // An interrupt makes the build cancelled even when the interrupted tasks (which
        // got the terminal's SIGINT too) failed first, as Toaster records a Ctrl-C'd
        // build.
        if self.interrupted() {
            self.summary.outcome = Outcome::Cancelled;
        }
        if self.summary.outcome != Outcome::Cancelled && self.summary.failed > 0 {
            self.summary.outcome = Outcome::Failed;
        }
        let s = self.summary;
        self.send(BuildEvent::BuildFinished {
            outcome: s.outcome,
            ran: s.ran,
            skipped: s.skipped,
            failed: s.failed,
            not_run: s.not_run,
        });
        s
    }
}

fn worker(
    rx: &Mutex<Receiver<Job>>,
    tx: &Sender<JobResult>,
    builtins: &dyn Builtins,
    stamps: &StampIndex,
    depdata: &std::sync::OnceLock<crate::depdata::DepTable>,
    events: &Sender<BuildEvent>,
) {
    loop {
        let job = {
            let Ok(guard) = rx.lock() else { return };
            match guard.recv() {
                Ok(j) => j,
                Err(_) => return,
            }
        };
        let live = crate::exec::LiveEvents {
            events: events.clone(),
            task: job.task_ref.clone(),
        };
        let req = crate::exec::TaskRequest {
            fn_name: &job.fn_name,
            d: &job.d,
            pn: &job.pn,
            task: &job.task,
            sysroot_deps: &job.sysroot_deps,
            taskhash: &job.taskhash,
            taskdepdata: depdata.get().map(|t| (t, job.index)),
            live: Some(&live),
        };
        let outcome = builtins.run_elsewhere(&req).unwrap_or_else(|| {
            crate::exec::run_task(&TaskRun {
                log_paths: job.log_paths.as_ref(),
                d: &job.d,
                pn: &job.pn,
                task: &job.task,
                sysroot_deps: &job.sysroot_deps,
                taskhash: &job.taskhash,
                builtins,
                stamps,
            })
        });
        if tx.send((job.index, outcome)).is_err() {
            return;
        }
    }
}

/// BitBake-style priorities: a task's weight grows with what waits for it.
fn weights(graph: &TaskGraph, rev: &[Vec<usize>], order: &[usize]) -> Vec<(usize, usize)> {
    // BitBake's calculate_task_weights: 10 for a task nothing depends on, else 1 plus
    // the weights of the tasks that depend on it.
    let mut w = vec![1usize; graph.len()];
    for &i in order.iter().rev() {
        if rev[i].is_empty() {
            w[i] = 10;
            continue;
        }
        let sum: usize = rev[i]
            .iter()
            .map(|&r| w[r])
            .fold(0usize, usize::saturating_add);
        w[i] = w[i].saturating_add(sum);
    }
    // The speed scheduler takes the heaviest buildable task; among equals, the one the
    // run queue holds last.
    w.iter()
        .enumerate()
        .map(|(i, &w)| (w, graph.rank.get(i).copied().unwrap_or(0)))
        .collect()
}

/// The PNs whose `do_populate_sysroot` task `i` depends on, directly or not
/// (excluding its own recipe), sorted: BitBake's BB_TASKDEPDATA, reduced to what the
/// sysroot task reads.
fn sysroot_deps(graph: &TaskGraph, plans: &[TaskPlan], i: usize) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut stack: Vec<usize> = graph.deps[i].clone();
    let mut pns = std::collections::BTreeSet::new();
    while let Some(j) = stack.pop() {
        if !seen.insert(j) {
            continue;
        }
        if graph.tasks[j].task == "do_populate_sysroot"
            && graph.tasks[j].fn_name != graph.tasks[i].fn_name
        {
            pns.insert(plans[j].pn.clone());
        }
        stack.extend(graph.deps[j].iter().copied());
    }
    pns.into_iter().collect()
}
