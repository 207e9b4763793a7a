//! Resource usage of a task, its own even when tasks run in parallel: a child waited
//! for with `wait4` (its CPU time and block I/O, with those of its own children), and
//! the work a worker thread does in-process (`getrusage(RUSAGE_THREAD)` before and
//! after: native task functions, run scripts, logs).
//!
//! The processes a native task function starts itself (`git`, `patch`) are reaped by
//! whoever started them, so only the process's children total (`RUSAGE_CHILDREN`)
//! sees them: a native call counts its growth, minus what [`wait_with_usage`] reaped
//! meanwhile for the shells of other tasks, when no other native call overlapped it
//! (then nothing tells whose children were whose, and only the thread's own usage is
//! counted).
#![expect(
    unsafe_code,
    reason = "wait4, waitid, getrusage and signal have no safe std wrapper"
)]

use std::sync::Mutex;

use bb_events::Usage;

/// The children [`wait_with_usage`] reaped, in total, and the native calls in flight.
struct Ledger {
    reaped: Usage,
    /// Native calls running now.
    in_flight: usize,
    /// Bumped by every native call that starts: a call that sees it move was not alone.
    starts: u64,
}

static LEDGER: Mutex<Ledger> = Mutex::new(Ledger {
    reaped: Usage {
        elapsed: 0.0,
        cpu_user: 0.0,
        cpu_system: 0.0,
        disk_read: 0,
        disk_write: 0,
    },
    in_flight: 0,
    starts: 0,
});

fn ledger() -> std::sync::MutexGuard<'static, Ledger> {
    LEDGER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Waits for process `pid`; returns its exit status (as `std` reports it) and usage.
/// Retries on EINTR. The child is reaped with the ledger held, so that a native call's
/// reading of the process's children total and of what was reaped here agree.
pub(crate) fn wait_with_usage(pid: u32) -> std::io::Result<(std::process::ExitStatus, Usage)> {
    use std::os::unix::process::ExitStatusExt as _;
    let pid = libc::pid_t::try_from(pid)
        .map_err(|_| std::io::Error::other(format!("process id {pid} out of range")))?;
    let id = libc::id_t::try_from(pid)
        .map_err(|_| std::io::Error::other(format!("process id {pid} out of range")))?;
    // Wait for the end without reaping (that may take long: the ledger is not held).
    loop {
        // SAFETY: an all-zero siginfo_t is a valid value of this plain C struct.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a valid, exclusively borrowed out-parameter for the call;
        // WNOWAIT leaves the child to be reaped below.
        let r = unsafe { libc::waitid(libc::P_PID, id, &mut info, libc::WEXITED | libc::WNOWAIT) };
        if r == 0 {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    let mut ledger = ledger();
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `ru` are valid, exclusively borrowed out-parameters for
        // the duration of the call; `pid` is a child of this process that nobody else
        // waits for (the caller spawned it and does not use `Child::wait`), and it has
        // ended, so this does not block.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    let usage = from_rusage(&ru);
    add(&mut ledger.reaped, &usage);
    Ok((std::process::ExitStatus::from_raw(status), usage))
}

/// The process's children total so far (ended and reaped children).
fn children_usage() -> Usage {
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, exclusively borrowed out-parameter for the call.
    let r = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    if r == 0 {
        from_rusage(&ru)
    } else {
        Usage::default()
    }
}

/// A native call being measured (see the module docs): [`native_begin`], then
/// [`native_end`].
pub(crate) struct NativeCall {
    alone: bool,
    starts: u64,
    children: Usage,
    reaped: Usage,
}

/// A native task function starts.
pub(crate) fn native_begin() -> NativeCall {
    let mut l = ledger();
    let alone = l.in_flight == 0;
    l.in_flight += 1;
    l.starts += 1;
    NativeCall {
        alone,
        starts: l.starts,
        children: children_usage(),
        reaped: l.reaped,
    }
}

/// The native call ended: what the processes it started used, when that can be told
/// (no other native call overlapped it).
pub(crate) fn native_end(call: NativeCall) -> Option<Usage> {
    let mut l = ledger();
    l.in_flight = l.in_flight.saturating_sub(1);
    if !call.alone || l.starts != call.starts {
        return None;
    }
    let grown = since(&call.children, &children_usage());
    let reaped = since(&call.reaped, &l.reaped);
    Some(since(&reaped, &grown))
}

/// A `getrusage`/`wait4` reading as [`Usage`] (elapsed left at zero).
pub fn from_rusage(ru: &libc::rusage) -> Usage {
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    Usage {
        elapsed: 0.0,
        cpu_user: secs(ru.ru_utime),
        cpu_system: secs(ru.ru_stime),
        disk_read: u64::try_from(ru.ru_inblock).unwrap_or(0) * 512,
        disk_write: u64::try_from(ru.ru_oublock).unwrap_or(0) * 512,
    }
}

/// What the calling thread has used so far (CPU time, block I/O); zero when the
/// system cannot say.
pub(crate) fn thread_usage() -> Usage {
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, exclusively borrowed out-parameter for the call.
    let r = unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) };
    if r == 0 {
        from_rusage(&ru)
    } else {
        Usage::default()
    }
}

/// `a + b`, field by field (elapsed included).
pub(crate) fn add(a: &mut Usage, b: &Usage) {
    a.elapsed += b.elapsed;
    a.cpu_user += b.cpu_user;
    a.cpu_system += b.cpu_system;
    a.disk_read += b.disk_read;
    a.disk_write += b.disk_write;
}

/// What a thread used between two readings of [`thread_usage`].
pub(crate) fn since(before: &Usage, after: &Usage) -> Usage {
    Usage {
        elapsed: 0.0,
        cpu_user: (after.cpu_user - before.cpu_user).max(0.0),
        cpu_system: (after.cpu_system - before.cpu_system).max(0.0),
        disk_read: after.disk_read.saturating_sub(before.disk_read),
        disk_write: after.disk_write.saturating_sub(before.disk_write),
    }
}

/// Survives SIGINT in this process: a handler that does nothing (unlike SIG_IGN, a
/// handler is reset to the default action in children when they execute their
/// program, so the tasks still stop on Ctrl-C).
pub fn ignore_interrupts() {
    extern "C" fn nothing(_: libc::c_int) {}
    // SAFETY: the handler is async-signal-safe (it does nothing); installing it has no
    // other precondition.
    unsafe {
        libc::signal(
            libc::SIGINT,
            nothing as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
}
