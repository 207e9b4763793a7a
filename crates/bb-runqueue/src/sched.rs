//! The scheduler: tasks in dependency order on BB_NUMBER_THREADS workers, up-to-date
//! and noexec tasks passed over, `[number_threads]` limits honoured, failures
//! stopping the build (or, with `-k`, only what depends on them), Ctrl-C waiting for
//! the running tasks. Every step is published as a [`BuildEvent`].

use std::collections::{BinaryHeap, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use bb_data::DataStore;
use bb_taskgraph::TaskGraph;

use crate::exec::{Builtins, TaskFailure};
use crate::hashes::TaskPlan;
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
    /// The command-line targets, for the events.
    pub targets: Vec<String>,
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

struct Job {
    index: usize,
    d: DataStore,
    pn: String,
    task: String,
    sysroot_deps: Vec<String>,
    taskhash: String,
}

type JobResult = (usize, Result<Usage, TaskFailure>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Ready,
    Running,
    Done,
    Failed,
    NotRun,
}

/// Runs the graph. `recipes` holds each recipe target's finalized datastore; `plans`
/// the tasks' hashes and stamps (same order as the graph).
pub fn run_build(
    graph: &TaskGraph,
    plans: &[TaskPlan],
    recipes: &HashMap<String, DataStore>,
    builtins: &(dyn Builtins + Send + Sync),
    opts: &RunOptions,
    events: &Sender<BuildEvent>,
) -> Summary {
    let total = graph.len();
    let _ = events.send(BuildEvent::BuildStarted {
        targets: opts.targets.clone(),
        total,
    });
    let rev = graph.reverse_deps();
    let weight = weights(graph, &rev);
    let mut state = vec![State::Waiting; total];
    let mut waiting: Vec<usize> = graph.deps.iter().map(Vec::len).collect();
    let mut ready: BinaryHeap<((usize, usize), std::cmp::Reverse<usize>)> = BinaryHeap::new();
    let current = crate::hashes::up_to_date(graph, plans);
    let task_ref = |i: usize| TaskRef {
        index: i,
        pn: plans[i].pn.clone(),
        fn_name: graph.tasks[i].fn_name.clone(),
        task: graph.tasks[i].task.clone(),
    };
    let mut summary = Summary {
        outcome: Outcome::Succeeded,
        ran: 0,
        skipped: 0,
        failed: 0,
        not_run: 0,
    };
    let mut finished = 0usize;
    // Tasks whose stamp is current are skipped when the scheduler reaches them, as
    // BitBake's run queue skips them ("existing"): in priority order, when a worker
    // could take them, so the order of the skips (and Toaster's order numbers) follows
    // the build.
    for i in 0..total {
        if waiting[i] == 0 {
            state[i] = State::Ready;
            ready.push((weight[i], std::cmp::Reverse(i)));
        }
    }
    let mut stop = false;
    let mut running = 0usize;
    let mut running_by_task: HashMap<String, usize> = HashMap::new();

    let (job_tx, job_rx) = channel::<Job>();
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (res_tx, res_rx) = channel::<JobResult>();
    std::thread::scope(|scope| {
        for _ in 0..opts.threads.max(1) {
            let rx = Arc::clone(&job_rx);
            let tx = res_tx.clone();
            scope.spawn(move || worker(&rx, &tx, builtins));
        }
        drop(res_tx);
        loop {
            if opts.cancel.load(Ordering::SeqCst) && !stop {
                stop = true;
                summary.outcome = Outcome::Cancelled;
            }
            // Start what can start.
            let mut deferred = Vec::new();
            while !stop && running < opts.threads.max(1) {
                let Some((w, std::cmp::Reverse(i))) = ready.pop() else {
                    break;
                };
                let t = &graph.tasks[i];
                let plan = &plans[i];
                // Done without running: a current stamp (BitBake's "existing" skip) or
                // a noexec task (started, then skipped; counted as attempted).
                let instant = if current[i] {
                    Some(SkipReason::UpToDate)
                } else if plan.noexec {
                    Some(SkipReason::NoExec)
                } else {
                    None
                };
                if let Some(reason) = instant {
                    if reason == SkipReason::NoExec {
                        if !opts.dry_run {
                            let _ = crate::hashes::write_stamp(plan, &t.task);
                        }
                        let _ = events.send(BuildEvent::TaskStarted {
                            task: task_ref(i),
                            number: finished + running + 1,
                            total,
                            log: String::new(),
                            noexec: true,
                        });
                        summary.ran += 1;
                    } else {
                        summary.skipped += 1;
                    }
                    let _ = events.send(BuildEvent::TaskSkipped {
                        task: task_ref(i),
                        reason,
                    });
                    finished += 1;
                    finish(
                        i,
                        &mut state,
                        &mut waiting,
                        &rev,
                        &mut ready,
                        &weight,
                        State::Done,
                    );
                    continue;
                }
                let d = recipes.get(&t.fn_name);
                let limit = d.and_then(|d| {
                    d.get_var_flag(&t.task, "number_threads", true)
                        .ok()
                        .flatten()
                        .and_then(|v| v.trim().parse::<usize>().ok())
                });
                if let Some(limit) = limit
                    && running_by_task.get(&t.task).copied().unwrap_or(0) >= limit.max(1)
                {
                    deferred.push((w, std::cmp::Reverse(i)));
                    continue;
                }
                let number = finished + running + 1;
                let log = d
                    .and_then(|d| crate::exec::log_paths(d, &t.task).ok())
                    .map(|(p, _)| p.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let _ = events.send(BuildEvent::TaskStarted {
                    task: task_ref(i),
                    number,
                    total,
                    log,
                    noexec: false,
                });
                state[i] = State::Running;
                if opts.dry_run {
                    let _ = events.send(BuildEvent::TaskSucceeded {
                        task: task_ref(i),
                        usage: Usage::default(),
                    });
                    summary.ran += 1;
                    finished += 1;
                    finish(
                        i,
                        &mut state,
                        &mut waiting,
                        &rev,
                        &mut ready,
                        &weight,
                        State::Done,
                    );
                    continue;
                }
                let Some(d) = d else {
                    let _ = events.send(BuildEvent::TaskFailed {
                        task: task_ref(i),
                        usage: Usage::default(),
                        log: String::new(),
                        message: format!("no datastore for {}", t.fn_name),
                        tail: Vec::new(),
                    });
                    summary.failed += 1;
                    summary.ran += 1;
                    finished += 1;
                    fail(i, &mut state, &rev, opts.keep_going, &mut stop);
                    continue;
                };
                running += 1;
                *running_by_task.entry(t.task.clone()).or_default() += 1;
                let job = Job {
                    index: i,
                    d: d.clone(),
                    pn: plans[i].pn.clone(),
                    task: t.task.clone(),
                    sysroot_deps: if t.task == "do_prepare_recipe_sysroot" {
                        sysroot_deps(graph, plans, i)
                    } else {
                        Vec::new()
                    },
                    taskhash: plans[i].taskhash.clone(),
                };
                if job_tx.send(job).is_err() {
                    running -= 1;
                    stop = true;
                }
            }
            ready.extend(deferred);
            if running == 0 {
                break;
            }
            // Wait for a task to end (checking for Ctrl-C now and then).
            let msg = match res_rx.recv_timeout(std::time::Duration::from_millis(200)) {
                Ok(m) => m,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            };
            let (i, result) = msg;
            running -= 1;
            finished += 1;
            if let Some(n) = running_by_task.get_mut(&graph.tasks[i].task) {
                *n = n.saturating_sub(1);
            }
            summary.ran += 1;
            let log = recipes
                .get(&graph.tasks[i].fn_name)
                .and_then(|d| crate::exec::log_paths(d, &graph.tasks[i].task).ok())
                .map(|(p, _)| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            // The messages the task wrote with bbnote/bbwarn/bberror (not the failure
            // itself, which TaskFailed carries with the log's last lines).
            let failure = result
                .as_ref()
                .err()
                .map(|f| format!("ERROR: {}", f.message));
            for line in crate::exec::log_messages(Path::new(&log))
                .into_iter()
                .filter(|l| Some(l) != failure.as_ref())
            {
                let _ = events.send(BuildEvent::LogLine {
                    task: task_ref(i),
                    line,
                });
            }
            let cancelled = opts.cancel.load(Ordering::SeqCst);
            match result {
                Ok(usage) if !cancelled => {
                    if let Err(e) = crate::hashes::write_stamp(&plans[i], &graph.tasks[i].task) {
                        let _ = events.send(BuildEvent::TaskFailed {
                            task: task_ref(i),
                            usage,
                            log,
                            message: format!("cannot write the stamp: {e}"),
                            tail: Vec::new(),
                        });
                        summary.failed += 1;
                        fail(i, &mut state, &rev, opts.keep_going, &mut stop);
                        continue;
                    }
                    let _ = events.send(BuildEvent::TaskSucceeded {
                        task: task_ref(i),
                        usage,
                    });
                    finish(
                        i,
                        &mut state,
                        &mut waiting,
                        &rev,
                        &mut ready,
                        &weight,
                        State::Done,
                    );
                }
                Ok(usage) => {
                    // Interrupted: it may have been cut short; no stamp.
                    let _ = events.send(BuildEvent::TaskFailed {
                        task: task_ref(i),
                        usage,
                        log,
                        message: "interrupted".to_owned(),
                        tail: Vec::new(),
                    });
                    summary.failed += 1;
                    state[i] = State::Failed;
                }
                Err(f) => {
                    let _ = events.send(BuildEvent::TaskFailed {
                        task: task_ref(i),
                        usage: Usage::default(),
                        log,
                        message: f.message,
                        tail: f.tail,
                    });
                    summary.failed += 1;
                    fail(i, &mut state, &rev, opts.keep_going, &mut stop);
                }
            }
        }
        drop(job_tx);
    });
    for (i, s) in state.iter().enumerate() {
        if matches!(s, State::Waiting | State::Ready | State::NotRun) {
            summary.not_run += 1;
            if *s == State::NotRun {
                let _ = events.send(BuildEvent::TaskSkipped {
                    task: task_ref(i),
                    reason: SkipReason::DependencyFailed,
                });
            }
        }
    }
    // An interrupt makes the build cancelled even when the interrupted tasks (which got
    // the terminal's SIGINT too) failed first, as Toaster records a Ctrl-C'd build.
    if opts.cancel.load(Ordering::SeqCst) {
        summary.outcome = Outcome::Cancelled;
    }
    if summary.outcome != Outcome::Cancelled && summary.failed > 0 {
        summary.outcome = Outcome::Failed;
    }
    let _ = events.send(BuildEvent::BuildFinished {
        outcome: summary.outcome,
        ran: summary.ran,
        skipped: summary.skipped,
        failed: summary.failed,
        not_run: summary.not_run,
    });
    summary
}

fn worker(rx: &Mutex<Receiver<Job>>, tx: &Sender<JobResult>, builtins: &dyn Builtins) {
    loop {
        let job = {
            let Ok(guard) = rx.lock() else { return };
            match guard.recv() {
                Ok(j) => j,
                Err(_) => return,
            }
        };
        let r = crate::exec::run_task(
            &job.d,
            &job.pn,
            &job.task,
            &job.sysroot_deps,
            builtins,
            &job.taskhash,
        );
        if tx.send((job.index, r)).is_err() {
            return;
        }
    }
}

fn finish(
    i: usize,
    state: &mut [State],
    waiting: &mut [usize],
    rev: &[Vec<usize>],
    ready: &mut BinaryHeap<((usize, usize), std::cmp::Reverse<usize>)>,
    weight: &[(usize, usize)],
    to: State,
) {
    state[i] = to;
    for &r in &rev[i] {
        waiting[r] = waiting[r].saturating_sub(1);
        if waiting[r] == 0 && state[r] == State::Waiting {
            state[r] = State::Ready;
            ready.push((weight[r], std::cmp::Reverse(r)));
        }
    }
}

/// A failed task: what depends on it will not run; without `-k`, nothing new starts.
fn fail(i: usize, state: &mut [State], rev: &[Vec<usize>], keep_going: bool, stop: &mut bool) {
    state[i] = State::Failed;
    let mut stack: Vec<usize> = rev[i].clone();
    let mut seen = HashSet::new();
    while let Some(r) = stack.pop() {
        if !seen.insert(r) {
            continue;
        }
        if matches!(state[r], State::Waiting | State::Ready) {
            state[r] = State::NotRun;
        }
        stack.extend(rev[r].iter().copied());
    }
    if !keep_going {
        *stop = true;
    }
}

/// BitBake-style priorities: a task's weight grows with what waits for it.
fn weights(graph: &TaskGraph, rev: &[Vec<usize>]) -> Vec<(usize, usize)> {
    let order = crate::hashes::topo_order(graph);
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
