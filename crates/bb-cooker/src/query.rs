//! The reports of `bitbake-layers`' query commands, as text in BitBake's exact layout:
//! `show-layers`, `show-recipes`, `show-overlayed` and `show-appends`. Each works on a
//! started [`Cooker`] and, except `show-layers`, on the parsed recipe targets; the preferred
//! versions come from [`crate::providers`].
//!
//! Printing is the caller's job: each function returns the lines for stdout and, apart, the
//! warnings BitBake would log. Nothing here parses recipes or writes files (`show-overlayed`
//! lists class directories and `show-recipes -i` looks for class files, as BitBake does).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use bb_data::DataStore;
use bb_pyexpr::PyRegex;

use crate::Cooker;
use crate::bblayers_edit::fnmatch;
use crate::error::{Error, Result};
use crate::providers::{Level, Message, Providers};
use crate::recipe::RecipeInfo;

#[cfg(test)]
mod tests;

/// What a query printed: the lines for stdout and the messages logged on the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The report, one `\n` after each line.
    pub text: String,
    /// Messages BitBake logs while producing it (preferred-version notes, missing appends),
    /// in order.
    pub messages: Vec<Message>,
}

impl Report {
    fn line(&mut self, s: &str) {
        self.text.push_str(s);
        self.text.push('\n');
    }
}

/// The options of `bitbake-layers show-recipes`.
#[derive(Debug, Clone, Default)]
pub struct RecipeQuery {
    /// Recipe name patterns (`fnmatch`); empty lists all.
    pub pnspec: Vec<String>,
    /// `-f`: file names instead of layers and versions.
    pub filenames: bool,
    /// `-r`: recipe names only.
    pub recipes_only: bool,
    /// `-m`: only names with more than one recipe.
    pub multiple: bool,
    /// `-i`: only recipes inheriting every one of these classes.
    pub inherits: Vec<String>,
    /// `-l`: only entries from this layer (directory name).
    pub layer: Option<String>,
    /// `-b`: no ` (skipped: ...)` suffixes.
    pub bare: bool,
    /// `--show-variants`: list BBCLASSEXTEND variants too.
    pub show_variants: bool,
}

/// The layer of files, as `bitbake-layers` finds it: collection → layer directory from the
/// history of BBFILE_COLLECTIONS, file → collection through BBFILES_PRIORITIZED and the
/// BBFILE_PATTERN texts.
struct LayerMap<'a> {
    cooker: &'a Cooker,
    /// Collection → the directory of the layer whose configuration added it.
    dirs: HashMap<String, String>,
    /// (collection, pattern text, compiled pattern) in BBFILE_COLLECTIONS order.
    patterns: Vec<(String, String, Option<PyRegex>)>,
}

/// Python's `os.path.dirname`.
fn dirname(p: &str) -> &str {
    match p.rfind('/') {
        Some(0) => "/",
        Some(i) => {
            let head = &p[..i];
            let trimmed = head.trim_end_matches('/');
            if trimmed.is_empty() { "/" } else { trimmed }
        }
        None => "",
    }
}

/// Python's `os.path.basename`.
fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// `get_layer_name`: the last component of a layer directory.
fn layer_name(dir: &str) -> &str {
    basename(dir.trim_end_matches('/'))
}

fn words(v: Option<String>) -> Vec<String> {
    v.map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

impl<'a> LayerMap<'a> {
    fn new(cooker: &'a Cooker) -> Result<LayerMap<'a>> {
        let d = &cooker.config;
        let names = words(d.get_var("BBFILE_COLLECTIONS")?);
        let mut dirs = HashMap::new();
        // `get_variable_items_files`: the file of the first operation that brought each
        // final item in; a `set?` after the first operation is ignored.
        let mut isset = false;
        for ev in d.history("BBFILE_COLLECTIONS") {
            if ev.flag.is_some() || ev.op.starts_with(":remove") {
                continue;
            }
            if isset && ev.op == "set?" {
                continue;
            }
            isset = true;
            let items = d.expand(&ev.detail).unwrap_or_else(|_| ev.detail.clone());
            for item in items.split_whitespace() {
                if names.iter().any(|n| n == item) && !dirs.contains_key(item) {
                    dirs.insert(
                        item.to_owned(),
                        dirname(dirname(&ev.origin.file)).to_owned(),
                    );
                }
            }
        }
        // Without history (tracking off), the layer setup knows the same.
        for (dir, colls) in &cooker.layers.layer_collections {
            for c in colls {
                dirs.entry(c.clone()).or_insert_with(|| dir.clone());
            }
        }
        let mut patterns = Vec::new();
        for n in &names {
            let pat = d
                .get_var(&format!("BBFILE_PATTERN_{n}"))?
                .unwrap_or_default();
            let re = cooker
                .collections
                .list
                .iter()
                .find(|c| &c.name == n)
                .and_then(|c| {
                    PyRegex::new(&c.pattern)
                        .ok()
                        .filter(|_| !c.pattern.is_empty())
                });
            patterns.push((n.clone(), pat, re));
        }
        Ok(LayerMap {
            cooker,
            dirs,
            patterns,
        })
    }

    /// `path_to_layer`: the collection with the longest pattern text that matches.
    fn path_to_collection(&self, path: &str) -> Option<&str> {
        let mut best: Option<&str> = None;
        let mut len = 0;
        for (name, pat, re) in &self.patterns {
            if pat.len() > len && re.as_ref().is_some_and(|r| r.is_match_at_start(path)) {
                len = pat.len();
                best = Some(name);
            }
        }
        best
    }

    /// `bb.utils.get_file_layer`: the collection of a file, through the first
    /// BBFILES_PRIORITIZED glob it matches, else through its own path.
    fn collection_of(&self, file: &str) -> Option<&str> {
        for entry in &self.cooker.collected.bbfiles_prioritized {
            if fnmatch(file, entry) {
                return self.path_to_collection(entry);
            }
        }
        self.path_to_collection(file)
    }

    /// The layer (directory name) a recipe file is in, `?` when none.
    fn file_layer(&self, file: &str) -> String {
        self.collection_of(file)
            .and_then(|c| self.dirs.get(c))
            .map(|d| layer_name(d).to_owned())
            .unwrap_or_else(|| "?".to_owned())
    }
}

/// `bitbake-layers show-layers`: every collection in BBFILE_COLLECTIONS order with its layer
/// directory and priority.
pub fn show_layers(cooker: &Cooker) -> Result<String> {
    let map = LayerMap::new(cooker)?;
    let mut out = format!("{:<20}  {:<70}  priority\n", "layer", "path");
    out.push_str(&"=".repeat(104));
    out.push('\n');
    for (name, _, _) in &map.patterns {
        let Some(c) = cooker.collections.list.iter().find(|c| &c.name == name) else {
            continue;
        };
        let dir = map.dirs.get(name).map(String::as_str).unwrap_or("None");
        out.push_str(&format!("{name:<20}  {dir:<70}  {}\n", c.priority));
    }
    Ok(out)
}

/// A version as BitBake's cache keeps it: (PE, PV, PR); skipped recipes only have a PV
/// guessed from the file name.
type Version = (Option<String>, String, Option<String>);

fn version_of(r: &RecipeInfo) -> Version {
    (Some(r.pe.clone()), r.pv.clone(), Some(r.pr.clone()))
}

/// `version_str(pe, pv)`: `PE:PV` when PE is set.
fn version_str(v: &Version) -> String {
    match &v.0 {
        Some(pe) if !pe.is_empty() => format!("{pe}:{}", v.1),
        _ => v.1.clone(),
    }
}

/// `bb.cache.virtualfn2realfn`: (real file, class variant) of `virtual:CLS:FILE`.
fn real_fn(f: &str) -> (&str, &str) {
    if let Some(rest) = f.strip_prefix("virtual:") {
        return match rest.rsplit_once(':') {
            Some((cls, file)) => (file, cls),
            None => (rest, ""),
        };
    }
    (f, "")
}

/// The tables `list_recipes` works on: PN → targets, the preferred target of each PN, and
/// every target (skipped ones included, under a PN guessed from the file name).
struct RecipeTables<'r> {
    /// Non-skipped fns by PN, plus `None` entries for PNs known only from skipped files.
    pkg_pn: BTreeMap<String, Vec<&'r str>>,
    /// PN → (version, fn) of its preferred target.
    preferred: HashMap<String, (Version, String)>,
    /// PN → every (version, fn), parse order, skipped ones after.
    all: HashMap<String, Vec<(Version, String)>>,
    /// Skipped fn → reason.
    skipped: HashMap<&'r str, &'r str>,
    /// Non-skipped fns.
    pkg_fn: HashMap<&'r str, &'r RecipeInfo>,
}

impl<'r> RecipeTables<'r> {
    fn new(recipes: &'r [RecipeInfo], d: &DataStore, messages: &mut Vec<Message>) -> Result<Self> {
        let providers = Providers::new(recipes);
        let mut pkg_pn: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        let mut all: HashMap<String, Vec<(Version, String)>> = HashMap::new();
        let mut pkg_fn = HashMap::new();
        let mut skipped = HashMap::new();
        for r in recipes {
            match &r.skipped {
                None => {
                    pkg_pn.entry(r.pn.clone()).or_default().push(&r.fn_name);
                    all.entry(r.pn.clone())
                        .or_default()
                        .push((version_of(r), r.fn_name.clone()));
                    pkg_fn.insert(r.fn_name.as_str(), r);
                }
                Some(reason) => {
                    skipped.insert(r.fn_name.as_str(), reason.as_str());
                }
            }
        }
        let mut preferred = HashMap::new();
        for choice in providers.preferred_fns(d, messages)? {
            let Some(f) = choice.preferred else { continue };
            let Some(r) = pkg_fn.get(f.as_str()) else {
                continue;
            };
            preferred.insert(choice.pn.clone(), (version_of(r), f));
        }
        // Skipped recipes: name and version guessed from the file name, as BitBake does.
        for r in recipes.iter().filter(|r| r.skipped.is_some()) {
            let base = basename(&r.fn_name);
            let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
            let mut parts = stem.split('_');
            let p = parts.next().unwrap_or(stem).to_owned();
            let ver: Version = (None, parts.next().unwrap_or("unknown").to_owned(), None);
            all.entry(p.clone())
                .or_default()
                .push((ver.clone(), r.fn_name.clone()));
            if !pkg_pn.contains_key(&p) {
                pkg_pn.insert(p.clone(), Vec::new());
                preferred.insert(p, (ver, r.fn_name.clone()));
            }
        }
        Ok(RecipeTables {
            pkg_pn,
            preferred,
            all,
            skipped,
            pkg_fn,
        })
    }
}

/// `bb.utils.which` for a file under BBPATH: whether it exists in some entry.
fn in_bbpath(bbpath: &str, rel: &str) -> Option<String> {
    bbpath
        .split(':')
        .map(|p| format!("{p}/{rel}"))
        .find(|f| Path::new(f).exists())
}

/// BitBake's `list_recipes`, shared by `show-recipes` and `show-overlayed`. Returns whether
/// anything was listed.
struct ListArgs<'q> {
    title: &'q str,
    overlayed_only: bool,
    same_version_only: bool,
    multi_only: bool,
    q: &'q RecipeQuery,
}

fn list_recipes(
    cooker: &Cooker,
    recipes: &[RecipeInfo],
    args: &ListArgs<'_>,
    report: &mut Report,
) -> Result<bool> {
    let q = args.q;
    let d = &cooker.config;
    let bbpath = d.get_var("BBPATH")?.unwrap_or_default();
    for class in &q.inherits {
        let found = ["classes-global", "classes-recipe", "classes"]
            .iter()
            .any(|c| in_bbpath(&bbpath, &format!("{c}/{class}.bbclass")).is_some());
        if !found {
            return Err(Error::NoSuchClass {
                class: class.clone(),
            });
        }
    }
    let mut keyed = d.clone();
    bb_data::expand_keys(&mut keyed)?;
    let tables = RecipeTables::new(recipes, &keyed, &mut report.messages)?;
    let map = LayerMap::new(cooker)?;
    let global_inherit = words(d.get_var("INHERIT")?);

    let mut preffiles: Vec<String> = Vec::new();
    let mut unique_pn: Vec<String> = Vec::new();
    let mut listed = false;
    let empty = Vec::new();
    for p in tables.pkg_pn.keys() {
        if !q.pnspec.is_empty() && !q.pnspec.iter().any(|pat| fnmatch(p, pat)) {
            continue;
        }
        let provs_all = tables.all.get(p).unwrap_or(&empty);
        if provs_all.len() <= 1 && args.multi_only {
            continue;
        }
        let Some((pref_ver, pref_fn)) = tables.preferred.get(p) else {
            continue;
        };
        let (preffile, cls) = real_fn(pref_fn);
        if !cls.is_empty() && tables.pkg_fn.contains_key(preffile) && !q.show_variants {
            continue;
        }
        if !q.inherits.is_empty() {
            let rec_inherits = tables
                .pkg_fn
                .get(preffile)
                .map(|r| r.inherits.as_slice())
                .unwrap_or_default();
            let mut count = 0;
            for cls in rec_inherits {
                if cls.starts_with("classes") && cls.find('/').is_some() {
                    continue;
                }
                let b = basename(cls);
                let name = b.rsplit_once('.').map_or(b, |(s, _)| s);
                if global_inherit.iter().any(|g| g == name) {
                    continue;
                }
                if q.inherits.iter().any(|i| i == name) {
                    count += 1;
                }
            }
            if count != q.inherits.len() {
                continue;
            }
        }
        if preffiles.iter().any(|f| f == preffile) {
            continue;
        }
        let preflayer = map.file_layer(preffile);
        let mut multilayer = false;
        let mut same_ver = true;
        let mut provs: Vec<(String, String, &Version)> = Vec::new();
        for (ver, f) in provs_all {
            let provfile = real_fn(f).0;
            let provlayer = map.file_layer(provfile);
            let key = if q.show_variants {
                f.as_str()
            } else {
                provfile
            };
            if provlayer != preflayer {
                multilayer = true;
            }
            if ver != pref_ver {
                same_ver = false;
            }
            provs.push((key.to_owned(), provlayer, ver));
        }
        if (args.overlayed_only && !multilayer) || (args.same_version_only && !same_ver) {
            continue;
        }
        if !listed {
            report.line(&format!("=== {} ===", args.title));
            listed = true;
        }
        let pref_cmp: &str = if q.show_variants { pref_fn } else { preffile };
        let mut item = |report: &mut Report, f: &str, ver: &Version, layer: &str, ispref: bool| {
            if q.layer.as_deref().is_some_and(|l| l != layer) {
                return;
            }
            let skipped = match tables.skipped.get(f) {
                Some(reason) if !q.bare => format!(" (skipped: {reason})"),
                _ => String::new(),
            };
            if q.filenames {
                if ispref {
                    report.line(&format!("{f}{skipped}"));
                } else {
                    report.line(&format!("  {f}{skipped}"));
                }
            } else if q.recipes_only {
                if !unique_pn.iter().any(|u| u == p) {
                    unique_pn.push(p.clone());
                    report.line(&format!("{p}{skipped}"));
                }
            } else {
                if ispref {
                    report.line(&format!("{p}:"));
                }
                report.line(&format!("  {layer:<20} {}{skipped}", version_str(ver)));
            }
        };
        item(report, preffile, pref_ver, &preflayer, true);
        for (provfile, provlayer, ver) in &provs {
            if provfile != pref_cmp {
                let shown = if q.show_variants {
                    real_fn(provfile).0
                } else {
                    provfile
                };
                item(report, shown, ver, provlayer, false);
            }
        }
        preffiles.push(preffile.to_owned());
    }
    Ok(listed)
}

/// `bitbake-layers show-recipes`: every recipe name (sorted) with the layer and version of
/// each of its recipes, the preferred one first.
pub fn show_recipes(cooker: &Cooker, recipes: &[RecipeInfo], q: &RecipeQuery) -> Result<Report> {
    let title = if !q.inherits.is_empty() || !q.pnspec.is_empty() || q.multiple {
        "Matching recipes:"
    } else {
        "Available recipes:"
    };
    let mut report = Report::default();
    list_recipes(
        cooker,
        recipes,
        &ListArgs {
            title,
            overlayed_only: false,
            same_version_only: false,
            multi_only: q.multiple,
            q,
        },
        &mut report,
    )?;
    Ok(report)
}

/// `bitbake-layers show-overlayed`: recipe names provided by more than one layer (with `-s`:
/// only where all versions are the same), then classes found in more than one layer.
pub fn show_overlayed(
    cooker: &Cooker,
    recipes: &[RecipeInfo],
    filenames: bool,
    same_version: bool,
) -> Result<Report> {
    let mut report = Report::default();
    let q = RecipeQuery {
        filenames,
        ..RecipeQuery::default()
    };
    let mut listed = list_recipes(
        cooker,
        recipes,
        &ListArgs {
            title: "Overlayed recipes",
            overlayed_only: true,
            same_version_only: same_version,
            multi_only: true,
            q: &q,
        },
        &mut report,
    )?;

    // Classes: BitBake lists each class directory in os.listdir order; we sort the names.
    let d = &cooker.config;
    let bblayers = words(d.get_var("BBLAYERS")?);
    let mut classes: Vec<(String, Vec<String>)> = Vec::new();
    for layerdir in &bblayers {
        for c in ["classes-global", "classes-recipe", "classes"] {
            let classdir = format!("{layerdir}/{c}");
            let Ok(rd) = fs_err::read_dir(&classdir) else {
                continue;
            };
            let mut names: Vec<String> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".bbclass") && n.len() > ".bbclass".len())
                .collect();
            names.sort();
            for n in names {
                match classes.iter_mut().find(|(k, _)| *k == n) {
                    Some((_, dirs)) => dirs.push(classdir.clone()),
                    None => classes.push((n, vec![classdir.clone()])),
                }
            }
        }
    }
    let bbpath = d.get_var("BBPATH")?.unwrap_or_default();
    let mut class_found = false;
    for (classfile, classdirs) in &classes {
        if classdirs.len() < 2 {
            continue;
        }
        if !class_found {
            report.line("=== Overlayed classes ===");
            class_found = true;
        }
        let mainfile = in_bbpath(&bbpath, &format!("classes/{classfile}")).unwrap_or_default();
        if filenames {
            report.line(&mainfile);
        } else {
            report.line(&format!("{classfile}:"));
            let mut mainlayer = "?";
            for layerdir in &bblayers {
                if mainfile.starts_with(&format!("{layerdir}/classes")) {
                    mainlayer = layer_name(layerdir);
                }
            }
            report.line(&format!("  {mainlayer}"));
        }
        for classdir in classdirs {
            let full = format!("{classdir}/{classfile}");
            if full != mainfile {
                if filenames {
                    report.line(&format!("  {full}"));
                } else {
                    report.line(&format!("  {}", layer_name(dirname(classdir))));
                }
            }
        }
    }
    listed |= class_found;
    if !listed {
        report.line("No overlayed files found.");
    }
    Ok(report)
}

/// `bitbake-layers show-appends`: each recipe file (by base name, recipe names sorted) with
/// the appends that apply to it, then the skipped recipes' files with ` (skipped)`.
pub fn show_appends(cooker: &Cooker, recipes: &[RecipeInfo], pnspec: &[String]) -> Result<Report> {
    let mut report = Report::default();
    if pnspec.is_empty() {
        report.line("=== Appended recipes ===");
    } else {
        report.line("=== Matched appended recipes ===");
    }
    let mut keyed = cooker.config.clone();
    bb_data::expand_keys(&mut keyed)?;
    let providers = Providers::new(recipes);
    let mut pkg_pn: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in recipes.iter().filter(|r| r.skipped.is_none()) {
        pkg_pn.entry(&r.pn).or_default().push(&r.fn_name);
    }
    let mut any = false;
    for (pn, fns) in &pkg_pn {
        if !pnspec.is_empty() && !pnspec.iter().any(|pat| fnmatch(pn, pat)) {
            continue;
        }
        let mut log = Vec::new();
        let best = providers.find_best_provider(pn, &keyed, &mut log)?;
        let best_base = best.as_deref().map(|b| basename(real_fn(b).0).to_owned());
        let names: Vec<&str> = fns.iter().map(|f| basename(f)).collect();
        let virt: Vec<bool> = fns.iter().map(|f| !real_fn(f).1.is_empty()).collect();
        any |= appends_output(cooker, &names, &virt, best_base.as_deref(), "", &mut report);
    }
    if pnspec.is_empty() {
        // BitBake takes the base names of the skipped fns, so a skipped variant's file is
        // listed again under its base name.
        let names: Vec<&str> = recipes
            .iter()
            .filter(|r| r.skipped.is_some())
            .map(|r| basename(&r.fn_name))
            .collect();
        let virt = vec![false; names.len()];
        any |= appends_output(cooker, &names, &virt, None, " (skipped)", &mut report);
    }
    if !any {
        report.line("No append files found");
    }
    Ok(report)
}

/// `show_appends_output`: prints the files that have appends; warns when the preferred one
/// has none while others do. `virt[i]`: whether `names[i]` came from a variant fn (skipped).
fn appends_output(
    cooker: &Cooker,
    names: &[&str],
    virt: &[bool],
    best: Option<&str>,
    suffix: &str,
    report: &mut Report,
) -> bool {
    let mut appended: Vec<(&str, Vec<String>)> = Vec::new();
    let mut missing: Vec<&str> = Vec::new();
    for (name, v) in names.iter().zip(virt) {
        if *v {
            continue;
        }
        let appends = cooker.collected.appends_for(name);
        if appends.is_empty() {
            missing.push(name);
        } else {
            appended.push((name, appends));
        }
    }
    if appended.is_empty() {
        return false;
    }
    for (name, appends) in &appended {
        report.line(&format!("{name}{suffix}:"));
        for a in appends {
            report.line(&format!("  {a}"));
        }
    }
    if let Some(b) = best
        && missing.contains(&b)
    {
        report.messages.push(Message {
            level: Level::Warning,
            text: format!("{b}: missing append for preferred version"),
        });
    }
    true
}
