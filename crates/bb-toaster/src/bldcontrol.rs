//! Toaster's build queue (its `bldcontrol` app): build environments, build requests and
//! their snapshots of the project (layers, variables, targets, BitBake), request errors.
//!
//! The life of a request: [`schedule_build`] (the web interface's build button) queues it
//! with a build row in progress; [`claim_next`] (a `runbuilds` process) takes the oldest
//! queued request and a free environment in one write transaction, so that two
//! `runbuilds` processes never take the same one; [`request_error`] records a failure
//! before the build starts; the build process adopts the request's build row
//! (`adopt`, through `TOASTER_BRBE=<request>:<environment>`); [`finish`] closes the
//! request when that process ends. [`cancel`] asks for a cancel: a queued request is
//! cancelled at once, a running one goes to Cancelling and its `runbuilds` interrupts the
//! build. States only move forward, as in Toaster.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result, db};
use crate::model::{BuildOutcome, LogLevel};

/// A build request's state (Toaster's `BuildRequest.state` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(i64)]
pub enum RequestState {
    /// Being written.
    Created = 0,
    /// Waiting for a build environment.
    Queued = 1,
    /// Claimed by a `runbuilds` process.
    InProgress = 2,
    /// Failed (before or during the build).
    Failed = 3,
    /// Deleted.
    Deleted = 4,
    /// A cancel was asked for while the build runs.
    Cancelling = 5,
    /// The build ran (its outcome says how it went).
    Completed = 6,
    /// Archived.
    Archive = 7,
}

impl RequestState {
    /// The state stored as `v`.
    pub fn from_i64(v: i64) -> Option<RequestState> {
        Some(match v {
            0 => RequestState::Created,
            1 => RequestState::Queued,
            2 => RequestState::InProgress,
            3 => RequestState::Failed,
            4 => RequestState::Deleted,
            5 => RequestState::Cancelling,
            6 => RequestState::Completed,
            7 => RequestState::Archive,
            _ => return None,
        })
    }
}

/// The environment variable that links a build process to its request:
/// `<request id>:<environment id>` (Toaster's name).
pub const BRBE_VAR: &str = "TOASTER_BRBE";

fn now() -> String {
    crate::model::timestamp(std::time::SystemTime::now())
}

fn begin<'c>(conn: &'c Connection, what: &str) -> Result<rusqlite::Transaction<'c>> {
    rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)
        .map_err(db(format!("begin {what}")))
}

/// The local build environment, created when there is none (`checksettings`): its build
/// directory is `<toaster_dir>/build`, its clones go under `toaster_dir`. Returns its id.
pub fn ensure_environment(conn: &Connection, toaster_dir: &std::path::Path) -> Result<i64> {
    if let Some(id) = conn
        .query_row(
            "SELECT id FROM bldcontrol_buildenvironment ORDER BY id LIMIT 1",
            [],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        .map_err(db("find the build environment"))?
    {
        return Ok(id);
    }
    conn.execute(
        "INSERT INTO bldcontrol_buildenvironment (address, betype, sourcedir, builddir, created, updated) VALUES ('', 0, ?1, ?2, ?3, ?3)",
        params![
            toaster_dir.display().to_string(),
            toaster_dir.join("build").display().to_string(),
            now()
        ],
    )
    .map_err(db("create the build environment"))?;
    Ok(conn.last_insert_rowid())
}

/// Queues a build of `targets` (`(target, task)`, task empty for the default) for
/// `project`: a build row in progress with its targets, and the request with the
/// project's layers, variables and BitBake copied. Returns (request, build).
pub fn schedule_build(
    conn: &Connection,
    project: i64,
    targets: &[(String, String)],
) -> Result<(i64, i64)> {
    if targets.is_empty() {
        return Err(Error::Invalid("a build needs at least one target".into()));
    }
    let tx = begin(conn, "schedule a build")?;
    let row: Option<(bool, Option<i64>)> = tx
        .query_row(
            "SELECT is_default, release_id FROM orm_project WHERE id = ?1",
            [project],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db("find the project"))?;
    let Some((is_default, release)) = row else {
        return Err(Error::Invalid(format!("project {project} does not exist")));
    };
    if is_default {
        return Err(Error::Invalid(
            "builds of the command-line project are started on the command line".into(),
        ));
    }
    let var = |name: &str| -> Result<String> {
        Ok(tx
            .query_row(
                "SELECT value FROM orm_projectvariable WHERE project_id = ?1 AND name = ?2 ORDER BY id DESC LIMIT 1",
                params![project, name],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()
            .map_err(db("project variable"))?
            .flatten()
            .unwrap_or_default())
    };
    let (machine, distro) = (var("MACHINE")?, var("DISTRO")?);
    let t = now();
    tx.execute(
        "INSERT INTO orm_build (project_id, machine, distro, started_on, completed_on, outcome) VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
        params![project, machine, distro, t, BuildOutcome::InProgress as i64],
    )
    .map_err(db("create the build"))?;
    let build = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO bldcontrol_buildrequest (project_id, build_id, state, created, updated) VALUES (?1, ?2, ?3, ?4, ?4)",
        params![project, build, RequestState::Created as i64, t],
    )
    .map_err(db("create the build request"))?;
    let req = tx.last_insert_rowid();
    tx.execute(
        "DELETE FROM orm_projecttarget WHERE project_id = ?1",
        [project],
    )
    .map_err(db("project targets"))?;
    for (target, task) in targets {
        let task = task.strip_prefix("do_").unwrap_or(task);
        tx.execute(
            "INSERT INTO orm_target (build_id, target, task) VALUES (?1, ?2, ?3)",
            params![build, target, task],
        )
        .map_err(db("build target"))?;
        tx.execute(
            "INSERT INTO bldcontrol_brtarget (req_id, target, task) VALUES (?1, ?2, ?3)",
            params![req, target, task],
        )
        .map_err(db("request target"))?;
        tx.execute(
            "INSERT INTO orm_projecttarget (project_id, target, task) VALUES (?1, ?2, ?3)",
            params![project, target, task],
        )
        .map_err(db("project target"))?;
    }
    tx.execute(
        "INSERT INTO bldcontrol_brlayer (req_id, name, giturl, local_source_dir, \"commit\", dirpath, layer_version_id) \
         SELECT ?1, l.name, CASE WHEN lv.local_path NOT IN ('', '/') OR l.local_source_dir IS NOT NULL THEN NULL ELSE l.vcs_url END, \
                CASE WHEN lv.local_path NOT IN ('', '/') THEN lv.local_path ELSE l.local_source_dir END, \
                CASE WHEN lv.\"commit\" != '' THEN lv.\"commit\" ELSE lv.branch END, lv.dirpath, lv.id \
         FROM orm_projectlayer pl JOIN orm_layer_version lv ON lv.id = pl.layercommit_id JOIN orm_layer l ON l.id = lv.layer_id \
         WHERE pl.project_id = ?2 ORDER BY pl.id",
        params![req, project],
    )
    .map_err(db("request layers"))?;
    tx.execute(
        "INSERT INTO bldcontrol_brvariable (req_id, name, value) \
         SELECT ?1, name, coalesce(value, '') FROM orm_projectvariable WHERE project_id = ?2 ORDER BY id",
        params![req, project],
    )
    .map_err(db("request variables"))?;
    if let Some(release) = release {
        tx.execute(
            "INSERT INTO bldcontrol_brbitbake (req_id, giturl, \"commit\", dirpath) \
             SELECT ?1, b.giturl, b.branch, b.dirpath FROM orm_release r JOIN orm_bitbakeversion b ON b.id = r.bitbake_version_id WHERE r.id = ?2",
            params![req, release],
        )
        .map_err(db("request bitbake"))?;
    }
    tx.execute(
        "UPDATE bldcontrol_buildrequest SET state = ?2 WHERE id = ?1",
        params![req, RequestState::Queued as i64],
    )
    .map_err(db("queue the build request"))?;
    tx.execute(
        "UPDATE orm_project SET updated = ?2 WHERE id = ?1",
        params![project, t],
    )
    .map_err(db("project"))?;
    tx.commit().map_err(db("commit the build request"))?;
    Ok((req, build))
}

/// A layer of a claimed request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestLayer {
    /// The layer's name.
    pub name: String,
    /// Its git repository, when it comes from git.
    pub giturl: Option<String>,
    /// Its local directory, when it is not in git.
    pub local_source_dir: Option<String>,
    /// The revision to check out (git).
    pub commit: Option<String>,
    /// The layer's directory inside the repository.
    pub dirpath: Option<String>,
}

/// A request a `runbuilds` process claimed, with what it needs to run the build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claimed {
    /// The request.
    pub request: i64,
    /// Its build row.
    pub build: i64,
    /// The project.
    pub project: i64,
    /// The build environment locked for it.
    pub environment: i64,
    /// The environment's build directory and source directory.
    pub env_builddir: String,
    /// Where git layers are cloned.
    pub env_sourcedir: String,
    /// The project's own build directory (imported projects), else empty.
    pub project_builddir: String,
    /// The project's `merged_attr`: its settings go into the build directory's own
    /// `local.conf`/`bblayers.conf` (imported projects, or asked for at creation).
    pub merged_attr: bool,
    /// Layers, in the project's order.
    pub layers: Vec<RequestLayer>,
    /// Variables, in order.
    pub variables: Vec<(String, String)>,
    /// Targets (`target`, `task`).
    pub targets: Vec<(String, String)>,
}

/// Takes the oldest queued request and a free build environment, in one write
/// transaction (so two `runbuilds` processes never take the same request or the same
/// environment): the request goes In Progress with `runner_pid`, the environment is
/// locked, the build row is held by the runner (crash recovery sees it alive while the
/// runner is). None when nothing is queued or no environment is free.
pub fn claim_next(conn: &Connection, runner_pid: u32) -> Result<Option<Claimed>> {
    let tx = begin(conn, "claim a build request")?;
    let env: Option<(i64, String, String)> = tx
        .query_row(
            "SELECT id, builddir, sourcedir FROM bldcontrol_buildenvironment WHERE lock = 0 ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(db("find a free build environment"))?;
    let Some((env, env_builddir, env_sourcedir)) = env else {
        return Ok(None);
    };
    let req: Option<(i64, Option<i64>, i64, String, bool)> = tx
        .query_row(
            "SELECT r.id, r.build_id, r.project_id, p.builddir, p.merged_attr FROM bldcontrol_buildrequest r JOIN orm_project p ON p.id = r.project_id \
             WHERE r.state = ?1 ORDER BY r.id LIMIT 1",
            [RequestState::Queued as i64],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()
        .map_err(db("find a queued build request"))?;
    let Some((request, build, project, project_builddir, merged_attr)) = req else {
        return Ok(None);
    };
    let Some(build) = build else {
        return Err(Error::Invalid(format!(
            "build request {request} has no build row"
        )));
    };
    let pid = i64::from(runner_pid);
    tx.execute(
        "UPDATE bldcontrol_buildrequest SET state = ?2, environment_id = ?3, runner_pid = ?4, updated = ?5 WHERE id = ?1 AND state = ?6",
        params![
            request,
            RequestState::InProgress as i64,
            env,
            pid,
            now(),
            RequestState::Queued as i64
        ],
    )
    .map_err(db("claim the build request"))?;
    tx.execute(
        "UPDATE bldcontrol_buildenvironment SET lock = 2, updated = ?2 WHERE id = ?1",
        params![env, now()],
    )
    .map_err(db("lock the build environment"))?;
    tx.execute(
        "UPDATE orm_build SET recorder_pid = ?2, recorder_started = ?3, started_on = ?4 WHERE id = ?1",
        params![build, pid, crate::recovery::process_start(pid), now()],
    )
    .map_err(db("hold the build"))?;
    let layers = {
        let mut st = tx
            .prepare("SELECT name, giturl, local_source_dir, \"commit\", dirpath FROM bldcontrol_brlayer WHERE req_id = ?1 ORDER BY id")
            .map_err(db("request layers"))?;
        st.query_map([request], |r| {
            Ok(RequestLayer {
                name: r.get(0)?,
                giturl: r.get::<_, Option<String>>(1)?.filter(|s| !s.is_empty()),
                local_source_dir: r.get::<_, Option<String>>(2)?.filter(|s| !s.is_empty()),
                commit: r.get::<_, Option<String>>(3)?.filter(|s| !s.is_empty()),
                dirpath: r.get::<_, Option<String>>(4)?.filter(|s| !s.is_empty()),
            })
        })
        .map_err(db("request layers"))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(db("request layers"))?
    };
    let pairs = |sql: &str| -> Result<Vec<(String, String)>> {
        let mut st = tx.prepare(sql).map_err(db("request rows"))?;
        st.query_map([request], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            ))
        })
        .map_err(db("request rows"))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(db("request rows"))
    };
    let variables =
        pairs("SELECT name, value FROM bldcontrol_brvariable WHERE req_id = ?1 ORDER BY id")?;
    let targets =
        pairs("SELECT target, task FROM bldcontrol_brtarget WHERE req_id = ?1 ORDER BY id")?;
    tx.commit().map_err(db("commit the claim"))?;
    Ok(Some(Claimed {
        request,
        build,
        project,
        environment: env,
        env_builddir,
        env_sourcedir,
        project_builddir,
        merged_attr,
        layers,
        variables,
        targets,
    }))
}

/// Notes the build process's pid on a claimed request (what [`cancel`] interrupts).
pub fn set_build_pid(conn: &Connection, request: i64, pid: u32) -> Result<()> {
    conn.execute(
        "UPDATE bldcontrol_buildrequest SET build_pid = ?2 WHERE id = ?1",
        params![request, i64::from(pid)],
    )
    .map_err(db("note the build process"))?;
    Ok(())
}

/// A request's state (None: no such request).
pub fn state(conn: &Connection, request: i64) -> Result<Option<RequestState>> {
    Ok(conn
        .query_row(
            "SELECT state FROM bldcontrol_buildrequest WHERE id = ?1",
            [request],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        .map_err(db("request state"))?
        .and_then(RequestState::from_i64))
}

/// Records a failure of `request` before (or around) its build: a BRError row, the
/// request Failed, its build Failed with the message as an error of the build (so the
/// build's page shows it), its environment unlocked.
pub fn request_error(
    conn: &Connection,
    request: i64,
    errtype: &str,
    message: &str,
    traceback: &str,
) -> Result<()> {
    let tx = begin(conn, "record a build request error")?;
    tx.execute(
        "INSERT INTO bldcontrol_brerror (req_id, errtype, errmsg, traceback) VALUES (?1, ?2, ?3, ?4)",
        params![request, errtype, message, traceback],
    )
    .map_err(db("insert the request error"))?;
    tx.execute(
        "UPDATE bldcontrol_buildrequest SET state = ?2, updated = ?3 WHERE id = ?1",
        params![request, RequestState::Failed as i64, now()],
    )
    .map_err(db("fail the request"))?;
    let build: Option<i64> = tx
        .query_row(
            "SELECT build_id FROM bldcontrol_buildrequest WHERE id = ?1",
            [request],
            |r| r.get(0),
        )
        .optional()
        .map_err(db("the request's build"))?
        .flatten();
    if let Some(build) = build {
        tx.execute(
            "UPDATE orm_build SET outcome = ?2, completed_on = ?3 WHERE id = ?1 AND outcome = ?4",
            params![
                build,
                BuildOutcome::Failed as i64,
                now(),
                BuildOutcome::InProgress as i64
            ],
        )
        .map_err(db("fail the build"))?;
        tx.execute(
            "INSERT INTO orm_logmessage (build_id, level, message) VALUES (?1, ?2, ?3)",
            params![build, LogLevel::Error as i64, message],
        )
        .map_err(db("the build's error"))?;
    }
    unlock(&tx, request)?;
    tx.commit().map_err(db("commit the request error"))?;
    Ok(())
}

fn unlock(tx: &Connection, request: i64) -> Result<()> {
    tx.execute(
        "UPDATE bldcontrol_buildenvironment SET lock = 0, updated = ?2 WHERE id = (SELECT environment_id FROM bldcontrol_buildrequest WHERE id = ?1)",
        params![request, now()],
    )
    .map_err(db("unlock the build environment"))?;
    Ok(())
}

/// Closes a request whose build process ended (`succeeded`: it exited with success).
/// A build the process left in progress (it died before recording an outcome) is
/// failed with an error; a request being cancelled ends with its build Cancelled (the
/// outcome the build process recorded when interrupted). The environment is unlocked.
/// `note`: what to say of a build left in progress (the end of its log). Returns the
/// request's final state.
pub fn finish(
    conn: &Connection,
    request: i64,
    succeeded: bool,
    note: &str,
) -> Result<RequestState> {
    let tx = begin(conn, "close the build request")?;
    let (state, build): (i64, Option<i64>) = tx
        .query_row(
            "SELECT state, build_id FROM bldcontrol_buildrequest WHERE id = ?1",
            [request],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(db(format!("build request {request}")))?;
    let cancelling = state == RequestState::Cancelling as i64;
    if let Some(build) = build {
        let outcome: i64 = tx
            .query_row(
                "SELECT outcome FROM orm_build WHERE id = ?1",
                [build],
                |r| r.get(0),
            )
            .map_err(db("the request's build"))?;
        if outcome == BuildOutcome::InProgress as i64 {
            let o = if cancelling {
                BuildOutcome::Cancelled
            } else {
                BuildOutcome::Failed
            };
            tx.execute(
                "UPDATE orm_build SET outcome = ?2, completed_on = ?3 WHERE id = ?1",
                params![build, o as i64, now()],
            )
            .map_err(db("close the build"))?;
            if !cancelling {
                tx.execute(
                    "INSERT INTO orm_logmessage (build_id, level, message) VALUES (?1, ?2, ?3)",
                    params![
                        build,
                        LogLevel::Error as i64,
                        if note.is_empty() {
                            "the build process ended without recording an outcome"
                        } else {
                            note
                        }
                    ],
                )
                .map_err(db("the build's error"))?;
            }
        }
    }
    let end = if cancelling || succeeded {
        RequestState::Completed
    } else {
        RequestState::Failed
    };
    tx.execute(
        "UPDATE bldcontrol_buildrequest SET state = ?2, updated = ?3 WHERE id = ?1 AND state < ?2",
        params![request, end as i64, now()],
    )
    .map_err(db("close the request"))?;
    unlock(&tx, request)?;
    tx.commit().map_err(db("commit the request's end"))?;
    Ok(end)
}

/// What [`cancel`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancel {
    /// The request was queued: cancelled at once (its build Cancelled).
    Dequeued,
    /// The build runs: the request is Cancelling; its `runbuilds` interrupts it.
    Cancelling,
    /// The request had ended already.
    Finished,
}

/// Asks for `request` (of `project`) to be cancelled.
pub fn cancel(conn: &Connection, project: i64, request: i64) -> Result<Cancel> {
    let tx = begin(conn, "cancel a build request")?;
    let row: Option<(i64, Option<i64>)> = tx
        .query_row(
            "SELECT state, build_id FROM bldcontrol_buildrequest WHERE id = ?1 AND project_id = ?2",
            params![request, project],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db("find the build request"))?;
    let Some((state, build)) = row else {
        return Err(Error::Invalid(format!(
            "build request {request} of project {project} does not exist"
        )));
    };
    let out = match RequestState::from_i64(state) {
        Some(RequestState::Created | RequestState::Queued) => {
            tx.execute(
                "UPDATE bldcontrol_buildrequest SET state = ?2, updated = ?3 WHERE id = ?1",
                params![request, RequestState::Completed as i64, now()],
            )
            .map_err(db("cancel the request"))?;
            if let Some(b) = build {
                tx.execute(
                    "UPDATE orm_build SET outcome = ?2, completed_on = ?3 WHERE id = ?1 AND outcome = ?4",
                    params![
                        b,
                        BuildOutcome::Cancelled as i64,
                        now(),
                        BuildOutcome::InProgress as i64
                    ],
                )
                .map_err(db("cancel the build"))?;
            }
            Cancel::Dequeued
        }
        Some(RequestState::InProgress) => {
            tx.execute(
                "UPDATE bldcontrol_buildrequest SET state = ?2, updated = ?3 WHERE id = ?1",
                params![request, RequestState::Cancelling as i64, now()],
            )
            .map_err(db("cancel the request"))?;
            Cancel::Cancelling
        }
        Some(RequestState::Cancelling) => Cancel::Cancelling,
        _ => Cancel::Finished,
    };
    tx.commit().map_err(db("commit the cancel"))?;
    Ok(out)
}

/// The build row a build process records into when it was started for a request
/// (`TOASTER_BRBE=<request>:<environment>` in its environment, the request in
/// progress): that build is updated with what the process knows (machine, distro,
/// names, its pid for crash recovery) and its targets are cleared for the process to
/// write. Returns (build, project), or None for a command-line build.
pub(crate) fn adopt(tx: &Connection, s: &crate::BuildStart) -> Result<Option<(i64, i64)>> {
    let Some(brbe) = std::env::var_os(BRBE_VAR) else {
        return Ok(None);
    };
    let brbe = brbe.to_string_lossy();
    let Some(req) = brbe
        .split(':')
        .next()
        .and_then(|r| r.trim().parse::<i64>().ok())
    else {
        return Err(Error::Invalid(format!(
            "{BRBE_VAR}=`{brbe}`: expected <request id>:<environment id>"
        )));
    };
    let row: Option<(Option<i64>, i64, i64)> = tx
        .query_row(
            "SELECT build_id, project_id, state FROM bldcontrol_buildrequest WHERE id = ?1",
            [req],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(db("find the build request"))?;
    let Some((Some(build), project, state)) = row else {
        return Err(Error::Invalid(format!(
            "{BRBE_VAR}=`{brbe}`: no build request {req} with a build"
        )));
    };
    if state != RequestState::InProgress as i64 && state != RequestState::Cancelling as i64 {
        return Err(Error::Invalid(format!(
            "{BRBE_VAR}=`{brbe}`: build request {req} is not in progress"
        )));
    }
    let pid = i64::from(std::process::id());
    tx.execute(
        "UPDATE orm_build SET machine = ?2, distro = ?3, distro_version = ?4, cooker_log_path = ?5, build_name = ?6, \
         bitbake_version = ?7, recorder_pid = ?8, recorder_started = ?9, recipes_to_parse = ?10, recipes_parsed = ?10 WHERE id = ?1",
        params![
            build,
            s.machine,
            s.distro,
            s.distro_version,
            s.cooker_log_path,
            s.build_name,
            s.bitbake_version,
            pid,
            crate::recovery::process_start(pid),
            s.recipes_parsed.max(1)
        ],
    )
    .map_err(db("adopt the request's build"))?;
    tx.execute("DELETE FROM orm_target WHERE build_id = ?1", [build])
        .map_err(db("the request's targets"))?;
    Ok(Some((build, project)))
}

/// Crash recovery (`checksettings`): requests in progress whose `runbuilds` process is
/// gone get an error ("found in progress at startup") and fail; their environments are
/// unlocked. Returns their ids.
pub fn fail_stale_requests(conn: &Connection) -> Result<Vec<i64>> {
    let rows: Vec<(i64, Option<i64>)> = {
        let mut st = conn
            .prepare("SELECT id, runner_pid FROM bldcontrol_buildrequest WHERE state IN (?1, ?2)")
            .map_err(db("find requests in progress"))?;
        st.query_map(
            params![
                RequestState::InProgress as i64,
                RequestState::Cancelling as i64
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(db("find requests in progress"))?
        .collect::<std::result::Result<_, _>>()
        .map_err(db("find requests in progress"))?
    };
    let mut out = Vec::new();
    for (id, pid) in rows {
        let alive = pid.is_some_and(|p| crate::recovery::process_start(p).is_some());
        if !alive {
            request_error(
                conn,
                id,
                "stale",
                "found in progress at startup: the runbuilds process that ran it is gone",
                "",
            )?;
            out.push(id);
        }
    }
    Ok(out)
}

/// Notes the progress of the layer checkouts on the request's build (Toaster's
/// `repos_cloned`/`repos_to_clone`/`progress_item`: the Cloning state).
pub fn clone_progress(
    conn: &Connection,
    build: i64,
    done: usize,
    total: usize,
    item: &str,
) -> Result<()> {
    let item: String = item.chars().take(40).collect();
    conn.execute(
        "UPDATE orm_build SET repos_cloned = ?2, repos_to_clone = ?3, progress_item = ?4 WHERE id = ?1",
        params![
            build,
            i64::try_from(done).unwrap_or(i64::MAX),
            i64::try_from(total.max(1)).unwrap_or(i64::MAX),
            item
        ],
    )
    .map_err(db("clone progress"))?;
    Ok(())
}
