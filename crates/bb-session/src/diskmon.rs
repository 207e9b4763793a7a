//! BitBake's disk space monitor while the run queue runs: BB_DISKMON_DIRS entries
//! `ACTION,DIR,SPACE[,INODES]` (`HALT`, `STOPTASKS`, `WARN`; `ABORT` is the old name of
//! `HALT`; sizes with an optional `G`/`M`/`K`) and BB_DISKMON_WARNINTERVAL (`SPACE,INODES`
//! of free space lost between two warnings; default 50M and 5K).
//!
//! A malformed value is an error, worded as BitBake's, and leaves the monitor off (the
//! build goes on). Every check (each BB_HEARTBEAT_EVENT seconds, as BitBake checks on
//! its heartbeat) warns of a directory whose filesystem has less free space or inodes
//! than asked, again each time another interval's worth is gone; `STOPTASKS` then stops
//! the build (no new task starts, running tasks end), `HALT` stops it and kills the
//! running tasks (SIGTERM to each task's process group, as BitBake's worker). Each check
//! also gives what BitBake's `DiskFull` and `MonitorDiskEvent` carry, for the
//! configuration's handlers (`rqevents.rs` fires them). This module owns the parsing,
//! the checks and [`act`]; the events are the caller's.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use bb_runqueue::StopTasks;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use bb_cooker::providers::Level;
use bb_data::DataStore;
use bb_pyexpr::EventAttr::{Object, Str};

use crate::Observer;

/// What a directory's entry does when its filesystem runs low.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Stop at once.
    Halt,
    /// Start no new task.
    StopTasks,
    /// Only warn.
    Warn,
}

/// One watched directory.
#[derive(Debug)]
struct Watch {
    path: PathBuf,
    action: Action,
    /// The device mounted where the directory's filesystem is (`None` as Python prints
    /// it when `/proc/mounts` does not say).
    dev: String,
    min_space: Option<u64>,
    min_inodes: Option<u64>,
    /// Free space and inodes at the last warning (0: none yet).
    warned_space: u64,
    warned_inodes: u64,
    /// The action was taken.
    acted: bool,
}

/// The disk space monitor of a build.
#[derive(Debug)]
pub(crate) struct DiskMonitor {
    watches: Vec<Watch>,
    space_interval: u64,
    inode_interval: u64,
}

/// BitBake's `convertGMK`: a positive number with an optional `G`/`M`/`K` (any case)
/// and at most one trailing blank.
fn size(text: &str) -> Option<u64> {
    let t = text.strip_suffix([' ', '\t', '\n']).unwrap_or(text);
    let (digits, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], Some(c.to_ascii_lowercase())),
        _ => (t, None),
    };
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    let scale = match unit {
        None => 1,
        Some('k') => 1024,
        Some('m') => 1024 * 1024,
        Some('g') => 1024 * 1024 * 1024,
        Some(_) => return None,
    };
    n.checked_mul(scale)
}

/// BitBake's error for a value it cannot use, with its second line.
fn disabled(info: &str) -> (Level, String) {
    (
        Level::Error,
        format!("{info}\n       Disk space monitor will NOT be enabled"),
    )
}

/// The device mounted at the mount point of `path`'s filesystem, from `/proc/mounts`.
fn mounted_dev(path: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt as _;
    let dev = fs_err::metadata(path).ok()?.dev();
    let mut mount = path;
    while let Some(parent) = mount.parent() {
        if fs_err::metadata(parent).ok()?.dev() != dev {
            break;
        }
        mount = parent;
    }
    let mounts = fs_err::read_to_string("/proc/mounts").ok()?;
    let mount = mount.to_str()?;
    mounts.lines().find_map(|l| {
        let mut f = l.split_whitespace();
        let (d, m) = (f.next()?, f.next()?);
        (m == mount).then(|| d.to_owned())
    })
}

impl DiskMonitor {
    /// The monitor `config` asks for, with what BitBake logs while reading it; `None`
    /// when BB_DISKMON_DIRS is unset or a value is malformed (then with the error).
    pub(crate) fn from_config(config: &DataStore) -> (Option<DiskMonitor>, Vec<(Level, String)>) {
        let mut said = Vec::new();
        let get = |v: &str| config.get_var(v).ok().flatten().unwrap_or_default();
        let dirs = get("BB_DISKMON_DIRS");
        let mut watches: Vec<Watch> = Vec::new();
        for entry in dirs.split_whitespace() {
            let Some((action, rest)) = entry.split_once(',') else {
                said.push(disabled(&format!(
                    "Invalid value in BB_DISKMON_DIRS: {entry}"
                )));
                return (None, said);
            };
            let Some((dir, rest)) = rest.split_once(',') else {
                said.push(disabled(&format!(
                    "Invalid value in BB_DISKMON_DIRS: {entry}"
                )));
                return (None, said);
            };
            let (space, inodes) = rest.split_once(',').unwrap_or((rest, ""));
            let action = match action {
                "ABORT" => {
                    let w = "The BB_DISKMON_DIRS \"ABORT\" action has been renamed to \"HALT\", update configuration";
                    if !said.iter().any(|(_, s)| s == w) {
                        said.push((Level::Warning, w.to_owned()));
                    }
                    Action::Halt
                }
                "HALT" => Action::Halt,
                "STOPTASKS" => Action::StopTasks,
                "WARN" => Action::Warn,
                other => {
                    said.push(disabled(&format!(
                        "Unknown disk space monitor action: {other}"
                    )));
                    return (None, said);
                }
            };
            if dir.is_empty() {
                said.push(disabled(&format!(
                    "Invalid path value in BB_DISKMON_DIRS: {entry}"
                )));
                return (None, said);
            }
            // An empty field sets no limit; `None`: a value `size` cannot read.
            let limit = |v: &str| {
                if v.is_empty() {
                    Some(None)
                } else {
                    size(v).map(Some)
                }
            };
            let Some(min_space) = limit(space) else {
                said.push(disabled(&format!(
                    "Invalid disk space value in BB_DISKMON_DIRS: {space}"
                )));
                return (None, said);
            };
            let Some(min_inodes) = limit(inodes) else {
                said.push(disabled(&format!(
                    "Invalid inode value in BB_DISKMON_DIRS: {inodes}"
                )));
                return (None, said);
            };
            if min_space.is_none() && min_inodes.is_none() {
                said.push(disabled(&format!(
                    "No disk space or inode value in found BB_DISKMON_DIRS: {entry}"
                )));
                return (None, said);
            }
            // As BitBake: the directory is made when missing.
            if let Err(e) = fs_err::create_dir_all(dir) {
                said.push(disabled(&format!("BB_DISKMON_DIRS: {e}")));
                return (None, said);
            }
            let path = fs_err::canonicalize(dir).unwrap_or_else(|_| PathBuf::from(dir));
            let dev = mounted_dev(&path).unwrap_or_else(|| "None".to_owned());
            let watch = Watch {
                path,
                action,
                dev,
                min_space,
                min_inodes,
                warned_space: 0,
                warned_inodes: 0,
                acted: false,
            };
            // One entry per directory and action: a later one replaces it in place.
            match watches
                .iter_mut()
                .find(|w| w.path == watch.path && w.action == watch.action)
            {
                Some(w) => *w = watch,
                None => watches.push(watch),
            }
        }
        if watches.is_empty() {
            return (None, said);
        }
        let interval = get("BB_DISKMON_WARNINTERVAL");
        let (mut space_interval, mut inode_interval) = (50 * 1024 * 1024, 5 * 1024);
        if !interval.is_empty() {
            let (s, i) = interval.split_once(',').unwrap_or((&interval, ""));
            let i = i.trim_start();
            if !s.is_empty() {
                let Some(n) = size(s) else {
                    said.push(disabled(&format!(
                        "Invalid disk space interval value in BB_DISKMON_WARNINTERVAL: {s}"
                    )));
                    return (None, said);
                };
                space_interval = n;
            }
            if !i.is_empty() {
                let Some(n) = size(i) else {
                    said.push(disabled(&format!(
                        "Invalid disk inode interval value in BB_DISKMON_WARNINTERVAL: {i}"
                    )));
                    return (None, said);
                };
                inode_interval = n;
            }
        }
        let monitor = DiskMonitor {
            watches,
            space_interval,
            inode_interval,
        };
        (Some(monitor), said)
    }

    /// One check of every directory: what to log, the action to take now
    /// (`STOPTASKS` or `HALT`, once per entry), if any, and what the events carry.
    pub(crate) fn check(&mut self) -> Check {
        let mut said = Vec::new();
        let mut act = None;
        let mut full = Vec::new();
        let mut usage = serde_json::Map::new();
        for w in &mut self.watches {
            let Ok(st) = nix_statvfs(&w.path) else {
                continue;
            };
            let free_space = st.bavail.saturating_mul(st.frsize);
            usage.insert(
                w.dev.clone(),
                serde_json::json!([
                    free_space,
                    st.bfree.saturating_mul(st.frsize),
                    st.blocks.saturating_mul(st.frsize)
                ]),
            );
            let acted = w.acted;
            let mut low = |free: u64, warned: &mut u64, interval: u64, text: String| {
                if *warned == 0 || (warned.saturating_sub(free) > interval && !acted) {
                    said.push((Level::Warning, text));
                    *warned = free;
                }
            };
            // What ran low first ("disk" or "inode") and what is left of it.
            let mut ran_low: Option<(&'static str, u64)> = None;
            if w.min_space.is_some_and(|m| free_space < m) {
                #[expect(clippy::cast_precision_loss, reason = "a size shown in GB")]
                let gb = free_space as f64 / 1024.0 / 1024.0 / 1024.0;
                low(
                    free_space,
                    &mut w.warned_space,
                    self.space_interval,
                    format!(
                        "The free space of {} ({}) is running low ({gb:.3}GB left)",
                        w.path.display(),
                        w.dev
                    ),
                );
                ran_low = Some(("disk", free_space));
            }
            if w.min_inodes.is_some_and(|m| st.favail < m) {
                if st.files == 0 {
                    w.min_inodes = None;
                } else {
                    #[expect(clippy::cast_precision_loss, reason = "a count shown in K")]
                    let k = st.favail as f64 / 1024.0;
                    low(
                        st.favail,
                        &mut w.warned_inodes,
                        self.inode_interval,
                        format!(
                            "The free inode of {} ({}) is running low ({k:.3}K left)",
                            w.path.display(),
                            w.dev
                        ),
                    );
                    ran_low = ran_low.or(Some(("inode", st.favail)));
                }
            }
            if let Some((kind, free)) = ran_low.filter(|_| !w.acted && w.action != Action::Warn) {
                w.acted = true;
                let (name, what) = match w.action {
                    Action::Halt => ("HALT", "Immediately halt"),
                    _ => ("STOPTASKS", "No new tasks can be executed"),
                };
                said.push((
                    Level::Error,
                    format!("{what} since the disk space monitor action is \"{name}\"!"),
                ));
                act = Some(match (act, w.action) {
                    (Some(Action::Halt), _) | (_, Action::Halt) => Action::Halt,
                    _ => Action::StopTasks,
                });
                full.push(
                    bb_pyexpr::Event::new("bb.event.DiskFull")
                        .with("_dev", Str(w.dev.clone()))
                        .with("_type", Str(kind.to_owned()))
                        .with("_free", Object(free.to_string()))
                        .with("_mountpoint", Str(w.path.display().to_string())),
                );
            }
        }
        let usage = bb_pyexpr::Event::new("bb.event.MonitorDiskEvent").with(
            "disk_usage",
            Object(serde_json::Value::Object(usage).to_string()),
        );
        Check {
            said,
            act,
            full,
            usage,
        }
    }
}

/// What one check of the disks found.
pub(crate) struct Check {
    /// What to log.
    pub(crate) said: Vec<(Level, String)>,
    /// The action to take now, if any.
    pub(crate) act: Option<Action>,
    /// A `bb.event.DiskFull` per entry whose action was taken now.
    pub(crate) full: Vec<bb_pyexpr::Event>,
    /// The `bb.event.MonitorDiskEvent` of the check.
    pub(crate) usage: bb_pyexpr::Event,
}

/// Logs what `check` found to `obs` and takes its action: `STOPTASKS` stops the run
/// queue; `HALT` stops it and sets `cancel`, which kills the running tasks (SIGTERM to
/// each task's process group), saying so as BitBake's worker does.
pub(crate) fn act(check: &Check, (stop, cancel): (&StopTasks, &AtomicBool), obs: &dyn Observer) {
    for (level, text) in &check.said {
        obs.log(*level, text);
    }
    match check.act {
        Some(Action::Halt) => {
            let running = stop.running();
            stop.halt();
            cancel.store(true, Ordering::SeqCst);
            if running > 0 {
                obs.log(
                    Level::Note,
                    &format!("Sending SIGTERM to remaining {running} tasks"),
                );
            }
        }
        Some(Action::StopTasks) => stop.stop(),
        Some(Action::Warn) | None => {}
    }
}

/// Runs `run` (the run queue) with `monitor` checking the disks every `every` in a
/// thread of its own, what it finds going to [`act`] (when no handler of the
/// configuration listens to the run queue's events; otherwise `rqevents.rs` checks on
/// its heartbeat). Without a monitor, `run` alone.
pub(crate) fn watch_while<R>(
    monitor: Option<DiskMonitor>,
    every: Duration,
    flags: (&StopTasks, &AtomicBool),
    obs: &dyn Observer,
    run: impl FnOnce() -> R,
) -> R {
    let Some(mut monitor) = monitor else {
        return run();
    };
    let (done, ended) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = ended.recv_timeout(every) {
                act(&monitor.check(), flags, obs);
            }
        });
        let result = run();
        drop(done);
        result
    })
}

/// What `statvfs` says of a filesystem.
struct FsStat {
    bavail: u64,
    bfree: u64,
    blocks: u64,
    frsize: u64,
    favail: u64,
    files: u64,
}

#[expect(unsafe_code, reason = "statvfs(3)")]
fn nix_statvfs(path: &Path) -> std::io::Result<FsStat> {
    use std::os::unix::ffi::OsStrExt as _;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    // SAFETY: a zeroed statvfs is a valid value for statvfs(3) to fill in.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` is valid for writes.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(FsStat {
        bavail: st.f_bavail,
        bfree: st.f_bfree,
        blocks: st.f_blocks,
        frsize: st.f_frsize,
        favail: st.f_favail,
        files: st.f_files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_bitbake_reads_them() {
        assert_eq!(size("1G"), Some(1 << 30));
        assert_eq!(size("100K"), Some(102_400));
        assert_eq!(size("2m "), Some(2 << 20));
        assert_eq!(size("7"), Some(7));
        for bad in ["", "0", "01G", "1X", "G", "1.5G", " 1G"] {
            assert_eq!(size(bad), None, "{bad:?}");
        }
    }

    fn monitor(dirs: &str, interval: &str) -> (Option<DiskMonitor>, Vec<(Level, String)>) {
        let mut d = DataStore::new();
        d.set_var("BB_DISKMON_DIRS", dirs);
        if !interval.is_empty() {
            d.set_var("BB_DISKMON_WARNINTERVAL", interval);
        }
        DiskMonitor::from_config(&d)
    }

    #[test]
    fn malformed_values_leave_the_monitor_off() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().display();
        for (dirs, interval, msg) in [
            (
                "STOPTASKS,/x".to_owned(),
                "",
                "Invalid value in BB_DISKMON_DIRS: STOPTASKS,/x",
            ),
            (
                format!("STOP,{p},1G"),
                "",
                "Unknown disk space monitor action: STOP",
            ),
            (
                format!("WARN,{p},1X,1K"),
                "",
                "Invalid disk space value in BB_DISKMON_DIRS: 1X",
            ),
            (
                format!("WARN,{p},1G,0"),
                "",
                "Invalid inode value in BB_DISKMON_DIRS: 0",
            ),
            (
                format!("WARN,{p},,"),
                "",
                "No disk space or inode value in found BB_DISKMON_DIRS: WARN,",
            ),
            (
                format!("WARN,{p},1G"),
                "5X",
                "Invalid disk space interval value in BB_DISKMON_WARNINTERVAL: 5X",
            ),
        ] {
            let (m, said) = monitor(&dirs, interval);
            assert!(m.is_none(), "{dirs}");
            assert_eq!(said.len(), 1, "{said:?}");
            assert!(said[0].1.starts_with(msg), "{said:?}");
            assert!(
                said[0]
                    .1
                    .ends_with("\n       Disk space monitor will NOT be enabled")
            );
        }
    }

    #[test]
    fn a_low_filesystem_warns_then_acts_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().display();
        let (m, said) = monitor(&format!("ABORT,{p},100000000G"), "");
        assert_eq!(
            said[0].1,
            "The BB_DISKMON_DIRS \"ABORT\" action has been renamed to \"HALT\", update configuration"
        );
        let mut m = m.unwrap();
        let c = m.check();
        assert_eq!(c.act, Some(Action::Halt));
        assert!(c.said[0].1.contains("is running low ("), "{:?}", c.said);
        assert_eq!(
            c.said[1].1,
            "Immediately halt since the disk space monitor action is \"HALT\"!"
        );
        assert_eq!(c.full.len(), 1);
        // Acted once; no second warning while the free space holds.
        let c = m.check();
        assert!(c.said.is_empty() && c.act.is_none(), "{:?}", c.said);
        assert!(c.full.is_empty());
    }
}
