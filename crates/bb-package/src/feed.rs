//! Package feeds: `deploy/<format>/<arch>/` directories of package files and their
//! `Packages` index (control stanzas plus `Filename`, `Size` and checksums, sorted by
//! file name; `Packages.gz` beside it), as `apt-ftparchive` / `opkg-make-index` write;
//! rpm feeds get createrepo's `repodata/` instead.

use std::path::{Path, PathBuf};

use md5::Digest;

use crate::archive;
use crate::control::{Format, Stanza, parse_stanzas};
use crate::debpkg::{hex, read_package};
use crate::error::Result;
use crate::fsx::write_atomic;

/// Writes `dir/Packages` and `dir/Packages.gz` for the package files in `dir` (for rpm:
/// `dir/repodata/`, see `repodata.rs`, with times SOURCE_DATE_EPOCH 0 as no build time is
/// known here; use [`write_rpm_index`] to give one).
pub fn write_index(format: Format, dir: &Path) -> Result<usize> {
    if format == Format::Rpm {
        return crate::repodata::write_repodata(dir, 0);
    }
    let ext = format!(".{}", format.name());
    let mut files: Vec<PathBuf> = fs_err::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(&ext))
        .collect();
    files.sort();
    let mut text = String::new();
    for f in &files {
        let pkg = read_package(f)?;
        let bytes = fs_err::read(f)?;
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut st = pkg.control.clone();
        let filename = match format {
            Format::Deb => format!("./{name}"),
            _ => name,
        };
        st.fields.push(("Filename".into(), filename));
        st.fields.push(("Size".into(), bytes.len().to_string()));
        let md5 = hex(&md5::Md5::digest(&bytes));
        let sha = hex(&sha2::Sha256::digest(&bytes));
        match format {
            Format::Deb => {
                st.fields.push(("MD5sum".into(), md5));
                st.fields.push(("SHA256".into(), sha));
            }
            _ => {
                st.fields.push(("MD5Sum".into(), md5));
                st.fields.push(("SHA256sum".into(), sha));
            }
        }
        text.push_str(&st.to_text());
        text.push('\n');
    }
    write_atomic(&dir.join("Packages"), text.as_bytes())?;
    write_atomic(&dir.join("Packages.gz"), &archive::gzip(text.as_bytes())?)?;
    Ok(files.len())
}

/// One package of a feed.
#[derive(Debug, Clone)]
pub struct FeedPackage {
    /// Its index stanza.
    pub stanza: Stanza,
    /// The package file.
    pub file: PathBuf,
    /// The feed directory's rank (later directories in PACKAGE_ARCHS order win).
    pub priority: usize,
}

/// Reads the `Packages` index of each directory, or its rpm `repodata/` (missing ones
/// are skipped).
pub fn read_feeds(dirs: &[PathBuf]) -> Result<Vec<FeedPackage>> {
    let mut out = Vec::new();
    for (prio, d) in dirs.iter().enumerate() {
        if d.join("repodata/repomd.xml").is_file() {
            for st in crate::repodata::read_repodata(d)? {
                let loc = st.get("Filename").to_owned();
                out.push(FeedPackage {
                    stanza: st,
                    file: d.join(loc),
                    priority: prio,
                });
            }
            continue;
        }
        let index = d.join("Packages");
        let Ok(text) = fs_err::read_to_string(&index) else {
            continue;
        };
        for st in parse_stanzas(&index.display().to_string(), &text)? {
            let file = d.join(st.get("Filename").trim_start_matches("./"));
            out.push(FeedPackage {
                stanza: st,
                file,
                priority: prio,
            });
        }
    }
    Ok(out)
}

/// Writes the `repodata/` index of an rpm feed directory with times `mtime`.
pub fn write_rpm_index(dir: &Path, mtime: u64) -> Result<usize> {
    crate::repodata::write_repodata(dir, mtime)
}
