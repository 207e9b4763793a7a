//! The native implementations of the default layer's Python task functions
//! (`meta/README.md`): the run queue's own (sysroot, utility tasks) plus fetch,
//! unpack and patch of local (`file://`) sources.

use std::path::{Path, PathBuf};

use bb_runqueue::TaskContext;

/// Every native task function bake knows.
pub(crate) fn natives() -> bb_runqueue::builtin::Native {
    bb_runqueue::builtin::Native::new()
        .with("do_fetch", fetch)
        .with("do_unpack", unpack)
        .with("do_patch", patch)
}

/// (path part, parameters) of a `file://` SRC_URI word.
fn local(word: &str) -> Option<(&str, Vec<(&str, &str)>)> {
    let rest = word.strip_prefix("file://")?;
    let mut parts = rest.split(';');
    let path = parts.next().unwrap_or("");
    let params = parts.filter_map(|p| p.split_once('=')).collect();
    Some((path, params))
}

fn find(ctx: &TaskContext<'_>, path: &str) -> Result<PathBuf, String> {
    if path.starts_with('/') {
        return Ok(PathBuf::from(path));
    }
    let filespath = ctx.var("FILESPATH")?;
    let dirs: Vec<&str> = filespath.split(':').filter(|s| !s.is_empty()).collect();
    dirs.iter()
        .map(|d| Path::new(d).join(path))
        .find(|p| p.exists())
        .ok_or_else(|| {
            format!(
                "Fetcher failure: Unable to find file file://{path} anywhere. The paths that were searched were:\n    {}",
                dirs.join("\n    ")
            )
        })
}

fn src_uri(ctx: &TaskContext<'_>) -> Result<Vec<String>, String> {
    Ok(ctx
        .var("SRC_URI")?
        .split_whitespace()
        .map(str::to_owned)
        .collect())
}

fn fetch(ctx: &mut TaskContext<'_>) -> Result<(), String> {
    for word in src_uri(ctx)? {
        match local(&word) {
            Some((path, _)) => {
                find(ctx, path)?;
            }
            None => {
                return Err(format!(
                    "Fetcher failure: {word}: only file:// is supported"
                ));
            }
        }
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    if from.is_dir() {
        fs_err::create_dir_all(to).map_err(|e| e.to_string())?;
        for e in fs_err::read_dir(from).map_err(|e| e.to_string())? {
            let e = e.map_err(|e| e.to_string())?;
            copy_tree(&e.path(), &to.join(e.file_name()))?;
        }
        Ok(())
    } else {
        if let Some(dir) = to.parent() {
            fs_err::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        fs_err::copy(from, to)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

fn unpack(ctx: &mut TaskContext<'_>) -> Result<(), String> {
    let dest = PathBuf::from(ctx.var("UNPACKDIR")?);
    for word in src_uri(ctx)? {
        let Some((path, params)) = local(&word) else {
            return Err(format!("Unpack failure: {word}: only file:// is supported"));
        };
        let found = find(ctx, path)?;
        let sub = params
            .iter()
            .find(|(k, _)| *k == "subdir")
            .map(|(_, v)| dest.join(v))
            .unwrap_or_else(|| dest.clone());
        copy_tree(&found, &sub.join(path.trim_start_matches('/')))?;
    }
    Ok(())
}

fn patch(ctx: &mut TaskContext<'_>) -> Result<(), String> {
    let s = PathBuf::from(ctx.var("S")?);
    let unpackdir = PathBuf::from(ctx.var("UNPACKDIR")?);
    for word in src_uri(ctx)? {
        let Some((path, params)) = local(&word) else {
            continue;
        };
        let param = |k: &str| params.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        let name = path.rsplit('/').next().unwrap_or(path);
        let apply =
            param("apply").unwrap_or(if name.ends_with(".patch") || name.ends_with(".diff") {
                "yes"
            } else {
                "no"
            });
        if apply != "yes" {
            continue;
        }
        let copied = unpackdir.join(path.trim_start_matches('/'));
        let file = if copied.exists() {
            copied
        } else {
            find(ctx, path)?
        };
        let dir = s.join(param("patchdir").unwrap_or("."));
        let strip = param("striplevel").unwrap_or("1");
        ctx.note(&format!("Applying patch {name}"));
        let out = std::process::Command::new("patch")
            .args(["--batch", "--forward", &format!("-p{strip}"), "-d"])
            .arg(&dir)
            .arg("-i")
            .arg(&file)
            .output()
            .map_err(|e| format!("cannot run patch: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "Applying patch {name} failed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    Ok(())
}
