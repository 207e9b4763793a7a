//! do_package as a whole, in oe-core's PACKAGEFUNCS order: copy `${D}` to `${PKGD}`,
//! split debug information and strip, populate the packages, shlib and pkg-config
//! providers and dependencies, the `-dev`/`-dbg` recommendation chains, pkgdata.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::deps::{Dep, join_deps, parse_deps};
use crate::elf::{self, ElfInfo};
use crate::error::Result;
use crate::fsx::clean_dir;
use crate::pkgdata::{self, RuntimeData};
use crate::qa::{Level, QaIssue};
use crate::shlibs::{self, ProviderMap, ShlibProvide};
use crate::spec::PackageConfig;
use crate::split::populate_packages;
use crate::strip::split_and_strip;
use crate::tree::{Kind, Tree};

/// One package after do_package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackagedInfo {
    /// Its name in PACKAGES.
    pub name: String,
    /// Written (has files or ALLOW_EMPTY).
    pub packaged: bool,
    /// Its files (not directories), `/usr/bin/x` -> size.
    pub files: BTreeMap<String, u64>,
    /// PKGSIZE: the sizes of its distinct files.
    pub size: u64,
    /// RDEPENDS after the shlib dependencies were added.
    pub rdepends: String,
    /// RRECOMMENDS after the dependency chains were added.
    pub rrecommends: String,
}

/// What do_package did.
#[derive(Debug, Clone, Default)]
pub struct PackageOutcome {
    /// In handling order (`-src`, `-dbg`, then PACKAGES order).
    pub packages: Vec<PackagedInfo>,
    /// QA issues, in the order found.
    pub issues: Vec<QaIssue>,
    /// `Couldn't find shared library provider` notes.
    pub notes: Vec<String>,
}

impl PackageOutcome {
    /// Whether a QA issue of ERROR_QA was found (the task must fail).
    pub fn failed(&self) -> bool {
        self.issues.iter().any(|i| i.level == Level::Error)
    }
}

/// Copies `src` to `dest` (created): modes kept, symbolic links recreated, files copied.
pub(crate) fn copy_tree(src: &Path, dest: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs_err::create_dir_all(dest)?;
    let mode = fs_err::metadata(src)?.permissions().mode();
    let mut entries: Vec<_> = fs_err::read_dir(src)?.collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let from = e.path();
        let to = dest.join(e.file_name());
        let meta = fs_err::symlink_metadata(&from)?;
        if meta.file_type().is_symlink() {
            let target = fs_err::read_link(&from)?;
            std::os::unix::fs::symlink(&target, &to)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", to.display())))?;
        } else if meta.is_dir() {
            copy_tree(&from, &to)?;
        } else {
            fs_err::copy(&from, &to)?;
        }
    }
    fs_err::set_permissions(dest, std::fs::Permissions::from_mode(mode & 0o7777))?;
    Ok(())
}

/// Runs do_package for `cfg`.
pub fn do_package(cfg: &PackageConfig) -> Result<PackageOutcome> {
    clean_dir(&cfg.pkgd)?;
    clean_dir(&cfg.pkgdest)?;
    clean_dir(&cfg.pkgdata_work)?;
    if cfg.d.is_dir() {
        copy_tree(&cfg.d, &cfg.pkgd)?;
    }
    // ELF facts before stripping (NEEDED and SONAME survive it).
    let tree = Tree::scan(&cfg.pkgd)?;
    let mut elves: HashMap<String, ElfInfo> = HashMap::new();
    for (p, k) in tree.paths() {
        if k != Kind::File {
            continue;
        }
        if let Some(info) = elf::read(&tree.abs(p))? {
            elves.insert(p[1..].to_owned(), info);
        }
    }
    if let Some(tools) = &cfg.strip {
        let mut done: HashSet<(u64, u64)> = HashSet::new();
        let mut paths: Vec<&String> = elves.keys().collect();
        paths.sort();
        for p in paths {
            let meta = fs_err::metadata(tree.abs(&format!(".{p}")))?;
            if done.insert((meta.dev(), meta.ino())) {
                split_and_strip(&cfg.pkgd, p, &elves[p], tools, cfg.split_debug)?;
            }
        }
    }
    let tree = Tree::scan(&cfg.pkgd)?;
    let mut out = PackageOutcome::default();
    let split = populate_packages(cfg, &tree, &mut out.issues)?;

    // Files, sizes and shlib provides of each package.
    let mut specs = cfg.packages.clone();
    let mut own = ProviderMap::new();
    let mut files_of: Vec<BTreeMap<String, u64>> = Vec::new();
    let mut sizes = Vec::new();
    let mut needed_of: Vec<Vec<String>> = Vec::new();
    let mut pc_provided: Vec<Vec<String>> = Vec::new();
    let mut pc_needed: Vec<Vec<String>> = Vec::new();
    for sp in &split {
        let root = cfg.pkgdest.join(&sp.name);
        let ptree = Tree::scan(&root)?;
        let mut files = BTreeMap::new();
        let mut size = 0;
        let mut inodes = HashSet::new();
        let mut provides = Vec::new();
        let mut needed = Vec::new();
        let mut pcp = Vec::new();
        let mut pcn = Vec::new();
        let mut sorted = ptree.walk_order();
        sorted.sort();
        for p in &sorted {
            if let Some(module) = crate::pkgconfig::provided(p)
                && ptree.kind(p) == Some(Kind::File)
            {
                pcp.push(module);
                pcn.extend(crate::pkgconfig::needed(&ptree.abs(p))?);
            }
        }
        for p in ptree.walk_order() {
            match ptree.kind(&p) {
                Some(Kind::Dir) | Some(Kind::Symlink { to_dir: true }) | None => continue,
                _ => {}
            }
            let meta = fs_err::symlink_metadata(ptree.abs(&p))?;
            let path = p[1..].to_owned();
            files.insert(path.clone(), meta.len());
            if inodes.insert(meta.ino()) {
                size += meta.len();
            }
            if meta.file_type().is_symlink() {
                continue;
            }
            let Some(info) = elves.get(&path) else {
                continue;
            };
            if let Some(soname) = &info.soname
                && !shlibs::is_private(&cfg.private_libs, soname)
            {
                let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("/");
                let pv = ShlibProvide {
                    soname: soname.clone(),
                    dir: if dir.is_empty() {
                        "/".into()
                    } else {
                        dir.into()
                    },
                    version: cfg.pkgv.clone(),
                };
                if !provides.contains(&pv) {
                    provides.push(pv);
                }
            }
            for n in &info.needed {
                if !needed.contains(n) {
                    needed.push(n.clone());
                }
            }
        }
        provides.sort();
        shlibs::add_provides(&mut own, &sp.name, &provides);
        shlibs::write_list(&cfg.pkgdata_work.join("shlibs2"), &sp.name, &provides)?;
        crate::pkgconfig::write_list(&cfg.pkgdata_work.join("shlibs2"), &sp.name, &pcp)?;
        files_of.push(files);
        sizes.push(size);
        needed_of.push(needed);
        pc_provided.push(pcp);
        pc_needed.push(pcn);
    }
    let own_names: Vec<String> = split.iter().map(|s| s.name.clone()).collect();
    let mut others =
        shlibs::read_providers(&cfg.pkgdata_dir, &own_names, cfg.shlib_recipes.as_deref())?;
    shlibs::add_assumed(&mut others, &cfg.assume_shlibs)?;
    let pc_others =
        crate::pkgconfig::read_lists(&cfg.pkgdata_dir, &own_names, cfg.shlib_recipes.as_deref())?;
    for (k, sp) in split.iter().enumerate() {
        let spec = &mut specs[sp.spec];
        let mut rdeps = parse_deps(&format!("RDEPENDS:{}", sp.name), spec.var("RDEPENDS"))?;
        for n in &needed_of[k] {
            match shlibs::dependency(&own, &others, &cfg.lib_dirs, &sp.name, n) {
                Some(Some(dep)) => {
                    for d in parse_deps("shlibdeps", &dep)? {
                        if !rdeps.iter().any(|r| r.name == d.name) {
                            rdeps.push(d);
                        }
                    }
                }
                Some(None) => {}
                None => {
                    let users: Vec<&String> = files_of[k]
                        .keys()
                        .filter(|f| elves.get(*f).is_some_and(|i| i.needed.contains(n)))
                        .collect();
                    out.notes.push(format!(
                        "Couldn't find shared library provider for {n}, used by files: {users:?}"
                    ));
                }
            }
        }
        // pkg-config modules: this recipe's packages, then the recipes of DEPENDS
        for n in &pc_needed[k] {
            let own_hit = split
                .iter()
                .zip(&pc_provided)
                .find(|(_, mods)| mods.contains(n))
                .map(|(s, _)| s.name.clone());
            let hit = own_hit.or_else(|| {
                pc_others
                    .iter()
                    .find(|(_, mods)| mods.contains(n))
                    .map(|(p, _)| p.clone())
            });
            match hit {
                Some(p) if p != sp.name => {
                    if !rdeps.iter().any(|r| r.name == p) {
                        rdeps.push(Dep::new(p));
                    }
                }
                Some(_) => {}
                None => out.notes.push(format!(
                    "couldn't find pkgconfig module '{n}' in any package"
                )),
            }
        }
        spec.set_var("RDEPENDS", join_deps(&rdeps, false));
    }
    depchains(cfg, &split, &mut specs)?;
    let mut runtime = Vec::new();
    for (k, sp) in split.iter().enumerate() {
        let spec = &mut specs[sp.spec];
        if spec.var("PKG").is_empty() {
            let name = sp.name.clone();
            spec.set_var("PKG", name);
        }
        let _ = k;
    }
    for (k, sp) in split.iter().enumerate() {
        runtime.push(RuntimeData {
            spec: &specs[sp.spec],
            files: &files_of[k],
            size: sizes[k],
            packaged: sp.packaged,
        });
    }
    pkgdata::write(&cfg.pkgdata_work, &cfg.pn, &cfg.pkgdata_vars, &runtime)?;
    for (k, sp) in split.iter().enumerate() {
        let spec = &specs[sp.spec];
        out.packages.push(PackagedInfo {
            name: sp.name.clone(),
            packaged: sp.packaged,
            files: files_of[k].clone(),
            size: sizes[k],
            rdepends: spec.var("RDEPENDS").to_owned(),
            rrecommends: spec.var("RRECOMMENDS").to_owned(),
        });
    }
    Ok(out)
}

/// oe-core's `package_depchains` with DEPCHAIN_POST = `-dev -dbg`: a `-dev` package
/// recommends the `-dev` of every build dependency and of every runtime dependency of the
/// recipe's packages; a `-dbg` package the `-dbg` of every runtime dependency.
fn depchains(
    cfg: &PackageConfig,
    split: &[crate::split::SplitPackage],
    specs: &mut [crate::spec::PackageSpec],
) -> Result<()> {
    let mut rdepends: Vec<String> = Vec::new();
    for sp in split {
        for d in parse_deps("RDEPENDS", specs[sp.spec].var("RDEPENDS"))? {
            if !rdepends.contains(&d.name) {
                rdepends.push(d.name);
            }
        }
    }
    let strip = |d: &str| -> String {
        let d = d.strip_suffix("-dev").unwrap_or(d);
        d.strip_suffix("-dbg").unwrap_or(d).to_owned()
    };
    for suffix in ["-dev", "-dbg"] {
        for sp in split.iter().filter(|s| s.name.ends_with(suffix)) {
            let spec = &mut specs[sp.spec];
            let mut recs =
                parse_deps(&format!("RRECOMMENDS:{}", sp.name), spec.var("RRECOMMENDS"))?;
            let add = |name: String, recs: &mut Vec<Dep>| {
                if name != sp.name && !recs.iter().any(|r| r.name == name) {
                    recs.push(Dep::new(name));
                }
            };
            if suffix == "-dev" {
                let mut deps = cfg.depends.clone();
                deps.sort();
                for d in deps {
                    if d.contains("-native") || d.contains("-cross") || d.starts_with("virtual/") {
                        continue;
                    }
                    add(format!("{}{suffix}", strip(&d)), &mut recs);
                }
            }
            for d in &rdepends {
                if d.contains("virtual-locale-") {
                    continue;
                }
                add(format!("{}{suffix}", strip(d)), &mut recs);
            }
            spec.set_var("RRECOMMENDS", join_deps(&recs, false));
        }
    }
    Ok(())
}
