//! What metadata Python may learn from the machine it runs on: the clock (`time.time()`),
//! whether paths exist (`os.path.exists`, `bb.utils.which`) and the working directory.
//!
//! The evaluator asks [`Context::host`](crate::Context::host), which by default returns the
//! process-wide host given to [`set_host`]. Without a host, these calls need Python: a library
//! user (and every test) gets no I/O unless it asks for it.

use std::sync::{Arc, RwLock};

/// What the file system says about one path (`os.stat` and `os.lstat`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PathInfo {
    /// `os.path.exists`: the path (after following symbolic links) exists.
    pub exists: bool,
    /// `os.path.isfile`: a regular file (after following symbolic links).
    pub is_file: bool,
    /// `os.path.isdir`: a directory (after following symbolic links).
    pub is_dir: bool,
    /// `os.path.islink`: the path itself is a symbolic link.
    pub is_link: bool,
}

/// The machine metadata Python runs on.
pub trait Host: Send + Sync {
    /// `time.time()`: seconds since the Unix epoch.
    fn now(&self) -> f64;
    /// What `os.stat`/`os.lstat` report for `path` (relative paths are relative to
    /// [`Host::cwd`]).
    fn path_info(&self, path: &str) -> PathInfo;
    /// `os.getcwd()`; `None` when it cannot be represented as text.
    fn cwd(&self) -> Option<String>;
    /// The text of a file (for the helpers that read small files, such as the metadata's
    /// git branch); `None` when it cannot be read as UTF-8 text.
    fn read_to_string(&self, path: &str) -> Option<String>;
    /// `os.getuid()`, `os.getgid()` and `os.getpid()`, when known.
    fn ids(&self) -> Option<ProcessIds>;
    /// The environment the build tool was started with (BitBake's `BB_ORIGENV`), as
    /// `(name, value)` pairs; `None` when unknown.
    fn original_env(&self) -> Option<Vec<(String, String)>> {
        None
    }
    /// `os.path.isfile(path) and os.access(path, os.X_OK)`; `None` when unknown.
    fn is_executable(&self, path: &str) -> Option<bool> {
        let _ = path;
        None
    }
    /// `len(os.sched_getaffinity(0))`: the CPUs this process may run on; `None` when
    /// unknown.
    fn cpu_count(&self) -> Option<usize> {
        None
    }
    /// The target of symbolic link `path` (`os.readlink`); `Some(None)` when `path` is not a
    /// symbolic link, `None` when unknown.
    fn read_link(&self, path: &str) -> Option<Option<String>> {
        let _ = path;
        None
    }
    /// The names in directory `path` (`os.scandir` order, without `.` and `..`);
    /// `Some(None)` when it cannot be listed (`OSError`), `None` when unknown (also when
    /// a name is not text).
    fn read_dir(&self, path: &str) -> Option<Option<Vec<String>>> {
        let _ = path;
        None
    }
}

/// The identities of the running process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessIds {
    /// The real user id (`os.getuid()`).
    pub uid: u32,
    /// The real group id (`os.getgid()`).
    pub gid: u32,
    /// The process id (`os.getpid()`).
    pub pid: u32,
}

/// The machine this process runs on.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemHost;

impl Host for SystemHost {
    fn now(&self) -> f64 {
        match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => d.as_secs_f64(),
            Err(e) => -e.duration().as_secs_f64(),
        }
    }

    fn path_info(&self, path: &str) -> PathInfo {
        // Python raises for an embedded NUL; `exists()` and friends then answer False.
        if path.contains('\0') {
            return PathInfo::default();
        }
        let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        match std::fs::metadata(path) {
            Ok(m) => PathInfo {
                exists: true,
                is_file: m.is_file(),
                is_dir: m.is_dir(),
                is_link,
            },
            Err(_) => PathInfo {
                is_link,
                ..PathInfo::default()
            },
        }
    }

    fn read_to_string(&self, path: &str) -> Option<String> {
        std::fs::read_to_string(path).ok()
    }

    fn ids(&self) -> Option<ProcessIds> {
        // Linux: the first (real) id of the `Uid:` and `Gid:` lines.
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let real = |key: &str| -> Option<u32> {
            let line = status.lines().find(|l| l.starts_with(key))?;
            line.get(key.len()..)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        };
        Some(ProcessIds {
            uid: real("Uid:")?,
            gid: real("Gid:")?,
            pid: std::process::id(),
        })
    }

    fn original_env(&self) -> Option<Vec<(String, String)>> {
        Some(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        )
    }

    fn is_executable(&self, path: &str) -> Option<bool> {
        use std::os::unix::fs::MetadataExt;
        if path.contains('\0') {
            return Some(false);
        }
        let Ok(m) = std::fs::metadata(path) else {
            return Some(false);
        };
        if !m.is_file() {
            return Some(false);
        }
        // access(2) with the real ids: root may execute a file with any execute bit.
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let field = |key: &str| -> Vec<u32> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|r| {
                    r.split_whitespace()
                        .filter_map(|w| w.parse().ok())
                        .collect()
                })
                .unwrap_or_default()
        };
        let uid = *field("Uid:").first()?;
        let gid = *field("Gid:").first()?;
        let groups = field("Groups:");
        let mode = m.mode();
        Some(if uid == 0 {
            mode & 0o111 != 0
        } else if m.uid() == uid {
            mode & 0o100 != 0
        } else if m.gid() == gid || groups.contains(&m.gid()) {
            mode & 0o010 != 0
        } else {
            mode & 0o001 != 0
        })
    }

    fn read_link(&self, path: &str) -> Option<Option<String>> {
        if path.contains('\0') {
            return Some(None);
        }
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => {
                let t = std::fs::read_link(path).ok()?;
                Some(Some(t.into_os_string().into_string().ok()?))
            }
            _ => Some(None),
        }
    }

    fn read_dir(&self, path: &str) -> Option<Option<Vec<String>>> {
        if path.contains('\0') {
            return Some(None);
        }
        let Ok(entries) = std::fs::read_dir(path) else {
            return Some(None);
        };
        let mut names = Vec::new();
        for e in entries {
            // An entry that fails mid-listing: glob keeps the names read before it.
            let Ok(e) = e else {
                return None;
            };
            names.push(e.file_name().into_string().ok()?);
        }
        Some(Some(names))
    }

    fn cpu_count(&self) -> Option<usize> {
        // The affinity mask of this process, as the kernel lists it (`0-3,8`).
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let list = status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?
            .trim();
        let mut n = 0usize;
        for part in list.split(',').filter(|p| !p.is_empty()) {
            match part.split_once('-') {
                Some((a, b)) => {
                    let a: usize = a.trim().parse().ok()?;
                    let b: usize = b.trim().parse().ok()?;
                    n += b.checked_sub(a)? + 1;
                }
                None => {
                    part.trim().parse::<usize>().ok()?;
                    n += 1;
                }
            }
        }
        (n > 0).then_some(n)
    }

    fn cwd(&self) -> Option<String> {
        std::env::current_dir()
            .ok()
            .and_then(|p| p.into_os_string().into_string().ok())
    }
}

static HOST: RwLock<Option<Arc<dyn Host>>> = RwLock::new(None);

/// Gives every evaluation in this process (whose [`Context`](crate::Context) does not
/// override [`Context::host`](crate::Context::host)) access to `host`; `bake` passes
/// [`SystemHost`].
pub fn set_host(host: Arc<dyn Host>) {
    *HOST.write().unwrap_or_else(|e| e.into_inner()) = Some(host);
}

/// The host given to [`set_host`], if any.
pub fn host() -> Option<Arc<dyn Host>> {
    HOST.read().unwrap_or_else(|e| e.into_inner()).clone()
}
