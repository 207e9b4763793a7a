//! The layer-index import of `lsupdates`: layerindex-web's REST objects (branches,
//! layerItems, layerBranches, layerDependencies, recipes, machines, distros) into
//! Toaster's catalog (`orm_layer`, `orm_layer_version` with `layer_source` 1,
//! `orm_layerversiondependency`, `orm_recipe`, `orm_machine`, `orm_distro`), for the
//! branches whose name is the `branch_name` of a release the database knows.
//!
//! Incremental, unlike Toaster's: each row is keyed as Toaster keys it (a layer by name, a
//! layer version by layer and release, a machine or distro by name in its layer version,
//! a recipe by its file in its layer version) and written only when a field differs;
//! catalog rows from the index that are gone from it are deleted, unless a project uses
//! them (a project's layer, a custom image's base recipe). One transaction: an error
//! leaves the database as it was. Fetching is the caller's (the `lsupdates` binary).

use std::collections::{BTreeSet, HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result, db};
use crate::model::LayerSource;

/// A catalog layer version: id, layer source, commit, dirpath, up_date.
type LvRow = (i64, i64, String, Option<String>, Option<String>);

/// The collections read, in the order they are imported.
pub const COLLECTIONS: &[&str] = &[
    "branches",
    "layerItems",
    "layerBranches",
    "layerDependencies",
    "recipes",
    "machines",
    "distros",
];

fn de_string<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    Ok(Option::<Value>::deserialize(d)?
        .map(|v| match v {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => other.to_string(),
        })
        .unwrap_or_default())
}

/// A branch (`branches`).
#[derive(Debug, Clone, Deserialize)]
pub struct Branch {
    /// Its id.
    pub id: i64,
    /// Its name (matched against releases' `branch_name`).
    #[serde(deserialize_with = "de_string")]
    pub name: String,
}

/// A layer (`layerItems`).
#[derive(Debug, Clone, Deserialize)]
pub struct LayerItem {
    /// Its id.
    pub id: i64,
    /// Its name.
    #[serde(deserialize_with = "de_string")]
    pub name: String,
    /// When it last changed.
    #[serde(default, deserialize_with = "de_string")]
    pub updated: String,
    /// One-line summary.
    #[serde(default, deserialize_with = "de_string")]
    pub summary: String,
    /// Description.
    #[serde(default, deserialize_with = "de_string")]
    pub description: String,
    /// Its git repository.
    #[serde(default, deserialize_with = "de_string")]
    pub vcs_url: String,
    /// Web view of the repository.
    #[serde(default, deserialize_with = "de_string")]
    pub vcs_web_url: String,
    /// Tree URL template (`%branch%`, `%path%`).
    #[serde(default, deserialize_with = "de_string")]
    pub vcs_web_tree_base_url: String,
    /// File URL template.
    #[serde(default, deserialize_with = "de_string")]
    pub vcs_web_file_base_url: String,
}

/// A layer on a branch (`layerBranches`).
#[derive(Debug, Clone, Deserialize)]
pub struct LayerBranch {
    /// Its id.
    pub id: i64,
    /// The layer item.
    pub layer: i64,
    /// The branch.
    pub branch: i64,
    /// When it last changed.
    #[serde(default, deserialize_with = "de_string")]
    pub updated: String,
    /// The git branch really used (empty: the branch's name).
    #[serde(default, deserialize_with = "de_string")]
    pub actual_branch: String,
    /// The layer's directory in the repository.
    #[serde(default, deserialize_with = "de_string")]
    pub vcs_subdir: String,
}

/// A dependency of a layer branch on a layer (`layerDependencies`).
#[derive(Debug, Clone, Deserialize)]
pub struct LayerDependency {
    /// The layer branch that depends.
    pub layerbranch: i64,
    /// The layer item depended on.
    pub dependency: i64,
}

/// A machine or a distro (`machines`, `distros`).
#[derive(Debug, Clone, Deserialize)]
pub struct Named {
    /// The layer branch defining it.
    pub layerbranch: i64,
    /// Its name.
    #[serde(deserialize_with = "de_string")]
    pub name: String,
    /// Its description.
    #[serde(default, deserialize_with = "de_string")]
    pub description: String,
    /// When it last changed.
    #[serde(default, deserialize_with = "de_string")]
    pub updated: String,
}

/// A recipe (`recipes`).
#[derive(Debug, Clone, Deserialize)]
pub struct IndexRecipe {
    /// The layer branch holding it.
    pub layerbranch: i64,
    /// PN.
    #[serde(deserialize_with = "de_string")]
    pub pn: String,
    /// PV.
    #[serde(default, deserialize_with = "de_string")]
    pub pv: String,
    /// SUMMARY.
    #[serde(default, deserialize_with = "de_string")]
    pub summary: String,
    /// DESCRIPTION.
    #[serde(default, deserialize_with = "de_string")]
    pub description: String,
    /// SECTION.
    #[serde(default, deserialize_with = "de_string")]
    pub section: String,
    /// LICENSE.
    #[serde(default, deserialize_with = "de_string")]
    pub license: String,
    /// HOMEPAGE.
    #[serde(default, deserialize_with = "de_string")]
    pub homepage: String,
    /// BUGTRACKER.
    #[serde(default, deserialize_with = "de_string")]
    pub bugtracker: String,
    /// Directory of the file in the layer.
    #[serde(default, deserialize_with = "de_string")]
    pub filepath: String,
    /// File name.
    #[serde(default, deserialize_with = "de_string")]
    pub filename: String,
    /// Classes inherited (space-separated).
    #[serde(default, deserialize_with = "de_string")]
    pub inherits: String,
    /// When it last changed.
    #[serde(default, deserialize_with = "de_string")]
    pub updated: String,
}

/// A whole index, as read from the API or a JSON dump.
#[derive(Debug, Clone, Default)]
pub struct Index {
    /// `branches`.
    pub branches: Vec<Branch>,
    /// `layerItems`.
    pub layer_items: Vec<LayerItem>,
    /// `layerBranches`.
    pub layer_branches: Vec<LayerBranch>,
    /// `layerDependencies`.
    pub layer_dependencies: Vec<LayerDependency>,
    /// `recipes`.
    pub recipes: Vec<IndexRecipe>,
    /// `machines`.
    pub machines: Vec<Named>,
    /// `distros`.
    pub distros: Vec<Named>,
}

impl Index {
    /// Reads an index from one JSON object holding the collections by name (a dump, or
    /// the collections fetched from the API gathered into one object). `source` names
    /// where it came from in errors. A missing collection is empty.
    pub fn from_json(source: &str, v: &Value) -> Result<Index> {
        let Value::Object(m) = v else {
            return Err(Error::Invalid(format!(
                "{source}: a layer index is a JSON object of collections ({})",
                COLLECTIONS.join(", ")
            )));
        };
        fn get<T: serde::de::DeserializeOwned>(
            source: &str,
            m: &serde_json::Map<String, Value>,
            name: &str,
        ) -> Result<Vec<T>> {
            let Some(v) = m.get(name) else {
                return Ok(Vec::new());
            };
            let Value::Array(items) = v else {
                return Err(Error::Invalid(format!("{source}: `{name}` is not a list")));
            };
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    T::deserialize(item)
                        .map_err(|e| Error::Invalid(format!("{source}: `{name}` item {i}: {e}")))
                })
                .collect()
        }
        Ok(Index {
            branches: get(source, m, "branches")?,
            layer_items: get(source, m, "layerItems")?,
            layer_branches: get(source, m, "layerBranches")?,
            layer_dependencies: get(source, m, "layerDependencies")?,
            recipes: get(source, m, "recipes")?,
            machines: get(source, m, "machines")?,
            distros: get(source, m, "distros")?,
        })
    }
}

/// What an import did to one kind of row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Rows inserted.
    pub created: usize,
    /// Rows whose fields changed.
    pub updated: usize,
    /// Rows already as the index says (not written).
    pub unchanged: usize,
    /// Rows gone from the index, deleted.
    pub deleted: usize,
    /// Rows gone from the index but kept because a project uses them.
    pub kept: usize,
}

/// What [`import`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The releases imported (`name` of each).
    pub releases: Vec<String>,
    /// Branches of the index no release of the database has, skipped.
    pub skipped_branches: Vec<String>,
    /// Layers.
    pub layers: Counts,
    /// Layer versions.
    pub layer_versions: Counts,
    /// Layer versions whose dependency list changed (rewritten), or not.
    pub dependencies: Counts,
    /// Recipes.
    pub recipes: Counts,
    /// Machines.
    pub machines: Counts,
    /// Distros.
    pub distros: Counts,
    /// Rows the database changed (SQLite's count of inserted, updated, deleted rows).
    pub rows_written: u64,
}

/// Progress: (what, done, total).
pub type Progress<'a> = &'a mut dyn FnMut(&str, usize, usize);

/// Imports `index` into the catalog (one transaction). Fails when the database knows no
/// release, or none of the index's branches is a release of the database.
pub fn import(conn: &mut Connection, index: &Index, progress: Progress<'_>) -> Result<Report> {
    let before = conn.total_changes();
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db("begin the layer index import"))?;
    let mut report = Report::default();
    let releases: HashMap<String, (i64, String)> = {
        let mut st = tx
            .prepare("SELECT id, name, branch_name FROM orm_release")
            .map_err(db("releases"))?;
        st.query_map([], |r| {
            Ok((r.get::<_, String>(2)?, (r.get(0)?, r.get::<_, String>(1)?)))
        })
        .map_err(db("releases"))?
        .collect::<std::result::Result<_, _>>()
        .map_err(db("releases"))?
    };
    if releases.is_empty() {
        return Err(Error::Invalid(
            "the database knows no release: run `toaster-manage checksettings` first".into(),
        ));
    }
    // branch id -> (release id, branch name)
    let mut branch_release: HashMap<i64, (i64, String)> = HashMap::new();
    for b in &index.branches {
        match releases.get(&b.name) {
            Some((rid, rname)) => {
                branch_release.insert(b.id, (*rid, b.name.clone()));
                report.releases.push(rname.clone());
            }
            None => report.skipped_branches.push(b.name.clone()),
        }
    }
    if branch_release.is_empty() {
        return Err(Error::Invalid(format!(
            "none of the index's branches ({}) is the branch of a release of the database ({})",
            index
                .branches
                .iter()
                .map(|b| b.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            releases.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    let in_scope: BTreeSet<i64> = branch_release.values().map(|(r, _)| *r).collect();

    // Layers used by a kept layer branch.
    let kept_branches: Vec<&LayerBranch> = index
        .layer_branches
        .iter()
        .filter(|lb| branch_release.contains_key(&lb.branch))
        .collect();
    let wanted_items: HashSet<i64> = kept_branches.iter().map(|lb| lb.layer).collect();
    let mut layer_ids: HashMap<i64, i64> = HashMap::new();
    let items: Vec<&LayerItem> = index
        .layer_items
        .iter()
        .filter(|i| wanted_items.contains(&i.id))
        .collect();
    for (n, item) in items.iter().enumerate() {
        progress("layers", n, items.len());
        let rows: Vec<(i64, [Option<String>; 7])> = {
            let mut st = tx
                .prepare_cached("SELECT id, up_date, summary, description, vcs_url, vcs_web_url, vcs_web_tree_base_url, vcs_web_file_base_url FROM orm_layer WHERE name = ?1")
                .map_err(db("find a layer"))?;
            st.query_map([&item.name], |r| {
                Ok((
                    r.get(0)?,
                    [
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ],
                ))
            })
            .map_err(db("find a layer"))?
            .collect::<std::result::Result<_, _>>()
            .map_err(db("find a layer"))?
        };
        let want = [
            Some(item.updated.clone()).filter(|s| !s.is_empty()),
            Some(item.summary.clone()),
            Some(item.description.clone()),
            Some(item.vcs_url.clone()),
            Some(item.vcs_web_url.clone()),
            Some(item.vcs_web_tree_base_url.clone()),
            Some(item.vcs_web_file_base_url.clone()),
        ];
        let id = match rows.as_slice() {
            [] => {
                tx.execute(
                    "INSERT INTO orm_layer (name, up_date, summary, description, vcs_url, vcs_web_url, vcs_web_tree_base_url, vcs_web_file_base_url) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![item.name, want[0], want[1], want[2], want[3], want[4], want[5], want[6]],
                )
                .map_err(db(format!("insert layer `{}`", item.name)))?;
                report.layers.created += 1;
                tx.last_insert_rowid()
            }
            [(id, have)] => {
                if *have == want {
                    report.layers.unchanged += 1;
                } else {
                    tx.execute(
                        "UPDATE orm_layer SET up_date = ?2, summary = ?3, description = ?4, vcs_url = ?5, vcs_web_url = ?6, vcs_web_tree_base_url = ?7, vcs_web_file_base_url = ?8 WHERE id = ?1",
                        params![id, want[0], want[1], want[2], want[3], want[4], want[5], want[6]],
                    )
                    .map_err(db(format!("update layer `{}`", item.name)))?;
                    report.layers.updated += 1;
                }
                *id
            }
            // Toaster skips a name several layers share.
            _ => continue,
        };
        layer_ids.insert(item.id, id);
    }

    // Layer versions: (layer, release), catalog rows.
    let mut lv_ids: HashMap<i64, i64> = HashMap::new(); // layer branch id -> layer version
    let mut lv_of_layer_release: HashMap<(i64, i64), i64> = HashMap::new();
    for (n, lb) in kept_branches.iter().enumerate() {
        progress("layer versions", n, kept_branches.len());
        let Some(&layer) = layer_ids.get(&lb.layer) else {
            continue;
        };
        let Some((release, bname)) = branch_release.get(&lb.branch) else {
            continue;
        };
        let commit = if lb.actual_branch.is_empty() {
            bname.clone()
        } else {
            lb.actual_branch.clone()
        };
        let up = Some(lb.updated.clone()).filter(|s| !s.is_empty());
        let have: Option<LvRow> = tx
            .query_row(
                "SELECT id, layer_source, \"commit\", dirpath, up_date FROM orm_layer_version WHERE layer_id = ?1 AND release_id = ?2 AND build_id IS NULL AND project_id IS NULL ORDER BY id LIMIT 1",
                params![layer, release],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(db("find a layer version"))?;
        let id = match have {
            None => {
                tx.execute(
                    "INSERT INTO orm_layer_version (layer_id, release_id, layer_source, branch, \"commit\", dirpath, up_date, local_path) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '/')",
                    params![layer, release, LayerSource::LayerIndex as i64, bname, commit, lb.vcs_subdir, up],
                )
                .map_err(db("insert a layer version"))?;
                report.layer_versions.created += 1;
                tx.last_insert_rowid()
            }
            Some((id, source, c, d, u)) => {
                if source == LayerSource::LayerIndex as i64
                    && c == commit
                    && d.as_deref() == Some(lb.vcs_subdir.as_str())
                    && u == up
                {
                    report.layer_versions.unchanged += 1;
                } else {
                    tx.execute(
                        "UPDATE orm_layer_version SET layer_source = ?2, \"commit\" = ?3, dirpath = ?4, up_date = ?5 WHERE id = ?1",
                        params![id, LayerSource::LayerIndex as i64, commit, lb.vcs_subdir, up],
                    )
                    .map_err(db("update a layer version"))?;
                    report.layer_versions.updated += 1;
                }
                id
            }
        };
        lv_ids.insert(lb.id, id);
        lv_of_layer_release.insert((lb.layer, *release), id);
    }

    // Dependencies: the set of each layer version, rewritten when it differs.
    let mut deps: HashMap<i64, BTreeSet<i64>> =
        lv_ids.values().map(|&v| (v, BTreeSet::new())).collect();
    let release_of_lb: HashMap<i64, i64> = kept_branches
        .iter()
        .filter_map(|lb| Some((lb.id, branch_release.get(&lb.branch)?.0)))
        .collect();
    for d in &index.layer_dependencies {
        let (Some(&lv), Some(&rel)) = (
            lv_ids.get(&d.layerbranch),
            release_of_lb.get(&d.layerbranch),
        ) else {
            continue;
        };
        if let Some(&dep) = lv_of_layer_release.get(&(d.dependency, rel)) {
            deps.entry(lv).or_default().insert(dep);
        }
    }
    for (lv, want) in &deps {
        let have: BTreeSet<i64> = {
            let mut st = tx
                .prepare_cached("SELECT depends_on_id FROM orm_layerversiondependency WHERE layer_version_id = ?1")
                .map_err(db("layer dependencies"))?;
            st.query_map([lv], |r| r.get(0))
                .map_err(db("layer dependencies"))?
                .collect::<std::result::Result<_, _>>()
                .map_err(db("layer dependencies"))?
        };
        if &have == want {
            report.dependencies.unchanged += 1;
            continue;
        }
        tx.execute(
            "DELETE FROM orm_layerversiondependency WHERE layer_version_id = ?1",
            [lv],
        )
        .map_err(db("layer dependencies"))?;
        for dep in want {
            tx.execute(
                "INSERT INTO orm_layerversiondependency (layer_version_id, depends_on_id) VALUES (?1, ?2)",
                params![lv, dep],
            )
            .map_err(db("layer dependencies"))?;
        }
        report.dependencies.updated += 1;
    }

    // Machines and distros.
    for (table, list, counts) in [
        ("orm_machine", &index.machines, &mut report.machines),
        ("orm_distro", &index.distros, &mut report.distros),
    ] {
        let mut seen: HashSet<i64> = HashSet::new();
        for (n, m) in list.iter().enumerate() {
            progress(&table[4..], n, list.len());
            let Some(&lv) = lv_ids.get(&m.layerbranch) else {
                continue;
            };
            let up = Some(m.updated.clone()).filter(|s| !s.is_empty());
            let have: Option<(i64, String, Option<String>)> = tx
                .query_row(
                    &format!("SELECT id, description, up_date FROM {table} WHERE layer_version_id = ?1 AND name = ?2 ORDER BY id LIMIT 1"),
                    params![lv, m.name],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(db(format!("find {table} `{}`", m.name)))?;
            match have {
                None => {
                    tx.execute(
                        &format!("INSERT INTO {table} (layer_version_id, name, description, up_date) VALUES (?1, ?2, ?3, ?4)"),
                        params![lv, m.name, m.description, up],
                    )
                    .map_err(db(format!("insert {table} `{}`", m.name)))?;
                    seen.insert(tx.last_insert_rowid());
                    counts.created += 1;
                }
                Some((id, d, u)) => {
                    if d == m.description && u == up {
                        counts.unchanged += 1;
                    } else {
                        tx.execute(
                            &format!(
                                "UPDATE {table} SET description = ?2, up_date = ?3 WHERE id = ?1"
                            ),
                            params![id, m.description, up],
                        )
                        .map_err(db(format!("update {table} `{}`", m.name)))?;
                        counts.updated += 1;
                    }
                    seen.insert(id);
                }
            }
        }
        counts.deleted += delete_unseen(&tx, table, &lv_ids, &seen, "")?;
    }

    // Recipes.
    let mut seen: HashSet<i64> = HashSet::new();
    for (n, r) in index.recipes.iter().enumerate() {
        if n % 64 == 0 {
            progress("recipes", n, index.recipes.len());
        }
        let Some(&lv) = lv_ids.get(&r.layerbranch) else {
            continue;
        };
        let file = if r.filepath.is_empty() {
            r.filename.clone()
        } else {
            format!("{}/{}", r.filepath.trim_end_matches('/'), r.filename)
        };
        let is_image = r
            .inherits
            .split_whitespace()
            .any(|c| c == "image" || c.ends_with("/image"))
            || r.inherits.split_whitespace().any(|c| c == "core-image");
        let up = Some(r.updated.clone()).filter(|s| !s.is_empty());
        let want = (
            r.pn.clone(),
            r.pv.clone(),
            r.summary.clone(),
            r.description.clone(),
            r.section.clone(),
            r.license.clone(),
            Some(r.homepage.clone()),
            Some(r.bugtracker.clone()),
            is_image,
            up.clone(),
        );
        type RecipeFields = (
            String,
            String,
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            bool,
            Option<String>,
        );
        let have: Option<(i64, RecipeFields)> = tx
            .query_row(
                "SELECT id, name, version, summary, description, section, license, homepage, bugtracker, is_image, up_date FROM orm_recipe WHERE layer_version_id = ?1 AND file_path = ?2 AND pathflags = ''",
                params![lv, file],
                |x| {
                    Ok((
                        x.get(0)?,
                        (
                            x.get(1)?, x.get(2)?, x.get(3)?, x.get(4)?, x.get(5)?, x.get(6)?,
                            x.get(7)?, x.get(8)?, x.get(9)?, x.get(10)?,
                        ),
                    ))
                },
            )
            .optional()
            .map_err(db(format!("find recipe `{file}`")))?;
        match have {
            None => {
                tx.execute(
                    "INSERT INTO orm_recipe (layer_version_id, file_path, pathflags, name, version, summary, description, section, license, homepage, bugtracker, is_image, up_date) VALUES (?1, ?2, '', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                    params![lv, file, want.0, want.1, want.2, want.3, want.4, want.5, want.6, want.7, want.8, want.9],
                )
                .map_err(db(format!("insert recipe `{file}`")))?;
                seen.insert(tx.last_insert_rowid());
                report.recipes.created += 1;
            }
            Some((id, h)) => {
                if h == want {
                    report.recipes.unchanged += 1;
                } else {
                    tx.execute(
                        "UPDATE orm_recipe SET name = ?2, version = ?3, summary = ?4, description = ?5, section = ?6, license = ?7, homepage = ?8, bugtracker = ?9, is_image = ?10, up_date = ?11 WHERE id = ?1",
                        params![id, want.0, want.1, want.2, want.3, want.4, want.5, want.6, want.7, want.8, want.9],
                    )
                    .map_err(db(format!("update recipe `{file}`")))?;
                    report.recipes.updated += 1;
                }
                seen.insert(id);
            }
        }
    }
    let in_use = " AND id NOT IN (SELECT base_recipe_id FROM orm_customimagerecipe) AND id NOT IN (SELECT recipe_ptr_id FROM orm_customimagerecipe)";
    report.recipes.deleted += delete_unseen(&tx, "orm_recipe", &lv_ids, &seen, in_use)?;

    // Layer versions from the index gone from it (for the releases imported).
    let seen_lv: HashSet<i64> = lv_ids.values().copied().collect();
    let stale: Vec<(i64, i64, bool, i64)> = {
        let mut st = tx
            .prepare("SELECT lv.id, lv.layer_id, EXISTS (SELECT 1 FROM orm_projectlayer pl WHERE pl.layercommit_id = lv.id), lv.release_id FROM orm_layer_version lv WHERE lv.layer_source = ?1 AND lv.build_id IS NULL AND lv.project_id IS NULL AND lv.release_id IS NOT NULL")
            .map_err(db("stale layer versions"))?;
        st.query_map([LayerSource::LayerIndex as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .map_err(db("stale layer versions"))?
        .collect::<std::result::Result<_, _>>()
        .map_err(db("stale layer versions"))?
    };
    let mut emptied_layers = BTreeSet::new();
    for (lv, layer, used, release) in stale {
        if seen_lv.contains(&lv) || !in_scope.contains(&release) {
            continue;
        }
        if used {
            report.layer_versions.kept += 1;
            continue;
        }
        tx.execute("DELETE FROM orm_layer_version WHERE id = ?1", [lv])
            .map_err(db("delete a layer version"))?;
        report.layer_versions.deleted += 1;
        emptied_layers.insert(layer);
    }
    for layer in emptied_layers {
        let n = tx
            .execute(
                "DELETE FROM orm_layer WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM orm_layer_version WHERE layer_id = ?1)",
                [layer],
            )
            .map_err(db("delete a layer"))?;
        report.layers.deleted += n;
    }
    tx.commit().map_err(db("commit the layer index import"))?;
    report.rows_written = conn.total_changes().saturating_sub(before);
    report.releases.sort();
    report.releases.dedup();
    Ok(report)
}

/// Deletes the rows of `table` in the imported layer versions that the import did not
/// see (`extra`: more conditions, the rows to keep). Returns how many.
fn delete_unseen(
    tx: &Connection,
    table: &str,
    lv_ids: &HashMap<i64, i64>,
    seen: &HashSet<i64>,
    extra: &str,
) -> Result<usize> {
    let mut n = 0;
    for lv in lv_ids.values() {
        let ids: Vec<i64> = {
            let mut st = tx
                .prepare_cached(&format!(
                    "SELECT id FROM {table} WHERE layer_version_id = ?1{extra}"
                ))
                .map_err(db(format!("rows of {table}")))?;
            st.query_map([lv], |r| r.get(0))
                .map_err(db(format!("rows of {table}")))?
                .collect::<std::result::Result<_, _>>()
                .map_err(db(format!("rows of {table}")))?
        };
        for id in ids {
            if !seen.contains(&id) {
                n += tx
                    .execute(&format!("DELETE FROM {table} WHERE id = ?1"), [id])
                    .map_err(db(format!("delete from {table}")))?;
            }
        }
    }
    Ok(n)
}

/// The branch names to ask the index for: the `branch_name` of every release (sorted,
/// without duplicates; releases with none are left out).
pub fn release_branches(conn: &Connection) -> Result<Vec<String>> {
    let mut st = conn
        .prepare("SELECT DISTINCT branch_name FROM orm_release WHERE branch_name != '' ORDER BY branch_name")
        .map_err(db("releases"))?;
    st.query_map([], |r| r.get(0))
        .map_err(db("releases"))?
        .collect::<std::result::Result<_, _>>()
        .map_err(db("releases"))
}
