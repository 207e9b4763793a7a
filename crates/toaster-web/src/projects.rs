//! The project pages (spec §1.3) and the XHR endpoints behind them (§1.4): new project,
//! the project page (machine, distro, release, layers, most built recipes, build box),
//! configuration, the layers/machines/distros/images/software recipes tables, layer
//! details, import layer, typeaheads (also a git URL's revisions), the release change
//! test, and the changes (`xhr_project`, `xhr_configvaredit`, `xhr_buildrequest`,
//! `xhr_layer`, `xhr_customrecipe`, `newproject`).
//!
//! Reads go through the read-only store like every page; changes are the only writes of
//! the server: a POST/PUT/DELETE carrying this site's CSRF token is answered by
//! [`write`], on a connection of its own, with the checks of `bb_toaster::projects`.
//! Every change answers JSON: `{"error": "ok", ...}` or `{"error": "<what is wrong>"}`.

use std::collections::BTreeMap;

use minijinja::Value;
use rusqlite::Row;
use serde_json::{Value as Json, json};

use crate::error::{Error, Result};
use crate::html::{esc, link};
use crate::page::{App, Page, Req, crumb, table_ctx};
use crate::store::{Db, int, text};
use crate::table::{Action, Cell, Col, Filter, RowOut, Table, TableQuery};
use crate::urls::ROOT;

fn v(x: impl Into<Value>) -> Value {
    x.into()
}

fn id(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn purl(pid: i64, rest: &str) -> String {
    format!("{ROOT}/project/{pid}/{rest}")
}

/// The pages this module answers, or None (the caller routes the rest).
pub(crate) fn route(req: &Req<'_>, d: &Db<'_>, seg: &[&str]) -> Option<Result<Page>> {
    Some(match seg {
        ["newproject"] => new_project_page(req, d),
        ["xhr_typeahead", "projects"] => typeahead_projects(req, d),
        ["xhr_typeahead", "gitrev"] => typeahead_gitrev(req),
        ["xhr_testreleasechange", p] => {
            let p = id(p)?;
            test_release_change(req, d, p)
        }
        ["xhr_typeahead", p, kind] => {
            let p = id(p)?;
            typeahead(req, d, p, kind)
        }
        ["xhr_layer", p, lv] => {
            let (p, lv) = (id(p)?, id(lv)?);
            layer_json(d, p, lv)
        }
        ["xhr_project", p] => {
            let p = id(p)?;
            project_json(d, p)
        }
        ["project", p, rest @ ..] => {
            let p = id(p)?;
            let head = match project_head(d, p) {
                Ok(Some(h)) => h,
                Ok(None) => return Some(Ok(Page::NotFound("This project".into()))),
                Err(e) => return Some(Err(e)),
            };
            // The command-line project has none of these pages (its builds are shown
            // by the builds pages).
            if head.cli {
                return None;
            }
            match rest {
                [] => project_page(req, d, &head),
                ["configuration"] => config_page(req, d, &head),
                ["importlayer"] => import_page(req, d, &head),
                ["layers"] => table_page(req, d, &head, layers_table(&head), "Compatible layers"),
                ["machines"] => table_page(
                    req,
                    d,
                    &head,
                    machines_table(&head, "orm_machine", "machinestable", "machine"),
                    "Compatible machines",
                ),
                ["distros"] => table_page(
                    req,
                    d,
                    &head,
                    machines_table(&head, "orm_distro", "distrostable", "distro"),
                    "Compatible distros",
                ),
                ["images"] => table_page(
                    req,
                    d,
                    &head,
                    recipes_table(&head, true),
                    "Compatible image recipes",
                ),
                ["softwarerecipes"] => table_page(
                    req,
                    d,
                    &head,
                    recipes_table(&head, false),
                    "Compatible software recipes",
                ),
                ["layer", lv] => layer_page(req, d, &head, id(lv)?),
                ["layer", lv, "recipes"] => {
                    let lv = id(lv)?;
                    table_page(
                        req,
                        d,
                        &head,
                        layer_table(recipes_table(&head, false), "layerrecipestable", lv),
                        "Recipes of the layer",
                    )
                }
                ["layer", lv, "machines"] => {
                    let lv = id(lv)?;
                    table_page(
                        req,
                        d,
                        &head,
                        layer_table(
                            machines_table(&head, "orm_machine", "machinestable", "machine"),
                            "layermachinestable",
                            lv,
                        ),
                        "Machines of the layer",
                    )
                }
                ["customimages"] => custom_images_page(req, d, &head, "list", None),
                ["newcustomimage"] => custom_images_page(req, d, &head, "new", None),
                ["customrecipe", r] => custom_images_page(req, d, &head, "edit", Some(id(r)?)),
                ["customrecipe", r, "download"] => custom_download(d, &head, id(r)?),
                _ => return None,
            }
        }
        _ => return None,
    })
}

/// What the project pages show of a project.
pub(crate) struct Head {
    id: i64,
    name: String,
    cli: bool,
    release: String,
    release_id: Option<i64>,
    release_desc: String,
    machine: String,
    distro: String,
    builddir: String,
    layers: i64,
}

fn project_head(d: &Db<'_>, pid: i64) -> Result<Option<Head>> {
    d.one(
        "project",
        "SELECT p.id, p.name, p.is_default, coalesce(r.name, ''), r.id, coalesce(r.description, ''), \
         coalesce((SELECT value FROM orm_projectvariable v WHERE v.project_id = p.id AND v.name = 'MACHINE' ORDER BY v.id DESC LIMIT 1), ''), \
         coalesce((SELECT value FROM orm_projectvariable v WHERE v.project_id = p.id AND v.name = 'DISTRO' ORDER BY v.id DESC LIMIT 1), ''), \
         p.builddir, (SELECT count(*) FROM orm_projectlayer pl WHERE pl.project_id = p.id) \
         FROM orm_project p LEFT JOIN orm_release r ON r.id = p.release_id WHERE p.id = ?",
        &[int(pid)],
        |r| {
            Ok(Head {
                id: r.get(0)?,
                name: r.get(1)?,
                cli: r.get(2)?,
                release: r.get(3)?,
                release_id: r.get(4)?,
                release_desc: r.get(5)?,
                machine: r.get(6)?,
                distro: r.get(7)?,
                builddir: r.get(8)?,
                layers: r.get(9)?,
            })
        },
    )
}

/// The context every project page shares: the project, its tabs, the breadcrumbs.
fn base(req: &Req<'_>, h: &Head, title: &str, tab: &str) -> BTreeMap<String, Value> {
    let mut ctx = req.base(&format!("{title} - {}", h.name));
    let mut p = BTreeMap::new();
    p.insert("id", v(h.id));
    p.insert("name", v(h.name.as_str()));
    p.insert("release", v(h.release.as_str()));
    p.insert("release_desc", v(h.release_desc.as_str()));
    p.insert("machine", v(h.machine.as_str()));
    p.insert("distro", v(h.distro.as_str()));
    p.insert("builddir", v(h.builddir.as_str()));
    p.insert("layers", v(h.layers));
    p.insert("url", v(purl(h.id, "")));
    ctx.insert("project".into(), Value::from(p));
    ctx.insert("tab".into(), v(tab));
    ctx.insert(
        "breadcrumbs".into(),
        Value::from(vec![
            crumb("All projects", Some(&format!("{ROOT}/projects/"))),
            crumb(&h.name, Some(&purl(h.id, ""))),
        ]),
    );
    ctx
}

fn releases(d: &Db<'_>) -> Result<Vec<Value>> {
    let default: String = d
        .one(
            "default release",
            "SELECT value FROM orm_toastersetting WHERE name = 'DEFAULT_RELEASE' ORDER BY id LIMIT 1",
            &[],
            |r| r.get(0),
        )?
        .unwrap_or_default();
    d.rows(
        "releases",
        "SELECT id, name, description, coalesce(helptext, '') FROM orm_release ORDER BY id",
        &[],
        |r| {
            let name: String = r.get(1)?;
            let mut m = BTreeMap::new();
            m.insert("id", v(r.get::<_, i64>(0)?));
            m.insert("default", v(name == default));
            m.insert("name", v(name));
            m.insert("description", v(r.get::<_, String>(2)?));
            m.insert("helptext", v(r.get::<_, String>(3)?));
            Ok(Value::from(m))
        },
    )
}

/// `newproject/`.
fn new_project_page(req: &Req<'_>, d: &Db<'_>) -> Result<Page> {
    let mut ctx = req.base("Create a new project");
    ctx.insert("releases".into(), Value::from(releases(d)?));
    ctx.insert(
        "breadcrumbs".into(),
        Value::from(vec![
            crumb("All projects", Some(&format!("{ROOT}/projects/"))),
            crumb("New project", None),
        ]),
    );
    req.render("newproject.html", ctx)
}

/// `project/<pid>/`.
fn project_page(req: &Req<'_>, d: &Db<'_>, h: &Head) -> Result<Page> {
    let mut ctx = base(req, h, "Configuration", "configuration");
    let layers = d.rows(
        "project layers",
        "SELECT lv.id, l.name, coalesce(l.vcs_url, ''), coalesce(CASE WHEN lv.local_path NOT IN ('', '/') THEN lv.local_path END, l.local_source_dir, ''), \
         coalesce(lv.dirpath, ''), CASE WHEN lv.\"commit\" != '' THEN lv.\"commit\" ELSE lv.branch END \
         FROM orm_projectlayer pl JOIN orm_layer_version lv ON lv.id = pl.layercommit_id JOIN orm_layer l ON l.id = lv.layer_id \
         WHERE pl.project_id = ? ORDER BY l.name",
        &[int(h.id)],
        |r| {
            let mut m = BTreeMap::new();
            let lv: i64 = r.get(0)?;
            m.insert("id", v(lv));
            m.insert("name", v(r.get::<_, String>(1)?));
            m.insert("giturl", v(r.get::<_, String>(2)?));
            m.insert("local", v(r.get::<_, String>(3)?));
            m.insert("dirpath", v(r.get::<_, String>(4)?));
            m.insert("revision", v(r.get::<_, String>(5)?));
            m.insert("url", v(purl(h.id, &format!("layer/{lv}"))));
            Ok(Value::from(m))
        },
    )?;
    let most_built = d.rows(
        "most built recipes",
        "SELECT t.target, count(*) AS n FROM orm_target t JOIN orm_build b ON b.id = t.build_id \
         WHERE b.project_id = ? AND b.outcome IN (0, 1) GROUP BY t.target ORDER BY n DESC, t.target LIMIT 5",
        &[int(h.id)],
        |r| {
            let mut m = BTreeMap::new();
            m.insert("name", v(r.get::<_, String>(0)?));
            m.insert("count", v(r.get::<_, i64>(1)?));
            Ok(Value::from(m))
        },
    )?;
    ctx.insert("layers".into(), Value::from(layers));
    ctx.insert("most_built".into(), Value::from(most_built));
    ctx.insert("releases".into(), Value::from(releases(d)?));
    ctx.insert("notify".into(), v(req.param("notify").unwrap_or("")));
    req.render("project.html", ctx)
}

/// The variables the configuration page shows in their own sections.
const SHOWN: &[&str] = &[
    "DISTRO",
    "IMAGE_FSTYPES",
    "IMAGE_INSTALL:append",
    "PACKAGE_CLASSES",
    "DL_DIR",
    "SSTATE_DIR",
];

/// `project/<pid>/configuration`.
fn config_page(req: &Req<'_>, d: &Db<'_>, h: &Head) -> Result<Page> {
    let mut ctx = base(req, h, "BitBake variables", "configuration");
    let vars = d.rows(
        "project variables",
        "SELECT id, name, coalesce(value, '') FROM orm_projectvariable WHERE project_id = ? ORDER BY name, id",
        &[int(h.id)],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)),
    )?;
    let mut shown = Vec::new();
    for name in SHOWN {
        let val = vars
            .iter()
            .rev()
            .find(|(_, n, _)| n == name)
            .map(|(_, _, x)| x.clone());
        let mut m = BTreeMap::new();
        m.insert("name", v(*name));
        m.insert("set", v(val.is_some()));
        m.insert("value", v(val.unwrap_or_default()));
        m.insert("key", v(name.to_lowercase().replace([':', '_'], "-")));
        shown.push(Value::from(m));
    }
    let other: Vec<Value> = vars
        .iter()
        .filter(|(_, n, _)| {
            !SHOWN.contains(&n.as_str()) && n != "MACHINE" && !n.starts_with("INTERNAL_")
        })
        .map(|(i, n, x)| {
            let mut m = BTreeMap::new();
            m.insert("id", v(*i));
            m.insert("name", v(n.as_str()));
            m.insert("value", v(x.as_str()));
            Value::from(m)
        })
        .collect();
    ctx.insert("shown".into(), Value::from(shown));
    ctx.insert("other".into(), Value::from(other));
    ctx.insert(
        "forbidden".into(),
        Value::from(bb_toaster::projects::FORBIDDEN_VARIABLES.to_vec()),
    );
    ctx.insert(
        "fstypes".into(),
        Value::from(vec![
            "btrfs",
            "cpio",
            "cpio.gz",
            "cpio.xz",
            "ext2",
            "ext3",
            "ext4",
            "ext4.gz",
            "hddimg",
            "iso",
            "jffs2",
            "squashfs",
            "squashfs-xz",
            "tar",
            "tar.bz2",
            "tar.gz",
            "tar.xz",
            "ubi",
            "ubifs",
            "wic",
            "wic.gz",
            "wic.bz2",
        ]),
    );
    req.render("projectconf.html", ctx)
}

/// `project/<pid>/importlayer`.
fn import_page(req: &Req<'_>, _d: &Db<'_>, h: &Head) -> Result<Page> {
    let ctx = base(req, h, "Import layer", "importlayer");
    req.render("importlayer.html", ctx)
}

/// A custom image as the pages show it (read through the page's transaction).
fn custom_image(
    d: &Db<'_>,
    pid: i64,
    id: i64,
) -> Result<Option<bb_toaster::customimages::CustomImage>> {
    let row = d.one(
        "custom image",
        "SELECT r.id, c.project_id, r.name, r.version, b.name, b.file_path, r.summary, r.description, r.license, \
         (SELECT group_concat(p.name, ' ') FROM orm_customimagepackage_recipe_appends a JOIN orm_package p ON p.id = a.customimagepackage_id WHERE a.customimagerecipe_id = r.id), \
         (SELECT group_concat(p.name, ' ') FROM orm_customimagepackage_recipe_excludes a JOIN orm_package p ON p.id = a.customimagepackage_id WHERE a.customimagerecipe_id = r.id), \
         (SELECT group_concat(name, ' ') FROM (SELECT DISTINCT p.name AS name FROM orm_target_installed_package tip JOIN orm_package p ON p.id = tip.package_id \
            WHERE tip.target_id = (SELECT t.id FROM orm_target t JOIN orm_build x ON x.id = t.build_id WHERE x.project_id = c.project_id AND x.outcome = 0 AND t.target = b.name ORDER BY x.completed_on DESC, x.id DESC LIMIT 1))) \
         FROM orm_customimagerecipe c JOIN orm_recipe r ON r.id = c.recipe_ptr_id JOIN orm_recipe b ON b.id = c.base_recipe_id WHERE r.id = ? AND c.project_id = ?",
        &[int(id), int(pid)],
        |r| {
            let list = |s: Option<String>| -> Vec<String> {
                let mut v: Vec<String> = s.unwrap_or_default().split_whitespace().map(str::to_owned).collect();
                v.sort();
                v
            };
            Ok(bb_toaster::customimages::CustomImage {
                id: r.get(0)?,
                project: r.get(1)?,
                name: r.get(2)?,
                version: r.get(3)?,
                base_name: r.get(4)?,
                base_file: r.get(5)?,
                summary: r.get(6)?,
                description: r.get(7)?,
                license: r.get(8)?,
                appends: list(r.get(9)?),
                excludes: list(r.get(10)?),
                base_packages: list(r.get(11)?),
            })
        },
    )?;
    Ok(row)
}

/// `project/<pid>/customimages/` (the list), `newcustomimage/` (the image recipes to
/// start from), `customrecipe/<id>` (its packages).
fn custom_images_page(
    req: &Req<'_>,
    d: &Db<'_>,
    h: &Head,
    mode: &str,
    id: Option<i64>,
) -> Result<Page> {
    let mut ctx = base(req, h, "Custom images", "customimages");
    ctx.insert("mode".into(), v(mode));
    match mode {
        "list" => {
            let rows = d.rows(
                "custom images",
                "SELECT r.id, r.name, b.name, (SELECT count(*) FROM orm_customimagepackage_recipe_appends a WHERE a.customimagerecipe_id = r.id), \
                 (SELECT count(*) FROM orm_customimagepackage_recipe_excludes a WHERE a.customimagerecipe_id = r.id) \
                 FROM orm_customimagerecipe c JOIN orm_recipe r ON r.id = c.recipe_ptr_id JOIN orm_recipe b ON b.id = c.base_recipe_id WHERE c.project_id = ? ORDER BY r.name",
                &[int(h.id)],
                |r| {
                    let id: i64 = r.get(0)?;
                    let mut m = BTreeMap::new();
                    m.insert("id", v(id));
                    m.insert("name", v(r.get::<_, String>(1)?));
                    m.insert("base", v(r.get::<_, String>(2)?));
                    m.insert("added", v(r.get::<_, i64>(3)?));
                    m.insert("removed", v(r.get::<_, i64>(4)?));
                    m.insert("url", v(purl(h.id, &format!("customrecipe/{id}"))));
                    Ok(Value::from(m))
                },
            )?;
            ctx.insert("images".into(), Value::from(rows));
        }
        "new" => {
            let rows = d.rows(
                "image recipes",
                "SELECT r.id, r.name, r.version, r.summary, l.name FROM orm_recipe r JOIN orm_projectlayer pl ON pl.layercommit_id = r.layer_version_id \
                 JOIN orm_layer_version lv ON lv.id = r.layer_version_id JOIN orm_layer l ON l.id = lv.layer_id \
                 WHERE pl.project_id = ? AND r.is_image AND r.id NOT IN (SELECT recipe_ptr_id FROM orm_customimagerecipe) ORDER BY r.name",
                &[int(h.id)],
                |r| {
                    let mut m = BTreeMap::new();
                    m.insert("id", v(r.get::<_, i64>(0)?));
                    m.insert("name", v(r.get::<_, String>(1)?));
                    m.insert("version", v(r.get::<_, String>(2)?));
                    m.insert("summary", v(r.get::<_, String>(3)?));
                    m.insert("layer", v(r.get::<_, String>(4)?));
                    Ok(Value::from(m))
                },
            )?;
            ctx.insert("recipes".into(), Value::from(rows));
        }
        _ => {
            let Some(c) = custom_image(d, h.id, id.unwrap_or(-1))? else {
                return Ok(Page::NotFound("This custom image".into()));
            };
            let rows: Vec<Value> = c
                .packages()
                .iter()
                .map(|p| {
                    let mut m = BTreeMap::new();
                    m.insert("name", v(p.as_str()));
                    m.insert("added", v(c.appends.contains(p)));
                    Value::from(m)
                })
                .collect();
            let mut m = BTreeMap::new();
            m.insert("id", v(c.id));
            m.insert("name", v(c.name.as_str()));
            m.insert("base", v(c.base_name.as_str()));
            m.insert("excluded", Value::from(c.excludes.clone()));
            m.insert(
                "download",
                v(purl(h.id, &format!("customrecipe/{}/download", c.id))),
            );
            ctx.insert("image".into(), Value::from(m));
            ctx.insert("packages".into(), Value::from(rows));
            ctx.insert("notify".into(), v(req.param("notify").unwrap_or("")));
        }
    }
    req.render("customimage.html", ctx)
}

/// `project/<pid>/customrecipe/<id>/download`: the generated `.bb`.
fn custom_download(d: &Db<'_>, h: &Head, id: i64) -> Result<Page> {
    let Some(c) = custom_image(d, h.id, id)? else {
        return Ok(Page::NotFound("This custom image".into()));
    };
    let (name, text) = bb_toaster::customimages::recipe_text(&c);
    Ok(Page::File {
        name,
        bytes: text.into_bytes(),
    })
}

/// `project/<pid>/layer/<lv>`.
fn layer_page(req: &Req<'_>, d: &Db<'_>, h: &Head, lv: i64) -> Result<Page> {
    let row = d.one(
        "layer",
        "SELECT lv.id, l.name, coalesce(l.summary, ''), coalesce(l.description, ''), coalesce(l.vcs_url, ''), \
         coalesce(CASE WHEN lv.local_path NOT IN ('', '/') THEN lv.local_path END, l.local_source_dir, ''), coalesce(lv.dirpath, ''), \
         CASE WHEN lv.\"commit\" != '' THEN lv.\"commit\" ELSE lv.branch END, lv.layer_source, coalesce(lv.project_id, 0), \
         EXISTS (SELECT 1 FROM orm_projectlayer pl WHERE pl.project_id = ?1 AND pl.layercommit_id = lv.id), \
         (SELECT count(*) FROM orm_recipe r WHERE r.layer_version_id = lv.id), \
         (SELECT count(*) FROM orm_machine m WHERE m.layer_version_id = lv.id) \
         FROM orm_layer_version lv JOIN orm_layer l ON l.id = lv.layer_id \
         WHERE lv.id = ?2 AND lv.build_id IS NULL AND ((lv.project_id IS NULL AND lv.release_id IS ?3) OR lv.project_id = ?1)",
        &[int(h.id), int(lv), h.release_id.map_or(rusqlite::types::Value::Null, int)],
        |r| {
            let mut m = BTreeMap::new();
            m.insert("id", v(r.get::<_, i64>(0)?));
            m.insert("name", v(r.get::<_, String>(1)?));
            m.insert("summary", v(r.get::<_, String>(2)?));
            m.insert("description", v(r.get::<_, String>(3)?));
            m.insert("giturl", v(r.get::<_, String>(4)?));
            m.insert("local", v(r.get::<_, String>(5)?));
            m.insert("dirpath", v(r.get::<_, String>(6)?));
            m.insert("revision", v(r.get::<_, String>(7)?));
            m.insert("imported", v(r.get::<_, i64>(8)? == 2));
            m.insert("in_project", v(r.get::<_, bool>(10)?));
            m.insert("recipes", v(r.get::<_, i64>(11)?));
            m.insert("machines", v(r.get::<_, i64>(12)?));
            Ok(Value::from(m))
        },
    )?;
    let Some(layer) = row else {
        return Ok(Page::NotFound("This layer".into()));
    };
    let deps = d.rows(
        "layer dependencies",
        "SELECT dv.id, l.name FROM orm_layerversiondependency x JOIN orm_layer_version dv ON dv.id = x.depends_on_id JOIN orm_layer l ON l.id = dv.layer_id WHERE x.layer_version_id = ? ORDER BY l.name",
        &[int(lv)],
        |r| {
            let mut m = BTreeMap::new();
            let i: i64 = r.get(0)?;
            m.insert("id", v(i));
            m.insert("name", v(r.get::<_, String>(1)?));
            m.insert("url", v(purl(h.id, &format!("layer/{i}"))));
            Ok(Value::from(m))
        },
    )?;
    let mut ctx = base(req, h, "Layer", "layers");
    ctx.insert("layer".into(), layer);
    ctx.insert("deps".into(), Value::from(deps));
    req.render("layerdetails.html", ctx)
}

// ---- tables -----------------------------------------------------------------------------

fn table_page(req: &Req<'_>, d: &Db<'_>, h: &Head, t: Table, heading: &str) -> Result<Page> {
    let q = TableQuery::parse(&req.query);
    if q.cmd == "filterinfo" {
        return Ok(match t.filterinfo(d, &q)? {
            Some(j) => Page::Json(200, j),
            None => Page::Json(404, json!({"error": "no such filter"})),
        });
    }
    let a = t.answer(d, &q)?;
    if q.json {
        return Ok(Page::Json(200, t.json(a)));
    }
    let mut ctx = base(req, h, heading, t.id);
    ctx.insert("heading".into(), v(heading));
    ctx.insert("table".into(), table_ctx(&t, &q, &a));
    req.render("projecttable.html", ctx)
}

/// The layer versions compatible with the project: its release's catalog, and what it
/// imported.
/// Whether the layer version is in the project (`pl.id IS NOT NULL`; its parameter is
/// the project, before those of [`COMPATIBLE`]).
const IN_PROJECT: &str =
    "LEFT JOIN orm_projectlayer pl ON pl.layercommit_id = lv.id AND pl.project_id = ?";

const COMPATIBLE: &str = "lv.build_id IS NULL AND ((lv.project_id IS NULL AND lv.release_id IS (SELECT release_id FROM orm_project WHERE id = ?)) OR lv.project_id = ?)";

fn in_project_filter(what: &'static str, lv: &str) -> Filter {
    let inside = format!(
        "EXISTS (SELECT 1 FROM orm_projectlayer pl WHERE pl.project_id = x_pid AND pl.layercommit_id = {lv})"
    );
    Filter {
        name: "in_current_project",
        title: "Filter",
        actions: vec![
            Action::toggle(
                "in_project",
                format!("{what} in the project"),
                inside.clone(),
            ),
            Action::toggle(
                "not_in_project",
                format!("{what} not in the project"),
                format!("NOT {inside}"),
            ),
        ],
    }
}

/// Replaces the project placeholder of filter SQL (filters take no parameters).
fn with_pid(mut f: Filter, pid: i64) -> Filter {
    for a in &mut f.actions {
        a.sql = a.sql.replace("x_pid", &pid.to_string());
    }
    f
}

fn layers_table(h: &Head) -> Table {
    Table {
        id: "layerstable",
        title: "Compatible layers".into(),
        select: "lv.id, l.name, coalesce(l.summary, ''), coalesce(l.vcs_url, ''), coalesce(CASE WHEN lv.local_path NOT IN ('', '/') THEN lv.local_path END, l.local_source_dir, ''), \
                 coalesce(lv.dirpath, ''), CASE WHEN lv.\"commit\" != '' THEN lv.\"commit\" ELSE lv.branch END, \
                 (SELECT group_concat(dl.name, ', ') FROM orm_layerversiondependency x JOIN orm_layer_version dv ON dv.id = x.depends_on_id JOIN orm_layer dl ON dl.id = dv.layer_id WHERE x.layer_version_id = lv.id), \
                 pl.id IS NOT NULL",
        from: format!(
            "FROM orm_layer_version lv JOIN orm_layer l ON l.id = lv.layer_id {IN_PROJECT} WHERE {COMPATIBLE}"
        ),
        params: vec![int(h.id), int(h.id), int(h.id)],
        search: &["l.name LIKE ?", "l.summary LIKE ?"],
        cols: vec![
            Col::new("layer__name", "Layer", "l.name").fixed(),
            Col::plain("layer__summary", "Summary"),
            Col::plain("layer__vcs_url", "Git repository URL / local directory"),
            Col::plain("git_subdir", "Subdirectory"),
            Col::new("revision", "Git revision", "lv.\"commit\""),
            Col::plain("dependencies", "Dependencies"),
            Col::plain("add-del-layers", "Add | Remove")
                .fixed()
                .filter("in_current_project"),
        ],
        filters: vec![with_pid(in_project_filter("Layers", "lv.id"), h.id)],
        default_order: "layer__name",
        page_key: None,
        tiebreak: "lv.id",
        default_limit: 10,
        default_filter: None,
        ctx: h.id,
        row: layer_row,
    }
}

fn layer_btn(lv: i64, name: &str, inside: bool) -> String {
    if inside {
        format!(
            "<button type=\"button\" class=\"btn btn-danger layer-remove-btn\" data-layer-id=\"{lv}\" data-layer-name=\"{}\">Remove layer</button>",
            esc(name)
        )
    } else {
        format!(
            "<button type=\"button\" class=\"btn layer-add-btn\" data-layer-id=\"{lv}\" data-layer-name=\"{}\">Add layer</button>",
            esc(name)
        )
    }
}

fn layer_row(r: &Row<'_>, pid: i64) -> rusqlite::Result<RowOut> {
    let lv: i64 = r.get(0)?;
    let name: String = r.get(1)?;
    let git: String = r.get(3)?;
    let local: String = r.get(4)?;
    let deps: Option<String> = r.get(7)?;
    let inside: bool = r.get(8)?;
    Ok(RowOut {
        id: lv,
        cells: vec![
            Cell::both(json!(name), link(&purl(pid, &format!("layer/{lv}")), &name)),
            Cell::text(r.get::<_, String>(2)?),
            Cell::text(if git.is_empty() { local } else { git }),
            Cell::text(r.get::<_, String>(5)?),
            Cell::text(r.get::<_, String>(6)?),
            Cell::text(deps.unwrap_or_default()),
            Cell::both(json!(inside), layer_btn(lv, &name, inside)),
        ],
    })
}

fn machines_table(h: &Head, table: &'static str, id: &'static str, what: &'static str) -> Table {
    let (select, row): (&'static str, crate::table::RowFn) = if table == "orm_machine" {
        (
            "m.id, m.name, m.description, l.name, lv.id, CASE WHEN lv.\"commit\" != '' THEN lv.\"commit\" ELSE lv.branch END, \
             pl.id IS NOT NULL",
            machine_row,
        )
    } else {
        (
            "m.id, m.name, m.description, l.name, lv.id, CASE WHEN lv.\"commit\" != '' THEN lv.\"commit\" ELSE lv.branch END, \
             pl.id IS NOT NULL",
            distro_row,
        )
    };
    Table {
        id,
        title: format!("Compatible {what}s"),
        select,
        from: format!(
            "FROM {table} m JOIN orm_layer_version lv ON lv.id = m.layer_version_id JOIN orm_layer l ON l.id = lv.layer_id {IN_PROJECT} WHERE {COMPATIBLE}"
        ),
        params: vec![int(h.id), int(h.id), int(h.id)],
        search: &["m.name LIKE ?", "m.description LIKE ?", "l.name LIKE ?"],
        cols: vec![
            Col::new(
                "name",
                if table == "orm_machine" {
                    "Machine"
                } else {
                    "Distro"
                },
                "m.name",
            )
            .fixed(),
            Col::plain("description", "Description"),
            Col::new("layer_version__layer__name", "Layer", "l.name"),
            Col::plain("layer_version__get_vcs_reference", "Git revision"),
            Col::plain("add-del-layers", "Select")
                .fixed()
                .filter("in_current_project"),
        ],
        filters: vec![with_pid(in_project_filter("Layers", "lv.id"), h.id)],
        default_order: "name",
        page_key: None,
        tiebreak: "m.id",
        default_limit: 10,
        default_filter: None,
        ctx: h.id,
        row,
    }
}

fn select_row(r: &Row<'_>, pid: i64, var: &str) -> rusqlite::Result<RowOut> {
    let id: i64 = r.get(0)?;
    let name: String = r.get(1)?;
    let layer: String = r.get(3)?;
    let lv: i64 = r.get(4)?;
    let inside: bool = r.get(6)?;
    let btn = if inside {
        format!(
            "<button type=\"button\" class=\"btn select-{}-btn\" data-name=\"{}\">Select {}</button>",
            var.to_lowercase(),
            esc(&name),
            var.to_lowercase()
        )
    } else {
        layer_btn(lv, &layer, false)
    };
    Ok(RowOut {
        id,
        cells: vec![
            Cell::text(name),
            Cell::text(r.get::<_, String>(2)?),
            Cell::both(
                json!(layer),
                link(&purl(pid, &format!("layer/{lv}")), &layer),
            ),
            Cell::text(r.get::<_, String>(5)?),
            Cell::both(json!(inside), btn),
        ],
    })
}

fn machine_row(r: &Row<'_>, pid: i64) -> rusqlite::Result<RowOut> {
    select_row(r, pid, "MACHINE")
}

fn distro_row(r: &Row<'_>, pid: i64) -> rusqlite::Result<RowOut> {
    select_row(r, pid, "DISTRO")
}

/// A project table narrowed to the rows of one layer version (the layer page's tabs).
fn layer_table(mut t: Table, id: &'static str, lv: i64) -> Table {
    t.id = id;
    t.from = t.from.replace("r.is_image = 0 AND ", "") + " AND lv.id = ?";
    t.params.push(int(lv));
    t
}

fn recipes_table(h: &Head, images: bool) -> Table {
    Table {
        id: if images {
            "imagerecipestable"
        } else {
            "softwarerecipestable"
        },
        title: if images {
            "Compatible image recipes".into()
        } else {
            "Compatible software recipes".into()
        },
        select: "r.id, r.name, r.version, r.summary, l.name, lv.id, CASE WHEN lv.\"commit\" != '' THEN lv.\"commit\" ELSE lv.branch END, r.file_path, \
                 pl.id IS NOT NULL",
        from: format!(
            "FROM orm_recipe r JOIN orm_layer_version lv ON lv.id = r.layer_version_id JOIN orm_layer l ON l.id = lv.layer_id {IN_PROJECT} WHERE r.name != '' AND r.is_image = {} AND {COMPATIBLE}",
            i32::from(images)
        ),
        params: vec![int(h.id), int(h.id), int(h.id)],
        search: &["r.name LIKE ?", "r.summary LIKE ?", "l.name LIKE ?"],
        cols: vec![
            Col::new(
                "name",
                if images {
                    "Image recipe"
                } else {
                    "Software recipe"
                },
                "r.name",
            )
            .fixed(),
            Col::new("version", "Version", "r.version"),
            Col::plain("get_description_or_summary", "Description"),
            Col::new("layer_version__layer__name", "Layer", "l.name"),
            Col::plain("layer_version__get_vcs_reference", "Git revision"),
            Col::plain("file_path", "Recipe file").hidden(),
            Col::plain("add-del-layers", "Build")
                .fixed()
                .filter("in_current_project"),
        ],
        filters: vec![with_pid(in_project_filter("Recipes", "lv.id"), h.id)],
        default_order: "name",
        page_key: None,
        tiebreak: "r.id",
        default_limit: 10,
        default_filter: None,
        ctx: h.id,
        row: recipe_row,
    }
}

fn recipe_row(r: &Row<'_>, pid: i64) -> rusqlite::Result<RowOut> {
    let id: i64 = r.get(0)?;
    let name: String = r.get(1)?;
    let layer: String = r.get(4)?;
    let lv: i64 = r.get(5)?;
    let inside: bool = r.get(8)?;
    let btn = if inside {
        format!(
            "<button type=\"button\" class=\"btn build-recipe-btn\" data-recipe=\"{}\">Build recipe</button>",
            esc(&name)
        )
    } else {
        layer_btn(lv, &layer, false)
    };
    Ok(RowOut {
        id,
        cells: vec![
            Cell::text(name),
            Cell::text(r.get::<_, String>(2)?),
            Cell::text(r.get::<_, String>(3)?),
            Cell::both(
                json!(layer),
                link(&purl(pid, &format!("layer/{lv}")), &layer),
            ),
            Cell::text(r.get::<_, String>(6)?),
            Cell::text(r.get::<_, String>(7)?),
            Cell::both(json!(inside), btn),
        ],
    })
}

// ---- JSON reads ---------------------------------------------------------------------------

/// `xhr_typeahead/projects?search=`.
fn typeahead_projects(req: &Req<'_>, d: &Db<'_>) -> Result<Page> {
    let s = req.param("search").unwrap_or("");
    let rows = d.rows(
        "projects typeahead",
        "SELECT id, name, is_default FROM orm_project WHERE name LIKE ? ESCAPE '\\' \
         ORDER BY (name LIKE ? ESCAPE '\\') DESC, name LIMIT 6",
        &[text(format!("%{}%", like(s))), text(format!("{}%", like(s)))],
        |r| {
            let id: i64 = r.get(0)?;
            let cli: bool = r.get(2)?;
            Ok(json!({
                "id": id,
                "name": r.get::<_, String>(1)?,
                "detail": "",
                "projectPageUrl": if cli { format!("{ROOT}/project/{id}/builds/") } else { purl(id, "") },
            }))
        },
    )?;
    Ok(Page::Json(200, json!({"error": "ok", "results": rows})))
}

/// A LIKE pattern's special characters escaped (with `\`).
fn like(s: &str) -> String {
    s.chars()
        .take(100)
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

/// `xhr_typeahead/<pid>/{layers,machines,recipes,distros}?search=`.
fn typeahead(req: &Req<'_>, d: &Db<'_>, pid: i64, kind: &str) -> Result<Page> {
    let s = req.param("search").unwrap_or("");
    let (contains, prefix) = (
        text(format!("%{}%", like(s))),
        text(format!("{}%", like(s))),
    );
    let pid_v = || int(pid);
    // Layers (below); machines, distros and recipes of the project's layers (one row
    // per recipe name). Parameters: the word, the project three times,
    // the prefix.
    let sql = match kind {
        "layers" => {
            "SELECT lv.id, l.name, CASE WHEN lv.\"commit\" != '' THEN lv.\"commit\" ELSE lv.branch END, \
             coalesce(l.vcs_url, l.local_source_dir, ''), lv.id FROM orm_layer_version lv JOIN orm_layer l ON l.id = lv.layer_id \
             WHERE l.name LIKE ? ESCAPE '\\' AND lv.build_id IS NULL AND ((lv.project_id IS NULL AND lv.release_id IS (SELECT release_id FROM orm_project WHERE id = ?)) OR lv.project_id = ?) \
             AND NOT EXISTS (SELECT 1 FROM orm_projectlayer pl WHERE pl.project_id = ? AND pl.layercommit_id = lv.id) \
             ORDER BY (l.name LIKE ? ESCAPE '\\') DESC, l.name LIMIT 6"
        }
        "machines" => {
            "SELECT m.id, m.name, l.name, m.description, lv.id FROM orm_machine m JOIN orm_layer_version lv ON lv.id = m.layer_version_id JOIN orm_layer l ON l.id = lv.layer_id \
             WHERE m.name LIKE ? ESCAPE '\\' AND lv.build_id IS NULL AND ((lv.project_id IS NULL AND lv.release_id IS (SELECT release_id FROM orm_project WHERE id = ?)) OR lv.project_id = ?) \
             AND EXISTS (SELECT 1 FROM orm_projectlayer pl WHERE pl.project_id = ? AND pl.layercommit_id = lv.id) \
             ORDER BY (m.name LIKE ? ESCAPE '\\') DESC, m.name LIMIT 6"
        }
        "distros" => {
            "SELECT m.id, m.name, l.name, m.description, lv.id FROM orm_distro m JOIN orm_layer_version lv ON lv.id = m.layer_version_id JOIN orm_layer l ON l.id = lv.layer_id \
             WHERE m.name LIKE ? ESCAPE '\\' AND lv.build_id IS NULL AND ((lv.project_id IS NULL AND lv.release_id IS (SELECT release_id FROM orm_project WHERE id = ?)) OR lv.project_id = ?) \
             AND EXISTS (SELECT 1 FROM orm_projectlayer pl WHERE pl.project_id = ? AND pl.layercommit_id = lv.id) \
             ORDER BY (m.name LIKE ? ESCAPE '\\') DESC, m.name LIMIT 6"
        }
        "recipes" => {
            "SELECT min(m.id), m.name, l.name, max(m.version), lv.id FROM orm_recipe m JOIN orm_layer_version lv ON lv.id = m.layer_version_id JOIN orm_layer l ON l.id = lv.layer_id \
             WHERE m.name LIKE ? ESCAPE '\\' AND m.name != '' AND lv.build_id IS NULL AND ((lv.project_id IS NULL AND lv.release_id IS (SELECT release_id FROM orm_project WHERE id = ?)) OR lv.project_id = ?) \
             AND EXISTS (SELECT 1 FROM orm_projectlayer pl WHERE pl.project_id = ? AND pl.layercommit_id = lv.id) \
             GROUP BY m.name ORDER BY (m.name LIKE ? ESCAPE '\\') DESC, m.name LIMIT 6"
        }
        _ => return Ok(Page::NotFound("This typeahead".into())),
    };
    // Layers: those in the project too unless `include_added=false` (Toaster's
    // parameter: the project page's add box leaves them out, dependency pickers not).
    let added = if kind == "layers" && req.param("include_added") != Some("false") {
        int(-1)
    } else {
        pid_v()
    };
    let rows = d.rows(
        "typeahead",
        sql,
        &[contains, pid_v(), pid_v(), added, prefix],
        |r| {
            let lv: i64 = r.get(4)?;
            Ok(json!({
                "id": r.get::<_, i64>(0)?,
                "name": r.get::<_, String>(1)?,
                "detail": format!("[{}]", r.get::<_, String>(2)?),
                "layerversion_id": lv,
                "layerdetailurl": purl(pid, &format!("layer/{lv}")),
                "description": r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            }))
        },
    )?;
    Ok(Page::Json(200, json!({"error": "ok", "results": rows})))
}

/// `xhr_layer/<pid>/<lv>` (GET): a layer the project may use.
fn layer_json(d: &Db<'_>, pid: i64, lv: i64) -> Result<Page> {
    let row = d.one(
        "layer",
        "SELECT lv.id, l.name, coalesce(l.summary, ''), coalesce(l.vcs_url, ''), coalesce(l.local_source_dir, ''), coalesce(lv.dirpath, ''), \
         CASE WHEN lv.\"commit\" != '' THEN lv.\"commit\" ELSE lv.branch END, lv.layer_source, \
         (SELECT group_concat(x.depends_on_id, ' ') FROM orm_layerversiondependency x WHERE x.layer_version_id = lv.id) \
         FROM orm_layer_version lv JOIN orm_layer l ON l.id = lv.layer_id \
         WHERE lv.id = ?1 AND lv.build_id IS NULL AND ((lv.project_id IS NULL AND lv.release_id IS (SELECT release_id FROM orm_project WHERE id = ?2)) OR lv.project_id = ?2)",
        &[int(lv), int(pid)],
        |r| {
            let deps: Option<String> = r.get(8)?;
            Ok(json!({
                "id": r.get::<_, i64>(0)?,
                "name": r.get::<_, String>(1)?,
                "summary": r.get::<_, String>(2)?,
                "vcs_url": r.get::<_, String>(3)?,
                "local_source_dir": r.get::<_, String>(4)?,
                "vcs_subdir": r.get::<_, String>(5)?,
                "vcs_reference": r.get::<_, String>(6)?,
                "imported": r.get::<_, i64>(7)? == 2,
                "dependencies": deps.unwrap_or_default().split(' ').filter_map(|x| x.parse::<i64>().ok()).collect::<Vec<_>>(),
            }))
        },
    )?;
    let Some(l) = row else {
        return Ok(Page::Json(404, json!({"error": "no such layer"})));
    };
    let (deps, dependents) = d.with_conn(2, |c| -> Result<_> {
        Ok((
            bb_toaster::projects::missing_dependencies(c, pid, lv)?,
            bb_toaster::projects::dependents_in_project(c, pid, lv)?,
        ))
    })?;
    let project_layers = d.rows(
        "project layers",
        "SELECT layercommit_id FROM orm_projectlayer WHERE project_id = ?1 ORDER BY id",
        &[int(pid)],
        |r| r.get::<_, i64>(0),
    )?;
    // Toaster's answer (id, name, layerdeps, projectlayers) with bake's `layer` and the
    // project layers that depend on this one (`dependents`, for the removal warning).
    Ok(Page::Json(
        200,
        json!({
            "error": "ok",
            "id": lv,
            "name": l["name"],
            "layerdetailurl": purl(pid, &format!("layer/{lv}")),
            "vcs_url": l["vcs_url"],
            "vcs_ref": l["vcs_reference"],
            "local_source_dir": l["local_source_dir"],
            "layer": l,
            "layerdeps": {"list": deps.iter().map(|x| layer_ref_json(pid, x)).collect::<Vec<_>>()},
            "projectlayers": project_layers,
            "dependents": dependents.iter().map(|x| layer_ref_json(pid, x)).collect::<Vec<_>>(),
        }),
    ))
}

/// A layer as Toaster's layer dialogs list it.
fn layer_ref_json(pid: i64, l: &bb_toaster::projects::LayerRef) -> Json {
    json!({
        "id": l.id,
        "name": l.name,
        "layerdetailurl": purl(pid, &format!("layer/{}", l.id)),
        "vcs_url": l.vcs_url,
        "vcs_reference": l.vcs_reference,
        "tooltip": format!("{} | {}", l.vcs_url, l.vcs_reference),
    })
}

/// `xhr_testreleasechange/<pid>?new_release_id=N`: the project layers a change to
/// release N would remove (no layer of the same name in N) and how many would be
/// replaced by their version in N.
fn test_release_change(req: &Req<'_>, d: &Db<'_>, pid: i64) -> Result<Page> {
    let Some(release) = req.param("new_release_id").and_then(id) else {
        return Ok(Page::Json(
            400,
            json!({"error": "new_release_id: a release id"}),
        ));
    };
    let r = d.with_conn(3, |c| bb_toaster::projects::release_change(c, pid, release));
    Ok(match r {
        Ok(c) => Page::Json(
            200,
            json!({
                "error": "ok",
                "rows": c.lost.iter().map(|x| layer_ref_json(pid, x)).collect::<Vec<_>>(),
                "replaced": c.replaced.len(),
            }),
        ),
        Err(bb_toaster::Error::Invalid(msg)) => Page::Json(404, json!({"error": msg})),
        Err(e) => return Err(e.into()),
    })
}

/// How long the git revisions of a URL are kept (Toaster: 120 s).
const GITREV_TTL: std::time::Duration = std::time::Duration::from_secs(120);
/// How long `git ls-remote` may take.
const GITREV_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

type RevCache = std::sync::Mutex<BTreeMap<String, (std::time::Instant, Vec<(String, String)>)>>;

/// The refs of `url` (`git ls-remote`, no shell, no prompt, killed after
/// [`GITREV_TIMEOUT`]): (name, `sha ref` line), kept [`GITREV_TTL`].
fn git_refs(url: &str) -> Result<Vec<(String, String)>> {
    static CACHE: std::sync::OnceLock<RevCache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Ok(c) = cache.lock()
        && let Some((t, refs)) = c.get(url)
        && t.elapsed() < GITREV_TTL
    {
        return Ok(refs.clone());
    }
    bb_toaster::projects::check_git_url(url)?;
    let mut child = std::process::Command::new("git")
        .args(["ls-remote", "--", url])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Error::Invalid(format!("git ls-remote {url}: {e}")))?;
    // Read both pipes while waiting: a repository with many refs fills a pipe.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<_>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<_>));
    let started = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > GITREV_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Invalid(format!(
                    "git ls-remote {url}: no answer in {} s",
                    GITREV_TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(e) => return Err(Error::Invalid(format!("git ls-remote {url}: {e}"))),
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if !status.success() {
        return Err(Error::Invalid(format!(
            "git ls-remote {url}: {}",
            String::from_utf8_lossy(&stderr).trim()
        )));
    }
    let refs: Vec<(String, String)> = String::from_utf8_lossy(&stdout)
        .lines()
        .filter_map(|line| {
            let name = line.rsplit('/').next()?.trim();
            // "HEAD" means something else to Toaster (YOCTO #9924)
            (!name.is_empty() && !name.contains("HEAD")).then(|| (name.to_owned(), line.to_owned()))
        })
        .collect();
    if let Ok(mut c) = cache.lock() {
        c.insert(url.to_owned(), (std::time::Instant::now(), refs.clone()));
    }
    Ok(refs)
}

/// `xhr_typeahead/gitrev?git_url=URL&search=TERM`: the branches and tags of a git
/// repository starting with TERM (Toaster's `GitRevisionTypeAhead`).
fn typeahead_gitrev(req: &Req<'_>) -> Result<Page> {
    let url = req.param("git_url").unwrap_or("").trim();
    if url.is_empty() {
        return Ok(Page::Json(200, json!({"error": "ok", "results": []})));
    }
    let search = req.param("search").unwrap_or("");
    Ok(match git_refs(url) {
        Ok(refs) => Page::Json(
            200,
            json!({
                "error": "ok",
                "results": refs
                    .iter()
                    .filter(|(name, _)| name.starts_with(search))
                    .take(20)
                    .map(|(name, line)| json!({"name": name, "detail": format!("[ {line} ]")}))
                    .collect::<Vec<_>>(),
            }),
        ),
        Err(Error::Store(bb_toaster::Error::Invalid(msg)) | Error::Invalid(msg)) => {
            Page::Json(400, json!({"error": msg}))
        }
        Err(e) => return Err(e),
    })
}

/// `xhr_project/<pid>` (GET): the project as the pages know it.
fn project_json(d: &Db<'_>, pid: i64) -> Result<Page> {
    let Some(h) = project_head(d, pid)? else {
        return Ok(Page::Json(404, json!({"error": "no such project"})));
    };
    let layers = d.rows(
        "project layers",
        "SELECT lv.id, l.name FROM orm_projectlayer pl JOIN orm_layer_version lv ON lv.id = pl.layercommit_id JOIN orm_layer l ON l.id = lv.layer_id WHERE pl.project_id = ? ORDER BY l.name",
        &[int(pid)],
        |r| {
            let lv: i64 = r.get(0)?;
            Ok(json!({"id": lv, "name": r.get::<_, String>(1)?, "layerdetailurl": purl(pid, &format!("layer/{lv}"))}))
        },
    )?;
    Ok(Page::Json(
        200,
        json!({
            "error": "ok",
            "id": h.id,
            "name": h.name,
            "layers": layers,
            "machine": {"name": h.machine},
            "distro": {"name": h.distro},
            "release": {"id": h.release_id, "name": h.release, "description": h.release_desc},
        }),
    ))
}

// ---- changes ----------------------------------------------------------------------------

/// The form fields of a change (`application/x-www-form-urlencoded`).
struct Form(Vec<(String, String)>);

impl Form {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, x)| x.as_str())
    }
    fn ids(&self, name: &str) -> Result<Vec<i64>> {
        self.get(name)
            .unwrap_or("")
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(|s| id(s).ok_or_else(|| Error::Invalid(format!("`{s}` is not an id"))))
            .collect()
    }
}

/// A path segment percent-decoded (invalid UTF-8 replaced).
fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = (b[i] == b'%')
            .then(|| b.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(x) => {
                out.push(x);
                i += 3;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn ok(extra: Json) -> (u16, Json) {
    let mut m = serde_json::Map::new();
    m.insert("error".into(), json!("ok"));
    if let Json::Object(e) = extra {
        m.extend(e);
    }
    (200, Json::Object(m))
}

/// Answers a change (POST/PUT/DELETE with a valid CSRF token) to `path`: the status and
/// the JSON. Runs on a blocking thread with a connection of its own.
pub(crate) fn write(app: &App, method: &str, path: &str, body: &[u8]) -> (u16, Json) {
    let form = Form(crate::server::parse_query(&String::from_utf8_lossy(body)));
    let Some(rest) = path.strip_prefix(ROOT) else {
        return (404, json!({"error": "no such endpoint"}));
    };
    let seg: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let conn = match bb_toaster::db::open(app.store.path()) {
        Ok(c) => c,
        Err(e) => {
            return (
                500,
                json!({"error": format!("the database cannot be written: {e}")}),
            );
        }
    };
    let r = change(conn, method, &seg, &form);
    match r {
        Ok(x) => x,
        Err(Error::Store(bb_toaster::Error::Invalid(msg)) | Error::Invalid(msg)) => {
            (400, json!({"error": msg}))
        }
        Err(e) => (500, json!({"error": format!("{e}")})),
    }
}

fn change(
    mut conn: rusqlite::Connection,
    method: &str,
    seg: &[&str],
    f: &Form,
) -> Result<(u16, Json)> {
    use bb_toaster::projects as p;
    let not_found = || Ok((404, json!({"error": "no such endpoint"})));
    match (method, seg) {
        ("POST", ["newproject"]) => {
            let name = f.get("projectname").unwrap_or("");
            let import = f.get("ptype") == Some("import");
            let release = match f.get("projectversion").and_then(id) {
                Some(r) => Some(r),
                None if import => None,
                None => return Err(Error::Invalid("choose a release".into())),
            };
            let pid = p::new_project(
                &conn,
                name,
                release,
                // Toaster's form sends `mergeattr`; a checkbox without a value, `on`.
                f.get("mergeattr")
                    .is_some_and(|x| matches!(x, "mergeattr" | "on" | "1" | "true")),
                if import { f.get("importdir") } else { None },
            )?;
            Ok(ok(
                json!({"id": pid, "url": format!("{}?notify=new-project", purl(pid, ""))}),
            ))
        }
        ("POST", ["xhr_project", pid]) => {
            let Some(pid) = id(pid) else {
                return not_found();
            };
            if let Some(n) = f.get("projectName") {
                p::rename(&conn, pid, n)?;
            }
            if f.get("layerAdd").is_some() {
                p::add_layers(&conn, pid, &f.ids("layerAdd")?)?;
            }
            if f.get("layerDel").is_some() {
                p::remove_layers(&conn, pid, &f.ids("layerDel")?)?;
            }
            if let Some(m) = f.get("machineName") {
                p::set_variable(&conn, pid, "MACHINE", m.trim())?;
            }
            if let Some(m) = f.get("distroName") {
                p::set_variable(&conn, pid, "DISTRO", m.trim())?;
            }
            if let Some(r) = f.get("projectVersion") {
                let r =
                    id(r).ok_or_else(|| Error::Invalid(format!("`{r}` is not a release id")))?;
                let removed = p::change_release(&conn, pid, r)?;
                return Ok(ok(
                    json!({"removed": removed.iter().map(|l| l.name.clone()).collect::<Vec<_>>()}),
                ));
            }
            Ok(ok(json!({})))
        }
        ("DELETE", ["xhr_project", pid]) => {
            let Some(pid) = id(pid) else {
                return not_found();
            };
            p::delete(&mut conn, pid)?;
            Ok(ok(json!({"gotoUrl": format!("{ROOT}/projects/")})))
        }
        ("POST", ["xhr_configvaredit", pid]) => {
            let Some(pid) = id(pid) else {
                return not_found();
            };
            if let (Some(name), Some(value)) = (f.get("variable"), f.get("value")) {
                p::set_variable(&conn, pid, name, value)?;
            } else if let Some(t) = f.get("configvarChange").or(f.get("configvarAdd")) {
                // Toaster's form: `NAME:value` (a name with an override, such as
                // IMAGE_INSTALL:append, is sent with `variable` and `value` instead).
                let (name, value) = t
                    .split_once(':')
                    .ok_or_else(|| Error::Invalid(format!("`{t}`: expected NAME:value")))?;
                p::set_variable(&conn, pid, name, value)?;
            }
            if f.get("configvarDel").is_some() {
                for v in f.ids("configvarDel")? {
                    p::delete_variable(&conn, pid, v)?;
                }
            }
            Ok(ok(json!({})))
        }
        ("POST", ["xhr_buildrequest", "project", pid]) => {
            let Some(pid) = id(pid) else {
                return not_found();
            };
            if let Some(t) = f.get("targets") {
                let (req, build) = p::build(&conn, pid, t)?;
                return Ok(ok(json!({"buildrequest_id": req, "build_id": build})));
            }
            if f.get("buildDelete").is_some() {
                for r in f.ids("buildDelete")? {
                    p::delete_request(&mut conn, pid, r)?;
                }
                return Ok(ok(json!({})));
            }
            if f.get("buildCancel").is_some() {
                let mut states = Vec::new();
                for r in f.ids("buildCancel")? {
                    let s = bb_toaster::bldcontrol::cancel(&conn, pid, r)?;
                    states.push(json!({"id": r, "cancel": format!("{s:?}")}));
                }
                return Ok(ok(json!({"cancelled": states})));
            }
            Err(Error::Invalid(
                "expected targets, buildCancel or buildDelete".into(),
            ))
        }
        ("POST", ["xhr_customrecipe"]) => {
            let pid = f
                .get("project")
                .and_then(id)
                .ok_or_else(|| Error::Invalid("no project".into()))?;
            let base = f
                .get("base")
                .and_then(id)
                .ok_or_else(|| Error::Invalid("no base image recipe".into()))?;
            let rid = bb_toaster::customimages::new_custom_image(
                &conn,
                pid,
                base,
                f.get("name").unwrap_or("").trim(),
            )?;
            Ok(ok(
                json!({"id": rid, "url": format!("{}?notify=new", purl(pid, &format!("customrecipe/{rid}")))}),
            ))
        }
        ("POST" | "PUT" | "DELETE", ["xhr_customrecipe", rid, "packages", name]) => {
            let Some(rid) = id(rid) else {
                return not_found();
            };
            let pid = f
                .get("project")
                .and_then(id)
                .ok_or_else(|| Error::Invalid("no project".into()))?;
            let name = pct_decode(name);
            bb_toaster::customimages::change_package(&conn, pid, rid, &name, method != "DELETE")?;
            Ok(ok(json!({})))
        }
        ("DELETE", ["xhr_customrecipe", rid]) => {
            let Some(rid) = id(rid) else {
                return not_found();
            };
            let pid = f
                .get("project")
                .and_then(id)
                .ok_or_else(|| Error::Invalid("no project".into()))?;
            let name = bb_toaster::customimages::delete_custom_image(&conn, pid, rid)?;
            Ok(ok(
                json!({"name": name, "gotoUrl": purl(pid, "customimages/")}),
            ))
        }
        ("POST", ["xhr_layer", pid, lv]) => {
            let (Some(pid), Some(lv)) = (id(pid), id(lv)) else {
                return not_found();
            };
            let one = |name: &str| -> Result<Option<i64>> {
                match f.get(name) {
                    None => Ok(None),
                    Some(x) => id(x)
                        .map(Some)
                        .ok_or_else(|| Error::Invalid(format!("{name}: `{x}` is not an id"))),
                }
            };
            let e = p::LayerEdit {
                vcs_url: f.get("vcs_url").map(str::to_owned),
                // Toaster's field is `dirpath` (its import form says `dir_path`)
                subdir: f.get("dirpath").or(f.get("dir_path")).map(str::to_owned),
                revision: f.get("commit").or(f.get("git_ref")).map(str::to_owned),
                local_dir: f.get("local_source_dir").map(str::to_owned),
                summary: f.get("summary").map(str::to_owned),
                description: f.get("description").map(str::to_owned),
                add_dep: one("add_dep")?,
                rm_dep: one("rm_dep")?,
            };
            p::edit_imported_layer(&conn, pid, lv, &e)?;
            Ok(ok(json!({})))
        }
        ("DELETE", ["xhr_layer", pid, lv]) => {
            let (Some(pid), Some(lv)) = (id(pid), id(lv)) else {
                return not_found();
            };
            p::delete_imported_layer(&conn, pid, lv)?;
            Ok(ok(json!({"gotoUrl": purl(pid, "")})))
        }
        ("POST" | "PUT", ["xhr_layer", pid]) => {
            let Some(pid) = id(pid) else {
                return not_found();
            };
            let l = p::ImportLayer {
                name: f.get("name").unwrap_or("").to_owned(),
                vcs_url: f.get("vcs_url").unwrap_or("").trim().to_owned(),
                subdir: f.get("dir_path").unwrap_or("").trim().to_owned(),
                revision: f.get("git_ref").unwrap_or("").trim().to_owned(),
                local_dir: f.get("local_source_dir").unwrap_or("").trim().to_owned(),
                summary: f.get("summary").unwrap_or("").to_owned(),
                dependencies: f.ids("layer_deps")?,
            };
            let lv = p::import_layer(&conn, pid, &l)?;
            Ok(ok(
                json!({"imported_layer": {"id": lv, "name": l.name, "url": purl(pid, &format!("layer/{lv}"))}}),
            ))
        }
        _ => not_found(),
    }
}
