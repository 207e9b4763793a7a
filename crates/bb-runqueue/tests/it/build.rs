//! Builds of small hand-made task graphs through `run_build`: what a task is measured
//! to use, however it ends (success, failure, Ctrl-C), and for shell and native
//! (in-process) task functions alike; stamps in a directory many recipes share.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bb_data::DataStore;
use bb_runqueue::hashes::TaskPlan;
use bb_runqueue::{BuildEvent, Builtins, RunOptions, TaskContext, TaskError, Usage};
use bb_taskgraph::{TaskGraph, TaskId};

/// A shell body that writes 4 MB to disk (flushed) and spins the CPU, then ends with
/// `status`.
fn busy_shell(status: u32) -> String {
    format!(
        "\tdd if=/dev/zero of=\"$T/out.$$\" bs=64k count=64 conv=fsync 2>/dev/null\n\ti=0\n\twhile [ $i -lt 300000 ]; do i=$((i+1)); done\n\texit {status}\n"
    )
}

/// Native functions for the tests: `do_native_fail` works then fails, `do_native_ok`
/// works then succeeds, `do_native_cancel` works, presses Ctrl-C, then succeeds,
/// `do_native_child` leaves the work to a process it starts.
struct Busy {
    cancel: Arc<AtomicBool>,
}

/// CPU time and 4 MB of flushed disk writes, in this thread.
fn work(dir: &Path, name: &str) -> Result<(), TaskError> {
    let mut x: u64 = 1;
    for i in 0..20_000_000u64 {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
    }
    use std::io::Write as _;
    let mut f = fs_err::File::create(dir.join(name))?;
    f.write_all(&vec![(x & 0xff) as u8; 4 << 20])?;
    f.sync_all()?;
    Ok(())
}

impl Builtins for Busy {
    fn run(&self, ctx: &mut TaskContext<'_>) -> Option<Result<(), TaskError>> {
        let dir = PathBuf::from(ctx.var("T").ok()?);
        if ctx.func == "do_native_child" {
            // All the work in a process the function starts (as git or patch are).
            let status = std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(busy_shell(0).replace("$T", &dir.to_string_lossy()))
                .status();
            return Some(match status {
                Ok(s) if s.success() => Ok(()),
                other => Err(TaskError::msg(format!("{other:?}"))),
            });
        }
        let r = work(&dir, ctx.func);
        Some(match ctx.func {
            "do_native_fail" => r.and(Err(TaskError::msg("failed on purpose"))),
            "do_native_cancel" => {
                self.cancel.store(true, Ordering::SeqCst);
                r
            }
            _ => r,
        })
    }
}

/// One recipe whose tasks (independent of one another) are `tasks`: `(name, shell
/// body or None for a native function)`.
struct Build {
    graph: TaskGraph,
    plans: Vec<TaskPlan>,
    recipes: HashMap<String, DataStore>,
}

fn build(tmp: &Path, tasks: &[(&str, Option<String>)]) -> Build {
    let fn_name = "/layer/demo_1.0.bb".to_owned();
    let mut d = DataStore::new();
    d.set_var("PN", "demo");
    d.set_var("T", &tmp.join("temp").to_string_lossy());
    d.set_var("PATH", "/usr/bin:/bin");
    d.set_var_flag("PATH", "export", "1");
    d.set_var_flag("T", "export", "1");
    let mut graph = TaskGraph::default();
    let mut plans = Vec::new();
    let mut sorted: Vec<&(&str, Option<String>)> = tasks.iter().collect();
    sorted.sort_by_key(|(n, _)| *n);
    for (name, body) in sorted {
        match body {
            Some(b) => d.set_var(name, b),
            None => {
                d.set_var(name, "    pass\n");
                d.set_var_flag(name, "python", "1");
            }
        }
        d.set_var_flag(name, "func", "1");
        graph.tasks.push(TaskId {
            fn_name: fn_name.clone(),
            task: (*name).to_owned(),
        });
        graph.deps.push(Vec::new());
        graph.rank.push(graph.rank.len());
        plans.push(TaskPlan {
            pn: "demo".into(),
            basehash: "b".into(),
            taskhash: format!("h{name}"),
            unihash: format!("h{name}"),
            stamp: Some(tmp.join(format!("stamps/demo.{name}.h{name}"))),
            noexec: false,
            up_to_date: false,
            tainted: false,
            sigdata_path: None,
            taint: None,
            file_checksums: Vec::new(),
            hash_deps: None,
        });
    }
    graph
        .recipes
        .insert(fn_name.clone(), ("demo".into(), ":1.0-r0".into()));
    Build {
        graph,
        plans,
        recipes: HashMap::from([(fn_name, d)]),
    }
}

/// Runs the build with `-k` on one worker; returns the events.
fn run(b: &Build, cancel: Arc<AtomicBool>) -> Vec<BuildEvent> {
    let (tx, rx) = std::sync::mpsc::channel();
    let opts = RunOptions {
        threads: 1,
        keep_going: true,
        dry_run: false,
        cancel: Arc::clone(&cancel),
        stop_tasks: Default::default(),
        targets: vec!["demo".into()],
    };
    bb_runqueue::run_build(&b.graph, &b.plans, &b.recipes, &Busy { cancel }, &opts, &tx);
    drop(tx);
    rx.into_iter().collect()
}

/// What the task named `task` was reported to use, and whether it failed.
fn usage_of(events: &[BuildEvent], task: &str) -> (Usage, bool) {
    events
        .iter()
        .find_map(|e| match e {
            BuildEvent::TaskSucceeded { task: t, usage } if t.task == task => Some((*usage, false)),
            BuildEvent::TaskFailed { task: t, usage, .. } if t.task == task => Some((*usage, true)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no end event for {task}: {events:#?}"))
}

fn assert_measured(u: &Usage, what: &str) {
    assert!(u.elapsed > 0.01, "{what}: elapsed {u:?}");
    assert!(u.cpu_user + u.cpu_system > 0.01, "{what}: CPU {u:?}");
    assert!(u.disk_write >= 1 << 20, "{what}: disk writes {u:?}");
}

/// A directory on a disk-backed file system (block writes are counted there, not on
/// tmpfs): the target directory's scratch space.
fn scratch() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("scratch dir")
}

#[test]
fn failed_tasks_report_what_they_used_shell_and_native() {
    let tmp = scratch();
    let b = build(
        tmp.path(),
        &[
            ("do_shell_fail", Some(busy_shell(1))),
            ("do_native_fail", None),
            ("do_shell_ok", Some(busy_shell(0))),
            ("do_native_ok", None),
            ("do_native_child", None),
        ],
    );
    let events = run(&b, Arc::default());
    for (task, fails) in [
        ("do_shell_fail", true),
        ("do_native_fail", true),
        ("do_shell_ok", false),
        ("do_native_ok", false),
        ("do_native_child", false),
    ] {
        let (u, failed) = usage_of(&events, task);
        assert_eq!(failed, fails, "{task}: {events:#?}");
        assert_measured(&u, task);
    }
    // The shell's failure names its run script and exit code.
    assert!(
        events
            .iter()
            .any(|e| matches!(e, BuildEvent::TaskFailed { task, message, .. }
            if task.task == "do_shell_fail" && message.contains("failed with exit code 1"))),
        "{events:#?}"
    );
}

#[test]
fn a_task_interrupted_by_ctrl_c_reports_what_it_used_and_writes_no_stamp() {
    let tmp = scratch();
    let b = build(tmp.path(), &[("do_native_cancel", None)]);
    let cancel = Arc::new(AtomicBool::new(false));
    let events = run(&b, Arc::clone(&cancel));
    assert!(cancel.load(Ordering::SeqCst));
    let (u, failed) = usage_of(&events, "do_native_cancel");
    assert!(
        failed,
        "an interrupted task is reported failed: {events:#?}"
    );
    assert_measured(&u, "do_native_cancel");
    let stamp = b.plans[0].stamp.as_ref().expect("stamp path");
    assert!(!stamp.exists(), "no stamp after Ctrl-C");
    assert!(
        matches!(
            events.last(),
            Some(BuildEvent::BuildFinished {
                outcome: bb_runqueue::Outcome::Cancelled,
                ..
            })
        ),
        "{events:#?}"
    );
}

#[test]
fn stamps_in_a_shared_directory_replace_only_their_own_task_s_old_stamps() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("stamps/qemux86-64");
    std::fs::create_dir_all(&dir).expect("dir");
    // Many recipes' stamps in one directory, `a` a prefix of `ab`'s name.
    for r in ["a-1.0-r0", "ab-1.0-r0"] {
        for name in [
            "do_compile.old",
            "do_compile.sigdata.old",
            "do_compile.taint",
        ] {
            std::fs::write(dir.join(format!("{r}.{name}")), "").expect("write");
        }
    }
    let index = bb_runqueue::StampIndex::new();
    let plan = |r: &str, hash: &str| TaskPlan {
        pn: r.into(),
        basehash: "b".into(),
        taskhash: hash.into(),
        unihash: hash.into(),
        stamp: Some(dir.join(format!("{r}.do_compile.{hash}"))),
        noexec: false,
        up_to_date: false,
        tainted: false,
        sigdata_path: None,
        taint: None,
        file_checksums: Vec::new(),
        hash_deps: None,
    };
    index
        .write(&plan("a-1.0-r0", "new"), "do_compile")
        .expect("stamp");
    index
        .write(&plan("a-1.0-r0", "newer"), "do_compile")
        .expect("stamp");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "a-1.0-r0.do_compile.newer",
            "a-1.0-r0.do_compile.sigdata.old",
            "a-1.0-r0.do_compile.taint",
            "ab-1.0-r0.do_compile.old",
            "ab-1.0-r0.do_compile.sigdata.old",
            "ab-1.0-r0.do_compile.taint",
        ]
    );
    // do_clean of `a`: everything of `a`, nothing of `ab`.
    index
        .remove_all(&dir.join("a-1.0-r0"))
        .expect("remove a's stamps");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "ab-1.0-r0.do_compile.old",
            "ab-1.0-r0.do_compile.sigdata.old",
            "ab-1.0-r0.do_compile.taint",
        ]
    );
}

#[test]
fn number_threads_holds_back_tasks_of_its_name_and_lets_them_all_run() {
    // Three recipes' `do_limited` ([number_threads] = 1) on 3 workers: each takes a
    // shared directory as a lock and fails if another holds it, so any overlap fails
    // (with the flag at 3 this test fails).
    let tmp = scratch();
    let lock = tmp.path().join("one-at-a-time");
    let mut graph = TaskGraph::default();
    let mut plans = Vec::new();
    let mut recipes = HashMap::new();
    for pn in ["r1", "r2", "r3"] {
        let fn_name = format!("/layer/{pn}_1.0.bb");
        let mut d = DataStore::new();
        d.set_var("PN", pn);
        d.set_var("T", &tmp.path().join(pn).join("temp").to_string_lossy());
        d.set_var("PATH", "/usr/bin:/bin");
        d.set_var_flag("PATH", "export", "1");
        d.set_var(
            "do_limited",
            &format!(
                "\tmkdir '{0}'\n\tsleep 0.3\n\trmdir '{0}'\n",
                lock.display()
            ),
        );
        d.set_var_flag("do_limited", "func", "1");
        d.set_var_flag("do_limited", "number_threads", "1");
        graph.tasks.push(TaskId {
            fn_name: fn_name.clone(),
            task: "do_limited".into(),
        });
        graph.deps.push(Vec::new());
        graph.rank.push(graph.rank.len());
        graph
            .recipes
            .insert(fn_name.clone(), (pn.into(), ":1.0-r0".into()));
        plans.push(TaskPlan {
            pn: pn.into(),
            basehash: "b".into(),
            taskhash: "h".into(),
            unihash: "h".into(),
            stamp: Some(tmp.path().join(format!("stamps/{pn}.do_limited.h"))),
            noexec: false,
            up_to_date: false,
            tainted: false,
            sigdata_path: None,
            taint: None,
            file_checksums: Vec::new(),
            hash_deps: None,
        });
        recipes.insert(fn_name, d);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let opts = RunOptions {
        threads: 3,
        keep_going: true,
        dry_run: false,
        cancel: Arc::default(),
        stop_tasks: Default::default(),
        targets: vec!["all".into()],
    };
    let summary = bb_runqueue::run_build(
        &graph,
        &plans,
        &recipes,
        &bb_runqueue::builtin::Native::new(),
        &opts,
        &tx,
    );
    drop(tx);
    let events: Vec<BuildEvent> = rx.into_iter().collect();
    assert_eq!(
        (summary.ran, summary.failed, summary.not_run),
        (3, 0, 0),
        "{events:#?}"
    );
    for p in &plans {
        assert!(p.stamp.as_ref().is_some_and(|s| s.exists()), "{p:?}");
    }
}
