//! The rpm feed index: `repodata/repomd.xml` and `repodata/primary.xml.gz` (the
//! createrepo layout dnf reads), made from the headers of the `.rpm` files of a feed
//! directory, sorted by file name, times SOURCE_DATE_EPOCH.

use std::collections::BTreeMap;
use std::path::Path;

use md5::Digest;

use crate::archive;
use crate::debpkg::hex;
use crate::error::{Error, Result};
use crate::fsx::write_atomic;

/// A header value read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tag {
    /// INT16/INT32 values.
    Ints(Vec<u64>),
    /// STRING, I18NSTRING, STRING_ARRAY values.
    Strings(Vec<String>),
    /// BIN (and anything else).
    Bin(Vec<u8>),
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Parses the header at `at`; returns its tags and the offset after it.
fn header(what: &str, b: &[u8], at: usize) -> Result<(BTreeMap<u32, Tag>, usize)> {
    let bad = |m: &str| Error::parse(what, 0, format!("rpm header at byte {at}: {m}"));
    if b.get(at..at + 4) != Some(&[0x8e, 0xad, 0xe8, 0x01][..]) {
        return Err(bad("no header magic"));
    }
    let il = be32(b, at + 8).ok_or_else(|| bad("truncated"))? as usize;
    let dl = be32(b, at + 12).ok_or_else(|| bad("truncated"))? as usize;
    let store = at + 16 + il * 16;
    let data = b
        .get(store..store + dl)
        .ok_or_else(|| bad("truncated data"))?;
    let mut tags = BTreeMap::new();
    for i in 0..il {
        let e = at + 16 + i * 16;
        let (Some(tag), Some(ty), Some(off), Some(count)) =
            (be32(b, e), be32(b, e + 4), be32(b, e + 8), be32(b, e + 12))
        else {
            return Err(bad("truncated index"));
        };
        let off = off as usize;
        let count = count as usize;
        let v = match ty {
            3 => Tag::Ints(
                (0..count)
                    .filter_map(|k| data.get(off + 2 * k..off + 2 * k + 2))
                    .map(|s| u64::from(u16::from_be_bytes([s[0], s[1]])))
                    .collect(),
            ),
            4 => Tag::Ints(
                (0..count)
                    .filter_map(|k| be32(data, off + 4 * k))
                    .map(u64::from)
                    .collect(),
            ),
            6 | 8 | 9 => {
                let mut out = Vec::new();
                let mut p = off;
                for _ in 0..count.max(1) {
                    let end = data[p.min(data.len())..]
                        .iter()
                        .position(|c| *c == 0)
                        .ok_or_else(|| bad("unterminated string"))?;
                    out.push(String::from_utf8_lossy(&data[p..p + end]).into_owned());
                    p += end + 1;
                }
                Tag::Strings(out)
            }
            _ => Tag::Bin(
                data.get(off..(off + count).min(data.len()))
                    .unwrap_or(&[])
                    .to_vec(),
            ),
        };
        tags.insert(tag, v);
    }
    Ok((tags, store + dl))
}

/// The main header's tags of an rpm file.
pub(crate) fn read_rpm_header(what: &str, b: &[u8]) -> Result<BTreeMap<u32, Tag>> {
    if b.get(..4) != Some(&[0xed, 0xab, 0xee, 0xdb][..]) {
        return Err(Error::parse(what, 0, "not an rpm (no lead magic)"));
    }
    let (_, end) = header(what, b, 96)?;
    let main = end.div_ceil(8) * 8;
    Ok(header(what, b, main)?.0)
}

fn s(t: &BTreeMap<u32, Tag>, tag: u32) -> &str {
    match t.get(&tag) {
        Some(Tag::Strings(v)) => v.first().map(String::as_str).unwrap_or(""),
        _ => "",
    }
}

fn list(t: &BTreeMap<u32, Tag>, tag: u32) -> Vec<String> {
    match t.get(&tag) {
        Some(Tag::Strings(v)) => v.clone(),
        _ => Vec::new(),
    }
}

fn ints(t: &BTreeMap<u32, Tag>, tag: u32) -> Vec<u64> {
    match t.get(&tag) {
        Some(Tag::Ints(v)) => v.clone(),
        _ => Vec::new(),
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn entries(t: &BTreeMap<u32, Tag>, names: u32, flags: u32, versions: u32) -> String {
    let n = list(t, names);
    let f = ints(t, flags);
    let v = list(t, versions);
    let mut out = String::new();
    for (i, name) in n.iter().enumerate() {
        let flag = match f.get(i).copied().unwrap_or(0) & 0x0e {
            0x02 => "LT",
            0x04 => "GT",
            0x08 => "EQ",
            0x0a => "LE",
            0x0c => "GE",
            _ => "",
        };
        let ver = v.get(i).map(String::as_str).unwrap_or("");
        if flag.is_empty() || ver.is_empty() {
            out.push_str(&format!("      <rpm:entry name=\"{}\"/>\n", xml(name)));
        } else {
            let (ver, rel) = ver.rsplit_once('-').unwrap_or((ver, ""));
            out.push_str(&format!(
                "      <rpm:entry name=\"{}\" flags=\"{flag}\" epoch=\"0\" ver=\"{}\" rel=\"{}\"/>\n",
                xml(name),
                xml(ver),
                xml(rel)
            ));
        }
    }
    out
}

/// Writes `dir/repodata/{primary.xml.gz,repomd.xml}` for the rpm files in `dir`.
pub(crate) fn write_repodata(dir: &Path, mtime: u64) -> Result<usize> {
    let mut files: Vec<_> = fs_err::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rpm"))
        .collect();
    files.sort();
    let mut body = String::new();
    for f in &files {
        let what = f.display().to_string();
        let bytes = fs_err::read(f)?;
        let t = read_rpm_header(&what, &bytes)?;
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dirs = list(&t, 1118);
        let files_xml: String = list(&t, 1117)
            .iter()
            .zip(ints(&t, 1116))
            .map(|(b, i)| {
                let d = dirs.get(i as usize).map(String::as_str).unwrap_or("/");
                format!("      <file>{}</file>\n", xml(&format!("{d}{b}")))
            })
            .collect();
        body.push_str(&format!(
            "<package type=\"rpm\">\n  <name>{}</name>\n  <arch>{}</arch>\n  <version epoch=\"0\" ver=\"{}\" rel=\"{}\"/>\n  <checksum type=\"sha256\" pkgid=\"YES\">{}</checksum>\n  <summary>{}</summary>\n  <description>{}</description>\n  <packager></packager>\n  <url></url>\n  <time file=\"{mtime}\" build=\"{mtime}\"/>\n  <size package=\"{}\" installed=\"{}\" archive=\"0\"/>\n  <location href=\"{}\"/>\n  <format>\n    <rpm:license>{}</rpm:license>\n    <rpm:group>{}</rpm:group>\n    <rpm:provides>\n{}    </rpm:provides>\n    <rpm:requires>\n{}    </rpm:requires>\n{}  </format>\n</package>\n",
            xml(s(&t, 1000)),
            xml(s(&t, 1022)),
            xml(s(&t, 1001)),
            xml(s(&t, 1002)),
            hex(&sha2::Sha256::digest(&bytes)),
            xml(s(&t, 1004)),
            xml(s(&t, 1005)),
            bytes.len(),
            ints(&t, 1009).first().copied().unwrap_or(0),
            xml(&name),
            xml(s(&t, 1014)),
            xml(s(&t, 1016)),
            entries(&t, 1047, 1112, 1113),
            entries(&t, 1049, 1048, 1050),
            files_xml
        ));
    }
    let primary = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata xmlns=\"http://linux.duke.edu/metadata/common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"{}\">\n{body}</metadata>\n",
        files.len()
    );
    let gz = archive::gzip(primary.as_bytes())?;
    let repo = dir.join("repodata");
    fs_err::create_dir_all(&repo)?;
    write_atomic(&repo.join("primary.xml.gz"), &gz)?;
    let repomd = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<repomd xmlns=\"http://linux.duke.edu/metadata/repo\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n  <revision>{mtime}</revision>\n  <data type=\"primary\">\n    <checksum type=\"sha256\">{}</checksum>\n    <open-checksum type=\"sha256\">{}</open-checksum>\n    <location href=\"repodata/primary.xml.gz\"/>\n    <timestamp>{mtime}</timestamp>\n    <size>{}</size>\n    <open-size>{}</open-size>\n  </data>\n</repomd>\n",
        hex(&sha2::Sha256::digest(&gz)),
        hex(&sha2::Sha256::digest(primary.as_bytes())),
        gz.len(),
        primary.len()
    );
    write_atomic(&repo.join("repomd.xml"), repomd.as_bytes())?;
    Ok(files.len())
}
