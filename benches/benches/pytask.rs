//! The cost of an empty Python task on a warm task worker (issue 12 §4: under 10 ms;
//! BitBake about 70 ms): a recipe whose tasks `do_t0` .. `do_tN-1` are `python` functions
//! that do nothing (`pass`), in a chain, built with the `bake` binary
//! (`BAKE_BIN`, else `target/release/bake`). The worker starts with the first task; the
//! per-task figure is (time of N tasks - time of 1 task) / (N - 1): scheduling, the
//! worker's round trip, re-parsing the recipe, the fork and the Python task runtime
//! (log, run script, datastore in Python, prefuncs/postfuncs: none).
//!
//! The same with the worker's datastore cache at work (`taskcache.rs`): a recipe of N
//! chained shell tasks (`true`) whose parse costs something (a class of 2,000
//! assignments and an anonymous Python function), and a configuration with a handler
//! of `bb.build.TaskStarted` (oe-core's buildstats has one), which sends every task to a
//! worker. Per task: what a task costs once its recipe is parsed (the worker parses it
//! for the first task only).
//!
//! A small harness, not criterion: medians of a few runs, printed with min and max.
//! Skipped with a message when the binary is missing.
#![expect(
    clippy::disallowed_methods,
    reason = "test inputs are written directly"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const TASKS: usize = 41;
const RUNS: usize = 5;

/// The kind of tasks of a bench recipe.
#[derive(Clone, Copy)]
enum Kind {
    /// Empty Python tasks, a one-line recipe.
    EmptyPython,
    /// Shell tasks running `true`, a recipe that costs a parse, and a configuration
    /// handler of TaskStarted (every task runs in a worker).
    ShellWithHandler,
}

/// A build directory with one recipe of `n` chained tasks of kind `kind`.
fn world(dir: &Path, n: usize, kind: Kind) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("conf")).expect("invariant: bench directory");
    std::fs::create_dir_all(dir.join("classes")).expect("invariant: bench directory");
    std::fs::create_dir_all(dir.join("recipes")).expect("invariant: bench directory");
    std::fs::write(
        dir.join("conf/bitbake.conf"),
        "BBFILES = \"${TOPDIR}/recipes/*.bb\"\nPN = \"empty\"\nPV = \"1.0\"\nPR = \"r0\"\n\
         TMPDIR = \"${TOPDIR}/tmp\"\nSTAMP = \"${TMPDIR}/stamps/${PN}\"\n\
         WORKDIR = \"${TMPDIR}/work/${PN}\"\nT = \"${WORKDIR}/temp\"\n\
         CACHE = \"${TMPDIR}/cache\"\nBB_NUMBER_THREADS = \"1\"\n",
    )
    .expect("invariant: bench file");
    let mut base = String::new();
    if let Kind::ShellWithHandler = kind {
        base.push_str(
            "addhandler on_task\non_task[eventmask] = \"bb.build.TaskStarted\"\n\
             python on_task() {\n    e.data.getVar(\"PN\")\n}\n\
             python () {\n    d.setVar(\"FROM_ANON\", \" \".join(sorted(d.keys()))[:64])\n}\n",
        );
    }
    std::fs::write(dir.join("classes/base.bbclass"), base).expect("invariant: bench file");
    let mut recipe = String::new();
    if let Kind::ShellWithHandler = kind {
        let mut heavy = String::new();
        for i in 0..2000 {
            heavy.push_str(&format!("V{i} = \"${{PN}}-{i}\"\nV{i}:append = \" x\"\n"));
        }
        std::fs::write(dir.join("classes/heavy.bbclass"), heavy).expect("invariant: bench file");
        recipe.push_str("inherit heavy\n");
    }
    for i in 0..n {
        match kind {
            Kind::EmptyPython => {
                recipe.push_str(&format!("python do_t{i}() {{\n    pass\n}}\n"));
            }
            Kind::ShellWithHandler => recipe.push_str(&format!("do_t{i}() {{\n    true\n}}\n")),
        }
        if i == 0 {
            recipe.push_str("addtask t0\n");
        } else {
            recipe.push_str(&format!("addtask t{i} after do_t{}\n", i - 1));
        }
    }
    recipe.push_str(&format!(
        "do_build[noexec] = \"1\"\naddtask build after do_t{}\n",
        n - 1
    ));
    std::fs::write(dir.join("recipes/empty_1.0.bb"), recipe).expect("invariant: bench file");
}

/// Wall time of `bake empty` in `dir` (fresh TMPDIR stamps, parse cache kept).
fn build(bin: &Path, dir: &Path) -> Duration {
    let _ = std::fs::remove_dir_all(dir.join("tmp/stamps"));
    let _ = std::fs::remove_dir_all(dir.join("tmp/work"));
    let t = Instant::now();
    let out = Command::new(bin)
        .arg("empty")
        .current_dir(dir)
        .env("BBPATH", dir)
        .env("BAKE_NO_PROGRESS", "1")
        .output()
        .expect("invariant: bake runs");
    let took = t.elapsed();
    assert!(
        out.status.success(),
        "bake failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn median(mut v: Vec<Duration>) -> (Duration, Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

#[expect(clippy::print_stdout, reason = "the bench's report")]
fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let bin = std::env::var_os("BAKE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/bake"));
    if !bin.exists() {
        println!(
            "pytask: no bake binary at {} (cargo build --release -p bake, or BAKE_BIN=...): skipped",
            bin.display()
        );
        return;
    }
    let base = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    for (kind, what) in [
        (Kind::EmptyPython, "empty Python task"),
        (
            Kind::ShellWithHandler,
            "shell task with a TaskStarted handler",
        ),
    ] {
        measure(&bin, &base, kind, what);
    }
}

/// Builds the worlds of 1 and [`TASKS`] tasks of `kind` [`RUNS`] times and prints the
/// per-task figure.
#[expect(clippy::print_stdout, reason = "the bench's report")]
fn measure(bin: &Path, base: &Path, kind: Kind, what: &str) {
    let bin = bin.to_owned();
    let one = base.join("bake-bench-pytask-1");
    let many = base.join(format!("bake-bench-pytask-{TASKS}"));
    world(&one, 1, kind);
    world(&many, TASKS, kind);
    // A first build parses and fills the parse cache.
    build(&bin, &one);
    build(&bin, &many);
    let (mut t1, mut tn) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        t1.push(build(&bin, &one));
        tn.push(build(&bin, &many));
    }
    let (m1, lo1, hi1) = median(t1);
    let (mn, lon, hin) = median(tn);
    let per = mn.saturating_sub(m1).as_secs_f64() / (TASKS - 1) as f64;
    println!(
        "bake, 1 task ({what}): median {:.1} ms (min {:.1}, max {:.1})",
        m1.as_secs_f64() * 1e3,
        lo1.as_secs_f64() * 1e3,
        hi1.as_secs_f64() * 1e3
    );
    println!(
        "bake, {TASKS} chained tasks ({what}): median {:.1} ms (min {:.1}, max {:.1})",
        mn.as_secs_f64() * 1e3,
        lon.as_secs_f64() * 1e3,
        hin.as_secs_f64() * 1e3
    );
    println!(
        "per task on a warm worker ({what}): {:.2} ms{}",
        per * 1e3,
        match kind {
            Kind::EmptyPython => " (target < 10 ms)",
            Kind::ShellWithHandler => "",
        }
    );
    let _ = std::fs::remove_dir_all(&one);
    let _ = std::fs::remove_dir_all(&many);
}
