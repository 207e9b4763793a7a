//! The rpm feed index: `repodata/repomd.xml` and `repodata/primary.xml.gz` (the
//! createrepo layout dnf reads), made from the headers of the `.rpm` files of a feed
//! directory, sorted by file name, times SOURCE_DATE_EPOCH.

use std::collections::BTreeMap;
use std::path::Path;

use md5::Digest;

use crate::archive;
use crate::control::Stanza;
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
    Ok(read_rpm_parts(what, b)?.0)
}

/// The main header's tags of an rpm file and the offset of its payload.
pub(crate) fn read_rpm_parts(what: &str, b: &[u8]) -> Result<(BTreeMap<u32, Tag>, usize)> {
    if b.get(..4) != Some(&[0xed, 0xab, 0xee, 0xdb][..]) {
        return Err(Error::parse(what, 0, "not an rpm (no lead magic)"));
    }
    let (_, end) = header(what, b, 96)?;
    let main = end.div_ceil(8) * 8;
    header(what, b, main)
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
        let flag = match crate::rpm::sense_op(f.get(i).copied().unwrap_or(0)) {
            Some("<<") => "LT",
            Some(">>") => "GT",
            Some("=") => "EQ",
            Some("<=") => "LE",
            Some(">=") => "GE",
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

/// `<rpm:NAME>` around `entries`, or nothing when there are none (as createrepo writes).
fn section(name: &str, entries: &str) -> String {
    if entries.is_empty() {
        String::new()
    } else {
        format!("    <rpm:{name}>\n{entries}    </rpm:{name}>\n")
    }
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
            "<package type=\"rpm\">\n  <name>{}</name>\n  <arch>{}</arch>\n  <version epoch=\"0\" ver=\"{}\" rel=\"{}\"/>\n  <checksum type=\"sha256\" pkgid=\"YES\">{}</checksum>\n  <summary>{}</summary>\n  <description>{}</description>\n  <packager></packager>\n  <url></url>\n  <time file=\"{mtime}\" build=\"{mtime}\"/>\n  <size package=\"{}\" installed=\"{}\" archive=\"0\"/>\n  <location href=\"{}\"/>\n  <format>\n    <rpm:license>{}</rpm:license>\n    <rpm:group>{}</rpm:group>\n    <rpm:provides>\n{}    </rpm:provides>\n    <rpm:requires>\n{}    </rpm:requires>\n{}{}{}  </format>\n</package>\n",
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
            section("conflicts", &entries(&t, 1054, 1053, 1055)),
            section("recommends", &entries(&t, 5046, 5048, 5047)),
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

/// Reads the primary index of an rpm feed directory (`repodata/repomd.xml` names it) as
/// one stanza per package, with the fields do_rootfs resolves by: `Package`, `Version`
/// (`[epoch:]ver-rel`), `Architecture`, `Depends`, `Recommends`, `Provides`, `Conflicts`
/// and `Filename` (the location).
pub(crate) fn read_repodata(dir: &Path) -> Result<Vec<Stanza>> {
    use quick_xml::events::Event;
    let repomd = dir.join("repodata/repomd.xml");
    let what = repomd.display().to_string();
    let text = fs_err::read_to_string(&repomd)?;
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut in_primary = false;
    let mut href = None;
    loop {
        let at = reader.buffer_position();
        match reader.read_event() {
            Err(e) => return Err(xml_error(&what, &text, at, &e)),
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) if e.local_name().as_ref() == b"data" => {
                in_primary = attr(&e, b"type").as_deref() == Some("primary");
            }
            Ok(Event::Empty(e)) if in_primary && e.local_name().as_ref() == b"location" => {
                href = attr(&e, b"href");
            }
            Ok(Event::End(e)) if e.local_name().as_ref() == b"data" => in_primary = false,
            _ => {}
        }
    }
    let href = href.ok_or_else(|| Error::parse(&what, 0, "no primary data location"))?;
    if href.split('/').any(|c| c == "..") || href.starts_with('/') {
        return Err(Error::Escapes {
            path: href,
            root: dir.to_owned(),
        });
    }
    let primary = dir.join(&href);
    let what = primary.display().to_string();
    let raw = fs_err::read(&primary)?;
    let xml = if href.ends_with(".gz") {
        use std::io::Read;
        let mut out = String::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_string(&mut out)
            .map_err(|e| Error::parse(&what, 0, format!("bad gzip data: {e}")))?;
        out
    } else {
        String::from_utf8(raw).map_err(|e| Error::parse(&what, 0, e.to_string()))?
    };
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut out = Vec::new();
    let mut cur: Option<PrimaryPackage> = None;
    let mut text_of: Option<&'static str> = None;
    let mut list: Option<&'static str> = None;
    loop {
        let at = reader.buffer_position();
        let ev = reader
            .read_event()
            .map_err(|e| xml_error(&what, &xml, at, &e))?;
        match ev {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e)
                if cur.is_some() || e.local_name().as_ref() == b"package" =>
            {
                let name = e.local_name();
                let p = cur.get_or_insert_with(PrimaryPackage::default);
                match name.as_ref() {
                    b"name" => text_of = Some("name"),
                    b"arch" => text_of = Some("arch"),
                    b"version" => {
                        let (ep, ver, rel) =
                            (attr(&e, b"epoch"), attr(&e, b"ver"), attr(&e, b"rel"));
                        let mut v = ver.unwrap_or_default();
                        if let Some(rel) = rel.filter(|r| !r.is_empty()) {
                            v = format!("{v}-{rel}");
                        }
                        if let Some(ep) = ep.filter(|e| !e.is_empty() && e != "0") {
                            v = format!("{ep}:{v}");
                        }
                        p.version = v;
                    }
                    b"location" => p.location = attr(&e, b"href").unwrap_or_default(),
                    b"provides" => list = Some("Provides"),
                    b"requires" => list = Some("Depends"),
                    b"recommends" => list = Some("Recommends"),
                    b"conflicts" => list = Some("Conflicts"),
                    b"entry" => {
                        if let Some(l) = list {
                            let n = attr(&e, b"name").unwrap_or_default();
                            if n.starts_with("rpmlib(") || n.starts_with('/') {
                                continue;
                            }
                            let op = match attr(&e, b"flags").as_deref() {
                                Some("LT") => "<<",
                                Some("GT") => ">>",
                                Some("EQ") => "=",
                                Some("LE") => "<=",
                                Some("GE") => ">=",
                                _ => "",
                            };
                            let mut v = attr(&e, b"ver").unwrap_or_default();
                            if let Some(rel) = attr(&e, b"rel").filter(|r| !r.is_empty()) {
                                v = format!("{v}-{rel}");
                            }
                            let dep = if op.is_empty() || v.is_empty() {
                                n
                            } else {
                                format!("{n} ({op} {v})")
                            };
                            p.lists.entry(l).or_default().push(dep);
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) => {
                if let (Some(field), Some(p)) = (text_of, cur.as_mut()) {
                    let v = t
                        .unescape()
                        .map_err(|e| xml_error(&what, &xml, at, &e))?
                        .into_owned();
                    match field {
                        "name" => p.name = v,
                        _ => p.arch = v,
                    }
                }
            }
            Event::End(e) => {
                text_of = None;
                match e.local_name().as_ref() {
                    b"provides" | b"requires" | b"recommends" | b"conflicts" => list = None,
                    b"package" => {
                        if let Some(p) = cur.take() {
                            out.push(p.stanza(&what)?);
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// One `<package>` of primary.xml while it is read.
#[derive(Default)]
struct PrimaryPackage {
    name: String,
    arch: String,
    version: String,
    location: String,
    lists: BTreeMap<&'static str, Vec<String>>,
}

impl PrimaryPackage {
    fn stanza(self, what: &str) -> Result<Stanza> {
        if self.name.is_empty() || self.location.is_empty() {
            return Err(Error::parse(
                what,
                0,
                format!("package `{}` without a name or location", self.name),
            ));
        }
        let mut st = Stanza::default();
        st.fields.push(("Package".into(), self.name.clone()));
        st.fields.push(("Version".into(), self.version));
        st.fields.push(("Architecture".into(), self.arch));
        for field in ["Depends", "Recommends", "Provides", "Conflicts"] {
            let mut v = self.lists.get(field).cloned().unwrap_or_default();
            if field == "Provides" {
                let own = format!("{} (", self.name);
                v.retain(|p| *p != self.name && !p.starts_with(&own));
            }
            if !v.is_empty() {
                st.fields.push((field.into(), v.join(", ")));
            }
        }
        st.fields.push(("Filename".into(), self.location));
        Ok(st)
    }
}

fn attr(e: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

/// An XML error at byte `at` of `text`, with its line and column.
fn xml_error(what: &str, text: &str, at: u64, e: &dyn std::fmt::Display) -> Error {
    let at = (at as usize).min(text.len());
    let before = text.get(..at).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    Error::parse(what, line, format!("column {col}: {e}"))
}
