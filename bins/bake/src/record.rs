//! Recording builds for Toaster: on when the configuration inherits `toaster`
//! (`INHERIT += "toaster"`) or `toaster-manage start` left a `.toaster` marker in the
//! build directory. The database is `${TOASTER_DIR}/toaster.sqlite` (TOASTER_DIR from
//! the environment, else the build directory).
//!
//! What is recorded follows Toaster's event handlers: the build row, targets, layers
//! and variables once the configuration is parsed; the dependency tree (recipes,
//! tasks, their dependencies) once the task graph is made; then the run queue's events,
//! and every warning and error `bake` reports ([`crate::ui`] keeps those reported
//! before the recorder started and hands them over).

use std::path::{Path, PathBuf};

mod packaging;
pub(crate) use packaging::Packaging;

use bb_data::DataStore;
use bb_toaster::{
    BuildStart, DepTree, HistoryRow, LayerInfo, RecipeRow, SstateNames, TaskRow, VariableRow,
};

/// The database to record into, when recording is on.
pub(crate) fn database(config: &DataStore, topdir: &str) -> Option<PathBuf> {
    let inherit = config.get_var("INHERIT").ok().flatten().unwrap_or_default();
    let marker = PathBuf::from(topdir).join(".toaster");
    if !inherit.split_whitespace().any(|c| c == "toaster") && !marker.exists() {
        return None;
    }
    let dir = std::env::var_os("TOASTER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(topdir));
    Some(dir.join("toaster.sqlite"))
}

fn var(d: &DataStore, name: &str) -> String {
    d.get_var(name).ok().flatten().unwrap_or_default()
}

/// `git ARGS` in `dir`: its trimmed output, empty when git fails (not a checkout).
fn git(dir: &str, args: &[&str]) -> String {
    std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// The layers as `toaster.bbclass` describes them: name from the directory, branch and
/// commit from git, and the collection's priority.
fn layers(config: &DataStore) -> Vec<LayerInfo> {
    let collections = var(config, "BBFILE_COLLECTIONS");
    var(config, "BBLAYERS")
        .split_whitespace()
        .map(|path| {
            let path = path.trim_end_matches('/');
            let collection = collections.split_whitespace().find(|c| {
                var(config, &format!("BBFILE_PATTERN_{c}"))
                    .trim_start_matches('^')
                    .trim_end_matches('/')
                    == path
            });
            let priority = collection
                .and_then(|c| {
                    var(config, &format!("BBFILE_PRIORITY_{c}"))
                        .trim()
                        .parse()
                        .ok()
                })
                .unwrap_or(0);
            let exists = Path::new(path).is_dir();
            let branch = if exists {
                git(path, &["symbolic-ref", "HEAD"])
            } else {
                String::new()
            };
            LayerInfo {
                name: LayerInfo::toaster_name(path),
                path: path.to_owned(),
                branch: branch.trim_start_matches("refs/heads/").to_owned(),
                commit: if exists {
                    git(path, &["rev-parse", "HEAD"])
                } else {
                    String::new()
                },
                priority,
            }
        })
        .collect()
}

/// What the recorder stores when the build starts: the configuration, as Toaster reads
/// it from BitBake (`getAllKeysWithFlags`): every variable but `__` ones, a variable
/// with flags only as `None`, plus what BitBake's
/// cooker sets for a build (BBFILES_PRIORITIZED, BUILDNAME, BUILDSTART; no history).
pub(crate) fn build_start(
    cooker: &bb_cooker::Cooker,
    config: &DataStore,
    targets: &[String],
    task: &str,
) -> BuildStart {
    let mut keys = config.keys();
    keys.sort();
    let mut variables: Vec<VariableRow> = keys
        .iter()
        .filter(|k| !k.starts_with("__"))
        .filter_map(|k| {
            // BitBake expands the value (a Python function's stays as written); one bake
            // cannot expand (inline Python it does not run) is kept as written rather
            // than dropped with its history.
            let value = match config
                .get_var(k)
                .or_else(|_| config.get_var_opts(k, false, false))
            {
                Ok(Some(v)) => v,
                Ok(None) => "None".to_owned(),
                Err(_) => return None,
            };
            let flag = |f: &str| config.get_var_flag(k, f, false).ok().flatten();
            Some(VariableRow {
                name: k.clone(),
                value,
                doc: flag("doc"),
                func: flag("func").is_some_and(|f| !f.is_empty()),
                history: config
                    .history(k)
                    .iter()
                    .map(|h| HistoryRow {
                        file_name: h.origin.file.to_string(),
                        line_number: Some(i64::from(h.origin.line)),
                        operation: h.op.clone(),
                        value: h.detail.clone(),
                    })
                    .collect(),
            })
        })
        .collect();
    // BitBake's cooker names a build `${DATE}${TIME}` unless BUILDNAME is set, and
    // stamps its start in UTC (`%m/%d/%Y %H:%M:%S`).
    let build_name = Some(var(config, "BUILDNAME"))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| var(config, "DATE") + &var(config, "TIME"));
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let (y, m, d) = bb_util::civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    let build_start = format!(
        "{m:02}/{d:02}/{y:04} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    for (name, value) in [
        (
            "BBFILES_PRIORITIZED",
            cooker.collected.bbfiles_prioritized.join(" "),
        ),
        ("BUILDNAME", build_name.clone()),
        ("BUILDSTART", build_start),
    ] {
        if !variables.iter().any(|v| v.name == name) {
            variables.push(VariableRow {
                name: name.to_owned(),
                value,
                ..VariableRow::default()
            });
        }
    }
    let task = task.strip_prefix("do_").unwrap_or(task);
    BuildStart {
        project: None,
        machine: var(config, "MACHINE"),
        distro: var(config, "DISTRO"),
        distro_version: var(config, "DISTRO_VERSION"),
        build_name,
        bitbake_version: var(config, "BB_VERSION"),
        cooker_log_path: var(config, "BB_CONSOLELOG"),
        // Set as the recipes are parsed (`Recorder::parse_progress`).
        recipes_parsed: 0,
        targets: targets
            .iter()
            .map(|t| match t.split_once(":do_") {
                Some((name, t)) => (name.to_owned(), t.to_owned()),
                None => (t.clone(), task.to_owned()),
            })
            .collect(),
        layers: layers(config),
        variables,
    }
}

/// The dependency tree of the build: recipes of the graph and all its tasks, with each
/// task's hash (`sstate_checksum`) and whether it is Python (known for the recipes
/// parsed to run something).
pub(crate) fn dep_tree(
    graph: &bb_taskgraph::TaskGraph,
    providers: &bb_cooker::providers::Providers,
    hashes: &[String],
    recipes: &std::collections::HashMap<String, DataStore>,
) -> DepTree {
    let rows = graph
        .recipes
        .iter()
        .map(|(f, (pn, version))| {
            let info = providers.recipe(f);
            let about = info.map(|i| i.about.clone()).unwrap_or_default();
            RecipeRow {
                fn_name: f.clone(),
                name: pn.clone(),
                version: version.clone(),
                pf: info.map_or_else(|| pn.clone(), |i| format!("{}-{}-{}", i.pn, i.pv, i.pr)),
                summary: about.summary,
                description: about.description,
                section: about.section,
                license: about.license,
                homepage: about.homepage,
                bugtracker: about.bugtracker,
                inherits: info.map(|i| i.inherits.clone()).unwrap_or_default(),
                depends: graph.depends.get(f).cloned().unwrap_or_default(),
            }
        })
        .collect();
    let tasks = graph
        .tasks
        .iter()
        .enumerate()
        .map(|(i, t)| TaskRow {
            fn_name: t.fn_name.clone(),
            task: t.task.clone(),
            python: recipes.get(&t.fn_name).is_some_and(|d| {
                d.get_var_flag(&t.task, "python", false)
                    .ok()
                    .flatten()
                    .is_some_and(|v| v == "1")
            }),
            hash: hashes.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    DepTree {
        recipes: rows,
        tasks,
        deps: graph.deps.clone(),
    }
}

/// How the build names the shared state object of each task of SSTATETASKS (by its
/// index in the graph), from its recipe's sstate variables: what Toaster records as
/// `path_to_sstate_obj`, relative to SSTATE_DIR as openembedded-core's `MissedSstate`
/// event gives it.
pub(crate) fn sstate_names(
    graph: &bb_taskgraph::TaskGraph,
    recipes: &std::collections::HashMap<String, DataStore>,
) -> SstateNames {
    let mut layouts: std::collections::HashMap<&str, Option<std::sync::Arc<bb_sstate::Layout>>> =
        std::collections::HashMap::new();
    let mut names = std::collections::HashMap::new();
    for (i, t) in graph.tasks.iter().enumerate() {
        let Some(d) = recipes.get(&t.fn_name) else {
            continue;
        };
        if !bb_sstate::is_sstate_task(d, &t.task).unwrap_or(false) {
            continue;
        }
        let layout = layouts.entry(t.fn_name.as_str()).or_insert_with(|| {
            bb_sstate::Layout::from_datastore(d)
                .ok()
                .map(std::sync::Arc::new)
        });
        if let Some(l) = layout {
            names.insert(i, (std::sync::Arc::clone(l), t.task.clone()));
        }
    }
    Box::new(move |i, hash| {
        let (layout, task) = names.get(&i)?;
        layout.object_name(task, hash).ok()
    })
}
