//! Task worker processes, as BitBake's `bitbake-worker`: tasks whose functions must not
//! run inside bake's multi-threaded process (Python task functions, `[fakeroot]` tasks)
//! are sent to a single-threaded worker process (`bake --worker`). The worker opens the
//! build directory once, and for each task it is sent gets the finalized recipe (kept
//! between tasks: `taskcache.rs`), forks a child that runs the task and reports how it
//! ended. With embedded Python, the child runs the whole task in it (`pytask.rs`:
//! prefuncs, task and postfuncs on one datastore, BitBake's `exec_func`); without, the
//! run queue's executor with the native functions. The datastore is never serialised:
//! the task's name, hashes, BB_TASKDEPDATA, its layer and the names of what its sysroot
//! needs travel.
//!
//! [`TaskRunner`] is the run queue's [`Builtins`] for a build: native task functions run
//! in the run queue's threads as before; a task that needs a worker goes to one of a pool
//! of workers (one per run-queue thread at most, started on first use), and a
//! `[fakeroot]` task to a second pool started through the recipe's FAKEROOTCMD with
//! FAKEROOTENV, as BitBake starts its fakeroot worker.
//!
//! The protocol is one JSON line per message over the worker's stdin and stdout:
//! [`Hello`] once, then a [`Job`] for each task, answered by [`Answer`] lines: the
//! task's messages and progress as they happen (BitBake's worker event pipe), then
//! [`Answer::Done`] with its [`Reply`]. The task child writes the same lines to a pipe
//! the worker reads; the worker passes the live ones on as they come.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};
use std::sync::{Mutex, OnceLock};

use bb_data::DataStore;
use bb_events::Usage;
use bb_runqueue::builtin::Native;
use bb_runqueue::{
    Builtins, LiveEvents, TaskContext, TaskError, TaskFailure, TaskOutcome, TaskRequest,
};
use serde::{Deserialize, Serialize};

/// How a worker opens the build directory: the main process's options.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hello {
    /// The working directory bake was started in.
    pub cwd: PathBuf,
    /// Its environment.
    pub env: Vec<(String, String)>,
    /// Its command line (BB_CMDLINE).
    pub cmdline: Vec<String>,
    /// What the build set before it started (BUILDNAME expanded, DATE, TIME), set in
    /// each task's datastore as bitbake-worker sets them.
    #[serde(default)]
    pub build_vars: Vec<(String, String)>,
}

/// One task for a worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// The recipe target.
    pub fn_name: String,
    /// The recipe's PN.
    pub pn: String,
    /// The task.
    pub task: String,
    /// The task's hash.
    pub taskhash: String,
    /// What the recipe's sysroot needs (`do_prepare_recipe_sysroot`).
    pub sysroot_deps: Vec<String>,
    /// Whether the task runs under fakeroot (FAKEROOTENV applies, else FAKEROOTNOENV).
    pub fakeroot: bool,
    /// BB_TASKDEPDATA as JSON (see `bb_data::python::PyTask::taskdepdata`).
    #[serde(default)]
    pub taskdepdata: String,
    /// The task's unihash (BB_UNIHASH; empty: its task hash).
    #[serde(default)]
    pub unihash: String,
    /// The run-time part of the task's sig data as JSON (`bb_runqueue::depdata::SigRuntime`;
    /// empty: none), for the `.siginfo` that `bb.siggen.dump_this_task` writes.
    #[serde(default)]
    pub sig_runtime: String,
}

/// How a task a worker ran ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reply {
    /// What it used (the forked child and everything it started).
    pub usage: Usage,
    /// Its log file.
    pub log: String,
    /// The messages of its log.
    pub messages: Vec<String>,
    /// `None` on success, else why it failed and the last lines of its log.
    pub failure: Option<(String, Vec<String>)>,
    /// For a failure: the exit code the run queue reports (`None`: 1, a task that
    /// answered its failure; else what its process ended with, 128 + the signal's
    /// number when one killed it, as BitBake's worker reports it).
    #[serde(default)]
    pub exitcode: Option<i32>,
}

/// One line of a worker's answer to a [`Job`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Answer {
    /// A message of the task as its log has it (`WARNING: text`; `bb.plain`'s text
    /// alone), sent when the task logs it.
    Log(String),
    /// The task's progress (`bb.build.TaskProgress`: percent, negative when unknown,
    /// and an optional rate text).
    Progress(f64, Option<String>),
    /// The task ended: the last line of the answer.
    Done(Reply),
}

/// The command that starts a worker: the program and its arguments (for `bake`, its
/// own executable and `--worker`). Without it, tasks that need a worker fail saying so.
static COMMAND: OnceLock<Vec<String>> = OnceLock::new();

/// Tells sessions how to start a worker process that runs [`worker_main`].
pub fn set_worker_command(cmd: Vec<String>) {
    let _ = COMMAND.set(cmd);
}

/// A running worker process.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Worker {
    /// Starts a worker (under `wrapper`, FAKEROOTCMD, when given) and sends it `hello`.
    fn start(
        hello: &Hello,
        wrapper: &[String],
        env: &[(String, String)],
    ) -> Result<Worker, String> {
        let cmd = COMMAND
            .get()
            .ok_or("no worker command is set (bb_session::worker::set_worker_command)")?;
        let argv: Vec<&String> = wrapper.iter().chain(cmd.iter()).collect();
        let (prog, args) = argv.split_first().ok_or("the worker command is empty")?;
        let mut child = Command::new(prog)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start the task worker `{prog}`: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("the task worker has no pipes".to_owned());
        };
        let mut w = Worker {
            child,
            stdin,
            stdout: BufReader::new(stdout),
        };
        w.send(hello)?;
        Ok(w)
    }

    fn send<T: Serialize>(&mut self, msg: &T) -> Result<(), String> {
        let line = serde_json::to_string(msg).map_err(|e| e.to_string())?;
        writeln!(self.stdin, "{line}")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("the task worker went away: {e}"))
    }

    /// Sends `job` and waits for its reply; the task's messages and progress go to
    /// `live` as they come.
    fn run(&mut self, job: &Job, live: Option<&LiveEvents>) -> Result<Reply, String> {
        self.send(job)?;
        let mut line = String::new();
        loop {
            line.clear();
            let answer: Answer = match self.stdout.read_line(&mut line) {
                Ok(0) => return Err("the task worker ended without answering".to_owned()),
                Ok(_) => serde_json::from_str(&line)
                    .map_err(|e| format!("the task worker's answer is not understood: {e}"))?,
                Err(e) => return Err(format!("the task worker went away: {e}")),
            };
            match answer {
                Answer::Done(reply) => return Ok(reply),
                Answer::Log(text) => {
                    if let Some(l) = live {
                        l.log(text);
                    }
                }
                Answer::Progress(p, rate) => {
                    if let Some(l) = live {
                        l.progress(p, rate);
                    }
                }
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing its stdin ends the worker's loop.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Idle workers of one kind (plain, or one per fakeroot command and environment).
#[derive(Default)]
struct Pool {
    idle: Mutex<HashMap<Vec<String>, Vec<Worker>>>,
    /// The process ids of the workers running a task now.
    busy: Mutex<std::collections::HashSet<u32>>,
}

impl Pool {
    fn run(
        &self,
        hello: &Hello,
        key: &[String],
        env: &[(String, String)],
        job: &Job,
        live: Option<&LiveEvents>,
    ) -> Result<Reply, String> {
        let taken = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get_mut(key)
            .and_then(Vec::pop);
        let mut w = match taken {
            Some(w) => w,
            None => Worker::start(hello, key, env)?,
        };
        let pid = w.child.id();
        self.busy_set().insert(pid);
        let reply = w.run(job, live);
        self.busy_set().remove(&pid);
        let reply = reply?;
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(key.to_vec())
            .or_default()
            .push(w);
        Ok(reply)
    }

    fn busy_set(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<u32>> {
        self.busy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Ctrl-C for the tasks under way: SIGINT to each busy worker, which ends its task
    /// child's session (see [`worker_main`]), as the terminal's Ctrl-C does.
    #[expect(unsafe_code, reason = "kill(2) of this process's own worker children")]
    fn interrupt(&self) {
        for &pid in self.busy_set().iter() {
            if let Ok(pid) = libc::pid_t::try_from(pid) {
                // SAFETY: signals a worker this process started and has not reaped (it
                // is removed from `busy` before it can be dropped).
                unsafe {
                    libc::kill(pid, libc::SIGINT);
                }
            }
        }
    }
}

/// Until `pool` is dropped: once `cancel` is set (bake's Ctrl-C or SIGTERM), interrupts
/// the tasks running in workers and the shells bake runs itself, so that a SIGINT sent
/// to bake alone stops them as the terminal's Ctrl-C (sent to the whole process group)
/// does.
fn watch_cancel(
    pool: std::sync::Weak<Pool>,
    cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    let _ = std::thread::Builder::new()
        .name("bake-cancel".to_owned())
        .spawn(move || {
            while let Some(pool) = pool.upgrade() {
                if cancel.load(std::sync::atomic::Ordering::SeqCst) {
                    pool.interrupt();
                    bb_runqueue::exec::interrupt_shells();
                }
                drop(pool);
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        });
}

/// The events BitBake's worker fires around every task.
const TASK_EVENTS: [&str; 3] = [
    "bb.build.TaskStarted",
    "bb.build.TaskSucceeded",
    "bb.build.TaskFailed",
];

/// The run queue's [`Builtins`] for a build: native task functions, and the tasks that
/// need a worker process sent to one.
pub struct TaskRunner {
    natives: Native,
    hello: Option<Hello>,
    pool: std::sync::Arc<Pool>,
    /// Whether the configuration has handlers of the task events.
    task_event_handlers: bool,
}

impl TaskRunner {
    /// Native functions only: every task runs in the run queue's threads (a Python
    /// function without a native implementation fails saying it needs Python).
    pub fn local(natives: Native) -> TaskRunner {
        TaskRunner {
            natives,
            hello: None,
            pool: std::sync::Arc::default(),
            task_event_handlers: false,
        }
    }

    /// Native functions in the run queue's threads, and workers (opened with `hello`)
    /// for the tasks that need one. Once `cancel` is set, the tasks under way are
    /// interrupted (the run queue's [`RunOptions::cancel`](bb_runqueue::RunOptions)).
    pub fn with_workers(
        natives: Native,
        hello: Hello,
        cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> TaskRunner {
        let pool = std::sync::Arc::<Pool>::default();
        watch_cancel(std::sync::Arc::downgrade(&pool), cancel);
        TaskRunner {
            natives,
            hello: Some(hello),
            pool,
            task_event_handlers: false,
        }
    }

    /// Sends every task to a worker when `config` (the base configuration) has handlers
    /// of `bb.build.TaskStarted`, `TaskSucceeded` or `TaskFailed`, which BitBake's worker
    /// fires for every task (oe-core: buildstats).
    #[must_use]
    pub fn with_task_events_of(mut self, config: &DataStore) -> TaskRunner {
        self.task_event_handlers =
            bb_data::python::event_handlers(config)
                .iter()
                .any(|(_, _, mask)| {
                    mask.as_ref()
                        .is_none_or(|m| m.iter().any(|c| TASK_EVENTS.contains(&c.as_str())))
                });
        self
    }

    /// Whether `func` is a Python function with no native implementation (bake's
    /// native functions only stand for its own default layer's, see
    /// `pytask::natives_apply`).
    fn foreign_python(&self, d: &DataStore, func: &str) -> bool {
        d.get_var_flag(func, "python", true)
            .ok()
            .flatten()
            .is_some()
            && !(self.natives.has(func) && crate::pytask::natives_apply(d))
    }

    /// Why `task` must run in a worker, if it must: a Python function in its chain
    /// that bake has no native implementation of, its `[fakeroot]` flag, or, with
    /// Python, its `[progress]` flag or handlers of the configuration listening to
    /// `bb.build.TaskStarted`, `TaskSucceeded` or `TaskFailed` (BitBake's worker fires
    /// them for every task; only the worker's child runs them).
    fn needs_worker(&self, d: &DataStore, task: &str) -> bool {
        let python = bb_data::python::python_host().is_some();
        if self.task_event_handlers && python {
            return true;
        }
        // `[progress]`: its handler (bb.progress, or a class of the metadata) reads the
        // task's output in Python, as BitBake's worker does.
        if python && flag_set(d, task, "progress") {
            return true;
        }
        if flag_set(d, task, "fakeroot") {
            return true;
        }
        let list = |flag: &str| -> Vec<String> {
            d.get_var_flag(task, flag, true)
                .ok()
                .flatten()
                .map(|v| v.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let mut funcs = list("prefuncs");
        funcs.push(task.to_owned());
        funcs.extend(list("postfuncs"));
        funcs.iter().any(|f| self.foreign_python(d, f))
    }
}

impl Builtins for TaskRunner {
    fn run(&self, ctx: &mut TaskContext<'_>) -> Option<Result<(), TaskError>> {
        self.natives.run(ctx)
    }

    fn run_elsewhere(&self, req: &TaskRequest<'_>) -> Option<TaskOutcome> {
        let hello = self.hello.as_ref()?;
        // A library caller that set no worker command runs every task here.
        if COMMAND.get().is_none() || !self.needs_worker(req.d, req.task) {
            return None;
        }
        let job = Job {
            fn_name: req.fn_name.to_owned(),
            pn: req.pn.to_owned(),
            task: req.task.to_owned(),
            taskhash: req.taskhash.to_owned(),
            sysroot_deps: req.sysroot_deps.to_vec(),
            fakeroot: false,
            taskdepdata: req
                .taskdepdata
                .map(|(table, i)| taskdepdata_json(table, i))
                .unwrap_or_default(),
            sig_runtime: req
                .taskdepdata
                .and_then(|(table, i)| table.sig_runtime(i))
                .and_then(|r| serde_json::to_string(&r).ok())
                .unwrap_or_default(),
            unihash: req
                .d
                .get_var("BB_UNIHASH")
                .ok()
                .flatten()
                .unwrap_or_default(),
        };
        let var = |v: &str| req.d.get_var(v).ok().flatten().unwrap_or_default();
        let fakeroot = flag_set(req.d, req.task, "fakeroot");
        // BitBake's fakeroot worker: started through FAKEROOTCMD with FAKEROOTBASEENV
        // in its environment; each task then gets FAKEROOTENV (see `run_job`).
        let fakeroot = fakeroot && !var("FAKEROOTCMD").is_empty();
        let mut job = job;
        job.fakeroot = fakeroot;
        let (key, env) = if fakeroot {
            let key: Vec<String> = var("FAKEROOTCMD")
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            (key, assignments(&var("FAKEROOTBASEENV")))
        } else {
            (Vec::new(), Vec::new())
        };
        let start = std::time::Instant::now();
        Some(match self.pool.run(hello, &key, &env, &job, req.live) {
            Ok(r) => TaskOutcome {
                usage: r.usage,
                log: r.log,
                messages: r.messages,
                result: match r.failure {
                    None => Ok(()),
                    Some((message, tail)) => Err(TaskFailure {
                        message,
                        tail,
                        exitcode: r.exitcode.unwrap_or(1),
                    }),
                },
            },
            Err(message) => TaskOutcome {
                usage: Usage {
                    elapsed: start.elapsed().as_secs_f64(),
                    ..Usage::default()
                },
                log: String::new(),
                messages: Vec::new(),
                result: Err(TaskFailure {
                    message,
                    tail: Vec::new(),
                    exitcode: 1,
                }),
            },
        })
    }
}

/// BB_TASKDEPDATA of task `i` as the worker's JSON: a list of `[tid, pn, taskname,
/// fn, deps, provides, taskhash, unihash, hashfn, taskhash_deps]`.
/// A setscene job's `i` is past the table's tasks (see `DepTable::setscene_closure`).
fn taskdepdata_json(table: &bb_runqueue::depdata::DepTable, i: usize) -> String {
    let entries: Vec<bb_runqueue::depdata::DepEntry> = match i.checked_sub(table.len()) {
        Some(k) => table.setscene_closure(k),
        None => table.closure(i).into_iter().cloned().collect(),
    };
    let list: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            serde_json::json!([
                e.tid, e.pn, e.taskname, e.fn_name, e.deps, e.provides, e.taskhash, e.unihash,
                e.hashfn, null
            ])
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// Whether `var`'s flag `flag` is set to something other than empty or `0`.
fn flag_set(d: &DataStore, var: &str, flag: &str) -> bool {
    d.get_var_flag(var, flag, true)
        .ok()
        .flatten()
        .is_some_and(|v| !v.is_empty() && v != "0")
}

/// `K=V K2=V2` as pairs (words without `=` are ignored, as BitBake's split would fail
/// on them).
fn assignments(text: &str) -> Vec<(String, String)> {
    text.split_whitespace()
        .filter_map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        })
        .collect()
}

/// Where the running task's log goes (set for the whole task in a task child).
static TASK_LOG: Mutex<Option<std::fs::File>> = Mutex::new(None);

pub(crate) fn set_task_log(f: Option<std::fs::File>) {
    *TASK_LOG
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = f;
}

/// A log message of metadata Python run by a task (`bb.note`, `bb.warn`, ...): written
/// to the task's log as BitBake writes it (`NOTE: ...`), where the run queue picks up
/// warnings and errors for the console. The worker's binary makes this its Python
/// logger. Outside a task, the message goes to stderr.
pub fn task_log(level: &str, msg: &str) {
    let mut guard = TASK_LOG
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match guard.as_mut() {
        // `bb.plain`: the text alone, as BitBake's log has it.
        Some(f) if level == "PLAIN" => {
            let _ = writeln!(f, "{msg}");
            send_live(&Answer::Log(msg.to_owned()));
        }
        Some(f) => {
            let _ = writeln!(f, "{level}: {msg}");
            // Sent on as it happens (debug messages stay in the log, as BitBake's
            // console does not show them).
            if level != "DEBUG" {
                send_live(&Answer::Log(format!("{level}: {msg}")));
            }
        }
        // Outside a task (the worker parsing a recipe), debug messages are not shown,
        // as bake's console does not show them.
        None if level == "DEBUG" => {}
        None if level == "PLAIN" => report(msg),
        None => report(&format!("{level}: {msg}")),
    }
}

/// In a task child: the pipe to the worker, which passes what the task sends on to
/// bake as it comes (BitBake's worker event pipe).
static LIVE: Mutex<Option<std::io::PipeWriter>> = Mutex::new(None);

/// Sends `answer` to the worker from a task child (one line on its pipe); false
/// outside a task child or when the worker is gone.
pub(crate) fn send_live(answer: &Answer) -> bool {
    let mut guard = LIVE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(w) = guard.as_mut() else {
        return false;
    };
    let Ok(mut text) = serde_json::to_string(answer) else {
        return false;
    };
    text.push('\n');
    w.write_all(text.as_bytes()).is_ok()
}

/// Whether this process is a task child that sends its messages as they come.
pub(crate) fn live_connected() -> bool {
    LIVE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .is_some()
}

/// Called around each fork of a task child: before it, then in the parent, then in
/// the child (the binary sets them to keep its embedded interpreter consistent,
/// `bb_python::before_fork` and the after-fork calls).
static FORK_HOOKS: OnceLock<[fn(); 3]> = OnceLock::new();

/// Sets what the worker calls before a fork, after it in the parent, and in the child.
pub fn set_fork_hooks(before: fn(), parent: fn(), child: fn()) {
    let _ = FORK_HOOKS.set([before, parent, child]);
}

/// `bake --worker`: reads a [`Hello`] from stdin, opens the build directory, then runs
/// each [`Job`] it reads in a forked child and answers a [`Reply`] on stdout, until
/// stdin closes. Single-threaded apart from what parsing starts; nothing but replies is
/// written to stdout.
pub fn worker_main() -> ExitCode {
    // Ctrl-C (from the terminal, or from bake when it is interrupted) ends the task
    // child's session; the worker stays to report how the task ended.
    stop_task_on_interrupt();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let hello: Hello = match lines.next().map(|l| l.map(|l| serde_json::from_str(&l))) {
        Some(Ok(Ok(h))) => h,
        _ => {
            report("bake --worker: expected a hello line on stdin");
            return ExitCode::FAILURE;
        }
    };
    let opts = bb_cooker::CookerOptions {
        cwd: hello.cwd.clone(),
        env: hello.env.clone(),
        cmdline: hello.cmdline.clone(),
        host_uname: bb_cooker::CookerOptions::from_process()
            .ok()
            .and_then(|o| o.host_uname),
    };
    let session = match crate::Session::with_options(&opts) {
        Ok(s) => s,
        Err(e) => {
            report(&format!("bake --worker: {e}"));
            return ExitCode::FAILURE;
        }
    };
    // The interpreter starts here, once, rather than in every task child (its start,
    // about 60 ms, would be each task's).
    // So do the imports every Python task makes (`bb.siggen` for `bb.parse.siggen`):
    // compiled in a task child, it was 3 ms of each task.
    if let Some(host) = bb_data::python::python_host() {
        let _ = host.check_syntax("def _bake_warm_up(d):\n    pass\n", "<warm-up>", 1);
        let _ = host.eval_expr(
            &session.cooker.config,
            "__import__('bb.siggen') and ''",
            None,
        );
    }
    // Without Python, a task child runs the task with the native functions only.
    let builtins = crate::natives::natives();
    crate::pytask::register(crate::natives::natives());
    let mut out = std::io::stdout().lock();
    for line in lines {
        let Ok(line) = line else { break };
        let reply = match serde_json::from_str::<Job>(&line) {
            Ok(job) => run_job(&session, &builtins, &job, &hello.build_vars),
            Err(e) => failure(format!("bake --worker: a task it cannot read: {e}")),
        };
        let Ok(text) = serde_json::to_string(&Answer::Done(reply)) else {
            break;
        };
        if writeln!(out, "{text}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
    ExitCode::SUCCESS
}

fn failure(message: String) -> Reply {
    Reply {
        usage: Usage::default(),
        log: String::new(),
        messages: Vec::new(),
        failure: Some((message, Vec::new())),
        exitcode: None,
    }
}

#[expect(
    clippy::print_stderr,
    reason = "the worker's own failures go to bake's stderr"
)]
fn report(msg: &str) {
    eprintln!("{msg}");
}

/// Gets the job's finalized recipe (parsed again only when a file it read changed, see
/// `taskcache.rs`), then runs the task in a forked child.
fn run_job(
    session: &crate::Session,
    builtins: &Native,
    job: &Job,
    build_vars: &[(String, String)],
) -> Reply {
    let start = std::time::Instant::now();
    let mut d = match session.cached_task_data(&job.fn_name) {
        Ok(d) => d,
        Err(e) => return failure(format!("{}: {e}", job.fn_name)),
    };
    // As BitBake's worker is given it: the layer of the recipe's file, also for a
    // variant (which, parsed alone by its virtual name, matches no collection).
    let (_, file) = bb_util::split_virtual(&job.fn_name);
    if let (_, Some(c)) = session.cooker.collections.priority_of(file) {
        d.set_var("FILE_LAYERNAME", &c.name);
    }
    // The recipe as its signature was computed, before the worker's own variables are
    // added, for the `.siginfo` the task may write (BitBake's worker dumps the data its
    // parse computed).
    crate::sstate::set_sig_base(&d);
    // As bitbake-worker: a fakeroot task gets FAKEROOTENV (and its FAKEROOTDIRS
    // exist), any other FAKEROOTNOENV, as exported variables of the task.
    let var = |d: &DataStore, v: &str| d.get_var(v).ok().flatten().unwrap_or_default();
    let env = if job.fakeroot {
        for dir in var(&d, "FAKEROOTDIRS").split_whitespace() {
            if let Err(e) = fs_err::create_dir_all(dir) {
                return failure(e.to_string());
            }
        }
        assignments(&var(&d, "FAKEROOTENV"))
    } else {
        assignments(&var(&d, "FAKEROOTNOENV"))
    };
    for (k, v) in env {
        d.set_var(&k, &v);
        d.set_var_flag(&k, "export", "1");
    }
    if !job.unihash.is_empty() {
        d.set_var("BB_UNIHASH", &job.unihash);
    }
    if !job.sig_runtime.is_empty() {
        d.set_var(crate::sstate::SIG_RUNTIME_VAR, &job.sig_runtime);
    }
    for (k, v) in build_vars {
        d.set_var(k, v);
    }
    // Events fired in the task reach the configuration's handlers only, as BitBake's
    // `__BBHANDLERS_MC` filter has it (a recipe's own `addhandler` is not called).
    let names: Vec<String> = bb_data::python::event_handlers(&session.cooker.config)
        .into_iter()
        .map(|(name, _, _)| name)
        .collect();
    d.set_var("__BAKE_TASK_HANDLERS", &names.join(" "));
    let req = TaskRequest {
        fn_name: &job.fn_name,
        d: &d,
        pn: &job.pn,
        task: &job.task,
        sysroot_deps: &job.sysroot_deps,
        taskhash: &job.taskhash,
        taskdepdata: None,
        live: None,
    };
    let mut reply = match fork_run(&req, builtins, &job.taskdepdata) {
        Ok(r) => r,
        Err(e) => failure(e),
    };
    reply.usage.elapsed = start.elapsed().as_secs_f64();
    reply
}

/// The task child running now (0: none); its process group is its session.
static TASK_CHILD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// SIGINT in the worker: SIGTERM to the running task child's process group (the child
/// and the shells it started), as BitBake's worker ends its task children.
#[expect(unsafe_code, reason = "installs a signal handler")]
fn stop_task_on_interrupt() {
    extern "C" fn stop(_: libc::c_int) {
        let pid = TASK_CHILD.load(std::sync::atomic::Ordering::SeqCst);
        if pid > 0 {
            // SAFETY: kill(2) is async-signal-safe; the group is the task child's own.
            unsafe {
                libc::kill(-pid, libc::SIGTERM);
            }
        }
    }
    // SAFETY: the handler only makes async-signal-safe calls.
    unsafe {
        libc::signal(
            libc::SIGINT,
            stop as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
}

/// Runs `req` in a forked child and reads its answer from a pipe: its messages and
/// progress are passed on to bake (this process's stdout) as they come, then its
/// reply. The child's resource usage (it and everything it waited for) is the task's.
#[expect(
    unsafe_code,
    reason = "fork, _exit and wait4: the one place a task child is made"
)]
fn fork_run(req: &TaskRequest<'_>, builtins: &Native, taskdepdata: &str) -> Result<Reply, String> {
    let (reader, writer) = std::io::pipe().map_err(|e| format!("pipe: {e}"))?;
    if let Some([before, _, _]) = FORK_HOOKS.get() {
        before();
    }
    // SAFETY: the worker runs tasks on its one thread; the child only runs the task
    // (which starts shells through std::process) and leaves through `_exit`, never
    // returning into the parent's code.
    let pid = unsafe { libc::fork() };
    if pid != 0
        && let Some([_, parent, _]) = FORK_HOOKS.get()
    {
        parent();
    }
    if pid < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        drop(reader);
        *LIVE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(writer);
        // SAFETY: as BitBake's worker child: a session of its own, so the terminal's
        // signals do not reach the task (the worker ends it, see
        // `stop_task_on_interrupt`); SIGINT back to its default for the task's shells.
        unsafe {
            libc::setsid();
            libc::signal(libc::SIGINT, libc::SIG_DFL);
        }
        if let Some([_, _, child]) = FORK_HOOKS.get() {
            child();
        }
        // With Python, the whole task runs in it on one datastore (bb.build); without,
        // the run queue's executor runs it with the native functions.
        let outcome = match bb_data::python::python_host() {
            Some(host) => crate::pytask::run(host, req, taskdepdata),
            None => bb_runqueue::run_task_here(req, builtins),
        };
        let reply = Reply {
            usage: outcome.usage,
            log: outcome.log,
            messages: outcome.messages,
            failure: outcome.result.err().map(|f| (f.message, f.tail)),
            exitcode: None,
        };
        let code = if send_live(&Answer::Done(reply)) {
            0
        } else {
            1
        };
        drop(
            LIVE.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
        );
        // SAFETY: ends the child without running the parent's destructors or atexit
        // handlers (they belong to the parent).
        unsafe { libc::_exit(code) };
    }
    TASK_CHILD.store(pid, std::sync::atomic::Ordering::SeqCst);
    drop(writer);
    let done = pass_on_answer(reader);
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for the child made above; `status` and `ru` are valid for writes.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    TASK_CHILD.store(0, std::sync::atomic::Ordering::SeqCst);
    if waited < 0 {
        return Err(format!("wait4: {}", std::io::Error::last_os_error()));
    }
    let mut reply: Reply = match done {
        Some(reply) => reply?,
        None => {
            // BitBake's worker reports the task child's exit code, 128 + the signal's
            // number when a signal ended it.
            let (how, code) = if libc::WIFSIGNALED(status) {
                let sig = libc::WTERMSIG(status);
                (format!("was killed by signal {sig}"), 128 + sig)
            } else {
                let code = libc::WEXITSTATUS(status);
                (format!("exited with code {code} without an answer"), code)
            };
            let mut reply = failure(format!("the task's process {how}"));
            reply.exitcode = Some(code);
            reply
        }
    };
    let elapsed = reply.usage.elapsed;
    reply.usage = bb_runqueue::from_rusage(&ru);
    reply.usage.elapsed = elapsed;
    Ok(reply)
}

/// Reads a task child's answer lines: the live ones go to this worker's stdout (bake)
/// as they come; the last, [`Answer::Done`], is the reply (`None`: the child ended
/// without one).
fn pass_on_answer(reader: std::io::PipeReader) -> Option<Result<Reply, String>> {
    let mut lines = BufReader::new(reader);
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        match serde_json::from_str::<Answer>(&line) {
            Ok(Answer::Done(reply)) => return Some(Ok(reply)),
            Ok(_) => {
                // The worker's stdout lock is re-entrant: `worker_main` holds it too.
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
            }
            Err(e) => {
                return Some(Err(format!(
                    "the task's child answered something unreadable: {e}"
                )));
            }
        }
    }
}
