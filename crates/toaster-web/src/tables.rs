//! The tables of the read side, each as a [`Table`]: all builds and a project's builds,
//! projects, a build's tasks (and its time, CPU and disk I/O views), recipes, packages,
//! an image's installed packages, and the configuration variables. The SQL lives here;
//! the protocol is `table.rs`.

use rusqlite::Row;
use serde_json::json;

use crate::html::{esc, hms, link, short_time, size};
use crate::store::int;
use crate::table::{Action, Cell, Col, Filter, RowOut, Table};
use crate::urls;

/// Toaster's outcome labels of a build.
pub(crate) fn build_outcome(o: i64) -> &'static str {
    bb_toaster::model::BuildOutcome::from_i64(o)
        .map(bb_toaster::model::BuildOutcome::label)
        .unwrap_or("Unknown")
}

/// Toaster's outcome labels of a task.
pub(crate) fn task_outcome(o: i64) -> &'static str {
    bb_toaster::model::TaskOutcome::from_i64(o)
        .map(bb_toaster::model::TaskOutcome::label)
        .unwrap_or("Unknown")
}

/// Toaster's labels of `sstate_result`.
pub(crate) fn sstate(o: i64) -> &'static str {
    match o {
        0 => "Not applicable",
        1 => "File not in cache",
        2 => "Failed",
        3 => "Succeeded",
        _ => "Unknown",
    }
}

// ---- builds ---------------------------------------------------------------------------

const BUILD_SELECT: &str = "b.id, b.outcome, b.machine, b.started_on, b.completed_on, p.id, p.name, p.is_default, \
    (SELECT group_concat(t.target || CASE WHEN coalesce(t.task, '') = '' THEN '' ELSE ':' || t.task END, ' ') FROM (SELECT target, task FROM orm_target WHERE build_id = b.id ORDER BY id) t) AS target, \
    (SELECT count(*) FROM orm_logmessage m WHERE m.build_id = b.id AND m.level IN (-1, 2, 3)) AS errors_no, \
    (SELECT count(*) FROM orm_logmessage m WHERE m.build_id = b.id AND m.level = 1) AS warnings_no, \
    (SELECT count(*) FROM orm_task k WHERE k.build_id = b.id AND k.outcome = 4) AS failed_tasks, \
    (SELECT group_concat(f.id || char(31) || f.file_name, char(30)) FROM orm_target_image_file f JOIN orm_target t ON t.id = f.target_id WHERE t.build_id = b.id) AS image_files";

const BUILD_SEARCH: &[&str] = &[
    "b.machine LIKE ?",
    "b.cooker_log_path LIKE ?",
    "EXISTS (SELECT 1 FROM orm_target t WHERE t.build_id = b.id AND t.target LIKE ?)",
    "EXISTS (SELECT 1 FROM orm_target_image_file f JOIN orm_target t ON t.id = f.target_id WHERE t.build_id = b.id AND f.file_name LIKE ?)",
];

fn date_filters(name: &'static str, title: &'static str, column: &'static str) -> Filter {
    Filter {
        name,
        title,
        actions: vec![
            Action::toggle("today", "Today", format!("date({column}) = date('now')")),
            Action::toggle(
                "yesterday",
                "Yesterday",
                format!("date({column}) = date('now', '-1 day')"),
            ),
            Action::range("date_range", "Date range", column),
        ],
    }
}

fn build_filters() -> Vec<Filter> {
    vec![
        Filter {
            name: "outcome_filter",
            title: "Filter builds by outcome",
            actions: vec![
                Action::toggle("successful_builds", "Successful builds", "b.outcome = 0"),
                Action::toggle("failed_builds", "Failed builds", "b.outcome = 1"),
            ],
        },
        date_filters(
            "started_on_filter",
            "Filter by date when build was started",
            "b.started_on",
        ),
        date_filters(
            "completed_on_filter",
            "Filter by date when build was completed",
            "b.completed_on",
        ),
        Filter {
            name: "failed_tasks_filter",
            title: "Filter builds by failed tasks",
            actions: vec![
                Action::toggle(
                    "with_failed_tasks",
                    "Builds with failed tasks",
                    "EXISTS (SELECT 1 FROM orm_task k WHERE k.build_id = b.id AND k.outcome = 4)",
                ),
                Action::toggle(
                    "without_failed_tasks",
                    "Builds without failed tasks",
                    "NOT EXISTS (SELECT 1 FROM orm_task k WHERE k.build_id = b.id AND k.outcome = 4)",
                ),
            ],
        },
    ]
}

fn build_cols(with_project: bool) -> Vec<Col> {
    let mut cols = vec![
        Col::new("outcome", "Outcome", "b.outcome")
            .help("Final state of the build (successful or failed)")
            .filter("outcome_filter"),
        Col::new("target", "Recipe", "target").help("What was built (recipe or recipe:task)"),
        Col::new("machine", "Machine", "b.machine"),
        Col::new("started_on", "Started on", "b.started_on")
            .hidden()
            .filter("started_on_filter"),
        Col::new("completed_on", "Completed on", "b.completed_on").filter("completed_on_filter"),
        Col::new("failed_tasks", "Failed tasks", "failed_tasks").filter("failed_tasks_filter"),
        Col::new("errors_no", "Errors", "errors_no"),
        Col::new("warnings_no", "Warnings", "warnings_no"),
        Col::new(
            "time",
            "Time",
            "(julianday(b.completed_on) - julianday(b.started_on))",
        )
        .hidden()
        .help("How long the build took to complete"),
        Col::plain("image_files", "Image files"),
    ];
    if with_project {
        cols.push(Col::new("project", "Project", "p.name"));
    }
    cols
}

fn build_row(r: &Row<'_>, with_project: bool) -> rusqlite::Result<RowOut> {
    let id: i64 = r.get(0)?;
    let outcome: i64 = r.get(1)?;
    let machine: String = r.get(2)?;
    let started: String = r.get(3)?;
    let completed: String = r.get(4)?;
    let pid: i64 = r.get(5)?;
    let project: String = r.get(6)?;
    let cli: bool = r.get(7)?;
    let targets: Option<String> = r.get(8)?;
    let errors: i64 = r.get(9)?;
    let warnings: i64 = r.get(10)?;
    let failed: i64 = r.get(11)?;
    let images: Option<String> = r.get(12)?;
    let dash = urls::build(id);
    let label = build_outcome(outcome);
    let targets = targets.unwrap_or_default();
    let secs = match (crate::html::epoch(&started), crate::html::epoch(&completed)) {
        (Some(a), Some(b)) => b - a,
        _ => 0.0,
    };
    let mut target_html = link(&dash, &targets);
    if !cli {
        target_html.push_str(&format!(
            " <a class=\"rebuild-btn btn btn-sm\" href=\"{}\" title=\"Rebuild\">&#x21bb;</a>",
            esc(&urls::project(pid))
        ));
    }
    let failed_html = if failed > 0 {
        format!(
            "<a href=\"{}\">{failed} task{}</a>",
            esc(&format!(
                "{}?filter=task_outcome:failed",
                urls::build_page(id, "tasks/")
            )),
            if failed == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    let count_link = |n: i64, anchor: &str, class: &str| {
        if n > 0 {
            format!(
                "<a class=\"{class}\" href=\"{}#{anchor}\">{n}</a>",
                esc(&dash)
            )
        } else {
            "0".to_owned()
        }
    };
    let time_html = if outcome == 0 {
        link(&urls::build_page(id, "buildtime"), &hms(secs))
    } else {
        esc(&hms(secs))
    };
    let image_html: Vec<String> = images
        .unwrap_or_default()
        .split('\u{1e}')
        .filter_map(|f| f.split_once('\u{1f}'))
        .map(|(fid, name)| {
            let base = name.rsplit('/').next().unwrap_or(name);
            let fid: i64 = fid.parse().unwrap_or(0);
            link(&urls::artifact(id, "imagefile", fid), base)
        })
        .collect();
    let mut cells = vec![
        Cell::both(
            json!(label),
            format!(
                "<a href=\"{}\" class=\"outcome outcome-{}\">{}</a>",
                esc(&dash),
                outcome,
                esc(label)
            ),
        ),
        Cell::both(json!(targets), target_html),
        Cell::text(machine),
        Cell::both(
            json!(crate::html::iso(&started)),
            esc(&short_time(&started)),
        ),
        Cell::both(
            json!(crate::html::iso(&completed)),
            link(&dash, &short_time(&completed)),
        ),
        Cell::both(json!(failed), failed_html),
        Cell::both(json!(errors), count_link(errors, "errors", "errors-count")),
        Cell::both(
            json!(warnings),
            count_link(warnings, "warnings", "warnings-count"),
        ),
        Cell::both(json!(hms(secs)), time_html),
        Cell::html(image_html.join(" ")),
    ];
    if with_project {
        let mut h = link(&urls::project(pid), &project);
        if cli {
            h.push_str(
                " <span class=\"help-icon get-help\" title=\"Builds in this project cannot be started from Toaster: they are started from the command line\">?</span>",
            );
        }
        cells.push(Cell::both(json!(project), h));
    }
    Ok(RowOut { id, cells })
}

fn all_builds_row(r: &Row<'_>, _: i64) -> rusqlite::Result<RowOut> {
    build_row(r, true)
}

fn project_builds_row(r: &Row<'_>, _: i64) -> rusqlite::Result<RowOut> {
    build_row(r, false)
}

/// `builds/`: every finished build (not in progress, not cancelled).
pub(crate) fn all_builds() -> Table {
    Table {
        id: "allbuildstable",
        title: "All builds".into(),
        select: BUILD_SELECT,
        from:
            "FROM orm_build b JOIN orm_project p ON p.id = b.project_id WHERE b.outcome IN (0, 1)"
                .into(),
        params: vec![],
        search: BUILD_SEARCH,
        cols: build_cols(true),
        filters: build_filters(),
        default_order: "-completed_on",
        page_key: None,
        tiebreak: "b.id",
        default_limit: 10,
        default_filter: None,
        ctx: 0,
        row: all_builds_row,
    }
}

/// `project/<pid>/builds/`: the project's finished builds.
pub(crate) fn project_builds(pid: i64, name: &str) -> Table {
    Table {
        id: "projectbuildstable",
        title: format!("Builds of {name}"),
        select: BUILD_SELECT,
        from: "FROM orm_build b JOIN orm_project p ON p.id = b.project_id WHERE b.outcome IN (0, 1) AND b.project_id = ?".into(),
        params: vec![int(pid)],
        search: BUILD_SEARCH,
        cols: build_cols(false),
        filters: build_filters(),
        default_order: "-completed_on",
        page_key: None,
        tiebreak: "b.id",
        default_limit: 10,
        default_filter: None,
        ctx: pid,
        row: project_builds_row,
    }
}

// ---- projects -------------------------------------------------------------------------

const PROJECT_SELECT: &str = "p.id, p.name, p.is_default, coalesce(lb.completed_on, p.updated) AS updated, r.name, \
    (SELECT value FROM orm_projectvariable v WHERE v.project_id = p.id AND v.name = 'MACHINE' ORDER BY v.id DESC LIMIT 1), \
    (SELECT count(*) FROM orm_build x WHERE x.project_id = p.id AND x.outcome IN (0, 1)) AS builds, \
    lb.id, lb.outcome, \
    (SELECT group_concat(t.target, ' ') FROM orm_target t WHERE t.build_id = lb.id) AS target, \
    (SELECT count(*) FROM orm_logmessage m WHERE m.build_id = lb.id AND m.level IN (-1, 2, 3)) AS errors, \
    (SELECT count(*) FROM orm_logmessage m WHERE m.build_id = lb.id AND m.level = 1) AS warnings, \
    (SELECT group_concat(f.id || char(31) || f.file_name, char(30)) FROM orm_target_image_file f JOIN orm_target t ON t.id = f.target_id WHERE t.build_id = lb.id)";

fn project_row(r: &Row<'_>, _: i64) -> rusqlite::Result<RowOut> {
    let id: i64 = r.get(0)?;
    let name: String = r.get(1)?;
    let cli: bool = r.get(2)?;
    let updated: String = r.get(3)?;
    let release: Option<String> = r.get(4)?;
    let machine: Option<String> = r.get(5)?;
    let builds: i64 = r.get(6)?;
    let last: Option<i64> = r.get(7)?;
    let outcome: Option<i64> = r.get(8)?;
    let target: Option<String> = r.get(9)?;
    let errors: i64 = r.get(10)?;
    let warnings: i64 = r.get(11)?;
    let images: Option<String> = r.get(12)?;
    let home = if cli {
        urls::project_builds(id)
    } else {
        urls::project(id)
    };
    let machine = if cli {
        "Not applicable".to_owned()
    } else {
        machine.unwrap_or_default()
    };
    let release = if cli {
        "Not applicable".to_owned()
    } else {
        release.unwrap_or_default()
    };
    let (outcome_json, outcome_html) = match (last, outcome) {
        (Some(b), Some(o)) => (
            json!(build_outcome(o)),
            link(&urls::build(b), build_outcome(o)),
        ),
        _ => (json!(""), String::new()),
    };
    let image_html: Vec<String> = match last {
        Some(b) => images
            .unwrap_or_default()
            .split('\u{1e}')
            .filter_map(|f| f.split_once('\u{1f}'))
            .map(|(fid, n)| {
                link(
                    &urls::artifact(b, "imagefile", fid.parse().unwrap_or(0)),
                    n.rsplit('/').next().unwrap_or(n),
                )
            })
            .collect(),
        None => vec![],
    };
    let cells = vec![
        Cell::both(json!(name), link(&home, &name)),
        Cell::both(
            json!(crate::html::iso(&updated)),
            esc(&short_time(&updated)),
        ),
        Cell::text(release),
        Cell::both(
            json!(machine),
            format!("<span class=\"machine\">{}</span>", esc(&machine)),
        ),
        Cell::both(
            json!(builds),
            if builds > 0 {
                link(&urls::project_builds(id), &builds.to_string())
            } else {
                "0".into()
            },
        ),
        Cell::both(outcome_json, outcome_html),
        Cell::text(target.unwrap_or_default()),
        Cell::num(errors),
        Cell::num(warnings),
        Cell::html(image_html.join(" ")),
    ];
    Ok(RowOut { id, cells })
}

/// `projects/`: every project; the command-line project only when it has builds.
pub(crate) fn projects() -> Table {
    Table {
        id: "projectstable",
        title: "All projects".into(),
        select: PROJECT_SELECT,
        from: "FROM orm_project p LEFT JOIN orm_release r ON r.id = p.release_id \
               LEFT JOIN orm_build lb ON lb.id = (SELECT x.id FROM orm_build x WHERE x.project_id = p.id AND x.outcome IN (0, 1) ORDER BY x.completed_on DESC, x.id DESC LIMIT 1) \
               WHERE NOT (p.is_default AND NOT EXISTS (SELECT 1 FROM orm_build x WHERE x.project_id = p.id))"
            .into(),
        params: vec![],
        search: &["p.name LIKE ?"],
        cols: vec![
            Col::new("name", "Project", "p.name").fixed(),
            Col::new("updated", "Last activity on", "updated"),
            Col::new("release", "Release", "r.name"),
            Col::plain("machine", "Machine"),
            Col::new("number_of_builds", "Number of builds", "builds"),
            Col::plain("last_build_outcome", "Last build outcome"),
            Col::plain("recipe_name", "Recipe"),
            Col::plain("errors", "Errors"),
            Col::plain("warnings", "Warnings"),
            Col::plain("image_files", "Image files"),
        ],
        filters: vec![],
        default_order: "-updated",
        page_key: None,
        tiebreak: "p.id",
        default_limit: 10,
        default_filter: None,
        ctx: 0,
        row: project_row,
    }
}

// ---- tasks ----------------------------------------------------------------------------

/// Which view of the tasks table: Toaster's `tasks`, `buildtime`, `cputime`, `diskio`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskView {
    Tasks,
    Time,
    Cpu,
    DiskIo,
}

impl TaskView {
    pub(crate) fn title(self) -> &'static str {
        match self {
            TaskView::Tasks => "Tasks",
            TaskView::Time => "Time",
            TaskView::Cpu => "CPU usage",
            TaskView::DiskIo => "Disk I/O",
        }
    }
}

fn task_row(r: &Row<'_>, bid: i64) -> rusqlite::Result<RowOut> {
    let id: i64 = r.get(0)?;
    let order: Option<i64> = r.get(1)?;
    let name: String = r.get(2)?;
    let rid: i64 = r.get(3)?;
    let recipe: String = r.get(4)?;
    let version: String = r.get(5)?;
    let executed: bool = r.get(6)?;
    let outcome: i64 = r.get(7)?;
    let sstate_result: i64 = r.get(8)?;
    let elapsed: Option<f64> = r.get(9)?;
    let sys: Option<f64> = r.get(10)?;
    let user: Option<f64> = r.get(11)?;
    let io: Option<i64> = r.get(12)?;
    let logfile: String = r.get(13)?;
    let tu = urls::task(bid, id);
    let label = task_outcome(outcome);
    let mut outcome_html = format!(
        "<a href=\"{}\" class=\"task-outcome outcome-{outcome}\">{}</a>",
        esc(&tu),
        esc(label)
    );
    if outcome == 4 && !logfile.is_empty() {
        outcome_html.push_str(&format!(
            " <a class=\"log-download\" href=\"{}\">Download task log</a>",
            esc(&urls::artifact(bid, "tasklogfile", id))
        ));
    }
    let num = |v: Option<f64>| match v {
        Some(x) => Cell::both(json!(x), format!("{x:.2}")),
        None => Cell::both(serde_json::Value::Null, String::new()),
    };
    let cells = vec![
        Cell::both(
            json!(order),
            link(&tu, &order.map(|o| o.to_string()).unwrap_or_default()),
        ),
        Cell::both(json!(name), link(&tu, &name)),
        Cell::both(json!(recipe), link(&urls::recipe(bid, rid), &recipe)),
        Cell::text(version),
        Cell::text(if executed { "Executed" } else { "Not Executed" }),
        Cell::both(json!(label), outcome_html),
        Cell::text(sstate(sstate_result)),
        num(elapsed),
        num(sys),
        num(user),
        match io {
            Some(b) => Cell::both(json!(b), esc(&size(b))),
            None => Cell::both(serde_json::Value::Null, String::new()),
        },
    ];
    Ok(RowOut { id, cells })
}

/// `build/<bid>/tasks/` and its time, CPU and disk I/O views.
pub(crate) fn tasks(bid: i64, view: TaskView) -> Table {
    let outcomes = [
        ("succeeded", 0),
        ("covered", 1),
        ("cached", 2),
        ("prebuilt", 3),
        ("failed", 4),
        ("empty", 5),
        ("not_available", -1),
    ];
    let mut cols = vec![
        Col::new("order", "Order", "t.\"order\"").fixed(),
        Col::new("task_name", "Task", "t.task_name").fixed(),
        Col::new("recipe__name", "Recipe", "r.name").fixed(),
        Col::new("recipe__version", "Recipe version", "r.version"),
        Col::new("task_executed", "Executed", "t.task_executed").filter("execution_outcome"),
        Col::new("outcome", "Outcome", "t.outcome").filter("task_outcome"),
        Col::new("sstate_result", "Cache attempt", "t.sstate_result").filter("sstate_outcome"),
        Col::new("elapsed_time", "Time (secs)", "t.elapsed_time").hidden(),
        Col::new(
            "cpu_time_system",
            "System CPU time (secs)",
            "t.cpu_time_system",
        )
        .hidden(),
        Col::new("cpu_time_user", "User CPU time (secs)", "t.cpu_time_user").hidden(),
        Col::new("disk_io", "Disk I/O (bytes)", "t.disk_io").hidden(),
    ];
    let (default_order, shown): (&'static str, &[&str]) = match view {
        TaskView::Tasks => ("order", &[]),
        TaskView::Time => ("-elapsed_time", &["elapsed_time"]),
        TaskView::Cpu => ("-cpu_time_system", &["cpu_time_system", "cpu_time_user"]),
        TaskView::DiskIo => ("-disk_io", &["disk_io"]),
    };
    for c in &mut cols {
        if shown.contains(&c.name) {
            c.hidden = false;
            c.hideable = false;
        }
    }
    Table {
        id: "buildtaskstable",
        title: view.title().into(),
        select: "t.id, t.\"order\", t.task_name, r.id, r.name, r.version, t.task_executed, t.outcome, t.sstate_result, \
                 t.elapsed_time, t.cpu_time_system, t.cpu_time_user, t.disk_io, t.logfile",
        from: "FROM orm_task t JOIN orm_recipe r ON r.id = t.recipe_id WHERE t.build_id = ? AND t.\"order\" IS NOT NULL".into(),
        params: vec![int(bid)],
        search: &["t.task_name LIKE ?", "r.name LIKE ?", "t.\"order\" LIKE ?"],
        cols,
        filters: vec![
            Filter {
                name: "execution_outcome",
                title: "Filter tasks by 'Executed'",
                actions: vec![
                    Action::toggle("executed", "Executed tasks", "t.task_executed = 1"),
                    Action::toggle("not_executed", "Not executed tasks", "t.task_executed = 0"),
                ],
            },
            Filter {
                name: "task_outcome",
                title: "Filter tasks by outcome",
                actions: outcomes
                    .iter()
                    .map(|(n, v)| Action::toggle(n, format!("{} tasks", task_outcome(*v)), format!("t.outcome = {v}")))
                    .collect(),
            },
            Filter {
                name: "sstate_outcome",
                title: "Filter tasks by 'Cache attempt'",
                actions: [("not_applicable", 0), ("miss", 1), ("failed", 2), ("restored", 3)]
                    .iter()
                    .map(|(n, v)| Action::toggle(n, sstate(*v), format!("t.sstate_result = {v}")))
                    .collect(),
            },
        ],
        default_order,
        page_key: None,
        tiebreak: "t.id",
        default_limit: 25,
        default_filter: None,
        ctx: bid,
        row: task_row,
    }
}

// ---- recipes --------------------------------------------------------------------------

/// `id<US>name` pairs separated by RS, as links to recipe pages.
fn recipe_links(bid: i64, list: Option<String>) -> (serde_json::Value, String) {
    let list = list.unwrap_or_default();
    let items: Vec<(i64, &str)> = list
        .split('\u{1e}')
        .filter_map(|x| x.split_once('\u{1f}'))
        .map(|(i, n)| (i.parse().unwrap_or(0), n))
        .collect();
    if items.is_empty() {
        return (json!(0), String::new());
    }
    let links: Vec<String> = items
        .iter()
        .map(|(i, n)| format!("<li>{}</li>", link(&urls::recipe(bid, *i), n)))
        .collect();
    (
        json!(items.len()),
        format!(
            "<details><summary>{}</summary><ul class=\"dep-list\">{}</ul></details>",
            items.len(),
            links.concat()
        ),
    )
}

fn recipe_row(r: &Row<'_>, bid: i64) -> rusqlite::Result<RowOut> {
    let id: i64 = r.get(0)?;
    let name: String = r.get(1)?;
    let version: String = r.get(2)?;
    let deps: Option<String> = r.get(3)?;
    let rdeps: Option<String> = r.get(4)?;
    let file: String = r.get(5)?;
    let section: String = r.get(6)?;
    let license: String = r.get(7)?;
    let layer: String = r.get(8)?;
    let branch: String = r.get(9)?;
    let commit: String = r.get(10)?;
    let (dj, dh) = recipe_links(bid, deps);
    let (rj, rh) = recipe_links(bid, rdeps);
    let cells = vec![
        Cell::both(json!(name), link(&urls::recipe(bid, id), &name)),
        Cell::text(version),
        Cell::both(dj, dh),
        Cell::both(rj, rh),
        Cell::text(file),
        Cell::text(section),
        Cell::text(license),
        Cell::text(layer),
        Cell::text(branch),
        Cell::text(commit),
    ];
    Ok(RowOut { id, cells })
}

/// `build/<bid>/recipes/`: the recipes of the build's layer versions.
pub(crate) fn recipes(bid: i64) -> Table {
    Table {
        id: "builtrecipestable",
        title: "Recipes".into(),
        select: "r.id, r.name, r.version, \
            (SELECT group_concat(x.id || char(31) || x.name, char(30)) FROM orm_recipe_dependency d JOIN orm_recipe x ON x.id = d.depends_on_id WHERE d.recipe_id = r.id), \
            (SELECT group_concat(x.id || char(31) || x.name, char(30)) FROM orm_recipe_dependency d JOIN orm_recipe x ON x.id = d.recipe_id WHERE d.depends_on_id = r.id), \
            r.file_path, r.section, r.license, l.name, lv.branch, lv.\"commit\"",
        from: "FROM orm_recipe r JOIN orm_layer_version lv ON lv.id = r.layer_version_id JOIN orm_layer l ON l.id = lv.layer_id WHERE lv.build_id = ?".into(),
        params: vec![int(bid)],
        search: &["r.name LIKE ?", "r.version LIKE ?", "r.file_path LIKE ?", "r.license LIKE ?", "l.name LIKE ?"],
        cols: vec![
            Col::new("name", "Recipe", "r.name").fixed(),
            Col::new("version", "Version", "r.version").fixed(),
            Col::plain("dependencies", "Dependencies"),
            Col::plain("reverse_dependencies", "Reverse dependencies"),
            Col::new("file_path", "Recipe file", "r.file_path").hidden(),
            Col::new("section", "Section", "r.section").hidden(),
            Col::new("license", "License", "r.license"),
            Col::new("layer_version__layer__name", "Layer", "l.name"),
            Col::new("layer_version__branch", "Layer branch", "lv.branch").hidden(),
            Col::new("layer_version__commit", "Layer commit", "lv.\"commit\"").hidden(),
        ],
        filters: vec![],
        default_order: "name",
        page_key: Some("r.id"),
        tiebreak: "r.id",
        default_limit: 25,
        default_filter: None,
        ctx: bid,
        row: recipe_row,
    }
}

// ---- packages -------------------------------------------------------------------------

fn package_row(r: &Row<'_>, bid: i64) -> rusqlite::Result<RowOut> {
    let id: i64 = r.get(0)?;
    let name: String = r.get(1)?;
    let version: String = r.get(2)?;
    let revision: String = r.get(3)?;
    let sz: i64 = r.get(4)?;
    let license: String = r.get(5)?;
    let rid: Option<i64> = r.get(6)?;
    let recipe: Option<String> = r.get(7)?;
    let rversion: Option<String> = r.get(8)?;
    let layer: Option<String> = r.get(9)?;
    let branch: Option<String> = r.get(10)?;
    let commit: Option<String> = r.get(11)?;
    let v = if revision.is_empty() {
        version
    } else {
        format!("{version}-{revision}")
    };
    let recipe_cell = match (rid, &recipe) {
        (Some(i), Some(n)) => Cell::both(json!(n), link(&urls::recipe(bid, i), n)),
        _ => Cell::text(""),
    };
    let cells = vec![
        Cell::both(json!(name), link(&urls::package(bid, id), &name)),
        Cell::text(v),
        Cell::both(json!(sz), esc(&size(sz))),
        Cell::text(license),
        recipe_cell,
        Cell::text(rversion.unwrap_or_default()),
        Cell::text(layer.unwrap_or_default()),
        Cell::text(branch.unwrap_or_default()),
        Cell::text(commit.unwrap_or_default()),
    ];
    Ok(RowOut { id, cells })
}

/// `build/<bid>/packages/`: the packages the build produced (of one recipe: its
/// `recipe_packages/<rid>` page).
pub(crate) fn packages(bid: i64, recipe: Option<i64>) -> Table {
    let (from, params) = match recipe {
        Some(r) => (
            "FROM orm_package p LEFT JOIN orm_recipe r ON r.id = p.recipe_id LEFT JOIN orm_layer_version lv ON lv.id = r.layer_version_id \
             LEFT JOIN orm_layer l ON l.id = lv.layer_id WHERE p.build_id = ? AND p.size >= 0 AND p.recipe_id = ?",
            vec![int(bid), int(r)],
        ),
        None => (
            "FROM orm_package p LEFT JOIN orm_recipe r ON r.id = p.recipe_id LEFT JOIN orm_layer_version lv ON lv.id = r.layer_version_id \
             LEFT JOIN orm_layer l ON l.id = lv.layer_id WHERE p.build_id = ? AND p.size >= 0",
            vec![int(bid)],
        ),
    };
    Table {
        id: "builtpackagestable",
        title: "Packages".into(),
        select: "p.id, p.name, p.version, p.revision, p.size, p.license, r.id, r.name, r.version, l.name, lv.branch, lv.\"commit\"",
        from: from.into(),
        params,
        search: &[
            "p.name LIKE ?",
            "p.version LIKE ?",
            "p.license LIKE ?",
            "r.name LIKE ?",
        ],
        cols: vec![
            Col::new("name", "Package", "p.name").fixed(),
            Col::new("version", "Package version", "p.version"),
            Col::new("size", "Size", "p.size"),
            Col::new("license", "License", "p.license"),
            Col::new("recipe__name", "Recipe", "r.name"),
            Col::new("recipe__version", "Recipe version", "r.version").hidden(),
            Col::new("recipe__layer_version__layer__name", "Layer", "l.name").hidden(),
            Col::new("recipe__layer_version__branch", "Layer branch", "lv.branch").hidden(),
            Col::new(
                "recipe__layer_version__commit",
                "Layer commit",
                "lv.\"commit\"",
            )
            .hidden(),
        ],
        filters: vec![],
        default_order: "name",
        page_key: None,
        tiebreak: "p.id",
        default_limit: 25,
        default_filter: None,
        ctx: bid,
        row: package_row,
    }
}

fn installed_row(r: &Row<'_>, bid: i64) -> rusqlite::Result<RowOut> {
    let id: i64 = r.get(0)?;
    let name: String = r.get(1)?;
    let installed_name: String = r.get(2)?;
    let version: String = r.get(3)?;
    let revision: String = r.get(4)?;
    let sz: i64 = r.get(5)?;
    let license: String = r.get(6)?;
    let deps: i64 = r.get(7)?;
    let rdeps: i64 = r.get(8)?;
    let recipe: Option<String> = r.get(9)?;
    let layer: Option<String> = r.get(10)?;
    let mut name_html = link(&urls::package(bid, id), &name);
    if !installed_name.is_empty() && installed_name != name {
        name_html.push_str(&format!(
            " <span class=\"muted\">as {}</span>",
            esc(&installed_name)
        ));
    }
    let v = if revision.is_empty() {
        version
    } else {
        format!("{version}-{revision}")
    };
    Ok(RowOut {
        id,
        cells: vec![
            Cell::both(json!(name), name_html),
            Cell::text(v),
            Cell::both(json!(sz), esc(&size(sz))),
            Cell::text(license),
            Cell::num(deps),
            Cell::num(rdeps),
            Cell::text(recipe.unwrap_or_default()),
            Cell::text(layer.unwrap_or_default()),
        ],
    })
}

/// `build/<bid>/target/<tid>`: the packages installed in an image.
pub(crate) fn installed(bid: i64, tid: i64) -> Table {
    Table {
        id: "installedpackagestable",
        title: "Packages included".into(),
        select: "p.id, p.name, p.installed_name, p.version, p.revision, p.installed_size, p.license, \
            (SELECT count(*) FROM orm_package_dependency d WHERE d.package_id = p.id AND +d.target_id = tip.target_id AND d.dep_type = 1), \
            (SELECT count(*) FROM orm_package_dependency d WHERE d.depends_on_id = p.id AND +d.target_id = tip.target_id AND d.dep_type = 1), \
            r.name, l.name",
        from: "FROM orm_target_installed_package tip JOIN orm_package p ON p.id = tip.package_id \
               LEFT JOIN orm_recipe r ON r.id = p.recipe_id LEFT JOIN orm_layer_version lv ON lv.id = r.layer_version_id \
               LEFT JOIN orm_layer l ON l.id = lv.layer_id WHERE tip.target_id = ?"
            .into(),
        params: vec![int(tid)],
        search: &["p.name LIKE ?", "p.license LIKE ?", "r.name LIKE ?"],
        cols: vec![
            Col::new("name", "Package", "p.name").fixed(),
            Col::new("version", "Package version", "p.version"),
            Col::new("installed_size", "Size", "p.installed_size"),
            Col::new("license", "License", "p.license"),
            Col::plain("dependencies", "Dependencies"),
            Col::plain("reverse_dependencies", "Reverse dependencies"),
            Col::new("recipe__name", "Recipe", "r.name"),
            Col::new("layer", "Layer", "l.name").hidden(),
        ],
        filters: vec![],
        default_order: "name",
        page_key: Some("p.id"),
        tiebreak: "p.id",
        default_limit: 25,
        default_filter: None,
        ctx: bid,
        row: installed_row,
    }
}

// ---- configuration variables ----------------------------------------------------------

/// The file a variable was last set in.
const LAST_FILE: &str = "(SELECT h.file_name FROM orm_variablehistory h WHERE h.variable_id = v.id ORDER BY h.id DESC LIMIT 1)";

fn variable_row(r: &Row<'_>, _: i64) -> rusqlite::Result<RowOut> {
    let id: i64 = r.get(0)?;
    let name: String = r.get(1)?;
    let value: String = r.get(2)?;
    let file: Option<String> = r.get(3)?;
    let description: String = r.get(4)?;
    Ok(RowOut {
        id,
        cells: vec![
            Cell::both(
                json!(name),
                format!("<span class=\"variable-name\">{}</span>", esc(&name)),
            ),
            Cell::both(
                json!(value),
                format!("<code class=\"variable-value\">{}</code>", esc(&value)),
            ),
            Cell::text(file.unwrap_or_default()),
            Cell::text(description),
        ],
    })
}

/// `build/<bid>/configvars`: the variables of the build (not `B_*`, not `do_*`, not empty
/// without history), with the "set in file" filters; "with description" unless
/// searching or filtering.
pub(crate) fn variables(bid: i64) -> Table {
    let in_file = |pat: &str| {
        format!(
            "EXISTS (SELECT 1 FROM orm_variablehistory h WHERE h.variable_id = v.id AND h.file_name LIKE '{pat}')"
        )
    };
    Table {
        id: "variablestable",
        title: "Variables".into(),
        select: "v.id, v.variable_name, v.variable_value, (SELECT h.file_name FROM orm_variablehistory h WHERE h.variable_id = v.id ORDER BY h.id DESC LIMIT 1), v.description",
        from: "FROM orm_variable v WHERE v.build_id = ? AND v.variable_name NOT LIKE 'B\\_%' ESCAPE '\\' \
               AND v.variable_name NOT LIKE 'do\\_%' ESCAPE '\\' \
               AND NOT (v.variable_value = '' AND NOT EXISTS (SELECT 1 FROM orm_variablehistory h WHERE h.variable_id = v.id))"
            .into(),
        params: vec![int(bid)],
        search: &[
            "v.variable_name LIKE ?",
            "v.variable_value LIKE ?",
            "v.description LIKE ?",
            "EXISTS (SELECT 1 FROM orm_variablehistory h WHERE h.variable_id = v.id AND h.file_name LIKE ?)",
        ],
        cols: vec![
            Col::new("variable_name", "Variable", "v.variable_name").fixed(),
            Col::new("variable_value", "Value", "v.variable_value"),
            Col::new("file", "Set in file", LAST_FILE).filter("vhistory__file_name"),
            Col::new("description", "Description", "v.description").filter("description_filter"),
        ],
        filters: vec![
            Filter {
                name: "vhistory__file_name",
                title: "Show variables set in",
                actions: vec![
                    Action::toggle("local_conf", "local.conf", in_file("%/conf/local.conf")),
                    Action::toggle("machine_conf", "machine configuration files", in_file("%/conf/machine/%")),
                    Action::toggle("distro_conf", "distro configuration files", in_file("%/conf/distro/%")),
                    Action::toggle("layer_conf", "layer.conf", in_file("%conf/layer.conf")),
                    Action::toggle("bitbake_conf", "bitbake.conf", in_file("%/bitbake.conf")),
                ],
            },
            Filter {
                name: "description_filter",
                title: "Show variables",
                actions: vec![Action::toggle(
                    "with_description",
                    "with a description",
                    "v.description != ''",
                )],
            },
        ],
        default_order: "variable_name",
        page_key: Some("v.id"),
        tiebreak: "v.id",
        default_limit: 100,
        default_filter: Some(("description_filter", "with_description")),
        ctx: bid,
        row: variable_row,
    }
}
