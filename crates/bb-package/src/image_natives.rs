//! The datastore side of do_rootfs, do_image and do_image_complete (see `natives.rs`).

use std::io::Write;
use std::path::PathBuf;

use bb_data::DataStore;

use crate::control::Format;
use crate::feed::write_index;
use crate::image::{ImageConfig, write_images};
use crate::natives::{dir, merge, source_date_epoch, var, words};
use crate::owners::OwnerRecord;
use crate::rootfs::{RootfsConfig, build_rootfs};
use crate::write::arch_dir;

/// The package format an image installs from: the first of PACKAGE_CLASSES.
fn format(d: &DataStore) -> Result<Format, String> {
    let classes = words(d, "PACKAGE_CLASSES")?;
    let first = classes.first().ok_or_else(|| {
        "PACKAGE_CLASSES is empty: no package format to build a root filesystem from".to_owned()
    })?;
    Format::from_class(first).ok_or_else(|| {
        format!("PACKAGE_CLASSES: `{first}` is not package_deb, package_ipk or package_rpm")
    })
}

pub(crate) fn rootfs(d: &DataStore, log: &mut dyn Write) -> Result<(), String> {
    let format = format(d)?;
    let deploy = dir(d, &format!("DEPLOY_DIR_{}", format.name().to_uppercase()))?;
    let mut feeds = Vec::new();
    for a in words(d, "PACKAGE_ARCHS")? {
        let f = deploy.join(arch_dir(format, &a));
        if f.is_dir() {
            let n = write_index(format, &f).map_err(|e| e.to_string())?;
            let _ = writeln!(log, "NOTE: indexed {n} packages in {}", f.display());
            feeds.push(f);
        }
    }
    let cfg = RootfsConfig {
        format,
        feeds,
        install: words(d, "PACKAGE_INSTALL")?,
        exclude: words(d, "PACKAGE_EXCLUDE")?,
        bad_recommendations: words(d, "BAD_RECOMMENDATIONS")?,
        no_recommendations: var(d, "NO_RECOMMENDATIONS")?.trim() == "1",
        rootfs: dir(d, "IMAGE_ROOTFS")?,
    };
    let out = build_rootfs(&cfg).map_err(|e| e.to_string())?;
    for p in &out.installed {
        let _ = writeln!(
            log,
            "NOTE: installed {} {} ({} paths)",
            p.name,
            p.version,
            p.files.len()
        );
    }
    for p in &out.deferred {
        let _ = writeln!(
            log,
            "NOTE: Postinstall scriptlet of {p} deferred to first boot"
        );
    }
    let manifest = dir(d, "BAKE_ROOTFS_MANIFEST")?;
    let owners = dir(d, "BAKE_ROOTFS_OWNERS")?;
    for f in [&manifest, &owners] {
        if let Some(p) = f.parent() {
            fs_err::create_dir_all(p).map_err(|e| e.to_string())?;
        }
    }
    crate::fsx::write_atomic(&manifest, out.manifest().as_bytes()).map_err(|e| e.to_string())?;
    let mut rec = out.owners.clone();
    // device nodes and owners the image recipe records itself (IMAGE_DEVICE_NODES lines)
    let extra = var(d, "IMAGE_DEVICE_NODES")?.replace(';', "\n");
    rec.merge(&OwnerRecord::parse("IMAGE_DEVICE_NODES", &extra).map_err(|e| e.to_string())?);
    crate::fsx::write_atomic(&owners, rec.to_text().as_bytes()).map_err(|e| e.to_string())?;
    Ok(())
}

pub(crate) fn image(d: &DataStore, log: &mut dyn Write) -> Result<(), String> {
    let num = |name: &str, default: f64| -> Result<f64, String> {
        let v = var(d, name)?;
        if v.trim().is_empty() {
            return Ok(default);
        }
        v.trim()
            .parse()
            .map_err(|_| format!("{name} `{v}` is not a number"))
    };
    let manifest = dir(d, "BAKE_ROOTFS_MANIFEST")?;
    let cfg = ImageConfig {
        rootfs: dir(d, "IMAGE_ROOTFS")?,
        owners: OwnerRecord::load(&dir(d, "BAKE_ROOTFS_OWNERS")?).map_err(|e| e.to_string())?,
        fstypes: words(d, "IMAGE_FSTYPES")?,
        deploy_dir: dir(d, "IMGDEPLOYDIR")?,
        image_name: var(d, "IMAGE_NAME")?,
        link_name: var(d, "IMAGE_LINK_NAME")?,
        source_date_epoch: source_date_epoch(d)?,
        extra_space_kb: num("IMAGE_ROOTFS_EXTRA_SPACE", 0.0)? as u64,
        overhead_factor: num("IMAGE_OVERHEAD_FACTOR", 1.3)?,
        manifest: fs_err::read_to_string(&manifest).map_err(|e| e.to_string())?,
    };
    let written = write_images(&cfg).map_err(|e| e.to_string())?;
    for f in written {
        let _ = writeln!(log, "NOTE: wrote {}", f.display());
    }
    Ok(())
}

pub(crate) fn image_complete(d: &DataStore, log: &mut dyn Write) -> Result<(), String> {
    let from: PathBuf = dir(d, "IMGDEPLOYDIR")?;
    let to = dir(d, "DEPLOY_DIR_IMAGE")?;
    merge(&from, &to)?;
    let _ = writeln!(log, "NOTE: images deployed to {}", to.display());
    Ok(())
}
