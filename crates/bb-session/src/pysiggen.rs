//! BB_SIGNATURE_HANDLER classes defined in Python: which rules decide the dependency
//! edges of a build's task hashes.
//!
//! BitBake instantiates the first class in `bb.siggen`'s namespace whose `name` is
//! BB_SIGNATURE_HANDLER's value (openembedded-core's `oe.sstatesig` puts its classes
//! there, and so can any layer's `lib/`), then asks its `rundep_check` about every edge.
//! bake finds the class the same way in embedded CPython (`_bake_sighandler.py`) and judges
//! its methods by content (a digest of their tokens and of the module functions they
//! call, see that file):
//! - `rundep_check`, `init_rundepcheck`, `tasks_resolved` all bake's own or BitBake's
//!   `basichash` rules: the native `basichash` rules;
//! - `rundep_check` openembedded-core's as bake implements it ([`OE_RUNDEP_CHECK`]) and
//!   the others known: the native `OEEquivHash` rules (the fast path: no Python per edge);
//! - anything else: the class's own `rundep_check` is called in CPython for every edge
//!   of the build, once, before the hashes are made, after its `tasks_resolved` was told
//!   the build's `virtual/*` providers ([`PyRules`]).
//!
//! Methods that compute hashes (`get_taskhash`, `prep_taskhash`, `get_unihash`, ...)
//! are not called: bake computes hashes itself. A class whose definition of one of them
//! is neither bake's nor a known openembedded-core release's is refused, naming the
//! class and the method.
//!
//! Without CPython, and for `noop`/`basic`/`basichash` (BitBake's own classes come first
//! in `bb.siggen`, so a layer's class of the same name is never chosen), the handler is
//! chosen by name ([`bb_siggen::SigHandler::from_config`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bb_cooker::cache::{FileHasher, FileState};
use bb_cooker::{BuildInfo, RecipeInfo};
use bb_data::DataStore;
use bb_siggen::{EdgeEnd, EdgeRules, SigHandler};
use bb_taskgraph::TaskGraph;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::Observer;
use crate::error::Result;
use bb_cooker::providers::Level;

/// Digests of openembedded-core's `SignatureGeneratorOEBasicHashMixIn.rundep_check`
/// (with `sstate_rundepfilter`, which it calls) whose rules bb-siggen implements
/// natively: openembedded-core 35a2c6ed79 (`isKernel` tests `kernel.bbclass`; the
/// releases up to yocto-6.0.2 test `linux-kernel-base.bbclass` and take the Python path).
pub const OE_RUNDEP_CHECK: &[&str] =
    &["0954ed7a41cf4b972172553affedce4a042fa5c39d41db816c2e76e8728adb12"];

/// Digests of openembedded-core's definitions of the other methods that the native
/// rules stand for (`init_rundepcheck` of the mix-in and of `OEEquivHash`,
/// `tasks_resolved`), as of the release in [`OE_RUNDEP_CHECK`].
const OE_RULE_METHODS: &[(&str, &str)] = &[
    (
        "init_rundepcheck",
        "607c358fc3e14e216e5933e367a94d3d0cbb5d6af56ef58e3d0dc83486b3a59f",
    ),
    (
        "init_rundepcheck",
        "9ded1d8eba0265e47c2d21ce8a3c5e70a42dbde008fadcdd8a561fa873c0dda8",
    ),
    (
        "tasks_resolved",
        "63accfba30ebb54e9c2bae7789f93bf3f8295658b9db828e6437287468c447b4",
    ),
];

/// Digests of openembedded-core's definitions of hash methods, releases yocto-4.0 to
/// 35a2c6ed79: they only add locked signatures (SIGGEN_LOCKEDSIGS_TYPES, which bake
/// refuses) to what bake computes.
const OE_HASH_METHODS: &[(&str, &str)] = &[
    (
        "get_taskhash",
        "1c340da42914d0997f1cf6171d715056dd91db0587eafc36bb067f7d3205ff8b",
    ),
    (
        "get_taskhash",
        "d16dabb3cb9a5320213ee47c5437ebf96f99866f0da411ceea0afff83d8b71c1",
    ),
    (
        "get_unihash",
        "592730da46df715e795416a682193943ea85bd5c225caf274816b7a39db3a55f",
    ),
    (
        "get_cached_unihash",
        "923eaacc6ab98a56d057199a99597103027aa5a6d2bfd6da4b52f7011946aa3a",
    ),
    (
        "get_cached_unihash",
        "cbec21b51fd52b4d55bfcdefc40f3120d255156044bc64287109ff6c50f5ac8a",
    ),
    (
        "get_stampfile_hash",
        "f2db82fdf6e1076b5644a609a31303ad4ac707704b3bca06b5547c0300a2a19c",
    ),
];

/// The methods `_bake_sighandler.describe` reports that compute hashes.
const HASH_METHODS: [&str; 6] = [
    "get_taskhash",
    "prep_taskhash",
    "get_unihash",
    "get_cached_unihash",
    "get_stampfile_hash",
    "stampfile",
];

/// The variable the edges travel in (JSON), as `_bake_sighandler.py` reads it.
const ARGS_VAR: &str = "__BAKE_SIGGEN_ARGS";

/// One definition of a method along the class's MRO (`_bake_sighandler.describe`).
#[derive(Debug, Deserialize)]
struct Definition {
    owner: String,
    bake: bool,
    digest: Option<String>,
    #[serde(default)]
    r#where: String,
}

#[derive(Debug, Deserialize)]
struct Described {
    found: bool,
    #[serde(default)]
    available: Vec<String>,
    #[serde(default)]
    class: String,
    #[serde(default)]
    methods: HashMap<String, Vec<Definition>>,
    /// The source files the answer depends on.
    #[serde(default)]
    files: Vec<String>,
}

impl Definition {
    fn known(&self, method: &str, table: &[(&str, &str)]) -> bool {
        self.bake
            || self
                .digest
                .as_deref()
                .is_some_and(|d| table.iter().any(|&(m, k)| m == method && k == d))
    }
}

/// How the configured handler's rules are decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Natively, with the rules of this handler of [`bb_siggen::KNOWN_HANDLERS`].
    Native(&'static str),
    /// By the class's `rundep_check` in CPython (the class's qualified name).
    Python(String),
}

/// The handler of `config`'s BB_SIGNATURE_HANDLER for a build of `graph`: native rules
/// when the class's rules are ones bb-siggen implements, else the class's
/// `rundep_check` asked in CPython about every edge of `graph` (`recipes` and `infos`
/// give what its `dataCaches` argument holds). Fails for a class that overrides a hash
/// method bake cannot call, a class that fails, or a name no class has.
pub fn sig_handler(
    config: &DataStore,
    kept: Option<Kept<'_>>,
    obs: &dyn Observer,
    graph: &TaskGraph,
    recipes: &[RecipeInfo],
    infos: &HashMap<String, BuildInfo>,
) -> Result<SigHandler> {
    match choose(config, kept, obs)? {
        None => Ok(SigHandler::from_config(config)?),
        Some((Choice::Native(rules), _)) => Ok(SigHandler::from_config_as(config, Some(rules))?),
        Some((Choice::Python(class), name)) => {
            let rules = PyRules::ask(config, &name, &class, graph, recipes, infos)?;
            Ok(SigHandler::with_rules(config, Arc::new(rules))?)
        }
    }
}

fn handler_error(name: &str, reason: String) -> crate::Error {
    bb_siggen::Error::Handler {
        name: name.to_owned(),
        reason,
    }
    .into()
}

/// Where the answer of `_bake_sighandler.describe` is kept between runs: beside the
/// parse cache, under the same configuration key ([`bb_cooker::ParseResult::cache_key`]).
#[derive(Debug, Clone, Copy)]
pub struct Kept<'a> {
    /// The parse cache file (the answer is kept in [`KEPT_FILE`] beside it).
    pub cache_file: &'a Path,
    /// The parse cache's configuration key.
    pub config_key: &'a str,
}

/// The file beside the parse cache that keeps the handler's description.
pub const KEPT_FILE: &str = "bake-sighandler.json";

/// The handler's description as kept: valid while the configuration key, the handler's
/// name and every source file of the metadata's loaded Python modules are unchanged.
#[derive(Debug, Serialize, Deserialize)]
struct KeptAnswer {
    config: String,
    name: String,
    files: Vec<FileState>,
    /// `describe`'s JSON answer.
    described: String,
}

impl Kept<'_> {
    fn path(&self) -> PathBuf {
        self.cache_file.with_file_name(KEPT_FILE)
    }

    /// The kept answer for handler `name`, when it still holds (an unreadable or
    /// damaged file counts as none: the answer is asked again and the file rewritten).
    fn read(&self, name: &str, hasher: &FileHasher) -> Option<String> {
        let text = fs_err::read_to_string(self.path()).ok()?;
        let kept: KeptAnswer = serde_json::from_str(&text).ok()?;
        (kept.config == self.config_key
            && kept.name == name
            && kept.files.iter().all(|f| hasher.unchanged(f)))
        .then_some(kept.described)
    }

    fn write(&self, name: &str, described: &str, files: &[String]) -> std::io::Result<()> {
        let hasher = FileHasher::default();
        let kept = KeptAnswer {
            config: self.config_key.to_owned(),
            name: name.to_owned(),
            files: files.iter().map(|f| hasher.state(f)).collect(),
            described: described.to_owned(),
        };
        let text = serde_json::to_vec(&kept).map_err(std::io::Error::other)?;
        bb_util::fs::atomic_write(&self.path(), &text)
    }
}

/// What decides the rules of the configured handler, with the handler's name; `None`:
/// chosen by name (no CPython, a name of BitBake's own classes, or an openembedded-core
/// name no class has, which bake hashes with the native rules of that name). With
/// `kept`, CPython is asked only when the kept answer no longer holds (a failure to
/// keep the new one is a warning to `obs`, not an error).
pub fn choose(
    config: &DataStore,
    kept: Option<Kept<'_>>,
    obs: &dyn Observer,
) -> Result<Option<(Choice, String)>> {
    let name = config
        .get_var("BB_SIGNATURE_HANDLER")?
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "noop".to_owned());
    let Some(host) = bb_data::python::python_host() else {
        return Ok(None);
    };
    if matches!(name.as_str(), "noop" | "basic" | "basichash") {
        return Ok(None);
    }
    let hasher = FileHasher::default();
    let (out, fresh) = match kept.and_then(|k| k.read(&name, &hasher)) {
        Some(out) => (out, false),
        None => {
            let out = host
                .eval_expr(config, "__import__('_bake_sighandler').describe(d)", None)
                .map_err(|f| handler_error(&name, format!("finding its class: {f}")))?;
            (out, true)
        }
    };
    let described: Described = serde_json::from_str(&out)
        .map_err(|e| handler_error(&name, format!("bake's class lookup answered `{out}`: {e}")))?;
    if fresh
        && let Some(k) = kept
        && let Err(e) = k.write(&name, &out, &described.files)
    {
        obs.log(
            Level::Warning,
            &format!("{}: not written: {e}", k.path().display()),
        );
    }
    Ok(decide(&name, described)?.map(|c| (c, name)))
}

/// The choice for handler `name` from what `_bake_sighandler.describe` found.
fn decide(name: &str, described: Described) -> Result<Option<Choice>> {
    if !described.found {
        if bb_siggen::KNOWN_HANDLERS.contains(&name) {
            return Ok(None);
        }
        return Err(handler_error(
            name,
            format!(
                "no signature handler class has this name (bb.siggen has: {})",
                described.available.join(", ")
            ),
        ));
    }
    let class = described.class;
    let defs = |m: &str| described.methods.get(m).map_or(&[][..], Vec::as_slice);
    for method in HASH_METHODS {
        if let Some(d) = defs(method)
            .iter()
            .find(|d| !d.known(method, OE_HASH_METHODS))
        {
            return Err(handler_error(
                name,
                format!(
                    "class {class}: {method} of {} ({}) is not one bake knows; bake computes \
                     task hashes itself and calls only rundep_check of a Python signature \
                     handler",
                    d.owner,
                    if d.r#where.is_empty() {
                        "no source"
                    } else {
                        &d.r#where
                    }
                ),
            ));
        }
    }
    let rule_defs = || {
        ["rundep_check", "init_rundepcheck", "tasks_resolved"]
            .into_iter()
            .flat_map(|m| defs(m).iter().map(move |d| (m, d)))
    };
    let oe_rundep = |d: &Definition| {
        d.digest
            .as_deref()
            .is_some_and(|x| OE_RUNDEP_CHECK.contains(&x))
    };
    let choice = if rule_defs().all(|(_, d)| d.bake) {
        Choice::Native("basichash")
    } else if defs("rundep_check").first().is_some_and(oe_rundep)
        && rule_defs()
            .all(|(m, d)| d.known(m, OE_RULE_METHODS) || (m == "rundep_check" && oe_rundep(d)))
    {
        Choice::Native("OEEquivHash")
    } else {
        Choice::Python(class)
    };
    Ok(Some(choice))
}

/// A Python handler's answers for the edges of one build: per task (recipe target,
/// task), the dependencies its `rundep_check` dropped.
#[derive(Debug, Default)]
pub struct PyRules {
    dropped: HashMap<String, HashMap<String, Vec<(String, String)>>>,
    edges: usize,
}

impl PyRules {
    /// Calls the handler's `tasks_resolved` with the `virtual/*` providers of `graph`, then
    /// asks its `rundep_check` about every edge of `graph`, in one call (BitBake's order).
    fn ask(
        config: &DataStore,
        name: &str,
        class: &str,
        graph: &TaskGraph,
        recipes: &[RecipeInfo],
        infos: &HashMap<String, BuildInfo>,
    ) -> Result<PyRules> {
        let host = bb_data::python::python_host().ok_or_else(|| {
            handler_error(
                name,
                format!("class {class} needs Python, and this bake has none"),
            )
        })?;
        let locked = config
            .get_var("SIGGEN_LOCKEDSIGS_TYPES")?
            .unwrap_or_default();
        if !locked.trim().is_empty() {
            return Err(handler_error(
                name,
                format!(
                    "locked signatures (SIGGEN_LOCKEDSIGS_TYPES = `{}`) are not supported",
                    locked.trim()
                ),
            ));
        }
        let by_fn: HashMap<&str, &RecipeInfo> =
            recipes.iter().map(|r| (r.fn_name.as_str(), r)).collect();
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut recipe_args = Vec::new();
        for fn_name in graph.recipes.keys() {
            index.insert(fn_name, recipe_args.len());
            let r = by_fn.get(fn_name.as_str());
            let info = infos.get(fn_name);
            let basehashes: serde_json::Map<String, serde_json::Value> = info
                .map(|i| {
                    i.tasks
                        .iter()
                        .map(|(t, (h, _))| (t.clone(), h.clone().into()))
                        .collect()
                })
                .unwrap_or_default();
            recipe_args.push(json!({
                "fn": fn_name,
                "pn": graph.recipes.get(fn_name).map_or("", |(pn, _)| pn.as_str()),
                "pe": r.map_or("", |r| r.pe.as_str()),
                "pv": r.map_or("", |r| r.pv.as_str()),
                "pr": r.map_or("", |r| r.pr.as_str()),
                "inherits": r.map(|r| &r.inherits),
                "rundeps": r.map(|r| &r.rundeps),
                "runrecs": r.map(|r| &r.runrecs),
                "packages": r.map(|r| &r.packages),
                "packages_dynamic": r.map(|r| &r.packages_dynamic),
                "rprovides": r.map(|r| &r.rprovides),
                "provides": r.map(|r| &r.provides),
                "depends": r.map(|r| &r.depends),
                "stamp": info.map_or("", |i| i.stamp.as_str()),
                "basehashes": basehashes,
            }));
        }
        let tasks: Vec<serde_json::Value> = graph
            .tasks
            .iter()
            .map(|t| json!([index.get(t.fn_name.as_str()).copied().unwrap_or(0), t.task]))
            .collect();
        let mut edges = Vec::new();
        for (i, deps) in graph.deps.iter().enumerate() {
            edges.extend(deps.iter().map(|&j| [i, j]));
        }
        // BitBake's `taskData.get_providermap(prefix="virtual/")`: the `virtual/*` names
        // the build resolved, each to its provider's recipe file.
        let virtmap: serde_json::Map<String, serde_json::Value> = graph
            .depends
            .values()
            .flatten()
            .filter(|(name, _)| name.starts_with("virtual/"))
            .map(|(name, target)| (name.clone(), target.clone().into()))
            .collect();
        let args = json!({"recipes": recipe_args, "tasks": tasks, "edges": edges,
                          "virtmap": virtmap});
        let mut d = config.clone();
        d.set_var(ARGS_VAR, &args.to_string());
        let out = host
            .eval_expr(&d, "__import__('_bake_sighandler').rundep_edges(d)", None)
            .map_err(|f| handler_error(name, format!("{class}.rundep_check failed: {f}")))?;
        let dropped: Vec<usize> = serde_json::from_str(&out).map_err(|e| {
            handler_error(
                name,
                format!("bake's rundep_check call answered `{out}`: {e}"),
            )
        })?;
        let mut rules = PyRules {
            dropped: HashMap::new(),
            edges: edges.len(),
        };
        for n in dropped {
            let Some(&[i, j]) = edges.get(n) else {
                return Err(handler_error(
                    name,
                    format!(
                        "bake's rundep_check call answered edge {n} of {}",
                        edges.len()
                    ),
                ));
            };
            let (t, dep) = (&graph.tasks[i], &graph.tasks[j]);
            rules
                .dropped
                .entry(t.fn_name.clone())
                .or_default()
                .entry(t.task.clone())
                .or_default()
                .push((dep.fn_name.clone(), dep.task.clone()));
        }
        Ok(rules)
    }

    /// The number of edges asked about.
    pub fn edges(&self) -> usize {
        self.edges
    }
}

impl EdgeRules for PyRules {
    fn keep(&self, task: &EdgeEnd<'_>, dep: &EdgeEnd<'_>) -> bool {
        !self
            .dropped
            .get(task.fn_name)
            .and_then(|m| m.get(task.task))
            .is_some_and(|v| v.iter().any(|(f, t)| f == dep.fn_name && t == dep.task))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OE_INIT: &str = "607c358fc3e14e216e5933e367a94d3d0cbb5d6af56ef58e3d0dc83486b3a59f";
    const OE_EQUIV_INIT: &str = "9ded1d8eba0265e47c2d21ce8a3c5e70a42dbde008fadcdd8a561fa873c0dda8";

    fn def(owner: &str, digest: Option<&str>) -> serde_json::Value {
        json!({"owner": owner, "bake": owner.starts_with("bb.siggen."), "digest": digest,
               "where": format!("{owner}.py:1")})
    }

    /// openembedded-core's OEEquivHash as `describe` reports it, with `edit` applied.
    fn oe(edit: impl FnOnce(&mut serde_json::Value)) -> Described {
        let mixin = "oe.sstatesig.SignatureGeneratorOEBasicHashMixIn";
        let mut v = json!({"found": true, "class": "oe.sstatesig.SignatureGeneratorOEEquivHash",
        "methods": {
            "rundep_check": [def(mixin, Some(OE_RUNDEP_CHECK[0])),
                             def("bb.siggen.SignatureGeneratorBasic", None)],
            "init_rundepcheck": [def("oe.sstatesig.SignatureGeneratorOEEquivHash", Some(OE_EQUIV_INIT)),
                                 def(mixin, Some(OE_INIT)),
                                 def("bb.siggen.SignatureGeneratorBasic", None)],
            "get_taskhash": [def(mixin, Some("d16dabb3cb9a5320213ee47c5437ebf96f99866f0da411ceea0afff83d8b71c1")),
                             def("bb.siggen.SignatureGenerator", None)],
        }});
        edit(&mut v);
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn openembedded_core_takes_the_native_path() {
        let c = decide("OEEquivHash", oe(|_| {})).unwrap();
        assert_eq!(c, Some(Choice::Native("OEEquivHash")));
        // A subclass that changes nothing bake looks at: the same.
        let c = decide("MyHash", oe(|v| v["class"] = json!("mylayer.MyHash"))).unwrap();
        assert_eq!(c, Some(Choice::Native("OEEquivHash")));
    }

    #[test]
    fn other_rules_take_the_python_path() {
        // Its own rundep_check, before oe-core's.
        let c = decide(
            "OEEquivHash",
            oe(|v| {
                v["methods"]["rundep_check"]
                    .as_array_mut()
                    .unwrap()
                    .insert(0, def("mylayer.MyHash", Some("00")))
            }),
        )
        .unwrap();
        assert_eq!(
            c,
            Some(Choice::Python(
                "oe.sstatesig.SignatureGeneratorOEEquivHash".into()
            ))
        );
        // oe-core's rundep_check of an older release (another sstate_rundepfilter).
        let c = decide(
            "OEEquivHash",
            oe(|v| v["methods"]["rundep_check"][0]["digest"] = json!("28de4c66")),
        )
        .unwrap();
        assert!(matches!(c, Some(Choice::Python(_))), "{c:?}");
        // A changed init_rundepcheck somewhere along the MRO (super() reaches it).
        let c = decide(
            "OEEquivHash",
            oe(|v| v["methods"]["init_rundepcheck"][1]["digest"] = json!("11")),
        )
        .unwrap();
        assert!(matches!(c, Some(Choice::Python(_))), "{c:?}");
    }

    #[test]
    fn bakes_own_rules_are_basichash() {
        let d: Described = serde_json::from_value(json!({"found": true, "class": "l.H",
            "methods": {"rundep_check": [def("bb.siggen.SignatureGeneratorBasic", None)],
                        "init_rundepcheck": [def("bb.siggen.SignatureGeneratorBasic", None)]}}))
        .unwrap();
        assert_eq!(decide("H", d).unwrap(), Some(Choice::Native("basichash")));
    }

    #[test]
    fn hash_methods_and_unknown_names_are_refused() {
        let e = decide(
            "OEEquivHash",
            oe(|v| v["methods"]["stampfile"] = json!([def("mylayer.MyHash", Some("22"))])),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("stampfile of mylayer.MyHash (mylayer.MyHash.py:1)"),
            "{e}"
        );
        let e = decide(
            "Nope",
            serde_json::from_value(json!({"found": false, "available": ["basic", "noop"]}))
                .unwrap(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains(
                "`Nope`: no signature handler class has this name (bb.siggen has: basic, noop)"
            ),
            "{e}"
        );
        // oe-core's names without oe-core's classes: by name, as before.
        let none: Described =
            serde_json::from_value(json!({"found": false, "available": []})).unwrap();
        assert_eq!(decide("OEBasicHash", none).unwrap(), None);
    }
}
