//! Metadata Python run by embedded CPython: `bake -e demo` on `testdata/python` against
//! real BitBake's `bitbake -e demo` (`testdata/python/expected/demo.env`).

#![cfg(feature = "python")]

#[path = "support/tree.rs"]
#[expect(dead_code, reason = "shared with the other integration tests")]
mod tree;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

/// Values that name the process, its command line or the environment it was started in
/// (BitBake's run had `run-bitbake.sh`'s environment, bake the test's).
const PROCESS_VALUES: &[&str] = &[
    "PWD",
    "SHELL",
    "USER",
    "LOGNAME",
    "BB_CMDLINE",
    "BB_ORIGENV",
    "BB_ENV_PASSTHROUGH_ADDITIONS",
    "PYTHONHASHSEED",
    "PATH",
    "LC_ALL",
    "HOME",
    "LANG",
];

/// `NAME -> line` for every `NAME="value"` (or `export NAME="value"`) line.
fn values(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let l = line.strip_prefix("export ").unwrap_or(line);
        if l.starts_with('#') || l.starts_with(' ') {
            continue;
        }
        if let Some((name, _)) = l.split_once("=\"")
            && !name.is_empty()
            && !name.contains(' ')
            && !PROCESS_VALUES.contains(&name)
        {
            out.insert(name.to_owned(), line.to_owned());
        }
    }
    out
}

fn normalize(text: &str, case: &Path) -> String {
    let p = case.to_string_lossy();
    let mangled: String = p
        .chars()
        .map(|c| if "/.+-@%&~".contains(c) { '_' } else { c })
        .collect();
    text.replace(&*mangled, "_CASE").replace(&*p, "@CASE@")
}

#[test]
fn bake_e_matches_bitbake_for_metadata_python() {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-fixture");
    let _ = std::fs::remove_dir_all(&root);
    tree::copy_dir(&tree::repo().join("testdata/python"), &root);
    let out = Command::new(env!("CARGO_BIN_EXE_bake"))
        .args(["-e", "demo"])
        .current_dir(&root)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", "/root")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .expect("invariant: the bake binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bake -e demo failed:\n{stderr}");
    let got = values(&normalize(&String::from_utf8_lossy(&out.stdout), &root));
    let want_text = golden("demo.env");
    let want = values(&want_text);
    let py: Vec<&String> = want.keys().filter(|k| k.starts_with("PY_")).collect();
    assert_eq!(py.len(), 14, "the fixture sets 14 PY_ variables: {py:?}");
    let mut problems = Vec::new();
    for (name, line) in &want {
        match got.get(name) {
            Some(g) if g == line => {}
            Some(g) => problems.push(format!("{name}:\n  bitbake: {line}\n  bake:    {g}")),
            None => problems.push(format!("{name}: missing from bake's output")),
        }
    }
    for name in got.keys().filter(|k| !want.contains_key(*k)) {
        problems.push(format!("{name}: only in bake's output"));
    }
    assert!(
        problems.is_empty(),
        "{}\nstderr:\n{stderr}",
        problems.join("\n")
    );
}

/// A copy of the fixture for test `name`, without its parse cache.
fn fixture(name: &str) -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("python-{name}"));
    let _ = std::fs::remove_dir_all(&root);
    tree::copy_dir(&tree::repo().join("testdata/python"), &root);
    let _ = std::fs::remove_dir_all(root.join("tmp"));
    root
}

/// Inherits `class` from the build directory's bblayers.conf (a global INHERIT).
fn inherit(root: &Path, class: &str) {
    tree::append(
        &root.join("conf/bblayers.conf"),
        &format!("INHERIT += \"{class}\"\n"),
    );
}

/// Runs bake in `root` and checks that it succeeded (its standard error otherwise).
fn bake_ok(root: &Path, args: &[&str]) -> std::process::Output {
    let out = bake_in(root, args)
        .output()
        .expect("invariant: the bake binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn bake_in(root: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bake"));
    c.args(args)
        .current_dir(root)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", "/root")
        .env("LC_ALL", "C")
        .env("BAKE_NO_PROGRESS", "1")
        .stdin(Stdio::null());
    c
}

/// The lines of a task log, without the process ids in file names.
fn log_lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

/// A Python task as real BitBake runs it (`expected/report.json`, `expected/log.do_report`):
/// the prefunc, task and postfunc share one datastore (an int stays an int);
/// bb.build.exec_func runs a shell function (its `[dirs]`, bbnote through LOGFIFO) and
/// a Python function; BB_TASKDEPDATA is the dict of the task's dependency closure;
/// BB_TASKHASH, BB_RUNTASK, BB_CURRENTTASK, the run.* scripts and their link.
#[test]
fn python_tasks_run_as_in_bitbake() {
    let root = fixture("tasks");
    let out = bake_in(&root, &["-c", "report", "pytask"])
        .output()
        .expect("invariant: the bake binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "bake -c report pytask failed:\n{stderr}"
    );
    let read =
        |p: &Path| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let got: serde_json::Value =
        serde_json::from_str(&read(&root.join("report.json"))).expect("the task wrote JSON");
    let want: serde_json::Value = serde_json::from_str(&read(
        &tree::repo().join("testdata/python/expected/report.json"),
    ))
    .expect("invariant: the golden file is JSON");
    assert_eq!(got, want, "what do_report saw");
    assert_eq!(
        read(&root.join("post.txt")),
        "from-task\n",
        "the postfunc saw the task's write"
    );
    let temp = root.join("tmp/work/pytask-1.0/temp");
    assert_eq!(
        log_lines(&read(&temp.join("log.do_report"))),
        log_lines(&read(
            &tree::repo().join("testdata/python/expected/log.do_report")
        )),
        "the task's log"
    );
    let mut names: Vec<String> = std::fs::read_dir(&temp)
        .expect("the task's temp directory")
        .filter_map(Result::ok)
        .map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            // run.FUNC.PID and log.TASK.PID: the PID is the task child's.
            match n.rsplit_once('.') {
                Some((head, pid)) if pid.chars().all(|c| c.is_ascii_digit()) => {
                    format!("{head}.PID")
                }
                _ => n,
            }
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "log.do_report",
            "log.do_report.PID",
            "log.task_order",
            "run.do_report",
            "run.do_report.PID",
            "run.post_report.PID",
            "run.pre_report.PID",
            "run.py_part.PID",
            "run.shell_part.PID"
        ],
        "the files BitBake's run leaves in T"
    );
}

/// bb.fatal fails the task with its message (logged once); an exception names each
/// metadata frame (file, line, function) with its lines, as BitBake reports it.
#[test]
fn python_task_failures_name_the_function_file_and_line() {
    let root = fixture("failures");
    let out = bake_in(&root, &["-c", "fatal", "pyfail"])
        .output()
        .expect("invariant: the bake binary runs");
    let stderr = normalize(&String::from_utf8_lossy(&out.stderr), &root);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("ERROR: pyfail-1.0-r0 do_fatal: stopped here on purpose\n"),
        "{stderr}"
    );
    // The closing summary lists the task with its log, as knotty's does.
    let stdout = normalize(&String::from_utf8_lossy(&out.stdout), &root);
    let summary = "\nSummary: 1 task failed:\n  @CASE@/meta-py/recipes-tasks/pyfail/pyfail_1.0.bb:do_fatal\n    log: @CASE@/tmp/work/pyfail-1.0/temp/log.do_fatal.";
    assert!(stdout.contains(summary), "{stdout}");
    assert!(
        stdout.contains("\nSummary: There was 1 ERROR message, returning a non-zero exit code.\n"),
        "{stdout}"
    );
    let log = std::fs::read_to_string(root.join("tmp/work/pyfail-1.0/temp/log.do_fatal"))
        .expect("the task's log");
    // BitBake's log of the same task.
    assert_eq!(
        log,
        "DEBUG: Executing python function do_fatal\nNOTE: before the end\nERROR: stopped here on purpose\nDEBUG: Python function do_fatal finished\n"
    );
    let out = bake_in(&root, &["-c", "raise", "pyfail"])
        .output()
        .expect("invariant: the bake binary runs");
    let stderr = normalize(&String::from_utf8_lossy(&out.stderr), &root);
    assert!(!out.status.success(), "{stderr}");
    for want in [
        "ERROR: pyfail-1.0-r0 do_raise: Error executing a python function in do_raise:",
        "File: '@CASE@/meta-py/recipes-tasks/pyfail/pyfail_1.0.bb', lineno: 12, function: do_raise",
        " *** 0012:    pyfail_helper(d)",
        "File: '@CASE@/meta-py/recipes-tasks/pyfail/pyfail_1.0.bb', lineno: 9, function: pyfail_helper",
        " *** 0009:    return {}[\"missing\"]",
        "Exception: KeyError: 'missing'",
    ] {
        assert!(stderr.contains(want), "missing {want:?} in:\n{stderr}");
    }
}

/// A shell task whose helper fails: the run script has BitBake's shape (exit trap,
/// `unset` of an `[unexport]` variable, quoting, each function after its origin comment)
/// and the log is BitBake's (`expected/log.do_broken`: the trap's
/// `WARNING: exit code 1 from a shell command.`), which the console does not repeat.
#[test]
fn a_failing_shell_task_s_run_script_and_log_are_bitbake_s() {
    let root = fixture("shfail");
    let out = bake_in(&root, &["-c", "broken", "shfail"])
        .output()
        .expect("invariant: the bake binary runs");
    let stderr = normalize(&String::from_utf8_lossy(&out.stderr), &root);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("/run.do_broken.") && stderr.contains("' failed with exit code 1"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("exit code 1 from a shell command"),
        "{stderr}"
    );
    let temp = root.join("tmp/work/shfail-1.0/temp");
    let log = std::fs::read_to_string(temp.join("log.do_broken")).expect("the task's log");
    let want = golden("log.do_broken");
    assert_eq!(log, want);
    let script = normalize(
        &std::fs::read_to_string(temp.join("run.do_broken")).expect("the run script"),
        &root,
    );
    for want in [
        "trap 'bb_sh_exit_handler' 0\n",
        "\nunset SHFAIL_DROPPED\n",
        "\nexport SHFAIL_EXPORTED=\"quote\\\" tick\\` dollar\\$\"\n",
        "\n# line: 13, file: @CASE@/meta-py/recipes-tasks/shfail/shfail_1.0.bb\ndo_broken() {\n",
        "}\n\n# line: 7, file: @CASE@/meta-py/recipes-tasks/shfail/shfail_1.0.bb\nshfail_helper() {\n",
        "\ncd '@CASE@/tmp/work/shfail-1.0/build'\ndo_broken\n\n# cleanup\nret=$?\ntrap '' 0\nexit $ret\n",
    ] {
        assert!(script.contains(want), "missing {want:?} in:\n{script}");
    }
}

/// BB_TASK_NICE_LEVEL and BB_TASK_IONICE_LEVEL (with a `task-NAME` override) on a shell
/// task run by bake and on a Python task in a worker: what real BitBake's tasks saw on
/// the same recipe (`prio`: nice 15 and 19, best-effort priority 6).
#[test]
fn tasks_run_at_their_nice_and_ionice_levels() {
    let root = fixture("prio");
    for task in ["shprio", "pyprio"] {
        let out = bake_in(&root, &["-c", task, "prio"])
            .output()
            .expect("invariant: the bake binary runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let read = |f: &str| std::fs::read_to_string(root.join(f)).expect("the task wrote its file");
    assert_eq!(read("shprio.out"), "nice 15 io best-effort: prio 6\n");
    assert_eq!(read("pyprio.out"), "nice 19 io best-effort: prio 6\n");
}

/// BuildStarted and BuildCompleted reach the configuration's handlers (a class added
/// with INHERIT) as BitBake's cooker fires them: targets as `TARGET:TASK`, the run
/// queue's task count, the failed tasks, and what the first handler stored seen by the
/// second (`expected/build-events.txt`: real BitBake's file for the same two builds).
#[test]
fn build_started_and_completed_reach_the_configuration_s_handlers() {
    let root = fixture("buildevents");
    inherit(&root, "buildevents");
    for args in [["-c", "broken", "shfail"], ["-c", "shprio", "prio"]] {
        bake_in(&root, &args)
            .output()
            .expect("invariant: the bake binary runs");
    }
    assert_handler_file(&root, "build-events.txt", "build-events.txt");
}

/// TaskStarted, TaskSucceeded and TaskFailed reach the configuration's handlers for shell
/// tasks too, and not a recipe's own handler (`expected/task-events.txt`: real BitBake's
/// file for `bitbake -c two taskev` with the same class inherited).
#[test]
fn task_events_reach_the_configuration_s_handlers_only() {
    let root = fixture("taskevents");
    inherit(&root, "buildevents");
    let out = bake_in(&root, &["-c", "two", "taskev"])
        .output()
        .expect("invariant: the bake binary runs");
    assert!(!out.status.success(), "do_two fails");
    assert_handler_file(&root, "task-events.txt", "task-events.txt");
}

/// Ctrl-C while a Python task (in a worker's child, a session of its own as in BitBake)
/// or a shell task (run by bake) runs, sent to bake's process alone: the task ends, the
/// build stops as interrupted, and no process of the build is left behind.
#[test]
fn ctrl_c_to_bake_stops_a_running_python_or_shell_task() {
    for task in ["slow", "slowsh"] {
        let root = fixture(&format!("sigint-{task}"));
        let child = bake_in(&root, &["-c", task, "pyfail"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("invariant: bake starts");
        let started = root.join(format!("{task}.started"));
        let t0 = std::time::Instant::now();
        while !started.exists() && t0.elapsed() < std::time::Duration::from_secs(60) {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(started.exists(), "the slow task {task} started");
        let mut pids = vec![child.id()];
        let mut i = 0;
        while i < pids.len() {
            pids.extend(children_of(pids[i]));
            i += 1;
        }
        assert!(pids.len() > 1, "bake runs {task} in another process");
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let t1 = std::time::Instant::now();
        let out = child.wait_with_output().expect("invariant: bake ends");
        assert!(
            t1.elapsed() < std::time::Duration::from_secs(20),
            "bake stopped {task}"
        );
        let text = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "{text}");
        assert!(text.contains("interrupted"), "{text}");
        // The workers and the task runner end when bake closes their pipes (under a
        // loaded machine, not at once).
        let alive = || -> Vec<u32> {
            pids.iter()
                .copied()
                .filter(|p| Path::new(&format!("/proc/{p}")).exists())
                .collect()
        };
        let t2 = std::time::Instant::now();
        while !alive().is_empty() && t2.elapsed() < std::time::Duration::from_secs(10) {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let left: Vec<String> = alive()
            .iter()
            .map(|p| {
                std::fs::read_to_string(format!("/proc/{p}/cmdline"))
                    .unwrap_or_default()
                    .replace('\0', " ")
            })
            .collect();
        assert!(left.is_empty(), "processes of {task} left behind: {left:?}");
    }
}

/// The direct children of process `pid`.
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit_once(')')
                        .and_then(|(_, rest)| rest.split_whitespace().nth(1).map(str::to_owned))
                })
                .is_some_and(|pp| pp == pid.to_string())
        })
        .collect()
}

/// A syntax error in a `def` function is a parse error naming the file and the line,
/// with the code around it, as BitBake reports it (checked with real BitBake on the same
/// recipe: "Error in compiling python function in FILE, line 2", "SyntaxError: '(' was
/// never closed (syn_1.0.bb, line 2)").
#[test]
fn a_syntax_error_in_a_def_function_is_a_parse_error() {
    let root = fixture("syntax");
    let dir = root.join("meta-py/recipes-tasks/syn");
    std::fs::create_dir_all(&dir).expect("invariant: fixture directory");
    fs_err::write(
        dir.join("syn_1.0.bb"),
        "def broken_fn(d):\n    x = (1,\n    return x\n",
    )
    .expect("invariant: fixture file");
    let out = bake_in(&root, &["-p"])
        .output()
        .expect("invariant: the bake binary runs");
    let stderr = normalize(
        &(String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout)),
        &root,
    );
    assert!(!out.status.success(), "{stderr}");
    for want in [
        "Error in compiling python function in @CASE@/meta-py/recipes-tasks/syn/syn_1.0.bb, line 2:",
        " *** 0002:    x = (1,",
        "SyntaxError: '(' was never closed (syn_1.0.bb, line 2)",
        "1 errors.",
    ] {
        assert!(stderr.contains(want), "missing {want:?} in:\n{stderr}");
    }
}

/// `[progress]` (percent, outof, a custom class of the layer's lib, an invalid value),
/// TaskProgress and MultiStageProgressReporter fired by a Python task: the progress the
/// configuration's handler receives, the messages the console shows and the logs are
/// real BitBake's (`expected/progress-events.txt`, `progress-console.txt`, `log.do_pct`,
/// `log.do_custom`, from `bitbake -c TASK progress` with `progressevents` inherited).
#[test]
fn task_progress_and_messages_are_bitbake_s() {
    let root = fixture("progress");
    inherit(&root, "progressevents");
    let mut console = String::new();
    for task in ["pct", "outof", "custom", "badprogress", "pyprog"] {
        // stdout and stderr into one file, in the order they were written.
        let path = root.join(format!("console-{task}.txt"));
        let file = fs_err::File::create(&path).expect("the console file");
        let file = file.into_parts().0;
        let status = bake_in(&root, &["-c", task, "progress"])
            .stdout(file.try_clone().expect("the console file"))
            .stderr(file)
            .status()
            .expect("invariant: the bake binary runs");
        let text = std::fs::read_to_string(&path).expect("the console file");
        assert!(status.success(), "bake -c {task} progress failed:\n{text}");
        // What knotty prints of the task's messages (BitBake's status lines left out).
        for line in text.lines() {
            let status = [
                "NOTE: ",
                "Loading",
                "Loaded",
                "Initialising",
                "Parsing",
                "Summary",
            ]
            .iter()
            .any(|p| line.starts_with(p));
            if !status && !line.is_empty() {
                console.push_str(line);
                console.push('\n');
            }
        }
    }
    let got =
        std::fs::read_to_string(root.join("progress-events.txt")).expect("the handler's file");
    assert_eq!(got, golden("progress-events.txt"), "TaskProgress events");
    assert_eq!(console, golden("progress-console.txt"), "the console");
    let temp = root.join("tmp/work/progress-1.0/temp");
    for log in ["log.do_pct", "log.do_custom"] {
        let got = std::fs::read_to_string(temp.join(log)).expect("the task's log");
        assert_eq!(got, golden(log), "{log}");
    }
}

/// A task's warning reaches the console while the task runs (BitBake's worker sends its
/// log records as they happen): `do_waitgo` warns, then waits up to 60 s for a file
/// that this test writes only once it has read the warning from bake's stderr.
#[test]
fn a_task_s_warning_reaches_the_console_while_it_runs() {
    use std::io::BufRead as _;
    let root = fixture("live");
    let mut child = bake_in(&root, &["-c", "waitgo", "progress"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("invariant: the bake binary runs");
    let stderr = child.stderr.take().expect("invariant: piped");
    let mut seen = Vec::new();
    for line in std::io::BufReader::new(stderr).lines() {
        let line = line.expect("bake's stderr reads");
        let warned = line == "WARNING: progress-1.0-r0 do_waitgo: waiting for go";
        seen.push(line);
        if warned {
            fs_err::write(root.join("go"), "").expect("the go file is written");
            break;
        }
    }
    let out = child.wait_with_output().expect("bake ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        root.join("go").exists(),
        "the warning never came while the task ran:\n{}",
        seen.join("\n")
    );
    assert!(out.status.success(), "{stdout}\n{}", seen.join("\n"));
    // bb.plain's text alone, as knotty prints it.
    assert!(stdout.lines().any(|l| l == "got go"), "{stdout}");
}

/// The run queue's events reach the configuration's handlers with BitBake's attributes
/// and counts: `expected/rq-events.txt` is real BitBake's file for `bitbake -c two taskev`
/// (do_one succeeds, do_two fails) then `bitbake -c one taskev` (stamp current:
/// skipped as "existing"), with `rqevents` inherited.
#[test]
fn run_queue_events_reach_the_configuration_s_handlers() {
    let root = fixture("rqevents");
    inherit(&root, "rqevents");
    for args in [["-c", "two", "taskev"], ["-c", "one", "taskev"]] {
        bake_in(&root, &args)
            .output()
            .expect("invariant: the bake binary runs");
    }
    assert_handler_file(&root, "rq-events.txt", "rq-events.txt");
}

/// runQueueExitWait and the exit codes of failed tasks: `expected/rq-events-exit.txt` is
/// real BitBake's file (two threads, `rqevents` inherited) for `bitbake -c both taskev`
/// (do_fast fails while do_slow runs: the run queue waits for 1 task), `-c killed`
/// (a Python task killed by SIGKILL: 137) and `-c exits` (`os._exit(3)`: 3).
#[test]
fn exit_wait_and_exit_codes_reach_the_configuration_s_handlers() {
    let root = fixture("rqexit");
    tree::append(
        &root.join("conf/bblayers.conf"),
        "INHERIT += \"rqevents\"\nBB_NUMBER_THREADS = \"2\"\n",
    );
    fs_err::write(root.join("rq-events.txt"), "").expect("the events file is made");
    for task in ["both", "killed", "exits"] {
        tree::append(
            &root.join("rq-events.txt"),
            &format!("== -c {task} taskev\n"),
        );
        let out = bake_in(&root, &["-c", task, "taskev"])
            .output()
            .expect("invariant: the bake binary runs");
        assert!(!out.status.success(), "{task} failed");
    }
    assert_handler_file(&root, "rq-events.txt", "rq-events-exit.txt");
}

/// A line of `diskmon-console.txt` without what depends on the machine: the device
/// and the free space of a low-space warning.
fn machine_free(line: &str) -> String {
    match line.find(" is running low (") {
        Some(i) => {
            let head = line[..i].rsplit_once(" (").map_or(&line[..i], |(h, _)| h);
            format!("{head} is running low (...)")
        }
        None => line.to_owned(),
    }
}

/// `bake -c slow taskev` in a fresh copy of the fixture (`NAME-N`) with `conf` added to its
/// configuration, for each of `confs`: the console's lines of the disk space monitor
/// (ERROR, WARNING, the summaries, the SIGTERM note) with `@TOP@` for the copy and
/// without what depends on the machine, then `rc=N`, each run headed `== CONF`; and
/// the copies, in the same order.
fn diskmon_runs(name: &str, confs: &[&str]) -> (Vec<String>, Vec<std::path::PathBuf>) {
    let mut got = Vec::new();
    let mut roots = Vec::new();
    for (n, conf) in confs.iter().enumerate() {
        let root = fixture(&format!("{name}-{n}"));
        tree::append(&root.join("conf/bblayers.conf"), &format!("{conf}\n"));
        let out = bake_in(&root, &["-c", "slow", "taskev"])
            .output()
            .expect("invariant: the bake binary runs");
        // Messages go to stderr, the summaries to stdout: compared in that order.
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        got.push(format!("== {}", conf.replace('\n', " ")));
        let top = root.display().to_string();
        for line in text.lines().filter(|l| {
            [
                "ERROR",
                "WARNING",
                "       Disk",
                "Summary",
                "NOTE: Tasks Summary",
                "NOTE: Sending",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        }) {
            got.push(machine_free(&line.replace(&top, "@TOP@")));
        }
        got.push(format!("rc={}", out.status.code().unwrap_or(-1)));
        roots.push(root);
    }
    (got, roots)
}

/// BitBake's console lines of `golden` (as [`diskmon_runs`] writes them) in the order
/// bake writes them: each run's stderr lines before its stdout lines.
fn bitbake_console(golden_file: &str) -> Vec<String> {
    let want = golden(golden_file);
    let mut ordered: Vec<String> = Vec::new();
    let mut run: Vec<String> = Vec::new();
    for line in want.lines().map(machine_free) {
        if line.starts_with("== ") || line.starts_with("rc=") {
            run.sort_by_key(|l| l.starts_with("NOTE") || l.starts_with("Summary"));
            ordered.append(&mut run);
            ordered.push(line);
        } else {
            run.push(line);
        }
    }
    ordered
}

/// The disk space monitor (BB_DISKMON_DIRS, BB_DISKMON_WARNINTERVAL) as BitBake's:
/// `expected/diskmon-console.txt` holds real BitBake's console lines for `bitbake -c
/// slow taskev` with a malformed size (an error; the monitor stays off), a threshold
/// no disk meets with STOPTASKS (a warning, then the error; the running task ends and
/// succeeds, nothing new starts) and a malformed interval; each exits 1.
#[test]
fn disk_monitor_warns_and_stops_as_bitbake() {
    let (got, _) = diskmon_runs(
        "diskmon",
        &[
            "BB_DISKMON_DIRS = \"STOPTASKS,${TMPDIR},1X,100K\"",
            "BB_DISKMON_DIRS = \"STOPTASKS,${TMPDIR},100000G,100K\"",
            "BB_DISKMON_DIRS = \"WARN,${TMPDIR},100000G,100K HALT,${TOPDIR},1G\"\nBB_DISKMON_WARNINTERVAL = \"5X\"",
        ],
    );
    assert_eq!(got, bitbake_console("diskmon-console.txt"));
}

/// The disk space monitor's HALT and STOPTASKS with handlers of its events and of the
/// run queue's (`diskevents` and `rqevents` inherited): HALT kills the running task
/// (SIGTERM to its group, "Sending SIGTERM to remaining 1 tasks", no task event, 0
/// tasks attempted, exit 1), STOPTASKS lets it end (runQueueExitWait); each fires
/// DiskFull, then MonitorDiskEvent. `expected/diskmon-halt-console.txt` and
/// `expected/diskmon-events.txt` are real BitBake's console lines and handler files
/// for the same runs of `bitbake -c slow taskev`.
#[test]
fn disk_monitor_halts_and_fires_its_events_as_bitbake() {
    let started = std::time::Instant::now();
    let (got, roots) = diskmon_runs(
        "diskmon-halt",
        &[
            "INHERIT += \"diskevents rqevents\"\nBB_DISKMON_DIRS = \"HALT,${TMPDIR},100000G,100K\"",
            "INHERIT += \"diskevents rqevents\"\nBB_DISKMON_DIRS = \"STOPTASKS,${TMPDIR},100000G,100K\"",
        ],
    );
    let headless = |lines: Vec<String>| -> Vec<String> {
        lines
            .into_iter()
            .map(|l| l.replace("== INHERIT += \"diskevents rqevents\" ", "== "))
            .collect()
    };
    assert_eq!(headless(got), bitbake_console("diskmon-halt-console.txt"));
    let mut events = String::new();
    for (root, action) in roots.iter().zip(["HALT", "STOPTASKS"]) {
        events.push_str(&format!(
            "== BB_DISKMON_DIRS = \"{action},${{TMPDIR}},100000G,100K\"\n"
        ));
        for file in ["disk-events.txt", "rq-events.txt"] {
            events.push_str(&std::fs::read_to_string(root.join(file)).expect("the handler's file"));
        }
    }
    assert_eq!(events, golden("diskmon-events.txt"));
    // do_slow sleeps 2 s: HALT did not wait for it (the monitor looks after 1 s).
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2 + 3),
        "{:?}",
        started.elapsed()
    );
}

/// `bb.event.ReachableStamps` once the recipes are parsed, before the build, for `-p`
/// and for `-g`: every target that did not skip itself to its STAMP, in a dict, fired
/// on the configuration itself (what its handler stores, BuildStarted's handler sees)
/// (`expected/reachable-stamps.txt`: real BitBake's file for `bitbake -c one taskev`,
/// `bitbake -p`, `bitbake -g -c one taskev` with `reachable` inherited), and the
/// process its handler fires on the console.
#[test]
fn reachable_stamps_reach_the_configuration_s_handlers() {
    let root = fixture("reachable");
    inherit(&root, "reachable");
    let out = bake_ok(&root, &["-c", "one", "taskev"]);
    // The process the handler started and finished, as knotty prints it (BitBake: the
    // line after the parse's summary).
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "Checking 8 stamps...done.")
        .unwrap_or_else(|| panic!("no process line in:\n{stdout}"));
    assert!(
        lines[at - 1].starts_with("Parsing of 8 .bb files complete"),
        "{stdout}"
    );
    for args in [&["-p"][..], &["-g", "-c", "one", "taskev"]] {
        let out = bake_in(&root, args)
            .output()
            .expect("invariant: the bake binary runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("\nChecking 8 stamps...done.\n"), "{stdout}");
    }
    assert_handler_file(&root, "reachable.txt", "reachable-stamps.txt");
}

/// A fresh copy of `testdata/pyhooks` in `dir` (under the test target directory) with
/// `testdata/python`'s class `class` copied in and inherited from bblayers.conf.
fn pyhooks_with_class(dir: &str, class: &str) -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(dir);
    let _ = std::fs::remove_dir_all(&root);
    tree::copy_dir(&tree::repo().join("testdata/pyhooks"), &root);
    fs_err::copy(
        tree::repo().join(format!("testdata/python/meta-py/classes/{class}.bbclass")),
        root.join(format!("meta-hooks/classes/{class}.bbclass")),
    )
    .expect("the class is copied");
    inherit(&root, class);
    root
}

/// With setscene tasks: sceneQueueTaskStarted/Completed/Failed, sceneQueueComplete and
/// tasks skipped as "covered", on `testdata/pyhooks` built, built again after `tmp/` is
/// removed, then again after `tmp/` is removed with app's setscene task ending by
/// `os._exit(3)` (`exitcode` 3) (`expected/rq-events-setscene.txt`: real BitBake's file
/// for the same three builds with `rqevents` inherited).
#[test]
fn setscene_queue_events_reach_the_configuration_s_handlers() {
    let root = pyhooks_with_class("python-rqevents-setscene", "rqevents");
    for round in 0..3 {
        if round > 0 {
            std::fs::remove_dir_all(root.join("tmp")).expect("tmp/ is removed");
        }
        if round == 2 {
            tree::append(
                &root.join("meta-hooks/recipes-hooks/app/app_1.0.bb"),
                "python do_install_setscene:prepend() {\n    os._exit(3)\n}\n",
            );
        }
        let out = bake_in(&root, &["app"])
            .output()
            .expect("invariant: the bake binary runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_handler_file(&root, "rq-events.txt", "rq-events-setscene.txt");
}

/// HeartbeatEvent every BB_HEARTBEAT_EVENT seconds (0.2 here) while the build runs,
/// with its `time` a float of now, as real BitBake fires it (10 events during
/// `bitbake -c outof progress`, which also counts the parse; bake fires them while the
/// run queue runs).
#[test]
fn heartbeat_events_reach_the_configuration_s_handlers() {
    let root = fixture("heartbeat");
    inherit(&root, "heartbeat");
    bake_ok(&root, &["-c", "outof", "progress"]);
    let got = std::fs::read_to_string(root.join("heartbeat.txt")).expect("the handler's file");
    let lines: Vec<&str> = got.lines().collect();
    // do_outof takes 1.2 s: about six beats.
    assert!(lines.len() >= 3, "{got}");
    assert!(
        lines.iter().all(|l| *l == "HeartbeatEvent True True"),
        "{got}"
    );
}

/// HeartbeatEvent from BuildStarted on, while the run queue is prepared too (BitBake's
/// server beats from BuildStarted): `testdata/pyhooks` built with `prepbeats`
/// inherited, whose hash check takes a second (`expected/prep-beats.txt`: real
/// BitBake's file for `bitbake app`: a heartbeat before the first task).
#[test]
fn heartbeat_events_are_fired_while_the_run_queue_is_prepared() {
    let root = pyhooks_with_class("python-prepbeats", "prepbeats");
    bake_ok(&root, &["app"]);
    assert_handler_file(&root, "prep-beats.txt", "prep-beats.txt");
}

/// A Python task's warning, sent while it runs, is a Toaster LogMessage (level 1, the
/// message without knotty's task prefix, as Toaster's buildinfohelper stores a log
/// record), linked to its task.
#[test]
fn a_task_s_warning_is_recorded_for_toaster() {
    let root = fixture("toaster");
    fs_err::write(root.join("meta-py/classes/toaster.bbclass"), "").expect("class written");
    tree::append(&root.join("conf/bblayers.conf"), "INHERIT += \"toaster\"\n");
    bake_ok(&root, &["-c", "pyprog", "progress"]);
    let conn = bb_toaster::db::open(&root.join("toaster.sqlite")).expect("recorded");
    let rows: Vec<(i64, String, String)> = conn
        .prepare(
            "SELECT m.level, m.message, t.task_name FROM orm_logmessage m JOIN orm_task t ON m.task_id = t.id",
        )
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .expect("log messages");
    assert_eq!(
        rows,
        [(1, "python warning".to_owned(), "do_pyprog".to_owned())]
    );
}

/// The golden file `name` of `testdata/python/expected` (real BitBake's output).
fn golden(name: &str) -> String {
    std::fs::read_to_string(tree::repo().join("testdata/python/expected").join(name))
        .expect("invariant: the golden file is in the repository")
}

/// Asserts that the file `name` the fixture's event handlers wrote under `root` equals
/// the golden file `want` (what they wrote under real BitBake).
fn assert_handler_file(root: &std::path::Path, name: &str, want: &str) {
    let got = std::fs::read_to_string(root.join(name)).expect("the handler's file");
    assert_eq!(got, golden(want), "{name} against {want}");
}
