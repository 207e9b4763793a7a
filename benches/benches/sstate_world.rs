//! Generated worlds of 1,010 and 10,010 tasks (the benches library's [`World`], tree
//! shape, 100 and 1,000 recipes of 8 trivial shell tasks, then a `do_populate_sysroot`
//! that stages one file and is in SSTATETASKS through bake's own
//! `meta/classes/sstate.bbclass`, then the noexec `do_build`; plus `world`) built with
//! the `bake` binary, then rebuilt from their shared state into a fresh TMPDIR: every
//! `do_populate_sysroot` restored by its setscene task, everything below it covered.
//! The per-task cost of both sizes is printed side by side (it should not grow).
//!
//! Runs the binary named by `BAKE_BIN` (default `target/release/bake`: build it first
//! with `cargo build --release -p bake`) on `/dev/shm`; `BAKE_BENCH_SSTATE_RUNS`
//! (default 3) runs of each kind, medians printed; `BAKE_BENCH_SSTATE_RECIPES`
//! (default `100,1000`) the world sizes in recipes. Each run: a build from scratch
//! (TMPDIR and SSTATE_DIR empty, parse cache warm) and a restore (TMPDIR empty,
//! SSTATE_DIR full). About 2 minutes in all on an idle 2-core machine.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use benches::{Shape, Stamps, World};

/// Shell tasks per recipe: with `do_populate_sysroot` and `do_build`, 10 per recipe.
const TASKS: usize = 8;

fn base_dir() -> PathBuf {
    // tmpfs when there is one (see the `build` bench).
    if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[expect(
    clippy::disallowed_methods,
    reason = "generated benchmark inputs are written directly"
)]
fn append(path: &Path, text: &str) {
    let old = std::fs::read_to_string(path).expect("invariant: the world's file");
    std::fs::write(path, format!("{old}{text}")).expect("invariant: writable");
}

#[expect(
    clippy::disallowed_methods,
    reason = "generated benchmark inputs are written directly"
)]
fn replace(path: &Path, from: &str, to: &str) {
    let old = std::fs::read_to_string(path).expect("invariant: the world's file");
    assert!(old.contains(from), "{}: no `{from}`", path.display());
    std::fs::write(path, old.replace(from, to)).expect("invariant: writable");
}

/// The benches library's world with shared state: each recipe's chain ends in
/// `do_populate_sysroot` (an sstate task of bake's `meta/` class), and `world`
/// depends on those.
fn write_world(dir: &Path, recipes: usize) -> usize {
    let world = World {
        recipes,
        tasks: TASKS,
        shape: Shape::Tree,
        stamps: Stamps::Shared,
    };
    world.write(dir).expect("invariant: the world is written");
    let last = format!("do_t{}", TASKS - 1);
    append(
        &dir.join("conf/bitbake.conf"),
        r#"BBFILE_COLLECTIONS = "bakecore"
BBFILE_PATTERN_bakecore = "^${TOPDIR}/"
BBFILE_PRIORITY_bakecore = "1"
BUILD_ARCH = "x86_64"
TARGET_SYS = "x86_64-linux"
COMPONENTS_DIR = "${TMPDIR}/sysroots-components"
INHERIT += "sstate"
"#,
    );
    let base = dir.join("classes/base.bbclass");
    replace(
        &base,
        &format!("addtask build after {last}"),
        &format!(
            "do_populate_sysroot() {{\n\tmkdir -p ${{SYSROOT_DESTDIR}}/usr/share/${{PN}}\n\techo ${{PN}} > ${{SYSROOT_DESTDIR}}/usr/share/${{PN}}/${{PN}}.txt\n}}\ndo_populate_sysroot[cleandirs] = \"${{SYSROOT_DESTDIR}}\"\naddtask populate_sysroot after {last}\naddtask build after do_populate_sysroot"
        ),
    );
    replace(
        &base,
        &format!("do_t0[deptask] = \"{last}\""),
        "do_t0[deptask] = \"do_populate_sysroot\"",
    );
    replace(
        &dir.join("recipes/world_1.0.bb"),
        &format!("do_build[deptask] = \"{last}\""),
        "do_build[deptask] = \"do_populate_sysroot\"",
    );
    (recipes + 1) * (TASKS + 2)
}

/// `bake world` in `dir`: its wall time and the task summary line.
fn bake(bin: &Path, dir: &Path) -> (Duration, String) {
    let t = Instant::now();
    let out = Command::new(bin)
        .arg("world")
        .current_dir(dir)
        .env(
            "BBPATH",
            format!("{}:{}", dir.display(), repo().join("meta").display()),
        )
        .env("BAKE_NO_PROGRESS", "1")
        .output()
        .expect("invariant: bake runs");
    let took = t.elapsed();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bake world failed:\n{text}");
    let summary = text
        .lines()
        .filter(|l| l.contains("Sstate summary") || l.contains("Tasks Summary"))
        .map(|l| l.trim_start_matches("Initialising tasks..."))
        .collect::<Vec<_>>()
        .join(" / ");
    (took, summary)
}

fn remove(p: &Path) {
    match std::fs::remove_dir_all(p) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => panic!("{}: {e}", p.display()),
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let bin = std::env::var_os("BAKE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/release/bake"));
    assert!(
        bin.is_file(),
        "{} not found: build it (`cargo build --release -p bake`) or set BAKE_BIN",
        bin.display()
    );
    let runs: usize = std::env::var("BAKE_BENCH_SSTATE_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let sizes: Vec<usize> = std::env::var("BAKE_BENCH_SSTATE_RECIPES")
        .unwrap_or_else(|_| "100,1000".to_owned())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .unwrap_or_else(|_| panic!("BAKE_BENCH_SSTATE_RECIPES: `{s}` is not a number"))
        })
        .collect();
    let mut medians = Vec::new();
    for recipes in sizes {
        medians.push(one_size(&bin, recipes, runs.max(1)));
    }
    for (tasks, build, restore) in medians {
        per_task(tasks, build, restore);
    }
}

#[expect(clippy::print_stdout, reason = "the bench's report")]
fn per_task(tasks: usize, build: Duration, restore: Duration) {
    println!(
        "{tasks} tasks: build {:.2} ms/task, restore {:.2} ms/task",
        build.as_secs_f64() * 1e3 / tasks as f64,
        restore.as_secs_f64() * 1e3 / tasks as f64,
    );
}

/// The world of `recipes` recipes built and restored `runs` times: its task count and
/// the median build and restore times.
fn one_size(bin: &Path, recipes: usize, runs: usize) -> (usize, Duration, Duration) {
    let dir = base_dir().join(format!(
        "bake-bench-sstate-world-{}-{recipes}",
        std::process::id()
    ));
    remove(&dir);
    let tasks = write_world(&dir, recipes);
    // The first build fills the parse cache.
    let (first, s) = bake(bin, &dir);
    report("first build (cold parse cache)", tasks, first, &s);
    let (mut builds, mut restores) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        remove(&dir.join("tmp"));
        remove(&dir.join("sstate-cache"));
        let (b, s) = bake(bin, &dir);
        report("build, empty SSTATE_DIR", tasks, b, &s);
        builds.push(b);
        remove(&dir.join("tmp"));
        let (r, s) = bake(bin, &dir);
        report("rebuild from sstate, fresh TMPDIR", tasks, r, &s);
        restores.push(r);
    }
    let (build, restore) = (median(builds), median(restores));
    report("median build", tasks, build, "");
    report("median restore", tasks, restore, "");
    remove(&dir);
    (tasks, build, restore)
}

#[expect(clippy::print_stdout, reason = "the bench's report")]
fn report(what: &str, tasks: usize, took: Duration, summary: &str) {
    println!(
        "{what}: {tasks} tasks in {:.2} s ({:.0} tasks/s) {summary}",
        took.as_secs_f64(),
        tasks as f64 / took.as_secs_f64()
    );
}
