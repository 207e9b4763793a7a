//! The stamp files of a build, indexed: each stamp directory the build writes to is
//! read once, on its first stamp, and kept as a sorted set of names, so that writing a
//! stamp (which removes the task's stamps for other hashes, as BitBake's
//! `make_stamp` does) and `do_clean` (which removes a recipe's stamps) cost the same in
//! a directory of ten stamps as in one that every recipe of a 100,000-task build shares
//! (`STAMP = "${TMPDIR}/stamps/${MACHINE}/${PF}"`).
//!
//! The index trusts that nothing else writes stamps while the build runs (the build
//! holds `bitbake.lock`); a name it lists that is already gone is simply not removed
//! again.
//!
//! [`DirListing`] answers whether stamps and taints exist when a build is planned, from
//! one listing per directory too.

use std::collections::{BTreeSet, HashMap};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::error::{Error, Result};
use crate::hashes::TaskPlan;

/// The names in each stamp directory a build has touched (see the module docs).
#[derive(Debug, Default)]
pub struct StampIndex {
    dirs: Mutex<HashMap<PathBuf, BTreeSet<String>>>,
}

/// The names in `dir` that start with `prefix` (a range of the sorted set).
fn with_prefix<'a>(
    names: &'a BTreeSet<String>,
    prefix: &'a str,
) -> impl Iterator<Item = &'a String> {
    names
        .range::<str, _>((
            std::ops::Bound::Included(prefix),
            std::ops::Bound::Unbounded,
        ))
        .take_while(move |n| n.starts_with(prefix))
}

impl StampIndex {
    /// An empty index: directories are read when first needed.
    pub fn new() -> StampIndex {
        StampIndex::default()
    }

    /// Runs `f` on the names of `dir` (read from the directory, created if missing, the
    /// first time).
    fn with_dir<R>(&self, dir: &Path, f: impl FnOnce(&mut BTreeSet<String>) -> R) -> Result<R> {
        let mut dirs = self
            .dirs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let names = match dirs.entry(dir.to_path_buf()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                fs_err::create_dir_all(dir)?;
                let names = fs_err::read_dir(dir)?
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                e.insert(names)
            }
        };
        Ok(f(names))
    }

    /// Writes a task's stamp (after it succeeded), removing its stamps for other hashes
    /// (`<base>.do_task.<otherhash>`; its sig data and taint files stay).
    pub fn write(&self, plan: &TaskPlan, task: &str) -> Result<()> {
        let Some(path) = &plan.stamp else {
            return Ok(());
        };
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            return crate::atomic_write(path, b"");
        };
        let name = name.to_string_lossy().into_owned();
        // `<base>.do_task.`: the prefix shared by this task's stamps.
        let marker = format!(".{task}.");
        let prefix = name
            .find(&marker)
            .map(|pos| name[..pos + marker.len()].to_owned());
        self.with_dir(dir, |names| {
            if let Some(prefix) = &prefix {
                let old: Vec<String> = with_prefix(names, prefix)
                    .filter(|other| {
                        let rest = &other[prefix.len()..];
                        **other != name
                            && !rest.starts_with("sigdata.")
                            && !rest.starts_with("taint")
                    })
                    .cloned()
                    .collect();
                for other in old {
                    let _ = std::fs::remove_file(dir.join(&other));
                    names.remove(&other);
                }
            }
            let written = match crate::atomic_write(path, b"") {
                // The directory went away during the build (a `[cleandirs]`): again.
                Err(_) if !dir.is_dir() => fs_err::create_dir_all(dir)
                    .map_err(Error::from)
                    .and_then(|()| crate::atomic_write(path, b"")),
                r => r,
            };
            if written.is_ok() {
                names.insert(name.clone());
            }
            written
        })?
    }

    /// Removes every file named `<base>.*` next to the stamp base `base` (`${STAMP}`):
    /// what `do_clean` does to a recipe's stamps, sig data and taints.
    pub fn remove_all(&self, base: &Path) -> Result<()> {
        let (Some(dir), Some(file)) = (base.parent(), base.file_name()) else {
            return Ok(());
        };
        if !dir.is_dir() {
            return Ok(());
        }
        let prefix = format!("{}.", file.to_string_lossy());
        self.with_dir(dir, |names| {
            let gone: Vec<String> = with_prefix(names, &prefix).cloned().collect();
            for other in gone {
                let _ = std::fs::remove_file(dir.join(&other));
                names.remove(&other);
            }
        })
    }
}

/// The names in each directory looked at, read once (a missing directory holds
/// nothing): whether a stamp or a taint exists is a lookup there, not a path walk per
/// task, and costs the same in a directory every recipe shares.
///
/// Paths are split at their last `/` as bytes, and the directory looked at last is
/// kept at hand: a recipe's tasks ask about one directory in a row, which then costs a
/// comparison of its name instead of a hash of the whole path.
#[derive(Debug, Default)]
pub(crate) struct DirListing {
    /// Directory → its names' position in `names`.
    dirs: FxHashMap<Box<[u8]>, usize>,
    names: Vec<FxHashSet<Box<[u8]>>>,
    /// The directory of the last lookup and its position.
    last: Option<(Box<[u8]>, usize)>,
}

impl DirListing {
    /// An empty listing: directories are read when first asked about.
    pub(crate) fn new() -> DirListing {
        DirListing::default()
    }

    /// Whether `path` exists (as its directory was when first listed).
    pub(crate) fn exists(&mut self, path: &Path) -> bool {
        let bytes = path.as_os_str().as_bytes();
        let Some(slash) = bytes.iter().rposition(|&b| b == b'/') else {
            return path.exists();
        };
        let (dir, name) = (&bytes[..slash.max(1)], &bytes[slash + 1..]);
        if matches!(name, b"" | b"." | b"..") {
            return path.exists();
        }
        let at = match &self.last {
            Some((last, at)) if **last == *dir => *at,
            _ => {
                let at = match self.dirs.get(dir) {
                    Some(&at) => at,
                    None => {
                        let listed = std::fs::read_dir(std::ffi::OsStr::from_bytes(dir))
                            .map(|rd| {
                                rd.filter_map(|e| {
                                    e.ok().map(|e| Box::from(e.file_name().as_bytes()))
                                })
                                .collect()
                            })
                            .unwrap_or_default();
                        self.names.push(listed);
                        self.dirs.insert(Box::from(dir), self.names.len() - 1);
                        self.names.len() - 1
                    }
                };
                self.last = Some((Box::from(dir), at));
                at
            }
        };
        self.names.get(at).is_some_and(|names| names.contains(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_listing_answers_as_the_directories_were_first_listed() {
        let tmp = tempfile::tempdir().expect("invariant: temp dir");
        let a = tmp.path().join("a");
        let b = tmp.path().join("b");
        fs_err::create_dir_all(&a).expect("invariant: mkdir");
        fs_err::create_dir_all(&b).expect("invariant: mkdir");
        fs_err::write(a.join("x.do_fetch.1"), "").expect("invariant: write");
        fs_err::write(b.join("y.do_fetch.2"), "").expect("invariant: write");
        let mut l = DirListing::new();
        assert!(l.exists(&a.join("x.do_fetch.1")));
        assert!(!l.exists(&a.join("x.do_fetch.2")));
        // Another directory, then back to the first (no longer the last one asked).
        assert!(l.exists(&b.join("y.do_fetch.2")));
        assert!(!l.exists(&b.join("x.do_fetch.1")));
        assert!(l.exists(&a.join("x.do_fetch.1")));
        // Listed once: a stamp written later is not seen by this listing.
        fs_err::write(a.join("x.do_build.3"), "").expect("invariant: write");
        assert!(!l.exists(&a.join("x.do_build.3")));
        assert!(DirListing::new().exists(&a.join("x.do_build.3")));
        // A missing directory holds nothing; a path without a file name is asked of
        // the filesystem.
        assert!(!l.exists(&tmp.path().join("none/x.do_fetch.1")));
        assert!(l.exists(&a.join(".")));
        assert!(!l.exists(Path::new("no-such-relative-stamp")));
    }
}
