//! Shared library dependencies, as oe-core's `package_do_shlibs`: each package's ELF
//! files with a SONAME make it a provider (`shlibs2/<pkg>.list`: `soname:dir:version`,
//! unless PRIVATE_LIBS lists the soname); each NEEDED entry is looked up in the recipe's
//! own providers, then in every `shlibs2` list of PKGDATA_DIR, and becomes a runtime
//! dependency `provider (>= version)`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::tree::fnmatch;

/// One shared library a package provides.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ShlibProvide {
    /// DT_SONAME.
    pub soname: String,
    /// The directory it is installed in (`/usr/lib`).
    pub dir: String,
    /// The package version it came with (PKGV).
    pub version: String,
}

/// soname -> directory -> (package, version).
pub type ProviderMap = BTreeMap<String, BTreeMap<String, (String, String)>>;

/// Whether `soname` is private (PRIVATE_LIBS).
pub(crate) fn is_private(private_libs: &[String], soname: &str) -> bool {
    private_libs.iter().any(|p| fnmatch(p, soname))
}

/// Writes `shlibs2/<pkg>.list` (only when the package provides something).
pub(crate) fn write_list(dir: &Path, pkg: &str, provides: &[ShlibProvide]) -> Result<()> {
    if provides.is_empty() {
        return Ok(());
    }
    let mut text = String::new();
    for p in provides {
        text.push_str(&format!("{}:{}:{}\n", p.soname, p.dir, p.version));
    }
    fs_err::create_dir_all(dir)?;
    crate::fsx::write_atomic(&dir.join(format!("{pkg}.list")), text.as_bytes())
}

/// Reads the `shlibs2/*.list` files below `pkgdata_dir` into a provider map: packages
/// of the recipe being packaged (`skip`) are left out, and with `only_pns` only packages
/// whose pkgdata names one of those recipes (PN) count, so that the result does not
/// depend on which other recipes happened to be packaged first.
pub fn read_providers(
    pkgdata_dir: &Path,
    skip: &[String],
    only_pns: Option<&[String]>,
) -> Result<ProviderMap> {
    let mut map = ProviderMap::new();
    let dir = pkgdata_dir.join("shlibs2");
    let Ok(rd) = fs_err::read_dir(&dir) else {
        return Ok(map);
    };
    let mut names: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    names.sort();
    for path in names {
        let Some(pkg) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".list"))
        else {
            continue;
        };
        if skip.iter().any(|s| s == pkg) {
            continue;
        }
        if let Some(pns) = only_pns {
            let rt = pkgdata_dir.join("runtime").join(pkg);
            let pn = crate::pkgdata::read_runtime(&rt)
                .ok()
                .and_then(|m| m.get("PN").cloned())
                .unwrap_or_default();
            if !pns.contains(&pn) {
                continue;
            }
        }
        let text = fs_err::read_to_string(&path)?;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let mut parts = line.splitn(3, ':');
            let (Some(soname), Some(dir), Some(ver)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(Error::parse(
                    path.display().to_string(),
                    i + 1,
                    format!("expected `soname:dir:version`, got `{line}`"),
                ));
            };
            map.entry(soname.to_owned())
                .or_default()
                .insert(dir.to_owned(), (pkg.to_owned(), ver.to_owned()));
        }
    }
    Ok(map)
}

/// Adds a package's provides to `map`.
pub(crate) fn add_provides(map: &mut ProviderMap, pkg: &str, provides: &[ShlibProvide]) {
    for p in provides {
        map.entry(p.soname.clone())
            .or_default()
            .insert(p.dir.clone(), (pkg.to_owned(), p.version.clone()));
    }
}

/// The dependency for NEEDED `soname` of package `pkg`: looked up in `own` (this recipe)
/// then `others`, in `lib_dirs` (libdir, base_libdir) first, else anywhere. `None` when
/// nothing provides it or the package provides it itself.
pub(crate) fn dependency(
    own: &ProviderMap,
    others: &ProviderMap,
    lib_dirs: &[String],
    pkg: &str,
    soname: &str,
) -> Option<Option<String>> {
    for map in [own, others] {
        let Some(dirs) = map.get(soname) else {
            continue;
        };
        let hit = lib_dirs
            .iter()
            .find_map(|d| dirs.get(d))
            .or_else(|| dirs.values().next());
        if let Some((dep_pkg, ver)) = hit {
            if dep_pkg == pkg {
                return Some(None);
            }
            return Some(Some(if ver.is_empty() {
                dep_pkg.clone()
            } else {
                format!("{dep_pkg} (>= {ver})")
            }));
        }
    }
    None
}

/// ASSUME_SHLIBS: `soname:package[_version]` words, added to `map` as providers found
/// everywhere (oe-core's way to name a library the build does not package itself).
pub(crate) fn add_assumed(map: &mut ProviderMap, words: &[String]) -> Result<()> {
    for w in words {
        let Some((soname, pkg)) = w.split_once(':') else {
            return Err(Error::parse(
                "ASSUME_SHLIBS",
                0,
                format!("`{w}` is not `soname:package[_version]`"),
            ));
        };
        let (pkg, ver) = pkg.split_once('_').unwrap_or((pkg, ""));
        map.entry(soname.to_owned())
            .or_default()
            .insert(String::new(), (pkg.to_owned(), ver.to_owned()));
    }
    Ok(())
}
