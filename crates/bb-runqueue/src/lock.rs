//! One build at a time per build directory: `bitbake.lock`, held with an OS lock that
//! the kernel releases when the process ends, however it ends.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// A held `bitbake.lock`; dropping it releases the lock.
#[derive(Debug)]
pub struct BuildLock {
    file: std::fs::File,
    path: PathBuf,
}

impl BuildLock {
    /// Takes `DIR/bitbake.lock`, or says who holds it.
    pub fn acquire(dir: &Path) -> crate::Result<BuildLock> {
        let path = dir.join("bitbake.lock");
        let file = fs_err::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)?
            .into_parts()
            .0;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = fs_err::read_to_string(&path).unwrap_or_default();
                let holder = holder.trim();
                return Err(crate::Error::Locked {
                    dir: dir.to_path_buf(),
                    holder: (!holder.is_empty()).then(|| holder.to_owned()),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(crate::Error::Io(std::io::Error::new(
                    e.kind(),
                    format!("{}: {e}", path.display()),
                )));
            }
        }
        let mut f = &file;
        let _ = f.set_len(0);
        let _ = writeln!(f, "{}", std::process::id());
        Ok(BuildLock { file, path })
    }

    /// Where the lock file is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for BuildLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}
