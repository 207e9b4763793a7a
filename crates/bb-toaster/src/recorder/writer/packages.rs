//! Packages and images as Toaster's buildinfohelper stores them: a recipe's packages
//! with their files and dependencies (`SinglePackageInfo`), and an image target's
//! installed packages, the dependencies between them, its root filesystem's tree and
//! its image files (`ImagePkgList`, image artifacts).

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::{Writer, exec_cached};
use crate::error::{Result, db};
use crate::model::{InodeType, PackageDependencyType};
use crate::recorder::rows::{ImageFile, ImageRow, PackageRow};

/// Toaster's tasks whose targets get their file tree recorded (`IMAGE_GENERATING_TASKS`):
/// the default task, `build`, `image` and `populate_sdk_ext`.
const IMAGE_GENERATING_TASKS: &[&str] = &["", "build", "image", "populate_sdk_ext"];

impl Writer {
    /// The package `name` of this build, created (size -1: not built, a dependency
    /// only) when missing, as Toaster's `get_or_create`.
    fn package_id(&self, tx: &Connection, name: &str) -> Result<(i64, bool)> {
        let found = tx
            .prepare_cached("SELECT id, size FROM orm_package WHERE build_id = ?1 AND name = ?2 ORDER BY id LIMIT 1")
            .and_then(|mut st| {
                st.query_row(params![self.build, name], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                })
                .optional()
            })
            .map_err(db(format!("find package `{name}`")))?;
        if let Some((id, size)) = found {
            return Ok((id, size == -1));
        }
        exec_cached(
            tx,
            "INSERT INTO orm_package (build_id, name, size) VALUES (?1, ?2, -1)",
            params![self.build, name],
        )
        .map_err(db(format!("insert package `{name}`")))?;
        Ok((tx.last_insert_rowid(), true))
    }

    /// Fills package `id` from `p` and records its files.
    fn fill_package(&mut self, tx: &Connection, id: i64, p: &PackageRow) -> Result<()> {
        let recipe = if p.recipe.is_empty() {
            None
        } else {
            Some(self.recipe_for(tx, &p.recipe, "")?)
        };
        exec_cached(
            tx,
            "UPDATE orm_package SET recipe_id = ?2, installed_name = ?3, version = ?4, revision = ?5, summary = ?6, description = ?7, size = ?8, section = ?9, license = ?10 WHERE id = ?1",
            params![
                id,
                recipe,
                p.installed_name,
                p.version,
                p.revision,
                p.summary,
                p.description,
                p.size,
                p.section,
                p.license
            ],
        )
        .map_err(db(format!("record package `{}`", p.name)))?;
        for (path, size) in &p.files {
            exec_cached(
                tx,
                "INSERT INTO orm_package_file (package_id, path, size) VALUES (?1, ?2, ?3)",
                params![id, path, size],
            )
            .map_err(db(format!("record file `{path}` of package `{}`", p.name)))?;
        }
        Ok(())
    }

    /// `SinglePackageInfo` for each of `packages`.
    pub(in crate::recorder) fn packages(
        &mut self,
        tx: &Connection,
        packages: &[PackageRow],
    ) -> Result<()> {
        for p in packages {
            let (id, _) = self.package_id(tx, &p.name)?;
            // A package recorded again (the same recipe packaged twice in one build)
            // keeps one list of files.
            exec_cached(
                tx,
                "DELETE FROM orm_package_file WHERE package_id = ?1",
                params![id],
            )
            .map_err(db(format!("files of package `{}`", p.name)))?;
            self.fill_package(tx, id, p)?;
            for (kind, name) in &p.deps {
                let (to, _) = self.package_id(tx, name)?;
                exec_cached(
                    tx,
                    "INSERT INTO orm_package_dependency (package_id, depends_on_id, dep_type) VALUES (?1, ?2, ?3)",
                    params![id, to, *kind as i64],
                )
                .map_err(db(format!("dependency of `{}` on `{name}`", p.name)))?;
            }
        }
        Ok(())
    }

    /// `ImagePkgList` and the image artifacts of one image target.
    pub(in crate::recorder) fn image(&mut self, tx: &Connection, img: &ImageRow) -> Result<()> {
        let target = tx
            .query_row(
                "SELECT id, coalesce(task, '') FROM orm_target WHERE build_id = ?1 AND target = ?2 ORDER BY id LIMIT 1",
                params![self.build, img.target],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()
            .map_err(db(format!("find target `{}`", img.target)))?;
        let Some((target, task)) = target else {
            // Not a target of this build (an image built as a dependency): Toaster
            // records images of its targets only.
            return Ok(());
        };
        tx.execute(
            "UPDATE orm_target SET is_image = 1, package_manifest_path = coalesce(?2, package_manifest_path) WHERE id = ?1",
            params![target, img.package_manifest],
        )
        .map_err(db(format!("image target `{}`", img.target)))?;
        // Installed packages, by installed name.
        let mut by_installed: HashMap<&str, i64> = HashMap::new();
        for i in &img.installed {
            let (id, unfilled) = self.package_id(tx, &i.package.name)?;
            if unfilled {
                self.fill_package(tx, id, &i.package)?;
            }
            exec_cached(
                tx,
                "UPDATE orm_package SET installed_size = ?2 WHERE id = ?1",
                params![id, i.installed_size],
            )
            .map_err(db(format!("installed size of `{}`", i.package.name)))?;
            exec_cached(
                tx,
                "INSERT INTO orm_target_installed_package (target_id, package_id) VALUES (?1, ?2)",
                params![target, id],
            )
            .map_err(db(format!("installed package `{}`", i.package.name)))?;
            by_installed.insert(i.package.installed_name.as_str(), id);
        }
        for i in &img.installed {
            let Some(&from) = by_installed.get(i.package.installed_name.as_str()) else {
                continue;
            };
            for (dep, recommends) in &i.depends {
                // Toaster leaves out what is not an installed package.
                let Some(&to) = by_installed.get(dep.as_str()) else {
                    continue;
                };
                let kind = if *recommends {
                    PackageDependencyType::Trecommends
                } else {
                    PackageDependencyType::Trdepends
                };
                exec_cached(
                    tx,
                    "INSERT INTO orm_package_dependency (package_id, depends_on_id, dep_type, target_id) VALUES (?1, ?2, ?3, ?4)",
                    params![from, to, kind as i64, target],
                )
                .map_err(db(format!("image dependency `{}` -> `{dep}`", i.package.name)))?;
            }
        }
        if IMAGE_GENERATING_TASKS.contains(&task.as_str()) {
            self.target_files(tx, target, &img.files)?;
        }
        for (file, size) in &img.image_files {
            exec_cached(
                tx,
                "INSERT INTO orm_target_image_file (target_id, file_name, file_size) VALUES (?1, ?2, ?3)",
                params![target, file, size],
            )
            .map_err(db(format!("image file `{file}`")))?;
        }
        Ok(())
    }

    /// The image's tree as Toaster's `save_target_file_information` stores it: the root
    /// first (size 0, no owner), directories by depth each under its parent, then files,
    /// then links (with the entry they point to, when it is in the image).
    fn target_files(&self, tx: &Connection, target: i64, files: &[ImageFile]) -> Result<()> {
        let parent_of = |path: &str| -> String {
            match path.rfind('/') {
                Some(0) | None => "/".to_owned(),
                Some(i) => path[..i].to_owned(),
            }
        };
        let insert = |f: &ImageFile, inode: InodeType, dir: Option<i64>, sym: Option<i64>| {
            exec_cached(
                tx,
                "INSERT INTO orm_target_file (target_id, path, size, inodetype, permission, owner, \"group\", directory_id, sym_target_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![target, f.path, f.size, inode as i64, f.permission, f.owner, f.group, dir, sym],
            )
            .map_err(db(format!("image file `{}`", f.path)))?;
            Ok::<i64, crate::Error>(tx.last_insert_rowid())
        };
        let mut ids: HashMap<String, i64> = HashMap::new();
        let root = ImageFile {
            path: "/".into(),
            ..ImageFile::default()
        };
        ids.insert("/".into(), insert(&root, InodeType::Directory, None, None)?);
        let mut dirs: Vec<&ImageFile> = files
            .iter()
            .filter(|f| f.inode == Some(InodeType::Directory) && f.path != "/")
            .collect();
        dirs.sort_by_key(|f| (f.path.matches('/').count(), f.path.clone()));
        for d in dirs {
            let parent = ids.get(&parent_of(&d.path)).copied();
            let id = insert(d, InodeType::Directory, parent, None)?;
            ids.insert(d.path.clone(), id);
        }
        for f in files.iter().filter(|f| {
            !matches!(
                f.inode,
                Some(InodeType::Directory) | Some(InodeType::Symlink)
            )
        }) {
            let parent = ids.get(&parent_of(&f.path)).copied();
            let id = insert(f, f.inode.unwrap_or(InodeType::Regular), parent, None)?;
            ids.insert(f.path.clone(), id);
        }
        for l in files.iter().filter(|f| f.inode == Some(InodeType::Symlink)) {
            let parent_path = parent_of(&l.path);
            let to = l.link.as_deref().unwrap_or("");
            // A relative link is resolved against its directory, `..` dropping a part.
            let full = if to.starts_with('/') {
                to.to_owned()
            } else {
                let mut parts: Vec<&str> = parent_path.split('/').collect();
                for p in to.split('/') {
                    if p == ".." {
                        parts.pop();
                    } else {
                        parts.push(p);
                    }
                }
                parts.join("/")
            };
            let sym = ids.get(&full).copied();
            let parent = ids.get(&parent_path).copied();
            insert(l, InodeType::Symlink, parent, sym)?;
        }
        Ok(())
    }
}
