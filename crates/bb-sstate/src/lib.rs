//! Shared state (sstate): the output of a task of SSTATETASKS saved as an object named
//! by the task's hash in SSTATE_DIR, and restored from there (or from SSTATE_MIRRORS)
//! instead of running the task and everything before it, as openembedded-core's
//! `sstate.bbclass` does for BitBake. Plain values in, files out; no task graph.
//!
//! Entry points:
//! - [`SstateTask::from_datastore`] and [`Layout::from_datastore`]: what a task saves
//!   (`sstate-inputdirs`/`-outputdirs`/`-plaindirs`/`-lockfile(-shared)`) and where a
//!   recipe's objects and manifests go.
//! - [`object_name`]: BitBake's `xx/yy/<SSTATE_PKGSPEC><hash>_<task>.tar.zst`.
//! - [`save`]: after the real task: the object (if not there yet) and its `.siginfo`,
//!   then the install into the shared areas with a manifest ([`install_dirs`]).
//! - [`restore`]: a setscene task: the object from SSTATE_DIR or a mirror, checked and
//!   unpacked ([`install_object`]); a damaged object is an [`Error::Corrupt`],
//!   changes nothing and is moved aside (`.corrupt`) for the real task to replace.
//! - [`Signing`] (SSTATE_VERIFY_SIG, SSTATE_SIG_KEY): GnuPG signatures beside the
//!   objects, made by [`save`] and checked by [`restore`] ([`Error::Signature`]).
//! - [`clean`] / [`clean_manifest`]: remove exactly what an install installed.
//! - [`Mirrors`] (SSTATE_MIRRORS), [`locate`]: where an object is.
//! - [`outhash`]: a task output's hash for hash equivalence; [`hashserv`]: BitBake's
//!   hash equivalence protocol (framing, a client).

mod archive;
mod error;
pub mod hashserv;
mod install;
mod mirror;
mod name;
mod outhash;
mod sign;
mod task;

use std::path::{Path, PathBuf};

pub use archive::{create, create_signed, extract, members};
pub use error::{Error, Result};
pub use install::{Installed, clean, clean_manifest, install_dirs, install_object};
pub use mirror::{Found, Mirrors};
pub use name::{EXTENSION, object_name};
pub use outhash::{OuthashOptions, outhash};
pub use sign::{Signing, sig_path};
pub use task::{Layout, SstateTask, StateDir, is_sstate_task, real_task};

/// Where the object of `task` with `hash` is: SSTATE_DIR first, then the mirrors.
pub fn locate(layout: &Layout, task: &str, hash: &str, mirrors: &Mirrors) -> Result<Option<Found>> {
    let path = layout.object_path(task, hash)?;
    if path.is_file() {
        return Ok(Some(Found::Local(path)));
    }
    if mirrors.is_empty() {
        return Ok(None);
    }
    Ok(mirrors
        .find(&layout.object_name(task, hash)?)
        .map(Found::Mirror))
}

/// After the real task ran: writes the object of its output (unless one with this
/// hash exists: objects are immutable) and `siginfo` beside it, then installs the
/// output into the shared areas with a manifest. Returns the object's path and the
/// install.
pub fn save(
    task: &SstateTask,
    layout: &Layout,
    hash: &str,
    siginfo: Option<&[u8]>,
) -> Result<(PathBuf, Installed)> {
    let path = layout.object_path(&task.task, hash)?;
    if layout.signing.signs() {
        // An object without its signature is made again, signed (as
        // openembedded-core does).
        if !path.is_file() || !sig_path(&path).is_file() {
            create_signed(&members(task, layout), &path, &layout.signing)?;
        }
    } else if !path.is_file() {
        create(&members(task, layout), &path)?;
    }
    if let Some(sig) = siginfo {
        let sig_path = PathBuf::from(format!("{}.siginfo", path.display()));
        if !sig_path.exists() {
            bb_util::fs::atomic_write(&sig_path, sig)?;
        }
    }
    let installed = install_dirs(task, layout)?;
    Ok((path, installed))
}

/// A setscene task: the object of `task` with `hash` fetched into SSTATE_DIR when only
/// a mirror has it, then unpacked and installed. Returns where it came from.
pub fn restore(
    task: &SstateTask,
    layout: &Layout,
    hash: &str,
    mirrors: &Mirrors,
) -> Result<(Found, Installed)> {
    let path = layout.object_path(&task.task, hash)?;
    let found = if path.is_file() {
        Found::Local(path.clone())
    } else {
        let url = mirrors.fetch(&layout.object_name(&task.task, hash)?, &path)?;
        Found::Mirror(url)
    };
    if layout.signing.verify {
        let sig = sig_path(&path);
        if !sig.is_file() && !mirrors.is_empty() {
            let name = format!("{}.sig", layout.object_name(&task.task, hash)?);
            let _ = mirrors.fetch(&name, &sig);
        }
        if let Err(e) = layout.signing.verify(&path) {
            // A signature that does not match: the object (or its signature) was
            // changed; both are moved aside so that the real task writes good ones.
            // An object without a signature stays (the real task signs it), and so
            // does one signed by a key not accepted here.
            if matches!(e, Error::Signature { bad: true, .. }) {
                set_aside(&path);
                set_aside(&sig);
            }
            return Err(e);
        }
    }
    clean(&task.task, layout)?;
    let installed = match install_object(task, layout, &path) {
        Ok(i) => i,
        Err(e @ Error::Corrupt { .. }) => {
            // A damaged object is moved aside, so that the real task writes a good one
            // under its name (objects are otherwise never replaced).
            set_aside(&path);
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    Ok((found, installed))
}

/// Moves a damaged object (or signature) aside as `<path>.corrupt`, out of the way
/// of the good one the real task writes; best effort (another build may have done it).
fn set_aside(path: &Path) {
    let aside = PathBuf::from(format!("{}.corrupt", path.display()));
    let _ = fs_err::rename(path, &aside);
}

/// Whether `path` is an object name this crate writes (for listings).
pub fn is_object(path: &Path) -> bool {
    path.to_string_lossy().ends_with(EXTENSION)
}
