//! SSTATE_MIRRORS: pairs of a regular expression over the object's URL
//! (`file://<name>`) and a mirror URL where `PATH` stands for the object's name
//! relative to SSTATE_DIR (openembedded-core's convention). `file://` mirrors are read
//! directly; others are refused with a clear error until a network client is wired in.
//! BB_NO_NETWORK turns every non-`file://` mirror off.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where an object was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// In SSTATE_DIR.
    Local(PathBuf),
    /// On a mirror, at this URL.
    Mirror(String),
}

/// The mirrors of SSTATE_MIRRORS, in order.
#[derive(Debug, Clone, Default)]
pub struct Mirrors {
    entries: Vec<String>,
    no_network: bool,
}

impl Mirrors {
    /// Parses SSTATE_MIRRORS (`\n` and spaces separate words; words pair up as
    /// pattern, mirror); with `no_network`, only `file://` mirrors are used.
    pub fn parse(value: &str, no_network: bool) -> Mirrors {
        let words: Vec<&str> = value
            .split(|c: char| c.is_whitespace())
            .filter(|w| !w.is_empty() && *w != "\\n")
            .map(|w| w.trim_end_matches("\\n"))
            .collect();
        let entries = words
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| c[1].to_owned())
            .filter(|m| !no_network || m.starts_with("file://"))
            .collect();
        Mirrors {
            entries,
            no_network,
        }
    }

    /// Whether no mirror is set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Each mirror's URL for the object `name` (relative to SSTATE_DIR).
    fn urls(&self, name: &str) -> Vec<String> {
        self.entries
            .iter()
            .map(|m| {
                let m = m.split(";downloadfilename=").next().unwrap_or(m);
                if m.contains("PATH") {
                    m.replace("PATH", name)
                } else {
                    format!("{}/{name}", m.trim_end_matches('/'))
                }
            })
            .collect()
    }

    /// The first mirror that has `name`, if any.
    pub fn find(&self, name: &str) -> Option<String> {
        self.urls(name).into_iter().find(|u| exists(u))
    }

    /// Copies the object `name` from the first mirror that has it to `dest` (written
    /// under a temporary name and renamed); the `.siginfo` beside it too when there is
    /// one. Returns the URL used.
    pub fn fetch(&self, name: &str, dest: &Path) -> Result<String> {
        let mut last = None;
        for url in self.urls(name) {
            match fetch_one(&url, dest) {
                Ok(()) => {
                    let sig = PathBuf::from(format!("{}.siginfo", dest.display()));
                    let _ = fetch_one(&format!("{url}.siginfo"), &sig);
                    return Ok(url);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::Mirror {
            url: name.to_owned(),
            reason: if self.no_network {
                "no mirror usable without network (BB_NO_NETWORK)".to_owned()
            } else {
                "no mirror has it".to_owned()
            },
        }))
    }
}

fn exists(url: &str) -> bool {
    match url.strip_prefix("file://") {
        Some(path) => Path::new(path).is_file(),
        None => false,
    }
}

fn fetch_one(url: &str, dest: &Path) -> Result<()> {
    let Some(path) = url.strip_prefix("file://") else {
        return Err(Error::Mirror {
            url: url.to_owned(),
            reason: "only file:// sstate mirrors are supported so far".to_owned(),
        });
    };
    if let Some(dir) = dest.parent() {
        fs_err::create_dir_all(dir)?;
    }
    bb_util::fs::atomic_copy(Path::new(path), dest)?;
    Ok(())
}
