//! Running one task the way BitBake's `exec_task` / `exec_func` do: the task's
//! prefuncs, the task function and its postfuncs in turn; for each, `[cleandirs]`
//! emptied, `[dirs]` created (the last is the working directory), `[lockfiles]`
//! held. A shell function becomes `${T}/run.FUNC.PID`: the exported variables, the
//! function and the shell functions it calls, `set -e`, run with `sh`; a Python
//! function runs through a built-in implementation or fails saying it needs Python.
//! All output goes to `${T}/log.do_task.PID`, with a `log.do_task` link to it.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use bb_data::DataStore;

use bb_events::Usage;

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
}

impl TaskContext<'_> {
    /// A datastore value, expanded (empty when unset).
    pub fn var(&self, name: &str) -> Result<String, String> {
        self.d
            .get_var(name)
            .map(Option::unwrap_or_default)
            .map_err(|e| format!("{name}: {e}"))
    }

    /// Writes a `NOTE:` line to the task log.
    pub fn note(&mut self, msg: &str) {
        let _ = writeln!(self.log, "NOTE: {msg}");
    }
}

/// Native implementations of Python task functions, looked up by function name.
pub trait Builtins: Sync {
    /// Runs `ctx.func` if this set implements it: `None` when it does not.
    fn run(&self, ctx: &mut TaskContext<'_>) -> Option<Result<(), String>>;
}

/// A task that did not complete.
#[derive(Debug, Clone)]
pub struct TaskFailure {
    /// Why, in a line.
    pub message: String,
    /// The last lines of the log.
    pub tail: Vec<String>,
}

/// The paths of a task's log.
pub(crate) fn log_paths(d: &DataStore, task: &str) -> Result<(PathBuf, PathBuf), String> {
    let t = d
        .get_var("T")
        .map_err(|e| format!("T: {e}"))?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| "T is not set: no place for the task's log and run script".to_owned())?;
    let dir = PathBuf::from(t);
    let pid = std::process::id();
    Ok((
        dir.join(format!("log.{task}.{pid}")),
        dir.join(format!("log.{task}")),
    ))
}

/// Runs task `task` of the recipe whose datastore is `d`; returns what its processes
/// used, or why it failed.
pub(crate) fn run_task(
    d: &DataStore,
    pn: &str,
    task: &str,
    sysroot_deps: &[String],
    builtins: &dyn Builtins,
    taskhash: &str,
) -> Result<Usage, TaskFailure> {
    let fail = |message: String| TaskFailure {
        message,
        tail: Vec::new(),
    };
    let (log_path, link) = log_paths(d, task).map_err(fail)?;
    if let Some(dir) = log_path.parent() {
        fs_err::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    }
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| fail(format!("{}: {e}", log_path.display())))?;
    let _ = std::fs::remove_file(&link);
    if let Some(name) = log_path.file_name() {
        let _ = std::os::unix::fs::symlink(name, &link);
    }
    let mut usage = Usage::default();
    let start = std::time::Instant::now();
    let words = |flag: &str| -> Vec<String> {
        d.get_var_flag(task, flag, true)
            .ok()
            .flatten()
            .map(|v| v.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let mut funcs = words("prefuncs");
    funcs.push(task.to_owned());
    funcs.extend(words("postfuncs"));
    let mut result = Ok(());
    for func in &funcs {
        let r = exec_func(
            d,
            pn,
            task,
            func,
            sysroot_deps,
            builtins,
            &mut log,
            taskhash,
        );
        match r {
            Ok(u) => {
                usage.cpu_user += u.cpu_user;
                usage.cpu_system += u.cpu_system;
                usage.disk_read += u.disk_read;
                usage.disk_write += u.disk_write;
            }
            Err(msg) => {
                result = Err(msg);
                break;
            }
        }
    }
    usage.elapsed = start.elapsed().as_secs_f64();
    let _ = log.flush();
    match result {
        Ok(()) => Ok(usage),
        Err(message) => Err(TaskFailure {
            message,
            tail: tail_lines(&log_path, 20),
        }),
    }
}

/// The `NOTE:`, `WARNING:` and `ERROR:` lines of a task log (what `bbnote`, `bbwarn`
/// and `bberror` write), at most 100.
pub(crate) fn log_messages(path: &Path) -> Vec<String> {
    let text = fs_err::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    text.lines()
        .filter(|l| {
            l.starts_with("NOTE: ") || l.starts_with("WARNING: ") || l.starts_with("ERROR: ")
        })
        .take(100)
        .map(str::to_owned)
        .collect()
}

/// The last `n` lines of a file.
pub(crate) fn tail_lines(path: &Path, n: usize) -> Vec<String> {
    let text = fs_err::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn exec_func(
    d: &DataStore,
    pn: &str,
    task: &str,
    func: &str,
    sysroot_deps: &[String],
    builtins: &dyn Builtins,
    log: &mut std::fs::File,
    taskhash: &str,
) -> Result<Usage, String> {
    let fl = |flag: &str| -> Result<Option<String>, String> {
        d.get_var_flag(func, flag, true)
            .map_err(|e| format!("{func}[{flag}]: {e}"))
    };
    if let Some(c) = fl("cleandirs")? {
        for dir in c.split_whitespace() {
            match std::fs::remove_dir_all(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("cannot empty {dir}: {e}")),
            }
            fs_err::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
    }
    let dirs: Vec<String> = fl("dirs")?
        .map(|v| v.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    for dir in &dirs {
        fs_err::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    let cwd = dirs.last().map(PathBuf::from);
    let _locks = match fl("lockfiles")? {
        Some(v) => lock_files(&v)?,
        None => Vec::new(),
    };
    let body = d
        .get_var_opts(func, false, false)
        .map_err(|e| e.to_string())?;
    if body.as_deref().is_none_or(|b| b.trim().is_empty()) {
        if body.is_none() {
            let _ = writeln!(log, "WARNING: Function {func} doesn't exist");
        }
        return Ok(Usage::default());
    }
    // The log's frame lines, as BitBake's exec_func writes them at its debug level.
    if fl("python")?.is_some() {
        let _ = writeln!(log, "DEBUG: Executing python function {func}");
        let mut ctx = TaskContext {
            d,
            pn,
            task,
            func,
            sysroot_deps,
            log,
            cwd: cwd.as_deref(),
        };
        let r = match builtins.run(&mut ctx) {
            Some(r) => r.map(|()| Usage::default()),
            None => Err(format!(
                "{func} is a Python function and needs Python: bake has no built-in implementation of it"
            )),
        };
        match &r {
            Ok(_) => {
                let _ = writeln!(log, "DEBUG: Python function {func} finished");
            }
            // A Python function's error is logged in the task's log (bb.fatal); a shell
            // function's "Execution of ... failed" only reaches the console.
            Err(msg) => {
                let _ = writeln!(log, "ERROR: {msg}");
            }
        }
        return r;
    }
    let _ = writeln!(log, "DEBUG: Executing shell function {func}");
    let r = run_shell(d, task, func, cwd.as_deref(), log, taskhash);
    if r.is_ok() {
        let _ = writeln!(log, "DEBUG: Shell function {func} finished");
    }
    r
}

fn lock_files(list: &str) -> Result<Vec<std::fs::File>, String> {
    let mut held = Vec::new();
    for path in list.split_whitespace() {
        if let Some(dir) = Path::new(path).parent() {
            fs_err::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| format!("{path}: {e}"))?;
        f.lock().map_err(|e| format!("lock {path}: {e}"))?;
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
        .replace('\n', " \\\n")
        .replace('$', "\\$")
}

/// The text of `${T}/run.FUNC.PID` for function `func` of task `task`: the exported
/// variables, the function and the shell functions it calls (expanded), `umask`, `cd`
/// to the working directory, the call.
pub fn run_script_text(
    d: &DataStore,
    task: &str,
    func: &str,
    cwd: Option<&Path>,
    taskhash: &str,
) -> Result<String, String> {
    run_script(d, task, func, cwd, taskhash)
}

fn run_script(
    d: &DataStore,
    task: &str,
    func: &str,
    cwd: Option<&Path>,
    taskhash: &str,
) -> Result<String, String> {
    let mut out = String::from("#!/bin/sh\n\n# Generated by bake: ");
    out.push_str(&format!("{func} of task {task}\n\nset -e\n\n"));
    let mut keys = d.keys();
    keys.sort();
    for k in &keys {
        if !shell_name(k) || k == "PWD" {
            continue;
        }
        let export = d.get_var_flag(k, "export", false).ok().flatten();
        if !export.is_some_and(|v| !v.is_empty() && v != "0") {
            continue;
        }
        if d.get_var_flag(k, "unexport", false)
            .ok()
            .flatten()
            .is_some_and(|v| !v.is_empty() && v != "0")
        {
            continue;
        }
        if d.get_var_flag(k, "func", false).ok().flatten().is_some() {
            continue;
        }
        let Some(v) = d.get_var(k).map_err(|e| format!("{k}: {e}"))? else {
            continue;
        };
        out.push_str(&format!("export {k}=\"{}\"\n", shell_quote(&v)));
    }
    out.push_str(&format!("export BB_TASKHASH=\"{taskhash}\"\n\n"));
    // The function and every shell function it calls, transitively.
    let mut emitted = BTreeSet::new();
    let mut queue = vec![func.to_owned()];
    let mut bodies = Vec::new();
    while let Some(f) = queue.pop() {
        if !emitted.insert(f.clone()) {
            continue;
        }
        let is_func = d.get_var_flag(&f, "func", false).ok().flatten().is_some();
        let is_python = d.get_var_flag(&f, "python", false).ok().flatten().is_some();
        if (f != func && !is_func) || is_python || !shell_name(&f) {
            continue;
        }
        let Some(body) = d.get_var(&f).map_err(|e| format!("{f}: {e}"))? else {
            continue;
        };
        for call in bb_siggen::shell_execs(&body) {
            if !emitted.contains(&call) {
                queue.push(call);
            }
        }
        bodies.push(format!("{f}() {{\n{}\n}}\n\n", body.trim_end_matches('\n')));
    }
    bodies.reverse();
    for b in bodies {
        out.push_str(&b);
    }
    if let Some(mask) = d
        .get_var_flag(task, "umask", true)
        .ok()
        .flatten()
        .filter(|m| !m.is_empty())
    {
        out.push_str(&format!("umask {mask}\n"));
    }
    if let Some(dir) = cwd {
        out.push_str(&format!("cd '{}'\n", dir.display()));
    }
    out.push_str(&format!("{func}\n\n# cleanup\nret=$?\nexit $ret\n"));
    Ok(out)
}

fn run_shell(
    d: &DataStore,
    task: &str,
    func: &str,
    cwd: Option<&Path>,
    log: &mut std::fs::File,
    taskhash: &str,
) -> Result<Usage, String> {
    use std::os::unix::fs::PermissionsExt as _;
    let (log_path, _) = log_paths(d, task)?;
    let tdir = log_path.parent().map(Path::to_path_buf).unwrap_or_default();
    let script = run_script(d, task, func, cwd, taskhash)?;
    let pid = std::process::id();
    let run = tdir.join(format!("run.{func}.{pid}"));
    fs_err::write(&run, script).map_err(|e| e.to_string())?;
    let _ = std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o775));
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
        crate::runner::run(&run, cwd, &log_path)
    };
    let (status, usage) = match ran {
        Some(r) => r.map_err(|e| format!("running {}: {e}", run.display()))?,
        None => {
            let out = log.try_clone().map_err(|e| e.to_string())?;
            let err = log.try_clone().map_err(|e| e.to_string())?;
            let mut cmd = std::process::Command::new("/bin/sh");
            cmd.arg(&run)
                .stdin(std::process::Stdio::null())
                .stdout(out)
                .stderr(err)
                .env_clear();
            if let Some(dir) = cwd {
                cmd.current_dir(dir);
            }
            let child = cmd
                .spawn()
                .map_err(|e| format!("cannot run {}: {e}", run.display()))?;
            crate::rusage::wait_with_usage(child.id())
                .map_err(|e| format!("waiting for {func}: {e}"))?
        }
    };
    if status.success() {
        Ok(usage)
    } else {
        let how = match status.code() {
            Some(c) => format!("exit code {c}"),
            None => "a signal".to_owned(),
        };
        Err(format!(
            "Execution of '{}' failed with {how}",
            run.display()
        ))
    }
}
