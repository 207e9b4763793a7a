//! Writing and reading `.deb` and `.ipk` files: an ar archive of `debian-binary`
//! (`2.0`), `control.tar.gz` (control, md5sums for deb, conffiles, maintainer scripts)
//! and `data.tar.gz` (the package directory), all deterministic (see `archive.rs`).

use std::path::{Path, PathBuf};

use md5::Digest;

use crate::archive::{self, Entry};
use crate::control::{Format, PackageMeta, Stanza, parse_stanzas};
use crate::error::{Error, Result};
use crate::fsx::write_atomic;
use crate::owners::OwnerRecord;

/// Writes the package of `pkgdir` (a `${PKGDEST}/<pkg>` directory) as `format` into
/// `outdir` (created); returns the file written. Owners come from `owners` (paths
/// absolute inside the package), times are `mtime` (SOURCE_DATE_EPOCH).
pub fn write_package(
    format: Format,
    pkgdir: &Path,
    meta: &PackageMeta,
    owners: &OwnerRecord,
    mtime: u64,
    outdir: &Path,
) -> Result<PathBuf> {
    if format == Format::Rpm {
        return crate::rpm::write_rpm(pkgdir, meta, owners, mtime, outdir);
    }
    let entries = archive::entries(pkgdir, owners, false)?;
    let data = archive::gzip(&archive::tar(&entries, owners, mtime)?)?;
    let control = control_tar(format, meta, &entries, mtime)?;
    let ar = archive::ar(
        &[
            ("debian-binary", b"2.0\n"),
            ("control.tar.gz", &control),
            ("data.tar.gz", &data),
        ],
        mtime,
    );
    fs_err::create_dir_all(outdir)?;
    let out = outdir.join(meta.file_name(format));
    write_atomic(&out, &ar)?;
    Ok(out)
}

fn control_tar(format: Format, meta: &PackageMeta, data: &[Entry], mtime: u64) -> Result<Vec<u8>> {
    let mut files: Vec<(String, u32, Vec<u8>)> =
        vec![("control".into(), 0o644, meta.control(format).into_bytes())];
    if format == Format::Deb {
        let mut sums = String::new();
        for e in data {
            if let Entry::File { path, src, .. } = e {
                let digest = md5::Md5::digest(fs_err::read(src)?);
                sums.push_str(&format!("{}  {}\n", hex(&digest), &path[1..]));
            }
        }
        if !sums.is_empty() {
            files.push(("md5sums".into(), 0o644, sums.into_bytes()));
        }
    }
    if !meta.conffiles.is_empty() {
        files.push((
            "conffiles".into(),
            0o644,
            format!("{}\n", meta.conffiles.join("\n")).into_bytes(),
        ));
    }
    for (name, text) in meta.script_files() {
        files.push((name, 0o755, text.into_bytes()));
    }
    files.sort();
    archive::gzip(&archive::tar_files(&files, mtime)?)
}

/// Lowercase hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A package file read back: its control stanza and its uncompressed data tar.
#[derive(Debug, Clone)]
pub struct ReadPackage {
    /// The control fields.
    pub control: Stanza,
    /// The maintainer scripts (`postinst` -> text).
    pub scripts: Vec<(String, String)>,
    /// The data tar (uncompressed).
    pub data: Vec<u8>,
}

fn gunzip(what: &str, data: &[u8]) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .map_err(|e| Error::parse(what, 0, format!("bad gzip data: {e}")))?;
    Ok(out)
}

/// Reads a `.deb` or `.ipk` written by [`write_package`] (gzip members).
pub fn read_package(path: &Path) -> Result<ReadPackage> {
    let what = path.display().to_string();
    let bytes = fs_err::read(path)?;
    let members = archive::ar_members(&what, &bytes)?;
    let find = |n: &str| {
        members
            .iter()
            .find(|(m, _)| m == n)
            .map(|(_, d)| *d)
            .ok_or_else(|| Error::parse(&what, 0, format!("no `{n}` member")))
    };
    let control_tar = gunzip(&what, find("control.tar.gz")?)?;
    let data = gunzip(&what, find("data.tar.gz")?)?;
    let mut control = None;
    let mut scripts = Vec::new();
    let mut ar = tar::Archive::new(control_tar.as_slice());
    for e in ar.entries()? {
        use std::io::Read;
        let mut e = e?;
        let name = e
            .path()?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_owned();
        let mut text = String::new();
        if e.header().entry_type().is_file() {
            e.read_to_string(&mut text)?;
        }
        match name.as_str() {
            "control" => {
                control = parse_stanzas(&format!("{what}: control"), &text)?
                    .into_iter()
                    .next();
            }
            "preinst" | "postinst" | "prerm" | "postrm" => scripts.push((name, text)),
            _ => {}
        }
    }
    let control = control.ok_or_else(|| Error::parse(&what, 0, "no control file"))?;
    Ok(ReadPackage {
        control,
        scripts,
        data,
    })
}
