//! What a task of SSTATETASKS saves and restores ([`SstateTask`]: its
//! `sstate-inputdirs`/`sstate-outputdirs` pairs, `sstate-plaindirs`,
//! `sstate-lockfile`/`sstate-lockfile-shared`) and where a recipe's objects and
//! manifests go ([`Layout`]: SSTATE_DIR, SSTATE_PKGSPEC, SSTATE_MANIFESTS, ...), read
//! from a finalized datastore once and then used as plain values.

use std::path::{Path, PathBuf};

use bb_data::DataStore;

use crate::error::{Error, Result};

/// One `sstate-inputdirs` entry and the `sstate-outputdirs` entry paired with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDir {
    /// The directory's name inside the archive: the input directory's last component.
    pub name: String,
    /// Where the task writes it (inside the recipe's WORKDIR).
    pub input: PathBuf,
    /// The shared area it is installed into (listed in the manifest).
    pub output: PathBuf,
}

/// What one sstate task saves and restores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SstateTask {
    /// The task without `do_` (`populate_sysroot`).
    pub task: String,
    /// The input/output directory pairs.
    pub dirs: Vec<StateDir>,
    /// Directories saved and restored in place (relative to WORKDIR in the archive).
    pub plaindirs: Vec<PathBuf>,
    /// Locks held (exclusively) while installing.
    pub lockfiles: Vec<PathBuf>,
    /// Locks held shared while installing.
    pub lockfiles_shared: Vec<PathBuf>,
}

/// A recipe's sstate variables, expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// PN.
    pub pn: String,
    /// WORKDIR.
    pub workdir: PathBuf,
    /// TMPDIR.
    pub tmpdir: PathBuf,
    /// STAMP (recorded in the manifest index).
    pub stamp: String,
    /// SSTATE_DIR.
    pub sstate_dir: PathBuf,
    /// SSTATE_PKGSPEC: the object name's prefix.
    pub pkgspec: String,
    /// SSTATE_EXTRAPATH: a directory level before the object's `xx/yy/`.
    pub extrapath: String,
    /// SSTATE_MANIFESTS (`${TMPDIR}/sstate-control`).
    pub manifests: PathBuf,
    /// SSTATE_MANFILEPREFIX: the manifest of task T is `<prefix>.T`.
    pub manfileprefix: String,
    /// SSTATE_PKGARCH: names the manifest index `index-<arch>`.
    pub pkgarch: String,
    /// SSTATE_ALLOW_OVERLAP_FILES: paths under which overlapping files are allowed.
    pub allow_overlap: Vec<String>,
    /// SSTATE_VERIFY_SIG, SSTATE_SIG_KEY, ...: signed objects.
    pub signing: crate::sign::Signing,
}

fn var(d: &DataStore, name: &str) -> Result<String> {
    d.get_var(name)
        .map(Option::unwrap_or_default)
        .map_err(|e| Error::Var {
            name: name.to_owned(),
            reason: e.to_string(),
        })
}

fn words(d: &DataStore, task: &str, flag: &str) -> Result<Vec<String>> {
    let v = d
        .get_var_flag(task, flag, true)
        .map_err(|e| Error::Var {
            name: format!("{task}[{flag}]"),
            reason: e.to_string(),
        })?
        .unwrap_or_default();
    Ok(v.split_whitespace().map(str::to_owned).collect())
}

/// `os.path.normpath` of a directory, as a path.
fn norm(p: &str) -> PathBuf {
    PathBuf::from(bb_util::normpath(p))
}

/// Whether `task` (with or without `do_`, with or without `_setscene`) is in
/// SSTATETASKS.
pub fn is_sstate_task(d: &DataStore, task: &str) -> Result<bool> {
    let name = real_task(task);
    Ok(var(d, "SSTATETASKS")?
        .split_whitespace()
        .any(|t| real_task(t) == name))
}

/// `do_populate_sysroot` for `populate_sysroot`, `do_populate_sysroot` and
/// `do_populate_sysroot_setscene`.
pub fn real_task(task: &str) -> String {
    let t = task.strip_suffix("_setscene").unwrap_or(task);
    if t.starts_with("do_") {
        t.to_owned()
    } else {
        format!("do_{t}")
    }
}

impl SstateTask {
    /// The sstate description of `task` (any of its spellings, see [`real_task`]),
    /// from its flags.
    pub fn from_datastore(d: &DataStore, task: &str) -> Result<SstateTask> {
        let task = real_task(task);
        let inputs = words(d, &task, "sstate-inputdirs")?;
        let outputs = words(d, &task, "sstate-outputdirs")?;
        if inputs.len() != outputs.len() {
            return Err(Error::Flags {
                task,
                inputs: inputs.len(),
                outputs: outputs.len(),
            });
        }
        let dirs = inputs
            .iter()
            .zip(&outputs)
            .map(|(i, o)| {
                let input = norm(i);
                let name = input
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                StateDir {
                    name,
                    input,
                    output: norm(o),
                }
            })
            .collect();
        let paths = |flag: &str| -> Result<Vec<PathBuf>> {
            Ok(words(d, &task, flag)?.iter().map(|p| norm(p)).collect())
        };
        Ok(SstateTask {
            task: task.trim_start_matches("do_").to_owned(),
            dirs,
            plaindirs: paths("sstate-plaindirs")?,
            lockfiles: paths("sstate-lockfile")?,
            lockfiles_shared: paths("sstate-lockfile-shared")?,
        })
    }
}

impl Layout {
    /// The recipe's sstate variables.
    pub fn from_datastore(d: &DataStore) -> Result<Layout> {
        let must = |name: &str| -> Result<String> {
            let v = var(d, name)?;
            if v.trim().is_empty() {
                return Err(Error::Var {
                    name: name.to_owned(),
                    reason: "not set".to_owned(),
                });
            }
            Ok(v)
        };
        let tmpdir = PathBuf::from(must("TMPDIR")?);
        let manifests = match var(d, "SSTATE_MANIFESTS")? {
            m if m.is_empty() => tmpdir.join("sstate-control"),
            m => PathBuf::from(m),
        };
        let pkgarch = var(d, "SSTATE_PKGARCH")?;
        let pn = must("PN")?;
        let manfileprefix = match var(d, "SSTATE_MANFILEPREFIX")? {
            p if p.is_empty() => format!("{}/manifest-{pkgarch}-{pn}", manifests.display()),
            p => p,
        };
        Ok(Layout {
            pn,
            workdir: norm(&must("WORKDIR")?),
            tmpdir,
            stamp: var(d, "STAMP")?,
            sstate_dir: PathBuf::from(must("SSTATE_DIR")?),
            pkgspec: must("SSTATE_PKGSPEC")?,
            extrapath: var(d, "SSTATE_EXTRAPATH")?,
            manifests,
            manfileprefix,
            pkgarch,
            allow_overlap: var(d, "SSTATE_ALLOW_OVERLAP_FILES")?
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            signing: crate::sign::Signing::from_datastore(d),
        })
    }

    /// The object's name relative to SSTATE_DIR (see [`crate::object_name`]).
    pub fn object_name(&self, task: &str, hash: &str) -> Result<String> {
        Ok(format!(
            "{}{}",
            self.extrapath,
            crate::name::object_name(&self.pkgspec, hash, task, false)?
        ))
    }

    /// The object's path in SSTATE_DIR.
    pub fn object_path(&self, task: &str, hash: &str) -> Result<PathBuf> {
        Ok(self.sstate_dir.join(self.object_name(task, hash)?))
    }

    /// The manifest of `task` (without `do_`).
    pub fn manifest(&self, task: &str) -> PathBuf {
        PathBuf::from(format!(
            "{}.{}",
            self.manfileprefix,
            task.trim_start_matches("do_")
        ))
    }

    /// Where an object of `task` is unpacked before it is moved into place.
    pub fn install_dir(&self, task: &str) -> PathBuf {
        self.workdir
            .join(format!("sstate-install-{}", task.trim_start_matches("do_")))
    }

    /// A plain directory's name inside the archive: relative to WORKDIR (or to
    /// `${TMPDIR}/work-shared`).
    pub fn plain_rel(&self, plain: &Path) -> Option<PathBuf> {
        let shared = self.tmpdir.join("work-shared");
        plain
            .strip_prefix(&self.workdir)
            .or_else(|_| plain.strip_prefix(&shared))
            .ok()
            .map(Path::to_path_buf)
    }
}
