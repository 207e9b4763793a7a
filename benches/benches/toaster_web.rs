//! The web interface on a synthetic 10,000-task build (1,000 recipes of 10 tasks, 2,000
//! packages, 50,000 files, 5,000 variables, recorded by bake's recorder): every route
//! requested over HTTP with real ids (`toaster_web::perf`), p50/p95/p99 per route, first
//! on a quiet database, then while another build is being recorded into it. Budget
//! (spec §5): p95 < 50 ms and p99 < 150 ms per route, `mostrecentbuilds` < 10 ms, at
//! most 20 SQL statements a request; routes over budget are listed at the end.
//! A small harness (as `toaster.rs`): `cargo bench -p benches --bench toaster_web`.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bb_events::{BuildEvent, Outcome, TaskRef, Usage};

#[path = "../../crates/toaster-web/tests/it/synthetic.rs"]
mod synthetic;

const RUNS: usize = 30;

fn report(title: &str, db: &Path) -> Vec<String> {
    println!("\n{title}");
    println!(
        "{:>6} {:>4} {:>9} {:>8} {:>8} {:>8}  route",
        "status", "sql", "bytes", "p50 ms", "p95 ms", "p99 ms"
    );
    let times = toaster_web::perf::perf(db, RUNS).unwrap_or_else(|e| panic!("perf: {e}"));
    let mut over = Vec::new();
    for r in &times {
        println!(
            "{:>6} {:>4} {:>9} {:>8.2} {:>8.2} {:>8.2}  {}",
            r.status, r.statements, r.bytes, r.p50, r.p95, r.p99, r.route
        );
        let budget = if r.route.contains("mostrecentbuilds") {
            10.0
        } else {
            50.0
        };
        if r.p95 > budget || r.p99 > 150.0 || r.statements > 20 {
            over.push(format!(
                "{title}: {} p95 {:.1} ms p99 {:.1} ms, {} statements",
                r.route, r.p95, r.p99, r.statements
            ));
        }
    }
    let mut p95: Vec<f64> = times.iter().map(|r| r.p95).collect();
    p95.sort_by(f64::total_cmp);
    println!(
        "worst p95 {:.2} ms, median p95 {:.2} ms over {} routes",
        p95.last().copied().unwrap_or(0.0),
        p95.get(p95.len() / 2).copied().unwrap_or(0.0),
        p95.len()
    );
    over
}

/// Records a slow build into `db` until `stop` (a task every 2 ms).
fn record_meanwhile(db: &Path, stop: &AtomicBool) {
    let rec = bb_toaster::Recorder::start(
        db,
        bb_toaster::BuildStart {
            machine: "concurrent".into(),
            distro: "bake".into(),
            targets: vec![("other".into(), String::new())],
            ..bb_toaster::BuildStart::default()
        },
    )
    .unwrap_or_else(|e| panic!("record: {e}"));
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        let task = TaskRef {
            index: i,
            pn: format!("c{i}"),
            fn_name: format!("/c/c{i}.bb"),
            task: "do_compile".into(),
        };
        rec.event(&BuildEvent::TaskStarted {
            task: task.clone(),
            number: i + 1,
            total: 100_000,
            log: String::new(),
            noexec: false,
        });
        rec.event(&BuildEvent::TaskSucceeded {
            task,
            usage: Usage::default(),
        });
        i += 1;
        std::thread::sleep(Duration::from_millis(2));
    }
    rec.event(&BuildEvent::BuildFinished {
        outcome: Outcome::Succeeded,
        ran: i,
        skipped: 0,
        failed: 0,
        not_run: 0,
    });
    rec.finish().unwrap_or_else(|e| panic!("finish: {e}"));
}

fn main() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let db = dir.path().join("toaster.sqlite");
    let t = Instant::now();
    synthetic::record(
        &db,
        &synthetic::Spec {
            recipes: 1000,
            tasks_per_recipe: 10,
            variables: 5000,
            packages: 2000,
            files_per_package: 25,
            ..synthetic::Spec::default()
        },
    );
    println!(
        "recorded the synthetic build (10,000 tasks, 2,000 packages, 50,000 files, 5,000 variables) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let mut over = report("quiet database", &db);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, stop) = (db.clone(), Arc::clone(&stop));
        std::thread::spawn(move || record_meanwhile(&db, &stop))
    };
    std::thread::sleep(Duration::from_millis(200));
    over.extend(report("while another build is recorded", &db));
    stop.store(true, Ordering::Relaxed);
    if writer.join().is_err() {
        println!("the concurrent recording panicked");
    }
    println!();
    if over.is_empty() {
        println!(
            "every route within budget (p95 < 50 ms, p99 < 150 ms, mostrecentbuilds p95 < 10 ms, <= 20 statements)"
        );
    } else {
        println!("over budget:");
        for o in over {
            println!("  {o}");
        }
    }
}
