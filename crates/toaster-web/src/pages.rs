//! The pages of the read side (spec §1.1-1.2): landing, the build tables, projects, the
//! build dashboard, tasks and a task, recipes and a recipe, packages and a package, an
//! image's packages and directories, the configuration and its variables, artifact
//! downloads. Each handler reads the database through the request's [`Db`] (one read
//! transaction, a handful of statements) and answers a [`Page`].

use std::collections::BTreeMap;

use minijinja::Value;
use serde_json::json;

use crate::error::{Error, Result};
use crate::html::{epoch, esc, hms, short_time, size};
use crate::page::{Page, Req, crumb, table_ctx};
use crate::store::{Db, int, text};
use crate::table::{Table, TableQuery};
use crate::tables::{self, TaskView, build_outcome, sstate, task_outcome};
use crate::timeline::{self, Bar};
use crate::urls;

fn v<T: Into<Value>>(x: T) -> Value {
    x.into()
}

fn map(pairs: Vec<(&str, Value)>) -> Value {
    let m: BTreeMap<String, Value> = pairs.into_iter().map(|(k, x)| (k.to_owned(), x)).collect();
    Value::from(m)
}

/// `/` and `landing/`: to all builds when there are builds, to all projects when there
/// are only user projects, else the welcome page.
pub(crate) fn landing(req: &Req<'_>, d: &Db<'_>) -> Result<Page> {
    let (builds, projects) = d
        .one(
            "landing",
            "SELECT EXISTS (SELECT 1 FROM orm_build), EXISTS (SELECT 1 FROM orm_project WHERE NOT is_default)",
            &[],
            |r| Ok((r.get::<_, bool>(0)?, r.get::<_, bool>(1)?)),
        )?
        .unwrap_or((false, false));
    if builds {
        return Ok(Page::Redirect(urls::builds()));
    }
    if projects {
        return Ok(Page::Redirect(urls::projects()));
    }
    req.render("landing.html", req.base("Welcome"))
}

/// Options of a table page.
struct TablePage<'a> {
    heading: String,
    title: String,
    breadcrumbs: Vec<Value>,
    sidebar: Option<Value>,
    mrb: Option<Option<i64>>,
    template: &'a str,
    extra: Vec<(&'a str, Value)>,
    timeline: Option<String>,
}

impl TablePage<'_> {
    fn new(heading: impl Into<String>) -> TablePage<'static> {
        let heading = heading.into();
        TablePage {
            title: heading.clone(),
            heading,
            breadcrumbs: vec![],
            sidebar: None,
            mrb: None,
            template: "table.html",
            extra: vec![],
            timeline: None,
        }
    }
}

/// A table request: JSON (`format=json`), filter counts (`cmd=filterinfo`) or the page.
fn table_page(req: &Req<'_>, d: &Db<'_>, t: &Table, opts: TablePage<'_>) -> Result<Page> {
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
    let mut ctx = req.base(&opts.title);
    ctx.insert("heading".into(), v(opts.heading));
    ctx.insert("breadcrumbs".into(), Value::from(opts.breadcrumbs));
    if let Some(s) = opts.sidebar {
        ctx.insert("sidebar".into(), s);
    }
    if let Some(p) = opts.mrb {
        ctx.insert("mrb".into(), v(true));
        ctx.insert(
            "mrb_project".into(),
            p.map(Value::from).unwrap_or_else(|| v("")),
        );
    }
    if let Some(svg) = opts.timeline {
        // invariant: timeline::svg escapes every text it writes.
        ctx.insert("timeline".into(), Value::from_safe_string(svg));
    }
    for (k, x) in opts.extra {
        ctx.insert(k.into(), x);
    }
    ctx.insert("table".into(), table_ctx(t, &q, &a));
    req.render(opts.template, ctx)
}

/// `builds/`.
pub(crate) fn all_builds(req: &Req<'_>, d: &Db<'_>) -> Result<Page> {
    let mut o = TablePage::new("All builds");
    o.mrb = Some(None);
    table_page(req, d, &tables::all_builds(), o)
}

/// `projects/`.
pub(crate) fn projects(req: &Req<'_>, d: &Db<'_>) -> Result<Page> {
    table_page(req, d, &tables::projects(), TablePage::new("All projects"))
}

fn project_row(d: &Db<'_>, pid: i64) -> Result<(String, bool)> {
    d.one(
        "project",
        "SELECT name, is_default FROM orm_project WHERE id = ?",
        &[int(pid)],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)),
    )?
    .ok_or_else(|| Error::NotFound(format!("Project {pid}")))
}

/// `project/<pid>/`: the command-line project is its builds; a user project (made by
/// the write side, a later issue) shows what the read side knows of it.
pub(crate) fn project(req: &Req<'_>, d: &Db<'_>, pid: i64) -> Result<Page> {
    let (name, cli) = project_row(d, pid)?;
    if cli {
        return Ok(Page::Redirect(urls::project_builds(pid)));
    }
    let mut o = TablePage::new(name.clone());
    o.breadcrumbs = vec![
        crumb("All projects", Some(&urls::projects())),
        crumb(&name, None),
    ];
    o.mrb = Some(Some(pid));
    table_page(req, d, &tables::project_builds(pid, &name), o)
}

/// `project/<pid>/builds/`.
pub(crate) fn project_builds(req: &Req<'_>, d: &Db<'_>, pid: i64) -> Result<Page> {
    let (name, _) = project_row(d, pid)?;
    let mut o = TablePage::new(format!("{name}: builds"));
    o.breadcrumbs = vec![
        crumb("All projects", Some(&urls::projects())),
        crumb(&name, None),
    ];
    o.mrb = Some(Some(pid));
    table_page(req, d, &tables::project_builds(pid, &name), o)
}

/// What every page of a build shows of it.
pub(crate) struct BuildHead {
    pub(crate) id: i64,
    pub(crate) outcome: i64,
    pub(crate) machine: String,
    pub(crate) distro: String,
    pub(crate) started: String,
    pub(crate) completed: String,
    pub(crate) project_id: i64,
    pub(crate) project: String,
    pub(crate) targets: String,
    pub(crate) cooker_log: String,
    /// Image targets: (id, name).
    pub(crate) images: Vec<(i64, String)>,
}

/// The build `bid`, or the 404.
pub(crate) fn build_head(d: &Db<'_>, bid: i64) -> Result<BuildHead> {
    d.one(
        "build",
        "SELECT b.id, b.outcome, b.machine, b.distro, b.started_on, b.completed_on, p.id, p.name, \
         (SELECT group_concat(t.target || CASE WHEN coalesce(t.task, '') = '' THEN '' ELSE ':' || t.task END, ' ') FROM (SELECT target, task FROM orm_target WHERE build_id = b.id ORDER BY id) t), \
         b.cooker_log_path, \
         (SELECT group_concat(t.id || char(31) || t.target, char(30)) FROM orm_target t WHERE t.build_id = b.id AND t.is_image) \
         FROM orm_build b JOIN orm_project p ON p.id = b.project_id WHERE b.id = ?",
        &[int(bid)],
        |r| {
            let images: Option<String> = r.get(10)?;
            Ok(BuildHead {
                id: r.get(0)?,
                outcome: r.get(1)?,
                machine: r.get(2)?,
                distro: r.get(3)?,
                started: r.get(4)?,
                completed: r.get(5)?,
                project_id: r.get(6)?,
                project: r.get(7)?,
                targets: r.get::<_, Option<String>>(8)?.unwrap_or_default(),
                cooker_log: r.get(9)?,
                images: images
                    .unwrap_or_default()
                    .split('\u{1e}')
                    .filter_map(|x| x.split_once('\u{1f}'))
                    .map(|(i, n)| (i.parse().unwrap_or(0), n.to_owned()))
                    .collect(),
            })
        },
    )?
    .ok_or_else(|| Error::NotFound(format!("Build {bid}")))
}

impl BuildHead {
    fn crumbs(&self, page: Option<&str>) -> Vec<Value> {
        let mut c = vec![
            crumb("All builds", Some(&urls::builds())),
            crumb(&self.project, Some(&urls::project(self.project_id))),
        ];
        let name = format!(
            "{} {} ({})",
            self.targets,
            self.machine,
            short_time(&self.completed)
        );
        match page {
            Some(p) => {
                c.push(crumb(&name, Some(&urls::build(self.id))));
                c.push(crumb(p, None));
            }
            None => c.push(crumb(&name, None)),
        }
        c
    }

    /// The left menu of a build's pages.
    fn sidebar(&self, id: &str, active: &str) -> Value {
        let l = |text: &str, url: String| {
            map(vec![
                ("text", v(text)),
                ("active", v(text == active)),
                ("url", v(url)),
            ])
        };
        let mut groups = Vec::new();
        if !self.images.is_empty() {
            let links: Vec<Value> = self
                .images
                .iter()
                .map(|(i, n)| l(n, urls::target(self.id, *i)))
                .collect();
            groups.push(map(vec![
                ("title", v("Images")),
                ("links", Value::from(links)),
            ]));
        }
        groups.push(map(vec![
            ("title", v("Build")),
            (
                "links",
                Value::from(vec![
                    l("Dashboard", urls::build(self.id)),
                    l("Configuration", urls::build_page(self.id, "configuration")),
                    l("Tasks", urls::build_page(self.id, "tasks/")),
                    l("Recipes", urls::build_page(self.id, "recipes/")),
                    l("Packages", urls::build_page(self.id, "packages/")),
                ]),
            ),
        ]));
        groups.push(map(vec![
            ("title", v("Performance")),
            (
                "links",
                Value::from(vec![
                    l("Time", urls::build_page(self.id, "buildtime")),
                    l("CPU usage", urls::build_page(self.id, "cputime")),
                    l("Disk I/O", urls::build_page(self.id, "diskio")),
                ]),
            ),
        ]));
        let mut actions = Vec::new();
        if !self.cooker_log.is_empty() {
            actions.push(l(
                "Download build log",
                urls::artifact(self.id, "cookerlog", self.id),
            ));
        }
        if !actions.is_empty() {
            groups.push(map(vec![
                ("title", v("Actions")),
                ("links", Value::from(actions)),
            ]));
        }
        map(vec![("id", v(id)), ("groups", Value::from(groups))])
    }

    fn seconds(&self) -> f64 {
        match (epoch(&self.started), epoch(&self.completed)) {
            (Some(a), Some(b)) => (b - a).max(0.0),
            _ => 0.0,
        }
    }
}

/// A sub-page of a build with a table.
fn build_table(
    req: &Req<'_>,
    d: &Db<'_>,
    b: &BuildHead,
    t: &Table,
    active: &str,
    timeline: Option<String>,
) -> Result<Page> {
    let mut o = TablePage::new(t.title.clone());
    o.title = format!("{} - {}", t.title, b.targets);
    o.breadcrumbs = b.crumbs(Some(&t.title));
    o.sidebar = Some(b.sidebar("build-nav", active));
    o.timeline = timeline;
    table_page(req, d, t, o)
}

/// `build/<bid>`: the dashboard.
pub(crate) fn dashboard(req: &Req<'_>, d: &Db<'_>, bid: i64) -> Result<Page> {
    let b = build_head(d, bid)?;
    struct Msg {
        id: i64,
        level: i64,
        message: String,
        task: Option<(i64, String)>,
    }
    let msgs = d.rows(
        "log messages",
        "SELECT m.id, m.level, m.message, t.id, r.name || ' ' || t.task_name FROM orm_logmessage m \
         LEFT JOIN orm_task t ON t.id = m.task_id LEFT JOIN orm_recipe r ON r.id = t.recipe_id \
         WHERE m.build_id = ? AND m.level IN (-1, 1, 2, 3) ORDER BY m.id",
        &[int(bid)],
        |r| {
            Ok(Msg {
                id: r.get(0)?,
                level: r.get(1)?,
                message: r.get(2)?,
                task: match (r.get::<_, Option<i64>>(3)?, r.get::<_, Option<String>>(4)?) {
                    (Some(i), Some(n)) => Some((i, n)),
                    _ => None,
                },
            })
        },
    )?;
    let msg_val = |m: &Msg| {
        let mut p = vec![
            ("id", v(m.id)),
            ("level", v(m.level)),
            ("message", v(m.message.as_str())),
        ];
        if let Some((t, n)) = &m.task {
            p.push(("task_url", v(urls::task(bid, *t))));
            p.push(("task", v(n.as_str())));
        }
        map(p)
    };
    let errors: Vec<Value> = msgs.iter().filter(|m| m.level != 1).map(msg_val).collect();
    let warnings: Vec<Value> = msgs.iter().filter(|m| m.level == 1).map(msg_val).collect();
    let counts = d
        .one(
            "build counts",
            "SELECT (SELECT count(*) FROM orm_task WHERE build_id = ?1 AND \"order\" IS NOT NULL), \
             (SELECT count(*) FROM orm_task WHERE build_id = ?1 AND \"order\" IS NOT NULL AND task_executed), \
             (SELECT count(*) FROM orm_task WHERE build_id = ?1 AND outcome = 4), \
             (SELECT count(*) FROM orm_recipe r JOIN orm_layer_version lv ON lv.id = r.layer_version_id WHERE lv.build_id = ?1), \
             (SELECT count(*) FROM orm_package WHERE build_id = ?1 AND size >= 0), \
             (SELECT recipes_parsed FROM orm_build WHERE id = ?1), \
             (SELECT recipes_to_parse FROM orm_build WHERE id = ?1), \
             (SELECT count(*) FROM orm_task WHERE build_id = ?1)",
            &[int(bid)],
            |r| (0..8).map(|i| r.get::<_, i64>(i)).collect::<rusqlite::Result<Vec<i64>>>(),
        )?
        .unwrap_or_default();
    let c = |i: usize| counts.get(i).copied().unwrap_or(0);
    let failed = d.rows(
        "failed tasks",
        "SELECT t.id, r.name || ' ' || t.task_name, t.logfile FROM orm_task t JOIN orm_recipe r ON r.id = t.recipe_id \
         WHERE t.build_id = ? AND t.outcome = 4 ORDER BY t.\"order\", t.id LIMIT 100",
        &[int(bid)],
        |r| {
            let id: i64 = r.get(0)?;
            let log: String = r.get(2)?;
            let mut p = vec![("url", v(urls::task(bid, id))), ("name", v(r.get::<_, String>(1)?))];
            if !log.is_empty() {
                p.push(("log_url", v(urls::artifact(bid, "tasklogfile", id))));
            }
            Ok(map(p))
        },
    )?;
    struct Target {
        id: i64,
        name: String,
        is_image: bool,
        license: Option<String>,
        package: Option<String>,
        count: i64,
        size: i64,
    }
    let targets = d.rows(
        "targets",
        "SELECT t.id, t.target || CASE WHEN coalesce(t.task, '') = '' THEN '' ELSE ':' || t.task END, t.is_image, \
         t.license_manifest_path, t.package_manifest_path, \
         (SELECT count(*) FROM orm_target_installed_package i WHERE i.target_id = t.id), \
         (SELECT coalesce(sum(p.installed_size), 0) FROM orm_target_installed_package i JOIN orm_package p ON p.id = i.package_id WHERE i.target_id = t.id) \
         FROM orm_target t WHERE t.build_id = ? ORDER BY t.id",
        &[int(bid)],
        |r| {
            Ok(Target {
                id: r.get(0)?,
                name: r.get(1)?,
                is_image: r.get(2)?,
                license: r.get(3)?,
                package: r.get(4)?,
                count: r.get(5)?,
                size: r.get(6)?,
            })
        },
    )?;
    let files = d.rows(
        "target files",
        "SELECT 'imagefile', f.target_id, f.id, f.file_name, f.file_size FROM orm_target_image_file f JOIN orm_target t ON t.id = f.target_id WHERE t.build_id = ?1 \
         UNION ALL SELECT 'targetkernelartifact', f.target_id, f.id, f.file_name, f.file_size FROM orm_targetkernelfile f JOIN orm_target t ON t.id = f.target_id WHERE t.build_id = ?1 \
         UNION ALL SELECT 'targetsdkartifact', f.target_id, f.id, f.file_name, f.file_size FROM orm_targetsdkfile f JOIN orm_target t ON t.id = f.target_id WHERE t.build_id = ?1",
        &[int(bid)],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        },
    )?;
    let target_vals: Vec<Value> = targets
        .iter()
        .map(|t| {
            let list = |kind: &str| -> Vec<Value> {
                files
                    .iter()
                    .filter(|f| f.0 == kind && f.1 == t.id)
                    .map(|f| {
                        map(vec![
                            ("name", v(f.3.rsplit('/').next().unwrap_or(&f.3))),
                            ("url", v(urls::artifact(bid, kind, f.2))),
                            ("size", v(size(f.4))),
                        ])
                    })
                    .collect()
            };
            let mut p = vec![
                ("id", v(t.id)),
                ("name", v(t.name.as_str())),
                ("is_image", v(t.is_image)),
                ("url", v(urls::target(bid, t.id))),
                ("package_count", v(t.count)),
                ("package_size", v(size(t.size))),
                ("images", Value::from(list("imagefile"))),
                ("kernel", Value::from(list("targetkernelartifact"))),
                ("sdk", Value::from(list("targetsdkartifact"))),
            ];
            if t.license.as_deref().is_some_and(|x| !x.is_empty()) {
                p.push((
                    "license_manifest_url",
                    v(urls::artifact(bid, "licensemanifest", t.id)),
                ));
            }
            if t.package.as_deref().is_some_and(|x| !x.is_empty()) {
                p.push((
                    "package_manifest_url",
                    v(urls::artifact(bid, "packagemanifest", t.id)),
                ));
            }
            map(p)
        })
        .collect();
    let layers = layers(d, bid)?;
    let mut ctx = req.base(&format!("{} {} - build dashboard", b.targets, b.machine));
    ctx.insert("breadcrumbs".into(), Value::from(b.crumbs(None)));
    if b.outcome == 0 {
        ctx.insert("sidebar".into(), b.sidebar("nav", "Dashboard"));
    }
    ctx.insert(
        "build".into(),
        map(vec![
            ("id", v(b.id)),
            ("outcome", v(b.outcome)),
            ("outcome_label", v(build_outcome(b.outcome))),
            ("machine", v(b.machine.as_str())),
            ("distro", v(b.distro.as_str())),
            ("targets_text", v(b.targets.as_str())),
            ("started", v(short_time(&b.started))),
            ("completed", v(short_time(&b.completed))),
            ("duration", v(hms(b.seconds()))),
            ("time_url", v(urls::build_page(bid, "buildtime"))),
            ("errors", v(errors.len())),
            ("warnings", v(warnings.len())),
        ]),
    );
    if b.outcome == 2 {
        // A build in progress: recipes parsed, and tasks started (or skipped) of all, as
        // `api/build/<id>` counts them (`parse`, `task`); the page polls it.
        let pct = |n: i64, of: i64| {
            if of <= 0 {
                0
            } else {
                (n * 100 / of).clamp(0, 100)
            }
        };
        ctx.insert(
            "progress".into(),
            map(vec![
                ("api_url", v(format!("{}/api/build/{bid}", urls::ROOT))),
                ("parsed", v(c(5))),
                ("to_parse", v(c(6))),
                ("parse_pct", v(pct(c(5), c(6)))),
                ("tasks_started", v(c(0))),
                ("tasks_total", v(c(7))),
                ("tasks_pct", v(pct(c(0), c(7)))),
            ]),
        );
    }
    ctx.insert(
        "show_warnings".into(),
        v(b.outcome != 0 && errors.is_empty()),
    );
    ctx.insert("errors".into(), Value::from(errors));
    ctx.insert("warnings".into(), Value::from(warnings));
    ctx.insert("targets".into(), Value::from(target_vals));
    ctx.insert("failed_tasks".into(), Value::from(failed));
    ctx.insert(
        "counts".into(),
        map(vec![
            ("tasks", v(c(0))),
            ("executed", v(c(1))),
            ("not_executed", v(c(0) - c(1))),
            ("failed", v(c(2))),
            ("recipes", v(c(3))),
            ("packages", v(c(4))),
        ]),
    );
    ctx.insert(
        "urls".into(),
        map(vec![
            ("tasks", v(urls::build_page(bid, "tasks/"))),
            ("recipes", v(urls::build_page(bid, "recipes/"))),
            ("packages", v(urls::build_page(bid, "packages/"))),
        ]),
    );
    ctx.insert("layers".into(), Value::from(layers));
    req.render("dashboard.html", ctx)
}

fn layers(d: &Db<'_>, bid: i64) -> Result<Vec<Value>> {
    d.rows(
        "layers",
        "SELECT l.name, lv.branch, lv.\"commit\", lv.local_path FROM orm_layer_version lv JOIN orm_layer l ON l.id = lv.layer_id \
         WHERE lv.build_id = ? ORDER BY lv.priority DESC, l.name, lv.id",
        &[int(bid)],
        |r| {
            Ok(map(vec![
                ("name", v(r.get::<_, String>(0)?)),
                ("branch", v(r.get::<_, String>(1)?)),
                ("commit", v(r.get::<_, String>(2)?)),
                ("path", v(r.get::<_, String>(3)?)),
            ]))
        },
    )
}

/// The bars of the timeline of a build, or of one recipe of it.
fn bars(d: &Db<'_>, bid: i64, recipe: Option<i64>) -> Result<Vec<Bar>> {
    let (sql, params) = match recipe {
        Some(r) => (
            "SELECT t.id, r.name || ':' || t.task_name, t.outcome, t.started, t.ended, t.elapsed_time FROM orm_task t JOIN orm_recipe r ON r.id = t.recipe_id \
             WHERE t.build_id = ?1 AND t.recipe_id = ?2 AND t.started IS NOT NULL",
            vec![int(bid), int(r)],
        ),
        None => (
            "SELECT t.id, r.name || ':' || t.task_name, t.outcome, t.started, t.ended, t.elapsed_time FROM orm_task t JOIN orm_recipe r ON r.id = t.recipe_id \
             WHERE t.build_id = ?1 AND t.started IS NOT NULL",
            vec![int(bid)],
        ),
    };
    // Times are parsed as the rows are read: no copy of the 10,000 timestamps of a
    // big build.
    let time = |r: &rusqlite::Row<'_>, i: usize| -> rusqlite::Result<Option<f64>> {
        Ok(r.get_ref(i)?.as_str_or_null()?.and_then(epoch))
    };
    let rows = d.rows("timeline", sql, &params, |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            time(r, 3)?,
            time(r, 4)?,
            r.get::<_, Option<f64>>(5)?,
        ))
    })?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, label, outcome, start, end, elapsed)| {
            let start = start?;
            let end = match end {
                Some(e) => e,
                None => start + elapsed?,
            };
            Some(Bar {
                label,
                task: id,
                start,
                end,
                outcome,
            })
        })
        .collect())
}

/// The timeline of build `b`; a finished build's is drawn once and kept (its tasks
/// never change; the key holds its times, so a deleted build's id reused is redrawn).
fn build_timeline(req: &Req<'_>, d: &Db<'_>, b: &BuildHead) -> Result<Option<String>> {
    let draw = || -> Result<Option<String>> {
        Ok(timeline::svg(
            bars(d, b.id, None)?,
            "build-timeline",
            &|t| urls::task(b.id, t),
        ))
    };
    if b.outcome == 2 {
        return draw();
    }
    let key = (b.id, b.started.clone(), b.completed.clone());
    let lock = || {
        req.app
            .timelines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    if let Some((_, svg)) = lock().iter().find(|(k, _)| *k == key) {
        return Ok(svg.clone());
    }
    let svg = draw()?;
    let mut cache = lock();
    if !cache.iter().any(|(k, _)| *k == key) {
        if cache.len() >= crate::page::TIMELINES {
            cache.remove(0);
        }
        cache.push((key, svg.clone()));
    }
    Ok(svg)
}

/// `build/<bid>/tasks/`, `buildtime`, `cputime`, `diskio`; the time page has the
/// timeline picture.
pub(crate) fn tasks(req: &Req<'_>, d: &Db<'_>, bid: i64, view: TaskView) -> Result<Page> {
    let b = build_head(d, bid)?;
    let t = tables::tasks(bid, view);
    let q = TableQuery::parse(&req.query);
    let timeline = if view == TaskView::Time && !q.json && q.cmd.is_empty() {
        build_timeline(req, d, &b)?
    } else {
        None
    };
    build_table(req, d, &b, &t, view.title(), timeline)
}

/// `build/<bid>/recipes/`.
pub(crate) fn recipes(req: &Req<'_>, d: &Db<'_>, bid: i64) -> Result<Page> {
    let b = build_head(d, bid)?;
    build_table(req, d, &b, &tables::recipes(bid), "Recipes", None)
}

/// `build/<bid>/packages/`.
pub(crate) fn packages(req: &Req<'_>, d: &Db<'_>, bid: i64) -> Result<Page> {
    let b = build_head(d, bid)?;
    build_table(req, d, &b, &tables::packages(bid, None), "Packages", None)
}

/// `build/<bid>/recipe_packages/<rid>`: the packages of one recipe.
pub(crate) fn recipe_packages(req: &Req<'_>, d: &Db<'_>, bid: i64, rid: i64) -> Result<Page> {
    let b = build_head(d, bid)?;
    let name = recipe_name(d, bid, rid)?;
    let mut t = tables::packages(bid, Some(rid));
    t.title = format!("Packages of {name}");
    build_table(req, d, &b, &t, "Recipes", None)
}

fn recipe_name(d: &Db<'_>, bid: i64, rid: i64) -> Result<String> {
    d.one(
        "recipe",
        "SELECT r.name FROM orm_recipe r JOIN orm_layer_version lv ON lv.id = r.layer_version_id WHERE r.id = ?1 AND lv.build_id = ?2",
        &[int(rid), int(bid)],
        |r| r.get::<_, String>(0),
    )?
    .ok_or_else(|| Error::NotFound(format!("Recipe {rid} of build {bid}")))
}

/// `build/<bid>/configvars`: the variables table, with the history of the page's
/// variables (one more statement).
pub(crate) fn configvars(req: &Req<'_>, d: &Db<'_>, bid: i64) -> Result<Page> {
    let b = build_head(d, bid)?;
    let mut t = tables::variables(bid);
    // "With a description" is the default view only when some variable has one.
    let described = d.count(
        "described variables",
        "SELECT EXISTS (SELECT 1 FROM orm_variable WHERE build_id = ? AND description != '' \
         AND variable_name NOT LIKE 'B\\_%' ESCAPE '\\' AND variable_name NOT LIKE 'do\\_%' ESCAPE '\\')",
        &[int(bid)],
    )?;
    if described == 0 {
        t.default_filter = None;
    }
    let q = TableQuery::parse(&req.query);
    if q.json || !q.cmd.is_empty() {
        return build_table(req, d, &b, &t, "Configuration", None);
    }
    let a = t.answer(d, &q)?;
    let ids: Vec<i64> = a.rows.iter().map(|r| r.id).collect();
    let names: BTreeMap<i64, String> = a
        .rows
        .iter()
        .filter_map(|r| Some((r.id, r.cells.first()?.json.as_str()?.to_owned())))
        .collect();
    let hist = d.rows(
        "variable history",
        "SELECT variable_id, file_name, line_number, operation, value FROM orm_variablehistory \
         WHERE variable_id IN (SELECT value FROM json_each(?)) ORDER BY variable_id, id",
        &[text(
            serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()),
        )],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                map(vec![
                    ("file", v(r.get::<_, String>(1)?)),
                    (
                        "line",
                        v(r.get::<_, Option<i64>>(2)?
                            .map(|l| l.to_string())
                            .unwrap_or_default()),
                    ),
                    ("op", v(r.get::<_, String>(3)?)),
                    ("value", v(r.get::<_, String>(4)?)),
                ]),
            ))
        },
    )?;
    let mut by_var: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
    for (id, h) in hist {
        by_var.entry(id).or_default().push(h);
    }
    let history: Vec<Value> = ids
        .iter()
        .filter_map(|id| {
            let rows = by_var.remove(id)?;
            Some(map(vec![
                ("id", v(*id)),
                ("name", v(names.get(id).cloned().unwrap_or_default())),
                ("rows", Value::from(rows)),
            ]))
        })
        .collect();
    let mut ctx = req.base(&format!("Configuration - {}", b.targets));
    ctx.insert(
        "breadcrumbs".into(),
        Value::from(b.crumbs(Some("Configuration"))),
    );
    ctx.insert("sidebar".into(), b.sidebar("build-nav", "Configuration"));
    ctx.insert("table".into(), table_ctx(&t, &q, &a));
    ctx.insert("history".into(), Value::from(history));
    ctx.insert(
        "urls".into(),
        map(vec![
            ("configuration", v(urls::build_page(bid, "configuration"))),
            ("configvars", v(urls::build_page(bid, "configvars"))),
        ]),
    );
    req.render("configvars.html", ctx)
}

/// The variables of the configuration summary, in Toaster's order.
const SUMMARY_VARS: &[&str] = &[
    "BB_VERSION",
    "BUILD_SYS",
    "NATIVELSBSTRING",
    "TARGET_SYS",
    "MACHINE",
    "DISTRO",
    "DISTRO_VERSION",
    "TUNE_FEATURES",
    "TARGET_FPU",
];

/// `build/<bid>/configuration`.
pub(crate) fn configuration(req: &Req<'_>, d: &Db<'_>, bid: i64) -> Result<Page> {
    let b = build_head(d, bid)?;
    let names = serde_json::to_string(SUMMARY_VARS).unwrap_or_else(|_| "[]".into());
    let found: BTreeMap<String, String> = d
        .rows(
            "summary variables",
            "SELECT variable_name, variable_value FROM orm_variable WHERE build_id = ?1 AND variable_name IN (SELECT value FROM json_each(?2))",
            &[int(bid), text(names)],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )?
        .into_iter()
        .collect();
    let summary: Vec<Value> = SUMMARY_VARS
        .iter()
        .map(|n| {
            map(vec![
                ("name", v(*n)),
                ("value", v(found.get(*n).cloned().unwrap_or_default())),
            ])
        })
        .chain(std::iter::once(map(vec![
            ("name", v("Target(s)")),
            ("value", v(b.targets.as_str())),
        ])))
        .collect();
    let mut ctx = req.base(&format!("Configuration - {}", b.targets));
    ctx.insert(
        "breadcrumbs".into(),
        Value::from(b.crumbs(Some("Configuration"))),
    );
    ctx.insert("sidebar".into(), b.sidebar("build-nav", "Configuration"));
    ctx.insert("summary".into(), Value::from(summary));
    ctx.insert("layers".into(), Value::from(layers(d, bid)?));
    ctx.insert(
        "urls".into(),
        map(vec![
            ("configuration", v(urls::build_page(bid, "configuration"))),
            ("configvars", v(urls::build_page(bid, "configvars"))),
        ]),
    );
    req.render("configuration.html", ctx)
}

fn explanation(outcome: i64) -> &'static str {
    match outcome {
        0 => "This task ran and completed successfully.",
        1 => "This task did not need to run: its output is provided by another task.",
        2 => "This task restored its output from the shared state cache.",
        3 => "This task did not need to run: its output from a previous build is still current.",
        4 => "This task failed.",
        5 => "This task has no executable content.",
        _ => "This task did not run in this build.",
    }
}

/// `build/<bid>/task/<tid>`.
pub(crate) fn task(req: &Req<'_>, d: &Db<'_>, bid: i64, tid: i64) -> Result<Page> {
    let b = build_head(d, bid)?;
    let t = d
        .one(
            "task",
            "SELECT t.id, t.\"order\", t.task_name, t.task_executed, t.outcome, t.sstate_checksum, t.path_to_sstate_obj, \
             t.sstate_result, t.logfile, t.message, t.elapsed_time, t.cpu_time_system, t.cpu_time_user, t.disk_io, \
             t.started, t.ended, r.id, r.name, r.version \
             FROM orm_task t JOIN orm_recipe r ON r.id = t.recipe_id WHERE t.id = ?1 AND t.build_id = ?2",
            &[int(tid), int(bid)],
            |r| {
                let f = |i: usize| -> rusqlite::Result<String> {
                    Ok(r.get::<_, Option<f64>>(i)?.map(|x| format!("{x:.2}")).unwrap_or_default())
                };
                let outcome: i64 = r.get(4)?;
                let logfile: String = r.get(8)?;
                let checksum: String = r.get(5)?;
                let name = format!("{}_{} {}", r.get::<_, String>(17)?, r.get::<_, String>(18)?, r.get::<_, String>(2)?);
                let mut p = vec![
                    ("id", v(r.get::<_, i64>(0)?)),
                    ("order", v(r.get::<_, Option<i64>>(1)?.map(|o| o.to_string()).unwrap_or_default())),
                    ("heading", v(name)),
                    ("executed", v(r.get::<_, bool>(3)?)),
                    ("outcome", v(outcome)),
                    ("outcome_label", v(task_outcome(outcome))),
                    ("explanation", v(explanation(outcome))),
                    ("sstate_obj", v(r.get::<_, String>(6)?)),
                    ("sstate", v(sstate(r.get::<_, i64>(7)?))),
                    ("message", v(r.get::<_, String>(9)?)),
                    ("elapsed", v(f(10)?)),
                    ("cpu_system", v(f(11)?)),
                    ("cpu_user", v(f(12)?)),
                    ("disk_io", v(r.get::<_, Option<i64>>(13)?.map(size).unwrap_or_default())),
                    ("started", v(r.get::<_, Option<String>>(14)?.unwrap_or_default())),
                    ("ended", v(r.get::<_, Option<String>>(15)?.unwrap_or_default())),
                ];
                if !checksum.is_empty() {
                    p.push(("matches_url", v(format!("{}?show_matches=1", urls::task(bid, tid)))));
                }
                p.push(("checksum", v(checksum)));
                if !logfile.is_empty() {
                    p.push(("log_url", v(urls::artifact(bid, "tasklogfile", tid))));
                }
                p.push(("logfile", v(logfile)));
                Ok((map(p), outcome, r.get::<_, String>(5)?))
            },
        )?
        .ok_or_else(|| Error::NotFound(format!("Task {tid} of build {bid}")))?;
    let (tval, outcome, checksum) = t;
    let dep_row = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Value> {
        let id: i64 = r.get(0)?;
        Ok(map(vec![
            ("url", v(urls::task(bid, id))),
            (
                "name",
                v(format!(
                    "{} {}",
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?
                )),
            ),
            ("outcome", v(task_outcome(r.get::<_, i64>(3)?))),
        ]))
    };
    let deps = d.rows(
        "task dependencies",
        "SELECT x.id, r.name, x.task_name, x.outcome FROM orm_task_dependency d JOIN orm_task x ON x.id = d.depends_on_id \
         JOIN orm_recipe r ON r.id = x.recipe_id WHERE d.task_id = ? ORDER BY r.name, x.task_name",
        &[int(tid)],
        dep_row,
    )?;
    let rdeps = d.rows(
        "task reverse dependencies",
        "SELECT x.id, r.name, x.task_name, x.outcome FROM orm_task_dependency d JOIN orm_task x ON x.id = d.task_id \
         JOIN orm_recipe r ON r.id = x.recipe_id WHERE d.depends_on_id = ? ORDER BY r.name, x.task_name",
        &[int(tid)],
        dep_row,
    )?;
    let logs = d.rows(
        "task messages",
        "SELECT id, level, message FROM orm_logmessage WHERE task_id = ? ORDER BY id",
        &[int(tid)],
        |r| {
            Ok(map(vec![
                ("id", v(r.get::<_, i64>(0)?)),
                ("error", v(r.get::<_, i64>(1)? != 1)),
                ("message", v(r.get::<_, String>(2)?)),
            ]))
        },
    )?;
    // Covered: the tasks that provide its output, found through its reverse
    // dependencies (through other covered tasks); UNION stops on cycles, a task
    // depending on itself included.
    let covered_by = if outcome == 1 {
        d.rows(
            "covered by",
            "WITH RECURSIVE up(id) AS (SELECT d.task_id FROM orm_task_dependency d WHERE d.depends_on_id = ?1 \
             UNION SELECT d.task_id FROM orm_task_dependency d JOIN up ON d.depends_on_id = up.id JOIN orm_task y ON y.id = up.id WHERE y.outcome = 1) \
             SELECT x.id, r.name, x.task_name, x.outcome FROM up JOIN orm_task x ON x.id = up.id JOIN orm_recipe r ON r.id = x.recipe_id \
             WHERE x.outcome != 1 AND x.id != ?1 ORDER BY r.name, x.task_name LIMIT 200",
            &[int(tid)],
            dep_row,
        )?
    } else {
        vec![]
    };
    let show_matches = req.param("show_matches") == Some("1");
    let matches = if show_matches && !checksum.is_empty() {
        d.rows(
            "same checksum",
            "SELECT x.id, x.build_id, r.name, x.task_name, x.outcome FROM orm_task x JOIN orm_recipe r ON r.id = x.recipe_id \
             WHERE x.sstate_checksum = ?1 AND x.id != ?2 AND x.build_id < ?3 ORDER BY x.build_id DESC LIMIT 50",
            &[text(checksum), int(tid), int(bid)],
            |r| {
                let id: i64 = r.get(0)?;
                let b: i64 = r.get(1)?;
                Ok(map(vec![
                    ("url", v(urls::task(b, id))),
                    ("build", v(b)),
                    ("name", v(format!("{} {}", r.get::<_, String>(2)?, r.get::<_, String>(3)?))),
                    ("outcome", v(task_outcome(r.get::<_, i64>(4)?))),
                ]))
            },
        )?
    } else {
        vec![]
    };
    let mut ctx = req.base("Task");
    ctx.insert("breadcrumbs".into(), Value::from(b.crumbs(Some("Task"))));
    ctx.insert("sidebar".into(), b.sidebar("build-nav", "Tasks"));
    ctx.insert("task".into(), tval);
    ctx.insert("deps".into(), Value::from(deps));
    ctx.insert("rdeps".into(), Value::from(rdeps));
    ctx.insert("logs".into(), Value::from(logs));
    ctx.insert("covered_by".into(), Value::from(covered_by));
    ctx.insert("show_matches".into(), v(show_matches));
    ctx.insert("matches".into(), Value::from(matches));
    req.render("task.html", ctx)
}

/// `build/<bid>/recipe/<rid>[/active_tab/<n>]`.
pub(crate) fn recipe(req: &Req<'_>, d: &Db<'_>, bid: i64, rid: i64, tab: i64) -> Result<Page> {
    let b = build_head(d, bid)?;
    let recipe = d
        .one(
            "recipe",
            "SELECT r.name, r.version, r.summary, r.description, r.section, r.license, coalesce(r.homepage, ''), coalesce(r.bugtracker, ''), \
             r.file_path, l.name, lv.branch, (SELECT count(*) FROM orm_package p WHERE p.recipe_id = r.id AND p.build_id = ?2) \
             FROM orm_recipe r JOIN orm_layer_version lv ON lv.id = r.layer_version_id JOIN orm_layer l ON l.id = lv.layer_id \
             WHERE r.id = ?1 AND lv.build_id = ?2",
            &[int(rid), int(bid)],
            |r| {
                let s = |i: usize| -> rusqlite::Result<Value> { Ok(v(r.get::<_, String>(i)?)) };
                Ok(map(vec![
                    ("id", v(rid)),
                    ("name", s(0)?),
                    ("version", s(1)?),
                    ("summary", s(2)?),
                    ("description", s(3)?),
                    ("section", s(4)?),
                    ("license", s(5)?),
                    ("homepage", s(6)?),
                    ("bugtracker", s(7)?),
                    ("file", s(8)?),
                    ("layer", s(9)?),
                    ("branch", s(10)?),
                    ("package_count", v(r.get::<_, i64>(11)?)),
                    ("url", v(urls::recipe(bid, rid))),
                    ("packages_url", v(urls::build_page(bid, &format!("recipe_packages/{rid}")))),
                ]))
            },
        )?
        .ok_or_else(|| Error::NotFound(format!("Recipe {rid} of build {bid}")))?;
    let dep = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Value> {
        let id: i64 = r.get(0)?;
        Ok(map(vec![
            ("url", v(urls::recipe(bid, id))),
            ("name", v(r.get::<_, String>(1)?)),
            ("version", v(r.get::<_, String>(2)?)),
            ("via", v(r.get::<_, Option<String>>(3)?.unwrap_or_default())),
        ]))
    };
    let deps = d.rows(
        "recipe dependencies",
        "SELECT x.id, x.name, x.version, pv.name FROM orm_recipe_dependency d JOIN orm_recipe x ON x.id = d.depends_on_id \
         LEFT JOIN orm_provides pv ON pv.id = d.via_id WHERE d.recipe_id = ? ORDER BY x.name, x.id",
        &[int(rid)],
        dep,
    )?;
    let rdeps = d.rows(
        "recipe reverse dependencies",
        "SELECT x.id, x.name, x.version, NULL FROM orm_recipe_dependency d JOIN orm_recipe x ON x.id = d.recipe_id \
         WHERE d.depends_on_id = ? ORDER BY x.name, x.id",
        &[int(rid)],
        dep,
    )?;
    let tab = if matches!(tab, 3 | 4) { tab } else { 1 };
    let mut ctx = req.base("Recipe");
    if tab == 1 {
        let tasks = d.rows(
            "recipe tasks",
            "SELECT id, \"order\", task_name, task_executed, outcome, sstate_result, elapsed_time FROM orm_task \
             WHERE recipe_id = ?1 AND build_id = ?2 AND \"order\" IS NOT NULL ORDER BY \"order\", id",
            &[int(rid), int(bid)],
            |r| {
                let id: i64 = r.get(0)?;
                Ok(map(vec![
                    ("url", v(urls::task(bid, id))),
                    ("order", v(r.get::<_, Option<i64>>(1)?.map(|o| o.to_string()).unwrap_or_default())),
                    ("name", v(r.get::<_, String>(2)?)),
                    ("executed", v(r.get::<_, bool>(3)?)),
                    ("outcome", v(task_outcome(r.get::<_, i64>(4)?))),
                    ("sstate", v(sstate(r.get::<_, i64>(5)?))),
                    ("elapsed", v(r.get::<_, Option<f64>>(6)?.map(|x| format!("{x:.2}")).unwrap_or_default())),
                ]))
            },
        )?;
        ctx.insert("tasks".into(), Value::from(tasks));
        if let Some(svg) = timeline::svg(bars(d, bid, Some(rid))?, "recipe-timeline", &|t| {
            urls::task(bid, t)
        }) {
            // invariant: timeline::svg escapes every text it writes.
            ctx.insert("timeline".into(), Value::from_safe_string(svg));
        }
    }
    ctx.insert("breadcrumbs".into(), Value::from(b.crumbs(Some("Recipe"))));
    ctx.insert("sidebar".into(), b.sidebar("build-nav", "Recipes"));
    ctx.insert("recipe".into(), recipe);
    ctx.insert("deps".into(), Value::from(deps));
    ctx.insert("rdeps".into(), Value::from(rdeps));
    ctx.insert("tab".into(), v(tab));
    req.render("recipe.html", ctx)
}

/// `build/<bid>/package/<pid>` (files) and `package_built_dependencies/<pid>`.
pub(crate) fn package(
    req: &Req<'_>,
    d: &Db<'_>,
    bid: i64,
    pid: i64,
    deps_tab: bool,
) -> Result<Page> {
    let b = build_head(d, bid)?;
    let pkg = d
        .one(
            "package",
            "SELECT p.name, p.version, p.revision, p.size, p.license, p.summary, r.id, r.name, \
             (SELECT count(*) FROM orm_package_file f WHERE f.package_id = p.id) \
             FROM orm_package p LEFT JOIN orm_recipe r ON r.id = p.recipe_id WHERE p.id = ?1 AND p.build_id = ?2",
            &[int(pid), int(bid)],
            |r| {
                let version: String = r.get(1)?;
                let revision: String = r.get(2)?;
                let mut p = vec![
                    ("id", v(pid)),
                    ("name", v(r.get::<_, String>(0)?)),
                    ("version", v(if revision.is_empty() { version } else { format!("{version}-{revision}") })),
                    ("size", v(size(r.get::<_, i64>(3)?))),
                    ("license", v(r.get::<_, String>(4)?)),
                    ("summary", v(r.get::<_, String>(5)?)),
                    ("file_count", v(r.get::<_, i64>(8)?)),
                    ("url", v(urls::package(bid, pid))),
                    ("deps_url", v(urls::build_page(bid, &format!("package_built_dependencies/{pid}")))),
                ];
                if let (Some(rid), Some(rn)) = (r.get::<_, Option<i64>>(6)?, r.get::<_, Option<String>>(7)?) {
                    p.push(("recipe", v(rn)));
                    p.push(("recipe_url", v(urls::recipe(bid, rid))));
                }
                Ok(map(p))
            },
        )?
        .ok_or_else(|| Error::NotFound(format!("Package {pid} of build {bid}")))?;
    let mut ctx = req.base("Package");
    if deps_tab {
        let rows = d.rows(
            "package dependencies",
            "SELECT x.id, x.name, x.version, x.size, d.dep_type FROM orm_package_dependency d JOIN orm_package x ON x.id = d.depends_on_id \
             WHERE d.package_id = ? AND d.target_id IS NULL ORDER BY d.dep_type, x.name",
            &[int(pid)],
            |r| {
                Ok((
                    r.get::<_, i64>(4)?,
                    map(vec![
                        ("url", v(urls::package(bid, r.get::<_, i64>(0)?))),
                        ("name", v(r.get::<_, String>(1)?)),
                        ("version", v(r.get::<_, String>(2)?)),
                        ("size", v(size(r.get::<_, i64>(3)?))),
                        ("kind", v(match r.get::<_, i64>(4)? {
                            2 => "RRECOMMENDS",
                            4 => "RSUGGESTS",
                            5 => "RPROVIDES",
                            6 => "RREPLACES",
                            7 => "RCONFLICTS",
                            _ => "RDEPENDS",
                        })),
                    ]),
                ))
            },
        )?;
        let (rdepends, others): (Vec<_>, Vec<_>) = rows.into_iter().partition(|(t, _)| *t == 0);
        ctx.insert(
            "rdepends".into(),
            Value::from(rdepends.into_iter().map(|x| x.1).collect::<Vec<_>>()),
        );
        ctx.insert(
            "others".into(),
            Value::from(others.into_iter().map(|x| x.1).collect::<Vec<_>>()),
        );
        ctx.insert("tab".into(), v("deps"));
    } else {
        let by_size = req.param("orderby") == Some("-size") || req.param("orderby") == Some("size");
        let sql = if by_size {
            "SELECT path, size FROM orm_package_file WHERE package_id = ? ORDER BY size DESC, path LIMIT 5000"
        } else {
            "SELECT path, size FROM orm_package_file WHERE package_id = ? ORDER BY path LIMIT 5000"
        };
        let files = d.rows("package files", sql, &[int(pid)], |r| {
            Ok(map(vec![
                ("path", v(r.get::<_, String>(0)?)),
                ("size", v(size(r.get::<_, i64>(1)?))),
            ]))
        })?;
        ctx.insert("files".into(), Value::from(files));
        ctx.insert("sort_path_url".into(), v("?orderby=path"));
        ctx.insert("sort_size_url".into(), v("?orderby=-size"));
        ctx.insert("tab".into(), v("files"));
    }
    ctx.insert("breadcrumbs".into(), Value::from(b.crumbs(Some("Package"))));
    ctx.insert("sidebar".into(), b.sidebar("build-nav", "Packages"));
    ctx.insert("package".into(), pkg);
    req.render("package.html", ctx)
}

fn target_row(d: &Db<'_>, bid: i64, tid: i64) -> Result<(String, i64)> {
    d.one(
        "target",
        "SELECT t.target, (SELECT count(*) FROM orm_target_installed_package i WHERE i.target_id = t.id) FROM orm_target t WHERE t.id = ?1 AND t.build_id = ?2",
        &[int(tid), int(bid)],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
    )?
    .ok_or_else(|| Error::NotFound(format!("Target {tid} of build {bid}")))
}

/// `build/<bid>/target/<tid>`: the packages installed in the image.
pub(crate) fn target(req: &Req<'_>, d: &Db<'_>, bid: i64, tid: i64) -> Result<Page> {
    let b = build_head(d, bid)?;
    let (name, _) = target_row(d, bid, tid)?;
    let mut t = tables::installed(bid, tid);
    t.title = format!("{name}: packages included");
    build_table(req, d, &b, &t, &name, None)
}

/// One entry of an image's directory (`dentries`).
struct Dentry {
    parent: String,
    name: String,
    fullpath: String,
    isdir: bool,
    childcount: i64,
    size: String,
    permission: String,
    owner: String,
    group: String,
    link_to: Option<String>,
    installed_package: String,
    package_id: Option<i64>,
    package: String,
}

impl Dentry {
    fn json(&self) -> serde_json::Value {
        json!({
            "parent": self.parent,
            "name": self.name,
            "fullpath": self.fullpath,
            "isdir": self.isdir,
            "childcount": self.childcount,
            "size": self.size,
            "permission": self.permission,
            "owner": self.owner,
            "group": self.group,
            "link_to": self.link_to,
            "installed_package": self.installed_package,
            "package_id": self.package_id,
            "package": self.package,
        })
    }

    /// [`Dentry::json`] written straight into `out` as [`crate::html::json_script`]
    /// would write it (a big directory has thousands of entries: no value tree).
    fn write_json(&self, out: &mut String) {
        use crate::html::json_str;
        out.push_str("{\"parent\":");
        json_str(out, &self.parent);
        out.push_str(",\"name\":");
        json_str(out, &self.name);
        out.push_str(",\"fullpath\":");
        json_str(out, &self.fullpath);
        out.push_str(if self.isdir {
            ",\"isdir\":true"
        } else {
            ",\"isdir\":false"
        });
        out.push_str(&format!(",\"childcount\":{}", self.childcount));
        out.push_str(",\"size\":");
        json_str(out, &self.size);
        out.push_str(",\"permission\":");
        json_str(out, &self.permission);
        out.push_str(",\"owner\":");
        json_str(out, &self.owner);
        out.push_str(",\"group\":");
        json_str(out, &self.group);
        out.push_str(",\"link_to\":");
        match &self.link_to {
            Some(l) => json_str(out, l),
            None => out.push_str("null"),
        }
        out.push_str(",\"installed_package\":");
        json_str(out, &self.installed_package);
        match self.package_id {
            Some(p) => out.push_str(&format!(",\"package_id\":{p}")),
            None => out.push_str(",\"package_id\":null"),
        }
        out.push_str(",\"package\":");
        json_str(out, &self.package);
        out.push('}');
    }
}

/// The entries of directory `start` of target `tid`'s image, directories first. As in
/// Toaster, a directory counts its children and a file (through its link) names the
/// installed package that holds it; neither is looked up for the other kind.
fn dentries(d: &Db<'_>, bid: i64, tid: i64, start: &str) -> Result<Vec<Dentry>> {
    let dir = if start.len() > 1 {
        start.trim_end_matches('/')
    } else {
        "/"
    };
    d.rows(
        "directory entries",
        "SELECT f.path, f.size, f.inodetype, f.permission, f.owner, f.\"group\", s.path, \
         CASE WHEN f.inodetype = 2 THEN (SELECT count(*) FROM orm_target_file c WHERE c.directory_id = f.id) ELSE 0 END, \
         CASE WHEN f.inodetype != 2 THEN (SELECT pk.id || char(31) || pk.name || char(31) || pk.installed_name FROM orm_package_file pf JOIN orm_package pk ON pk.id = pf.package_id \
            WHERE pf.path = coalesce(s.path, f.path) \
            AND EXISTS (SELECT 1 FROM orm_target_installed_package i WHERE i.package_id = pf.package_id AND +i.target_id = ?1) LIMIT 1) END \
         FROM orm_target_file f LEFT JOIN orm_target_file s ON s.id = f.sym_target_id \
         WHERE f.target_id = ?1 AND f.directory_id IS (SELECT id FROM orm_target_file WHERE target_id = ?1 AND path = ?2 LIMIT 1) \
         AND f.path != ?2 AND ?3 = ?3 ORDER BY f.inodetype != 2, f.path LIMIT 5000",
        &[int(tid), text(dir), int(bid)],
        |r| {
            let path: String = r.get(0)?;
            let inode: i64 = r.get(2)?;
            let pkg: Option<String> = r.get(8)?;
            let mut pk = pkg.as_deref().unwrap_or("").splitn(3, '\u{1f}');
            let (pid, pname, iname) = (pk.next().unwrap_or(""), pk.next().unwrap_or(""), pk.next().unwrap_or(""));
            let type_letter = match inode {
                2 => 'd',
                3 => 'l',
                4 => 's',
                5 => 'p',
                6 => 'c',
                7 => 'b',
                _ => '-',
            };
            Ok(Dentry {
                parent: dir.to_owned(),
                name: path.rsplit('/').next().unwrap_or(&path).to_owned(),
                isdir: inode == 2,
                childcount: r.get(7)?,
                size: size(r.get::<_, i64>(1)?),
                permission: format!("{type_letter}{}", r.get::<_, String>(3)?),
                owner: r.get(4)?,
                group: r.get(5)?,
                link_to: r.get(6)?,
                installed_package: iname.to_owned(),
                package_id: pid.parse::<i64>().ok(),
                package: pname.to_owned(),
                fullpath: path,
            })
        },
    )
}

/// `dentries/build/<bid>/target/<tid>?start=/dir`.
pub(crate) fn dentries_json(req: &Req<'_>, d: &Db<'_>, bid: i64, tid: i64) -> Result<Page> {
    target_row(d, bid, tid)?;
    let start = req.param("start").unwrap_or("/");
    let entries = dentries(d, bid, tid, start)?;
    let mut out = String::with_capacity(entries.len() * 256 + 2);
    out.push('[');
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        e.write_json(&mut out);
    }
    out.push(']');
    Ok(Page::JsonText(200, out))
}

/// `build/<bid>/target/<tid>/dirinfo`: the image's directory tree, a directory a page.
pub(crate) fn dirinfo(req: &Req<'_>, d: &Db<'_>, bid: i64, tid: i64) -> Result<Page> {
    let b = build_head(d, bid)?;
    let (name, count) = target_row(d, bid, tid)?;
    let start = req.param("start").unwrap_or("/").to_owned();
    let entries: Vec<Value> = dentries(d, bid, tid, &start)?
        .iter()
        .map(|e| {
            let mut e = e.json();
            if let Some(p) = e["package_id"].as_i64() {
                e["package_url"] = json!(urls::package(bid, p));
            }
            let link = format!(
                "?start={}",
                crate::html::urlenc(e["fullpath"].as_str().unwrap_or("/"))
            );
            e["link"] = json!(link);
            Value::from_serialize(&e)
        })
        .collect();
    let parent = if start == "/" || start.is_empty() {
        None
    } else {
        let t = start.trim_end_matches('/');
        let up = match t.rfind('/') {
            Some(0) | None => "/".to_owned(),
            Some(i) => t[..i].to_owned(),
        };
        Some((format!("?start={}", crate::html::urlenc(&up)), up))
    };
    let mut ctx = req.base("Directory structure");
    ctx.insert("breadcrumbs".into(), Value::from(b.crumbs(Some(&name))));
    ctx.insert("sidebar".into(), b.sidebar("build-nav", &name));
    ctx.insert(
        "target".into(),
        map(vec![
            ("name", v(name.as_str())),
            ("url", v(urls::target(bid, tid))),
            ("package_count", v(count)),
            (
                "dirinfo_url",
                v(format!("{}/dirinfo", urls::target(bid, tid))),
            ),
            (
                "dentries_url",
                v(format!("{}/dentries/build/{bid}/target/{tid}", urls::ROOT)),
            ),
        ]),
    );
    ctx.insert("entries".into(), Value::from(entries));
    if let Some((link, p)) = parent {
        ctx.insert("parent".into(), v(p));
        ctx.insert("parent_link".into(), v(link));
    }
    req.render("dirinfo.html", ctx)
}

/// `build/<bid>/artifact/<kind>/id/<aid>`: a file the recorder recorded for this
/// build, as a download; the "unavailable" page when the kind is unknown, the row is
/// not this build's, or the file is gone. The path comes from the database only, must
/// be absolute, and must not climb with `..`.
pub(crate) fn artifact(req: &Req<'_>, d: &Db<'_>, bid: i64, kind: &str, aid: i64) -> Result<Page> {
    build_head(d, bid)?;
    let sql = match kind {
        "cookerlog" => "SELECT cooker_log_path FROM orm_build WHERE id = ?1 AND id = ?2",
        "tasklogfile" => "SELECT logfile FROM orm_task WHERE id = ?1 AND build_id = ?2",
        "logmessagefile" => "SELECT pathname FROM orm_logmessage WHERE id = ?1 AND build_id = ?2",
        "imagefile" => {
            "SELECT f.file_name FROM orm_target_image_file f JOIN orm_target t ON t.id = f.target_id WHERE f.id = ?1 AND t.build_id = ?2"
        }
        "targetkernelartifact" => {
            "SELECT f.file_name FROM orm_targetkernelfile f JOIN orm_target t ON t.id = f.target_id WHERE f.id = ?1 AND t.build_id = ?2"
        }
        "targetsdkartifact" => {
            "SELECT f.file_name FROM orm_targetsdkfile f JOIN orm_target t ON t.id = f.target_id WHERE f.id = ?1 AND t.build_id = ?2"
        }
        "licensemanifest" => {
            "SELECT license_manifest_path FROM orm_target WHERE id = ?1 AND build_id = ?2"
        }
        "packagemanifest" => {
            "SELECT package_manifest_path FROM orm_target WHERE id = ?1 AND build_id = ?2"
        }
        _ => return unavailable(req, "This kind of artifact does not exist."),
    };
    let path: Option<String> = d
        .one("artifact", sql, &[int(aid), int(bid)], |r| {
            r.get::<_, Option<String>>(0)
        })?
        .flatten();
    let Some(path) = path.filter(|p| !p.is_empty()) else {
        return unavailable(req, "No such artifact was recorded for this build.");
    };
    let p = std::path::Path::new(&path);
    let safe = p.is_absolute()
        && !p
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir));
    if !safe {
        return unavailable(
            req,
            "The recorded path of this artifact is not a plain absolute path.",
        );
    }
    match fs_err::metadata(p) {
        Ok(m) if m.is_file() => {}
        _ => return unavailable(req, "The artifact's file is no longer on disk."),
    }
    let bytes = fs_err::read(p)?;
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "artifact".into());
    Ok(Page::File { name, bytes })
}

fn unavailable(req: &Req<'_>, why: &str) -> Result<Page> {
    let mut ctx = req.base("Artifact unavailable");
    ctx.insert("kind".into(), v("unavailable-artifact"));
    ctx.insert("heading".into(), v("The artifact is unavailable"));
    ctx.insert("alert".into(), v("alert-info"));
    ctx.insert("message".into(), v(why));
    let html = crate::templates::render(&req.app.env, "message.html", Value::from(ctx))?;
    Ok(Page::Status(404, html))
}

/// The escaped HTML of a plain message (used when no template can be rendered).
pub(crate) fn plain_error(status: u16, what: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{status}</title></head><body><h1>{status}</h1><p>{}</p></body></html>",
        esc(what)
    )
}
