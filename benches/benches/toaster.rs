//! Toaster recorder benchmarks (issue 5): recording a build of the 1,000-recipe world
//! (10,000 tasks, each started then succeeded), `buildslist` over 1,000 recorded builds,
//! and `builddelete` of a 10,000-task build. A small harness: medians of a few runs.

use std::time::{Duration, Instant};

use bb_events::{BuildEvent, Outcome, TaskRef, Usage};
use bb_toaster::{
    BuildStart, DepTree, HistoryRow, LayerInfo, RecipeRow, Recorder, TaskRow, VariableRow,
};

const RECIPES: usize = 1000;
const TASKS: usize = 10;
/// Configuration variables recorded with the build (a real configuration has about as
/// many), each with three history entries.
const VARIABLES: usize = 1500;

fn start() -> BuildStart {
    BuildStart {
        machine: "qemux86-64".into(),
        distro: "bake".into(),
        targets: vec![("world".into(), String::new())],
        layers: vec![LayerInfo {
            name: "bench".into(),
            path: "/l".into(),
            ..LayerInfo::default()
        }],
        variables: (0..VARIABLES)
            .map(|i| VariableRow {
                name: format!("VAR_{i}"),
                value: format!("value of {i} with some words in it"),
                history: (0..3)
                    .map(|h| HistoryRow {
                        file_name: format!("/l/conf/file{h}.conf"),
                        line_number: Some(i as i64),
                        operation: "set".into(),
                        value: format!("value {h}"),
                    })
                    .collect(),
                ..VariableRow::default()
            })
            .collect(),
        ..BuildStart::default()
    }
}

/// The world's dependency tree: each recipe DEPENDS on the one at half its number; ten
/// tasks a recipe in a chain, each recipe's first task after its dependency's last.
fn tree() -> DepTree {
    let recipes = (0..RECIPES)
        .map(|i| RecipeRow {
            fn_name: format!("/l/r{i}_1.0.bb"),
            name: format!("r{i}"),
            version: ":1.0-r0".into(),
            pf: format!("r{i}-1.0-r0"),
            depends: if i > 0 {
                vec![(format!("r{}", i / 2), format!("/l/r{}_1.0.bb", i / 2))]
            } else {
                vec![]
            },
            ..RecipeRow::default()
        })
        .collect();
    let mut tasks = Vec::new();
    let mut deps = Vec::new();
    for i in 0..RECIPES {
        for t in 0..TASKS {
            tasks.push(TaskRow {
                fn_name: format!("/l/r{i}_1.0.bb"),
                task: format!("do_t{t}"),
                python: false,
                hash: format!("{:064x}", i * TASKS + t),
            });
            deps.push(if t > 0 {
                vec![i * TASKS + t - 1]
            } else if i > 0 {
                vec![(i / 2) * TASKS + TASKS - 1]
            } else {
                vec![]
            });
        }
    }
    DepTree {
        recipes,
        tasks,
        deps,
    }
}

fn events() -> Vec<BuildEvent> {
    let mut out = Vec::with_capacity(RECIPES * TASKS * 2 + 2);
    out.push(BuildEvent::BuildStarted {
        targets: vec!["world".into()],
        total: RECIPES * TASKS,
    });
    let mut n = 0;
    for i in 0..RECIPES {
        for t in 0..TASKS {
            let task = TaskRef {
                index: i * TASKS + t,
                pn: format!("r{i}"),
                fn_name: format!("/l/r{i}_1.0.bb"),
                task: format!("do_t{t}"),
            };
            n += 1;
            out.push(BuildEvent::TaskStarted {
                task: task.clone(),
                number: n,
                total: RECIPES * TASKS,
                log: format!("/t/r{i}/log.do_t{t}.1"),
                noexec: false,
            });
            out.push(BuildEvent::TaskSucceeded {
                task,
                usage: Usage {
                    elapsed: 0.001,
                    cpu_user: 0.0005,
                    cpu_system: 0.0002,
                    disk_read: 0,
                    disk_write: 4096,
                },
            });
        }
    }
    out.push(BuildEvent::BuildFinished {
        outcome: Outcome::Succeeded,
        ran: n,
        skipped: 0,
        failed: 0,
        not_run: 0,
    });
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[expect(clippy::print_stdout, reason = "a bench harness prints its figures")]
fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = std::env::temp_dir().join("bake-bench-toaster");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("invariant: temp dir");
    let evs = events();

    // Recording one world build: time to queue the events (what the build pays) and
    // until everything is committed.
    let mut starts = Vec::new();
    let mut queue = Vec::new();
    let mut total = Vec::new();
    for i in 0..3 {
        let db = dir.join(format!("record-{i}.sqlite"));
        let t = Instant::now();
        let rec = Recorder::start(&db, start()).expect("invariant: records");
        rec.dep_tree(tree());
        let started = t.elapsed();
        starts.push(started);
        for e in &evs {
            rec.event(e);
        }
        queue.push(t.elapsed() - started);
        rec.finish().expect("invariant: finishes");
        total.push(t.elapsed());
    }
    println!(
        "record a 1,000-recipe / 10,000-task build ({VARIABLES} variables x 3 history entries, the dependency tree): start {:.1} ms, 20,002 events queued in {:.1} ms (the build's cost), all committed {:.1} ms after start",
        median(starts).as_secs_f64() * 1e3,
        median(queue).as_secs_f64() * 1e3,
        median(total).as_secs_f64() * 1e3
    );

    // 1,000 recorded builds (small ones), then buildslist.
    let db = dir.join("many.sqlite");
    let small: Vec<BuildEvent> = evs.iter().take(21).cloned().collect();
    for _ in 0..1000 {
        let rec = Recorder::start(
            &db,
            BuildStart {
                variables: Vec::new(),
                ..start()
            },
        )
        .expect("invariant: records");
        for e in &small {
            rec.event(e);
        }
        rec.finish().expect("invariant: finishes");
    }
    let conn = bb_toaster::db::open(&db).expect("invariant: opens");
    let mut times = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let list = bb_toaster::manage::buildslist(&conn).expect("invariant: lists");
        assert_eq!(list.len(), 1000);
        times.push(t.elapsed());
    }
    println!(
        "buildslist over 1,000 builds: {:.2} ms (target < 50 ms)",
        median(times).as_secs_f64() * 1e3
    );

    // builddelete of the 10,000-task build.
    let mut times = Vec::new();
    for i in 0..3 {
        let db = dir.join(format!("record-{i}.sqlite"));
        let mut conn = bb_toaster::db::open(&db).expect("invariant: opens");
        let before = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
        let t = Instant::now();
        bb_toaster::manage::builddelete(&mut conn, &[1]).expect("invariant: deletes");
        times.push(t.elapsed());
        let after = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
        if i == 0 {
            println!("builddelete: database file {before} -> {after} bytes");
        }
        assert!(
            bb_toaster::db::check(&conn)
                .expect("invariant: checks")
                .is_empty()
        );
    }
    println!(
        "builddelete of a 10,000-task build: {:.1} ms (target < 1 s)",
        median(times).as_secs_f64() * 1e3
    );
    let _ = std::fs::remove_dir_all(&dir);
}
