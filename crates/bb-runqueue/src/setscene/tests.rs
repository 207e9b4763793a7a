//! The setscene phase on a hand-made graph: an app built against a library built with
//! a native compiler. What is restored, what runs, what is never reached; a failing
//! setscene task falling back to its real task; the modes; the events. (Unit tests:
//! their native functions must not overlap the integration tests' measured ones.)

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::hashes::TaskPlan;
use crate::setscene::{self, Cover};
use crate::{
    BuildEvent, Builtins, RunOptions, SetsceneHooks, SetsceneMode, SetsceneQuery, SkipReason,
    SstateFound, TaskContext, TaskError,
};
use bb_data::DataStore;
use bb_taskgraph::{TaskGraph, TaskId};

/// (recipe, task, dependencies as (recipe, task)); every `do_populate_sysroot` has a
/// setscene variant.
/// A task of the world: recipe, task, dependencies.
type Spec = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const TASKS: &[Spec] = &[
    (
        "app",
        "do_build",
        &[
            ("app", "do_populate_sysroot"),
            ("lib", "do_populate_sysroot"),
        ],
    ),
    ("app", "do_compile", &[("app", "do_prepare_recipe_sysroot")]),
    ("app", "do_populate_sysroot", &[("app", "do_compile")]),
    (
        "app",
        "do_prepare_recipe_sysroot",
        &[
            ("lib", "do_populate_sysroot"),
            ("cc-native", "do_populate_sysroot"),
        ],
    ),
    ("cc-native", "do_compile", &[]),
    (
        "cc-native",
        "do_populate_sysroot",
        &[("cc-native", "do_compile")],
    ),
    ("lib", "do_compile", &[("lib", "do_prepare_recipe_sysroot")]),
    ("lib", "do_populate_sysroot", &[("lib", "do_compile")]),
    (
        "lib",
        "do_prepare_recipe_sysroot",
        &[("cc-native", "do_populate_sysroot")],
    ),
];

struct World {
    graph: TaskGraph,
    plans: Vec<TaskPlan>,
    recipes: HashMap<String, DataStore>,
}

fn fn_of(pn: &str) -> String {
    format!("/layer/{pn}_1.0.bb")
}

fn world(tmp: &Path) -> World {
    let mut graph = TaskGraph::default();
    let mut order: Vec<&Spec> = TASKS.iter().collect();
    order.sort_by_key(|(pn, task, _)| (fn_of(pn), *task));
    for (pn, task, _) in &order {
        graph.tasks.push(TaskId {
            fn_name: fn_of(pn),
            task: (*task).to_owned(),
        });
    }
    let mut plans = Vec::new();
    let mut recipes = HashMap::new();
    for (i, (pn, task, deps)) in order.iter().enumerate() {
        let mut d: Vec<usize> = deps
            .iter()
            .map(|(dp, dt)| {
                graph
                    .index_of(&fn_of(dp), dt)
                    .unwrap_or_else(|| panic!("{dp}:{dt}"))
            })
            .collect();
        d.sort_unstable();
        graph.deps.push(d);
        graph.rank.push(i);
        plans.push(TaskPlan {
            pn: (*pn).to_owned(),
            basehash: "b".into(),
            taskhash: format!("{pn}-{task}-hash"),
            unihash: format!("{pn}-{task}-hash"),
            stamp: Some(tmp.join(format!("stamps/{pn}.{task}.{pn}-{task}-hash"))),
            noexec: *task == "do_build",
            up_to_date: false,
            tainted: false,
            sigdata_path: None,
            taint: None,
            file_checksums: Vec::new(),
            hash_deps: None,
        });
        let f = fn_of(pn);
        let td = graph.flags.entry(f.clone()).or_default();
        td.tasks.push((*task).to_owned());
        if *task == "do_populate_sysroot" {
            td.tasks.push("do_populate_sysroot_setscene".to_owned());
        }
        graph
            .recipes
            .insert(f.clone(), ((*pn).to_owned(), ":1.0-r0".into()));
        recipes.entry(f).or_insert_with(|| {
            let mut d = DataStore::new();
            d.set_var("PN", pn);
            d.set_var("T", &tmp.join(format!("{pn}/temp")).to_string_lossy());
            d.set_var("PATH", "/usr/bin:/bin");
            for t in [
                "do_compile",
                "do_prepare_recipe_sysroot",
                "do_populate_sysroot",
            ] {
                d.set_var(t, "\ttrue\n");
                d.set_var_flag(t, "func", "1");
            }
            d.set_var("do_populate_sysroot_setscene", "    pass\n");
            d.set_var_flag("do_populate_sysroot_setscene", "func", "1");
            d.set_var_flag("do_populate_sysroot_setscene", "python", "1");
            d
        });
    }
    graph.targets = vec![graph.index_of(&fn_of("app"), "do_build").unwrap_or(0)];
    World {
        graph,
        plans,
        recipes,
    }
}

/// Objects exist for the recipes in `available`; native sysroots are not needed by
/// target ones (oe-core's rule).
struct Hooks {
    available: HashSet<&'static str>,
    checked: std::sync::Mutex<Vec<String>>,
}

impl Hooks {
    fn new(available: &[&'static str]) -> Hooks {
        Hooks {
            available: available.iter().copied().collect(),
            checked: std::sync::Mutex::new(Vec::new()),
        }
    }
}

impl SetsceneHooks for Hooks {
    fn check(&self, tasks: &[SetsceneQuery<'_>], _current: usize) -> Vec<SstateFound> {
        tasks
            .iter()
            .map(|q| {
                if let Ok(mut c) = self.checked.lock() {
                    c.push(format!("{} {}", q.pn, q.hash));
                }
                if self.available.contains(q.pn) {
                    SstateFound::Local
                } else {
                    SstateFound::Missed
                }
            })
            .collect()
    }

    fn dep_valid(&self, task: &SetsceneQuery<'_>, dependees: &[SetsceneQuery<'_>]) -> bool {
        task.pn.ends_with("-native") && dependees.iter().all(|d| !d.pn.ends_with("-native"))
    }
}

fn covers(w: &World, plan: &setscene::SetscenePlan) -> Vec<String> {
    (0..w.graph.len())
        .map(|i| {
            format!(
                "{} {:?}",
                w.graph.tasks[i].to_string().replace("/layer/", ""),
                plan.cover[i]
            )
        })
        .collect()
}

fn cover_of(w: &World, plan: &setscene::SetscenePlan, pn: &str, task: &str) -> Cover {
    plan.cover[w.graph.index_of(&fn_of(pn), task).unwrap_or(usize::MAX)]
}

#[test]
fn restored_recipes_do_not_pull_in_their_compiler() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let w = world(tmp.path());
    let hooks = Hooks::new(&["app", "lib", "cc-native"]);
    let plan = setscene::plan(&w.graph, &w.plans, &hooks, SetsceneMode::Normal);
    assert_eq!(plan.total, 3);
    assert_eq!(plan.counts(), (3, 3, 0, 0));
    // The app and its library are restored (a target sysroot needs its libraries);
    // the native compiler is looked for but never restored, built or fetched.
    assert_eq!(
        cover_of(&w, &plan, "app", "do_populate_sysroot"),
        Cover::Restore,
        "{:#?}",
        covers(&w, &plan)
    );
    assert_eq!(
        cover_of(&w, &plan, "lib", "do_populate_sysroot"),
        Cover::Restore
    );
    assert_eq!(
        cover_of(&w, &plan, "cc-native", "do_populate_sysroot"),
        Cover::Covered
    );
    assert_eq!(
        cover_of(&w, &plan, "cc-native", "do_compile"),
        Cover::Covered
    );
    assert_eq!(cover_of(&w, &plan, "app", "do_compile"), Cover::Covered);
    assert_eq!(cover_of(&w, &plan, "app", "do_build"), Cover::Run);
    // From the targets down: the app's setscene task first.
    let order: Vec<String> = plan
        .to_restore(&w.graph)
        .iter()
        .map(|&i| w.plans[i].pn.clone())
        .collect();
    assert_eq!(order, vec!["app", "lib"]);
}

#[test]
fn a_missing_object_builds_only_what_needs_building() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let w = world(tmp.path());
    // The library's object exists, the app's does not: the app is built against the
    // restored library, with the compiler built (its object is missing too).
    let hooks = Hooks::new(&["lib"]);
    let plan = setscene::plan(&w.graph, &w.plans, &hooks, SetsceneMode::Normal);
    assert_eq!(plan.counts(), (3, 1, 0, 2));
    assert_eq!(
        cover_of(&w, &plan, "lib", "do_populate_sysroot"),
        Cover::Restore
    );
    assert_eq!(cover_of(&w, &plan, "lib", "do_compile"), Cover::Covered);
    for t in [
        "do_compile",
        "do_prepare_recipe_sysroot",
        "do_populate_sysroot",
    ] {
        assert_eq!(cover_of(&w, &plan, "app", t), Cover::Run, "app {t}");
    }
    assert_eq!(
        cover_of(&w, &plan, "cc-native", "do_populate_sysroot"),
        Cover::Run
    );
    assert_eq!(cover_of(&w, &plan, "cc-native", "do_compile"), Cover::Run);
}

#[test]
fn modes_and_current_stamps() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut w = world(tmp.path());
    let hooks = Hooks::new(&["app", "lib", "cc-native"]);
    // --no-setscene and --skip-setscene ask nothing.
    for mode in [SetsceneMode::Off, SetsceneMode::Skip] {
        let plan = setscene::plan(&w.graph, &w.plans, &hooks, mode);
        assert_eq!(plan.counts(), (0, 0, 0, 0));
        assert_eq!(
            cover_of(&w, &plan, "cc-native", "do_compile"),
            Cover::Run,
            "{mode:?}"
        );
    }
    assert!(hooks.checked.lock().map(|c| c.is_empty()).unwrap_or(false));
    // A setscene stamp of an earlier build makes the task current (not looked for);
    // --skip-setscene keeps it, --no-setscene does not.
    let app = w
        .graph
        .index_of(&fn_of("app"), "do_populate_sysroot")
        .unwrap_or(0);
    let stamp = setscene::setscene_stamp(&w.plans[app], "do_populate_sysroot").unwrap_or_default();
    assert!(
        stamp.ends_with("app.do_populate_sysroot_setscene.app-do_populate_sysroot-hash"),
        "{}",
        stamp.display()
    );
    fs_err::create_dir_all(stamp.parent().unwrap_or(Path::new("/")))
        .unwrap_or_else(|e| panic!("{e}"));
    bb_util::fs::atomic_write(&stamp, b"").unwrap_or_else(|e| panic!("{e}"));
    let plan = setscene::plan(&w.graph, &w.plans, &hooks, SetsceneMode::Normal);
    assert_eq!(plan.current, 1);
    assert_eq!(plan.counts().0, 2);
    assert_eq!(
        cover_of(&w, &plan, "app", "do_populate_sysroot"),
        Cover::Current
    );
    assert_eq!(plan.skip_reason(app, false), Some(SkipReason::Covered));
    let plan = setscene::plan(&w.graph, &w.plans, &hooks, SetsceneMode::Skip);
    assert_eq!(
        cover_of(&w, &plan, "app", "do_populate_sysroot"),
        Cover::Current
    );
    let plan = setscene::plan(&w.graph, &w.plans, &hooks, SetsceneMode::Off);
    assert_eq!(
        cover_of(&w, &plan, "app", "do_populate_sysroot"),
        Cover::Run
    );
    // Every task's own stamp current: nothing is looked for.
    for p in &mut w.plans {
        p.up_to_date = true;
    }
    let fresh = Hooks::new(&[]);
    let plan = setscene::plan(&w.graph, &w.plans, &fresh, SetsceneMode::Normal);
    assert_eq!(plan.counts().0, 0);
    assert_eq!(plan.current, 3);
    assert!(fresh.checked.lock().map(|c| c.is_empty()).unwrap_or(false));
}

/// Setscene functions: the library's fails.
struct Natives;

impl Builtins for Natives {
    fn run(&self, ctx: &mut TaskContext<'_>) -> Option<Result<(), TaskError>> {
        (ctx.func == "do_populate_sysroot_setscene").then(|| {
            if ctx.pn == "lib" {
                Err(TaskError::msg("sstate object is corrupt"))
            } else {
                Ok(())
            }
        })
    }
}

#[test]
fn a_failing_setscene_task_runs_its_real_task_instead() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let w = world(tmp.path());
    let hooks = Hooks::new(&["app", "lib", "cc-native"]);
    let plan = setscene::plan(&w.graph, &w.plans, &hooks, SetsceneMode::Normal);
    let (tx, rx) = std::sync::mpsc::channel();
    let opts = RunOptions {
        threads: 2,
        keep_going: false,
        dry_run: false,
        cancel: Arc::new(AtomicBool::new(false)),
        stop_tasks: Default::default(),
        targets: vec!["app".into()],
    };
    let summary = crate::run_build_with_setscene(
        &w.graph,
        &w.plans,
        &w.recipes,
        &Natives,
        &opts,
        &tx,
        (plan, &hooks),
    );
    drop(tx);
    let events: Vec<BuildEvent> = rx.into_iter().collect();
    assert_eq!(summary.failed, 0, "{events:#?}");
    let mut seen = Vec::new();
    for e in &events {
        match e {
            BuildEvent::SetsceneStarted { task, .. } => seen.push(format!("start {}", task.pn)),
            BuildEvent::SetsceneSucceeded { task, .. } => seen.push(format!("ok {}", task.pn)),
            BuildEvent::SetsceneFailed { task, message, .. } => {
                seen.push(format!("failed {} {message}", task.pn));
            }
            BuildEvent::TaskSucceeded { task, .. } => {
                seen.push(format!("ran {} {}", task.pn, task.task))
            }
            BuildEvent::TaskSkipped {
                task,
                reason: SkipReason::Covered,
            } => {
                seen.push(format!("covered {} {}", task.pn, task.task));
            }
            _ => {}
        }
    }
    // The library's setscene task fails: it is built, and so is the compiler it needs
    // (whose object is then restored instead: it exists).
    let pos = |s: &str| {
        seen.iter()
            .position(|x| x == s)
            .unwrap_or_else(|| panic!("{s}: {seen:#?}"))
    };
    assert!(pos("ok app") < pos("start lib"));
    assert!(pos("failed lib sstate object is corrupt") < pos("start cc-native"));
    assert!(pos("ok cc-native") < pos("ran lib do_prepare_recipe_sysroot"));
    for t in [
        "do_prepare_recipe_sysroot",
        "do_compile",
        "do_populate_sysroot",
    ] {
        pos(&format!("ran lib {t}"));
    }
    pos("covered app do_compile");
    pos("covered cc-native do_compile");
    assert!(
        !seen
            .iter()
            .any(|s| s.starts_with("ran app") || s.starts_with("ran cc-native")),
        "{seen:#?}"
    );
    // The setscene stamps of the restored tasks are written, not the failed one's.
    let dir = tmp.path().join("stamps");
    assert!(
        dir.join("app.do_populate_sysroot_setscene.app-do_populate_sysroot-hash")
            .exists()
    );
    assert!(
        !dir.join("lib.do_populate_sysroot_setscene.lib-do_populate_sysroot-hash")
            .exists()
    );
}
