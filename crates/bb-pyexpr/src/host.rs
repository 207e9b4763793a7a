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
