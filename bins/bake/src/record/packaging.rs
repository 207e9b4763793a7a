//! What a recorded build packaged, read as oe-core's toaster.bbclass reads it for
//! Toaster: after a recipe's do_package, its pkgdata (`${PKGDESTWORK}/runtime/<pkg>`,
//! one `SinglePackageInfo` a package); after an image target's do_image_complete, its
//! installed packages (the rootfs manifest, with each package's pkgdata from
//! `${PKGDATA_DIR}/runtime-reverse/`), its root filesystem's tree (owners from bake's
//! owner record, names from the image's own passwd and group files) and its image files
//! in DEPLOY_DIR_IMAGE (`${IMAGE_NAME}` with an IMAGE_FSTYPES suffix), as Toaster's
//! `ImagePkgList` and its scan of image artifacts give them.
//!
//! [`Packaging::capture`] keeps what the recipes' datastores say before the tasks run;
//! [`Packaging::tee`] watches the run queue's events on their way to the console and
//! hands the recorder what each finished task made. Nothing here fails the build: what
//! cannot be read is reported as a warning, and the rows are left out.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

use bb_data::DataStore;
use bb_events::BuildEvent;
use bb_toaster::model::{InodeType, PackageDependencyType};
use bb_toaster::{ImageFile, ImageRow, InstalledPackage, PackageRow, Recorder};

/// What a recipe's datastore says of its packaging.
#[derive(Debug, Clone, Default)]
struct RecipeVars {
    pn: String,
    /// PKGDESTWORK: the recipe's pkgdata.
    pkgdestwork: String,
    /// For an image recipe: where its rootfs, owners, manifest and images are.
    image: Option<ImageVars>,
}

#[derive(Debug, Clone, Default)]
struct ImageVars {
    rootfs: String,
    owners: String,
    manifest: String,
    pkgdata_dir: String,
    deploy_dir_image: String,
    image_name: String,
    fstypes: Vec<String>,
}

/// The packaging side of a recorded build (see the module's documentation).
#[derive(Default)]
pub(crate) struct Packaging {
    recipes: Mutex<HashMap<String, RecipeVars>>,
}

fn var(d: &DataStore, name: &str) -> String {
    d.get_var(name).ok().flatten().unwrap_or_default()
}

impl Packaging {
    /// Keeps what the finalized recipes say of their packaging (the run queue is about
    /// to start).
    pub(crate) fn capture(&self, recipes: &HashMap<String, DataStore>) {
        let mut map = self
            .recipes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (fn_name, d) in recipes {
            let manifest = var(d, "BAKE_ROOTFS_MANIFEST");
            let image = (!manifest.is_empty()).then(|| ImageVars {
                rootfs: var(d, "IMAGE_ROOTFS"),
                owners: var(d, "BAKE_ROOTFS_OWNERS"),
                manifest,
                pkgdata_dir: var(d, "PKGDATA_DIR"),
                deploy_dir_image: var(d, "DEPLOY_DIR_IMAGE"),
                image_name: var(d, "IMAGE_NAME"),
                fstypes: var(d, "IMAGE_FSTYPES")
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
            });
            map.insert(
                fn_name.clone(),
                RecipeVars {
                    pn: var(d, "PN"),
                    pkgdestwork: var(d, "PKGDESTWORK"),
                    image,
                },
            );
        }
    }

    /// Forwards every event of `rx` to `tx`; a succeeded do_package or
    /// do_image_complete first hands the recorder what it made. Ends with `rx`.
    pub(crate) fn tee(
        self: Arc<Self>,
        recorder: Arc<Recorder>,
        rx: Receiver<BuildEvent>,
        tx: Sender<BuildEvent>,
    ) -> std::thread::JoinHandle<()> {
        std::thread::spawn(move || {
            for ev in rx {
                if let BuildEvent::TaskSucceeded { task, .. } = &ev {
                    self.task_done(&recorder, &task.fn_name, &task.task);
                }
                if tx.send(ev).is_err() {
                    break;
                }
            }
        })
    }

    fn task_done(&self, recorder: &Recorder, fn_name: &str, task: &str) {
        let vars = self
            .recipes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(fn_name)
            .cloned();
        let Some(v) = vars else {
            return;
        };
        match task {
            "do_package" if !v.pkgdestwork.is_empty() => {
                match recipe_packages(fn_name, Path::new(&v.pkgdestwork)) {
                    Ok(p) => recorder.packages(p),
                    Err(e) => warn(&format!("packages of {} not recorded: {e}", v.pn)),
                }
            }
            "do_image_complete" => {
                if let Some(img) = &v.image {
                    match image(&v.pn, img) {
                        Ok(row) => recorder.image(row),
                        Err(e) => warn(&format!("image {} not recorded: {e}", v.pn)),
                    }
                }
            }
            _ => {}
        }
    }
}

fn warn(msg: &str) {
    bake::ui::report_level("WARNING", msg);
}

/// One pkgdata file as Toaster's `_toaster_load_pkgdatafile` reads it: keys without
/// their `:pkg` part, `PKG:<name>` giving the package's name before renaming.
fn package_row(recipe: &str, file: &Path) -> Result<PackageRow, String> {
    let data = bb_package::read_runtime(file).map_err(|e| e.to_string())?;
    let mut plain: BTreeMap<&str, &str> = BTreeMap::new();
    let mut original = None;
    for (k, v) in &data {
        let mut parts = k.splitn(2, ':');
        let key = parts.next().unwrap_or(k);
        if key == "PKG" {
            original = parts.next();
        }
        plain.insert(key, v.as_str());
    }
    let get = |k: &str| plain.get(k).copied().unwrap_or("").to_owned();
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = original.map_or_else(|| file_name.clone(), str::to_owned);
    let files: BTreeMap<String, i64> = match plain.get("FILES_INFO") {
        Some(j) if !j.trim().is_empty() => serde_json::from_str(j).map_err(|e| {
            format!(
                "{}: FILES_INFO is not a JSON map of sizes: {e}",
                file.display()
            )
        })?,
        _ => BTreeMap::new(),
    };
    let mut deps = Vec::new();
    for (key, kind) in [
        ("RDEPENDS", PackageDependencyType::Rdepends),
        ("RPROVIDES", PackageDependencyType::Rprovides),
        ("RRECOMMENDS", PackageDependencyType::Rrecommends),
        ("RSUGGESTS", PackageDependencyType::Rsuggests),
        ("RREPLACES", PackageDependencyType::Rreplaces),
        ("RCONFLICTS", PackageDependencyType::Rconflicts),
    ] {
        let value = get(key);
        let parsed = bb_package::parse_deps(&format!("{}: {key}", file.display()), &value)
            .map_err(|e| e.to_string())?;
        deps.extend(parsed.into_iter().map(|d| (kind, d.name)));
    }
    let size = get("PKGSIZE");
    Ok(PackageRow {
        recipe: recipe.to_owned(),
        installed_name: Some(get("PKG"))
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| name.clone()),
        name,
        version: get("PKGV"),
        revision: get("PKGR"),
        summary: get("SUMMARY"),
        description: get("DESCRIPTION"),
        section: get("SECTION"),
        license: get("LICENSE"),
        size: if size.is_empty() {
            0
        } else {
            size.trim()
                .parse()
                .map_err(|_| format!("{}: PKGSIZE `{size}` is not a number", file.display()))?
        },
        files: files.into_iter().collect(),
        deps,
    })
}

/// Every package of a recipe's pkgdata (`runtime/*` but the `.packaged` markers).
fn recipe_packages(recipe: &str, pkgdestwork: &Path) -> Result<Vec<PackageRow>, String> {
    let dir = pkgdestwork.join("runtime");
    let mut names: Vec<PathBuf> = fs_err::read_dir(&dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_none_or(|x| x != "packaged") && p.is_file())
        .collect();
    names.sort();
    names.iter().map(|p| package_row(recipe, p)).collect()
}

/// `uid`/`gid` -> name from the image's `/etc/passwd` or `/etc/group` (root when the
/// image has none).
fn names(file: &Path) -> HashMap<u32, String> {
    let mut m: HashMap<u32, String> = HashMap::from([(0, "root".to_owned())]);
    if let Ok(text) = fs_err::read_to_string(file) {
        for line in text.lines() {
            let f: Vec<&str> = line.split(':').collect();
            if let (Some(name), Some(id)) = (f.first(), f.get(2).and_then(|x| x.parse().ok())) {
                m.insert(id, (*name).to_owned());
            }
        }
    }
    m
}

/// `rwxr-xr-x` (with setuid/setgid/sticky as `ls` shows them).
fn permission(mode: u32) -> String {
    let mut s = String::with_capacity(9);
    for (shift, special, letter) in [(6, 0o4000, 's'), (3, 0o2000, 's'), (0, 0o1000, 't')] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(match (bits & 1 != 0, mode & special != 0) {
            (true, true) => letter,
            (false, true) => letter.to_ascii_uppercase(),
            (true, false) => 'x',
            (false, false) => '-',
        });
    }
    s
}

/// The image's root filesystem, every entry under `/` (depth first, sorted).
fn tree(rootfs: &Path, owners_file: &Path) -> Result<Vec<ImageFile>, String> {
    let owners = bb_package::OwnerRecord::load(owners_file).map_err(|e| e.to_string())?;
    let users = names(&rootfs.join("etc/passwd"));
    let groups = names(&rootfs.join("etc/group"));
    let mut out = Vec::new();
    let mut stack = vec![rootfs.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<PathBuf> = fs_err::read_dir(&dir)
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            let meta = fs_err::symlink_metadata(&p).map_err(|e| e.to_string())?;
            let rel = p.strip_prefix(rootfs).unwrap_or(&p);
            let path = format!("/{}", rel.to_string_lossy());
            let owner = owners.get(&path);
            let ft = meta.file_type();
            let (inode, link) = if ft.is_symlink() {
                let to = fs_err::read_link(&p).map_err(|e| e.to_string())?;
                (InodeType::Symlink, Some(to.to_string_lossy().into_owned()))
            } else if ft.is_dir() {
                stack.push(p.clone());
                (InodeType::Directory, None)
            } else {
                (InodeType::Regular, None)
            };
            let inode = match owner.device {
                Some(d) if d.char => InodeType::CharDevice,
                Some(_) => InodeType::BlockDevice,
                None => inode,
            };
            let name = |m: &HashMap<u32, String>, id: u32| {
                m.get(&id).cloned().unwrap_or_else(|| id.to_string())
            };
            out.push(ImageFile {
                size: i64::try_from(meta.size()).unwrap_or(i64::MAX),
                inode: Some(inode),
                permission: permission(owner.device.map_or(meta.permissions().mode(), |d| d.mode)),
                owner: name(&users, owner.uid),
                group: name(&groups, owner.gid),
                link,
                path,
            });
        }
    }
    // Device nodes the record adds (written in archives only, not in the directory).
    for (path, o) in owners.devices() {
        if out.iter().any(|f| f.path == path) {
            continue;
        }
        out.push(ImageFile {
            path: path.to_owned(),
            inode: Some(match o.device {
                Some(d) if !d.char => InodeType::BlockDevice,
                _ => InodeType::CharDevice,
            }),
            permission: permission(o.device.map_or(0, |d| d.mode)),
            owner: users
                .get(&o.uid)
                .cloned()
                .unwrap_or_else(|| o.uid.to_string()),
            group: groups
                .get(&o.gid)
                .cloned()
                .unwrap_or_else(|| o.gid.to_string()),
            ..ImageFile::default()
        });
    }
    Ok(out)
}

/// What image recipe `pn` made.
fn image(pn: &str, v: &ImageVars) -> Result<ImageRow, String> {
    let manifest = fs_err::read_to_string(&v.manifest).map_err(|e| e.to_string())?;
    let reverse = Path::new(&v.pkgdata_dir).join("runtime-reverse");
    let mut installed = Vec::new();
    for line in manifest.lines() {
        let Some(name) = line.split_whitespace().next() else {
            continue;
        };
        // A package of the feed the build has no pkgdata for is left out, as Toaster
        // leaves it out ("missing from all packages list").
        let file = reverse.join(name);
        if !file.exists() {
            continue;
        }
        let package = package_row("", &file)?;
        installed.push(InstalledPackage {
            installed_size: package.size,
            package,
            depends: Vec::new(),
        });
    }
    // The dependencies between installed packages, by installed name (depends.dot's
    // edges: a runtime dependency names a package, its renamed name or what it provides).
    let mut provider: HashMap<String, String> = HashMap::new();
    for i in &installed {
        let p = &i.package;
        provider.insert(p.name.clone(), p.installed_name.clone());
        provider.insert(p.installed_name.clone(), p.installed_name.clone());
        for (kind, n) in &p.deps {
            if *kind == PackageDependencyType::Rprovides {
                provider
                    .entry(n.clone())
                    .or_insert_with(|| p.installed_name.clone());
            }
        }
    }
    for i in &mut installed {
        let mut depends: Vec<(String, bool)> = i
            .package
            .deps
            .iter()
            .filter_map(|(kind, n)| {
                let rec = match kind {
                    PackageDependencyType::Rdepends => false,
                    PackageDependencyType::Rrecommends => true,
                    _ => return None,
                };
                provider.get(n).map(|p| (p.clone(), rec))
            })
            .filter(|(p, _)| *p != i.package.installed_name)
            .collect();
        depends.sort();
        depends.dedup();
        i.depends = depends;
    }
    let rootfs = Path::new(&v.rootfs);
    let files = if rootfs.is_dir() {
        tree(rootfs, Path::new(&v.owners))?
    } else {
        Vec::new()
    };
    let mut image_files = Vec::new();
    if let Ok(rd) = fs_err::read_dir(&v.deploy_dir_image) {
        let mut paths: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !name.starts_with(&v.image_name)
                || !v.fstypes.iter().any(|t| name.ends_with(&format!(".{t}")))
            {
                continue;
            }
            let Ok(meta) = fs_err::symlink_metadata(&p) else {
                continue;
            };
            if meta.is_file() {
                image_files.push((
                    p.to_string_lossy().into_owned(),
                    i64::try_from(meta.len()).unwrap_or(i64::MAX),
                ));
            }
        }
    }
    let package_manifest =
        Path::new(&v.deploy_dir_image).join(format!("{}.manifest", v.image_name));
    Ok(ImageRow {
        target: pn.to_owned(),
        installed,
        files,
        image_files,
        package_manifest: package_manifest
            .is_file()
            .then(|| package_manifest.to_string_lossy().into_owned()),
    })
}

#[cfg(test)]
mod tests {
    use bb_toaster::model::PackageDependencyType as Dep;

    #[test]
    fn a_pkgdata_file_as_toaster_reads_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let file = dir.path().join("libhello");
        fs_err::write(
            &file,
            "PN: libhello\nPKGV: 1.0\nPKGR: r0\nLICENSE: MIT\nSUMMARY: caf\\xe9\n\
             RDEPENDS:libhello: libc6 (>= 2.3) host-libc\nRRECOMMENDS:libhello: libhello-doc\n\
             PKG:libhello: libhello1\n\
             FILES_INFO:libhello: {\"/usr/lib/libhello.so.1\": 15, \"/usr/lib/libhello.so.1.0\": 14232}\n\
             PKGSIZE:libhello: 14247\n",
        )
        .unwrap_or_else(|e| panic!("write: {e}"));
        let p = super::package_row("/l/libhello.bb", &file).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.recipe, "/l/libhello.bb");
        assert_eq!(
            (p.name.as_str(), p.installed_name.as_str()),
            ("libhello", "libhello1")
        );
        assert_eq!((p.version.as_str(), p.revision.as_str()), ("1.0", "r0"));
        assert_eq!(p.summary, "caf\u{e9}");
        assert_eq!(p.size, 14247);
        assert_eq!(
            p.files,
            [
                ("/usr/lib/libhello.so.1".to_owned(), 15),
                ("/usr/lib/libhello.so.1.0".to_owned(), 14232)
            ]
        );
        assert_eq!(
            p.deps,
            [
                (Dep::Rdepends, "libc6".to_owned()),
                (Dep::Rdepends, "host-libc".to_owned()),
                (Dep::Rrecommends, "libhello-doc".to_owned())
            ]
        );
        fs_err::write(&file, "PKGSIZE:x: lots\n").unwrap_or_else(|e| panic!("write: {e}"));
        let e = super::package_row("", &file).err().unwrap_or_default();
        assert!(e.contains("PKGSIZE `lots` is not a number"), "{e}");
    }

    #[test]
    fn permissions_as_ls_shows_them() {
        assert_eq!(super::permission(0o755), "rwxr-xr-x");
        assert_eq!(super::permission(0o644), "rw-r--r--");
        assert_eq!(super::permission(0o4755), "rwsr-xr-x");
        assert_eq!(super::permission(0o1777), "rwxrwxrwt");
        assert_eq!(super::permission(0o2644), "rw-r-Sr--");
    }
}
