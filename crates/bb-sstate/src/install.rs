//! Installing a task's output into the shared areas with a manifest, and removing
//! exactly what a manifest lists: openembedded-core's `sstate_install` and
//! `sstate_clean_manifest`. The manifest (`${SSTATE_MANFILEPREFIX}.<task>`) lists every
//! file installed, then every directory, deepest first, each with a trailing `/`; the
//! index `${SSTATE_MANIFESTS}/index-<arch>` gets `STAMP MANFILEPREFIX WORKDIR`. A file
//! that is already in the shared area (installed by another recipe) stops the install
//! with BitBake's message naming the manifests that list it.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::archive::{extract, remove_dir};
use crate::error::{Error, Result};
use crate::task::{Layout, SstateTask};

/// What an install did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The manifest written.
    pub manifest: PathBuf,
    /// Files (and links) installed.
    pub files: usize,
}

/// Takes the task's locks; they are released when the files are dropped.
fn take_locks(task: &SstateTask) -> Result<Vec<std::fs::File>> {
    let mut out = Vec::new();
    for (path, shared) in task
        .lockfiles_shared
        .iter()
        .map(|p| (p, true))
        .chain(task.lockfiles.iter().map(|p| (p, false)))
    {
        if let Some(dir) = path.parent() {
            fs_err::create_dir_all(dir)?;
        }
        let f = fs_err::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?
            .into_parts()
            .0;
        let r = if shared { f.lock_shared() } else { f.lock() };
        r.map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        out.push(f);
    }
    Ok(out)
}

/// Restores `task` from the object `archive`: unpacked into a fresh directory first
/// (a damaged archive changes nothing else), its input directories moved into place,
/// then installed as [`install_dirs`] does.
pub fn install_object(task: &SstateTask, layout: &Layout, archive: &Path) -> Result<Installed> {
    let staging = layout.install_dir(&task.task);
    if let Err(e) = extract(archive, &staging) {
        let _ = remove_dir(&staging);
        return Err(e);
    }
    for dir in &task.dirs {
        remove_dir(&dir.input)?;
        if let Some(parent) = dir.input.parent() {
            fs_err::create_dir_all(parent)?;
        }
        let from = staging.join(&dir.name);
        if from.exists() {
            fs_err::rename(&from, &dir.input)?;
        } else {
            fs_err::create_dir_all(&dir.input)?;
        }
    }
    let done = install_dirs(task, layout)?;
    for plain in &task.plaindirs {
        let Some(rel) = layout.plain_rel(plain) else {
            continue;
        };
        let from = staging.join(rel);
        remove_dir(plain)?;
        if let Some(parent) = plain.parent() {
            fs_err::create_dir_all(parent)?;
        }
        if from.exists() {
            fs_err::rename(&from, plain)?;
        } else {
            fs_err::create_dir_all(plain)?;
        }
    }
    remove_dir(&staging)?;
    Ok(done)
}

/// Installs the task's input directories into their output directories (hard links
/// where possible) and writes the manifest and the index entry. The previous install
/// of the task must have been removed ([`clean`]) first.
pub fn install_dirs(task: &SstateTask, layout: &Layout) -> Result<Installed> {
    let _locks = take_locks(task)?;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut dirs: Vec<String> = Vec::new();
    for dir in &task.dirs {
        if !dir.input.exists() {
            continue;
        }
        for entry in walkdir::WalkDir::new(&dir.input)
            .min_depth(1)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry = entry.map_err(std::io::Error::other)?;
            let rel = entry
                .path()
                .strip_prefix(&dir.input)
                .unwrap_or(entry.path());
            let dest = dir.output.join(rel);
            if entry.file_type().is_dir() {
                dirs.push(format!("{}/", dest.display()));
            } else {
                files.push(dest);
            }
        }
    }
    check_overlap(&files, layout)?;
    fs_err::create_dir_all(&layout.manifests)?;
    let manifest = layout.manifest(&task.task);
    // Directories last, the longest (deepest) first, so that a clean removes what is
    // inside a directory before the directory.
    dirs.sort_by_key(String::len);
    let mut text = String::new();
    for f in &files {
        text.push_str(&f.to_string_lossy());
        text.push('\n');
    }
    for d in dirs.iter().rev() {
        text.push_str(d);
        text.push('\n');
    }
    bb_util::fs::atomic_write(&manifest, text.as_bytes())?;
    add_to_index(layout)?;
    for dir in &task.dirs {
        if dir.input.exists() {
            link_tree(&dir.input, &dir.output)?;
        }
    }
    Ok(Installed {
        manifest,
        files: files.len(),
    })
}

/// `index-<arch>`: one `STAMP MANFILEPREFIX WORKDIR` line per recipe, appended once.
fn add_to_index(layout: &Layout) -> Result<()> {
    let index = layout.manifests.join(format!("index-{}", layout.pkgarch));
    let lock_path = PathBuf::from(format!("{}.lock", index.display()));
    let lock = fs_err::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)?
        .into_parts()
        .0;
    lock.lock()
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", lock_path.display())))?;
    let line = format!(
        "{} {} {}\n",
        layout.stamp,
        layout.manfileprefix,
        layout.workdir.display()
    );
    let current = match fs_err::read_to_string(&index) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e.into()),
    };
    if !current.lines().any(|l| format!("{l}\n") == line) {
        let mut f = fs_err::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&index)?;
        f.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Files about to be installed that already exist (outside SSTATE_ALLOW_OVERLAP_FILES):
/// BitBake's overlap error, each file followed by the manifests that list it.
fn check_overlap(files: &[PathBuf], layout: &Layout) -> Result<()> {
    let mut listing: Vec<String> = Vec::new();
    let mut manifests: Option<Vec<(String, BTreeSet<String>)>> = None;
    for f in files {
        if std::fs::symlink_metadata(f).is_err() {
            continue;
        }
        let f = bb_util::normpath(&f.to_string_lossy());
        let allowed = layout
            .allow_overlap
            .iter()
            .any(|w| f.starts_with(&bb_util::normpath(w)));
        if allowed {
            continue;
        }
        let all = manifests.get_or_insert_with(|| read_manifests(&layout.manifests));
        let owners: Vec<&str> = all
            .iter()
            .filter(|(_, lines)| lines.contains(&f))
            .map(|(name, _)| name.as_str())
            .collect();
        listing.push(f.clone());
        if owners.is_empty() {
            listing.push("  (not matched to any task)".to_owned());
        } else {
            listing.push(format!("  (matched in {})", owners.join("\n")));
        }
    }
    if listing.is_empty() {
        return Ok(());
    }
    Err(Error::Overlap {
        pn: layout.pn.clone(),
        listing: listing.join("\n  "),
    })
}

/// Every manifest in the manifests directory (not the indexes), by file name.
fn read_manifests(dir: &Path) -> Vec<(String, BTreeSet<String>)> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("index-") || name.starts_with('.') {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(e.path()) {
            out.push((name, text.lines().map(str::to_owned).collect()));
        }
    }
    out.sort();
    out
}

/// Copies the tree `src` into `dest`: directories created, files hard-linked (copied
/// when a link is not possible), symbolic links recreated.
fn link_tree(src: &Path, dest: &Path) -> Result<()> {
    fs_err::create_dir_all(dest)?;
    for entry in walkdir::WalkDir::new(src)
        .min_depth(1)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.map_err(std::io::Error::other)?;
        let rel = entry.path().strip_prefix(src).unwrap_or(entry.path());
        let to = dest.join(rel);
        let ft = entry.file_type();
        if ft.is_dir() {
            fs_err::create_dir_all(&to)?;
            continue;
        }
        if std::fs::symlink_metadata(&to).is_ok() {
            fs_err::remove_file(&to)?;
        }
        if ft.is_symlink() {
            let target = fs_err::read_link(entry.path())?;
            fs_err::os::unix::fs::symlink(&target, &to)?;
        } else if std::fs::hard_link(entry.path(), &to).is_err() {
            fs_err::copy(entry.path(), &to)?;
        }
    }
    Ok(())
}

/// Removes what the manifest of `task` lists (files, then directories that are empty),
/// then the manifest: what a clean, or the task running again, does first. No
/// manifest: nothing to do.
pub fn clean(task: &str, layout: &Layout) -> Result<usize> {
    clean_manifest(&layout.manifest(task))
}

/// Removes what `manifest` lists, then the manifest itself; returns the number of
/// files removed.
pub fn clean_manifest(manifest: &Path) -> Result<usize> {
    let text = match fs_err::read_to_string(manifest) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e.into()),
    };
    let mut removed = 0;
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        if let Some(dir) = line.strip_suffix('/') {
            // Only empty directories go: another recipe may have files there.
            let _ = std::fs::remove_dir(dir);
            continue;
        }
        match std::fs::symlink_metadata(line) {
            Ok(m) if m.is_dir() => {
                let _ = std::fs::remove_dir(line);
            }
            Ok(_) => {
                fs_err::remove_file(line)?;
                removed += 1;
            }
            Err(_) => {}
        }
    }
    let postrm = PathBuf::from(format!("{}.postrm", manifest.display()));
    let _ = std::fs::remove_file(postrm);
    fs_err::remove_file(manifest)?;
    Ok(removed)
}
