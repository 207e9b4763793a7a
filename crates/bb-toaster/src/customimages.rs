//! Custom images (Toaster's CustomImageRecipe): an image recipe made from an image
//! recipe of the project, with packages added (appends) and removed (excludes) from what
//! its base installs. The recipes live in the project's `toaster-custom-images` layer,
//! which `runbuilds` writes into the build directory ([`layer_files`]); the recipe text
//! is also what the download gives ([`recipe_text`]). Package names are checked
//! (BitBake's package name characters only), so the generated text holds no quote, `$`
//! or newline of a user's.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result, db};
use crate::model::LayerSource;

/// The name of the layer custom images live in (Toaster's).
pub const CUSTOM_LAYER: &str = "toaster-custom-images";
/// The `local_source_dir` that marks that layer: it is generated, not on disk.
pub const CUSTOM_LAYER_DIR: &str = "toaster_created_layer";

fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

fn now() -> String {
    crate::model::timestamp(std::time::SystemTime::now())
}

/// Checks a recipe or package name (BitBake's PN characters, lower case).
pub fn check_name(what: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '+' | '.'));
    if !ok {
        return Err(invalid(format!(
            "`{name}` is not a {what} name: lower-case letters, digits, -, + and . only"
        )));
    }
    Ok(())
}

/// Creates the custom image `name` of project `pid` from the image recipe `base`.
/// Refused: a bad name, a name a recipe of the project's layers has, a name of another
/// custom image of the project, a base that is not an image recipe of the project.
/// Returns the new recipe's id.
pub fn new_custom_image(conn: &Connection, pid: i64, base: i64, name: &str) -> Result<i64> {
    check_name("recipe", name)?;
    let base_row: Option<(String, String, String, String)> = conn
        .query_row(
            "SELECT r.version, r.summary, r.description, r.license FROM orm_recipe r JOIN orm_projectlayer pl ON pl.layercommit_id = r.layer_version_id \
             WHERE r.id = ?1 AND pl.project_id = ?2 AND r.is_image",
            params![base, pid],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(db("find the base image recipe"))?;
    let Some((version, summary, description, license)) = base_row else {
        return Err(invalid(format!(
            "recipe {base} is not an image recipe of the project's layers"
        )));
    };
    let custom: i64 = conn
        .query_row(
            "SELECT count(*) FROM orm_customimagerecipe c JOIN orm_recipe r ON r.id = c.recipe_ptr_id WHERE c.project_id = ?1 AND r.name = ?2",
            params![pid, name],
            |r| r.get(0),
        )
        .map_err(db("custom image names"))?;
    if custom > 0 {
        return Err(invalid(format!(
            "a custom image called {name} exists in this project"
        )));
    }
    let recipe: i64 = conn
        .query_row(
            "SELECT count(*) FROM orm_recipe r JOIN orm_layer_version lv ON lv.id = r.layer_version_id, orm_project p \
             WHERE p.id = ?1 AND r.name = ?2 AND lv.build_id IS NULL AND ((lv.project_id IS NULL AND lv.release_id IS p.release_id) OR lv.project_id = ?1)",
            params![pid, name],
            |r| r.get(0),
        )
        .map_err(db("recipe names"))?;
    if recipe > 0 {
        return Err(invalid(format!(
            "a recipe called {name} exists in the project's layers"
        )));
    }
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)
        .map_err(db("begin new custom image"))?;
    let layer: i64 = match tx
        .query_row(
            "SELECT id FROM orm_layer WHERE name = ?1 AND local_source_dir = ?2 ORDER BY id LIMIT 1",
            params![CUSTOM_LAYER, CUSTOM_LAYER_DIR],
            |r| r.get(0),
        )
        .optional()
        .map_err(db("the custom images layer"))?
    {
        Some(l) => l,
        None => {
            tx.execute(
                "INSERT INTO orm_layer (name, local_source_dir, summary, up_date) VALUES (?1, ?2, 'Custom images made in Toaster', ?3)",
                params![CUSTOM_LAYER, CUSTOM_LAYER_DIR, now()],
            )
            .map_err(db("the custom images layer"))?;
            tx.last_insert_rowid()
        }
    };
    let lv: i64 = match tx
        .query_row(
            "SELECT id FROM orm_layer_version WHERE layer_id = ?1 AND project_id = ?2 AND build_id IS NULL",
            params![layer, pid],
            |r| r.get(0),
        )
        .optional()
        .map_err(db("the custom images layer"))?
    {
        Some(v) => v,
        None => {
            tx.execute(
                "INSERT INTO orm_layer_version (layer_id, project_id, release_id, layer_source, local_path, up_date) \
                 SELECT ?1, ?2, release_id, ?3, ?4, ?5 FROM orm_project WHERE id = ?2",
                params![layer, pid, LayerSource::Imported as i64, CUSTOM_LAYER_DIR, now()],
            )
            .map_err(db("the custom images layer"))?;
            tx.last_insert_rowid()
        }
    };
    tx.execute(
        "INSERT OR IGNORE INTO orm_projectlayer (project_id, layercommit_id, optional) VALUES (?1, ?2, 0)",
        params![pid, lv],
    )
    .map_err(db("the custom images layer"))?;
    tx.execute(
        "INSERT INTO orm_recipe (name, version, layer_version_id, summary, description, license, file_path, is_image, up_date) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8)",
        params![
            name,
            version,
            lv,
            summary,
            description,
            license,
            format!("recipes-toaster/{name}/{name}_{}.bb", file_version(&version)),
            now()
        ],
    )
    .map_err(db("create the custom image recipe"))?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO orm_customimagerecipe (recipe_ptr_id, base_recipe_id, project_id, last_updated) VALUES (?1, ?2, ?3, ?4)",
        params![id, base, pid, now()],
    )
    .map_err(db("create the custom image"))?;
    tx.commit().map_err(db("commit new custom image"))?;
    Ok(id)
}

/// A version usable in a file name (`1.0` if the base had none fit for it).
fn file_version(v: &str) -> String {
    if !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
    {
        v.to_owned()
    } else {
        "1.0".to_owned()
    }
}

/// A custom image and its packages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomImage {
    /// The recipe.
    pub id: i64,
    /// Its project.
    pub project: i64,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The base image recipe: name and file (relative to its layer).
    pub base_name: String,
    /// The base's file, relative to its layer.
    pub base_file: String,
    /// SUMMARY, DESCRIPTION, LICENSE.
    pub summary: String,
    /// DESCRIPTION.
    pub description: String,
    /// LICENSE.
    pub license: String,
    /// What the base installed in the project's last successful build of it.
    pub base_packages: Vec<String>,
    /// Packages added.
    pub appends: Vec<String>,
    /// Packages removed.
    pub excludes: Vec<String>,
}

impl CustomImage {
    /// The packages the image installs: base ∪ appends − excludes, sorted.
    pub fn packages(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .base_packages
            .iter()
            .chain(&self.appends)
            .filter(|p| !self.excludes.contains(p))
            .cloned()
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

fn names(conn: &Connection, sql: &str, id: i64) -> Result<Vec<String>> {
    let mut st = conn.prepare(sql).map_err(db("custom image packages"))?;
    st.query_map([id], |r| r.get(0))
        .map_err(db("custom image packages"))?
        .collect::<std::result::Result<Vec<String>, _>>()
        .map_err(db("custom image packages"))
}

/// The custom image `id` (None: no such custom image).
pub fn custom_image(conn: &Connection, id: i64) -> Result<Option<CustomImage>> {
    let row = conn
        .query_row(
            "SELECT r.id, c.project_id, r.name, r.version, b.name, b.file_path, r.summary, r.description, r.license \
             FROM orm_customimagerecipe c JOIN orm_recipe r ON r.id = c.recipe_ptr_id JOIN orm_recipe b ON b.id = c.base_recipe_id WHERE r.id = ?1",
            [id],
            |r| {
                Ok(CustomImage {
                    id: r.get(0)?,
                    project: r.get(1)?,
                    name: r.get(2)?,
                    version: r.get(3)?,
                    base_name: r.get(4)?,
                    base_file: r.get(5)?,
                    summary: r.get(6)?,
                    description: r.get(7)?,
                    license: r.get(8)?,
                    ..CustomImage::default()
                })
            },
        )
        .optional()
        .map_err(db("custom image"))?;
    let Some(mut c) = row else { return Ok(None) };
    c.base_packages = {
        let mut st = conn
            .prepare(
                "SELECT DISTINCT p.name FROM orm_target_installed_package tip JOIN orm_package p ON p.id = tip.package_id \
                 WHERE tip.target_id = (SELECT t.id FROM orm_target t JOIN orm_build b ON b.id = t.build_id \
                   WHERE b.project_id = ?1 AND b.outcome = 0 AND t.target = ?2 ORDER BY b.completed_on DESC, b.id DESC LIMIT 1) ORDER BY p.name",
            )
            .map_err(db("base image packages"))?;
        st.query_map(params![c.project, c.base_name], |r| r.get(0))
            .map_err(db("base image packages"))?
            .collect::<std::result::Result<Vec<String>, _>>()
            .map_err(db("base image packages"))?
    };
    c.appends = names(
        conn,
        "SELECT p.name FROM orm_customimagepackage_recipe_appends a JOIN orm_package p ON p.id = a.customimagepackage_id WHERE a.customimagerecipe_id = ?1 ORDER BY p.name",
        id,
    )?;
    c.excludes = names(
        conn,
        "SELECT p.name FROM orm_customimagepackage_recipe_excludes a JOIN orm_package p ON p.id = a.customimagepackage_id WHERE a.customimagerecipe_id = ?1 ORDER BY p.name",
        id,
    )?;
    Ok(Some(c))
}

/// The build-independent package row of `name` (Toaster's CustomImagePackage).
fn package(tx: &Connection, name: &str) -> Result<i64> {
    if let Some(id) = tx
        .query_row(
            "SELECT c.package_ptr_id FROM orm_customimagepackage c JOIN orm_package p ON p.id = c.package_ptr_id WHERE p.name = ?1 ORDER BY c.package_ptr_id LIMIT 1",
            [name],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        .map_err(db("custom image package"))?
    {
        return Ok(id);
    }
    tx.execute("INSERT INTO orm_package (name) VALUES (?1)", [name])
        .map_err(db("custom image package"))?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO orm_customimagepackage (package_ptr_id) VALUES (?1)",
        [id],
    )
    .map_err(db("custom image package"))?;
    Ok(id)
}

/// Adds (`add`) or removes a package of custom image `id` of project `pid`: adding
/// undoes a removal or appends it; removing undoes an append or excludes it.
pub fn change_package(conn: &Connection, pid: i64, id: i64, name: &str, add: bool) -> Result<()> {
    check_name("package", name)?;
    let Some(c) = custom_image(conn, id)?.filter(|c| c.project == pid) else {
        return Err(invalid(format!(
            "custom image {id} of project {pid} does not exist"
        )));
    };
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)
        .map_err(db("begin package change"))?;
    let p = package(&tx, name)?;
    let (undo, to) = if add {
        ("excludes", "appends")
    } else {
        ("appends", "excludes")
    };
    let undone = tx
        .execute(
            &format!("DELETE FROM orm_customimagepackage_recipe_{undo} WHERE customimagepackage_id = ?1 AND customimagerecipe_id = ?2"),
            params![p, id],
        )
        .map_err(db("package change"))?;
    let needed = if add {
        !c.base_packages.iter().any(|b| b == name)
    } else {
        c.base_packages.iter().any(|b| b == name)
    };
    if undone == 0 && needed {
        tx.execute(
            &format!("INSERT OR IGNORE INTO orm_customimagepackage_recipe_{to} (customimagepackage_id, customimagerecipe_id) VALUES (?1, ?2)"),
            params![p, id],
        )
        .map_err(db("package change"))?;
    }
    tx.execute(
        "UPDATE orm_customimagerecipe SET last_updated = ?2 WHERE recipe_ptr_id = ?1",
        params![id, now()],
    )
    .map_err(db("package change"))?;
    tx.commit().map_err(db("commit package change"))?;
    Ok(())
}

/// Deletes custom image `id` of project `pid` (its recipe row; its package lists go
/// with it). Returns its name.
pub fn delete_custom_image(conn: &Connection, pid: i64, id: i64) -> Result<String> {
    let Some(c) = custom_image(conn, id)?.filter(|c| c.project == pid) else {
        return Err(invalid(format!(
            "custom image {id} of project {pid} does not exist"
        )));
    };
    conn.execute(
        "DELETE FROM orm_recipe WHERE id = ?1 AND id IN (SELECT recipe_ptr_id FROM orm_customimagerecipe WHERE project_id = ?2)",
        params![id, pid],
    )
    .map_err(db("delete the custom image"))?;
    Ok(c.name)
}

/// Text fit for a double-quoted value of a generated recipe.
fn quoted(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '$'))
        .collect()
}

/// The generated recipe: its file name (`NAME_VERSION.bb`) and text. The base recipe is
/// required by its layer-relative path (found through BBPATH, as its layer is in the
/// project); packages added are appended to IMAGE_INSTALL, or, when packages are
/// removed, IMAGE_INSTALL is the whole list (locale packages left out) and
/// IMAGE_FEATURES is emptied, as Toaster writes it.
pub fn recipe_text(c: &CustomImage) -> (String, String) {
    let mut t = format!(
        "# Image recipe {} made with bake's Toaster from {} (generated)\n",
        c.name, c.base_name
    );
    t.push_str(&format!("require {}\n\n", c.base_file));
    t.push_str(&format!("SUMMARY = \"{}\"\n", quoted(&c.summary)));
    t.push_str(&format!("DESCRIPTION = \"{}\"\n", quoted(&c.description)));
    t.push_str(&format!(
        "LICENSE = \"{}\"\n",
        if c.license.is_empty() {
            "MIT".to_owned()
        } else {
            quoted(&c.license)
        }
    ));
    if c.excludes.is_empty() {
        t.push_str(&format!(
            "IMAGE_INSTALL:append = \" {}\"\n",
            c.appends.join(" ")
        ));
    } else {
        t.push_str("IMAGE_FEATURES = \"\"\n");
        let pkgs: Vec<String> = c
            .packages()
            .into_iter()
            .filter(|p| !p.contains("locale"))
            .collect();
        t.push_str(&format!("IMAGE_INSTALL = \"{}\"\n", pkgs.join(" ")));
    }
    (format!("{}_{}.bb", c.name, file_version(&c.version)), t)
}

/// The files of project `pid`'s custom images layer (paths relative to the layer):
/// `conf/layer.conf` and every custom image's recipe. Empty when it has none.
///
/// `series`: the release names of the core layer (its LAYERSERIES_CORENAMES), which the
/// layer declares itself compatible with (BitBake reads the core layer's names before
/// this layer's `layer.conf`, so they cannot be referred to by name there).
pub fn layer_files(conn: &Connection, pid: i64, series: &str) -> Result<Vec<(String, String)>> {
    let ids: Vec<i64> = {
        let mut st = conn
            .prepare("SELECT recipe_ptr_id FROM orm_customimagerecipe WHERE project_id = ?1 ORDER BY recipe_ptr_id")
            .map_err(db("custom images"))?;
        st.query_map([pid], |r| r.get(0))
            .map_err(db("custom images"))?
            .collect::<std::result::Result<_, _>>()
            .map_err(db("custom images"))?
    };
    let mut out = vec![(
        "conf/layer.conf".to_owned(),
        "# Custom images made with bake's Toaster (generated).\nBBPATH .= \":${LAYERDIR}\"\nBBFILES += \"${LAYERDIR}/recipes-toaster/*/*.bb\"\nBBFILE_COLLECTIONS += \"toastercustomimages\"\nBBFILE_PATTERN_toastercustomimages = \"^${LAYERDIR}/\"\nBBFILE_PRIORITY_toastercustomimages = \"10\"\n".to_owned(),
    )];
    let series: Vec<&str> = series
        .split_whitespace()
        .filter(|w| {
            w.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
        .collect();
    if !series.is_empty() {
        out[0].1.push_str(&format!(
            "LAYERSERIES_COMPAT_toastercustomimages = \"{}\"\n",
            series.join(" ")
        ));
    }
    for id in ids {
        if let Some(c) = custom_image(conn, id)? {
            let (file, text) = recipe_text(&c);
            out.push((format!("recipes-toaster/{}/{file}", c.name), text));
        }
    }
    Ok(out)
}
