//! do_rootfs from a package feed, without a host package manager: the install list
//! (PACKAGE_INSTALL) closed over Depends and Recommends (minus PACKAGE_EXCLUDE,
//! BAD_RECOMMENDATIONS, or all recommendations with NO_RECOMMENDATIONS), packages unpacked
//! dependencies first, a file shipped by two packages refused as opkg refuses it, owners
//! kept in a record (no root needed), Conflicts refused, postinst scripts run with `$D` set to the root
//! filesystem and deferred to first boot (`/etc/<format>-postinsts/`) when they fail.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::control::Format;
use crate::debpkg::read_package;
use crate::deps::parse_deps;
use crate::error::{Error, Result};
use crate::feed::{FeedPackage, read_feeds};
use crate::fsx::clean_dir;
use crate::owners::{Owner, OwnerRecord, normalize};

/// What do_rootfs needs.
#[derive(Debug, Clone)]
pub struct RootfsConfig {
    /// The package format (PACKAGE_CLASSES' first).
    pub format: Format,
    /// Feed directories in PACKAGE_ARCHS order (a later one wins for the same name).
    pub feeds: Vec<PathBuf>,
    /// PACKAGE_INSTALL.
    pub install: Vec<String>,
    /// PACKAGE_EXCLUDE.
    pub exclude: Vec<String>,
    /// BAD_RECOMMENDATIONS.
    pub bad_recommendations: Vec<String>,
    /// NO_RECOMMENDATIONS = `1`.
    pub no_recommendations: bool,
    /// IMAGE_ROOTFS (emptied first).
    pub rootfs: PathBuf,
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// Package name.
    pub name: String,
    /// Architecture as the control file says.
    pub arch: String,
    /// Version.
    pub version: String,
    /// The paths it installed (files, links and directories it created).
    pub files: Vec<String>,
}

/// What do_rootfs did.
#[derive(Debug, Clone, Default)]
pub struct RootfsOutcome {
    /// In install order (dependencies first).
    pub installed: Vec<Installed>,
    /// Owners of the root filesystem's paths.
    pub owners: OwnerRecord,
    /// Packages whose postinst was deferred to first boot.
    pub deferred: Vec<String>,
}

impl RootfsOutcome {
    /// The image manifest: `name arch version` per line, sorted by name.
    pub fn manifest(&self) -> String {
        let mut lines: Vec<String> = self
            .installed
            .iter()
            .map(|p| format!("{} {} {}\n", p.name, p.arch.replace('-', "_"), p.version))
            .collect();
        lines.sort();
        lines.concat()
    }
}

struct Resolver<'a> {
    cfg: &'a RootfsConfig,
    by_name: HashMap<String, &'a FeedPackage>,
    provides: HashMap<String, Vec<&'a FeedPackage>>,
    feeds_text: String,
}

impl<'a> Resolver<'a> {
    fn new(cfg: &'a RootfsConfig, all: &'a [FeedPackage]) -> Result<Resolver<'a>> {
        let mut by_name: HashMap<String, &FeedPackage> = HashMap::new();
        let mut provides: HashMap<String, Vec<&FeedPackage>> = HashMap::new();
        for p in all {
            let name = p.stanza.get("Package").to_owned();
            match by_name.get(&name) {
                Some(old) if old.priority > p.priority => {}
                _ => {
                    by_name.insert(name.clone(), p);
                }
            }
            for d in parse_deps(&format!("{name}: Provides"), p.stanza.get("Provides"))? {
                provides.entry(d.name).or_default().push(p);
            }
        }
        for v in provides.values_mut() {
            v.sort_by(|a, b| a.stanza.get("Package").cmp(b.stanza.get("Package")));
        }
        let feeds_text = cfg
            .feeds
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        Ok(Resolver {
            cfg,
            by_name,
            provides,
            feeds_text,
        })
    }

    fn excluded(&self, name: &str) -> bool {
        self.cfg.exclude.iter().any(|e| e == name)
    }

    fn find(&self, name: &str) -> Option<&'a FeedPackage> {
        if let Some(p) = self.by_name.get(name)
            && !self.excluded(name)
        {
            return Some(p);
        }
        self.provides.get(name).and_then(|v| {
            v.iter()
                .find(|p| !self.excluded(p.stanza.get("Package")))
                .copied()
        })
    }

    fn unsatisfied(&self, package: &str, dep: &str) -> Error {
        let dependency = if self.excluded(dep) {
            format!("{dep} (excluded by PACKAGE_EXCLUDE)")
        } else {
            dep.to_owned()
        };
        Error::Unsatisfied {
            package: package.to_owned(),
            dependency,
            feeds: self.feeds_text.clone(),
        }
    }

    fn visit(
        &self,
        p: &'a FeedPackage,
        seen: &mut HashSet<String>,
        order: &mut Vec<&'a FeedPackage>,
    ) -> Result<()> {
        let name = p.stanza.get("Package").to_owned();
        if !seen.insert(name.clone()) {
            return Ok(());
        }
        for d in parse_deps(&format!("{name}: Depends"), p.stanza.get("Depends"))? {
            let dep = self
                .find(&d.name)
                .ok_or_else(|| self.unsatisfied(&name, &d.name))?;
            self.visit(dep, seen, order)?;
        }
        if !self.cfg.no_recommendations {
            for d in parse_deps(&format!("{name}: Recommends"), p.stanza.get("Recommends"))? {
                if self.cfg.bad_recommendations.contains(&d.name) {
                    continue;
                }
                if let Some(dep) = self.find(&d.name) {
                    self.visit(dep, seen, order)?;
                }
            }
        }
        order.push(p);
        Ok(())
    }
}

/// The packages to install, dependencies before their users.
pub fn resolve(cfg: &RootfsConfig) -> Result<Vec<FeedPackage>> {
    let all = read_feeds(&cfg.feeds)?;
    let r = Resolver::new(cfg, &all)?;
    let mut seen = HashSet::new();
    let mut order = Vec::new();
    for name in &cfg.install {
        let p = r
            .find(name)
            .ok_or_else(|| r.unsatisfied("IMAGE_INSTALL", name))?;
        r.visit(p, &mut seen, &mut order)?;
    }
    for p in &order {
        let name = p.stanza.get("Package");
        for c in parse_deps(&format!("{name}: Conflicts"), p.stanza.get("Conflicts"))? {
            let hit = order.iter().find(|o| {
                o.stanza.get("Package") != name
                    && (o.stanza.get("Package") == c.name
                        || parse_deps("Provides", o.stanza.get("Provides"))
                            .is_ok_and(|v| v.iter().any(|d| d.name == c.name)))
            });
            if let Some(o) = hit {
                return Err(Error::Conflict {
                    package: name.to_owned(),
                    other: o.stanza.get("Package").to_owned(),
                });
            }
        }
    }
    Ok(order.into_iter().cloned().collect())
}

/// Builds the root filesystem.
pub fn build_rootfs(cfg: &RootfsConfig) -> Result<RootfsOutcome> {
    use std::os::unix::fs::PermissionsExt;
    let order = resolve(cfg)?;
    clean_dir(&cfg.rootfs)?;
    let root = &cfg.rootfs;
    let mut out = RootfsOutcome::default();
    let mut owner_of: BTreeMap<String, String> = BTreeMap::new();
    let mut scripts = Vec::new();
    for p in &order {
        let pkg = match cfg.format {
            Format::Rpm => crate::rpm::read_rpm(&p.file)?,
            _ => read_package(&p.file)?,
        };
        let name = pkg.control.get("Package").to_owned();
        let mut files = Vec::new();
        let mut ar = tar::Archive::new(pkg.data.as_slice());
        for e in ar.entries()? {
            let mut e = e?;
            let raw = String::from_utf8_lossy(&e.path_bytes()).into_owned();
            let rel =
                normalize(&format!("/{}", raw.trim_start_matches("./"))).ok_or_else(|| {
                    Error::Escapes {
                        path: raw.clone(),
                        root: root.clone(),
                    }
                })?;
            let h = e.header().clone();
            let mode = h.mode()? & 0o7777;
            let owner = Owner {
                uid: h.uid()? as u32,
                gid: h.gid()? as u32,
                device: None,
            };
            if rel == "/" {
                continue;
            }
            let dest = root.join(&rel[1..]);
            let kind = h.entry_type();
            if kind.is_dir() {
                if dest.symlink_metadata().is_err() {
                    fs_err::create_dir_all(&dest)?;
                    fs_err::set_permissions(&dest, std::fs::Permissions::from_mode(mode))?;
                    if owner != Owner::default() {
                        out.owners.set(&rel, owner);
                    }
                    files.push(rel);
                }
                continue;
            }
            if let Some(first) = owner_of.get(&rel) {
                return Err(Error::FileClash {
                    package: name.clone(),
                    path: rel.clone(),
                    owner: first.clone(),
                });
            }
            if let Some(parent) = dest.parent() {
                fs_err::create_dir_all(parent)?;
            }
            if kind.is_symlink() {
                let target = e
                    .link_name()?
                    .map(|t| t.to_string_lossy().into_owned())
                    .unwrap_or_default();
                std::os::unix::fs::symlink(&target, &dest).map_err(|er| {
                    std::io::Error::new(er.kind(), format!("{}: {er}", dest.display()))
                })?;
            } else if kind.is_file() {
                let mut data = Vec::new();
                e.read_to_end(&mut data)?;
                fs_err::write(&dest, &data)?;
                fs_err::set_permissions(&dest, std::fs::Permissions::from_mode(mode))?;
            } else {
                return Err(Error::Invalid(format!(
                    "{}: entry `{raw}` of type {:?} cannot be installed",
                    p.file.display(),
                    kind
                )));
            }
            if owner != Owner::default() {
                out.owners.set(&rel, owner);
            }
            owner_of.insert(rel.clone(), name.clone());
            files.push(rel);
        }
        if let Some((_, body)) = pkg.scripts.iter().find(|(n, _)| n == "postinst") {
            scripts.push((name.clone(), body.clone()));
        }
        out.installed.push(Installed {
            name,
            arch: pkg.control.get("Architecture").to_owned(),
            version: pkg.control.get("Version").to_owned(),
            files,
        });
    }
    for (i, (name, body)) in scripts.iter().enumerate() {
        if !run_postinst(root, name, body)? {
            let dir = root.join(format!("etc/{}-postinsts", cfg.format.name()));
            fs_err::create_dir_all(&dir)?;
            let f = dir.join(format!("{:03}-{name}", 100 + i));
            fs_err::write(&f, body)?;
            fs_err::set_permissions(&f, std::fs::Permissions::from_mode(0o755))?;
            out.deferred.push(name.clone());
        }
    }
    Ok(out)
}

/// Runs a postinst with `$D` set to the root filesystem; `false` when it asks to be
/// deferred (any non-zero exit, as oe-core's offline package managers treat it).
fn run_postinst(root: &Path, name: &str, body: &str) -> Result<bool> {
    let dir = tempfile::Builder::new().prefix("bb-postinst").tempdir()?;
    let script = dir.path().join(format!("{name}.postinst"));
    fs_err::write(&script, body)?;
    let out = std::process::Command::new("/bin/sh")
        .arg(&script)
        .arg("configure")
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("D", root)
        .env("OPKG_OFFLINE_ROOT", root)
        .env("DPKG_ROOT", root)
        .current_dir(root)
        .output()
        .map_err(|e| Error::Command {
            command: format!("sh {}", script.display()),
            output: e.to_string(),
        })?;
    Ok(out.status.success())
}
