//! Splitting `${PKGD}` into one directory per package, as oe-core's `populate_packages`:
//! PACKAGES ordered (`-src` first, then `-dbg`, then the rest in their order), each
//! package's FILES globbed (Python's rules) with directories taken whole, a path going to
//! the first package that claims it, `.debug` directories to the `-dbg` package, parent
//! directories created with the modes of `${PKGD}`; QA `expanded-d` (FILES naming
//! `${D}`), `files-invalid`, `packages-list`, then `installed-vs-shipped` over what no
//! package took.

use std::collections::HashSet;
use std::path::Path;

use crate::error::{Error, Result};
use crate::owners::normalize;
use crate::qa::{self, QaIssue};
use crate::spec::PackageConfig;
use crate::tree::{Kind, Tree};

/// One package after the split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SplitPackage {
    /// The name in PACKAGES.
    pub name: String,
    /// Index into `PackageConfig::packages`.
    pub spec: usize,
    /// Whether it has content or ALLOW_EMPTY (BitBake writes only these).
    pub packaged: bool,
}

/// PACKAGES in the order `populate_packages` handles them, duplicates reported.
pub(crate) fn ordered(cfg: &PackageConfig, issues: &mut Vec<QaIssue>) -> Vec<usize> {
    let mut seen = HashSet::new();
    let mut keyed = Vec::new();
    for (i, p) in cfg.packages.iter().enumerate() {
        if !seen.insert(p.name.clone()) {
            issues.push(qa::issue(
                &cfg.error_qa,
                &cfg.warn_qa,
                "packages-list",
                format!(
                    "{} is listed in PACKAGES multiple times, this leads to packaging errors.",
                    p.name
                ),
            ));
            continue;
        }
        let rank = if p.name.ends_with("-src") {
            10
        } else if p.name.ends_with("-dbg") {
            30
        } else {
            50
        };
        keyed.push((rank, i));
    }
    keyed.sort();
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// The FILES words of a package as paths `./a/b` in the order `files_from_filevars`
/// yields them (globs expanded, directories followed by their contents, recursively).
fn files_from_filevars(tree: &Tree, words: &[String], pkgd: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    for w in words {
        let abs = if w.starts_with('/') {
            w.clone()
        } else {
            format!("/{w}")
        };
        let norm = normalize(&abs).ok_or_else(|| Error::Escapes {
            path: w.clone(),
            root: pkgd.to_path_buf(),
        })?;
        let f = format!(".{}", if norm == "/" { "" } else { &norm });
        let f = if f.is_empty() { ".".to_owned() } else { f };
        let globbed = tree.glob(&f);
        if !globbed.is_empty() && globbed != [f.clone()] {
            files.extend(globbed);
            continue;
        }
        files.push(f);
    }
    let mut i = 0;
    while i < files.len() {
        if tree.kind(&files[i]) == Some(Kind::Dir) {
            let f = files[i].clone();
            let kids: Vec<String> = tree
                .children(&f)
                .iter()
                .map(|n| format!("{f}/{n}"))
                .collect();
            files.extend(kids);
        }
        i += 1;
    }
    Ok(files)
}

fn parent(p: &str) -> &str {
    p.rsplit_once('/').map(|(a, _)| a).unwrap_or(".")
}

/// Creates `rel` and its missing parents below `dest` with the modes they have in `tree`.
fn mkdir_recurse(tree: &Tree, dest: &Path, rel: &str, seen: &mut HashSet<String>) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut p = String::from(".");
    for c in rel.trim_start_matches("./").split('/') {
        if c.is_empty() || c == "." {
            continue;
        }
        p = format!("{p}/{c}");
        let target = dest.join(&p[2..]);
        if target.symlink_metadata().is_err() {
            let mode = fs_err::metadata(tree.abs(&p))?.permissions().mode();
            fs_err::create_dir(&target)?;
            fs_err::set_permissions(&target, std::fs::Permissions::from_mode(mode & 0o7777))?;
            seen.insert(p.clone());
        }
    }
    Ok(())
}

/// Populates `${PKGDEST}/<pkg>` for every package from the tree of `${PKGD}`; returns
/// the packages in their handling order and the QA issues (`installed-vs-shipped`,
/// `files-invalid`, `packages-list`).
pub(crate) fn populate_packages(
    cfg: &PackageConfig,
    tree: &Tree,
    issues: &mut Vec<QaIssue>,
) -> Result<Vec<SplitPackage>> {
    let order = ordered(cfg, issues);
    let mut seen: HashSet<String> = HashSet::new();
    let debug: Vec<String> = tree
        .walk_order()
        .into_iter()
        .filter(|p| {
            p.contains("/.debug/") || p.contains("/.debug-static/") || p.ends_with("/.debug")
        })
        .collect();
    let mut out = Vec::new();
    for &i in &order {
        let spec = &cfg.packages[i];
        let root = cfg.pkgdest.join(&spec.name);
        fs_err::create_dir_all(&root)?;
        let dpath = cfg.d.display().to_string();
        if !dpath.is_empty() && spec.files.iter().any(|w| w.contains(&dpath)) {
            issues.push(qa::issue(
                &cfg.error_qa,
                &cfg.warn_qa,
                "expanded-d",
                format!(
                    "FILES in {} recipe should not contain the ${{D}} variable as it references the local build directory not the target filesystem, best solution is to remove the ${{D}} reference",
                    spec.name
                ),
            ));
        }
        if spec.files.iter().any(|w| w.contains("//")) {
            issues.push(qa::issue(
                &cfg.error_qa,
                &cfg.warn_qa,
                "files-invalid",
                format!(
                    "FILES variable for package {} contains '//' which is invalid. Attempting to fix this but you should correct the metadata.\n",
                    spec.name
                ),
            ));
        }
        let mut files = files_from_filevars(tree, &spec.files, &cfg.pkgd)?;
        if spec.name.ends_with("-dbg") {
            files.extend(debug.iter().cloned());
        }
        for file in files {
            let Some(kind) = tree.kind(&file) else {
                continue;
            };
            if file == "." || seen.contains(&file) {
                continue;
            }
            seen.insert(file.clone());
            if kind == Kind::Dir {
                mkdir_recurse(tree, &root, &file, &mut seen)?;
                continue;
            }
            mkdir_recurse(tree, &root, parent(&file), &mut seen)?;
            let from = tree.abs(&file);
            let to = root.join(&file[2..]);
            if let Kind::Symlink { .. } = kind {
                let target = fs_err::read_link(&from)?;
                std::os::unix::fs::symlink(&target, &to)
                    .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", to.display())))?;
            } else if fs_err::hard_link(&from, &to).is_err() {
                fs_err::copy(&from, &to)?;
            }
        }
        let has_content = fs_err::read_dir(&root)?
            .filter_map(|e| e.ok())
            .any(|e| !e.file_name().to_string_lossy().starts_with('.'));
        out.push(SplitPackage {
            name: spec.name.clone(),
            spec: i,
            packaged: has_content || spec.allow_empty,
        });
    }
    let unshipped: Vec<String> = tree
        .walk_order()
        .into_iter()
        .filter(|p| !seen.contains(p))
        .map(|p| p[1..].to_owned())
        .collect();
    if !unshipped.is_empty() && !cfg.insane_skip.iter().any(|s| s == "installed-vs-shipped") {
        let pn = &cfg.pn;
        let mut msg =
            format!("{pn}: Files/directories were installed but not shipped in any package:");
        for f in &unshipped {
            msg.push_str("\n  ");
            msg.push_str(f);
        }
        msg.push_str("\nPlease set FILES such that these items are packaged. Alternatively if they are unneeded, avoid installing them or delete them within do_install.\n");
        msg.push_str(&format!(
            "{pn}: {} installed and not shipped files.",
            unshipped.len()
        ));
        issues.push(qa::issue(
            &cfg.error_qa,
            &cfg.warn_qa,
            "installed-vs-shipped",
            msg,
        ));
    }
    Ok(out)
}
