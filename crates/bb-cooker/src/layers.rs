//! Build directories and layers: finding `conf/bblayers.conf`, reading each layer's
//! `conf/layer.conf` with LAYERDIR frozen per layer, LAYERSERIES_COMPAT,
//! BBFILES_DYNAMIC, and the collections (BBFILE_COLLECTIONS, BBFILE_PATTERN,
//! BBFILE_PRIORITY, LAYERDEPENDS, LAYERRECOMMENDS, LAYERVERSION). It does not discover
//! recipes ([`crate::collect`] does) and never writes files.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use bb_data::{DataStore, Evaluator, Origin, SetOpts};
use bb_pyexpr::PyRegex;

use crate::deps::explode_dep_versions;
use crate::error::{Error, Result};

/// Finds `conf/bblayers.conf` as BitBake does: under each BBPATH entry of the
/// environment, then in `cwd` and each parent directory up to (not including) `/`.
pub fn find_bblayers(env_bbpath: Option<&str>, cwd: &Path) -> Option<PathBuf> {
    let mut search = Vec::new();
    if let Some(bbpath) = env_bbpath.filter(|p| !p.is_empty()) {
        for p in bbpath.split(':') {
            search.push(Path::new(p).join("conf").join("bblayers.conf"));
        }
    }
    let mut dir = Some(cwd);
    while let Some(d) = dir {
        if d == Path::new("/") {
            break;
        }
        search.push(d.join("conf").join("bblayers.conf"));
        dir = d.parent();
    }
    search.into_iter().find(|p| p.exists())
}

/// What reading the layers found, besides what it put in the datastore.
#[derive(Debug, Clone, Default)]
pub struct LayerSetup {
    /// The `conf/bblayers.conf` that was read.
    pub bblayers_conf: Option<PathBuf>,
    /// The layer directories, in BBLAYERS order (trailing `/` removed).
    pub layers: Vec<String>,
    /// For each layer directory, the collections its layer.conf added.
    pub layer_collections: HashMap<String, Vec<String>>,
    /// Warnings, in BitBake's words.
    pub warnings: Vec<String>,
}

fn words(v: Option<String>) -> Vec<String> {
    v.map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// `re.escape` of Python 3.7+: every character outside `[A-Za-z0-9_]` and non-ASCII
/// alphanumerics gets a backslash.
fn re_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if !(c.is_alphanumeric() || c == '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn cfg(msg: impl Into<String>) -> Error {
    Error::Layers(msg.into())
}

/// Reads `bblayers.conf` and every layer's `conf/layer.conf` into `d`, as the first
/// part of BitBake's `parseConfigurationFiles` does.
pub fn read_layers(ev: &Evaluator<'_>, d: &mut DataStore, layerconf: &Path) -> Result<LayerSetup> {
    let o = |l| Origin::internal("cookerdata.py", l, "parseConfigurationFiles");
    let conf = layerconf.to_string_lossy().into_owned();
    let topdir = layerconf
        .parent()
        .and_then(Path::parent)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    d.set_var_with("TOPDIR", &topdir, SetOpts::api(&o(370)));
    ev.handle(d, &conf, true)?;
    if d.get_var("BB_CACHEDIR")?.is_none_or(|v| v.is_empty()) {
        d.set_var_with("BB_CACHEDIR", "${TOPDIR}/cache", SetOpts::api(&o(374)));
    }
    let layers = words(d.get_var("BBLAYERS")?);
    if layers.is_empty() {
        return Err(cfg(
            "The bblayers.conf file doesn't contain any BBLAYERS definition",
        ));
    }
    let broken: Vec<&String> = layers.iter().filter(|l| !Path::new(l).is_dir()).collect();
    if !broken.is_empty() {
        // BitBake logs one critical record per line here.
        let mut records = vec!["The following layer directories do not exist:".to_owned()];
        records.extend(broken.iter().map(|l| format!("   {l}")));
        records.push(format!("Please check BBLAYERS in {conf}"));
        return Err(Error::Multi(records));
    }
    let mut setup = LayerSetup {
        bblayers_conf: Some(layerconf.to_path_buf()),
        ..LayerSetup::default()
    };
    let mut layerseries: BTreeSet<String> = BTreeSet::new();
    let mut compat: Vec<(String, BTreeSet<String>)> = Vec::new();
    for layer in layers {
        let layer = if layer.len() > 1 {
            layer.trim_end_matches('/').to_owned()
        } else {
            layer
        };
        let before: BTreeSet<String> = words(d.get_var("BBFILE_COLLECTIONS")?)
            .into_iter()
            .collect();
        d.set_var_with("LAYERDIR", &layer, SetOpts::api(&o(407)));
        d.set_var_with("LAYERDIR_RE", &re_escape(&layer), SetOpts::api(&o(408)));
        let lconf = format!("{layer}/conf/layer.conf");
        ev.handle(d, &lconf, true)?;
        expand_varref(d, "LAYERDIR");
        expand_varref(d, "LAYERDIR_RE");
        let collections = words(d.get_var("BBFILE_COLLECTIONS")?);
        for c in &collections {
            let key = format!("LAYERSERIES_COMPAT_{c}");
            if let Some(entry) = d.get_var(&key)?.filter(|v| !v.is_empty()) {
                let set: BTreeSet<String> = entry.split_whitespace().map(str::to_owned).collect();
                match compat.iter_mut().find(|(n, _)| n == c) {
                    Some((_, s)) => *s = set,
                    None => compat.push((c.clone(), set)),
                }
                d.del_var(&key, Some(&o(424)));
            }
        }
        if layerseries.is_empty() {
            layerseries = words(d.get_var("LAYERSERIES_CORENAMES")?)
                .into_iter()
                .collect();
            if !layerseries.is_empty() {
                d.del_var("LAYERSERIES_CORENAMES", Some(&o(428)));
            }
        }
        let added: Vec<String> = collections
            .into_iter()
            .filter(|c| !before.contains(c))
            .collect();
        setup.layer_collections.insert(layer.clone(), added);
        setup.layers.push(layer);
    }
    d.del_var("LAYERDIR_RE", Some(&o(430)));
    d.del_var("LAYERDIR", Some(&o(431)));
    for (c, set) in &compat {
        let v: Vec<&str> = set.iter().map(String::as_str).collect();
        d.set_var_with(
            &format!("LAYERSERIES_COMPAT_{c}"),
            &v.join(" "),
            SetOpts::api(&o(433)),
        );
    }
    let collections = words(d.get_var("BBFILE_COLLECTIONS")?);
    let mut invalid = Vec::new();
    for entry in words(d.get_var("BBFILES_DYNAMIC")?) {
        let Some((l, f)) = entry.split_once(':') else {
            invalid.push(entry);
            continue;
        };
        let (l, invert) = match l.strip_prefix('!') {
            Some(rest) => (rest, true),
            None => (l, false),
        };
        if collections.iter().any(|c| c == l) != invert {
            d.append_var("BBFILES", &format!(" {f}"), Some(&o(448)));
        }
    }
    if !invalid.is_empty() {
        return Err(cfg(format!(
            "BBFILES_DYNAMIC entries must be of the form {{!}}<collection name>:<filename pattern>, not:\n    {}",
            invalid.join("\n    ")
        )));
    }
    let mut seen = BTreeSet::new();
    for c in &collections {
        if !seen.insert(c.clone()) {
            return Err(cfg(format!(
                "Found duplicated BBFILE_COLLECTIONS '{c}', check bblayers.conf or layer.conf to fix it."
            )));
        }
        let set = compat
            .iter()
            .find(|(n, _)| n == c)
            .map(|(_, s)| s.clone())
            .unwrap_or_default();
        if !set.is_empty() && layerseries.is_empty() {
            return Err(cfg(format!(
                "No core layer found to work with layer '{c}'. Missing entry in bblayers.conf?"
            )));
        }
        if !set.is_empty() && set.is_disjoint(&layerseries) {
            let ls: Vec<&str> = layerseries.iter().map(String::as_str).collect();
            let cs: Vec<&str> = set.iter().map(String::as_str).collect();
            return Err(cfg(format!(
                "Layer {c} is not compatible with the core layer which only supports these series: {} (layer is compatible with {})",
                ls.join(" "),
                cs.join(" ")
            )));
        }
        if set.is_empty() && d.get_var("BB_WORKERCONTEXT")?.is_none() {
            setup.warnings.push(format!(
                "Layer {c} should set LAYERSERIES_COMPAT_{c} in its conf/layer.conf file to list the core layer names it is compatible with."
            ));
        }
    }
    let ls: Vec<&str> = layerseries.iter().map(String::as_str).collect();
    d.set_var_with(
        "LAYERSERIES_CORENAMES",
        &ls.join(" "),
        SetOpts::api(&o(469)),
    );
    Ok(setup)
}

/// Replaces every literal `${VAR}` in plain values by VAR's current unexpanded value,
/// as `expandVarref` does after each layer.conf.
fn expand_varref(d: &mut DataStore, var: &str) {
    let Some(value) = d.get_raw(var) else {
        return;
    };
    let reference = format!("${{{var}}}");
    let origin = Origin::internal("data_smart.py", 1049, "expandVarref");
    for key in d.keys() {
        if let Some(v) = d.get_raw(&key)
            && v.contains(&reference)
        {
            d.set_var_with(&key, &v.replace(&reference, &value), SetOpts::api(&origin));
        }
    }
}

/// One collection (layer id) with its recipe pattern and priority.
#[derive(Debug)]
pub struct Collection {
    /// The id from BBFILE_COLLECTIONS.
    pub name: String,
    /// `BBFILE_PATTERN_<name>` as written (empty: matches nothing).
    pub pattern: String,
    /// The compiled pattern (`None` for an empty pattern).
    pub regex: Option<PyRegex>,
    /// `BBFILE_PRIORITY_<name>`, or the computed one.
    pub priority: i64,
}

/// The collections of a configuration, in the order BitBake matches files against
/// them (longest... in fact reverse-sorted pattern text, as BitBake sorts them).
#[derive(Debug, Default)]
pub struct Collections {
    /// Sorted for matching.
    pub list: Vec<Collection>,
    /// Errors found (BitBake prints each, then stops with "Errors during parsing layer
    /// configuration").
    pub errors: Vec<String>,
}

impl Collections {
    /// Reads the collections from the base configuration, as `handleCollections` does.
    pub fn from_config(d: &DataStore) -> Result<Collections> {
        let names = words(d.get_var("BBFILE_COLLECTIONS")?);
        let mut errors = Vec::new();
        let mut prios: HashMap<String, Option<i64>> = HashMap::new();
        let mut deps: HashMap<String, Vec<String>> = HashMap::new();
        let mut min_prio: i64 = 0;
        for c in &names {
            match d
                .get_var(&format!("BBFILE_PRIORITY_{c}"))?
                .filter(|p| !p.is_empty())
            {
                Some(p) => match p.trim().parse::<i64>() {
                    Ok(v) => {
                        if min_prio == 0 || v < min_prio {
                            min_prio = v;
                        }
                        prios.insert(c.clone(), Some(v));
                    }
                    Err(_) => {
                        errors.push(format!("invalid value for BBFILE_PRIORITY_{c}: \"{p}\""));
                        prios.insert(c.clone(), None);
                    }
                },
                None => {
                    prios.insert(c.clone(), None);
                }
            }
            let mut cdeps = Vec::new();
            if let Some(dv) = d
                .get_var(&format!("LAYERDEPENDS_{c}"))?
                .filter(|v| !v.is_empty())
            {
                let list = explode_dep_versions(&dv, true).map_err(|e| Error::LayerDepends {
                    var: format!("LAYERDEPENDS_{c}"),
                    message: e.to_string(),
                })?;
                for dep in list {
                    if names.contains(&dep.name) {
                        for op in &dep.constraints {
                            let (opname, want) = op.split_once(' ').unwrap_or((op, ""));
                            match d.get_var(&format!("LAYERVERSION_{}", dep.name))?.filter(|v| !v.is_empty()) {
                                Some(have) => {
                                    if !crate::version::vercmp_string_op(&have, want, opname)
                                        .map_err(|e| Error::LayerDepends { var: format!("LAYERDEPENDS_{c}"), message: e.to_string() })?
                                    {
                                        errors.push(format!(
                                            "Layer '{c}' depends on version {op} of layer '{}', but version {have} is currently enabled in your configuration. Check that you are using the correct matching versions/branches of these two layers.",
                                            dep.name
                                        ));
                                    }
                                }
                                None => errors.push(format!(
                                    "Layer '{c}' depends on version {op} of layer '{}', which exists in your configuration but does not specify a version. Check that you are using the correct matching versions/branches of these two layers.",
                                    dep.name
                                )),
                            }
                        }
                    } else {
                        errors.push(format!(
                            "Layer '{c}' depends on layer '{}', but this layer is not enabled in your configuration",
                            dep.name
                        ));
                    }
                    cdeps.push(dep.name);
                }
            }
            if let Some(rv) = d
                .get_var(&format!("LAYERRECOMMENDS_{c}"))?
                .filter(|v| !v.is_empty())
            {
                let list = explode_dep_versions(&rv, true).map_err(|e| Error::LayerDepends {
                    var: format!("LAYERRECOMMENDS_{c}"),
                    message: e.to_string(),
                })?;
                for rec in list {
                    if !names.contains(&rec.name) {
                        continue;
                    }
                    if let Some(op) = rec.constraints.first() {
                        let (opname, want) = op.split_once(' ').unwrap_or((op, ""));
                        match d
                            .get_var(&format!("LAYERVERSION_{}", rec.name))?
                            .filter(|v| !v.is_empty())
                        {
                            Some(have) => {
                                if !crate::version::vercmp_string_op(&have, want, opname)
                                    .unwrap_or(false)
                                {
                                    continue;
                                }
                            }
                            None => continue,
                        }
                    }
                    cdeps.push(rec.name);
                }
            }
            deps.insert(c.clone(), cdeps);
        }
        fn calc(
            c: &str,
            prios: &mut HashMap<String, Option<i64>>,
            deps: &HashMap<String, Vec<String>>,
            min_prio: i64,
            depth: usize,
        ) -> i64 {
            if let Some(Some(p)) = prios.get(c) {
                return *p;
            }
            let mut max = min_prio;
            if depth < 64 {
                for dep in deps.get(c).cloned().unwrap_or_default() {
                    let p = calc(&dep, prios, deps, min_prio, depth + 1);
                    if p > max {
                        max = p;
                    }
                }
            }
            let v = max + 1;
            prios.insert(c.to_owned(), Some(v));
            v
        }
        let mut list = Vec::new();
        for c in &names {
            let priority = calc(c, &mut prios, &deps, min_prio, 0);
            let Some(pattern) = d.get_var(&format!("BBFILE_PATTERN_{c}"))? else {
                errors.push(format!("BBFILE_PATTERN_{c} not defined"));
                continue;
            };
            let regex = if pattern.is_empty() {
                None
            } else {
                match PyRegex::new(&pattern) {
                    Ok(r) => Some(r),
                    Err(_) => {
                        errors.push(format!(
                            "BBFILE_PATTERN_{c} \"{pattern}\" is not a valid regular expression"
                        ));
                        continue;
                    }
                }
            };
            list.push(Collection {
                name: c.clone(),
                pattern,
                regex,
                priority,
            });
        }
        list.sort_by(|a, b| b.pattern.cmp(&a.pattern));
        Ok(Collections { list, errors })
    }

    /// The priority and collection of a file: the first collection whose pattern
    /// matches it (`re.match`), else priority 0 and no collection.
    pub fn priority_of(&self, file: &str) -> (i64, Option<&Collection>) {
        for c in &self.list {
            if c.regex.as_ref().is_some_and(|r| r.is_match_at_start(file)) {
                return (c.priority, Some(c));
            }
        }
        (0, None)
    }
}
