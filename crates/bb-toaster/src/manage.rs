//! The management commands' logic, one function per command of `toaster-manage`:
//! [`buildslist`], [`builddelete`], [`checksettings`] (with the crash recovery of
//! [`fail_stale_builds`]) and [`perf`]; `loaddata` is [`crate::fixtures::loaddata`] and
//! `migrate` is [`crate::db::migrate`]. Nothing here prints.

use rusqlite::Connection;
use serde::Serialize;

use crate::error::{Error, Result, db};
use crate::model::BuildOutcome;

/// One recorded build as `buildslist` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildLine {
    /// The build's id.
    pub id: i64,
    /// MACHINE.
    pub machine: String,
    /// DISTRO.
    pub distro: String,
    /// The targets, in the order recorded.
    pub targets: Vec<String>,
    /// The outcome's label.
    pub outcome: String,
}

impl BuildLine {
    /// Toaster's text: `ID: MACHINE DISTRO target1,target2`.
    pub fn text(&self) -> String {
        format!(
            "{}: {} {} {}",
            self.id,
            self.machine,
            self.distro,
            self.targets.join(",")
        )
    }
}

/// Every recorded build, by id.
pub fn buildslist(conn: &Connection) -> Result<Vec<BuildLine>> {
    let mut st = conn
        .prepare(
            "SELECT b.id, b.machine, b.distro, b.outcome, \
             (SELECT group_concat(target, char(31)) FROM (SELECT target FROM orm_target t WHERE t.build_id = b.id ORDER BY t.id)) \
             FROM orm_build b ORDER BY b.id",
        )
        .map_err(db("buildslist"))?;
    let rows = st
        .query_map([], |r| {
            let targets: Option<String> = r.get(4)?;
            let outcome: i64 = r.get(3)?;
            Ok(BuildLine {
                id: r.get(0)?,
                machine: r.get(1)?,
                distro: r.get(2)?,
                targets: targets
                    .map(|t| t.split('\u{1f}').map(str::to_owned).collect())
                    .unwrap_or_default(),
                outcome: BuildOutcome::from_i64(outcome)
                    .map(BuildOutcome::label)
                    .unwrap_or("")
                    .to_owned(),
            })
        })
        .map_err(db("buildslist"))?;
    rows.collect::<std::result::Result<Vec<_>, _>>()
        .map_err(db("buildslist"))
}

/// Deletes builds and everything that belongs only to them (targets and their files,
/// tasks, recipes and layer versions recorded with the build, variables and their history,
/// log messages, packages; layers no other build or project uses), in one transaction.
/// An unknown id, or a build still being recorded, is an error naming it, and nothing is
/// deleted. Then gives the freed pages back (incremental vacuum).
pub fn builddelete(conn: &mut Connection, ids: &[i64]) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db("begin builddelete"))?;
    for &id in ids {
        let exists: bool = tx
            .query_row("SELECT count(*) FROM orm_build WHERE id = ?1", [id], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n > 0)
            .map_err(db(format!("find build {id}")))?;
        if !exists {
            return Err(Error::UnknownBuild(id));
        }
        if crate::recovery::is_recording(&tx, id)? {
            return Err(Error::Invalid(format!(
                "build {id} is being recorded: it cannot be deleted until it ends"
            )));
        }
    }
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS bake_deleted_layers (id INTEGER PRIMARY KEY); DELETE FROM bake_deleted_layers;",
    )
    .map_err(db("builddelete"))?;
    for &id in ids {
        // Children first, then the build (SQLite walks large cascades slowly: each
        // deleted row would look up every table that points at it).
        const TARGETS: &str = "(SELECT id FROM orm_target WHERE build_id = ?1)";
        const TASKS: &str = "(SELECT id FROM orm_task WHERE build_id = ?1)";
        const PACKAGES: &str = "(SELECT id FROM orm_package WHERE build_id = ?1)";
        const LAYER_VERSIONS: &str = "(SELECT id FROM orm_layer_version WHERE build_id = ?1)";
        const RECIPES: &str = "(SELECT r.id FROM orm_recipe r WHERE r.layer_version_id IN (SELECT id FROM orm_layer_version WHERE build_id = ?1))";
        let stmts = [
            "DELETE FROM orm_variablehistory WHERE variable_id IN (SELECT id FROM orm_variable WHERE build_id = ?1)".to_owned(),
            "DELETE FROM orm_variable WHERE build_id = ?1".to_owned(),
            "DELETE FROM orm_helptext WHERE build_id = ?1".to_owned(),
            "DELETE FROM orm_logmessage WHERE build_id = ?1".to_owned(),
            format!("DELETE FROM orm_task_dependency WHERE task_id IN {TASKS}"),
            format!("DELETE FROM orm_task_dependency WHERE depends_on_id IN {TASKS}"),
            format!("UPDATE orm_target_file SET sym_target_id = NULL, directory_id = NULL WHERE target_id IN {TARGETS}"),
            format!("DELETE FROM orm_target_file WHERE target_id IN {TARGETS}"),
            format!("DELETE FROM orm_target_image_file WHERE target_id IN {TARGETS}"),
            format!("DELETE FROM orm_targetkernelfile WHERE target_id IN {TARGETS}"),
            format!("DELETE FROM orm_targetsdkfile WHERE target_id IN {TARGETS}"),
            format!("DELETE FROM orm_target_installed_package WHERE target_id IN {TARGETS}"),
            format!("DELETE FROM orm_package_dependency WHERE target_id IN {TARGETS}"),
            format!("DELETE FROM orm_target_installed_package WHERE package_id IN {PACKAGES}"),
            format!("DELETE FROM orm_package_file WHERE package_id IN {PACKAGES}"),
            format!("DELETE FROM orm_package_dependency WHERE package_id IN {PACKAGES}"),
            format!("DELETE FROM orm_package_dependency WHERE depends_on_id IN {PACKAGES}"),
            "DELETE FROM orm_package WHERE build_id = ?1".to_owned(),
            "DELETE FROM orm_task WHERE build_id = ?1".to_owned(),
            "DELETE FROM orm_target WHERE build_id = ?1".to_owned(),
            format!("DELETE FROM orm_recipe_dependency WHERE recipe_id IN {RECIPES}"),
            format!("DELETE FROM orm_recipe_dependency WHERE depends_on_id IN {RECIPES}"),
            format!("DELETE FROM orm_provides WHERE recipe_id IN {RECIPES}"),
            // Tasks and packages of other builds never point at this build's recipes:
            // every build records its own.
            format!("DELETE FROM orm_recipe WHERE layer_version_id IN {LAYER_VERSIONS}"),
            format!("DELETE FROM orm_machine WHERE layer_version_id IN {LAYER_VERSIONS}"),
            format!("DELETE FROM orm_distro WHERE layer_version_id IN {LAYER_VERSIONS}"),
            format!("DELETE FROM orm_layerversiondependency WHERE layer_version_id IN {LAYER_VERSIONS} OR depends_on_id IN {LAYER_VERSIONS}"),
            format!("DELETE FROM orm_projectlayer WHERE layercommit_id IN {LAYER_VERSIONS}"),
            "INSERT OR IGNORE INTO bake_deleted_layers SELECT layer_id FROM orm_layer_version WHERE build_id = ?1".to_owned(),
            "DELETE FROM orm_layer_version WHERE build_id = ?1".to_owned(),
            "DELETE FROM orm_build WHERE id = ?1".to_owned(),
        ];
        for s in &stmts {
            tx.execute(s, [id])
                .map_err(db(format!("delete build {id}")))?;
        }
    }
    // Layers that only the deleted builds used.
    tx.execute(
        "DELETE FROM orm_layer WHERE id IN (SELECT id FROM bake_deleted_layers) AND id NOT IN (SELECT layer_id FROM orm_layer_version)",
        [],
    )
    .map_err(db("delete unused layers"))?;
    tx.execute("DELETE FROM bake_deleted_layers", [])
        .map_err(db("builddelete"))?;
    tx.commit().map_err(db("commit builddelete"))?;
    crate::db::vacuum(conn)
}

pub use crate::recovery::fail_stale_builds;

/// What `checksettings` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckSettings {
    /// Fixture files loaded (first run only), in order.
    pub loaded: Vec<String>,
    /// Fixture files skipped because of CUSTOM_XML_ONLY.
    pub skipped: Vec<String>,
    /// Builds found in progress with no recorder, marked failed.
    pub failed_builds: Vec<i64>,
}

/// The fixture that plays the role of Toaster's `poky.xml`/`oe-core.xml`: bake's release
/// catalog, skipped with CUSTOM_XML_ONLY.
pub const CATALOG_FIXTURE: &str = "bake.xml";

/// openembedded-core's release catalog (Toaster's `oe-core.xml`): its current release
/// and the "local" release of local checkouts; skipped with CUSTOM_XML_ONLY.
pub const OE_CORE_FIXTURE: &str = "oe-core.xml";

/// The placeholder of the fixtures for the local openembedded-core's `meta` directory.
pub const OE_CORE_PLACEHOLDER: &str = "OE-CORE-LAYER-DIR";
/// The placeholder of the fixtures for bake's own `meta/` directory.
pub const BAKE_META_PLACEHOLDER: &str = "BAKE-META-DIR";

/// Replaces a placeholder directory of the catalog (`local_path` of layer versions,
/// `local_source_dir` of layers) by `dir`. Returns the rows changed.
pub fn patch_local_dir(conn: &Connection, placeholder: &str, dir: &str) -> Result<usize> {
    let a = conn
        .execute(
            "UPDATE orm_layer_version SET local_path = ?2 WHERE local_path = ?1",
            rusqlite::params![placeholder, dir],
        )
        .map_err(db("local layer directories"))?;
    let b = conn
        .execute(
            "UPDATE orm_layer SET local_source_dir = ?2 WHERE local_source_dir = ?1",
            rusqlite::params![placeholder, dir],
        )
        .map_err(db("local layer directories"))?;
    Ok(a + b)
}

/// `checksettings`, Toaster's first-run setup (idempotent):
/// 1. when the database holds no settings yet: loads `settings.xml` from `fixtures_dir`,
///    then, unless CUSTOM_XML_ONLY is set (the `custom_only` argument, from the
///    environment, or a `CUSTOM_XML_ONLY` setting), the release catalogs
///    ([`CATALOG_FIXTURE`], [`OE_CORE_FIXTURE`]), then `custom.xml` when present;
/// 2. makes sure exactly one DEFAULT_RELEASE setting exists;
/// 3. makes sure the project "Command line builds" exists; when created it gets the
///    `DEFCONF_<VAR>` settings as its variables and the DEFAULT_RELEASE release;
/// 4. crash recovery: builds left in progress by a recorder that is gone are marked
///    failed.
pub fn checksettings(
    conn: &mut Connection,
    fixtures_dir: &std::path::Path,
    custom_only: bool,
) -> Result<CheckSettings> {
    let mut out = CheckSettings::default();
    let settings: i64 = conn
        .query_row("SELECT count(*) FROM orm_toastersetting", [], |r| r.get(0))
        .map_err(db("count settings"))?;
    if settings == 0 {
        let f = fixtures_dir.join("settings.xml");
        crate::fixtures::loaddata(conn, &f)?;
        out.loaded.push(f.display().to_string());
        let custom_only = custom_only
            || conn
                .query_row(
                    "SELECT count(*) FROM orm_toastersetting WHERE name = 'CUSTOM_XML_ONLY'",
                    [],
                    |r| r.get::<_, i64>(0),
                )
                .map_err(db("CUSTOM_XML_ONLY"))?
                > 0;
        let catalog = fixtures_dir.join(CATALOG_FIXTURE);
        if custom_only {
            out.skipped.push(catalog.display().to_string());
        } else if catalog.exists() {
            crate::fixtures::loaddata(conn, &catalog)?;
            out.loaded.push(catalog.display().to_string());
        }
        let oe_core = fixtures_dir.join(OE_CORE_FIXTURE);
        if custom_only {
            out.skipped.push(oe_core.display().to_string());
        } else if oe_core.exists() {
            crate::fixtures::loaddata(conn, &oe_core)?;
            out.loaded.push(oe_core.display().to_string());
        }
        let custom = fixtures_dir.join("custom.xml");
        if custom.exists() {
            crate::fixtures::loaddata(conn, &custom)?;
            out.loaded.push(custom.display().to_string());
        }
    }
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db("begin checksettings"))?;
    let defaults: Vec<i64> = {
        let mut st = tx
            .prepare("SELECT id FROM orm_toastersetting WHERE name = 'DEFAULT_RELEASE' ORDER BY id")
            .map_err(db("DEFAULT_RELEASE"))?;
        st.query_map([], |r| r.get(0))
            .map_err(db("DEFAULT_RELEASE"))?
            .collect::<std::result::Result<_, _>>()
            .map_err(db("DEFAULT_RELEASE"))?
    };
    if defaults.is_empty() {
        tx.execute(
            "INSERT INTO orm_toastersetting (name, value) VALUES ('DEFAULT_RELEASE', '')",
            [],
        )
        .map_err(db("DEFAULT_RELEASE"))?;
    }
    for extra in defaults.iter().skip(1) {
        tx.execute("DELETE FROM orm_toastersetting WHERE id = ?1", [extra])
            .map_err(db("DEFAULT_RELEASE"))?;
    }
    crate::recorder::cli_project(&tx)?;
    tx.commit().map_err(db("commit checksettings"))?;
    out.failed_builds = fail_stale_builds(conn)?;
    Ok(out)
}

/// One page query timed by [`perf`].
#[derive(Debug, Clone, PartialEq)]
pub struct PageTime {
    /// The page.
    pub page: &'static str,
    /// Rows returned.
    pub rows: usize,
    /// Milliseconds.
    pub ms: f64,
}

/// `perf`: times the queries Toaster's pages run (build list, build dashboard, tasks,
/// recipes, variables) against the newest build of the database.
pub fn perf(conn: &Connection) -> Result<Vec<PageTime>> {
    let build: i64 = conn
        .query_row("SELECT coalesce(max(id), 0) FROM orm_build", [], |r| {
            r.get(0)
        })
        .map_err(db("newest build"))?;
    let pages: &[(&str, &str)] = &[
        (
            "builds (all builds, with targets and error/warning counts)",
            "SELECT b.id, b.machine, b.distro, b.outcome, b.started_on, b.completed_on, \
             (SELECT group_concat(target) FROM orm_target t WHERE t.build_id = b.id), \
             (SELECT count(*) FROM orm_logmessage m WHERE m.build_id = b.id AND m.level >= 2), \
             (SELECT count(*) FROM orm_logmessage m WHERE m.build_id = b.id AND m.level = 1) \
             FROM orm_build b WHERE ?1 >= 0 ORDER BY b.completed_on DESC LIMIT 100",
        ),
        (
            "build dashboard (outcome, task counts, messages)",
            "SELECT t.outcome, count(*), sum(t.elapsed_time) FROM orm_task t WHERE t.build_id = ?1 GROUP BY t.outcome",
        ),
        (
            "tasks (ordered, with recipe)",
            "SELECT t.\"order\", r.name, t.task_name, t.outcome, t.elapsed_time, t.cpu_time_user, t.disk_io \
             FROM orm_task t JOIN orm_recipe r ON t.recipe_id = r.id WHERE t.build_id = ?1 ORDER BY t.\"order\", r.name LIMIT 100",
        ),
        (
            "recipes (with layer and dependency counts)",
            "SELECT r.name, r.version, l.name, (SELECT count(*) FROM orm_recipe_dependency d WHERE d.recipe_id = r.id) \
             FROM orm_recipe r JOIN orm_layer_version lv ON r.layer_version_id = lv.id JOIN orm_layer l ON lv.layer_id = l.id \
             WHERE lv.build_id = ?1 ORDER BY r.name LIMIT 100",
        ),
        (
            "configuration (variables with history)",
            "SELECT v.variable_name, v.variable_value, h.file_name, h.line_number, h.operation \
             FROM orm_variable v LEFT JOIN orm_variablehistory h ON h.variable_id = v.id \
             WHERE v.build_id = ?1 ORDER BY v.variable_name LIMIT 500",
        ),
    ];
    let mut out = Vec::new();
    for (page, sql) in pages {
        let t = std::time::Instant::now();
        let mut st = conn.prepare(sql).map_err(db("perf query"))?;
        let mut rows = st.query([build]).map_err(db("perf query"))?;
        let mut n = 0;
        while rows.next().map_err(db("perf query"))?.is_some() {
            n += 1;
        }
        out.push(PageTime {
            page,
            rows: n,
            ms: t.elapsed().as_secs_f64() * 1e3,
        });
    }
    Ok(out)
}
