//! Shell tasks without `[network]` run without network access, as in BitBake: in a
//! network namespace holding only a loopback interface. Making a namespace per task
//! costs milliseconds, and joining one from bake (a large process) means forking it, so
//! a small helper does it instead: bake starts itself once as a task runner inside a new
//! namespace (`unshare --net [--map-current-user] -- BAKE --task-runner`), and sends it
//! each such task; the runner starts the shell (cheaply: it is small), waits for it with
//! its own resource usage, and answers.
//!
//! Protocol, one line each way: `ID\tCWD\tLOG\tNICE\tIONICE\tSCRIPT` (CWD, NICE and
//! IONICE may be empty; IONICE is `CLASS.PRIORITY`, see `priority.rs`); the answer
//! `ID\tSTATUS\tUSER_S\tSYS_S\tREAD_BYTES\tWRITE_BYTES` (STATUS is the raw wait status,
//! or `-1` when the shell could not be started).

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Mutex, OnceLock};

use bb_events::Usage;

/// The command line that starts the runner (set by the binary, see
/// [`set_runner_command`]); without it, every task runs with the host's network.
static COMMAND: OnceLock<Vec<String>> = OnceLock::new();

/// Tells the run queue how to start the task runner: the program and arguments that
/// make it run [`runner_main`] (for `bake`: its own executable and `--task-runner`).
pub fn set_runner_command(cmd: Vec<String>) {
    let _ = COMMAND.set(cmd);
}

struct Client {
    stdin: Mutex<std::process::ChildStdin>,
    pending: Mutex<HashMap<u64, Sender<(i32, Usage)>>>,
    next: Mutex<u64>,
    _child: Mutex<std::process::Child>,
}

/// Starts, once, the thread that hands the runner's answers to the waiting tasks.
fn start_reader() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        std::thread::spawn(|| {
            let Some(reader) = take_reader() else { return };
            for line in reader.lines() {
                let Ok(line) = line else { break };
                let f: Vec<&str> = line.split('\t').collect();
                if f.len() != 6 {
                    continue;
                }
                let (Ok(id), Ok(status)) = (f[0].parse::<u64>(), f[1].parse::<i32>()) else {
                    continue;
                };
                let usage = Usage {
                    elapsed: 0.0,
                    cpu_user: f[2].parse().unwrap_or(0.0),
                    cpu_system: f[3].parse().unwrap_or(0.0),
                    disk_read: f[4].parse().unwrap_or(0),
                    disk_write: f[5].parse().unwrap_or(0),
                };
                if let Some(c) = CLIENT_REF.get()
                    && let Some(tx) = c.pending.lock().ok().and_then(|mut p| p.remove(&id))
                {
                    let _ = tx.send((status, usage));
                }
            }
            // The runner is gone: nothing will answer the tasks still waiting.
            if let Some(c) = CLIENT_REF.get() {
                if let Ok(mut p) = c.pending.lock() {
                    p.clear();
                }
                if let Ok(mut dead) = DEAD.lock() {
                    *dead = true;
                }
            }
        });
    });
}

// The client's reader half is moved to the reader thread on first use.
static READER: Mutex<Option<BufReader<std::process::ChildStdout>>> = Mutex::new(None);
static CLIENT_REF: OnceLock<&'static Client> = OnceLock::new();
static DEAD: Mutex<bool> = Mutex::new(false);

fn take_reader() -> Option<BufReader<std::process::ChildStdout>> {
    READER.lock().ok()?.take()
}

/// Runs `script` with `/bin/sh` in the runner (no network), output appended to `log`;
/// `None` when there is no runner (the caller runs the task itself).
pub(crate) fn run(
    script: &Path,
    cwd: Option<&Path>,
    log: &Path,
    prio: &crate::priority::TaskPriority,
) -> Option<std::io::Result<(std::process::ExitStatus, Usage)>> {
    let c = runner()?;
    if DEAD.lock().map(|d| *d).unwrap_or(true) {
        return Some(Err(std::io::Error::other("the task runner ended")));
    }
    let (tx, rx) = channel();
    let id = {
        let mut n = c.next.lock().ok()?;
        *n += 1;
        *n
    };
    c.pending.lock().ok()?.insert(id, tx);
    let line = format!(
        "{id}\t{}\t{}\t{}\t{}\t{}\n",
        cwd.map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
        log.display(),
        prio.nice.map(|n| n.to_string()).unwrap_or_default(),
        prio.ionice
            .map(|(c, p)| format!("{c}.{p}"))
            .unwrap_or_default(),
        script.display()
    );
    if let Err(e) = c.stdin.lock().ok()?.write_all(line.as_bytes()) {
        return Some(Err(e));
    }
    Some(match rx.recv() {
        Ok((status, usage)) if status >= 0 => {
            use std::os::unix::process::ExitStatusExt as _;
            Ok((std::process::ExitStatus::from_raw(status), usage))
        }
        Ok(_) => Err(std::io::Error::other(
            "the task runner could not start /bin/sh",
        )),
        Err(_) => Err(std::io::Error::other("the task runner ended")),
    })
}

/// The shells running now (process ids; 0 is a free slot), in bake or in the runner:
/// what Ctrl-C sent to this process alone must stop. A fixed table, so that a signal
/// handler can read it.
static SHELLS: [AtomicI32; 256] = [const { AtomicI32::new(0) }; 256];

/// Holds a slot of [`SHELLS`] while its shell runs.
pub(crate) struct ShellSlot(Option<usize>);

impl Drop for ShellSlot {
    fn drop(&mut self) {
        if let Some(i) = self.0 {
            SHELLS[i].store(0, Ordering::SeqCst);
        }
    }
}

/// Records running shell `pid` until the returned slot is dropped (a shell beyond the
/// table's size is not recorded: it still gets the terminal's Ctrl-C).
pub(crate) fn track_shell(pid: u32) -> ShellSlot {
    let Ok(pid) = i32::try_from(pid) else {
        return ShellSlot(None);
    };
    ShellSlot(SHELLS.iter().position(|s| {
        s.compare_exchange(0, pid, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }))
}

/// SIGINT to the process group of every shell recorded in this process
/// (async-signal-safe).
#[expect(unsafe_code, reason = "kill(2) of this process's own shells")]
fn signal_shells() {
    for s in &SHELLS {
        let pid = s.load(Ordering::SeqCst);
        if pid > 0 {
            // SAFETY: kill(2) is async-signal-safe; the pid is a shell this process
            // started and has not reaped (its slot is freed after the wait), the leader
            // of its own process group (the commands it runs are in it too).
            unsafe {
                libc::kill(-pid, libc::SIGINT);
            }
        }
    }
}

/// Ctrl-C for the shells bake runs (itself and in the runner), as the terminal's
/// Ctrl-C reaching the whole process group does: for a SIGINT sent to bake alone.
#[expect(unsafe_code, reason = "kill(2) of the runner, a child of this process")]
pub(crate) fn interrupt_shells() {
    signal_shells();
    if let Some(pid) = RUNNER_PID.get().and_then(|p| i32::try_from(*p).ok()) {
        // SAFETY: the runner is this process's child for as long as it lives (it is
        // never reaped before bake ends).
        unsafe {
            libc::kill(pid, libc::SIGINT);
        }
    }
}

/// The runner's process id, once started.
static RUNNER_PID: OnceLock<u32> = OnceLock::new();

/// In the runner: SIGINT (the terminal's Ctrl-C, or bake's) is passed on to its shells,
/// and the runner stays to report how they ended.
#[expect(unsafe_code, reason = "installs a signal handler")]
fn forward_interrupts() {
    extern "C" fn forward(_: libc::c_int) {
        signal_shells();
    }
    // SAFETY: the handler only makes async-signal-safe calls.
    unsafe {
        libc::signal(
            libc::SIGINT,
            forward as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
}

/// The runner client, started on first use (with its reader thread).
fn runner() -> Option<&'static Client> {
    static INIT: OnceLock<Option<&'static Client>> = OnceLock::new();
    *INIT.get_or_init(|| {
        let cmd = COMMAND.get()?;
        for user in [false, true] {
            let mut c = std::process::Command::new("/usr/bin/unshare");
            c.arg("--net");
            if user {
                c.arg("--map-current-user");
            }
            let Ok(mut child) = c
                .arg("--")
                .args(cmd)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
            else {
                continue;
            };
            let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
                let _ = child.kill();
                let _ = child.wait();
                continue;
            };
            let _ = RUNNER_PID.set(child.id());
            let mut reader = BufReader::new(stdout);
            let mut first = String::new();
            if reader.read_line(&mut first).is_err() || first.trim() != "ready" {
                let _ = child.kill();
                let _ = child.wait();
                continue;
            }
            let client: &'static Client = Box::leak(Box::new(Client {
                stdin: Mutex::new(stdin),
                pending: Mutex::new(HashMap::new()),
                next: Mutex::new(0),
                _child: Mutex::new(child),
            }));
            let _ = CLIENT_REF.set(client);
            if let Ok(mut r) = READER.lock() {
                *r = Some(reader);
            }
            start_reader();
            return Some(client);
        }
        None
    })
}

/// The task runner's main loop (what `bake --task-runner` runs): announces itself,
/// then runs each requested script in its own thread and answers when it ends.
pub fn runner_main() -> std::process::ExitCode {
    // Ctrl-C reaches the whole process group, or bake passes it on: the tasks stop,
    // the runner stays to report how they ended (bake decides what to do).
    forward_interrupts();
    let out = std::sync::Arc::new(Mutex::new(std::io::stdout()));
    {
        let Ok(mut o) = out.lock() else {
            return std::process::ExitCode::FAILURE;
        };
        if writeln!(o, "ready").and_then(|()| o.flush()).is_err() {
            return std::process::ExitCode::FAILURE;
        }
    }
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let f: Vec<String> = line.split('\t').map(str::to_owned).collect();
        if f.len() != 6 {
            continue;
        }
        let out = std::sync::Arc::clone(&out);
        std::thread::spawn(move || {
            let (id, cwd, log, script) = (&f[0], &f[1], &f[2], &f[5]);
            let prio = crate::priority::TaskPriority {
                nice: f[3].parse().ok(),
                ionice: f[4]
                    .split_once('.')
                    .and_then(|(c, p)| Some((c.parse().ok()?, p.parse().ok()?))),
                invalid_ionice: None,
            };
            let answer = match spawn_shell(script, cwd, log, &prio) {
                Ok((status, u)) => format!(
                    "{id}\t{status}\t{}\t{}\t{}\t{}\n",
                    u.cpu_user, u.cpu_system, u.disk_read, u.disk_write
                ),
                Err(_) => format!("{id}\t-1\t0\t0\t0\t0\n"),
            };
            if let Ok(mut o) = out.lock() {
                let _ = o.write_all(answer.as_bytes());
                let _ = o.flush();
            }
        });
    }
    std::process::ExitCode::SUCCESS
}

fn spawn_shell(
    script: &str,
    cwd: &str,
    log: &str,
    prio: &crate::priority::TaskPriority,
) -> std::io::Result<(i32, Usage)> {
    use std::os::unix::process::ExitStatusExt as _;
    let logf = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    let mut cmd = std::process::Command::new("/bin/sh");
    cmd.arg(script)
        .stdin(std::process::Stdio::null())
        .stdout(logf.try_clone()?)
        .stderr(logf)
        .env_clear();
    // A process group of its own, as BitBake's task children have a session of their
    // own: Ctrl-C reaches it through the runner (see `forward_interrupts`).
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    if !cwd.is_empty() {
        cmd.current_dir(cwd);
    }
    prio.set_on(&mut cmd);
    let child = cmd.spawn()?;
    let _slot = track_shell(child.id());
    let (status, usage) = crate::rusage::wait_with_usage(child.id())?;
    Ok((status.into_raw(), usage))
}
