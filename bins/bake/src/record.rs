//! Recording builds for Toaster: on when the configuration inherits `toaster`
//! (`INHERIT += "toaster"`) or `toaster-manage start` left a `.toaster` marker in the
//! build directory. The database is `${TOASTER_DIR}/toaster.sqlite` (TOASTER_DIR from
//! the environment, else the build directory).

use std::path::PathBuf;

use bb_cooker::Cooker;
use bb_data::DataStore;
use bb_toaster::{BuildStart, HistoryRow, LayerInfo, RecipeRow, VariableRow};

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

/// What the recorder stores when the build starts.
pub(crate) fn build_start(
    cooker: &Cooker,
    config: &DataStore,
    targets: &[String],
    task: &str,
    graph: &bb_taskgraph::TaskGraph,
    providers: &bb_cooker::providers::Providers,
) -> BuildStart {
    let collections = var(config, "BBFILE_COLLECTIONS");
    let layers: Vec<LayerInfo> = var(config, "BBLAYERS")
        .split_whitespace()
        .map(|path| {
            let name = collections
                .split_whitespace()
                .find(|c| {
                    var(config, &format!("BBFILE_PATTERN_{c}"))
                        .trim_start_matches('^')
                        .trim_end_matches('/')
                        == path.trim_end_matches('/')
                })
                .unwrap_or_else(|| path.rsplit('/').next().unwrap_or(path))
                .to_owned();
            let priority = var(config, &format!("BBFILE_PRIORITY_{name}"))
                .trim()
                .parse()
                .unwrap_or(0);
            LayerInfo {
                name,
                path: path.to_owned(),
                priority,
                ..LayerInfo::default()
            }
        })
        .collect();
    let recipes: Vec<RecipeRow> = graph
        .recipes
        .iter()
        .map(|(f, (pn, version))| {
            let info = providers.recipe(f);
            RecipeRow {
                fn_name: f.clone(),
                name: pn.clone(),
                version: version.trim_start_matches(':').to_owned(),
                layer: info.map(|i| i.collection.clone()).unwrap_or_default(),
                file_path: info.map(|i| i.file.clone()).unwrap_or_else(|| f.clone()),
                depends: info.map(|i| i.depends.clone()).unwrap_or_default(),
                ..RecipeRow::default()
            }
        })
        .collect();
    let mut keys = config.keys();
    keys.sort();
    let variables = keys
        .iter()
        .filter(|k| {
            !k.starts_with("__")
                && config
                    .get_var_flag(k, "func", false)
                    .ok()
                    .flatten()
                    .is_none()
        })
        .map(|k| VariableRow {
            name: k.clone(),
            value: var(config, k),
            history: config
                .history(k)
                .iter()
                .filter(|h| h.flag.is_none())
                .map(|h| HistoryRow {
                    file_name: h.origin.file.to_string(),
                    line_number: (h.origin.func.is_none()).then_some(i64::from(h.origin.line)),
                    operation: h.op.clone(),
                    value: h.detail.clone(),
                })
                .collect(),
        })
        .collect();
    let _ = cooker;
    BuildStart {
        project: None,
        machine: var(config, "MACHINE"),
        distro: var(config, "DISTRO"),
        distro_version: var(config, "DISTRO_VERSION"),
        build_name: var(config, "BUILDNAME"),
        bitbake_version: var(config, "BB_VERSION"),
        cooker_log_path: var(config, "BB_CONSOLELOG"),
        targets: targets
            .iter()
            .map(|t| {
                (
                    t.clone(),
                    if task == "build" {
                        String::new()
                    } else {
                        task.to_owned()
                    },
                )
            })
            .collect(),
        layers,
        recipes,
        variables,
    }
}
