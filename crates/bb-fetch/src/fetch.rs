//! `fetch`: where each SRC_URI entry's content is on the local disk after `do_fetch`.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest as _;

use crate::config::FetchConfig;
use crate::error::{Error, Result};
use crate::uri::SrcUri;

/// What an entry resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A local file or directory (`file://`, found through FILESPATH).
    Local(PathBuf),
    /// A downloaded file in DL_DIR.
    Download(PathBuf),
    /// A bare git mirror in `DL_DIR/git2/` and the commit to check out.
    Git {
        /// The mirror.
        mirror: PathBuf,
        /// The full commit id SRCREV resolved to.
        rev: String,
    },
}

/// One fetched SRC_URI entry.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The entry.
    pub uri: SrcUri,
    /// Where its content is.
    pub source: Source,
}

/// Fetches every entry, in order.
pub fn fetch(cfg: &FetchConfig, uris: &[SrcUri]) -> Result<Vec<Fetched>> {
    uris.iter()
        .map(|u| {
            let source = match u.scheme() {
                "file" => Source::Local(find_local(cfg, u)?),
                "http" | "https" | "ftp" => Source::Download(download(cfg, u)?),
                "git" => git_fetch(cfg, u)?,
                other => {
                    return Err(Error::UnsupportedScheme {
                        uri: u.as_str().to_owned(),
                        scheme: other.to_owned(),
                    });
                }
            };
            Ok(Fetched {
                uri: u.clone(),
                source,
            })
        })
        .collect()
}

/// A `file://` entry: an absolute path as it is, a relative one in the first FILESPATH
/// directory that has it.
fn find_local(cfg: &FetchConfig, u: &SrcUri) -> Result<PathBuf> {
    let path = u.path();
    if path.starts_with('/') {
        let p = PathBuf::from(path);
        if p.exists() {
            return Ok(p);
        }
        return Err(Error::LocalNotFound {
            uri: u.as_str().to_owned(),
            searched: vec![p],
        });
    }
    let searched: Vec<PathBuf> = cfg.filespath.iter().map(|d| d.join(path)).collect();
    searched
        .iter()
        .find(|p| p.exists())
        .cloned()
        .ok_or_else(|| Error::LocalNotFound {
            uri: u.as_str().to_owned(),
            searched,
        })
}

/// The name of a download in DL_DIR: `downloadfilename=`, else the URL's basename.
fn download_name(u: &SrcUri) -> String {
    u.param("downloadfilename")
        .map(str::to_owned)
        .unwrap_or_else(|| u.basename().to_owned())
}

fn file_sha256(path: &Path) -> Result<String> {
    let mut f = fs_err::File::open(path)?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:x}", h.finalize()))
}

fn file_md5(path: &Path) -> Result<String> {
    let bytes = fs_err::read(path)?;
    Ok(format!("{:x}", md5::Md5::digest(&bytes)))
}

/// Checks a download against the recipe's checksums.
fn verify(cfg: &FetchConfig, u: &SrcUri, path: &Path) -> Result<()> {
    let sums = cfg.checksums.get(&u.name()).cloned().unwrap_or_default();
    if sums.is_empty() {
        if cfg.strict_checksum {
            return Err(Error::MissingChecksum {
                uri: u.as_str().to_owned(),
                flag: u.name().checksum_flag("sha256sum"),
            });
        }
        return Ok(());
    }
    if let Some(want) = &sums.sha256 {
        let got = file_sha256(path)?;
        if !got.eq_ignore_ascii_case(want) {
            return Err(Error::ChecksumMismatch {
                uri: u.as_str().to_owned(),
                file: path.to_owned(),
                kind: "sha256sum",
                expected: want.clone(),
                actual: got,
            });
        }
    }
    if let Some(want) = &sums.md5 {
        let got = file_md5(path)?;
        if !got.eq_ignore_ascii_case(want) {
            return Err(Error::ChecksumMismatch {
                uri: u.as_str().to_owned(),
                file: path.to_owned(),
                kind: "md5sum",
                expected: want.clone(),
                actual: got,
            });
        }
    }
    Ok(())
}

/// A URL without its `;parameters`.
fn bare_url(u: &SrcUri) -> String {
    u.as_str()
        .split(';')
        .next()
        .unwrap_or(u.as_str())
        .to_owned()
}

/// An http(s)/ftp entry: DL_DIR (when complete), PREMIRRORS, the network, MIRRORS.
fn download(cfg: &FetchConfig, u: &SrcUri) -> Result<PathBuf> {
    let name = download_name(u);
    let dest = cfg.dl_dir.join(&name);
    let done = cfg.dl_dir.join(format!("{name}.done"));
    if dest.exists() && done.exists() {
        verify(cfg, u, &dest)?;
        return Ok(dest);
    }
    fs_err::create_dir_all(&cfg.dl_dir)?;
    let url = bare_url(u);
    let mut tried = Vec::new();
    for m in &cfg.premirrors {
        if let Some(candidate) = m.rewrite(&url, &name) {
            tried.push(candidate.clone());
            if try_copy(&candidate, &dest)? {
                verify(cfg, u, &dest)?;
                fs_err::write(&done, b"")?;
                return Ok(dest);
            }
        }
    }
    if cfg.no_network {
        return Err(Error::NetworkDisabled {
            uri: u.as_str().to_owned(),
            tried,
        });
    }
    tried.push(url.clone());
    for m in &cfg.mirrors {
        if let Some(candidate) = m.rewrite(&url, &name) {
            tried.push(candidate.clone());
            if try_copy(&candidate, &dest)? {
                verify(cfg, u, &dest)?;
                fs_err::write(&done, b"")?;
                return Ok(dest);
            }
        }
    }
    Err(Error::DownloadUnavailable {
        uri: u.as_str().to_owned(),
        tried,
    })
}

/// Copies a `file://` mirror candidate to `dest` (temporary name, then rename);
/// `false` when it is not there or not a local mirror.
fn try_copy(candidate: &str, dest: &Path) -> Result<bool> {
    let Some(path) = candidate.strip_prefix("file://") else {
        return Ok(false);
    };
    let src = Path::new(path);
    if !src.is_file() {
        return Ok(false);
    }
    bb_util::fs::atomic_copy(src, dest)?;
    Ok(true)
}

fn git(args: &[&str], cwd: Option<&Path>, uri: &str) -> Result<String> {
    let mut cmd = Command::new("git");
    cmd.args(args).env("GIT_TERMINAL_PROMPT", "0");
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    let out = cmd.output().map_err(|e| Error::Spawn {
        program: "git".into(),
        source: e,
    })?;
    if !out.status.success() {
        return Err(Error::Git {
            uri: uri.to_owned(),
            command: format!("git {}", args.join(" ")),
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The repository a git entry points at, as a path for `git clone`.
fn git_source(u: &SrcUri) -> Result<String> {
    let protocol = u.param("protocol").unwrap_or("git");
    let path = if u.host().is_empty() {
        u.path().to_owned()
    } else {
        format!("{}{}", u.host(), u.path())
    };
    match protocol {
        "file" => Ok(if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        }),
        _ if u.host().is_empty() && path.starts_with('/') => Ok(path),
        other => Err(Error::InvalidParam {
            uri: u.as_str().to_owned(),
            key: "protocol".into(),
            value: other.to_owned(),
            reason: "only local repositories (protocol=file) can be fetched here".into(),
        }),
    }
}

/// `git://`: a bare mirror in `DL_DIR/git2/<host.path>` kept up to date, and SRCREV
/// resolved in it.
fn git_fetch(cfg: &FetchConfig, u: &SrcUri) -> Result<Source> {
    let uri = u.as_str();
    let repo = git_source(u)?;
    let rev = cfg
        .srcrevs
        .get(&u.name())
        .or_else(|| cfg.srcrevs.get(&crate::uri::UriName::default_name()))
        .cloned()
        .ok_or_else(|| Error::MissingSrcrev {
            uri: uri.to_owned(),
            name: u.name().to_string(),
        })?;
    if rev == "AUTOINC" || rev.contains("AUTOREV") || rev.is_empty() {
        return Err(Error::FloatingRevision {
            uri: uri.to_owned(),
            rev,
        });
    }
    let mirror_name = format!("{}{}", u.host(), u.path())
        .trim_start_matches('/')
        .replace('/', ".");
    let git2 = cfg.dl_dir.join("git2");
    fs_err::create_dir_all(&git2)?;
    let mirror = git2.join(&mirror_name);
    let mirror_s = mirror.to_string_lossy().into_owned();
    if !mirror.join("HEAD").exists() {
        let tmp = git2.join(format!(".{mirror_name}.tmp.{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let tmp_s = tmp.to_string_lossy().into_owned();
        git(
            &["clone", "--bare", "--mirror", "--quiet", &repo, &tmp_s],
            None,
            uri,
        )?;
        fs_err::rename(&tmp, &mirror)?;
    }
    let resolve = |m: &str| {
        git(
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ],
            Some(Path::new(m)),
            uri,
        )
    };
    let commit = match resolve(&mirror_s) {
        Ok(c) => c,
        Err(_) => {
            // Not there yet: update the mirror and try again.
            git(
                &[
                    "fetch",
                    "--quiet",
                    "--prune",
                    "--tags",
                    &repo,
                    "+refs/*:refs/*",
                ],
                Some(&mirror),
                uri,
            )?;
            resolve(&mirror_s).map_err(|e| Error::RevisionNotFound {
                uri: uri.to_owned(),
                rev: rev.clone(),
                mirror: mirror.clone(),
                detail: e.to_string(),
            })?
        }
    };
    Ok(Source::Git {
        mirror,
        rev: commit,
    })
}

pub(crate) fn run_git(args: &[&str], cwd: Option<&Path>, uri: &str) -> Result<String> {
    git(args, cwd, uri)
}
