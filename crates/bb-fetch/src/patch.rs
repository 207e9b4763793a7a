//! `patch`: the patches among the fetched entries, applied in SRC_URI order with the
//! host `patch` command, as BitBake's `do_patch` (through quilt) applies them.

use std::path::PathBuf;
use std::process::Command;

use crate::config::FetchConfig;
use crate::error::{Error, Result};
use crate::fetch::{Fetched, Source};

/// Applies every entry named `*.patch` or `*.diff` (or with `apply=yes`; `apply=no`
/// skips one) inside `S` (or `S/<patchdir>`), with `-p<striplevel>` (default 1).
/// The copy in UNPACKDIR is used for local patches when `unpack` made one.
pub fn patch(cfg: &FetchConfig, fetched: &[Fetched]) -> Result<()> {
    for f in fetched {
        let name = f.uri.basename().to_owned();
        let default = name.ends_with(".patch") || name.ends_with(".diff");
        if !f.uri.bool_param("apply", default)? {
            continue;
        }
        let file: PathBuf = match &f.source {
            Source::Local(p) => {
                let copied = cfg.unpackdir.join(f.uri.path().trim_start_matches('/'));
                if !f.uri.path().starts_with('/') && copied.is_file() {
                    copied
                } else {
                    p.clone()
                }
            }
            Source::Download(p) => p.clone(),
            Source::Git { .. } => continue,
        };
        let strip = f.uri.uint_param("striplevel", 1)?;
        let dir = match f.uri.param("patchdir") {
            Some(d) => cfg.s.join(d),
            None => cfg.s.clone(),
        };
        let out = Command::new("patch")
            .args(["--batch", "--forward", "--no-backup-if-mismatch"])
            .arg(format!("-p{strip}"))
            .arg("-d")
            .arg(&dir)
            .arg("-i")
            .arg(&file)
            .output()
            .map_err(|e| Error::Spawn {
                program: "patch".into(),
                source: e,
            })?;
        if !out.status.success() {
            return Err(Error::PatchFailed {
                patch: file,
                dir,
                output: format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            });
        }
    }
    Ok(())
}
