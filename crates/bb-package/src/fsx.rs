//! Crash-safe file writes: a temporary name in the same directory, then a rename.

use std::path::Path;

use crate::error::Result;

/// Writes `data` to `path` through a temporary name and a rename (`bb_util::fs`).
pub(crate) fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    bb_util::fs::atomic_write(path, data)?;
    Ok(())
}

/// The temporary name used for `path`.
pub(crate) fn tmp_name(path: &Path) -> std::path::PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

/// Replaces `link` by a symbolic link to `target`.
pub(crate) fn symlink_force(target: &str, link: &Path) -> Result<()> {
    let tmp = tmp_name(link);
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", tmp.display())))?;
    fs_err::rename(&tmp, link)?;
    Ok(())
}

/// Empties (or creates) directory `dir`.
pub(crate) fn clean_dir(dir: &Path) -> Result<()> {
    if dir.symlink_metadata().is_ok() {
        fs_err::remove_dir_all(dir)?;
    }
    fs_err::create_dir_all(dir)?;
    Ok(())
}
