//! Sstate archives: a tar of the task's input directories (each under its own name)
//! and plain directories (under their path relative to WORKDIR), zstd-compressed with
//! a content checksum, written under a temporary name and renamed into place; read
//! back into a fresh directory, entirely or not at all.

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::task::{Layout, SstateTask};

/// The zstd level of new objects (BitBake's default, SSTATE_ZSTD_CLEVEL, is 8; 3 is
/// several times faster for a few percent more bytes).
const LEVEL: i32 = 3;

/// What goes into a task's archive: (name in the archive, directory on disk), for the
/// directories that exist.
pub fn members(task: &SstateTask, layout: &Layout) -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for dir in &task.dirs {
        if dir.input.exists() {
            out.push((PathBuf::from(&dir.name), dir.input.clone()));
        }
    }
    for plain in &task.plaindirs {
        if let Some(rel) = layout.plain_rel(plain)
            && plain.exists()
        {
            out.push((rel, plain.clone()));
        }
    }
    out
}

/// Writes the archive of `members` to `dest` (its directory created), through a
/// temporary name in the same directory: `dest` appears whole or not at all.
pub fn create(members: &[(PathBuf, PathBuf)], dest: &Path) -> Result<()> {
    if let Some(dir) = dest.parent() {
        fs_err::create_dir_all(dir)?;
    }
    bb_util::fs::atomic_write_with(dest, |file| write_archive(members, file))?;
    Ok(())
}

/// Like [`create`], with a detached signature beside `dest` (`<dest>.sig`): the
/// archive is written under a temporary name and signed, then the signature and the
/// archive are renamed into place, in that order (an interruption leaves at most a
/// signature that no object matches, which verification rejects).
pub fn create_signed(
    members: &[(PathBuf, PathBuf)],
    dest: &Path,
    signing: &crate::sign::Signing,
) -> Result<()> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(dir)?;
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
    write_archive(members, tmp.as_file_mut())
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", tmp.path().display())))?;
    signing.sign(tmp.path(), &crate::sign::sig_path(dest))?;
    tmp.persist(dest).map_err(|e| {
        std::io::Error::new(e.error.kind(), format!("{}: {}", dest.display(), e.error))
    })?;
    Ok(())
}

/// The tar of `members`, zstd-compressed with a content checksum, into `file`
/// (flushed to disk).
fn write_archive(members: &[(PathBuf, PathBuf)], file: &mut std::fs::File) -> std::io::Result<()> {
    let mut enc = zstd::stream::write::Encoder::new(&mut *file, LEVEL)?;
    enc.include_checksum(true)?;
    let mut tar = tar::Builder::new(enc);
    tar.follow_symlinks(false);
    for (name, dir) in members {
        append_tree(&mut tar, name, dir)?;
    }
    let enc = tar.into_inner()?;
    let inner = enc.finish()?;
    inner.flush()?;
    inner.sync_all()
}

/// Appends `dir` as `name` and everything below it, in name order.
fn append_tree<W: std::io::Write>(
    tar: &mut tar::Builder<W>,
    name: &Path,
    dir: &Path,
) -> std::io::Result<()> {
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.map_err(std::io::Error::other)?;
        let rel = entry.path().strip_prefix(dir).unwrap_or(Path::new(""));
        let member = if rel.as_os_str().is_empty() {
            name.to_path_buf()
        } else {
            name.join(rel)
        };
        tar.append_path_with_name(entry.path(), &member)
            .map_err(|e| {
                std::io::Error::new(e.kind(), format!("{}: {e}", entry.path().display()))
            })?;
    }
    Ok(())
}

/// Unpacks the archive at `archive` into `into` (emptied first). A damaged or
/// truncated archive, or a member that would land outside `into`, is an error; what
/// was unpacked so far stays in `into`, which the caller throws away.
pub fn extract(archive: &Path, into: &Path) -> Result<()> {
    remove_dir(into)?;
    fs_err::create_dir_all(into)?;
    let corrupt = |e: std::io::Error| Error::Corrupt {
        path: archive.to_path_buf(),
        reason: e.to_string(),
    };
    let file = fs_err::File::open(archive)?;
    if file.metadata()?.len() == 0 {
        return Err(Error::Corrupt {
            path: archive.to_path_buf(),
            reason: "empty file".to_owned(),
        });
    }
    let dec = zstd::stream::read::Decoder::new(file).map_err(corrupt)?;
    let mut tar = tar::Archive::new(dec);
    tar.set_preserve_permissions(true);
    tar.set_preserve_mtime(true);
    tar.set_overwrite(true);
    for entry in tar.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        let path = entry.path().map_err(corrupt)?.into_owned();
        if path.is_absolute()
            || path
                .components()
                .any(|c| matches!(c, Component::ParentDir | Component::RootDir))
        {
            return Err(Error::UnsafeMember {
                path: archive.to_path_buf(),
                member: path.display().to_string(),
            });
        }
        let ok = entry.unpack_in(into).map_err(corrupt)?;
        if !ok {
            return Err(Error::UnsafeMember {
                path: archive.to_path_buf(),
                member: path.display().to_string(),
            });
        }
    }
    // The tar reader stops at the end-of-archive blocks; the rest of the zstd frame
    // (and its checksum) is read to the end so that damage past them is seen too.
    let mut rest = tar.into_inner();
    std::io::copy(&mut rest, &mut std::io::sink()).map_err(corrupt)?;
    Ok(())
}

/// Removes a directory tree; a missing one is fine.
pub(crate) fn remove_dir(dir: &Path) -> Result<()> {
    match fs_err::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}
