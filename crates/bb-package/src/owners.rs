//! The record of owners and special files that a root-less build keeps instead of calling
//! `chown`/`mknod` (what pseudo's database is for BitBake): one line per path, applied when
//! packages and images are written, never to the build's own files.
//!
//! Format (`${BAKE_OWNERS_FILE}`, by default `${WORKDIR}/pseudo/owners`), one entry a line,
//! later lines winning:
//!
//! ```text
//! /usr/bin/tool 0 0            # owner uid, gid
//! /dev/console 0 0 c 5 1 0600  # a device node: type c|b, major, minor, octal mode
//! ```
//!
//! Paths are absolute inside the package or image; anything not listed is `0 0` (root).

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};

/// A device node to create (in archives only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceNode {
    /// `true` for a character device, `false` for a block device.
    pub char: bool,
    /// Major number.
    pub major: u32,
    /// Minor number.
    pub minor: u32,
    /// Permission bits.
    pub mode: u32,
}

/// One path's entry (the default: root, no device).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Owner {
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// A device node to create at this path.
    pub device: Option<DeviceNode>,
}

/// Owners by absolute path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnerRecord {
    entries: BTreeMap<String, Owner>,
}

impl OwnerRecord {
    /// An empty record: everything belongs to root.
    pub fn new() -> OwnerRecord {
        OwnerRecord::default()
    }

    /// Reads a record file; a missing file is an empty record.
    pub fn load(path: &Path) -> Result<OwnerRecord> {
        match fs_err::read_to_string(path) {
            Ok(text) => OwnerRecord::parse(&path.display().to_string(), &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(OwnerRecord::new()),
            Err(e) => Err(e.into()),
        }
    }

    /// Parses record text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<OwnerRecord> {
        let mut rec = OwnerRecord::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let w: Vec<&str> = line.split_whitespace().collect();
            let num = |s: &str, what: &str| -> Result<u32> {
                s.parse::<u32>()
                    .map_err(|_| Error::parse(file, i + 1, format!("{what} `{s}` is not a number")))
            };
            if w.len() != 3 && w.len() != 7 {
                return Err(Error::parse(
                    file,
                    i + 1,
                    format!("expected `PATH UID GID [c|b MAJOR MINOR MODE]`, got `{line}`"),
                ));
            }
            let path = normalize(w[0]).ok_or_else(|| {
                Error::parse(
                    file,
                    i + 1,
                    format!("path `{}` is not absolute or leaves `/`", w[0]),
                )
            })?;
            let device = if w.len() == 7 {
                let char = match w[3] {
                    "c" => true,
                    "b" => false,
                    other => {
                        return Err(Error::parse(
                            file,
                            i + 1,
                            format!("device type `{other}` is neither `c` nor `b`"),
                        ));
                    }
                };
                let mode = u32::from_str_radix(w[6], 8).map_err(|_| {
                    Error::parse(file, i + 1, format!("mode `{}` is not octal", w[6]))
                })?;
                Some(DeviceNode {
                    char,
                    major: num(w[4], "major")?,
                    minor: num(w[5], "minor")?,
                    mode,
                })
            } else {
                None
            };
            rec.entries.insert(
                path,
                Owner {
                    uid: num(w[1], "uid")?,
                    gid: num(w[2], "gid")?,
                    device,
                },
            );
        }
        Ok(rec)
    }

    /// The text form, sorted by path.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for (p, o) in &self.entries {
            s.push_str(&format!("{p} {} {}", o.uid, o.gid));
            if let Some(d) = o.device {
                let t = if d.char { "c" } else { "b" };
                s.push_str(&format!(" {t} {} {} {:04o}", d.major, d.minor, d.mode));
            }
            s.push('\n');
        }
        s
    }

    /// Sets the entry of `path` (absolute).
    pub fn set(&mut self, path: &str, owner: Owner) {
        if let Some(p) = normalize(path) {
            self.entries.insert(p, owner);
        }
    }

    /// The owner of `path` (absolute), root when not recorded.
    pub fn get(&self, path: &str) -> Owner {
        normalize(path)
            .and_then(|p| self.entries.get(&p).copied())
            .unwrap_or_default()
    }

    /// The device nodes recorded, by path.
    pub fn devices(&self) -> impl Iterator<Item = (&str, Owner)> {
        self.entries
            .iter()
            .filter(|(_, o)| o.device.is_some())
            .map(|(p, o)| (p.as_str(), *o))
    }

    /// Adds every entry of `other` (its entries win).
    pub fn merge(&mut self, other: &OwnerRecord) {
        for (p, o) in &other.entries {
            self.entries.insert(p.clone(), *o);
        }
    }

    /// The entries under `root` of another tree: only those whose path exists below `dir`.
    pub fn restricted_to(&self, dir: &Path) -> OwnerRecord {
        let entries = self
            .entries
            .iter()
            .filter(|(p, o)| {
                o.device.is_some()
                    || dir
                        .join(p.trim_start_matches('/'))
                        .symlink_metadata()
                        .is_ok()
            })
            .map(|(p, o)| (p.clone(), *o))
            .collect();
        OwnerRecord { entries }
    }
}

/// `/a/./b//c/` -> `/a/b/c`; `None` for a relative path or one that climbs above `/`.
pub(crate) fn normalize(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

#[cfg(test)]
mod tests;
