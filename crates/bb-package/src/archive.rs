//! Deterministic archives of a directory tree: tar (GNU), cpio (newc), ar, gzip.
//!
//! Every archive lists `./` first, then each directory's entries sorted by name, depth
//! first; modes come from the files, owners and device nodes from an [`OwnerRecord`],
//! times are SOURCE_DATE_EPOCH, the gzip header carries no name and no time. Two runs over
//! the same tree give the same bytes.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::error::Result;
use crate::owners::OwnerRecord;

/// One member of an archive, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry {
    /// A directory (`/usr`); the root is `/`.
    Dir { path: String, mode: u32 },
    /// A regular file and its contents' location.
    File {
        path: String,
        mode: u32,
        src: std::path::PathBuf,
        size: u64,
    },
    /// A symbolic link.
    Symlink { path: String, target: String },
    /// A device node from the owners record.
    Device {
        path: String,
        char: bool,
        major: u32,
        minor: u32,
        mode: u32,
    },
}

impl Entry {
    pub(crate) fn path(&self) -> &str {
        match self {
            Entry::Dir { path, .. }
            | Entry::File { path, .. }
            | Entry::Symlink { path, .. }
            | Entry::Device { path, .. } => path,
        }
    }
}

/// The entries of `root` in archive order; device nodes of `owners` are added when
/// `devices` (their parent directory must be in the tree or be added itself).
pub(crate) fn entries(root: &Path, owners: &OwnerRecord, devices: bool) -> Result<Vec<Entry>> {
    let mut out = vec![Entry::Dir {
        path: "/".into(),
        mode: fs_err::metadata(root)?.permissions().mode() & 0o7777,
    }];
    walk(root, "", &mut out)?;
    if devices {
        for (p, o) in owners.devices() {
            let Some(d) = o.device else { continue };
            if out.iter().any(|e| e.path() == p) {
                continue;
            }
            out.push(Entry::Device {
                path: p.to_owned(),
                char: d.char,
                major: d.major,
                minor: d.minor,
                mode: d.mode,
            });
        }
        // keep the order: a device right after its parent's other entries is fine for
        // every reader, but sort to stay canonical
        let root_entry = out.remove(0);
        out.sort_by(|a, b| sort_key(a.path()).cmp(&sort_key(b.path())));
        out.insert(0, root_entry);
    }
    Ok(out)
}

fn sort_key(p: &str) -> Vec<&str> {
    p.split('/').collect()
}

fn walk(root: &Path, rel: &str, out: &mut Vec<Entry>) -> Result<()> {
    let dir = if rel.is_empty() {
        root.to_path_buf()
    } else {
        root.join(&rel[1..])
    };
    let mut names: Vec<String> = fs_err::read_dir(&dir)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()?;
    names.sort();
    for n in names {
        let path = format!("{rel}/{n}");
        let abs = dir.join(&n);
        let meta = fs_err::symlink_metadata(&abs)?;
        let mode = meta.permissions().mode() & 0o7777;
        if meta.file_type().is_symlink() {
            out.push(Entry::Symlink {
                path,
                target: fs_err::read_link(&abs)?.to_string_lossy().into_owned(),
            });
        } else if meta.is_dir() {
            out.push(Entry::Dir {
                path: path.clone(),
                mode,
            });
            walk(root, &path, out)?;
        } else {
            out.push(Entry::File {
                path,
                mode,
                src: abs,
                size: meta.len(),
            });
        }
    }
    Ok(())
}

fn tar_name(path: &str, is_dir: bool) -> String {
    if path == "/" {
        "./".to_owned()
    } else if is_dir {
        format!(".{path}/")
    } else {
        format!(".{path}")
    }
}

/// A GNU tar of `entries` (names `./usr/bin/x`), owners from `owners`, times `mtime`.
pub(crate) fn tar(entries: &[Entry], owners: &OwnerRecord, mtime: u64) -> Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let o = owners.get(e.path());
        let mut h = tar::Header::new_gnu();
        h.set_uid(u64::from(o.uid));
        h.set_gid(u64::from(o.gid));
        if o.uid == 0 {
            h.set_username("root")?;
        }
        if o.gid == 0 {
            h.set_groupname("root")?;
        }
        h.set_mtime(mtime);
        match e {
            Entry::Dir { path, mode } => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(*mode);
                h.set_size(0);
                append(
                    &mut b,
                    &mut h,
                    &tar_name(path, true),
                    None,
                    std::io::empty(),
                )?;
            }
            Entry::File {
                path,
                mode,
                src,
                size,
            } => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(*mode);
                h.set_size(*size);
                let f = fs_err::File::open(src)?;
                append(&mut b, &mut h, &tar_name(path, false), None, f)?;
            }
            Entry::Symlink { path, target } => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_mode(0o777);
                h.set_size(0);
                append(
                    &mut b,
                    &mut h,
                    &tar_name(path, false),
                    Some(target),
                    std::io::empty(),
                )?;
            }
            Entry::Device {
                path,
                char,
                major,
                minor,
                mode,
            } => {
                h.set_entry_type(if *char {
                    tar::EntryType::Char
                } else {
                    tar::EntryType::Block
                });
                h.set_mode(*mode);
                h.set_size(0);
                h.set_device_major(*major)?;
                h.set_device_minor(*minor)?;
                append(
                    &mut b,
                    &mut h,
                    &tar_name(path, false),
                    None,
                    std::io::empty(),
                )?;
            }
        }
    }
    Ok(b.into_inner()?)
}

/// Appends an entry with `name` (and `link`) written as given (the tar crate would drop
/// the leading `./` that dpkg-deb writes); longer names use GNU `L`/`K` records.
fn append<W: Write, R: std::io::Read>(
    b: &mut tar::Builder<W>,
    h: &mut tar::Header,
    name: &str,
    link: Option<&str>,
    data: R,
) -> Result<()> {
    let long = |b: &mut tar::Builder<W>, kind: u8, value: &str| -> Result<()> {
        let mut l = tar::Header::new_gnu();
        let field = &mut l.as_gnu_mut().ok_or_else(no_gnu)?.name;
        field[..13].copy_from_slice(b"././@LongLink");
        l.set_entry_type(tar::EntryType::new(kind));
        l.set_mode(0o644);
        l.set_uid(0);
        l.set_gid(0);
        l.set_mtime(0);
        let mut bytes = value.as_bytes().to_vec();
        bytes.push(0);
        l.set_size(bytes.len() as u64);
        l.set_cksum();
        b.append(&l, bytes.as_slice())?;
        Ok(())
    };
    let gnu = h.as_gnu_mut().ok_or_else(no_gnu)?;
    let n = name.as_bytes();
    gnu.name = [0; 100];
    gnu.name[..n.len().min(100)].copy_from_slice(&n[..n.len().min(100)]);
    if let Some(t) = link {
        let t = t.as_bytes();
        gnu.linkname = [0; 100];
        gnu.linkname[..t.len().min(100)].copy_from_slice(&t[..t.len().min(100)]);
    }
    if let Some(t) = link.filter(|t| t.len() > 100) {
        long(b, b'K', t)?;
    }
    if n.len() > 100 {
        long(b, b'L', name)?;
    }
    h.set_cksum();
    b.append(h, data)?;
    Ok(())
}

fn no_gnu() -> crate::error::Error {
    crate::error::Error::Invalid("tar header is not a GNU header".to_owned())
}

/// A tar of `./` plus files given in memory (`name`, mode, contents), root-owned.
pub(crate) fn tar_files(files: &[(String, u32, Vec<u8>)], mtime: u64) -> Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    let header = |mode: u32, size: u64, kind: tar::EntryType| -> Result<tar::Header> {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_mtime(mtime);
        h.set_uid(0);
        h.set_gid(0);
        h.set_username("root")?;
        h.set_groupname("root")?;
        Ok(h)
    };
    let mut h = header(0o755, 0, tar::EntryType::Directory)?;
    append(&mut b, &mut h, "./", None, std::io::empty())?;
    for (name, mode, data) in files {
        let mut h = header(*mode, data.len() as u64, tar::EntryType::Regular)?;
        append(&mut b, &mut h, &format!("./{name}"), None, data.as_slice())?;
    }
    Ok(b.into_inner()?)
}

/// gzip of `data`: level 9, no name, time 0 (as `gzip -n`).
pub(crate) fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    let mut enc = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    enc.write_all(data)?;
    Ok(enc.finish()?)
}

/// bzip2 of `data`: level 9 (as `bzip2 -9`; bzip2 writes no name or time).
pub(crate) fn bzip2(data: &[u8]) -> Result<Vec<u8>> {
    let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
    enc.write_all(data)?;
    Ok(enc.finish()?)
}

/// A `!<arch>` archive of `(name, data)` members (as dpkg-deb writes: no `/` after names,
/// owner 0, mode 100644, time `mtime`).
pub(crate) fn ar(members: &[(&str, &[u8])], mtime: u64) -> Vec<u8> {
    let mut out = b"!<arch>\n".to_vec();
    for (name, data) in members {
        let header = format!(
            "{:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n",
            name,
            mtime,
            0,
            0,
            "100644",
            data.len()
        );
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(b'\n');
        }
    }
    out
}

/// The members of an ar archive; `what` names it in errors.
pub(crate) fn ar_members<'a>(what: &str, data: &'a [u8]) -> Result<Vec<(String, &'a [u8])>> {
    let bad = |m: &str| crate::error::Error::parse(what, 0, m.to_owned());
    let mut rest = data
        .strip_prefix(b"!<arch>\n".as_slice())
        .ok_or_else(|| bad("not an ar archive (no `!<arch>` magic)"))?;
    let mut out = Vec::new();
    while rest.len() >= 60 {
        let (h, tail) = rest.split_at(60);
        let name = String::from_utf8_lossy(&h[..16])
            .trim_end()
            .trim_end_matches('/')
            .to_owned();
        let size: usize = String::from_utf8_lossy(&h[48..58])
            .trim()
            .parse()
            .map_err(|_| bad("member size is not a number"))?;
        if tail.len() < size {
            return Err(bad(&format!("member `{name}` is truncated")));
        }
        out.push((name, &tail[..size]));
        let skip = size + size % 2;
        rest = &tail[skip.min(tail.len())..];
    }
    Ok(out)
}

/// A cpio archive (newc format, as the kernel reads an initramfs) of `entries`; names
/// are `.`, `usr`, `usr/bin/x`.
pub(crate) fn cpio(entries: &[Entry], owners: &OwnerRecord, mtime: u64) -> Result<Vec<u8>> {
    cpio_named(entries, owners, mtime, "")
}

/// [`cpio`] with `prefix` before every name (`./` for an rpm payload).
pub(crate) fn cpio_named(
    entries: &[Entry],
    owners: &OwnerRecord,
    mtime: u64,
    prefix: &str,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for (ino, e) in (1u32..).zip(entries.iter()) {
        let o = owners.get(e.path());
        let name = if e.path() == "/" {
            ".".to_owned()
        } else {
            format!("{prefix}{}", &e.path()[1..])
        };
        let (mode, data, rmaj, rmin): (u32, Vec<u8>, u32, u32) = match e {
            Entry::Dir { mode, .. } => (0o040000 | mode, Vec::new(), 0, 0),
            Entry::File { mode, src, .. } => (0o100000 | mode, fs_err::read(src)?, 0, 0),
            Entry::Symlink { target, .. } => (0o120777, target.as_bytes().to_vec(), 0, 0),
            Entry::Device {
                char,
                major,
                minor,
                mode,
                ..
            } => (
                if *char { 0o020000 } else { 0o060000 } | mode,
                Vec::new(),
                *major,
                *minor,
            ),
        };
        let nlink = if matches!(e, Entry::Dir { .. }) { 2 } else { 1 };
        cpio_member(
            &mut out, ino, mode, o.uid, o.gid, nlink, mtime, &name, &data, rmaj, rmin,
        );
    }
    cpio_member(&mut out, 0, 0, 0, 0, 1, 0, "TRAILER!!!", &[], 0, 0);
    Ok(out)
}

#[expect(clippy::too_many_arguments, reason = "the fields of one newc header")]
fn cpio_member(
    out: &mut Vec<u8>,
    ino: u32,
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u32,
    mtime: u64,
    name: &str,
    data: &[u8],
    rmaj: u32,
    rmin: u32,
) {
    let h = format!(
        "070701{ino:08x}{mode:08x}{uid:08x}{gid:08x}{nlink:08x}{:08x}{:08x}{:08x}{:08x}{rmaj:08x}{rmin:08x}{:08x}{:08x}",
        mtime as u32,
        data.len(),
        0,
        0,
        name.len() + 1,
        0
    );
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
    out.extend_from_slice(data);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

#[cfg(test)]
mod tests;
