//! The adapter between a recipe's datastore and this crate: the native implementations of
//! the packaging, rootfs and image task functions of `meta/`'s classes, each reading the
//! variables it needs, calling the plain-value API and writing BitBake-style lines
//! (`NOTE:`, `WARNING: QA Issue: ...`) to the task log. The binary registers [`FUNCS`]
//! with one call; nothing else here knows a task graph.

use std::io::Write;
use std::path::{Path, PathBuf};

use bb_data::DataStore;

use crate::control::Format;
use crate::owners::OwnerRecord;
use crate::qa::Level;
use crate::spec::{PackageConfig, PackageSpec, PkgVar, StripTools};
use crate::write::{WriteConfig, dpkg_arch, write_packages};

/// The Python task functions implemented here.
pub const FUNCS: &[&str] = &[
    "do_package",
    "do_packagedata",
    "do_package_write_deb",
    "do_package_write_ipk",
    "do_package_write_rpm",
    "do_rootfs",
    "do_image",
    "do_image_complete",
];

/// Runs task function `func` of the recipe whose datastore is `d`; `None` when `func`
/// is not one of [`FUNCS`].
pub fn run(func: &str, d: &DataStore, log: &mut dyn Write) -> Option<Result<(), String>> {
    let r = match func {
        "do_package" => package(d, log),
        "do_packagedata" => packagedata(d, log),
        "do_package_write_deb" => write(d, log, Format::Deb),
        "do_package_write_ipk" => write(d, log, Format::Ipk),
        "do_package_write_rpm" => write(d, log, Format::Rpm),
        "do_rootfs" => crate::image_natives::rootfs(d, log),
        "do_image" => crate::image_natives::image(d, log),
        "do_image_complete" => crate::image_natives::image_complete(d, log),
        _ => return None,
    };
    Some(r)
}

/// A variable, expanded, empty when unset.
pub(crate) fn var(d: &DataStore, name: &str) -> Result<String, String> {
    d.get_var(name)
        .map(Option::unwrap_or_default)
        .map_err(|e| format!("{name}: {e}"))
}

/// A variable's words.
pub(crate) fn words(d: &DataStore, name: &str) -> Result<Vec<String>, String> {
    Ok(var(d, name)?
        .split_whitespace()
        .map(str::to_owned)
        .collect())
}

/// A variable naming a directory; an error when empty.
pub(crate) fn dir(d: &DataStore, name: &str) -> Result<PathBuf, String> {
    let v = var(d, name)?;
    if v.trim().is_empty() {
        return Err(format!("{name} is not set"));
    }
    Ok(PathBuf::from(v.trim()))
}

/// SOURCE_DATE_EPOCH as a number.
pub(crate) fn source_date_epoch(d: &DataStore) -> Result<u64, String> {
    let v = var(d, "SOURCE_DATE_EPOCH")?;
    v.trim()
        .parse()
        .map_err(|_| format!("SOURCE_DATE_EPOCH `{v}` is not a number of seconds"))
}

/// The owners record of the recipe (BAKE_OWNERS_FILE).
pub(crate) fn owners(d: &DataStore) -> Result<OwnerRecord, String> {
    let f = var(d, "BAKE_OWNERS_FILE")?;
    if f.trim().is_empty() {
        return Ok(OwnerRecord::new());
    }
    OwnerRecord::load(Path::new(f.trim())).map_err(|e| e.to_string())
}

fn truthy(v: &str) -> bool {
    v.trim() == "1"
}

/// `VAR:pkg` if set, else `VAR`, with whether it was the package's own.
fn pkg_var(d: &DataStore, name: &str, pkg: &str) -> Result<Option<PkgVar>, String> {
    let own = d
        .get_var(&format!("{name}:{pkg}"))
        .map_err(|e| format!("{name}:{pkg}: {e}"))?;
    if let Some(v) = own.filter(|v| !v.is_empty()) {
        return Ok(Some(PkgVar {
            name: name.to_owned(),
            specific: true,
            value: v,
        }));
    }
    let v = var(d, name)?;
    Ok((!v.is_empty()).then(|| PkgVar {
        name: name.to_owned(),
        specific: false,
        value: v,
    }))
}

/// The `PackageConfig` of a recipe.
pub fn package_config(d: &DataStore) -> Result<PackageConfig, String> {
    let pn = var(d, "PN")?;
    let pkgdata_vars = words(d, "PKGDATA_VARS")?;
    let mut packages = Vec::new();
    for pkg in words(d, "PACKAGES")? {
        let files = words(d, &format!("FILES:{pkg}"))?;
        let allow = match var(d, &format!("ALLOW_EMPTY:{pkg}"))? {
            v if v.is_empty() => var(d, "ALLOW_EMPTY")?,
            v => v,
        };
        let mut vars = Vec::new();
        for name in &pkgdata_vars {
            if name == "FILES_INFO" {
                continue;
            }
            if let Some(mut v) = pkg_var(d, name, &pkg)? {
                if name == "pkg_postinst" {
                    v.value = v.value.trim_end().to_owned();
                }
                vars.push(v);
            }
        }
        // pkg_postinst_ontarget: deferred to first boot (exits 1 when $D is set)
        let ontarget = var(d, &format!("pkg_postinst_ontarget:{pkg}"))?;
        if !ontarget.trim().is_empty() {
            let before = vars
                .iter()
                .find(|v| v.name == "pkg_postinst")
                .map(|v| v.value.clone())
                .unwrap_or_default();
            let merged = format!(
                "{before}\nif [ -n \"$D\" ]; then\n    exit 1\nfi\n{}",
                ontarget.trim()
            );
            vars.retain(|v| v.name != "pkg_postinst");
            vars.push(PkgVar {
                name: "pkg_postinst".into(),
                specific: true,
                value: merged.trim_start().to_owned(),
            });
        }
        packages.push(PackageSpec {
            name: pkg.clone(),
            files,
            allow_empty: truthy(&allow),
            vars,
        });
    }
    let depends: Vec<String> = crate::deps::parse_deps("DEPENDS", &var(d, "DEPENDS")?)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|d| d.name)
        .collect();
    let strip = if truthy(&var(d, "INHIBIT_PACKAGE_STRIP")?) {
        None
    } else {
        let or = |v: String, def: &str| {
            if v.trim().is_empty() {
                def.to_owned()
            } else {
                v
            }
        };
        Some(StripTools {
            objcopy: or(var(d, "OBJCOPY")?, "objcopy"),
            strip: or(var(d, "STRIP")?, "strip"),
        })
    };
    Ok(PackageConfig {
        pn: pn.clone(),
        pkgv: var(d, "PKGV")?,
        packages,
        depends: depends.clone(),
        d: dir(d, "D")?,
        pkgd: dir(d, "PKGD")?,
        pkgdest: dir(d, "PKGDEST")?,
        pkgdata_work: dir(d, "PKGDESTWORK")?,
        pkgdata_dir: dir(d, "PKGDATA_DIR")?,
        strip,
        split_debug: !truthy(&var(d, "INHIBIT_PACKAGE_DEBUG_SPLIT")?),
        private_libs: words(d, "PRIVATE_LIBS")?,
        lib_dirs: vec![var(d, "libdir")?, var(d, "base_libdir")?],
        error_qa: words(d, "ERROR_QA")?,
        warn_qa: words(d, "WARN_QA")?,
        insane_skip: words(d, &format!("INSANE_SKIP:{pn}"))?,
        shlib_recipes: Some(depends.clone()),
        assume_shlibs: words(d, "ASSUME_SHLIBS")?,
        pkgdata_vars,
    })
}

fn package(d: &DataStore, log: &mut dyn Write) -> Result<(), String> {
    let cfg = package_config(d)?;
    let out = crate::package::do_package(&cfg).map_err(|e| e.to_string())?;
    for n in &out.notes {
        let _ = writeln!(log, "NOTE: {n}");
    }
    for i in &out.issues {
        let _ = writeln!(log, "{}", i.line());
    }
    for p in &out.packages {
        let _ = writeln!(
            log,
            "NOTE: {} {}: {} files, {} bytes",
            p.name,
            if p.packaged {
                "packaged"
            } else {
                "empty, not packaged"
            },
            p.files.len(),
            p.size
        );
    }
    if out.issues.iter().any(|i| i.level == Level::Error) {
        return Err("Fatal QA errors were found, failing task.".to_owned());
    }
    Ok(())
}

/// Merges `src` into `dest`: files replaced, symbolic links recreated.
pub(crate) fn merge(src: &Path, dest: &Path) -> Result<(), String> {
    let err = |e: std::io::Error| e.to_string();
    fs_err::create_dir_all(dest).map_err(err)?;
    for e in fs_err::read_dir(src).map_err(err)? {
        let e = e.map_err(err)?;
        let from = e.path();
        let to = dest.join(e.file_name());
        let meta = fs_err::symlink_metadata(&from).map_err(err)?;
        if meta.file_type().is_symlink() {
            let t = fs_err::read_link(&from).map_err(err)?;
            crate::fsx::symlink_force(&t.to_string_lossy(), &to).map_err(|e| e.to_string())?;
        } else if meta.is_dir() {
            merge(&from, &to)?;
        } else {
            let data = fs_err::read(&from).map_err(err)?;
            crate::fsx::write_atomic(&to, &data).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

fn packagedata(d: &DataStore, log: &mut dyn Write) -> Result<(), String> {
    let work = dir(d, "PKGDESTWORK")?;
    let shared = dir(d, "PKGDATA_DIR")?;
    merge(&work, &shared)?;
    let _ = writeln!(
        log,
        "NOTE: pkgdata of {} staged into {}",
        var(d, "PN")?,
        shared.display()
    );
    Ok(())
}

fn write(d: &DataStore, log: &mut dyn Write, format: Format) -> Result<(), String> {
    let arch = var(d, "PACKAGE_ARCH")?;
    let priority = match var(d, "PRIORITY")? {
        p if p.is_empty() => "optional".to_owned(),
        p => p,
    };
    let deploy = format!("DEPLOY_DIR_{}", format.name().to_uppercase());
    let cfg = WriteConfig {
        pn: var(d, "PN")?,
        pkgdata_work: dir(d, "PKGDESTWORK")?,
        pkgdest: dir(d, "PKGDEST")?,
        dpkg_arch: dpkg_arch(&arch),
        package_arch: arch,
        maintainer: var(d, "MAINTAINER")?,
        priority,
        homepage: var(d, "HOMEPAGE")?,
        owners: owners(d)?,
        source_date_epoch: source_date_epoch(d)?,
        deploy_dir: dir(d, &deploy)?,
    };
    let written = write_packages(format, &cfg).map_err(|e| e.to_string())?;
    for f in &written {
        let _ = writeln!(log, "NOTE: wrote {}", f.display());
    }
    Ok(())
}
