//! The changes the project pages make (Toaster's `xhr_*` views and new project form):
//! create, rename and delete a project, set its machine, distro and variables, add and
//! remove layers, import a layer, queue and cancel builds. Every value is checked here
//! (names, variables Toaster refuses, layer URLs and paths), so that what reaches the
//! database is what a build may use; values are only ever bound as SQL parameters.

use rusqlite::{Connection, OptionalExtension, params};

use crate::bldcontrol;
use crate::error::{Error, Result, db};
use crate::model::LayerSource;

/// Variables the configuration page refuses (Toaster's list: they belong to the build
/// environment, not to a project).
pub const FORBIDDEN_VARIABLES: &[&str] = &[
    "PARALLEL_MAKE",
    "BB_NUMBER_THREADS",
    "BB_DISKMON_DIRS",
    "CVS_PROXY_HOST",
    "CVS_PROXY_PORT",
    "TMPDIR",
    "all_proxy",
    "ftp_proxy",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "BBLAYERS",
];

fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

fn now() -> String {
    crate::model::timestamp(std::time::SystemTime::now())
}

/// Checks a project name: not empty, at most 100 characters, no control characters,
/// not the name of another project.
pub fn check_project_name(conn: &Connection, name: &str, except: Option<i64>) -> Result<()> {
    let n = name.trim();
    if n.is_empty() {
        return Err(invalid("a project needs a name"));
    }
    if n.chars().count() > 100 {
        return Err(invalid("a project name has at most 100 characters"));
    }
    if n.chars().any(char::is_control) {
        return Err(invalid("a project name cannot hold control characters"));
    }
    let dup: i64 = conn
        .query_row(
            "SELECT count(*) FROM orm_project WHERE name = ?1 AND id != ?2",
            params![n, except.unwrap_or(-1)],
            |r| r.get(0),
        )
        .map_err(db("project names"))?;
    if dup > 0 {
        return Err(invalid(
            "A project with this name exists. Project names must be unique.",
        ));
    }
    Ok(())
}

/// Creates a project for `release` (its default layers, the DEFCONF_* settings as
/// variables); `import_dir`: an existing build directory (it must hold `conf/`), which
/// becomes the project's build directory. `merged_attr`: the project's settings are
/// written into the build directory's own `local.conf`/`bblayers.conf` (always so for
/// an imported build directory, as Toaster does). Returns its id.
pub fn new_project(
    conn: &Connection,
    name: &str,
    release: Option<i64>,
    merged_attr: bool,
    import_dir: Option<&str>,
) -> Result<i64> {
    check_project_name(conn, name, None)?;
    let builddir = match import_dir {
        Some(d) => {
            let p = std::path::Path::new(d);
            if !p.is_absolute() {
                return Err(invalid(format!(
                    "`{d}`: the build directory must be an absolute path"
                )));
            }
            if !p.join("conf").is_dir() {
                return Err(invalid(format!(
                    "`{d}` is not a build directory: it has no conf/ directory"
                )));
            }
            d.to_owned()
        }
        None => String::new(),
    };
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)
        .map_err(db("begin new project"))?;
    let bitbake: Option<i64> = match release {
        Some(r) => Some(
            tx.query_row(
                "SELECT bitbake_version_id FROM orm_release WHERE id = ?1",
                [r],
                |x| x.get::<_, Option<i64>>(0),
            )
            .optional()
            .map_err(db("release"))?
            .ok_or_else(|| invalid(format!("release {r} does not exist")))?,
        )
        .flatten(),
        None => None,
    };
    let t = now();
    tx.execute(
        "INSERT INTO orm_project (name, release_id, bitbake_version_id, merged_attr, builddir, is_default, created, updated) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?6)",
        params![
            name.trim(),
            release,
            bitbake,
            merged_attr || import_dir.is_some(),
            builddir,
            t
        ],
    )
    .map_err(db("create the project"))?;
    let pid = tx.last_insert_rowid();
    if let Some(r) = release
        && import_dir.is_none()
    {
        // Toaster does not add the release's default layers to an imported build
        // directory (YOCTO #13764).
        tx.execute(
            "INSERT OR IGNORE INTO orm_projectlayer (project_id, layercommit_id, optional) \
             SELECT ?1, (SELECT lv.id FROM orm_layer_version lv JOIN orm_layer l ON l.id = lv.layer_id \
                         WHERE l.name = d.layer_name AND lv.release_id = ?2 AND lv.build_id IS NULL AND lv.project_id IS NULL ORDER BY lv.id LIMIT 1), 0 \
             FROM orm_releasedefaultlayer d WHERE d.release_id = ?2 \
             AND EXISTS (SELECT 1 FROM orm_layer_version lv JOIN orm_layer l ON l.id = lv.layer_id WHERE l.name = d.layer_name AND lv.release_id = ?2 AND lv.build_id IS NULL AND lv.project_id IS NULL)",
            params![pid, r],
        )
        .map_err(db("default layers"))?;
    }
    if import_dir.is_none() {
        tx.execute(
            "INSERT INTO orm_projectvariable (project_id, name, value) \
             SELECT ?1, substr(name, 9), value FROM orm_toastersetting WHERE name LIKE 'DEFCONF!_%' ESCAPE '!' ORDER BY id",
            [pid],
        )
        .map_err(db("default variables"))?;
    } else {
        import_build_dir(&tx, pid, std::path::Path::new(&builddir))?;
    }
    tx.commit().map_err(db("commit new project"))?;
    Ok(pid)
}

/// Renames a project.
pub fn rename(conn: &Connection, pid: i64, name: &str) -> Result<()> {
    check_project_name(conn, name, Some(pid))?;
    conn.execute(
        "UPDATE orm_project SET name = ?2, updated = ?3 WHERE id = ?1 AND NOT is_default",
        params![pid, name.trim(), now()],
    )
    .map_err(db("rename the project"))?;
    Ok(())
}

/// Deletes a project and its builds; its queued builds are cancelled first. A project
/// whose build is running cannot be deleted (cancel it first).
pub fn delete(conn: &mut Connection, pid: i64) -> Result<()> {
    let running: i64 = conn
        .query_row(
            "SELECT count(*) FROM bldcontrol_buildrequest WHERE project_id = ?1 AND state IN (2, 5)",
            [pid],
            |r| r.get(0),
        )
        .map_err(db("running builds"))?;
    if running > 0 {
        return Err(invalid(
            "a build of this project is running: cancel it before deleting the project",
        ));
    }
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db("begin delete project"))?;
    let n = tx
        .execute(
            "DELETE FROM orm_project WHERE id = ?1 AND NOT is_default",
            [pid],
        )
        .map_err(db("delete the project"))?;
    if n == 0 {
        return Err(invalid(format!("project {pid} cannot be deleted")));
    }
    tx.commit().map_err(db("commit delete project"))?;
    Ok(())
}

/// Checks a variable's name and value as the configuration page does.
pub fn check_variable(name: &str, value: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 100
        || !name.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '_' | '-' | ':' | '.' | '+' | '/' | '$' | '{' | '}' | '~')
        })
    {
        return Err(invalid(format!(
            "`{name}` is not a variable name (letters, digits, and _ - : . + / only)"
        )));
    }
    if FORBIDDEN_VARIABLES
        .iter()
        .any(|f| f.eq_ignore_ascii_case(name))
        || name.starts_with("INTERNAL_")
    {
        return Err(invalid(format!(
            "{name} cannot be set from a project: it is a setting of the build environment"
        )));
    }
    if value.contains(['\n', '\r']) || value.chars().any(char::is_control) {
        return Err(invalid(format!("{name}: a value is one line of text")));
    }
    // Inline Python would run whatever the page was given in the build process.
    if value.contains("${@") {
        return Err(invalid(format!(
            "{name}: inline Python (`${{@...}}`) cannot be set from a project"
        )));
    }
    if matches!(name, "DL_DIR" | "SSTATE_DIR") {
        if !(value.starts_with('/') || value.starts_with("${")) {
            return Err(invalid(format!(
                "{name} must be an absolute path (start with / or ${{)"
            )));
        }
        if value.contains(char::is_whitespace) {
            return Err(invalid(format!("{name} cannot contain spaces")));
        }
    }
    if name == "IMAGE_FSTYPES"
        && value.split_whitespace().any(|t| {
            !t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        })
    {
        return Err(invalid(
            "IMAGE_FSTYPES: image types are letters, digits, . and -",
        ));
    }
    if matches!(name, "MACHINE" | "DISTRO")
        && (value.is_empty()
            || !value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(invalid(format!("`{value}` is not a {name} name")));
    }
    Ok(())
}

/// Sets (adds or changes) a project variable.
pub fn set_variable(conn: &Connection, pid: i64, name: &str, value: &str) -> Result<()> {
    let name = name.trim();
    check_variable(name, value)?;
    project_exists(conn, pid)?;
    let n = conn
        .execute(
            "UPDATE orm_projectvariable SET value = ?3 WHERE project_id = ?1 AND name = ?2",
            params![pid, name, value],
        )
        .map_err(db("set the variable"))?;
    if n == 0 {
        conn.execute(
            "INSERT INTO orm_projectvariable (project_id, name, value) VALUES (?1, ?2, ?3)",
            params![pid, name, value],
        )
        .map_err(db("add the variable"))?;
    }
    touch(conn, pid)
}

/// Deletes a project variable (by its row id).
pub fn delete_variable(conn: &Connection, pid: i64, id: i64) -> Result<()> {
    conn.execute(
        "DELETE FROM orm_projectvariable WHERE project_id = ?1 AND id = ?2 AND name NOT IN ('MACHINE', 'DISTRO')",
        params![pid, id],
    )
    .map_err(db("delete the variable"))?;
    touch(conn, pid)
}

fn touch(conn: &Connection, pid: i64) -> Result<()> {
    conn.execute(
        "UPDATE orm_project SET updated = ?2 WHERE id = ?1",
        params![pid, now()],
    )
    .map_err(db("project"))?;
    Ok(())
}

fn project_exists(conn: &Connection, pid: i64) -> Result<()> {
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM orm_project WHERE id = ?1 AND NOT is_default",
            [pid],
            |r| r.get(0),
        )
        .map_err(db("project"))?;
    if n == 0 {
        return Err(invalid(format!("project {pid} does not exist")));
    }
    Ok(())
}

/// Is layer version `lv` one `pid` may use (the project's release, in the catalog, or
/// imported by the project)?
fn compatible(conn: &Connection, pid: i64, lv: i64) -> Result<bool> {
    conn.query_row(
        "SELECT count(*) FROM orm_layer_version lv, orm_project p WHERE lv.id = ?2 AND p.id = ?1 AND lv.build_id IS NULL \
         AND ((lv.project_id IS NULL AND lv.release_id IS p.release_id) OR lv.project_id = ?1)",
        params![pid, lv],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
    .map_err(db("compatible layer"))
}

/// Adds layer versions to a project.
pub fn add_layers(conn: &Connection, pid: i64, lvs: &[i64]) -> Result<()> {
    project_exists(conn, pid)?;
    for &lv in lvs {
        if !compatible(conn, pid, lv)? {
            return Err(invalid(format!(
                "layer version {lv} is not compatible with the project's release"
            )));
        }
        conn.execute(
            "INSERT OR IGNORE INTO orm_projectlayer (project_id, layercommit_id, optional) VALUES (?1, ?2, 1)",
            params![pid, lv],
        )
        .map_err(db("add a layer"))?;
    }
    touch(conn, pid)
}

/// Removes layer versions from a project.
pub fn remove_layers(conn: &Connection, pid: i64, lvs: &[i64]) -> Result<()> {
    for &lv in lvs {
        conn.execute(
            "DELETE FROM orm_projectlayer WHERE project_id = ?1 AND layercommit_id = ?2",
            params![pid, lv],
        )
        .map_err(db("remove a layer"))?;
    }
    touch(conn, pid)
}

/// A layer version as the layer pages name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerRef {
    /// The layer version.
    pub id: i64,
    /// The layer's name.
    pub name: String,
    /// Its git URL (empty for a local layer).
    pub vcs_url: String,
    /// Its revision (commit, else branch).
    pub vcs_reference: String,
}

fn layer_refs(conn: &Connection, sql: &str, p: &[&dyn rusqlite::ToSql]) -> Result<Vec<LayerRef>> {
    let mut st = conn.prepare(sql).map_err(db("layers"))?;
    st.query_map(p, |r| {
        Ok(LayerRef {
            id: r.get(0)?,
            name: r.get(1)?,
            vcs_url: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            vcs_reference: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
        })
    })
    .map_err(db("layers"))?
    .collect::<std::result::Result<Vec<_>, _>>()
    .map_err(db("layers"))
}

const LAYER_REF: &str = "lv.id, l.name, l.vcs_url, CASE WHEN coalesce(lv.\"commit\", '') != '' THEN lv.\"commit\" ELSE lv.branch END";

/// The layers `lv` depends on, directly or through others (20 levels at most, as
/// Toaster's `get_alldeps`), that the project does not have yet, by name: what adding
/// `lv` offers to add too.
pub fn missing_dependencies(conn: &Connection, pid: i64, lv: i64) -> Result<Vec<LayerRef>> {
    layer_refs(
        conn,
        &format!(
            "WITH RECURSIVE deps(id, depth) AS ( \
               SELECT depends_on_id, 1 FROM orm_layerversiondependency WHERE layer_version_id = ?1 \
               UNION SELECT x.depends_on_id, d.depth + 1 FROM orm_layerversiondependency x JOIN deps d ON x.layer_version_id = d.id WHERE d.depth < 20) \
             SELECT DISTINCT {LAYER_REF} FROM orm_layer_version lv JOIN orm_layer l ON l.id = lv.layer_id \
             WHERE lv.id IN (SELECT id FROM deps) AND lv.id != ?1 \
             AND lv.id NOT IN (SELECT layercommit_id FROM orm_projectlayer WHERE project_id = ?2) ORDER BY l.name, lv.id"
        ),
        &[&lv, &pid],
    )
}

/// The project's layers that depend on `lv` (directly): what removing `lv` leaves
/// without a layer they need.
pub fn dependents_in_project(conn: &Connection, pid: i64, lv: i64) -> Result<Vec<LayerRef>> {
    layer_refs(
        conn,
        &format!(
            "SELECT {LAYER_REF} FROM orm_projectlayer pl JOIN orm_layer_version lv ON lv.id = pl.layercommit_id JOIN orm_layer l ON l.id = lv.layer_id \
             WHERE pl.project_id = ?2 AND lv.id != ?1 \
             AND EXISTS (SELECT 1 FROM orm_layerversiondependency x WHERE x.layer_version_id = lv.id AND x.depends_on_id = ?1) ORDER BY l.name"
        ),
        &[&lv, &pid],
    )
}

/// What a release change does to a project's layers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseChange {
    /// Project layers with no layer of the same name in the new release: removed.
    pub lost: Vec<LayerRef>,
    /// Catalog layers replaced by their version in the new release: (old, new).
    pub replaced: Vec<(i64, i64)>,
}

/// What changing the project's release to `release` does to its layers (layers the
/// project imported stay as they are). Toaster's `xhr_testreleasechange`.
pub fn release_change(conn: &Connection, pid: i64, release: i64) -> Result<ReleaseChange> {
    let known: i64 = conn
        .query_row(
            "SELECT count(*) FROM orm_release WHERE id = ?1",
            [release],
            |r| r.get(0),
        )
        .map_err(db("release"))?;
    if known == 0 {
        return Err(invalid(format!("release {release} does not exist")));
    }
    project_exists(conn, pid)?;
    let same = |x: &str| {
        format!(
            "(SELECT n.id FROM orm_layer_version n JOIN orm_layer nl ON nl.id = n.layer_id \
              WHERE nl.name = l.name AND n.release_id = ?2 AND n.build_id IS NULL AND n.project_id IS NULL ORDER BY n.id LIMIT 1) {x}"
        )
    };
    let lost = layer_refs(
        conn,
        &format!(
            "SELECT {LAYER_REF} FROM orm_projectlayer pl JOIN orm_layer_version lv ON lv.id = pl.layercommit_id JOIN orm_layer l ON l.id = lv.layer_id \
             WHERE pl.project_id = ?1 AND lv.project_id IS NULL AND {} ORDER BY l.name",
            same("IS NULL")
        ),
        &[&pid, &release],
    )?;
    let mut st = conn
        .prepare(&format!(
            "SELECT lv.id, {} FROM orm_projectlayer pl JOIN orm_layer_version lv ON lv.id = pl.layercommit_id JOIN orm_layer l ON l.id = lv.layer_id \
             WHERE pl.project_id = ?1 AND lv.project_id IS NULL ORDER BY l.name",
            same("")
        ))
        .map_err(db("release change"))?;
    let moved = st
        .query_map(params![pid, release], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
        })
        .map_err(db("release change"))?
        .filter_map(|r| match r {
            Ok((old, Some(new))) if old != new => Some(Ok((old, new))),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(db("release change"))?;
    Ok(ReleaseChange {
        lost,
        replaced: moved,
    })
}

/// Changes the project's release: catalog layers become their version of `release`
/// (those it has none of are removed), imported layers stay. Returns the removed
/// layers.
pub fn change_release(conn: &Connection, pid: i64, release: i64) -> Result<Vec<LayerRef>> {
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)
        .map_err(db("begin release change"))?;
    let ReleaseChange { lost, replaced } = release_change(&tx, pid, release)?;
    for l in &lost {
        tx.execute(
            "DELETE FROM orm_projectlayer WHERE project_id = ?1 AND layercommit_id = ?2",
            params![pid, l.id],
        )
        .map_err(db("remove a layer"))?;
    }
    for (old, new) in &replaced {
        tx.execute(
            "DELETE FROM orm_projectlayer WHERE project_id = ?1 AND layercommit_id = ?2",
            params![pid, old],
        )
        .map_err(db("replace a layer"))?;
        tx.execute(
            "INSERT OR IGNORE INTO orm_projectlayer (project_id, layercommit_id, optional) VALUES (?1, ?2, 1)",
            params![pid, new],
        )
        .map_err(db("replace a layer"))?;
    }
    // Imported layers follow the project's release.
    tx.execute(
        "UPDATE orm_layer_version SET release_id = ?2 WHERE project_id = ?1 AND build_id IS NULL",
        params![pid, release],
    )
    .map_err(db("imported layers"))?;
    tx.execute(
        "UPDATE orm_project SET release_id = ?2, bitbake_version_id = (SELECT bitbake_version_id FROM orm_release WHERE id = ?2) WHERE id = ?1",
        params![pid, release],
    )
    .map_err(db("change the release"))?;
    touch(&tx, pid)?;
    tx.commit().map_err(db("commit release change"))?;
    Ok(lost)
}

/// Changes to a layer the project imported (Toaster's `xhr_layer` POST); `None`
/// leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct LayerEdit {
    /// Git repository.
    pub vcs_url: Option<String>,
    /// Subdirectory in the repository.
    pub subdir: Option<String>,
    /// Revision.
    pub revision: Option<String>,
    /// Local directory.
    pub local_dir: Option<String>,
    /// Summary.
    pub summary: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// A layer version to depend on.
    pub add_dep: Option<i64>,
    /// A dependency to drop.
    pub rm_dep: Option<i64>,
}

/// Edits a layer the project imported (catalog layers cannot be edited, as in Toaster);
/// every value checked as at import.
pub fn edit_imported_layer(conn: &Connection, pid: i64, lv: i64, e: &LayerEdit) -> Result<()> {
    let row: Option<(i64, Option<String>)> = conn
        .query_row(
            "SELECT lv.layer_id, l.vcs_url FROM orm_layer_version lv JOIN orm_layer l ON l.id = lv.layer_id \
             WHERE lv.id = ?1 AND lv.project_id = ?2 AND lv.build_id IS NULL AND lv.layer_source = ?3",
            params![lv, pid, LayerSource::Imported as i64],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db("find the imported layer"))?;
    let Some((layer, old_url)) = row else {
        return Err(invalid(format!(
            "layer version {lv} is not a layer project {pid} imported: only imported layers can be edited"
        )));
    };
    let is_git = match &e.vcs_url {
        Some(u) => !u.trim().is_empty(),
        None => old_url.is_some_and(|u| !u.is_empty()),
    };
    if let Some(u) = &e.vcs_url
        && !u.trim().is_empty()
    {
        check_git_url(u.trim())?;
    }
    if let Some(d) = &e.subdir
        && !d.trim().is_empty()
    {
        check_subdir(d.trim())?;
    }
    if let Some(r) = &e.revision {
        check_revision(r.trim())?;
    }
    if let Some(d) = &e.local_dir {
        let d = d.trim();
        if !is_git
            && (!std::path::Path::new(d).is_absolute() || d.contains("/../") || d.ends_with("/.."))
        {
            return Err(invalid(format!(
                "`{d}`: a local layer is an absolute directory path"
            )));
        }
    }
    if let Some(dep) = e.add_dep
        && (dep == lv || !compatible(conn, pid, dep)?)
    {
        return Err(invalid(format!(
            "dependency {dep} is not a compatible layer"
        )));
    }
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)
        .map_err(db("begin edit layer"))?;
    let text = |v: &Option<String>| v.as_ref().map(|x| x.trim().to_owned());
    tx.execute(
        "UPDATE orm_layer SET vcs_url = CASE WHEN ?2 IS NULL THEN vcs_url WHEN ?2 = '' THEN NULL ELSE ?2 END, \
         local_source_dir = CASE WHEN ?3 IS NULL THEN local_source_dir WHEN ?3 = '' THEN NULL ELSE ?3 END, \
         summary = coalesce(?4, summary), description = coalesce(?5, description), up_date = ?6 WHERE id = ?1",
        params![layer, text(&e.vcs_url), text(&e.local_dir), e.summary, e.description, now()],
    )
    .map_err(db("edit the layer"))?;
    tx.execute(
        "UPDATE orm_layer_version SET dirpath = coalesce(?2, dirpath), \
         branch = coalesce(?3, branch), \"commit\" = coalesce(?3, \"commit\"), up_date = ?4 WHERE id = ?1",
        params![lv, text(&e.subdir), text(&e.revision), now()],
    )
    .map_err(db("edit the layer version"))?;
    if let Some(dep) = e.add_dep {
        tx.execute(
            "INSERT INTO orm_layerversiondependency (layer_version_id, depends_on_id) \
             SELECT ?1, ?2 WHERE NOT EXISTS (SELECT 1 FROM orm_layerversiondependency WHERE layer_version_id = ?1 AND depends_on_id = ?2)",
            params![lv, dep],
        )
        .map_err(db("add a dependency"))?;
    }
    if let Some(dep) = e.rm_dep {
        tx.execute(
            "DELETE FROM orm_layerversiondependency WHERE layer_version_id = ?1 AND depends_on_id = ?2",
            params![lv, dep],
        )
        .map_err(db("remove a dependency"))?;
    }
    touch(&tx, pid)?;
    tx.commit().map_err(db("commit edit layer"))
}

/// Checks a layer's git URL: one of the schemes git fetches from without running a
/// program of the URL's choosing (no `ext::`, no option-like value, no whitespace).
pub fn check_git_url(url: &str) -> Result<()> {
    let ok_scheme = ["https://", "http://", "git://", "ssh://", "file:///"]
        .iter()
        .any(|s| url.starts_with(s));
    if !ok_scheme || url.chars().any(|c| c.is_whitespace() || c.is_control()) || url.contains("::")
    {
        return Err(invalid(format!(
            "`{url}` is not a git URL this site fetches (https://, http://, git://, ssh:// or file:///)"
        )));
    }
    Ok(())
}

/// Checks a git revision (a branch, tag or commit; never an option).
pub fn check_revision(rev: &str) -> Result<()> {
    if rev.is_empty()
        || rev.starts_with('-')
        || rev.contains("..")
        || !rev
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
    {
        return Err(invalid(format!("`{rev}` is not a git revision")));
    }
    Ok(())
}

/// Checks a subdirectory inside a repository: relative, no `..`.
pub fn check_subdir(dir: &str) -> Result<()> {
    let p = std::path::Path::new(dir);
    if p.is_absolute()
        || p.components().any(|c| {
            !matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
        || dir.chars().any(char::is_control)
    {
        return Err(invalid(format!(
            "`{dir}`: a layer's subdirectory is a relative path inside its repository"
        )));
    }
    Ok(())
}

/// A layer to import into a project.
#[derive(Debug, Clone, Default)]
pub struct ImportLayer {
    /// Its name.
    pub name: String,
    /// Git repository (empty: a local directory).
    pub vcs_url: String,
    /// Subdirectory in the repository.
    pub subdir: String,
    /// Revision.
    pub revision: String,
    /// Local directory (when not from git).
    pub local_dir: String,
    /// Summary.
    pub summary: String,
    /// Layer versions it depends on (added to the project too).
    pub dependencies: Vec<i64>,
}

/// Imports a layer into `pid` (a layer version owned by the project, layer source
/// "imported"), adds it and its dependencies to the project. Returns the layer version.
pub fn import_layer(conn: &Connection, pid: i64, l: &ImportLayer) -> Result<i64> {
    project_exists(conn, pid)?;
    let name = l.name.trim();
    if name.is_empty()
        || name.len() > 100
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(invalid(format!(
            "`{name}` is not a layer name (letters, digits, _ - . only)"
        )));
    }
    let (vcs_url, local) = if l.vcs_url.is_empty() {
        let d = l.local_dir.trim();
        if !std::path::Path::new(d).is_absolute() || d.contains("/../") || d.ends_with("/..") {
            return Err(invalid(format!(
                "`{d}`: a local layer is an absolute directory path"
            )));
        }
        (None, Some(d.to_owned()))
    } else {
        check_git_url(&l.vcs_url)?;
        (Some(l.vcs_url.clone()), None)
    };
    if !l.subdir.is_empty() {
        check_subdir(&l.subdir)?;
    }
    let revision = if l.revision.is_empty() && vcs_url.is_some() {
        "HEAD".to_owned()
    } else {
        l.revision.clone()
    };
    if !revision.is_empty() {
        check_revision(&revision)?;
    }
    let exists: i64 = conn
        .query_row(
            "SELECT count(*) FROM orm_layer_version lv JOIN orm_layer l ON l.id = lv.layer_id, orm_project p \
             WHERE p.id = ?1 AND l.name = ?2 AND lv.build_id IS NULL AND ((lv.project_id IS NULL AND lv.release_id IS p.release_id) OR lv.project_id = ?1)",
            params![pid, name],
            |r| r.get(0),
        )
        .map_err(db("layer names"))?;
    if exists > 0 {
        return Err(invalid(format!(
            "a layer called `{name}` is already compatible with this project"
        )));
    }
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)
        .map_err(db("begin import layer"))?;
    tx.execute(
        "INSERT INTO orm_layer (name, vcs_url, local_source_dir, summary, up_date) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![name, vcs_url, local, l.summary, now()],
    )
    .map_err(db("import the layer"))?;
    let layer = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO orm_layer_version (layer_id, project_id, release_id, layer_source, branch, \"commit\", dirpath, local_path, up_date) \
         SELECT ?1, ?2, release_id, ?3, ?4, ?4, ?5, coalesce(?6, '/'), ?7 FROM orm_project WHERE id = ?2",
        params![layer, pid, LayerSource::Imported as i64, revision, l.subdir, local, now()],
    )
    .map_err(db("import the layer version"))?;
    let lv = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO orm_projectlayer (project_id, layercommit_id, optional) VALUES (?1, ?2, 1)",
        params![pid, lv],
    )
    .map_err(db("add the layer"))?;
    for &dep in &l.dependencies {
        if !compatible(&tx, pid, dep)? {
            return Err(invalid(format!(
                "dependency {dep} is not a compatible layer"
            )));
        }
        tx.execute(
            "INSERT INTO orm_layerversiondependency (layer_version_id, depends_on_id) VALUES (?1, ?2)",
            params![lv, dep],
        )
        .map_err(db("layer dependency"))?;
        tx.execute(
            "INSERT OR IGNORE INTO orm_projectlayer (project_id, layercommit_id, optional) VALUES (?1, ?2, 1)",
            params![pid, dep],
        )
        .map_err(db("add a dependency"))?;
    }
    tx.commit().map_err(db("commit import layer"))?;
    Ok(lv)
}

/// Deletes a layer the project imported (its version, and the layer when nothing else
/// uses it); catalog layers are only removed from projects.
pub fn delete_imported_layer(conn: &Connection, pid: i64, lv: i64) -> Result<()> {
    let layer: Option<i64> = conn
        .query_row(
            "SELECT layer_id FROM orm_layer_version WHERE id = ?1 AND project_id = ?2 AND build_id IS NULL",
            params![lv, pid],
            |r| r.get(0),
        )
        .optional()
        .map_err(db("find the imported layer"))?;
    let Some(layer) = layer else {
        return Err(invalid(format!(
            "layer version {lv} was not imported by project {pid}"
        )));
    };
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)
        .map_err(db("begin delete layer"))?;
    tx.execute("DELETE FROM orm_layer_version WHERE id = ?1", [lv])
        .map_err(db("delete the layer version"))?;
    tx.execute(
        "DELETE FROM orm_layer WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM orm_layer_version WHERE layer_id = ?1)",
        [layer],
    )
    .map_err(db("delete the layer"))?;
    tx.commit().map_err(db("commit delete layer"))?;
    touch(conn, pid)
}

/// Deletes a build request of `pid` that is not running, with its build and what the
/// build recorded.
pub fn delete_request(conn: &mut Connection, pid: i64, request: i64) -> Result<()> {
    let row: Option<(i64, Option<i64>)> = conn
        .query_row(
            "SELECT state, build_id FROM bldcontrol_buildrequest WHERE id = ?1 AND project_id = ?2",
            params![request, pid],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db("find the build request"))?;
    let Some((state, build)) = row else {
        return Err(invalid(format!(
            "build request {request} of project {pid} does not exist"
        )));
    };
    if matches!(
        bldcontrol::RequestState::from_i64(state),
        Some(bldcontrol::RequestState::InProgress | bldcontrol::RequestState::Cancelling)
    ) {
        return Err(invalid(format!(
            "build request {request} is running: cancel it first"
        )));
    }
    if let Some(b) = build {
        crate::manage::builddelete(conn, &[b])?;
    }
    conn.execute(
        "DELETE FROM bldcontrol_buildrequest WHERE id = ?1",
        [request],
    )
    .map_err(db("delete the build request"))?;
    Ok(())
}

/// Parses the build box's targets (`a b:do_task c:task`) into (target, task).
pub fn parse_targets(text: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        let (t, task) = word.split_once(':').unwrap_or((word, ""));
        let task = task.strip_prefix("do_").unwrap_or(task);
        let ok = |s: &str| {
            !s.starts_with('-')
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+'))
        };
        if t.is_empty() || !ok(t) || !ok(task) {
            return Err(invalid(format!("`{word}` is not a target (recipe[:task])")));
        }
        out.push((t.to_owned(), task.to_owned()));
    }
    if out.is_empty() {
        return Err(invalid("no target given"));
    }
    Ok(out)
}

/// Queues a build of `targets` (the build box's text). Returns (request, build).
pub fn build(conn: &Connection, pid: i64, targets: &str) -> Result<(i64, i64)> {
    let t = parse_targets(targets)?;
    bldcontrol::schedule_build(conn, pid, &t)
}

/// The value of the last plain assignment (`=`, `?=`, `??=`, `:=`) of `name` in a
/// configuration file's text, with continuation lines joined; None when there is none.
fn conf_value(text: &str, name: &str) -> Option<String> {
    let joined = text.replace("\\\n", " ");
    let mut out = None;
    for line in joined.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        let rest = rest.trim_start();
        let Some(rest) = ["??=", "?=", ":=", "="]
            .iter()
            .find_map(|op| rest.strip_prefix(op))
        else {
            continue;
        };
        let rest = rest.trim();
        let q = rest.chars().next()?;
        if q != '"' && q != '\'' {
            continue;
        }
        if let Some(end) = rest[1..].rfind(q) {
            out = Some(rest[1..=end].to_owned());
        }
    }
    out
}

/// An existing build directory's configuration, as far as a project shows it: each
/// layer of its `conf/bblayers.conf` (BBLAYERS with `${TOPDIR}` expanded; words that
/// name other variables, or no layer, are left out) as a local layer of the project,
/// and MACHINE and DISTRO of its `conf/local.conf`.
fn import_build_dir(tx: &Connection, pid: i64, dir: &std::path::Path) -> Result<()> {
    let read = |f: &str| fs_err::read_to_string(dir.join("conf").join(f)).unwrap_or_default();
    let bblayers = read("bblayers.conf");
    let layers = conf_value(&bblayers, "BBLAYERS").unwrap_or_default();
    let topdir = dir.display().to_string();
    let mut names = std::collections::HashSet::new();
    for word in layers.split_whitespace() {
        let w = word.replace("${TOPDIR}", &topdir);
        if w.contains("${") {
            continue;
        }
        let Ok(path) = fs_err::canonicalize(dir.join(&w)) else {
            continue;
        };
        if !path.join("conf/layer.conf").is_file() {
            continue;
        }
        let base = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "layer".into());
        let mut name = base.clone();
        let mut n = 1;
        while !names.insert(name.clone()) {
            n += 1;
            name = format!("{base}-{n}");
        }
        let local = path.display().to_string();
        tx.execute(
            "INSERT INTO orm_layer (name, local_source_dir, summary, up_date) VALUES (?1, ?2, ?3, ?4)",
            params![name, local, "imported with the build directory", now()],
        )
        .map_err(db("import a layer of the build directory"))?;
        let layer = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO orm_layer_version (layer_id, project_id, layer_source, local_path, up_date) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![layer, pid, LayerSource::Imported as i64, local, now()],
        )
        .map_err(db("import a layer of the build directory"))?;
        tx.execute(
            "INSERT INTO orm_projectlayer (project_id, layercommit_id, optional) VALUES (?1, ?2, 0)",
            params![pid, tx.last_insert_rowid()],
        )
        .map_err(db("import a layer of the build directory"))?;
    }
    let local = read("local.conf");
    for var in ["MACHINE", "DISTRO"] {
        if let Some(v) = conf_value(&local, var).filter(|v| check_variable(var, v).is_ok()) {
            tx.execute(
                "INSERT INTO orm_projectvariable (project_id, name, value) VALUES (?1, ?2, ?3)",
                params![pid, var, v],
            )
            .map_err(db("import a variable of the build directory"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
