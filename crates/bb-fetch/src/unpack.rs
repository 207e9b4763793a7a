//! `unpack`: every fetched entry into UNPACKDIR (or `subdir=` under it).
//!
//! Archives are read with pure-Rust decoders (`tar`, `flate2` with its Rust backend,
//! `bzip2` over `libbz2-rs-sys`, `lzma-rust2`, `ruzstd`, `zip`): no host tool and no C
//! build, and each entry's path is checked before anything is written, which the host
//! `tar` would not let us do.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Component, Path, PathBuf};

use crate::config::FetchConfig;
use crate::error::{Error, Result};
use crate::fetch::{Fetched, Source};

/// Unpacks every entry, in order.
pub fn unpack(cfg: &FetchConfig, fetched: &[Fetched]) -> Result<()> {
    for f in fetched {
        if !f.uri.bool_param("unpack", true)? {
            if let Source::Download(p) | Source::Local(p) = &f.source {
                let dest = dest_dir(cfg, f).join(file_name(p));
                copy_tree(p, &dest)?;
            }
            continue;
        }
        match &f.source {
            Source::Git { mirror, rev } => {
                let dest = cfg.unpackdir.join(
                    f.uri
                        .param("destsuffix")
                        .unwrap_or("git")
                        .trim_start_matches('/'),
                );
                git_checkout(f, mirror, rev, &dest)?;
            }
            Source::Local(p) => {
                if is_archive(p) {
                    extract(p, &dest_dir(cfg, f))?;
                } else {
                    // A local file keeps the sub-path it was named with.
                    let rel = f.uri.path().trim_start_matches('/');
                    let rel = if f.uri.path().starts_with('/') {
                        file_name(p)
                    } else {
                        rel.to_owned()
                    };
                    copy_tree(p, &dest_dir(cfg, f).join(rel))?;
                }
            }
            Source::Download(p) => {
                if is_archive(p) {
                    extract(p, &dest_dir(cfg, f))?;
                } else {
                    copy_tree(p, &dest_dir(cfg, f).join(file_name(p)))?;
                }
            }
        }
    }
    Ok(())
}

fn dest_dir(cfg: &FetchConfig, f: &Fetched) -> PathBuf {
    match f.uri.param("subdir") {
        Some(s) => cfg.unpackdir.join(s.trim_start_matches('/')),
        None => cfg.unpackdir.clone(),
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tar,
    TarGz,
    TarBz2,
    TarXz,
    TarZst,
    Zip,
    Gz,
    Bz2,
    Xz,
    Zst,
}

fn kind(p: &Path) -> Option<Kind> {
    let n = file_name(p);
    let table: &[(&str, Kind)] = &[
        (".tar.gz", Kind::TarGz),
        (".tgz", Kind::TarGz),
        (".tar.bz2", Kind::TarBz2),
        (".tbz2", Kind::TarBz2),
        (".tbz", Kind::TarBz2),
        (".tar.xz", Kind::TarXz),
        (".txz", Kind::TarXz),
        (".tar.zst", Kind::TarZst),
        (".tzst", Kind::TarZst),
        (".tar", Kind::Tar),
        (".zip", Kind::Zip),
        (".gz", Kind::Gz),
        (".bz2", Kind::Bz2),
        (".xz", Kind::Xz),
        (".zst", Kind::Zst),
    ];
    table
        .iter()
        .find(|(suffix, _)| n.ends_with(suffix))
        .map(|(_, k)| *k)
}

fn is_archive(p: &Path) -> bool {
    p.is_file() && kind(p).is_some()
}

fn archive_err(p: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Archive {
        archive: p.to_owned(),
        source: e,
    }
}

fn decoder(p: &Path, k: Kind) -> Result<Box<dyn Read>> {
    let f = BufReader::new(File::open(p).map_err(archive_err(p))?);
    Ok(match k {
        Kind::Tar => Box::new(f),
        Kind::TarGz | Kind::Gz => Box::new(flate2::read::MultiGzDecoder::new(f)),
        Kind::TarBz2 | Kind::Bz2 => Box::new(bzip2::read::MultiBzDecoder::new(f)),
        Kind::TarXz | Kind::Xz => Box::new(lzma_rust2::XzReader::new(f, true)),
        Kind::TarZst | Kind::Zst => Box::new(
            ruzstd::streaming_decoder::StreamingDecoder::new(f)
                .map_err(|e| archive_err(p)(std::io::Error::other(e.to_string())))?,
        ),
        Kind::Zip => Box::new(f),
    })
}

/// A relative path that stays inside the destination, or why not.
fn safe_relative(entry: &Path) -> std::result::Result<PathBuf, &'static str> {
    let mut out = PathBuf::new();
    for c in entry.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            Component::ParentDir => return Err("it leaves the destination (`..`)"),
            Component::RootDir | Component::Prefix(_) => {
                return Err("it is an absolute path");
            }
        }
    }
    Ok(out)
}

/// Whether a symbolic link at `at` (relative to the destination) pointing at `target`
/// stays inside the destination.
fn link_stays_inside(at: &Path, target: &Path) -> bool {
    if target.is_absolute() {
        return false;
    }
    let mut depth: i64 = at.components().count() as i64 - 1;
    for c in target.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return false,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

/// Refuses to write through a symbolic link that an earlier entry planted.
fn no_link_in_parents(dest: &Path, rel: &Path) -> bool {
    let mut cur = dest.to_path_buf();
    let mut comps: Vec<_> = rel.components().collect();
    comps.pop();
    for c in comps {
        cur.push(c);
        if std::fs::symlink_metadata(&cur).is_ok_and(|m| m.file_type().is_symlink()) {
            return false;
        }
    }
    true
}

fn extract(p: &Path, dest: &Path) -> Result<()> {
    fs_err::create_dir_all(dest)?;
    let k = kind(p).unwrap_or(Kind::Tar);
    let unsafe_entry = |entry: &Path, reason: &str| Error::UnsafeEntry {
        archive: p.to_owned(),
        entry: entry.display().to_string(),
        reason: reason.to_owned(),
    };
    match k {
        Kind::Zip => {
            let f = File::open(p).map_err(archive_err(p))?;
            let mut z = zip::ZipArchive::new(f)
                .map_err(|e| archive_err(p)(std::io::Error::other(e.to_string())))?;
            for i in 0..z.len() {
                let mut e = z
                    .by_index(i)
                    .map_err(|e| archive_err(p)(std::io::Error::other(e.to_string())))?;
                let name = PathBuf::from(e.name());
                let rel = safe_relative(&name).map_err(|r| unsafe_entry(&name, r))?;
                if !no_link_in_parents(dest, &rel) {
                    return Err(unsafe_entry(
                        &name,
                        "it would be written through a symbolic link",
                    ));
                }
                let out = dest.join(&rel);
                if e.is_dir() {
                    fs_err::create_dir_all(&out)?;
                    continue;
                }
                if let Some(parent) = out.parent() {
                    fs_err::create_dir_all(parent)?;
                }
                let mut w = fs_err::File::create(&out)?;
                std::io::copy(&mut e, &mut w).map_err(archive_err(p))?;
                #[cfg(unix)]
                if let Some(mode) = e.unix_mode() {
                    use std::os::unix::fs::PermissionsExt as _;
                    let _ = std::fs::set_permissions(
                        &out,
                        std::fs::Permissions::from_mode(mode & 0o7777),
                    );
                }
            }
            Ok(())
        }
        Kind::Gz | Kind::Bz2 | Kind::Xz | Kind::Zst => {
            let name = file_name(p);
            let stem = name
                .rsplit_once('.')
                .map(|(s, _)| s.to_owned())
                .unwrap_or(name);
            let mut r = decoder(p, k)?;
            let out = dest.join(stem);
            bb_util::fs::atomic_write_with(&out, |w| std::io::copy(&mut r, w).map(drop))
                .map_err(archive_err(p))?;
            Ok(())
        }
        _ => {
            let r = decoder(p, k)?;
            let mut a = tar::Archive::new(r);
            a.set_preserve_permissions(true);
            a.set_overwrite(true);
            for e in a.entries().map_err(archive_err(p))? {
                let mut e = e.map_err(archive_err(p))?;
                let name = e.path().map_err(archive_err(p))?.into_owned();
                let rel = safe_relative(&name).map_err(|r| unsafe_entry(&name, r))?;
                if rel.as_os_str().is_empty() {
                    continue;
                }
                if !no_link_in_parents(dest, &rel) {
                    return Err(unsafe_entry(
                        &name,
                        "it would be written through a symbolic link",
                    ));
                }
                let kind = e.header().entry_type();
                if kind.is_symlink() || kind.is_hard_link() {
                    let target = e
                        .link_name()
                        .map_err(archive_err(p))?
                        .map(|t| t.into_owned())
                        .unwrap_or_default();
                    let ok = if kind.is_symlink() {
                        link_stays_inside(&rel, &target)
                    } else {
                        safe_relative(&target).is_ok()
                    };
                    if !ok {
                        return Err(unsafe_entry(
                            &name,
                            &format!(
                                "its link target `{}` is outside the destination",
                                target.display()
                            ),
                        ));
                    }
                }
                let ok = e.unpack_in(dest).map_err(archive_err(p))?;
                if !ok {
                    return Err(unsafe_entry(
                        &name,
                        "it would be written outside the destination",
                    ));
                }
            }
            Ok(())
        }
    }
}

/// Copies a file or a directory tree (symbolic links kept).
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    let meta = fs_err::symlink_metadata(from)?;
    if meta.file_type().is_symlink() {
        let target = fs_err::read_link(from)?;
        if let Some(parent) = to.parent() {
            fs_err::create_dir_all(parent)?;
        }
        let _ = std::fs::remove_file(to);
        std::os::unix::fs::symlink(&target, to)?;
    } else if meta.is_dir() {
        fs_err::create_dir_all(to)?;
        for e in fs_err::read_dir(from)? {
            let e = e?;
            copy_tree(&e.path(), &to.join(e.file_name()))?;
        }
    } else {
        if let Some(parent) = to.parent() {
            fs_err::create_dir_all(parent)?;
        }
        fs_err::copy(from, to)?;
    }
    Ok(())
}

/// Clones a git source from its mirror and checks out the revision (detached).
fn git_checkout(f: &Fetched, mirror: &Path, rev: &str, dest: &Path) -> Result<()> {
    let uri = f.uri.as_str();
    if dest.exists() {
        fs_err::remove_dir_all(dest)?;
    }
    if let Some(parent) = dest.parent() {
        fs_err::create_dir_all(parent)?;
    }
    let m = mirror.to_string_lossy().into_owned();
    let d = dest.to_string_lossy().into_owned();
    crate::fetch::run_git(&["clone", "--quiet", "--no-checkout", &m, &d], None, uri)?;
    crate::fetch::run_git(&["checkout", "--quiet", "--detach", rev], Some(dest), uri)?;
    Ok(())
}
