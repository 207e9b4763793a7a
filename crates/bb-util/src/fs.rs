//! Crash-safe file writes: the content goes to a temporary file in the target's
//! directory, which is then renamed over the target, so that an interrupted process
//! leaves either the old file or the new one, never a partial one. The one home of
//! write-then-rename in the workspace.

use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Writes `bytes` to `path` atomically. A new file gets mode 0666 less the umask (as
/// `fs::write` would give it); an existing file keeps its permissions.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    atomic_write_with(path, |w| w.write_all(bytes))
}

/// Like [`atomic_write`], with the content written by `fill`.
pub fn atomic_write_with(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|e| with_path(e, dir))?;
    if let Ok(meta) = std::fs::metadata(path) {
        tmp.as_file()
            .set_permissions(meta.permissions())
            .map_err(|e| with_path(e, path))?;
    }
    fill(tmp.as_file_mut()).map_err(|e| with_path(e, tmp.path()))?;
    tmp.persist(path).map_err(|e| with_path(e.error, path))?;
    Ok(())
}

/// Copies `src` to `dest` atomically (the copy appears complete or not at all).
pub fn atomic_copy(src: &Path, dest: &Path) -> io::Result<()> {
    let mut from = std::fs::File::open(src).map_err(|e| with_path(e, src))?;
    let mode = from.metadata().map(|m| m.permissions().mode()).ok();
    atomic_write_with(dest, |w| {
        io::copy(&mut from, w)?;
        if let Some(mode) = mode {
            w.set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        Ok(())
    })
}

/// Copies the directory tree `from` to `to` (created as needed), leaving out every
/// entry whose name is in `skip` (at any depth). Files are copied with their modes;
/// symbolic links are followed.
pub fn copy_tree(from: &Path, to: &Path, skip: &[&str]) -> io::Result<()> {
    std::fs::create_dir_all(to).map_err(|e| with_path(e, to))?;
    for e in std::fs::read_dir(from).map_err(|e| with_path(e, from))? {
        let e = e.map_err(|e| with_path(e, from))?;
        let name = e.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        if src.is_dir() {
            copy_tree(&src, &dst, skip)?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| with_path(e, &src))?;
        }
    }
    Ok(())
}

/// `e` with the path it is about, as `fs_err` words it.
fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{e} (path: {})", path.display()))
}

#[cfg(test)]
mod tests {
    use super::{atomic_copy, atomic_write};
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn writes_replace_and_keep_modes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("f");
        atomic_write(&p, b"one").expect("write");
        assert_eq!(std::fs::read(&p).expect("read"), b"one");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        atomic_write(&p, b"two").expect("rewrite");
        assert_eq!(std::fs::read(&p).expect("read"), b"two");
        let mode = std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        // Nothing but the file is left in the directory.
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
        let q = dir.path().join("g");
        atomic_copy(&p, &q).expect("copy");
        assert_eq!(std::fs::read(&q).expect("read"), b"two");
        let err = atomic_write(&dir.path().join("no/such/dir/f"), b"x").expect_err("no dir");
        assert!(err.to_string().contains("no/such/dir"), "{err}");
    }
}
