//! Writing `.rpm` files (format 4: lead, signature header, main header, gzip'ed cpio
//! payload) without rpmbuild, deterministically: the build time is SOURCE_DATE_EPOCH,
//! the build host `bake`, files sorted, owners from the record. `rpm -qpl` lists the
//! files and `rpm -K` checks the SHA-256 header digest and the MD5 of header and
//! payload. Reading one back ([`read_rpm`]) gives the same [`ReadPackage`] as a `.deb`
//! (control fields, scripts, the payload as a tar), which is what do_rootfs installs.

use std::path::{Path, PathBuf};

use md5::Digest;

use crate::archive::{self, Entry};
use crate::control::PackageMeta;
use crate::control::Stanza;
use crate::debpkg::{ReadPackage, hex};
use crate::deps::Dep;
use crate::error::Error;
use crate::error::Result;
use crate::fsx::write_atomic;
use crate::owners::OwnerRecord;
use crate::repodata::{Tag, read_rpm_parts};

const INT16: u32 = 3;
const INT32: u32 = 4;
const STRING: u32 = 6;
const BIN: u32 = 7;
const STRING_ARRAY: u32 = 8;
const I18NSTRING: u32 = 9;

/// One header entry's value.
enum Value {
    Int16(Vec<u16>),
    Int32(Vec<u32>),
    Str(String),
    I18n(String),
    Bin(Vec<u8>),
    Strings(Vec<String>),
}

/// An rpm header under construction: `(tag, value)` entries.
struct Header {
    entries: Vec<(u32, Value)>,
}

impl Header {
    fn new() -> Header {
        Header {
            entries: Vec::new(),
        }
    }

    fn add(&mut self, tag: u32, v: Value) {
        self.entries.push((tag, v));
    }

    /// The header bytes with an immutable region `region_tag` (62 for the signature
    /// header, 63 for the main one).
    fn bytes(mut self, region_tag: u32) -> Vec<u8> {
        self.entries.sort_by_key(|(t, _)| *t);
        let mut index: Vec<(u32, u32, i32, u32)> = Vec::new();
        let mut data: Vec<u8> = Vec::new();
        let align = |data: &mut Vec<u8>, n: usize| {
            while !data.len().is_multiple_of(n) {
                data.push(0);
            }
        };
        for (tag, v) in &self.entries {
            let (ty, count) = match v {
                Value::Int16(x) => {
                    align(&mut data, 2);
                    (INT16, x.len())
                }
                Value::Int32(x) => {
                    align(&mut data, 4);
                    (INT32, x.len())
                }
                Value::Str(_) => (STRING, 1),
                Value::I18n(_) => (I18NSTRING, 1),
                Value::Bin(b) => (BIN, b.len()),
                Value::Strings(s) => (STRING_ARRAY, s.len()),
            };
            let offset = data.len() as i32;
            match v {
                Value::Int16(x) => x
                    .iter()
                    .for_each(|i| data.extend_from_slice(&i.to_be_bytes())),
                Value::Int32(x) => x
                    .iter()
                    .for_each(|i| data.extend_from_slice(&i.to_be_bytes())),
                Value::Str(s) | Value::I18n(s) => {
                    data.extend_from_slice(s.as_bytes());
                    data.push(0);
                }
                Value::Bin(b) => data.extend_from_slice(b),
                Value::Strings(ss) => {
                    for s in ss {
                        data.extend_from_slice(s.as_bytes());
                        data.push(0);
                    }
                }
            }
            index.push((*tag, ty, offset, count as u32));
        }
        // the region trailer: an entry pointing back over the whole index
        let il = index.len() as u32 + 1;
        let trailer_offset = data.len() as i32;
        data.extend_from_slice(&region_tag.to_be_bytes());
        data.extend_from_slice(&BIN.to_be_bytes());
        data.extend_from_slice(&(-((il * 16) as i32)).to_be_bytes());
        data.extend_from_slice(&16u32.to_be_bytes());
        index.insert(0, (region_tag, BIN, trailer_offset, 16));
        let mut out = vec![0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];
        out.extend_from_slice(&il.to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        for (tag, ty, off, count) in index {
            out.extend_from_slice(&tag.to_be_bytes());
            out.extend_from_slice(&ty.to_be_bytes());
            out.extend_from_slice(&off.to_be_bytes());
            out.extend_from_slice(&count.to_be_bytes());
        }
        out.extend_from_slice(&data);
        out
    }
}

/// RPMSENSE flags of a constraint.
fn sense(d: &Dep) -> (u32, String) {
    match d.constraint() {
        None => (0, String::new()),
        Some((op, v)) => {
            let f = match op {
                "<<" => 0x02,
                ">>" => 0x04,
                "=" => 0x08,
                "<=" => 0x0a,
                _ => 0x0c,
            };
            (f, v.to_owned())
        }
    }
}

fn deps(h: &mut Header, names: u32, flags: u32, versions: u32, list: &[Dep]) {
    if list.is_empty() {
        return;
    }
    let (f, v): (Vec<u32>, Vec<String>) = list.iter().map(sense).unzip();
    h.add(
        names,
        Value::Strings(list.iter().map(|d| d.name.clone()).collect()),
    );
    h.add(flags, Value::Int32(f));
    h.add(versions, Value::Strings(v));
}

/// Writes the package of `pkgdir` as an rpm into `outdir`; returns the file.
pub(crate) fn write_rpm(
    pkgdir: &Path,
    meta: &PackageMeta,
    owners: &OwnerRecord,
    mtime: u64,
    outdir: &Path,
) -> Result<PathBuf> {
    let entries = archive::entries(pkgdir, owners, false)?;
    // the payload: cpio of ./path names, the root directory left out
    let payload_entries: Vec<Entry> = entries
        .iter()
        .filter(|e| e.path() != "/")
        .cloned()
        .collect();
    let cpio = archive::cpio_named(&payload_entries, owners, mtime, "./")?;
    let payload = archive::gzip(&cpio)?;
    let (version, release) = meta
        .file_version()
        .rsplit_once('-')
        .map(|(v, r)| (v.to_owned(), r.to_owned()))
        .unwrap_or_else(|| (meta.file_version().to_owned(), "r0".to_owned()));
    let arch = meta.arch.replace('-', "_");
    let mut h = Header::new();
    h.add(100, Value::Strings(vec!["C".into()]));
    h.add(1000, Value::Str(meta.name.clone()));
    h.add(1001, Value::Str(version.clone()));
    h.add(1002, Value::Str(release.clone()));
    if let Some((epoch, _)) = meta.version.split_once(':')
        && let Ok(e) = epoch.parse::<u32>()
    {
        h.add(1003, Value::Int32(vec![e]));
    }
    let summary = if meta.summary.is_empty() {
        meta.name.clone()
    } else {
        meta.summary.clone()
    };
    let description = if meta.description.is_empty() {
        summary.clone()
    } else {
        meta.description.clone()
    };
    h.add(1004, Value::I18n(summary));
    h.add(1005, Value::I18n(description));
    h.add(1006, Value::Int32(vec![mtime as u32]));
    h.add(1007, Value::Str("bake".into()));
    let mut total = 0u32;
    let (mut sizes, mut modes, mut rdevs, mut mtimes, mut digests, mut links) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let (mut users, mut groups, mut flags, mut devs, mut inodes, mut langs) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let (mut dirindexes, mut basenames, mut dirnames) =
        (Vec::new(), Vec::new(), Vec::<String>::new());
    for (i, e) in payload_entries.iter().enumerate() {
        let o = owners.get(e.path());
        let (mode, size, digest, link) = match e {
            Entry::Dir { mode, .. } => (0o040000 | *mode, 4096u32, String::new(), String::new()),
            Entry::File {
                mode, src, size, ..
            } => {
                let d = sha2::Sha256::digest(fs_err::read(src)?);
                (0o100000 | *mode, *size as u32, hex(&d), String::new())
            }
            Entry::Symlink { target, .. } => {
                (0o120777, target.len() as u32, String::new(), target.clone())
            }
            Entry::Device { char, mode, .. } => (
                if *char { 0o020000 } else { 0o060000 } | *mode,
                0,
                String::new(),
                String::new(),
            ),
        };
        if !matches!(e, Entry::Dir { .. }) {
            total += size;
        }
        sizes.push(size);
        modes.push(mode as u16);
        rdevs.push(0u16);
        mtimes.push(mtime as u32);
        digests.push(digest);
        links.push(link);
        users.push(if o.uid == 0 {
            "root".to_owned()
        } else {
            o.uid.to_string()
        });
        groups.push(if o.gid == 0 {
            "root".to_owned()
        } else {
            o.gid.to_string()
        });
        flags.push(0u32);
        devs.push(1u32);
        inodes.push(i as u32 + 1);
        langs.push(String::new());
        let (dir, base) = e.path().rsplit_once('/').unwrap_or(("", e.path()));
        let dir = format!("{dir}/");
        let di = match dirnames.iter().position(|d| *d == dir) {
            Some(p) => p,
            None => {
                dirnames.push(dir);
                dirnames.len() - 1
            }
        };
        dirindexes.push(di as u32);
        basenames.push(base.to_owned());
    }
    h.add(1009, Value::Int32(vec![total]));
    h.add(
        1014,
        Value::Str(if meta.license.is_empty() {
            "CLOSED".into()
        } else {
            meta.license.clone()
        }),
    );
    h.add(
        1016,
        Value::I18n(if meta.section.is_empty() {
            "Unspecified".into()
        } else {
            meta.section.clone()
        }),
    );
    h.add(1021, Value::Str("linux".into()));
    h.add(1022, Value::Str(arch));
    if let Some(s) = meta.scripts.get("postinst") {
        h.add(1024, Value::Str(s.clone()));
        h.add(1086, Value::Str("/bin/sh".into()));
    }
    if !payload_entries.is_empty() {
        h.add(1028, Value::Int32(sizes));
        h.add(1030, Value::Int16(modes));
        h.add(1033, Value::Int16(rdevs));
        h.add(1034, Value::Int32(mtimes));
        h.add(1035, Value::Strings(digests));
        h.add(1036, Value::Strings(links));
        h.add(1037, Value::Int32(flags));
        h.add(1039, Value::Strings(users));
        h.add(1040, Value::Strings(groups));
        h.add(1095, Value::Int32(devs));
        h.add(1096, Value::Int32(inodes));
        h.add(1097, Value::Strings(langs));
        h.add(1116, Value::Int32(dirindexes));
        h.add(1117, Value::Strings(basenames));
        h.add(1118, Value::Strings(dirnames));
    }
    let mut provides = meta.provides.clone();
    provides.insert(
        0,
        Dep {
            name: meta.name.clone(),
            version: Some(format!("= {}", meta.file_version())),
        },
    );
    deps(&mut h, 1047, 1112, 1113, &provides);
    deps(&mut h, 1049, 1048, 1050, &meta.depends);
    deps(&mut h, 1054, 1053, 1055, &meta.conflicts);
    deps(&mut h, 5046, 5048, 5047, &meta.recommends);
    h.add(
        1044,
        Value::Str(format!("{}-{}.src.rpm", meta.pn, meta.file_version())),
    );
    h.add(1064, Value::Str("4.18.0".into()));
    h.add(1124, Value::Str("cpio".into()));
    h.add(1125, Value::Str("gzip".into()));
    h.add(1126, Value::Str("9".into()));
    h.add(1132, Value::Str(format!("{}-bake-linux", meta.arch)));
    h.add(5011, Value::Int32(vec![8]));
    let header = h.bytes(63);

    let mut sig = Header::new();
    let mut both = header.clone();
    both.extend_from_slice(&payload);
    sig.add(1000, Value::Int32(vec![both.len() as u32]));
    sig.add(1004, Value::Bin(md5::Md5::digest(&both).to_vec()));
    sig.add(1007, Value::Int32(vec![cpio.len() as u32]));
    sig.add(273, Value::Str(hex(&sha2::Sha256::digest(&header))));
    let mut sigb = sig.bytes(62);
    while !sigb.len().is_multiple_of(8) {
        sigb.push(0);
    }
    let mut lead = vec![0xed, 0xab, 0xee, 0xdb, 3, 0, 0, 0, 0, 1];
    let mut name = format!("{}-{}", meta.name, meta.file_version()).into_bytes();
    name.truncate(65);
    name.resize(66, 0);
    lead.extend_from_slice(&name);
    lead.extend_from_slice(&[0, 1, 0, 5]);
    lead.extend_from_slice(&[0u8; 16]);
    let mut out = lead;
    out.extend_from_slice(&sigb);
    out.extend_from_slice(&header);
    out.extend_from_slice(&payload);
    fs_err::create_dir_all(outdir)?;
    let file = outdir.join(meta.file_name(crate::control::Format::Rpm));
    write_atomic(&file, &out)?;
    Ok(file)
}

/// The deb-style constraint operator of RPMSENSE `flags` (`None`: no constraint).
pub(crate) fn sense_op(flags: u64) -> Option<&'static str> {
    match flags & 0x0e {
        0x02 => Some("<<"),
        0x04 => Some(">>"),
        0x08 => Some("="),
        0x0a => Some("<="),
        0x0c => Some(">="),
        _ => None,
    }
}

/// A dependency list of the header as `a (>= 1.0), b` (rpmlib() and file requirements,
/// which rpm itself satisfies, left out).
fn dep_field(
    t: &std::collections::BTreeMap<u32, Tag>,
    names: u32,
    flags: u32,
    versions: u32,
) -> String {
    let strings = |tag| match t.get(&tag) {
        Some(Tag::Strings(v)) => v.clone(),
        _ => Vec::new(),
    };
    let n = strings(names);
    let v = strings(versions);
    let f = match t.get(&flags) {
        Some(Tag::Ints(v)) => v.clone(),
        _ => Vec::new(),
    };
    n.iter()
        .enumerate()
        .filter(|(_, name)| !name.starts_with("rpmlib(") && !name.starts_with('/'))
        .map(|(i, name)| {
            let ver = v.get(i).map(String::as_str).unwrap_or("");
            match sense_op(f.get(i).copied().unwrap_or(0)) {
                Some(op) if !ver.is_empty() => format!("{name} ({op} {ver})"),
                _ => name.clone(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads an `.rpm` file: its main header as control fields (`Package`, `Version`
/// `[epoch:]version-release`, `Architecture`, `Depends`, `Recommends`, `Provides`,
/// `Conflicts`), its scriptlets, and its cpio payload turned into a tar.
pub fn read_rpm(path: &Path) -> Result<ReadPackage> {
    let what = path.display().to_string();
    let bytes = fs_err::read(path)?;
    let (t, payload_at) = read_rpm_parts(&what, &bytes)?;
    let s = |tag| match t.get(&tag) {
        Some(Tag::Strings(v)) => v.first().cloned().unwrap_or_default(),
        _ => String::new(),
    };
    let name = s(1000);
    if name.is_empty() {
        return Err(Error::parse(&what, 0, "rpm header has no NAME"));
    }
    let mut version = format!("{}-{}", s(1001), s(1002));
    if let Some(Tag::Ints(e)) = t.get(&1003)
        && let Some(e) = e.first()
    {
        version = format!("{e}:{version}");
    }
    let mut control = Stanza::default();
    let mut field = |k: &str, v: String| {
        if !v.is_empty() {
            control.fields.push((k.to_owned(), v));
        }
    };
    field("Package", name.clone());
    field("Version", version);
    field("Architecture", s(1022));
    field("Depends", dep_field(&t, 1049, 1048, 1050));
    field("Recommends", dep_field(&t, 5046, 5048, 5047));
    let provides = dep_field(&t, 1047, 1112, 1113);
    field(
        "Provides",
        provides
            .split(", ")
            .filter(|p| *p != name && !p.starts_with(&format!("{name} (")))
            .collect::<Vec<_>>()
            .join(", "),
    );
    field("Conflicts", dep_field(&t, 1054, 1053, 1055));
    let mut scripts = Vec::new();
    for (tag, script) in [
        (1023, "preinst"),
        (1024, "postinst"),
        (1025, "prerm"),
        (1026, "postrm"),
    ] {
        let body = s(tag);
        if !body.is_empty() {
            scripts.push((script.to_owned(), body));
        }
    }
    let compressor = s(1125);
    let raw = bytes.get(payload_at..).unwrap_or(&[]);
    let cpio = match compressor.as_str() {
        "" | "gzip" => {
            use std::io::Read;
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(raw)
                .read_to_end(&mut out)
                .map_err(|e| Error::parse(&what, 0, format!("bad gzip payload: {e}")))?;
            out
        }
        other => {
            return Err(Error::parse(
                &what,
                0,
                format!("payload compressed with `{other}`: only gzip payloads can be installed"),
            ));
        }
    };
    let data = cpio_to_tar(&what, &cpio)?;
    Ok(ReadPackage {
        control,
        scripts,
        data,
    })
}

/// A newc cpio archive re-written as a tar (modes, owners, times, links and device
/// numbers kept), so that one installer serves every package format.
fn cpio_to_tar(what: &str, cpio: &[u8]) -> Result<Vec<u8>> {
    let bad = |at: usize, m: &str| Error::parse(what, 0, format!("cpio payload at byte {at}: {m}"));
    let mut b = tar::Builder::new(Vec::new());
    let mut at = 0usize;
    loop {
        let h = cpio
            .get(at..at + 110)
            .ok_or_else(|| bad(at, "truncated header"))?;
        if &h[..6] != b"070701" && &h[..6] != b"070702" {
            return Err(bad(at, "not a newc header"));
        }
        let field = |i: usize| -> Result<u32> {
            let s = std::str::from_utf8(&h[6 + 8 * i..14 + 8 * i])
                .ok()
                .and_then(|s| u32::from_str_radix(s, 16).ok());
            s.ok_or_else(|| bad(at, "bad hex field"))
        };
        let (mode, uid, gid, mtime, size) = (field(1)?, field(2)?, field(3)?, field(5)?, field(6)?);
        let (rmaj, rmin, namesize) = (field(9)?, field(10)?, field(11)? as usize);
        let name_at = at + 110;
        let name = cpio
            .get(name_at..name_at + namesize.saturating_sub(1))
            .ok_or_else(|| bad(at, "truncated name"))?;
        let name = String::from_utf8_lossy(name).into_owned();
        let data_at = (name_at + namesize).div_ceil(4) * 4;
        let body = cpio
            .get(data_at..data_at + size as usize)
            .ok_or_else(|| bad(at, "truncated data"))?;
        at = (data_at + size as usize).div_ceil(4) * 4;
        if name == "TRAILER!!!" {
            break;
        }
        let path = name.trim_start_matches("./").trim_start_matches('/');
        if path.is_empty() || path == "." {
            continue;
        }
        let mut th = tar::Header::new_gnu();
        th.set_mode(mode & 0o7777);
        th.set_uid(u64::from(uid));
        th.set_gid(u64::from(gid));
        th.set_mtime(u64::from(mtime));
        th.set_size(0);
        match mode & 0o170000 {
            0o040000 => {
                th.set_entry_type(tar::EntryType::Directory);
                b.append_data(&mut th, format!("./{path}/"), std::io::empty())?;
            }
            0o100000 => {
                th.set_entry_type(tar::EntryType::Regular);
                th.set_size(u64::from(size));
                b.append_data(&mut th, format!("./{path}"), body)?;
            }
            0o120000 => {
                th.set_entry_type(tar::EntryType::Symlink);
                let target = String::from_utf8_lossy(body).into_owned();
                b.append_link(&mut th, format!("./{path}"), target)?;
            }
            kind @ (0o020000 | 0o060000) => {
                th.set_entry_type(if kind == 0o020000 {
                    tar::EntryType::Char
                } else {
                    tar::EntryType::Block
                });
                th.set_device_major(rmaj)?;
                th.set_device_minor(rmin)?;
                b.append_data(&mut th, format!("./{path}"), std::io::empty())?;
            }
            other => {
                return Err(bad(
                    at,
                    &format!("`{name}`: file type {other:o} cannot be installed"),
                ));
            }
        }
    }
    Ok(b.into_inner()?)
}
