//! The JSON API of the manual's §4.4 and the "most recent builds" box: `api/builds`,
//! `api/building`, `api/build/<id>`, `mostrecentbuilds`. Field names and types are a
//! contract (the tests check them): `seconds` is a string with three decimals, times are
//! ISO 8601 as Django writes them, counts are integers. Unlike Toaster, `target` names
//! every target of a build (space-separated), not only a lone one.

use std::time::SystemTime;

use serde_json::{Map, Value, json};

use crate::error::Result;
use crate::html::{epoch, hms, iso};
use crate::page::Page;
use crate::store::{Db, int};
use crate::tables::build_outcome;
use crate::urls;

/// One build as the API reads it.
struct Row {
    id: i64,
    name: String,
    machine: String,
    distro: String,
    started: String,
    completed: String,
    outcome: i64,
    project: String,
    project_id: i64,
    cli: bool,
    targets: Vec<(String, String)>,
    errors: i64,
    warnings: i64,
    parsed: i64,
    to_parse: i64,
    cloned: i64,
    to_clone: i64,
    /// Tasks with an order (started or skipped), with an outcome, and all, for a build in
    /// progress.
    ordered: i64,
    done: i64,
    total: i64,
    cooker_log: String,
    progress_item: String,
    /// The build request (runbuilds' queue) of a build started from the web: id, state.
    request: Option<(i64, i64)>,
}

const SELECT: &str = "SELECT b.id, b.build_name, b.machine, b.distro, b.started_on, b.completed_on, b.outcome, p.name, p.id, p.is_default, \
    (SELECT group_concat(t.target || char(31) || coalesce(t.task, ''), char(30)) FROM (SELECT target, task FROM orm_target WHERE build_id = b.id ORDER BY id) t), \
    (SELECT count(*) FROM orm_logmessage m WHERE m.build_id = b.id AND m.level IN (-1, 2, 3)), \
    (SELECT count(*) FROM orm_logmessage m WHERE m.build_id = b.id AND m.level = 1), \
    b.recipes_parsed, b.recipes_to_parse, b.repos_cloned, b.repos_to_clone, \
    CASE WHEN b.outcome = 2 THEN (SELECT sum(k.\"order\" IS NOT NULL) || ' ' || sum(k.outcome != -1) || ' ' || count(*) FROM orm_task k WHERE k.build_id = b.id) END, \
    b.cooker_log_path, b.progress_item, \
    (SELECT r.id || ' ' || r.state FROM bldcontrol_buildrequest r WHERE r.build_id = b.id) \
    FROM orm_build b JOIN orm_project p ON p.id = b.project_id";

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let targets: Option<String> = r.get(10)?;
    let counts: Option<String> = r.get(17)?;
    let mut c = counts
        .as_deref()
        .unwrap_or("")
        .split(' ')
        .map(|x| x.parse::<i64>().unwrap_or(0));
    Ok(Row {
        id: r.get(0)?,
        name: r.get(1)?,
        machine: r.get(2)?,
        distro: r.get(3)?,
        started: r.get(4)?,
        completed: r.get(5)?,
        outcome: r.get(6)?,
        project: r.get(7)?,
        project_id: r.get(8)?,
        cli: r.get(9)?,
        targets: targets
            .unwrap_or_default()
            .split('\u{1e}')
            .filter(|x| !x.is_empty())
            .map(|x| {
                let (t, k) = x.split_once('\u{1f}').unwrap_or((x, ""));
                (t.to_owned(), k.to_owned())
            })
            .collect(),
        errors: r.get(11)?,
        warnings: r.get(12)?,
        parsed: r.get(13)?,
        to_parse: r.get(14)?,
        cloned: r.get(15)?,
        to_clone: r.get(16)?,
        ordered: c.next().unwrap_or(0),
        done: c.next().unwrap_or(0),
        total: c.next().unwrap_or(0),
        cooker_log: r.get(18)?,
        progress_item: r.get(19)?,
        request: r.get::<_, Option<String>>(20)?.and_then(|x| {
            let (i, st) = x.split_once(' ')?;
            Some((i.parse().ok()?, st.parse().ok()?))
        }),
    })
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl Row {
    fn in_progress(&self) -> bool {
        self.outcome == 2
    }

    fn seconds(&self) -> f64 {
        let start = epoch(&self.started).unwrap_or(0.0);
        let end = if self.in_progress() {
            now()
        } else {
            epoch(&self.completed).unwrap_or(start)
        };
        (end - start).max(0.0)
    }

    fn target_text(&self) -> String {
        self.targets
            .iter()
            .map(|(t, k)| {
                if k.is_empty() {
                    t.clone()
                } else {
                    format!("{t}:{k}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The manual's build object.
    fn api(&self, with_log: bool) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("name".into(), json!(self.name));
        m.insert("machine".into(), json!(self.machine));
        m.insert("distro".into(), json!(self.distro));
        m.insert("start".into(), json!(iso(&self.started)));
        m.insert("target".into(), json!(self.target_text()));
        m.insert("project".into(), json!(self.project));
        m.insert("seconds".into(), json!(format!("{:.3}", self.seconds())));
        if self.in_progress() {
            m.insert(
                "clone".into(),
                json!(format!("{}:{}", self.cloned, self.to_clone)),
            );
            m.insert(
                "parse".into(),
                json!(format!("{}:{}", self.parsed, self.to_parse)),
            );
            m.insert(
                "task".into(),
                json!(format!("{}:{}", self.ordered, self.total)),
            );
        } else {
            m.insert("outcome".into(), json!(build_outcome(self.outcome)));
            m.insert("stop".into(), json!(iso(&self.completed)));
            m.insert("errors".into(), json!(self.errors));
            m.insert("warnings".into(), json!(self.warnings));
        }
        if with_log {
            m.insert("cooker_log".into(), json!(self.cooker_log));
        }
        Value::Object(m)
    }

    fn pct(n: i64, of: i64) -> i64 {
        if of <= 0 {
            100
        } else {
            (n * 100 / of).clamp(0, 100)
        }
    }

    fn tasks_pct(&self) -> i64 {
        if self.in_progress() {
            Self::pct(self.done, self.total.max(1))
        } else {
            100
        }
    }

    /// Toaster's `get_state`.
    fn state(&self) -> &'static str {
        // Toaster's order: a request being cancelled, then a queued one.
        match self.request.map(|(_, st)| st) {
            Some(5) if self.in_progress() => return "Cancelling",
            Some(0 | 1) if self.in_progress() => return "Queued",
            _ => {}
        }
        if !self.in_progress() {
            return build_outcome(self.outcome);
        }
        if self.cloned < self.to_clone {
            "Cloning"
        } else if self.parsed < self.to_parse {
            "Parsing"
        } else if self.done == 0 {
            "Starting"
        } else {
            "In Progress"
        }
    }

    /// An item of `mostrecentbuilds`.
    fn recent(&self, now: f64) -> Value {
        let dash = urls::build(self.id);
        let completed = epoch(&self.completed).unwrap_or(0.0);
        let completed_on = if now - completed >= 86_400.0 {
            // dd/mm/YYYY HH:MM
            let date = self.completed.get(..10).unwrap_or("");
            let mut p = date.split('-');
            let (y, m, d) = (
                p.next().unwrap_or(""),
                p.next().unwrap_or(""),
                p.next().unwrap_or(""),
            );
            format!("{d}/{m}/{y} {}", self.completed.get(11..16).unwrap_or(""))
        } else {
            self.completed.get(11..16).unwrap_or("").to_owned()
        };
        let names: Vec<String> = self
            .targets
            .iter()
            .map(|(t, k)| {
                if k.is_empty() {
                    t.clone()
                } else {
                    format!("{t}:{k}")
                }
            })
            .collect();
        let abbreviated = match names.len() {
            0 => String::new(),
            1 => names[0].clone(),
            n => format!("{} +{}", names[0], n - 1),
        };
        let buildrequest_url = format!(
            "{}/xhr_buildrequest/project/{}",
            urls::ROOT,
            self.project_id
        );
        json!({
            "id": self.id,
            "dashboard_url": dash,
            "buildrequest_id": self.request.map_or(Value::Null, |(i, _)| json!(i)),
            "recipes_parsed_percentage": Self::pct(self.parsed, self.to_parse),
            "repos_cloned_percentage": Self::pct(self.cloned, self.to_clone),
            "tasks_complete_percentage": self.tasks_pct(),
            "progress_item": self.progress_item,
            "state": self.state(),
            "errors": self.errors,
            "dashboard_errors_url": format!("{dash}#errors"),
            "warnings": self.warnings,
            "dashboard_warnings_url": format!("{dash}#warnings"),
            "buildtime": hms(self.seconds()),
            "buildtime_url": urls::build_page(self.id, "buildtime"),
            "rebuild_url": buildrequest_url,
            "cancel_url": buildrequest_url,
            "is_default_project_build": self.cli,
            "build_targets_json": self.targets.iter().map(|(t, k)| json!({"target": t, "task": k})).collect::<Vec<_>>(),
            "completed_on": completed_on,
            "targets": names.join(" "),
            "targets_abbreviated": abbreviated,
        })
    }
}

/// `api/builds`: every build not in progress, newest start first.
pub(crate) fn builds(d: &Db<'_>) -> Result<Page> {
    let rows = d.rows(
        "api builds",
        &format!("{SELECT} WHERE b.outcome != 2 ORDER BY b.started_on DESC, b.id DESC"),
        &[],
        read,
    )?;
    let list: Vec<Value> = rows.iter().map(|r| r.api(false)).collect();
    Ok(Page::Json(
        200,
        json!({"count": list.len(), "builds": list}),
    ))
}

/// `api/building`: the builds in progress.
pub(crate) fn building(d: &Db<'_>) -> Result<Page> {
    let rows = d.rows(
        "api building",
        &format!("{SELECT} WHERE b.outcome = 2 ORDER BY b.started_on DESC, b.id DESC"),
        &[],
        read,
    )?;
    let list: Vec<Value> = rows.iter().map(|r| r.api(false)).collect();
    Ok(Page::Json(
        200,
        json!({"count": list.len(), "building": list}),
    ))
}

/// `api/build/<id>`: one build with its cooker log; `{"build": null}` (404) when
/// missing.
pub(crate) fn build(d: &Db<'_>, id: i64) -> Result<Page> {
    let row = d.one(
        "api build",
        &format!("{SELECT} WHERE b.id = ?"),
        &[int(id)],
        read,
    )?;
    Ok(match row {
        Some(r) => Page::Json(200, json!({"build": r.api(true)})),
        None => Page::Json(404, json!({"build": Value::Null})),
    })
}

/// `mostrecentbuilds[?project_id=N]`: the builds in progress, then the three newest
/// finished ones.
pub(crate) fn most_recent(d: &Db<'_>, project: Option<i64>) -> Result<Page> {
    let (filter, params) = match project {
        Some(p) => (" AND b.project_id = ?", vec![int(p)]),
        None => ("", vec![]),
    };
    let mut rows = d.rows(
        "running builds",
        &format!(
            "{SELECT} WHERE b.outcome = 2{filter} ORDER BY b.started_on DESC, b.id DESC LIMIT 50"
        ),
        &params,
        read,
    )?;
    rows.extend(d.rows(
        "recent builds",
        &format!(
            "{SELECT} WHERE b.outcome != 2{filter} ORDER BY b.completed_on DESC, b.id DESC LIMIT 3"
        ),
        &params,
        read,
    )?);
    let now = now();
    Ok(Page::Json(
        200,
        Value::Array(rows.iter().map(|r| r.recent(now)).collect()),
    ))
}
