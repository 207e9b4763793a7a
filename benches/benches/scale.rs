//! How the build engine scales with the size of the build (issue 11 §4): generated
//! worlds of about 1,000, 10,000 and 100,000 tasks (recipes of 9 trivial shell tasks
//! and a noexec `do_build`, see `benches::World`), with one stamp directory per recipe
//! and with one shared by every recipe (`STAMP = "${TMPDIR}/stamps/${MACHINE}/${PF}"`),
//! in a deep shape (one chain: nothing runs in parallel) and a wide one (everything
//! depends on one recipe, then runs at once). For each world:
//!
//! - the full build on 2 workers (`run_build` only, fresh TMPDIR), and the per-task
//!   overhead over a bare `sh run-script` (wall time x busy workers / shell tasks,
//!   minus one shell's cost);
//! - a no-op rebuild: `run_build` with everything up to date, and the whole of it
//!   (parse with the cache, graph, hashes, run);
//! - the CPU time bake itself spends per task in `run_build` (user + system of the
//!   process, not of the shells: independent of how loaded the machine is), and the
//!   CPU time of the whole no-op rebuild;
//! - the peak resident memory of the process that did all this.
//!
//! Each world runs in a child process of its own (so that its peak memory is its own).
//! The default sizes are 1,000 and 10,000 tasks; `BAKE_BENCH_SCALE_SIZES=1000,10000,100000`
//! adds the 100,000-task worlds (minutes; nothing in CI runs benches).
//! `BAKE_BENCH_SCALE_ONLY=shared-deep` (stamps-shape) runs one kind only.
//!
//! For profiling: `--write DIR SIZE STAMPS SHAPE` only writes a world (build it once
//! with `bake world`), and `--noop DIR [RUNS]` runs its no-op rebuild RUNS times in
//! this process, printing each step's time (under `valgrind --tool=callgrind`, run it
//! twice: the first run refreshes the parse cache for valgrind's environment).
#![expect(
    clippy::disallowed_methods,
    reason = "benchmark inputs are written directly"
)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use benches::{Shape, Stamps, World, prepare, recipes_to_run};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Shell tasks per recipe (plus the noexec do_build: 10 tasks per recipe).
const TASKS: usize = 9;

fn base_dir() -> PathBuf {
    // tmpfs when there is one (see the `build` bench: ext4's inode allocation after
    // mass deletes measures the file system, not bake).
    if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    }
}

fn stamps_name(s: Stamps) -> &'static str {
    match s {
        Stamps::PerRecipe => "per-recipe",
        Stamps::Shared => "shared",
    }
}

fn shape_name(s: Shape) -> &'static str {
    match s {
        Shape::Tree => "tree",
        Shape::Deep => "deep",
        Shape::Wide => "wide",
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn run(
    ck: &bb_cooker::Cooker,
    p: &benches::Prepared,
) -> (bb_runqueue::Summary, Duration, Duration, Duration) {
    let trace = std::env::var_os("BAKE_BENCH_SCALE_TRACE").is_some();
    let rss_before = trace.then(rss_mb);
    let t = Instant::now();
    let recipes = recipes_to_run(ck, p);
    let parse = t.elapsed();
    let rss_parsed = trace.then(rss_mb);
    let (tx, rx) = std::sync::mpsc::channel::<bb_runqueue::BuildEvent>();
    let drain = std::thread::spawn(move || rx.into_iter().count());
    let opts = bb_runqueue::RunOptions {
        threads: 2,
        keep_going: false,
        dry_run: false,
        cancel: Default::default(),
        stop_tasks: Default::default(),
        targets: vec!["world".into()],
    };
    let cpu = benches::self_cpu().unwrap_or_default();
    let t = Instant::now();
    let sched = bb_runqueue::Scheduler::new(&p.graph, &p.plans, &recipes, &opts, &tx);
    let new = t.elapsed();
    let s = sched.run(&bb_runqueue::builtin::Native::new());
    let ran = t.elapsed();
    drop(tx);
    let _ = drain.join();
    let cpu = benches::self_cpu().unwrap_or_default().saturating_sub(cpu);
    if trace {
        #[expect(clippy::print_stderr, reason = "a trace for profiling")]
        {
            eprintln!(
                "new {:.2} ms, run {:.2} ms, drained {:.2} ms; RSS MB: before parsing the recipes {:?}, parsed {:?}, after the run {:?}, peak {:?}",
                new.as_secs_f64() * 1e3,
                (ran - new).as_secs_f64() * 1e3,
                (t.elapsed() - ran).as_secs_f64() * 1e3,
                rss_before,
                rss_parsed,
                rss_mb(),
                benches::peak_rss().map(|b| b / 1048576)
            );
        }
    }
    (s, parse, t.elapsed(), cpu)
}

/// One world, in this process: prints one `RESULT` line of `key=value` pairs.
fn one(size: usize, stamps: Stamps, shape: Shape) {
    let world = World {
        recipes: size / (TASKS + 1),
        tasks: TASKS,
        shape,
        stamps,
    };
    let dir = base_dir().join(format!(
        "bake-bench-scale-{size}-{}-{}",
        stamps_name(stamps),
        shape_name(shape)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    world.write(&dir).expect("invariant: the world is written");
    // First preparation: fills the parse cache and the build information.
    let (_, _, first) = prepare(&dir, &mut Vec::new());
    let tasks = first.graph.len();
    let shell_tasks = (world.recipes + 1) * TASKS;
    let runs = match std::env::var("BAKE_BENCH_SCALE_RUNS") {
        Ok(n) => n.parse().unwrap_or(1),
        Err(_) if size <= 10_000 => 3,
        Err(_) => 1,
    };
    let mut full = Vec::new();
    let mut full_cpu = Vec::new();
    for _ in 0..runs {
        let _ = std::fs::remove_dir_all(dir.join("tmp"));
        let (ck, _, p) = prepare(&dir, &mut Vec::new());
        let (s, _, took, cpu) = run(&ck, &p);
        full_cpu.push(cpu);
        assert_eq!(s.failed, 0, "a task failed");
        assert_eq!(s.ran, tasks, "every task runs");
        full.push(took);
    }
    let mut noop_run = Vec::new();
    let mut noop_total = Vec::new();
    let mut steps: Vec<(String, Vec<Duration>)> = Vec::new();
    let cpu = benches::self_cpu().unwrap_or_default();
    for _ in 0..5 {
        let t = Instant::now();
        let mut timing = Vec::new();
        let (ck, _, p) = prepare(&dir, &mut timing);
        for (what, d) in timing {
            match steps.iter_mut().find(|(w, _)| *w == what) {
                Some((_, v)) => v.push(d),
                None => steps.push((what, vec![d])),
            }
        }
        let (s, _, took, _) = run(&ck, &p);
        noop_total.push(t.elapsed());
        assert_eq!(s.ran, 0, "nothing runs in a no-op rebuild");
        assert_eq!(s.skipped, tasks);
        noop_run.push(took);
    }
    let noop_cpu = benches::self_cpu().unwrap_or_default().saturating_sub(cpu) / 5;
    let peak = benches::peak_rss().unwrap_or(0);
    let steps: Vec<String> = steps
        .into_iter()
        .map(|(what, v)| {
            format!(
                "{}:{:.1}ms",
                what.split_whitespace().next().unwrap_or("?"),
                median(v).as_secs_f64() * 1e3
            )
        })
        .collect();
    #[expect(clippy::print_stdout, reason = "the bench's result line")]
    {
        println!(
            "RESULT tasks={tasks} shell_tasks={shell_tasks} full_ms={:.1} noop_run_ms={:.2} noop_total_ms={:.1} noop_cpu_ms={:.0} full_cpu_ms={:.0} peak_mb={:.1} steps={}",
            median(full).as_secs_f64() * 1e3,
            median(noop_run).as_secs_f64() * 1e3,
            median(noop_total).as_secs_f64() * 1e3,
            noop_cpu.as_secs_f64() * 1e3,
            median(full_cpu).as_secs_f64() * 1e3,
            peak as f64 / 1048576.0,
            steps.join(",")
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Resident memory now, in MB (`VmRSS`).
fn rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmRSS:"))?.to_owned();
            line.trim_start_matches("VmRSS:")
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb / 1024)
}

fn parse_stamps(arg: Option<&String>) -> Stamps {
    match arg.map(String::as_str) {
        Some("shared") => Stamps::Shared,
        _ => Stamps::PerRecipe,
    }
}

fn parse_shape(arg: Option<&String>) -> Shape {
    match arg.map(String::as_str) {
        Some("deep") => Shape::Deep,
        Some("wide") => Shape::Wide,
        _ => Shape::Tree,
    }
}

fn field(line: &str, key: &str) -> f64 {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

fn main() {
    bb_pyexpr::set_host(std::sync::Arc::new(bb_pyexpr::SystemHost));
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    if let Some(pos) = args.iter().position(|a| a == "--write") {
        // `--write DIR SIZE STAMPS SHAPE`: only writes the world (for profiling the
        // binary on it).
        let dir = args
            .get(pos + 1)
            .expect("invariant: --write DIR SIZE STAMPS SHAPE");
        let size: usize = args
            .get(pos + 2)
            .and_then(|s| s.parse().ok())
            .expect("invariant: --write DIR SIZE STAMPS SHAPE");
        let world = World {
            recipes: size / (TASKS + 1),
            tasks: TASKS,
            shape: parse_shape(args.get(pos + 4)),
            stamps: parse_stamps(args.get(pos + 3)),
        };
        world
            .write(Path::new(dir))
            .expect("invariant: the world is written");
        return;
    }
    if let Some(pos) = args.iter().position(|a| a == "--noop") {
        // `--noop DIR [RUNS]`: no-op rebuilds of a world already built in DIR, each
        // step's time printed (for profiling: `valgrind --tool=callgrind`).
        let dir = Path::new(
            args.get(pos + 1)
                .expect("invariant: --noop DIR [RUNS]")
                .as_str(),
        );
        let runs: usize = args.get(pos + 2).and_then(|s| s.parse().ok()).unwrap_or(1);
        for _ in 0..runs {
            let t = Instant::now();
            let mut timing = Vec::new();
            let (ck, _, p) = prepare(dir, &mut timing);
            let (s, _, took, _) = run(&ck, &p);
            let total = t.elapsed();
            assert_eq!(s.ran, 0, "nothing runs in a no-op rebuild");
            let steps: Vec<String> = timing
                .iter()
                .map(|(w, d)| format!("{w} {:.1} ms", d.as_secs_f64() * 1e3))
                .collect();
            #[expect(clippy::print_stdout, reason = "the bench's report")]
            {
                println!(
                    "no-op {:.1} ms: {}, run {:.1} ms",
                    total.as_secs_f64() * 1e3,
                    steps.join(", "),
                    took.as_secs_f64() * 1e3
                );
            }
        }
        return;
    }
    if let Some(pos) = args.iter().position(|a| a == "--one") {
        let size: usize = args
            .get(pos + 1)
            .and_then(|s| s.parse().ok())
            .expect("invariant: --one SIZE STAMPS SHAPE");
        one(
            size,
            parse_stamps(args.get(pos + 2)),
            parse_shape(args.get(pos + 3)),
        );
        return;
    }
    let sizes: Vec<usize> = std::env::var("BAKE_BENCH_SCALE_SIZES")
        .unwrap_or_else(|_| "1000,10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let only = std::env::var("BAKE_BENCH_SCALE_ONLY").ok();

    // The cost of a shell running a run script, one at a time.
    let script = base_dir().join(format!("bake-bench-scale-run.{}.sh", std::process::id()));
    std::fs::write(&script, "#!/bin/sh\nset -e\ntrue\nexit 0\n").expect("invariant: writable");
    let n = 500;
    let t = Instant::now();
    for _ in 0..n {
        let _ = std::process::Command::new("/bin/sh").arg(&script).status();
    }
    let shell_ms = (t.elapsed() / n).as_secs_f64() * 1e3;
    let _ = std::fs::remove_file(&script);
    #[expect(clippy::print_stdout, reason = "the bench's report")]
    {
        println!("shell start (sh run-script, one at a time): {shell_ms:.3} ms");
        println!(
            "| tasks | stamps | shape | full build, 2 workers | per task | overhead over sh | bake's own CPU per task | no-op run_build | no-op total (CPU) | peak RSS |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|");
    }
    let exe = std::env::current_exe().expect("invariant: the bench knows its path");
    for &size in &sizes {
        for stamps in [Stamps::PerRecipe, Stamps::Shared] {
            for shape in [Shape::Deep, Shape::Wide] {
                let kind = format!("{}-{}", stamps_name(stamps), shape_name(shape));
                if only.as_deref().is_some_and(|o| o != kind) {
                    continue;
                }
                let out = std::process::Command::new(&exe)
                    .args([
                        "--one",
                        &size.to_string(),
                        stamps_name(stamps),
                        shape_name(shape),
                    ])
                    .output()
                    .expect("invariant: the bench runs itself");
                let text = String::from_utf8_lossy(&out.stdout);
                let Some(line) = text.lines().find(|l| l.starts_with("RESULT ")) else {
                    #[expect(clippy::print_stdout, reason = "the bench's report")]
                    {
                        println!(
                            "| {size} | {kind}: failed: {} |",
                            String::from_utf8_lossy(&out.stderr).trim()
                        );
                    }
                    continue;
                };
                let full = field(line, "full_ms");
                let shell_tasks = field(line, "shell_tasks");
                let busy = if shape == Shape::Deep { 1.0 } else { 2.0 };
                let per_task = full * busy / shell_tasks;
                #[expect(clippy::print_stdout, reason = "the bench's report")]
                {
                    println!(
                        "| {} | {} | {} | {:.2} s | {per_task:.3} ms | {:.3} ms | {:.0} µs | {:.1} ms | {:.0} ms ({:.0} ms) | {:.0} MB |",
                        field(line, "tasks"),
                        stamps_name(stamps),
                        shape_name(shape),
                        full / 1e3,
                        per_task - shell_ms,
                        field(line, "full_cpu_ms") * 1e3 / shell_tasks,
                        field(line, "noop_run_ms"),
                        field(line, "noop_total_ms"),
                        field(line, "noop_cpu_ms"),
                        field(line, "peak_mb"),
                    );
                    println!(
                        "    no-op steps: {}",
                        line.split_whitespace()
                            .find_map(|kv| kv.strip_prefix("steps="))
                            .unwrap_or("")
                    );
                }
            }
        }
    }
}
