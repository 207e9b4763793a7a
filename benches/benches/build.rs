//! Build-engine benchmarks on a generated world of 1,000 recipes with 10 trivial shell
//! tasks each (`true`), recipe `i` depending on recipes `i/2` and `i/3` through
//! `[deptask]`, plus a `world` recipe that depends on all of them, built as `bake world`
//! (11,011 tasks, the same graph as `bitbake -g world`):
//!
//! (a) the task graph and every task hash from a warm parse cache (library calls:
//!     `build_graph`, `build_infos` from the cache, `plan`), and the same the first time
//!     (build information computed from the parsed recipes);
//! (b) executing every task on BB_NUMBER_THREADS=2 workers, fresh TMPDIR, against the
//!     cost of starting a shell for a run script;
//! (c) a no-op rebuild (everything up to date);
//! (d) (b) with and without Toaster recording, alternating: the recorder's overhead.
//!
//! A small harness, not criterion: each figure is the median of a few runs, printed with
//! min and max. The world lives on `/dev/shm` when it exists (see `main`). `BAKE_BENCH_WORLD_DIR=DIR` keeps the generated world in DIR (to run real
//! BitBake on it: `BBPATH=DIR bitbake world`).
#![expect(
    clippy::disallowed_methods,
    reason = "test inputs are written directly"
)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bb_cooker::Cooker;
use benches::{Prepared, Shape, Stamps, World, prepare};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RECIPES: usize = 1000;
const TASKS: usize = 10;

struct Stats(Vec<Duration>);

impl Stats {
    fn show(&mut self, what: &str) -> Duration {
        self.0.sort();
        let med = self.0[self.0.len() / 2];
        #[allow(clippy::print_stdout)]
        {
            println!(
                "{what:<58} median {:>9.1} ms  (min {:.1}, max {:.1}, {} runs)",
                med.as_secs_f64() * 1e3,
                self.0[0].as_secs_f64() * 1e3,
                self.0[self.0.len() - 1].as_secs_f64() * 1e3,
                self.0.len()
            );
        }
        med
    }
}

/// What `bake` records when Toaster recording is on: the configuration's variables with
/// their history and the layers (as `bins/bake/src/record.rs` gathers them).
fn build_start(ck: &Cooker) -> bb_toaster::BuildStart {
    let config = &ck.config;
    let var = |k: &str| config.get_var(k).ok().flatten().unwrap_or_default();
    let mut keys = config.keys();
    keys.sort();
    bb_toaster::BuildStart {
        machine: var("MACHINE"),
        distro: var("DISTRO"),
        targets: vec![("world".into(), String::new())],
        layers: vec![bb_toaster::LayerInfo {
            name: "world".into(),
            path: var("TOPDIR"),
            ..bb_toaster::LayerInfo::default()
        }],
        variables: keys
            .iter()
            .filter(|k| !k.starts_with("__"))
            .map(|k| bb_toaster::VariableRow {
                name: k.clone(),
                value: var(k),
                doc: config.get_var_flag(k, "doc", false).ok().flatten(),
                func: config
                    .get_var_flag(k, "func", false)
                    .ok()
                    .flatten()
                    .is_some(),
                history: config
                    .history(k)
                    .iter()
                    .map(|h| bb_toaster::HistoryRow {
                        file_name: h.origin.file.to_string(),
                        line_number: Some(i64::from(h.origin.line)),
                        operation: h.op.clone(),
                        value: h.detail.clone(),
                    })
                    .collect(),
            })
            .collect(),
        ..bb_toaster::BuildStart::default()
    }
}

/// The dependency tree `bake` gives the recorder.
fn dep_tree(p: &Prepared) -> bb_toaster::DepTree {
    bb_toaster::DepTree {
        recipes: p
            .graph
            .recipes
            .iter()
            .map(|(f, (pn, v))| bb_toaster::RecipeRow {
                fn_name: f.clone(),
                name: pn.clone(),
                version: v.clone(),
                pf: pn.clone(),
                depends: p.graph.depends.get(f).cloned().unwrap_or_default(),
                ..bb_toaster::RecipeRow::default()
            })
            .collect(),
        tasks: p
            .graph
            .tasks
            .iter()
            .zip(&p.plans)
            .map(|(t, plan)| bb_toaster::TaskRow {
                fn_name: t.fn_name.clone(),
                task: t.task.clone(),
                python: false,
                hash: plan.taskhash.clone(),
            })
            .collect(),
        deps: p.graph.deps.clone(),
    }
}

fn run(ck: &Cooker, p: &Prepared) -> bb_runqueue::Summary {
    run_recorded(ck, p, None)
}

/// Runs the build; with `db`, recorded for Toaster as `bake` records it (the recorder
/// started before the tasks, the dependency tree queued, every event forwarded by the
/// thread that receives them).
fn run_recorded(ck: &Cooker, p: &Prepared, db: Option<&Path>) -> bb_runqueue::Summary {
    let recorder = db.map(|db| {
        let r = bb_toaster::Recorder::start(db, build_start(ck)).expect("invariant: records");
        r.dep_tree(dep_tree(p));
        r
    });
    let recipes = benches::recipes_to_run(ck, p);
    let (tx, rx) = std::sync::mpsc::channel::<bb_runqueue::BuildEvent>();
    let drain = std::thread::spawn(move || {
        let n = rx
            .into_iter()
            .inspect(|e| {
                if let Some(r) = &recorder {
                    r.event(e);
                }
            })
            .count();
        if let Some(r) = recorder {
            r.finish().expect("invariant: recorded");
        }
        n
    });
    let opts = bb_runqueue::RunOptions {
        threads: 2,
        keep_going: false,
        dry_run: false,
        cancel: Default::default(),
        stop_tasks: Default::default(),
        targets: vec!["world".into()],
    };
    let s = bb_runqueue::run_build(
        &p.graph,
        &p.plans,
        &recipes,
        &bb_runqueue::builtin::Native::new(),
        &opts,
        &tx,
    );
    drop(tx);
    let _ = drain.join();
    s
}

fn main() {
    bb_pyexpr::set_host(std::sync::Arc::new(bb_pyexpr::SystemHost));
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    // On tmpfs when there is one: on ext4, creating thousands of files right after
    // deleting thousands (the previous run's TMPDIR) hits the kernel's slow inode
    // allocation path (`recently_deleted`), which measures the file system, not bake.
    let base = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = std::env::var_os("BAKE_BENCH_WORLD_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| base.join("bake-bench-build-world"));
    let _ = std::fs::remove_dir_all(&dir);
    World {
        recipes: RECIPES,
        tasks: TASKS,
        shape: Shape::Tree,
        stamps: Stamps::PerRecipe,
    }
    .write(&dir)
    .expect("invariant: the world is written");
    #[allow(clippy::print_stdout)]
    {
        println!(
            "world: {RECIPES} recipes x {TASKS} tasks + world, in {}",
            dir.display()
        );
    }

    // (a) graph and hashes: first time (build information computed), then from the cache.
    let mut first = Vec::new();
    let (_, _, p) = prepare(&dir, &mut first);
    #[allow(clippy::print_stdout)]
    {
        println!("tasks in the graph: {}", p.graph.len());
        for (what, d) in &first {
            println!(
                "  first build, {what:<40} {:>9.1} ms",
                d.as_secs_f64() * 1e3
            );
        }
    }
    let mut a = Stats(Vec::new());
    let mut parts: HashMap<String, Vec<Duration>> = HashMap::new();
    for _ in 0..5 {
        let mut timing = Vec::new();
        let t = Instant::now();
        let _ = prepare(&dir, &mut timing);
        a.0.push(t.elapsed());
        for (what, d) in timing {
            parts.entry(what).or_default().push(d);
        }
    }
    a.show("(a) graph + all task hashes, warm cache (incl. parse)");
    let mut names: Vec<&String> = parts.keys().collect();
    names.sort();
    for n in names {
        Stats(parts[n].clone()).show(&format!("    {n}"));
    }

    // The cost of a shell running a run script, for comparison.
    let script = dir.join("bench-run.sh");
    std::fs::write(&script, "#!/bin/sh\nset -e\ntrue\nexit 0\n").expect("invariant: writable");
    let n = 500;
    let t = Instant::now();
    for _ in 0..n {
        let _ = std::process::Command::new("/bin/sh").arg(&script).status();
    }
    let shell = t.elapsed() / n;
    #[allow(clippy::print_stdout)]
    {
        println!(
            "{:<58} mean {:>9.3} ms",
            "shell start (sh run-script, one at a time)",
            shell.as_secs_f64() * 1e3
        );
    }

    // (b) execute everything, fresh TMPDIR each time.
    let mut b = Stats(Vec::new());
    for _ in 0..3 {
        let _ = std::fs::remove_dir_all(dir.join("tmp"));
        let (ck, _, p) = prepare(&dir, &mut Vec::new());
        let t = Instant::now();
        let s = run(&ck, &p);
        b.0.push(t.elapsed());
        assert_eq!(s.failed, 0);
    }
    let wall = b.show("(b) execute all tasks (2 workers, fresh TMPDIR)");
    let tasks = p.graph.len() as f64;
    let per_task_thread = wall.as_secs_f64() * 2.0 / tasks;
    #[allow(clippy::print_stdout)]
    {
        println!(
            "    per task per worker {:.3} ms; overhead over a shell start {:.3} ms",
            per_task_thread * 1e3,
            (per_task_thread - shell.as_secs_f64()) * 1e3
        );
    }

    // (c) no-op rebuild: everything up to date (parse with cache + graph + hashes + run).
    let mut c = Stats(Vec::new());
    for _ in 0..5 {
        let t = Instant::now();
        let (ck, _, p) = prepare(&dir, &mut Vec::new());
        let s = run(&ck, &p);
        c.0.push(t.elapsed());
        assert_eq!(s.ran, 0);
    }
    c.show("(c) no-op rebuild (parse, graph, hashes, nothing to run)");

    // (d) Toaster recording: the same full build as (b), recorded and not, alternating.
    let db = dir.join("toaster.sqlite");
    let mut plain = Stats(Vec::new());
    let mut recorded = Stats(Vec::new());
    for i in 0..10 {
        let _ = std::fs::remove_dir_all(dir.join("tmp"));
        let (ck, _, p) = prepare(&dir, &mut Vec::new());
        let t = Instant::now();
        let s = if i % 2 == 1 {
            run_recorded(&ck, &p, Some(&db))
        } else {
            run(&ck, &p)
        };
        let took = t.elapsed();
        assert_eq!(s.failed, 0);
        if i % 2 == 1 {
            recorded.0.push(took);
        } else {
            plain.0.push(took);
        }
    }
    let a = plain.show("(d) execute all tasks, not recorded");
    let b = recorded.show("(d) execute all tasks, recorded for Toaster");
    let pct = |x: Duration, y: Duration| (y.as_secs_f64() / x.as_secs_f64() - 1.0) * 100.0;
    let fastest = |s: &Stats| s.0.iter().min().copied().unwrap_or_default();
    #[allow(clippy::print_stdout)]
    {
        println!(
            "    recording overhead (target < 5 %): medians {:+.1} %, fastest runs {:+.1} %",
            pct(a, b),
            pct(fastest(&plain), fastest(&recorded))
        );
    }
    let _ = p.infos.len();
}
