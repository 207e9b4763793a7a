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
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| crate::Error::Io(format!("{}: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = fs_err::read_to_string(&path).unwrap_or_default();
                return Err(crate::Error::Locked(format!(
                    "Unable to start: the build directory {} is in use by another build (bitbake.lock held{})",
                    dir.display(),
                    if holder.trim().is_empty() {
                        String::new()
                    } else {
                        format!(" by process {}", holder.trim())
                    }
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(crate::Error::Io(format!("{}: {e}", path.display())));
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
