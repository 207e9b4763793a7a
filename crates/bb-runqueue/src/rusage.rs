//! Waiting for a child with its own resource usage (`wait4`), so that each task's CPU
//! time and block I/O are its own even when tasks run in parallel.
#![allow(unsafe_code)]

use bb_events::Usage;

/// Waits for process `pid`; returns its exit status (as `std` reports it) and usage.
/// Retries on EINTR.
pub(crate) fn wait_with_usage(pid: u32) -> std::io::Result<(std::process::ExitStatus, Usage)> {
    use std::os::unix::process::ExitStatusExt as _;
    let pid = libc::pid_t::try_from(pid)
        .map_err(|_| std::io::Error::other(format!("process id {pid} out of range")))?;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `ru` are valid, exclusively borrowed out-parameters for
        // the duration of the call; `pid` is a child of this process that nobody else
        // waits for (the caller spawned it and does not use `Child::wait`).
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    let usage = Usage {
        elapsed: 0.0,
        cpu_user: secs(ru.ru_utime),
        cpu_system: secs(ru.ru_stime),
        disk_read: u64::try_from(ru.ru_inblock).unwrap_or(0) * 512,
        disk_write: u64::try_from(ru.ru_oublock).unwrap_or(0) * 512,
    };
    Ok((std::process::ExitStatus::from_raw(status), usage))
}

/// Survives SIGINT in this process: a handler that does nothing (unlike SIG_IGN, a
/// handler is reset to the default action in children when they execute their
/// program, so the tasks still stop on Ctrl-C).
pub(crate) fn ignore_interrupts() {
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
