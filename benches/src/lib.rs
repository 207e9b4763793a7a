//! Shared pieces of the build-engine benchmarks: the generated worlds (recipes of
//! trivial shell tasks with a chosen dependency shape and stamp layout) and the steps
//! `bake` takes before running them (parse with the cache, task graph, build
//! information, task hashes). Used by the `build` and `scale` benches.
//!
//! Entry points: [`World`] (what to generate) and [`World::write`], [`cooker`],
//! [`prepare`].

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use bb_cooker::{Cooker, CookerOptions};

/// How the recipes of a world depend on one another (through DEPENDS and
/// `do_t0[deptask] = "do_tN"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Recipe `i` depends on recipes `i/2` and `i/3` (the `build` bench's world).
    Tree,
    /// Recipe `i` depends on recipe `i-1`: one long chain, nothing runs in parallel.
    Deep,
    /// Every recipe depends on recipe 0 only: after it, everything can run at once.
    Wide,
}

/// Where the stamps go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamps {
    /// One directory per recipe: `${TMPDIR}/stamps/${PN}/${PV}-${PR}`.
    PerRecipe,
    /// One directory for all recipes: `${TMPDIR}/stamps/${MACHINE}/${PF}`.
    Shared,
}

/// A generated world: `recipes` recipes `r<i>` of `tasks` shell tasks `do_t0`..
/// running `true` in a chain, then a noexec `do_build`, plus a recipe `world` that
/// depends on all of them (built as `bake world`).
#[derive(Debug, Clone, Copy)]
pub struct World {
    /// Recipes besides `world`.
    pub recipes: usize,
    /// Shell tasks per recipe.
    pub tasks: usize,
    /// The dependency shape.
    pub shape: Shape,
    /// The stamp layout.
    pub stamps: Stamps,
}

#[expect(
    clippy::disallowed_methods,
    reason = "generated benchmark inputs are written directly"
)]
fn write(root: &Path, rel: &str, text: &str) -> std::io::Result<()> {
    let p = root.join(rel);
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(p, text)
}

impl World {
    /// Tasks in the graph of `bake world`: every recipe's tasks and `do_build`, and the
    /// `world` recipe's.
    pub fn graph_tasks(&self) -> usize {
        (self.recipes + 1) * (self.tasks + 1)
    }

    /// Writes the world under `root` (no bblayers.conf: BBPATH names it, as for
    /// BitBake).
    pub fn write(&self, root: &Path) -> std::io::Result<()> {
        let stamp = match self.stamps {
            Stamps::PerRecipe => "${TMPDIR}/stamps/${PN}/${PV}-${PR}",
            Stamps::Shared => "${TMPDIR}/stamps/${MACHINE}/${PF}",
        };
        write(
            root,
            "conf/bitbake.conf",
            &format!(
                r#"BBFILES = "${{TOPDIR}}/recipes/*.bb"
PN = "${{@bb.parse.vars_from_file(d.getVar('FILE', False),d)[0] or 'defaultpkgname'}}"
PV = "${{@bb.parse.vars_from_file(d.getVar('FILE', False),d)[1] or '1.0'}}"
PR = "r0"
PF = "${{PN}}-${{PV}}-${{PR}}"
MACHINE = "qemux86-64"
TMPDIR = "${{TOPDIR}}/tmp"
STAMP = "{stamp}"
WORKDIR = "${{TMPDIR}}/work/${{PN}}/${{PV}}-${{PR}}"
T = "${{WORKDIR}}/temp"
B = "${{WORKDIR}}/build"
CACHE = "${{TOPDIR}}/cache"
BB_NUMBER_THREADS = "2"
BB_SIGNATURE_HANDLER = "basichash"
BB_BASEHASH_IGNORE_VARS = "TMPDIR TOPDIR FILE PATH PWD BB_TASKHASH CACHE"
OVERRIDES = "pn-${{PN}}"
PACKAGES = "${{PN}}"
export PATH = "/usr/bin:/bin"
"#
            ),
        )?;
        let mut base = String::new();
        let mut prev: Option<String> = None;
        for t in 0..self.tasks {
            base.push_str(&format!("do_t{t}() {{\n\ttrue\n}}\n"));
            match &prev {
                Some(p) => base.push_str(&format!("addtask t{t} after {p}\n")),
                None => base.push_str(&format!("addtask t{t}\n")),
            }
            prev = Some(format!("do_t{t}"));
        }
        let last = self.tasks.saturating_sub(1);
        base.push_str(&format!(
            "do_t0[deptask] = \"do_t{last}\"\ndo_t0[dirs] = \"${{B}}\"\n"
        ));
        base.push_str(&format!(
            "do_build[noexec] = \"1\"\naddtask build after do_t{last}\n"
        ));
        write(root, "classes/base.bbclass", &base)?;
        let mut all = Vec::new();
        for i in 0..self.recipes {
            let candidates: Vec<usize> = match self.shape {
                Shape::Tree => vec![i / 2, i / 3],
                Shape::Deep => vec![i.saturating_sub(1)],
                Shape::Wide => vec![0],
            };
            let mut deps: Vec<String> = Vec::new();
            for d in candidates {
                if d < i && !deps.contains(&format!("r{d}")) {
                    deps.push(format!("r{d}"));
                }
            }
            write(
                root,
                &format!("recipes/r{i}_1.0.bb"),
                &format!("DEPENDS = \"{}\"\n", deps.join(" ")),
            )?;
            all.push(format!("r{i}"));
        }
        write(
            root,
            "recipes/world_1.0.bb",
            &format!(
                "DEPENDS = \"{}\"\ndo_build[deptask] = \"do_t{last}\"\n",
                all.join(" ")
            ),
        )
    }
}

/// A cooker for the world in `dir` (BBPATH and PWD set to it).
pub fn cooker(dir: &Path) -> bb_cooker::Result<Cooker> {
    let mut opts = CookerOptions::from_process()?;
    opts.cwd = dir.to_path_buf();
    opts.env.retain(|(k, _)| k != "BBPATH" && k != "PWD");
    opts.env
        .push(("BBPATH".into(), dir.to_string_lossy().into_owned()));
    opts.env
        .push(("PWD".into(), dir.to_string_lossy().into_owned()));
    Cooker::new(&opts)
}

/// The graph and hashes of `bake world`.
pub struct Prepared {
    /// The task graph.
    pub graph: bb_taskgraph::TaskGraph,
    /// Every task's hashes and stamp.
    pub plans: Vec<bb_runqueue::hashes::TaskPlan>,
    /// What each recipe target's build needs.
    pub infos: HashMap<String, bb_cooker::BuildInfo>,
}

/// Graph and hashes, as `bake world` makes them (parse with the cache first); the time
/// of each step is pushed on `timing`. Panics (a benchmark) when a step fails.
pub fn prepare(
    dir: &Path,
    timing: &mut Vec<(String, Duration)>,
) -> (Cooker, bb_cooker::ParseResult, Prepared) {
    let t = Instant::now();
    let ck = cooker(dir).expect("invariant: the world's configuration parses");
    let loaded = ck.load_cache(ck.cache_file().as_deref());
    let res = ck.parse_all_from(loaded, &|_, _| {});
    timing.push(("parse (configuration + cache)".into(), t.elapsed()));
    assert!(
        res.failures.is_empty(),
        "{} recipes parsed, failures: {:?}",
        res.recipes.len(),
        res.failures.first().map(|f| &f.message)
    );
    let t = Instant::now();
    let mut config = ck.config.clone();
    bb_data::expand_keys(&mut config).expect("invariant: keys expand");
    let providers = bb_cooker::providers::Providers::new(&res.recipes);
    // `bake world`: every recipe not excluded from world.
    let opts = bb_taskgraph::GraphOptions {
        targets: providers
            .world_targets(Some("do_build"))
            .iter()
            .map(|pn| bb_taskgraph::Target::parse(pn, "build"))
            .collect(),
        ..bb_taskgraph::GraphOptions::default()
    };
    let (graph, _) = bb_taskgraph::build_graph(&providers, &config, &opts);
    let graph = graph.expect("invariant: the world has a graph");
    timing.push(("task graph".into(), t.elapsed()));
    let t = Instant::now();
    let fns: Vec<String> = graph.recipes.keys().cloned().collect();
    let infos: HashMap<String, bb_cooker::BuildInfo> = fns
        .iter()
        .cloned()
        .zip(
            ck.build_infos(&res, &fns, &bb_runqueue::hashes::build_info)
                .expect("invariant: build information"),
        )
        .collect();
    timing.push(("build information (basehashes)".into(), t.elapsed()));
    let t = Instant::now();
    let plans = bb_runqueue::hashes::plan(&graph, &infos).expect("invariant: plan");
    timing.push(("task hashes and stamps".into(), t.elapsed()));
    (
        ck,
        res,
        Prepared {
            graph,
            plans,
            infos,
        },
    )
}

/// The finalized datastores of the recipes with a task that is not up to date (what
/// `bake` parses before running).
pub fn recipes_to_run(ck: &Cooker, p: &Prepared) -> HashMap<String, bb_data::DataStore> {
    let current = bb_runqueue::hashes::up_to_date(&p.graph, &p.plans);
    let mut need: Vec<String> = p
        .graph
        .tasks
        .iter()
        .zip(&current)
        .filter(|(_, up)| !**up)
        .map(|(t, _)| t.fn_name.clone())
        .collect();
    need.sort();
    need.dedup();
    ck.parse_targets(&need)
        .into_iter()
        .map(|(f, r)| (f, r.expect("invariant: recipe parses")))
        .collect()
}

/// Peak resident memory of this process so far, in bytes (the kernel's high-water
/// mark, `VmHWM`, the figure `getrusage` reports as `ru_maxrss`).
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// CPU time this process has used so far (user + system, all its threads, not its
/// children), from `/proc/self/stat` (clock ticks of 10 ms).
pub fn self_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command (which may hold spaces) end with `)`.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command.
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}
