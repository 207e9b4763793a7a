//! `git rev-parse HEAD` and `git rev-parse --abbrev-ref HEAD` read from a repository's files,
//! for OE-Core's `oe.buildcfg` helpers (`METADATA_BRANCH`, `METADATA_REVISION`).
//!
//! Only the plain layouts are read (a `.git` directory or a `gitdir:` file, loose refs and
//! `packed-refs`); anything else (reftable, symbolic refs pointing at symbolic refs, refs
//! outside `refs/heads/`) needs Python rather than a guess.

use crate::builtins::normpath;
use crate::error::{EvalError, Result};
use crate::host::Host;

fn is_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The directory holding `HEAD` and the one holding the refs, for the repository containing
/// `dir` (an absolute, normalized path).
fn find_git_dir(host: &dyn Host, dir: &str) -> Result<Option<(String, String)>> {
    let mut cur = dir.to_owned();
    loop {
        let dotgit = if cur == "/" {
            "/.git".to_owned()
        } else {
            format!("{cur}/.git")
        };
        let info = host.path_info(&dotgit);
        if info.is_dir {
            if host.path_info(&format!("{dotgit}/commondir")).exists {
                return Err(EvalError::needs("a git repository with a `commondir`"));
            }
            return Ok(Some((dotgit.clone(), dotgit)));
        }
        if info.is_file {
            let text = host.read_to_string(&dotgit).unwrap_or_default();
            let Some(target) = text.trim_end().strip_prefix("gitdir: ") else {
                return Ok(None);
            };
            let gitdir = if target.starts_with('/') {
                normpath(target)
            } else {
                normpath(&format!("{cur}/{target}"))
            };
            let common = match host.read_to_string(&format!("{gitdir}/commondir")) {
                Some(c) => {
                    let c = c.trim_end();
                    if c.starts_with('/') {
                        normpath(c)
                    } else {
                        normpath(&format!("{gitdir}/{c}"))
                    }
                }
                None => gitdir.clone(),
            };
            return Ok(Some((gitdir, common)));
        }
        if cur == "/" {
            return Ok(None);
        }
        cur = match cur.rfind('/') {
            Some(0) | None => "/".to_owned(),
            Some(i) => cur[..i].to_owned(),
        };
    }
}

/// The commit a ref (`refs/heads/x`) names; `None` for an unborn branch.
fn resolve_ref(host: &dyn Host, gitdir: &str, common: &str, r: &str) -> Result<Option<String>> {
    for dir in [gitdir, common] {
        if let Some(text) = host.read_to_string(&format!("{dir}/{r}")) {
            let t = text.trim_end();
            if is_sha(t) {
                return Ok(Some(t.to_owned()));
            }
            return Err(EvalError::needs(format!("the git ref `{r}` holding `{t}`")));
        }
    }
    if let Some(packed) = host.read_to_string(&format!("{common}/packed-refs")) {
        for line in packed.lines() {
            if let Some((sha, name)) = line.split_once(' ')
                && name == r
                && is_sha(sha)
            {
                return Ok(Some(sha.to_owned()));
            }
        }
    }
    Ok(None)
}

/// What `git rev-parse [--abbrev-ref] HEAD` prints when run in `path`; `None` when it fails
/// (not a repository, no such directory, an unborn branch).
pub(crate) fn rev_parse_head(host: &dyn Host, path: &str, branch: bool) -> Result<Option<String>> {
    let abs = if path.starts_with('/') {
        normpath(path)
    } else {
        let cwd = host
            .cwd()
            .ok_or_else(|| EvalError::needs("`os.getcwd()` of a directory that is not text"))?;
        normpath(&format!("{cwd}/{path}"))
    };
    if !host.path_info(&abs).is_dir {
        return Ok(None);
    }
    let Some((gitdir, common)) = find_git_dir(host, &abs)? else {
        return Ok(None);
    };
    if host.path_info(&format!("{common}/reftable")).exists {
        return Err(EvalError::needs("a git repository in the reftable format"));
    }
    let Some(head) = host.read_to_string(&format!("{gitdir}/HEAD")) else {
        return Ok(None);
    };
    let head = head.trim_end();
    if is_sha(head) {
        return Ok(Some(if branch {
            "HEAD".to_owned()
        } else {
            head.to_owned()
        }));
    }
    let Some(r) = head.strip_prefix("ref: ") else {
        return Err(EvalError::needs(format!("a git HEAD holding `{head}`")));
    };
    let Some(name) = r.strip_prefix("refs/heads/") else {
        return Err(EvalError::needs(format!("a git HEAD naming `{r}`")));
    };
    let Some(sha) = resolve_ref(host, &gitdir, &common, r)? else {
        return Ok(None);
    };
    Ok(Some(if branch { name.to_owned() } else { sha }))
}
