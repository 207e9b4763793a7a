//! SSTATE_MIRRORS: pairs of a regular expression over the object's URL
//! (`file://<name>`) and a mirror URL where `PATH` stands for the object's name
//! relative to SSTATE_DIR (openembedded-core's convention). `file://` mirrors are read
//! directly; `http://` and `https://` mirrors through ureq (a `HEAD` to look, a `GET`
//! streamed to a temporary file renamed into SSTATE_DIR to fetch). BB_NO_NETWORK
//! (unless SSTATE_MIRROR_ALLOW_NETWORK, which the caller folds in) turns every
//! network mirror off.

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

/// One HTTP client for every look-up and fetch of the process (keeps connections).
fn agent() -> &'static ureq::Agent {
    static AGENT: std::sync::OnceLock<ureq::Agent> = std::sync::OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .timeout_connect(Some(std::time::Duration::from_secs(10)))
            .timeout_global(Some(std::time::Duration::from_secs(600)))
            .build()
            .into()
    })
}

fn is_network(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

fn exists(url: &str) -> bool {
    if let Some(path) = url.strip_prefix("file://") {
        return Path::new(path).is_file();
    }
    if is_network(url) {
        return agent()
            .head(url)
            .call()
            .is_ok_and(|r| r.status().is_success());
    }
    false
}

fn fetch_one(url: &str, dest: &Path) -> Result<()> {
    if let Some(dir) = dest.parent() {
        fs_err::create_dir_all(dir)?;
    }
    if let Some(path) = url.strip_prefix("file://") {
        bb_util::fs::atomic_copy(Path::new(path), dest)?;
        return Ok(());
    }
    if !is_network(url) {
        return Err(Error::Mirror {
            url: url.to_owned(),
            reason: "unsupported mirror protocol (file://, http:// and https:// are)".to_owned(),
        });
    }
    let err = |reason: String| Error::Mirror {
        url: url.to_owned(),
        reason,
    };
    let resp = agent().get(url).call().map_err(|e| err(e.to_string()))?;
    let mut body = resp.into_body().into_reader();
    // Written to a temporary name and renamed: a cut connection leaves no object.
    bb_util::fs::atomic_write_with(dest, |f| {
        std::io::copy(&mut body, f)?;
        f.sync_all()
    })
    .map_err(|e| err(e.to_string()))?;
    Ok(())
}
