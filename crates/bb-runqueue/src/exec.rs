//! Running one task the way BitBake's `exec_task` / `exec_func` do: the task's
//! prefuncs, the task function and its postfuncs in turn; for each, `[cleandirs]`
//! emptied, `[dirs]` created (the last is the working directory), `[lockfiles]`
//! held. A shell function becomes `${T}/run.FUNC.PID`: the exported variables, the
//! function and the shell functions it calls after BitBake's exit trap, run with `sh`; a Python
//! function runs through a built-in implementation or fails saying it needs Python.
//! All output goes to `${T}/log.do_task.PID`, with a `log.do_task` link to it.
//!
//! What a task used is measured however it ends (success, failure, Ctrl-C): its wall
//! time, its shells' CPU time and block I/O (`wait4`), the worker thread's own
//! (`RUSAGE_THREAD`) for what runs in-process (native task functions), and the
//! processes a native function starts itself when they can be told apart (see
//! `rusage.rs`).

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use bb_data::DataStore;

use bb_events::Usage;

use crate::error::TaskError;
use crate::stamps::StampIndex;

/// What a built-in (native) implementation of a Python task function gets.
pub struct TaskContext<'a> {
    /// The recipe's finalized datastore.
    pub d: &'a DataStore,
    /// The recipe's PN.
    pub pn: &'a str,
    /// The task running (`do_unpack`).
    pub task: &'a str,
    /// The function being run (the task, or one of its pre/postfuncs).
    pub func: &'a str,
    /// The PNs whose `do_populate_sysroot` this task depends on, directly or not
    /// (what BitBake hands over as BB_TASKDEPDATA), sorted.
    pub sysroot_deps: &'a [String],
    /// The task's log, for messages.
    pub log: &'a mut std::fs::File,
    /// The working directory (`[dirs]`' last entry), when set.
    pub cwd: Option<&'a Path>,
    /// The build's stamp files (for `do_clean`).
    pub stamps: &'a StampIndex,
    /// The task's hash (BB_TASKHASH; for a setscene task, its real task's).
    pub taskhash: &'a str,
}

impl TaskContext<'_> {
    /// A datastore value, expanded (empty when unset).
    pub fn var(&self, name: &str) -> Result<String, TaskError> {
        self.d
            .get_var(name)
            .map(Option::unwrap_or_default)
            .map_err(TaskError::expand(name))
    }

    /// Writes a `NOTE:` line to the task log.
    pub fn note(&mut self, msg: &str) {
        let _ = writeln!(self.log, "NOTE: {msg}");
    }
}

/// Native implementations of Python task functions, looked up by function name, and
/// the choice of running a whole task elsewhere (a worker process).
pub trait Builtins: Sync {
    /// Runs `ctx.func` if this set implements it: `None` when it does not.
    fn run(&self, ctx: &mut TaskContext<'_>) -> Option<Result<(), TaskError>>;

    /// Runs the whole task somewhere else (for example a worker process that runs its
    /// Python, or one under fakeroot) and returns how it ended: `None` to run it here,
    /// in the run queue's worker thread.
    fn run_elsewhere(&self, _task: &TaskRequest<'_>) -> Option<TaskOutcome> {
        None
    }
}

/// A task to run, as [`Builtins::run_elsewhere`] and [`run_task_here`] get it.
pub struct TaskRequest<'a> {
    /// The recipe target (`/path/x.bb` or `virtual:native:/path/x.bb`).
    pub fn_name: &'a str,
    /// The recipe's finalized datastore.
    pub d: &'a DataStore,
    /// The recipe's PN.
    pub pn: &'a str,
    /// The task (`do_compile`).
    pub task: &'a str,
    /// See [`TaskContext::sysroot_deps`].
    pub sysroot_deps: &'a [String],
    /// The task's hash.
    pub taskhash: &'a str,
    /// The build's BB_TASKDEPDATA table and this task's index in it, when known.
    pub taskdepdata: Option<(&'a crate::depdata::DepTable, usize)>,
    /// Where what happens while the task runs elsewhere goes (its messages and
    /// progress, as they come), when the caller listens.
    pub live: Option<&'a LiveEvents>,
}

/// The build's event channel for one task run elsewhere: its messages and progress
/// reach the console and the recorder while it runs, as BitBake's worker sends a
/// task's log records and `TaskProgress` events through its event pipe.
#[derive(Debug, Clone)]
pub struct LiveEvents {
    /// The build's events.
    pub events: std::sync::mpsc::Sender<bb_events::BuildEvent>,
    /// The task, as events name it.
    pub task: bb_events::TaskRef,
}

impl LiveEvents {
    /// A message of the task, as its log has it (`WARNING: text`; `bb.plain`'s text
    /// alone).
    pub fn log(&self, line: String) {
        let _ = self.events.send(bb_events::BuildEvent::LogLine {
            task: self.task.clone(),
            line,
        });
    }

    /// The task's progress (BitBake's `TaskProgress`).
    pub fn progress(&self, progress: f64, rate: Option<String>) {
        let _ = self.events.send(bb_events::BuildEvent::TaskProgress {
            task: self.task.clone(),
            progress,
            rate,
        });
    }
}

/// Runs a task in this process (prefuncs, task, postfuncs, its log), with `builtins`
/// for the Python functions: what a worker process does with a task it is sent.
pub fn run_task_here(req: &TaskRequest<'_>, builtins: &dyn Builtins) -> TaskOutcome {
    let stamps = StampIndex::new();
    run_task(&TaskRun {
        log_paths: None,
        d: req.d,
        pn: req.pn,
        task: req.task,
        sysroot_deps: req.sysroot_deps,
        taskhash: req.taskhash,
        builtins,
        stamps: &stamps,
    })
}

/// A task as a worker runs it: the recipe, the task and what the run needs.
pub(crate) struct TaskRun<'a> {
    /// The task's log and its `log.do_task` link, when known (else worked out from
    /// `T`).
    pub(crate) log_paths: Option<&'a (PathBuf, PathBuf)>,
    /// The recipe's finalized datastore.
    pub(crate) d: &'a DataStore,
    /// The recipe's PN.
    pub(crate) pn: &'a str,
    /// The task (`do_compile`).
    pub(crate) task: &'a str,
    /// See [`TaskContext::sysroot_deps`].
    pub(crate) sysroot_deps: &'a [String],
    /// The task's hash (`BB_TASKHASH` in its run scripts).
    pub(crate) taskhash: &'a str,
    /// The native task functions.
    pub(crate) builtins: &'a dyn Builtins,
    /// The build's stamps.
    pub(crate) stamps: &'a StampIndex,
}

/// A task that did not complete.
#[derive(Debug, Clone)]
pub struct TaskFailure {
    /// Why, in a line.
    pub message: String,
    /// The last lines of the log.
    pub tail: Vec<String>,
    /// The exit code the run queue reports (see `BuildEvent::TaskFailed`): 1 for a
    /// task that failed in bake's process or answered its failure.
    pub exitcode: i32,
}

/// How a task ended, with what it used either way.
#[derive(Debug, Clone)]
pub struct TaskOutcome {
    /// Wall time, CPU time and block I/O of the task (its shells and the worker's own
    /// work for it), measured on success and failure alike.
    pub usage: Usage,
    /// Its log (`${T}/log.do_task.PID`), empty when it could not be made.
    pub log: String,
    /// The `NOTE:`/`WARNING:`/`ERROR:` lines of its log.
    pub messages: Vec<String>,
    /// Success, or why not.
    pub result: Result<(), TaskFailure>,
}

/// The paths of a task's log.
pub(crate) fn log_paths(d: &DataStore, task: &str) -> Result<(PathBuf, PathBuf), TaskError> {
    let t = d
        .get_var("T")
        .map_err(TaskError::expand("T"))?
        .filter(|t| !t.is_empty())
        .ok_or(TaskError::NoTempDir)?;
    let dir = PathBuf::from(t);
    let pid = std::process::id();
    Ok((
        dir.join(format!("log.{task}.{pid}")),
        dir.join(format!("log.{task}")),
    ))
}

/// Runs a task; returns how it ended and what it used, however it ended.
pub(crate) fn run_task(run: &TaskRun<'_>) -> TaskOutcome {
    let start = std::time::Instant::now();
    let before = crate::rusage::thread_usage();
    let mut children = Usage::default();
    let mut log_path = None;
    // BitBake warns of an unusable BB_TASK_IONICE_LEVEL on the console, before the
    // task's log exists.
    let mut warnings = Vec::new();
    let result = crate::priority::task_priority(run.d, run.task).and_then(|prio| {
        warnings.extend(prio.ionice_warning(false).map(|w| format!("WARNING: {w}")));
        run_funcs(run, &prio, &mut children, &mut log_path)
    });
    let mut usage = crate::rusage::since(&before, &crate::rusage::thread_usage());
    crate::rusage::add(&mut usage, &children);
    usage.elapsed = start.elapsed().as_secs_f64();
    let log = log_path
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut messages = warnings;
    messages.extend(log_path.as_deref().map(log_messages).unwrap_or_default());
    let result = result.map_err(|e| TaskFailure {
        message: e.to_string(),
        tail: log_path
            .as_deref()
            .map(|p| tail_lines(p, 20))
            .unwrap_or_default(),
        exitcode: 1,
    });
    // The messages the task wrote with bbnote/bbwarn/bberror (not the failure itself,
    // which TaskFailed carries with the log's last lines).
    let messages = match &result {
        Err(f) => {
            let failure = format!("ERROR: {}", f.message);
            messages.into_iter().filter(|l| *l != failure).collect()
        }
        Ok(()) => messages,
    };
    TaskOutcome {
        usage,
        log,
        messages,
        result,
    }
}

/// The log, then prefuncs, task and postfuncs in turn; `children` collects what their
/// shells used, `log_path` where the log went.
fn run_funcs(
    run: &TaskRun<'_>,
    prio: &crate::priority::TaskPriority,
    children: &mut Usage,
    log_path: &mut Option<PathBuf>,
) -> Result<(), TaskError> {
    let (path, link) = match run.log_paths {
        Some(paths) => paths.clone(),
        None => log_paths(run.d, run.task)?,
    };
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir)?;
    }
    let mut log = fs_err::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?
        .into_parts()
        .0;
    *log_path = Some(path.clone());
    let _ = std::fs::remove_file(&link);
    if let Some(name) = path.file_name() {
        let _ = std::os::unix::fs::symlink(name, &link);
    }
    let words = |flag: &str| -> Vec<String> {
        run.d
            .get_var_flag(run.task, flag, true)
            .ok()
            .flatten()
            .map(|v| v.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let mut funcs = words("prefuncs");
    funcs.push(run.task.to_owned());
    funcs.extend(words("postfuncs"));
    let mut result = Ok(());
    for func in &funcs {
        result = exec_func(run, prio, func, &path, &mut log, children);
        if result.is_err() {
            break;
        }
    }
    let _ = log.flush();
    result
}

/// The `NOTE:`, `WARNING:` and `ERROR:` lines of a task log (what `bbnote`, `bbwarn`
/// and `bberror` write), at most 100: what a failed task's report shows.
pub fn log_messages(path: &Path) -> Vec<String> {
    let text = fs_err::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    text.lines()
        .filter(|l| {
            (l.starts_with("NOTE: ") || l.starts_with("WARNING: ") || l.starts_with("ERROR: "))
                && !exit_trap_line(l)
        })
        .take(100)
        .map(str::to_owned)
        .collect()
}

/// The last `n` lines of a file (a failed task's log, as knotty shows it).
pub fn tail_lines(path: &Path, n: usize) -> Vec<String> {
    let text = fs_err::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

/// Runs one function of a task (`func`: a prefunc, the task or a postfunc), its output
/// appended to `log` (at `log_path`); its shell's usage is added to `children`.
fn exec_func(
    run: &TaskRun<'_>,
    prio: &crate::priority::TaskPriority,
    func: &str,
    log_path: &Path,
    log: &mut std::fs::File,
    children: &mut Usage,
) -> Result<(), TaskError> {
    let d = run.d;
    let fl = |flag: &str| -> Result<Option<String>, TaskError> {
        d.get_var_flag(func, flag, true)
            .map_err(TaskError::expand(format!("{func}[{flag}]")))
    };
    if let Some(c) = fl("cleandirs")? {
        for dir in c.split_whitespace() {
            match fs_err::remove_dir_all(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
            fs_err::create_dir_all(dir)?;
        }
    }
    let dirs: Vec<String> = fl("dirs")?
        .map(|v| v.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    for dir in &dirs {
        fs_err::create_dir_all(dir)?;
    }
    let cwd = dirs.last().map(PathBuf::from);
    let _locks = match fl("lockfiles")? {
        Some(v) => lock_files(&v)?,
        None => Vec::new(),
    };
    let body = d
        .get_var_opts(func, false, false)
        .map_err(TaskError::expand(func))?;
    if body.as_deref().is_none_or(|b| b.trim().is_empty()) {
        if body.is_none() {
            let _ = writeln!(log, "WARNING: Function {func} doesn't exist");
        }
        return Ok(());
    }
    // The log's frame lines, as BitBake's exec_func writes them at its debug level.
    if fl("python")?.is_some() {
        let _ = writeln!(log, "DEBUG: Executing python function {func}");
        let mut ctx = TaskContext {
            d,
            pn: run.pn,
            task: run.task,
            func,
            sysroot_deps: run.sysroot_deps,
            log,
            cwd: cwd.as_deref(),
            stamps: run.stamps,
            taskhash: run.taskhash,
        };
        let call = crate::rusage::native_begin();
        let r = run.builtins.run(&mut ctx);
        // The processes it started itself (git, patch), when they can be told apart.
        if let Some(own) = crate::rusage::native_end(call) {
            crate::rusage::add(children, &own);
        }
        let r = r.unwrap_or_else(|| Err(TaskError::NeedsPython(func.to_owned())));
        match &r {
            Ok(()) => {
                let _ = writeln!(log, "DEBUG: Python function {func} finished");
            }
            // A Python function's error is logged in the task's log (bb.fatal); a shell
            // function's "Execution of ... failed" only reaches the console.
            Err(e) => {
                let _ = writeln!(log, "ERROR: {e}");
            }
        }
        return r;
    }
    let _ = writeln!(log, "DEBUG: Executing shell function {func}");
    let r = run_shell(run, prio, func, cwd.as_deref(), log_path, log, children);
    if r.is_ok() {
        let _ = writeln!(log, "DEBUG: Shell function {func} finished");
    }
    r
}

fn lock_files(list: &str) -> Result<Vec<std::fs::File>, TaskError> {
    let mut held = Vec::new();
    for path in list.split_whitespace() {
        if let Some(dir) = Path::new(path).parent() {
            fs_err::create_dir_all(dir)?;
        }
        let f = fs_err::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?
            .into_parts()
            .0;
        f.lock().map_err(|source| TaskError::Lock {
            path: PathBuf::from(path),
            source,
        })?;
        held.push(f);
    }
    Ok(held)
}

/// Whether `name` can be a shell variable or function name.
fn shell_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A value quoted for `NAME="value"` the way BitBake's emit_var writes it.
fn shell_quote(v: &str) -> String {
    v.replace('"', "\\\"")
        .replace('`', "\\`")
        .replace('\n', " \\\n")
        .replace('$', "\\$")
}

/// The head of every run script: an exit trap that reports a failing command in the
/// task's log as BitBake's run scripts do (`WARNING: exit code N from a shell
/// command.`; under bash, the failing line and a backtrace of the script's functions),
/// then `set -e`.
const EXIT_TRAP: &str = r#"#!/bin/sh

__BITBAKE_LAST_LINE=0

# A command failed: say so in the log before leaving.
bb_sh_exit_handler() {
    ret=$?
    [ "$ret" = 0 ] || echo "WARNING: exit code $ret from a shell command."
    exit $ret
}

# The same under bash, with the failing line and the functions it was called from.
bb_bash_exit_handler() {
    ret=$?
    { set +x; } > /dev/null
    trap "" DEBUG
    if [ "$ret" != 0 ]; then
        echo "WARNING: ${BASH_SOURCE[0]}:${__BITBAKE_LAST_LINE} exit $ret from '$1'"
        echo "WARNING: Backtrace (BB generated script): "
        frame=1
        while [ "$frame" -lt "${#FUNCNAME[@]}" ]; do
            at=${BASH_LINENO[$((frame - 1))]}
            [ "$frame" != 1 ] || at=$__BITBAKE_LAST_LINE
            printf '\t#%s: %s, %s, line %s\n' "$frame" "${FUNCNAME[$frame]}" "${BASH_SOURCE[$((frame - 1))]}" "$at"
            frame=$((frame + 1))
        done
    fi
    exit $ret
}

# Under bash, the line of each command run outside the exit handler (the EXIT trap's
# own LINENO is not the failing command's).
bb_bash_debug_handler() {
    local line=${BASH_LINENO[0]}
    if [ "$line" -ne 1 ] && [ "${FUNCNAME[1]}" != "bb_bash_exit_handler" ]; then
        __BITBAKE_LAST_LINE=$line
    fi
}

if [ -z "$BASH_VERSION" ]; then
    trap 'bb_sh_exit_handler' 0
    set -e
else
    trap 'bb_bash_exit_handler "$BASH_COMMAND"' 0
    trap '{ bb_bash_debug_handler; } 2>/dev/null' DEBUG
    set -e
    shopt -s extdebug
fi
"#;

/// Whether `line` of a task log is written by the run script's exit trap (not a
/// message of the task: BitBake's console does not show it either).
fn exit_trap_line(line: &str) -> bool {
    line.starts_with("WARNING: exit code ") && line.ends_with(" from a shell command.")
        || line == "WARNING: Backtrace (BB generated script): "
        || line.starts_with("WARNING: ") && line.contains(" exit ") && line.ends_with('\'')
}

/// The text of `${T}/run.FUNC.PID` for function `func` of task `task`, in BitBake's
/// order: the exit trap, the exported variables (and `unset` lines for `[unexport]`
/// ones), sorted; the function and the shell functions it calls (expanded, each after a
/// `# line: N, file: F` comment); `umask`, `set -x` with BB_VERBOSE_LOGS, `cd` to the
/// working directory, the call and the cleanup.
pub fn run_script_text(
    d: &DataStore,
    task: &str,
    func: &str,
    cwd: Option<&Path>,
    taskhash: &str,
) -> Result<String, TaskError> {
    run_script(d, task, func, cwd, taskhash)
}

fn flag_on(d: &DataStore, var: &str, flag: &str) -> bool {
    d.get_var_flag(var, flag, true)
        .ok()
        .flatten()
        .is_some_and(|v| bb_util::to_boolean(Some(&v), false).unwrap_or(false))
}

fn run_script(
    d: &DataStore,
    task: &str,
    func: &str,
    cwd: Option<&Path>,
    taskhash: &str,
) -> Result<String, TaskError> {
    let mut out = String::from(EXIT_TRAP);
    let mut keys = d.keys();
    keys.sort();
    for k in &keys {
        if k.starts_with("__") || !shell_name(k) || k == "PWD" {
            continue;
        }
        if d.get_var_flag(k, "func", false).ok().flatten().is_some() {
            continue;
        }
        let unexport = flag_on(d, k, "unexport");
        if !unexport && !flag_on(d, k, "export") {
            continue;
        }
        let v = match d.get_var(k) {
            Ok(v) => v,
            Err(e) => {
                out.push_str(&format!("# expansion of {k} threw {e}\n"));
                continue;
            }
        };
        if unexport {
            out.push_str(&format!("unset {k}\n"));
        } else if let Some(v) = v {
            out.push_str(&format!("export {k}=\"{}\"\n", shell_quote(&v)));
        }
    }
    // A task run in bake's own threads shares the recipe's datastore, which has no
    // BB_TASKHASH: its shell functions get it from the environment.
    if d.get_var("BB_TASKHASH").ok().flatten().is_none() {
        out.push_str(&format!("export BB_TASKHASH=\"{taskhash}\"\n"));
    }
    out.push('\n');
    // The function, then what it calls (and its `[vardeps]`), a level at a time, each
    // level sorted, as BitBake's emit_func walks them.
    let mut seen = BTreeSet::from([func.to_owned()]);
    let mut level = vec![func.to_owned()];
    let mut first = true;
    while !level.is_empty() {
        let mut next = BTreeSet::new();
        for f in &level {
            let is_func = d.get_var_flag(f, "func", false).ok().flatten().is_some();
            let is_python = d.get_var_flag(f, "python", false).ok().flatten().is_some();
            if !(first || is_func) || is_python || !shell_name(f) {
                continue;
            }
            let Some(body) = d.get_var(f).map_err(TaskError::expand(f.as_str()))? else {
                continue;
            };
            let flag = |name: &str| {
                d.get_var_flag(f, name, false)
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| "None".to_owned())
            };
            out.push_str(&format!(
                "# line: {}, file: {}\n{f}() {{\n{}\n}}\n\n",
                flag("lineno"),
                flag("filename"),
                body.trim_end_matches('\n')
            ));
            let vardeps = d.get_var_flag(f, "vardeps", true).ok().flatten();
            for call in bb_siggen::shell_execs(&body).into_iter().chain(
                vardeps
                    .iter()
                    .flat_map(|v| v.split_whitespace().map(str::to_owned)),
            ) {
                if !seen.contains(&call) {
                    next.insert(call);
                }
            }
        }
        first = false;
        seen.extend(next.iter().cloned());
        level = next.into_iter().collect();
    }
    if let Some(mask) = d
        .get_var_flag(task, "umask", true)
        .ok()
        .flatten()
        .filter(|m| !m.is_empty())
    {
        out.push_str(&format!("umask {mask}\n"));
    }
    if d.get_var_opts("BB_VERBOSE_LOGS", false, false)
        .ok()
        .flatten()
        .is_some_and(|v| bb_util::to_boolean(Some(&v), false).unwrap_or(false))
    {
        out.push_str("set -x\n");
    }
    if let Some(dir) = cwd {
        out.push_str(&format!("cd '{}'\n", dir.display()));
    }
    out.push_str(&format!(
        "{func}\n\n# cleanup\nret=$?\ntrap '' 0\nexit $ret\n"
    ));
    Ok(out)
}

/// Ctrl-C for the shells of the tasks bake runs itself (in its threads and in the task
/// runner): for a SIGINT sent to bake alone, which does not reach them as the
/// terminal's Ctrl-C to the whole process group does.
pub fn interrupt_shells() {
    crate::runner::interrupt_shells();
}

/// Runs shell function `func` of the task through its run script; what the shell
/// used is added to `children` whether it succeeds or not.
fn run_shell(
    run: &TaskRun<'_>,
    prio: &crate::priority::TaskPriority,
    func: &str,
    cwd: Option<&Path>,
    log_path: &Path,
    log: &mut std::fs::File,
    children: &mut Usage,
) -> Result<(), TaskError> {
    use std::os::unix::fs::PermissionsExt as _;
    let (d, task) = (run.d, run.task);
    let tdir = log_path.parent().map(Path::to_path_buf).unwrap_or_default();
    let script = run_script(d, task, func, cwd, run.taskhash)?;
    let pid = std::process::id();
    let script_path = tdir.join(format!("run.{func}.{pid}"));
    fs_err::write(&script_path, script)?;
    let _ = std::fs::set_permissions(&script_path, std::fs::Permissions::from_mode(0o775));
    if func == task {
        let link = tdir.join(format!("run.{task}"));
        let _ = std::fs::remove_file(&link);
        let _ = std::os::unix::fs::symlink(format!("run.{func}.{pid}"), &link);
    }
    // Like BitBake, a task runs without network access unless its `[network]` flag is
    // set (through the task runner, in a namespace of its own; see `runner.rs`).
    let network = d
        .get_var_flag(task, "network", true)
        .ok()
        .flatten()
        .is_some_and(|v| !v.is_empty() && v != "0");
    let ran = if network {
        None
    } else {
        crate::runner::run(&script_path, cwd, log_path, prio)
    };
    let spawn_error = |source| TaskError::Spawn {
        script: script_path.clone(),
        source,
    };
    let (status, usage) = match ran {
        Some(r) => r.map_err(spawn_error)?,
        None => {
            let mut cmd = std::process::Command::new("/bin/sh");
            cmd.arg(&script_path)
                .stdin(std::process::Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log.try_clone()?)
                .env_clear();
            // A process group of its own: Ctrl-C reaches it through bake (see
            // `interrupt_shells`).
            std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
            if let Some(dir) = cwd {
                cmd.current_dir(dir);
            }
            prio.set_on(&mut cmd);
            let child = cmd.spawn().map_err(spawn_error)?;
            let _slot = crate::runner::track_shell(child.id());
            crate::rusage::wait_with_usage(child.id()).map_err(spawn_error)?
        }
    };
    crate::rusage::add(children, &usage);
    if status.success() {
        Ok(())
    } else {
        Err(TaskError::Exit {
            script: script_path,
            code: status.code(),
        })
    }
}
