//! Signed objects, as openembedded-core signs them: with SSTATE_VERIFY_SIG on and
//! SSTATE_SIG_KEY set, each new object gets a detached, binary GnuPG signature beside
//! it (`<object>.sig`, made with `gpg --detach-sign -u KEY`, the passphrase
//! SSTATE_SIG_PASSPHRASE given on standard input); with SSTATE_VERIFY_SIG on, an
//! object is only restored when `gpg --verify` accepts its signature (by any key of
//! the keyring, or by one of SSTATE_VALID_SIGS when that is set). GPG_BIN and GPG_PATH
//! (the `--homedir`) are read as openembedded-core reads them. This is what detects an
//! object whose content was changed under its name: zstd's checksum only detects
//! damage.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bb_data::DataStore;

use crate::error::{Error, Result};

/// The signing settings of a recipe.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signing {
    /// SSTATE_VERIFY_SIG: objects are restored only with a good signature, and new
    /// objects are signed when [`Signing::key`] is set.
    pub verify: bool,
    /// SSTATE_SIG_KEY: the key new objects are signed with (empty: not signed).
    pub key: String,
    /// SSTATE_SIG_PASSPHRASE: the key's passphrase.
    pub passphrase: String,
    /// SSTATE_VALID_SIGS: key ids a signature must be made by (empty: any key of the
    /// keyring).
    pub valid_sigs: Vec<String>,
    /// GPG_BIN (default `gpg` from PATH).
    pub gpg: String,
    /// GPG_PATH: gpg's `--homedir` (default: gpg's own, GNUPGHOME or `~/.gnupg`).
    pub homedir: Option<PathBuf>,
}

impl Signing {
    /// The settings of `d`.
    pub fn from_datastore(d: &DataStore) -> Signing {
        let var = |n: &str| d.get_var(n).ok().flatten().unwrap_or_default();
        let gpg = match var("GPG_BIN") {
            g if g.trim().is_empty() => "gpg".to_owned(),
            g => g.trim().to_owned(),
        };
        let homedir = Some(var("GPG_PATH"))
            .filter(|p| !p.trim().is_empty())
            .map(|p| PathBuf::from(p.trim()));
        Signing {
            verify: bb_util::to_boolean(Some(&var("SSTATE_VERIFY_SIG")), false).unwrap_or(false),
            key: var("SSTATE_SIG_KEY").trim().to_owned(),
            passphrase: var("SSTATE_SIG_PASSPHRASE"),
            valid_sigs: var("SSTATE_VALID_SIGS")
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            gpg,
            homedir,
        }
    }

    /// Whether new objects are signed (SSTATE_VERIFY_SIG on and SSTATE_SIG_KEY set).
    pub fn signs(&self) -> bool {
        self.verify && !self.key.is_empty()
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.gpg);
        c.arg("--no-permission-warning").arg("--batch");
        if let Some(h) = &self.homedir {
            c.arg("--homedir").arg(h);
        }
        c.env("LC_ALL", "C");
        c
    }

    /// Writes the detached signature of `object` to `sig` (whole or not at all: gpg
    /// writes a temporary file in the same directory, renamed into place).
    pub fn sign(&self, object: &Path, sig: &Path) -> Result<()> {
        let tmp = PathBuf::from(format!("{}.{}.tmp", sig.display(), std::process::id()));
        let _ = fs_err::remove_file(&tmp);
        let mut child = self
            .command()
            .args(["--detach-sign", "--no-tty", "--yes", "--passphrase-fd", "0"])
            .args(["--pinentry-mode", "loopback", "-u", &self.key, "-o"])
            .arg(&tmp)
            .arg(object)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.failed(object, &format!("cannot run `{}`: {e}", self.gpg)))?;
        if let Some(mut stdin) = child.stdin.take() {
            // gpg may exit before reading (an unknown key): a closed pipe is not the error.
            let _ = stdin.write_all(self.passphrase.as_bytes());
        }
        let out = child
            .wait_with_output()
            .map_err(|e| self.failed(object, &e.to_string()))?;
        if !out.status.success() {
            let _ = fs_err::remove_file(&tmp);
            return Err(self.failed(
                object,
                &format!(
                    "GPG exited with code {}: {}",
                    out.status.code().unwrap_or(-1),
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            ));
        }
        fs_err::rename(&tmp, sig)?;
        Ok(())
    }

    fn failed(&self, object: &Path, reason: &str) -> Error {
        Error::Sign {
            path: object.to_path_buf(),
            reason: reason.to_owned(),
        }
    }

    /// Checks `object` against the signature beside it (`<object>.sig`), with
    /// openembedded-core's messages when there is none or it is not accepted.
    pub fn verify(&self, object: &Path) -> Result<()> {
        let sig = sig_path(object);
        let refused = |reason: String, bad: bool| Error::Signature {
            path: object.to_path_buf(),
            reason,
            bad,
        };
        if !sig.is_file() {
            return Err(refused(
                format!(
                    "No signature file for sstate package {}, skipping acceleration...",
                    object.display()
                ),
                false,
            ));
        }
        let rejected = || {
            format!(
                "Cannot verify signature on sstate package {}, skipping acceleration...",
                object.display()
            )
        };
        let out = self
            .command()
            .args(["--verify", "--status-fd", "1"])
            .arg(&sig)
            .arg(object)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| {
                refused(
                    format!("{} (cannot run `{}`: {e})", rejected(), self.gpg),
                    false,
                )
            })?;
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr);
            let why = why.lines().last().unwrap_or("").trim().to_owned();
            // BADSIG: the signature does not match the object; anything else (no
            // public key, an unreadable signature) says nothing about the object.
            let bad = String::from_utf8_lossy(&out.stdout).contains("[GNUPG:] BADSIG ");
            return Err(refused(format!("{} ({why})", rejected()), bad));
        }
        if self.valid_sigs.is_empty() {
            return Ok(());
        }
        let good: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("[GNUPG:] GOODSIG "))
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_owned)
            .collect();
        if self.valid_sigs.iter().any(|v| good.contains(v)) {
            return Ok(());
        }
        Err(refused(
            format!(
                "{} (no accepted signatures found; good signatures found: {})",
                rejected(),
                good.join(" ")
            ),
            false,
        ))
    }
}

/// The signature of `object`: `<object>.sig`.
pub fn sig_path(object: &Path) -> PathBuf {
    PathBuf::from(format!("{}.sig", object.display()))
}
