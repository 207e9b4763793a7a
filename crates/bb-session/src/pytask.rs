//! A task run wholly in Python in a task worker's child (BitBake's `exec_task` in a
//! `bitbake-worker` child): the embedded `bb.build` runs the prefuncs, the task and
//! the postfuncs on one datastore, with BitBake's `exec_func` semantics. This file is
//! the Rust side of it: the task's log and its file descriptors, the network, and the
//! services the Python side calls back (`_bake.service`):
//!
//! - `shell_script FUNC CWD`: the text of `${T}/run.FUNC.PID` (the run queue's script
//!   writer: exported variables, the function and what it calls, `umask`, `cd`);
//! - `exports`: the recipe's exported variables, `K\0V\0...` (the task's environment);
//! - `has_native FUNC`, `native FUNC CWD`: bake's native implementation of a Python
//!   function of its own default layer (never for other layers' functions);
//! - `fetch download URL...`, `fetch unpack DIR URL...`: `bb.fetch2.Fetch` through
//!   bb-fetch;
//! - `task_progress PERCENT [RATE]`: a `bb.build.TaskProgress` the task fired, sent to
//!   bake as it happens (the task's messages go the same way, see `worker::task_log`).

use std::io::Write as _;
use std::os::fd::AsRawFd as _;
use std::sync::Mutex;

use bb_data::DataStore;
use bb_runqueue::builtin::Native;
use bb_runqueue::exec::{log_messages, tail_lines};
use bb_runqueue::{StampIndex, TaskContext, TaskFailure, TaskOutcome, TaskRequest};

/// What the services need to know of the task under way in this child.
struct Current {
    pn: String,
    task: String,
    taskhash: String,
    sysroot_deps: Vec<String>,
    log: std::path::PathBuf,
}

static CURRENT: Mutex<Option<Current>> = Mutex::new(None);
static NATIVES: Mutex<Option<Native>> = Mutex::new(None);

/// Registers the services of the Python task runtime, with `natives` as bake's native
/// functions. Called once by the worker.
pub(crate) fn register(natives: Native) {
    *NATIVES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(natives);
    bb_data::python::register_service("shell_script", shell_script);
    bb_data::python::register_service("exports", exports);
    bb_data::python::register_service("has_native", has_native);
    bb_data::python::register_service("native", native);
    bb_data::python::register_service("fetch", crate::natives::fetch_service);
    bb_data::python::register_service("task_progress", task_progress);
    crate::sstate::register_services();
}

/// Whether bake's native functions stand for the recipe's Python functions: only for
/// bake's own default layer (collection `bakecore`), whose Python task bodies bake
/// implements natively; other layers' functions always run as written.
pub(crate) fn natives_apply(d: &DataStore) -> bool {
    d.get_var("BBFILE_COLLECTIONS")
        .ok()
        .flatten()
        .is_some_and(|c| c.split_whitespace().any(|w| w == "bakecore"))
}

fn with_current<T>(f: impl FnOnce(&Current) -> T) -> Result<T, String> {
    let guard = CURRENT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    guard
        .as_ref()
        .map(f)
        .ok_or_else(|| "no task is running in this process".to_owned())
}

fn shell_script(d: &mut DataStore, args: &[String]) -> Result<String, String> {
    let [func, cwd] = args else {
        return Err("shell_script: expected FUNC CWD".to_owned());
    };
    let (task, taskhash) = with_current(|c| (c.task.clone(), c.taskhash.clone()))?;
    let cwd = (!cwd.is_empty()).then(|| std::path::Path::new(cwd.as_str()));
    bb_runqueue::exec::run_script_text(d, &task, func, cwd, &taskhash).map_err(|e| e.to_string())
}

fn task_progress(_d: &mut DataStore, args: &[String]) -> Result<String, String> {
    let (progress, rate) = match args {
        [p] => (p, None),
        [p, r] => (p, Some(r.clone())),
        _ => return Err("task_progress: expected PERCENT [RATE]".to_owned()),
    };
    let progress: f64 = progress
        .trim()
        .parse()
        .map_err(|_| format!("task_progress: the progress `{progress}` is not a number"))?;
    crate::worker::send_live(&crate::worker::Answer::Progress(progress, rate));
    Ok(String::new())
}

fn flag_set(d: &DataStore, var: &str, flag: &str) -> bool {
    d.get_var_flag(var, flag, false)
        .ok()
        .flatten()
        .is_some_and(|v| !v.is_empty() && v != "0")
}

fn exports(d: &mut DataStore, _args: &[String]) -> Result<String, String> {
    let mut keys = d.keys();
    keys.sort();
    let mut out = Vec::new();
    for k in keys {
        if !flag_set(d, &k, "export") || flag_set(d, &k, "unexport") {
            continue;
        }
        if d.get_var_flag(&k, "func", false).ok().flatten().is_some() {
            continue;
        }
        // A value that does not expand is left out, as BitBake's exported_vars does.
        if let Ok(Some(v)) = d.get_var(&k) {
            out.push(k);
            out.push(v);
        }
    }
    Ok(out.join("\0"))
}

fn has_native(d: &mut DataStore, args: &[String]) -> Result<String, String> {
    let [func] = args else {
        return Err("has_native: expected FUNC".to_owned());
    };
    let natives = NATIVES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let yes = natives.as_ref().is_some_and(|n| n.has(func)) && natives_apply(d);
    Ok(if yes { "1" } else { "0" }.to_owned())
}

fn native(d: &mut DataStore, args: &[String]) -> Result<String, String> {
    use bb_runqueue::Builtins as _;
    let [func, cwd] = args else {
        return Err("native: expected FUNC CWD".to_owned());
    };
    let (pn, task, deps, log, taskhash) = with_current(|c| {
        (
            c.pn.clone(),
            c.task.clone(),
            c.sysroot_deps.clone(),
            c.log.clone(),
            c.taskhash.clone(),
        )
    })?;
    let mut log = fs_err::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&log)
        .map_err(|e| e.to_string())?
        .into_parts()
        .0;
    let stamps = StampIndex::new();
    let cwd = (!cwd.is_empty()).then(|| std::path::PathBuf::from(cwd));
    let mut ctx = TaskContext {
        d,
        pn: &pn,
        task: &task,
        func,
        sysroot_deps: &deps,
        log: &mut log,
        cwd: cwd.as_deref(),
        stamps: &stamps,
        taskhash: &taskhash,
    };
    let natives = NATIVES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match natives.as_ref().and_then(|n| n.run(&mut ctx)) {
        Some(Ok(())) => Ok(String::new()),
        Some(Err(e)) => Err(e.to_string()),
        None => Err(format!("{func} has no native implementation")),
    }
}

/// As BitBake's worker child: without `[network]`, the task runs in a network
/// namespace of its own (a new user namespace mapping the same ids). Where the
/// kernel refuses, the task keeps the network (BitBake only logs it at debug level).
#[expect(
    unsafe_code,
    reason = "unshare(2) on the task's own single-threaded child"
)]
fn disable_network() {
    // SAFETY: getuid/getgid cannot fail; unshare only changes this process's
    // namespaces (the child is single-threaded: the worker forks from its one thread).
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    // SAFETY: see above.
    let ret = unsafe { libc::unshare(libc::CLONE_NEWNET | libc::CLONE_NEWUSER) };
    if ret != 0 {
        return;
    }
    for (file, text) in [
        ("/proc/self/uid_map", format!("{uid} {uid} 1")),
        ("/proc/self/setgroups", "deny".to_owned()),
        ("/proc/self/gid_map", format!("{gid} {gid} 1")),
    ] {
        if let Ok(mut f) = fs_err::OpenOptions::new().write(true).open(file) {
            let _ = f.write_all(text.as_bytes());
        }
    }
}

/// Makes `file` this process's stdout and stderr, and /dev/null its stdin (Python's
/// `print` and the shells' output go to the task's log, never to the worker's
/// protocol pipe).
#[expect(
    unsafe_code,
    reason = "dup2(2) on the task child's standard descriptors"
)]
fn redirect_std(file: &std::fs::File) -> Result<(), String> {
    let null = fs_err::File::open("/dev/null").map_err(|e| e.to_string())?;
    // SAFETY: both descriptors are open for the duration of the calls; replacing 0, 1
    // and 2 is what the child is for (nothing else in it uses the old ones).
    let ok = unsafe {
        libc::dup2(null.as_raw_fd(), 0) >= 0
            && libc::dup2(file.as_raw_fd(), 1) >= 0
            && libc::dup2(file.as_raw_fd(), 2) >= 0
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "cannot redirect the task's output: {}",
            std::io::Error::last_os_error()
        ))
    }
}

/// Runs `req` wholly in Python (in the task child): its log `${T}/log.TASK.PID` and
/// link, `log.task_order`, then `bb.build`'s task runner on the recipe's datastore.
pub(crate) fn run(
    host: &dyn bb_data::python::PythonHost,
    req: &TaskRequest<'_>,
    taskdepdata: &str,
) -> TaskOutcome {
    let start = std::time::Instant::now();
    let mut d = req.d.clone();
    let mut log_path = None;
    let result = run_in(host, req, &mut d, taskdepdata, &mut log_path);
    let log = log_path
        .as_ref()
        .map(|p: &std::path::PathBuf| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    // In a worker's task child every message was sent as the task logged it.
    let mut messages = if crate::worker::live_connected() {
        Vec::new()
    } else {
        log_path.as_deref().map(log_messages).unwrap_or_default()
    };
    let result = result.map_err(|message| {
        let failure = format!("ERROR: {message}");
        messages.retain(|l| *l != failure);
        TaskFailure {
            tail: log_path
                .as_deref()
                .map(|p| tail_lines(p, 20))
                .unwrap_or_default(),
            message,
            exitcode: 1,
        }
    });
    TaskOutcome {
        usage: bb_events::Usage {
            elapsed: start.elapsed().as_secs_f64(),
            ..bb_events::Usage::default()
        },
        log,
        messages,
        result,
    }
}

fn run_in(
    host: &dyn bb_data::python::PythonHost,
    req: &TaskRequest<'_>,
    d: &mut DataStore,
    taskdepdata: &str,
    log_path: &mut Option<std::path::PathBuf>,
) -> Result<(), String> {
    let t = d
        .get_var("T")
        .map_err(|e| format!("cannot expand `T`: {e}"))?
        .filter(|t| !t.is_empty())
        .ok_or("T variable not set, unable to build")?;
    let tdir = std::path::PathBuf::from(&t);
    fs_err::create_dir_all(&tdir).map_err(|e| e.to_string())?;
    let pid = std::process::id();
    let task = req.task;
    let base = format!("log.{task}.{pid}");
    let path = tdir.join(&base);
    let file = fs_err::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| e.to_string())?
        .into_parts()
        .0;
    *log_path = Some(path.clone());
    let link = tdir.join(format!("log.{task}"));
    let _ = std::fs::remove_file(&link);
    let _ = std::os::unix::fs::symlink(&base, &link);
    *CURRENT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Current {
        pn: req.pn.to_owned(),
        task: task.to_owned(),
        taskhash: req.taskhash.to_owned(),
        sysroot_deps: req.sysroot_deps.to_vec(),
        log: path.clone(),
    });
    d.set_var("BB_TASKHASH", req.taskhash);
    // The run queue's unihash when the worker was given one.
    if d.get_var("BB_UNIHASH")
        .ok()
        .flatten()
        .is_none_or(|u| u.is_empty())
    {
        d.set_var("BB_UNIHASH", req.taskhash);
    }
    if !flag_set(d, task, "network") {
        disable_network();
    }
    crate::worker::set_task_log(file.try_clone().ok());
    // BB_TASK_NICE_LEVEL / BB_TASK_IONICE_LEVEL on this child, as BitBake's exec_task
    // sets them on its own process (the shells it starts inherit them).
    let prio = bb_runqueue::priority::task_priority(d, task).map_err(|e| e.to_string())?;
    if let Some(w) = prio.apply_to_task().map_err(|e| e.to_string())? {
        crate::worker::task_log("WARNING", &w);
    }
    redirect_std(&file)?;
    let r = host.run_task(
        d,
        &bb_data::python::PyTask {
            task,
            fn_name: req.fn_name,
            logfile: &path.to_string_lossy(),
            taskdepdata,
        },
    );
    crate::worker::set_task_log(None);
    r.map_err(|f| match f {
        bb_data::python::PyFailure::Exception { kind, message, .. }
            if kind == "BBHandledException" =>
        {
            message
        }
        bb_data::python::PyFailure::Exception {
            kind,
            message,
            traceback,
        } => format!("Error running {task}:\n{traceback}{kind}: {message}"),
        bb_data::python::PyFailure::Data(e) => e.to_string(),
    })
}
