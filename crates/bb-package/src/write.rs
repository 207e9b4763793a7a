//! do_package_write_deb/ipk/rpm: every written package of a recipe (those with a
//! `runtime/<pkg>.packaged` marker in its pkgdata), with the metadata pkgdata recorded,
//! into `${DEPLOY_DIR_<FORMAT>}/<arch>/` (for deb, `-` in the arch becomes `_`, as
//! oe-core names the directories).

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::control::{Format, PackageMeta};
use crate::debpkg::write_package;
use crate::deps::parse_deps;
use crate::error::{Error, Result};
use crate::owners::OwnerRecord;
use crate::pkgdata::read_runtime;

/// What the package writers need.
#[derive(Debug, Clone, Default)]
pub struct WriteConfig {
    /// PN.
    pub pn: String,
    /// ${PKGDESTWORK}: this recipe's pkgdata.
    pub pkgdata_work: PathBuf,
    /// ${PKGDEST}: the split package directories.
    pub pkgdest: PathBuf,
    /// PACKAGE_ARCH.
    pub package_arch: String,
    /// The Debian name of PACKAGE_ARCH (DPKG_ARCH).
    pub dpkg_arch: String,
    /// MAINTAINER.
    pub maintainer: String,
    /// PRIORITY (`optional`).
    pub priority: String,
    /// HOMEPAGE.
    pub homepage: String,
    /// The owners record of `${D}`.
    pub owners: OwnerRecord,
    /// SOURCE_DATE_EPOCH.
    pub source_date_epoch: u64,
    /// `${DEPLOY_DIR_DEB}` (or IPK, RPM).
    pub deploy_dir: PathBuf,
}

/// The directory below the deploy directory a PACKAGE_ARCH's packages go to.
pub fn arch_dir(format: Format, arch: &str) -> String {
    match format {
        Format::Deb | Format::Rpm => arch.replace('-', "_"),
        Format::Ipk => arch.to_owned(),
    }
}

/// The package metadata that pkgdata records for `pkg`.
pub fn meta_from_pkgdata(cfg: &WriteConfig, pkg: &str) -> Result<PackageMeta> {
    let file = cfg.pkgdata_work.join("runtime").join(pkg);
    let rt = read_runtime(&file)?;
    let get = |var: &str| -> String {
        rt.get(&format!("{var}:{pkg}"))
            .or_else(|| rt.get(var))
            .cloned()
            .unwrap_or_default()
    };
    let deps = |var: &str| parse_deps(&format!("{}: {var}", file.display()), &get(var));
    let pkge = get("PKGE");
    let mut version = format!("{}-{}", get("PKGV"), get("PKGR"));
    if !pkge.is_empty() {
        version = format!("{pkge}:{version}");
    }
    let mut scripts = BTreeMap::new();
    for s in ["preinst", "postinst", "prerm", "postrm"] {
        let body = get(&format!("pkg_{s}"));
        if !body.trim().is_empty() {
            scripts.insert(s.to_owned(), body);
        }
    }
    let name = match get("PKG") {
        n if n.is_empty() => pkg.to_owned(),
        n => n,
    };
    Ok(PackageMeta {
        name,
        version,
        arch: cfg.package_arch.clone(),
        dpkg_arch: cfg.dpkg_arch.clone(),
        pn: cfg.pn.clone(),
        summary: get("SUMMARY"),
        description: get("DESCRIPTION"),
        section: get("SECTION"),
        priority: cfg.priority.clone(),
        maintainer: cfg.maintainer.clone(),
        license: get("LICENSE"),
        homepage: cfg.homepage.clone(),
        depends: deps("RDEPENDS")?,
        recommends: deps("RRECOMMENDS")?,
        suggests: deps("RSUGGESTS")?,
        provides: deps("RPROVIDES")?,
        replaces: deps("RREPLACES")?,
        conflicts: deps("RCONFLICTS")?,
        scripts,
        conffiles: get("CONFFILES")
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    })
}

/// Writes every packaged package of the recipe; returns the files written.
pub fn write_packages(format: Format, cfg: &WriteConfig) -> Result<Vec<PathBuf>> {
    let index = cfg.pkgdata_work.join(&cfg.pn);
    let text = fs_err::read_to_string(&index)?;
    let packages = text
        .lines()
        .find_map(|l| l.strip_prefix("PACKAGES:"))
        .ok_or_else(|| Error::parse(index.display().to_string(), 1, "no `PACKAGES:` line"))?;
    let outdir = cfg.deploy_dir.join(arch_dir(format, &cfg.package_arch));
    let mut out = Vec::new();
    for pkg in packages.split_whitespace() {
        let marker = cfg
            .pkgdata_work
            .join("runtime")
            .join(format!("{pkg}.packaged"));
        if !marker.exists() {
            continue;
        }
        let meta = meta_from_pkgdata(cfg, pkg)?;
        let dir = cfg.pkgdest.join(pkg);
        out.push(write_package(
            format,
            &dir,
            &meta,
            &cfg.owners,
            cfg.source_date_epoch,
            &outdir,
        )?);
    }
    Ok(out)
}

/// The Debian architecture of a PACKAGE_ARCH / TARGET_ARCH (oe-core's DPKG_ARCH mapping).
pub fn dpkg_arch(arch: &str) -> String {
    match arch {
        "x86_64" | "core2-64" | "corei7-64" => "amd64",
        "i386" | "i486" | "i586" | "i686" | "core2-32" => "i386",
        "aarch64" | "armv8a" => "arm64",
        "all" | "any" | "noarch" => "all",
        a if a.starts_with("arm") => "armhf",
        a if a.starts_with("riscv64") => "riscv64",
        a => a,
    }
    .replace('_', "-")
}
