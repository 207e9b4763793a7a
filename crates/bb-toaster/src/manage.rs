//! The management commands' logic: `buildslist`, `builddelete`, crash recovery.

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::error::{Error, Result};
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

fn db(what: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |e| Error::Db {
        what: what.into(),
        source: e,
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

/// Deletes builds and everything that belongs only to them, in one transaction: an
/// unknown id is an error naming it and nothing is deleted. Then gives the freed pages
/// back (incremental vacuum).
pub fn builddelete(conn: &mut Connection, ids: &[i64]) -> Result<()> {
    let tx = conn.transaction().map_err(db("begin builddelete"))?;
    for id in ids {
        let exists: bool = tx
            .query_row("SELECT count(*) FROM orm_build WHERE id = ?1", [id], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n > 0)
            .map_err(db("find build"))?;
        if !exists {
            return Err(Error::Invalid(format!("build {id} does not exist")));
        }
        // Children first (large cascades are slow), then the build; recipes and
        // layers recorded for this build go with its layer versions.
        let stmts = [
            "DELETE FROM orm_variablehistory WHERE variable_id IN (SELECT id FROM orm_variable WHERE build_id = ?1)",
            "DELETE FROM orm_variable WHERE build_id = ?1",
            "DELETE FROM orm_logmessage WHERE build_id = ?1",
            "DELETE FROM orm_task_dependency WHERE task_id IN (SELECT id FROM orm_task WHERE build_id = ?1)",
            "DELETE FROM orm_task WHERE build_id = ?1",
            "DELETE FROM orm_package_file WHERE package_id IN (SELECT id FROM orm_package WHERE build_id = ?1)",
            "DELETE FROM orm_package_dependency WHERE package_id IN (SELECT id FROM orm_package WHERE build_id = ?1)",
            "DELETE FROM orm_package WHERE build_id = ?1",
            "DELETE FROM orm_target_file WHERE target_id IN (SELECT id FROM orm_target WHERE build_id = ?1)",
            "DELETE FROM orm_target_image_file WHERE target_id IN (SELECT id FROM orm_target WHERE build_id = ?1)",
            "DELETE FROM orm_target WHERE build_id = ?1",
            "DELETE FROM orm_helptext WHERE build_id = ?1",
            "DELETE FROM orm_recipe_dependency WHERE recipe_id IN (SELECT r.id FROM orm_recipe r JOIN orm_layer_version lv ON r.layer_version_id = lv.id WHERE lv.build_id = ?1)",
            "DELETE FROM orm_recipe WHERE layer_version_id IN (SELECT id FROM orm_layer_version WHERE build_id = ?1)",
            "CREATE TEMP TABLE IF NOT EXISTS bake_deleted_layers (id INTEGER)",
            "DELETE FROM bake_deleted_layers",
            "INSERT INTO bake_deleted_layers SELECT layer_id FROM orm_layer_version WHERE build_id = ?1",
            "DELETE FROM orm_layer_version WHERE build_id = ?1",
            "DELETE FROM orm_build WHERE id = ?1",
        ];
        for s in stmts {
            if s.contains("?1") {
                tx.execute(s, [id]).map_err(db("builddelete"))?;
            } else {
                tx.execute(s, []).map_err(db("builddelete"))?;
            }
        }
        // Layers that only this build used.
        tx.execute(
            "DELETE FROM orm_layer WHERE id IN (SELECT id FROM bake_deleted_layers) AND id NOT IN (SELECT layer_id FROM orm_layer_version)",
            [],
        )
        .map_err(db("builddelete layers"))?;
    }
    tx.commit().map_err(db("commit builddelete"))?;
    conn.execute_batch("PRAGMA incremental_vacuum")
        .map_err(db("incremental_vacuum"))?;
    Ok(())
}

/// Crash recovery (what `checksettings` and the next build do): builds still "in
/// progress" whose recording process is gone are marked failed, completed now.
/// Returns their ids.
pub fn fail_stale_builds(conn: &Connection) -> Result<Vec<i64>> {
    let mut st = conn
        .prepare("SELECT id, recorder_pid FROM orm_build WHERE outcome = ?1")
        .map_err(db("find builds in progress"))?;
    let rows: Vec<(i64, Option<i64>)> = st
        .query_map([BuildOutcome::InProgress as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .map_err(db("find builds in progress"))?
        .collect::<std::result::Result<_, _>>()
        .map_err(db("find builds in progress"))?;
    let mut stale = Vec::new();
    for (id, pid) in rows {
        let alive = pid.is_some_and(|p| {
            p != i64::from(std::process::id())
                && std::path::Path::new(&format!("/proc/{p}")).exists()
        });
        if !alive {
            conn.execute(
                "UPDATE orm_build SET outcome = ?2, completed_on = ?3 WHERE id = ?1",
                params![
                    id,
                    BuildOutcome::Failed as i64,
                    crate::model::timestamp(std::time::SystemTime::now())
                ],
            )
            .map_err(db("mark build failed"))?;
            stale.push(id);
        }
    }
    Ok(stale)
}

/// What `checksettings` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckSettings {
    /// Fixture files loaded (first run only).
    pub loaded: Vec<String>,
    /// Builds found in progress with no recorder, marked failed.
    pub failed_builds: Vec<i64>,
}

/// `checksettings`: on the first run (no settings yet) loads `settings.xml` from
/// `fixtures_dir`, then `custom.xml` when present (with `custom_only`, Toaster's
/// CUSTOM_XML_ONLY, there is no release catalog between the two to skip: bake ships
/// none); makes sure exactly one DEFAULT_RELEASE setting exists; marks builds left in
/// progress failed. Running it again changes nothing but the crash recovery.
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
        let _ = custom_only;
        for name in ["settings.xml", "custom.xml"] {
            let f = fixtures_dir.join(name);
            if name == "custom.xml" && !f.exists() {
                continue;
            }
            crate::fixtures::loaddata(conn, &f)?;
            out.loaded.push(f.display().to_string());
        }
    }
    let defaults: Vec<i64> = {
        let mut st = conn
            .prepare("SELECT id FROM orm_toastersetting WHERE name = 'DEFAULT_RELEASE' ORDER BY id")
            .map_err(db("DEFAULT_RELEASE"))?;
        st.query_map([], |r| r.get(0))
            .map_err(db("DEFAULT_RELEASE"))?
            .collect::<std::result::Result<_, _>>()
            .map_err(db("DEFAULT_RELEASE"))?
    };
    if defaults.is_empty() {
        conn.execute(
            "INSERT INTO orm_toastersetting (name, value) VALUES ('DEFAULT_RELEASE', '')",
            [],
        )
        .map_err(db("DEFAULT_RELEASE"))?;
    }
    for extra in defaults.iter().skip(1) {
        conn.execute("DELETE FROM orm_toastersetting WHERE id = ?1", [extra])
            .map_err(db("DEFAULT_RELEASE"))?;
    }
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
