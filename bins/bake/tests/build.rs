//! Builds with `bake`: the libhello/sayhello example of `testdata/build-hello` (from
//! scratch, no-op rebuilds, what reruns after a change, `-f`, `-C`, `-n`, `-c`, a
//! damaged stamp directory, the build lock) and a small layer of shell tasks for
//! failures, `-k` and Ctrl-C. Each test works on its own copy of the layers.
#![expect(
    clippy::disallowed_methods,
    reason = "test inputs are written directly"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

#[path = "support/tree.rs"]
mod tree;

use tree::{append, copy_dir, repo};

/// A fresh copy of `testdata/build-hello` (with bake's `meta/` where its bblayers.conf
/// expects it); returns the build directory.
fn hello_copy(name: &str) -> PathBuf {
    tree::hello_copy_in(&Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("build-{name}")))
}

fn bake(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bake"))
        .args(args)
        .current_dir(dir)
        .env("BAKE_NO_PROGRESS", "1")
        .env_remove("BBPATH")
        .output()
        .expect("invariant: bake runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `PN do_task` of every task that ran (not noexec), sorted.
fn ran(o: &Output) -> Vec<String> {
    let mut v: Vec<String> = text(o)
        .lines()
        .filter_map(|l| l.strip_prefix("NOTE: Running task "))
        .filter_map(|l| {
            let inner = l.split_once('(')?.1.strip_suffix(')')?;
            let (file, task) = inner.rsplit_once(':')?;
            let base = file.rsplit('/').next()?;
            let pn = base.split('_').next()?;
            Some(format!("{pn} {task}"))
        })
        .collect();
    v.sort();
    v
}

fn summary(o: &Output) -> String {
    text(o)
        .lines()
        .find(|l| l.starts_with("NOTE: Tasks Summary"))
        .unwrap_or("")
        .to_owned()
}

fn sayhello_runs(dir: &Path) -> String {
    let work = dir.join("tmp/work");
    let bin = work.join("sayhello/1.0-r0/image/usr/bin/sayhello");
    let lib = dir.join("tmp/sysroots-components/libhello/usr/lib");
    let out = Command::new(&bin)
        .env("LD_LIBRARY_PATH", &lib)
        .output()
        .expect("invariant: sayhello was built");
    assert!(out.status.success(), "sayhello failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn sayhello_builds_from_scratch_and_rebuilds_only_what_changed() {
    let dir = hello_copy("incremental");
    let o = bake(&dir, &["sayhello"]);
    assert!(o.status.success(), "{}", text(&o));
    // The same tasks BitBake ran for this build.
    let expected =
        std::fs::read_to_string(repo().join("testdata/build-hello/expected/01.tasks-run.txt"))
            .expect("invariant: expected task list");
    let exp_tasks: Vec<String> = expected
        .lines()
        .filter(|l| !l.starts_with("NOTE:") && !l.starts_with('#') && !l.ends_with("(noexec)"))
        .map(str::to_owned)
        .collect();
    assert_eq!(ran(&o), exp_tasks);
    let exp_summary = expected
        .lines()
        .find(|l| l.starts_with("NOTE: Tasks Summary"))
        .unwrap_or("");
    assert_eq!(summary(&o), exp_summary);
    let greeting = sayhello_runs(&dir);
    assert!(greeting.contains("Hello, world!"), "{greeting}");
    assert!(
        greeting.contains("Hello, again!"),
        "the patch was applied: {greeting}"
    );

    // A second build runs nothing, quickly.
    let t0 = Instant::now();
    let o = bake(&dir, &["sayhello"]);
    let took = t0.elapsed();
    assert!(o.status.success(), "{}", text(&o));
    assert!(ran(&o).is_empty(), "{:?}", ran(&o));
    assert_eq!(
        summary(&o),
        "NOTE: Tasks Summary: Attempted 17 tasks of which 17 didn't need to be rerun and all succeeded."
    );
    assert!(took < Duration::from_secs(1), "no-op rebuild took {took:?}");

    // Changing libhello's source reruns libhello from do_fetch on, and the sayhello
    // tasks after libhello's sysroot.
    append(
        &dir.join("meta-hello/recipes-hello/libhello/files/hellolib.c"),
        "\n/* changed */\n",
    );
    let o = bake(&dir, &["sayhello"]);
    assert!(o.status.success(), "{}", text(&o));
    let mut want: Vec<String> = [
        "libhello do_fetch",
        "libhello do_unpack",
        "libhello do_patch",
        "libhello do_prepare_recipe_sysroot",
        "libhello do_configure",
        "libhello do_compile",
        "libhello do_install",
        "libhello do_populate_sysroot",
        "sayhello do_prepare_recipe_sysroot",
        "sayhello do_configure",
        "sayhello do_compile",
        "sayhello do_install",
        "sayhello do_populate_sysroot",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    want.sort();
    assert_eq!(ran(&o), want);

    // A variable only sayhello's do_compile reads reruns that task and those after it.
    append(
        &dir.join("conf/local.conf"),
        "\nGREETING_NOTE = \"changed\"\n",
    );
    let o = bake(&dir, &["sayhello"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        ran(&o),
        vec![
            "sayhello do_compile",
            "sayhello do_install",
            "sayhello do_populate_sysroot"
        ]
    );
    assert!(sayhello_runs(&dir).contains("Hello, world!"));
}

#[test]
fn force_clear_stamp_dry_run_and_listtasks() {
    let dir = hello_copy("flags");
    let o = bake(&dir, &["-n", "sayhello"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(ran(&o).len(), 16, "{}", text(&o));
    assert!(
        !dir.join("tmp/stamps").exists(),
        "a dry run writes no stamp"
    );
    assert!(!dir.join("tmp/work/sayhello/1.0-r0/image").exists());

    let o = bake(&dir, &["sayhello"]);
    assert!(o.status.success(), "{}", text(&o));

    // -f -c compile: the task runs again, with BitBake's taint warning.
    let o = bake(&dir, &["-f", "-c", "compile", "sayhello"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(ran(&o), vec!["sayhello do_compile"]);
    assert!(text(&o).contains("do_compile is tainted from a forced run"));
    // The taint stays: the next build takes the new hash (install and after rerun once).
    let o = bake(&dir, &["sayhello"]);
    assert_eq!(
        ran(&o),
        vec!["sayhello do_install", "sayhello do_populate_sysroot"]
    );
    let o = bake(&dir, &["sayhello"]);
    assert!(ran(&o).is_empty());

    // -C configure: configure and everything after it, up to the default task.
    let o = bake(&dir, &["-C", "configure", "sayhello"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        ran(&o),
        vec![
            "sayhello do_compile",
            "sayhello do_configure",
            "sayhello do_install",
            "sayhello do_populate_sysroot"
        ]
    );

    // -c listtasks prints the tasks (nostamp: every time).
    for _ in 0..2 {
        let o = bake(&dir, &["-c", "listtasks", "sayhello"]);
        assert!(o.status.success(), "{}", text(&o));
        assert_eq!(ran(&o), vec!["sayhello do_listtasks"]);
        let t = text(&o);
        assert!(
            t.contains("do_compile") && t.contains("do_populate_sysroot"),
            "{t}"
        );
    }

    // A second build in the same directory while one holds the lock is refused.
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("bitbake.lock"))
        .expect("invariant: lock file");
    lock.lock().expect("invariant: lock");
    let o = bake(&dir, &["sayhello"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("in use by another build"), "{}", text(&o));
    drop(lock);
    let o = bake(&dir, &["sayhello"]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn damaged_stamps_rerun_what_they_covered() {
    let dir = hello_copy("stamps");
    assert!(bake(&dir, &["sayhello"]).status.success());
    let stamps = dir.join("tmp/stamps/libhello");
    // Remove libhello's compile stamp and put garbage next to the others.
    for e in std::fs::read_dir(&stamps).expect("invariant: stamps exist") {
        let p = e.expect("invariant: entry").path();
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.contains(".do_compile.") && !name.contains("sigdata") {
            std::fs::remove_file(&p).expect("invariant: remove");
        }
    }
    std::fs::write(stamps.join("1.0-r0.do_install.garbage"), "x").expect("invariant: write");
    std::fs::create_dir_all(stamps.join("1.0-r0.do_configure.notadir")).expect("invariant: dir");
    // Without shared state (which would restore libhello's sysroot instead).
    let o = bake(&dir, &["sayhello", "--no-setscene"]);
    assert!(o.status.success(), "{}", text(&o));
    // libhello's compile runs again, and everything after it (its hash is unchanged, so
    // the stamps after it are valid, but a task whose dependency ran runs too).
    let r = ran(&o);
    assert!(r.contains(&"libhello do_compile".to_owned()), "{r:?}");
    assert!(r.contains(&"libhello do_install".to_owned()), "{r:?}");
    assert!(r.contains(&"sayhello do_compile".to_owned()), "{r:?}");
    assert!(!r.contains(&"libhello do_configure".to_owned()), "{r:?}");
    let o = bake(&dir, &["sayhello"]);
    assert!(ran(&o).is_empty(), "{:?}", ran(&o));
}

/// A layer of shell tasks only: `good` builds, `bad` fails in do_compile, `after`
/// needs bad's do_install, `slow` sleeps in do_compile.
fn shell_layer(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("shell-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    let w = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("invariant: parent")).expect("invariant: dir");
        std::fs::write(p, text).expect("invariant: write");
    };
    w(
        "conf/bitbake.conf",
        r#"BBFILES = "${TOPDIR}/recipes/*.bb"
PN = "${@bb.parse.vars_from_file(d.getVar('FILE', False),d)[0] or 'defaultpkgname'}"
PV = "${@bb.parse.vars_from_file(d.getVar('FILE', False),d)[1] or '1.0'}"
PR = "r0"
TMPDIR = "${TOPDIR}/tmp"
STAMP = "${TMPDIR}/stamps/${PN}/${PV}-${PR}"
WORKDIR = "${TMPDIR}/work/${PN}/${PV}-${PR}"
T = "${WORKDIR}/temp"
B = "${WORKDIR}/build"
CACHE = "${TOPDIR}/cache"
BB_NUMBER_THREADS = "2"
OVERRIDES = "pn-${PN}"
export PATH = "/usr/bin:/bin"
"#,
    );
    w(
        "classes/base.bbclass",
        r#"do_fetch() {
	echo fetch ${PN}
}
addtask fetch
do_compile() {
	echo compile ${PN}
}
addtask compile after do_fetch
do_compile[dirs] = "${B}"
do_compile[deptask] = "do_install"
do_install() {
	echo install ${PN}
}
addtask install after do_compile
do_build[noexec] = "1"
addtask build after do_install
do_build[deptask] = "do_install"
"#,
    );
    w("recipes/good_1.0.bb", "");
    w(
        "recipes/bad_1.0.bb",
        "do_compile() {\n\techo about to fail\n\techo line two\n\tfalse\n\techo never\n}\n",
    );
    w("recipes/after_1.0.bb", "DEPENDS = \"bad\"\n");
    w("recipes/slow_1.0.bb", "do_compile() {\n\tsleep 30\n}\n");
    w("recipes/all_1.0.bb", "DEPENDS = \"good after\"\n");
    dir
}

fn bake_env(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bake"))
        .args(args)
        .current_dir(dir)
        .env("BBPATH", dir)
        .env("BAKE_NO_PROGRESS", "1")
        .output()
        .expect("invariant: bake runs")
}

#[test]
fn a_failing_task_stops_the_build_or_not_with_k() {
    let dir = shell_layer("fail");
    // No BBINCLUDELOGS: as knotty, the log's path only.
    let o = bake_env(&dir, &["after"]);
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(t.contains("ERROR: Logfile of failure stored in: "), "{t}");
    assert!(!t.contains("Log data follows:"), "{t}");
    // BBINCLUDELOGS: the whole log as `| line`; with BBINCLUDELOGS_LINES, the last N as
    // ` | line` (knotty's formats).
    append(&dir.join("conf/bitbake.conf"), "BBINCLUDELOGS = \"yes\"\n");
    let o = bake_env(&dir, &["after"]);
    let t = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{t}");
    // Recipe, task, log path and the log.
    assert!(
        t.contains("ERROR: bad-1.0-r0 do_compile: Execution of"),
        "{t}"
    );
    assert!(t.contains("ERROR: Logfile of failure stored in: "), "{t}");
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("Log data follows:\n| DEBUG: Executing shell function do_compile\n| about to fail\n| line two\n"),
        "{t}"
    );
    assert!(!t.contains("| never"), "{t}");
    append(
        &dir.join("conf/bitbake.conf"),
        "BBINCLUDELOGS_LINES = \"2\"\n",
    );
    let o = bake_env(&dir, &["after"]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        // The last two lines of the log: the run script's exit trap writes the last
        // one, as in BitBake.
        out.contains(
            "Log data follows:\n | line two\n | WARNING: exit code 1 from a shell command.\n"
        ),
        "{out}"
    );
    assert!(!out.contains("DEBUG: Executing"), "{out}");
    assert!(
        t.contains("bad_1.0.bb:do_compile) failed with exit code '1'"),
        "{t}"
    );
    assert!(t.contains("Summary: 1 task failed:"), "{t}");
    let log = dir.join("tmp/work/bad/1.0-r0/temp/log.do_compile");
    assert!(log.exists(), "log.do_compile link");
    assert!(
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("about to fail")
    );
    let stamps: Vec<String> = std::fs::read_dir(dir.join("tmp/stamps/bad"))
        .expect("bad's stamp directory exists (its do_fetch succeeded)")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        stamps.iter().any(|s| s.contains("do_fetch")),
        "the tasks before the failure have stamps: {stamps:?}"
    );
    assert!(
        stamps.iter().all(|s| !s.contains("do_compile")),
        "no stamp for a failed task: {stamps:?}"
    );

    // With -k everything that does not need bad's tasks still runs.
    let o = bake_env(&dir, &["-k", "all"]);
    let t = text(&o);
    assert!(!o.status.success());
    let r = ran(&o);
    for task in ["good do_fetch", "good do_compile", "good do_install"] {
        assert!(
            r.contains(&task.to_owned()),
            "{task} ran with -k: {r:?}\n{t}"
        );
    }
    assert!(!r.contains(&"bad do_install".to_owned()), "{r:?}");
    // `after` needs bad's tasks: none of it runs.
    assert!(
        !r.iter().any(|t| t.starts_with("after ")),
        "nothing of after runs with -k: {r:?}"
    );
    assert!(t.contains("1 failed."), "{t}");
}

/// Starts `bake slow` in a shell layer and returns once its slow task is running.
fn start_slow(dir: &Path, output: fn() -> std::process::Stdio) -> std::process::Child {
    let child = Command::new(env!("CARGO_BIN_EXE_bake"))
        .args(["slow"])
        .current_dir(dir)
        .env("BBPATH", dir)
        .env("BAKE_NO_PROGRESS", "1")
        .stdout(output())
        .stderr(output())
        .spawn()
        .expect("invariant: bake starts");
    let log = dir.join("tmp/work/slow/1.0-r0/temp/log.do_compile");
    let t0 = Instant::now();
    while !log.exists() && t0.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(log.exists(), "the slow task started");
    std::thread::sleep(Duration::from_millis(300));
    child
}

#[test]
fn ctrl_c_waits_for_running_tasks_and_writes_no_false_stamp() {
    let dir = shell_layer("sigint");
    // Recorded for Toaster too (`toaster-manage start` leaves this marker).
    std::fs::write(dir.join(".toaster"), "").expect("invariant: write");
    let child = start_slow(&dir, std::process::Stdio::piped);
    let pid = child.id().to_string();
    // The terminal sends SIGINT to the whole foreground group; here bake first, then
    // the task's shell.
    // Only processes this test started are signalled: bake, then its descendants.
    let _ = Command::new("kill").args(["-INT", &pid]).status();
    signal_descendants(child.id(), "-INT");
    let t1 = Instant::now();
    let out = child.wait_with_output().expect("invariant: bake ends");
    assert!(t1.elapsed() < Duration::from_secs(20), "bake stopped");
    assert!(!out.status.success());
    let stamps: Vec<String> = std::fs::read_dir(dir.join("tmp/stamps/slow"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        stamps.iter().any(|s| s.contains(".do_fetch.")),
        "{stamps:?}"
    );
    assert!(
        stamps
            .iter()
            .all(|s| !s.contains(".do_compile.") && !s.contains(".do_install.")),
        "no stamp for the interrupted task: {stamps:?}"
    );
    // The lock was released: the next build starts (and runs the slow task again).
    let text = text(&out);
    assert!(
        text.contains("interrupted") || text.contains("failed"),
        "{text}"
    );
    // Toaster records a build interrupted on the command line as cancelled.
    let conn = bb_toaster::db::open(&dir.join("toaster.sqlite")).expect("recorded");
    let list = bb_toaster::manage::buildslist(&conn).expect("lists");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].outcome, "Cancelled");
}

#[test]
fn signatures_are_dumped_and_compared_in_words() {
    let dir = hello_copy("sigs");
    let o = bake(&dir, &["-S", "none", "sayhello"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!dir.join("tmp/work").exists(), "-S runs no task");
    let sig_of = |task: &str| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("tmp/stamps/sayhello"))
            .expect("invariant: stamps dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().contains(&format!(".{task}.sigdata.")))
            })
            .collect();
        v.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        v
    };
    let first = sig_of("do_compile");
    assert_eq!(first.len(), 1);
    let dump = Command::new(env!("CARGO_BIN_EXE_bake-dumpsig"))
        .arg(&first[0])
        .output()
        .expect("invariant: bake-dumpsig runs");
    let dump = String::from_utf8_lossy(&dump.stdout).into_owned();
    assert!(dump.contains("basehash:"), "{dump}");
    assert!(dump.contains("GREETING_NOTE"), "{dump}");

    std::thread::sleep(Duration::from_millis(20));
    append(
        &dir.join("conf/local.conf"),
        "\nGREETING_NOTE = \"changed\"\n",
    );
    let o = bake(&dir, &["-S", "none", "sayhello"]);
    assert!(o.status.success(), "{}", text(&o));
    let both = sig_of("do_compile");
    assert_eq!(both.len(), 2);
    let diff = Command::new(env!("CARGO_BIN_EXE_bake-diffsigs"))
        .args([&both[0], &both[1]])
        .output()
        .expect("invariant: bake-diffsigs runs");
    let diff = String::from_utf8_lossy(&diff.stdout).into_owned();
    assert!(diff.contains("GREETING_NOTE"), "{diff}");
    assert!(diff.contains("changed"), "{diff}");
    // do_install depends on do_compile: its signature names the changed dependency.
    let inst = sig_of("do_install");
    let diff = Command::new(env!("CARGO_BIN_EXE_bake-diffsigs"))
        .args([&inst[0], &inst[1]])
        .output()
        .expect("invariant: bake-diffsigs runs");
    let diff = String::from_utf8_lossy(&diff.stdout).into_owned();
    assert!(diff.contains("do_compile"), "{diff}");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "bake")
        .env("GIT_AUTHOR_EMAIL", "bake@example.org")
        .env("GIT_COMMITTER_NAME", "bake")
        .env("GIT_COMMITTER_EMAIL", "bake@example.org")
        .output()
        .expect("invariant: git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A git repository holding the files of `files_dir`, on branch `main`; returns its
/// head commit.
fn make_repo(repo: &Path, files_dir: &Path, skip: &[&str]) -> String {
    std::fs::create_dir_all(repo).expect("invariant: repo dir");
    git(repo, &["init", "-q", "-b", "main"]);
    for e in std::fs::read_dir(files_dir).expect("invariant: files") {
        let e = e.expect("invariant: entry");
        let name = e.file_name().to_string_lossy().into_owned();
        if skip.contains(&name.as_str()) {
            continue;
        }
        std::fs::copy(e.path(), repo.join(&name)).expect("invariant: copy");
    }
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "sources"]);
    git(repo, &["rev-parse", "HEAD"])
}

#[test]
fn sayhello_builds_from_git_repositories_and_a_new_srcrev_rebuilds_libhello() {
    let dir = hello_copy("git");
    let repos = dir.join("repos");
    let layer = dir.join("meta-hello/recipes-hello");
    let lib_rev = make_repo(&repos.join("libhello"), &layer.join("libhello/files"), &[]);
    let say_rev = make_repo(
        &repos.join("sayhello"),
        &layer.join("sayhello/files"),
        &["0001-greet-again.patch"],
    );
    let recipe = |name: &str, rev: &str, extra: &str| {
        format!(
            "SUMMARY = \"{name} from git\"\nLICENSE = \"MIT\"\n\nSRC_URI = \"git://{}/{name};protocol=file;branch=main{extra}\"\nSRCREV = \"{rev}\"\nS = \"${{UNPACKDIR}}/git\"\n",
            repos.display()
        )
    };
    let lib_bb = layer.join("libhello/libhello_1.0.bb");
    let write_lib = |rev: &str| {
        std::fs::write(&lib_bb, recipe("libhello", rev, "") + "\ninherit make\n")
            .expect("invariant: write recipe");
    };
    write_lib(&lib_rev);
    std::fs::write(
        layer.join("sayhello/sayhello_1.0.bb"),
        recipe("sayhello", &say_rev, " file://0001-greet-again.patch")
            + "\nDEPENDS = \"libhello\"\nRDEPENDS:${PN} = \"libhello\"\n\ninherit make\n",
    )
    .expect("invariant: write recipe");
    let o = bake(&dir, &["sayhello"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(dir.join("downloads/git2").is_dir(), "git mirrors in DL_DIR");
    let greeting = sayhello_runs(&dir);
    assert!(
        greeting.contains("Hello, world!") && greeting.contains("Hello, again!"),
        "{greeting}"
    );

    // A new commit, SRCREV bumped: libhello from do_fetch on, and sayhello's tasks after
    // libhello's sysroot.
    let repo = repos.join("libhello");
    let src = repo.join("hellolib.c");
    let text_before = std::fs::read_to_string(&src).expect("invariant: source");
    std::fs::write(&src, text_before + "\n/* a new commit */\n").expect("invariant: write");
    git(&repo, &["commit", "-q", "-am", "change"]);
    let new_rev = git(&repo, &["rev-parse", "HEAD"]);
    write_lib(&new_rev);
    let o = bake(&dir, &["sayhello"]);
    assert!(o.status.success(), "{}", text(&o));
    let r = ran(&o);
    assert!(r.contains(&"libhello do_fetch".to_owned()), "{r:?}");
    assert!(r.contains(&"sayhello do_compile".to_owned()), "{r:?}");
    assert!(
        !r.iter()
            .any(|t| t == "sayhello do_fetch" || t == "sayhello do_unpack"),
        "{r:?}"
    );
    assert_eq!(r.len(), 13, "{r:?}");
    assert!(sayhello_runs(&dir).contains("Hello, world!"));

    // An unknown SRCREV is a clear error naming it.
    write_lib("0123456789abcdef0123456789abcdef01234567");
    let o = bake(&dir, &["sayhello"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("0123456789abcdef0123456789abcdef01234567"),
        "{}",
        text(&o)
    );
}

/// `../shared/premirror` beside the project, or `$BAKE_PREMIRROR`.
fn premirror() -> Option<PathBuf> {
    let p = std::env::var_os("BAKE_PREMIRROR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/premirror"));
    p.join("hello_2.10.orig.tar.gz").exists().then_some(p)
}

#[test]
fn real_software_from_the_premirror() {
    let mirror = premirror().expect(
        "no source mirror: ../shared/premirror beside the project (CI has it), or set BAKE_PREMIRROR",
    );
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("build-real");
    let _ = std::fs::remove_dir_all(&root);
    copy_dir(&repo().join("meta"), &root.join("meta"));
    let dir = root.join("testdata/build-real");
    copy_dir(&repo().join("testdata/build-real"), &dir);
    append(
        &dir.join("conf/local.conf"),
        &format!("\nSOURCE_MIRROR_DIR = \"{}\"\n", mirror.display()),
    );
    let o = bake(&dir, &["hello", "zlib", "cjson", "linktest"]);
    assert!(o.status.success(), "{}", text(&o));
    let hello = Command::new(dir.join("tmp/work/hello/2.10-r0/image/usr/bin/hello"))
        .output()
        .expect("invariant: hello was built");
    assert_eq!(
        String::from_utf8_lossy(&hello.stdout).trim(),
        "Hello, world!"
    );
    let libs = format!(
        "{}:{}",
        dir.join("tmp/sysroots-components/zlib/usr/lib").display(),
        dir.join("tmp/sysroots-components/cjson/usr/lib").display()
    );
    let lt = Command::new(dir.join("tmp/work/linktest/1.0-r0/image/usr/bin/linktest"))
        .env("LD_LIBRARY_PATH", &libs)
        .output()
        .expect("invariant: linktest was built");
    let out = String::from_utf8_lossy(&lt.stdout);
    assert!(lt.status.success(), "{out}");
    assert!(
        out.contains("zlib 1.2.13") && out.contains("cJSON 1.7.15"),
        "{out}"
    );
    // linktest was linked against the staged libraries of its recipe sysroot.
    let sysroot = dir.join("tmp/work/linktest/1.0-r0/recipe-sysroot/usr/lib");
    assert!(sysroot.join("libcjson.so").exists() && sysroot.join("libz.so").exists());
    // Checksums are verified: a wrong one fails the fetch with a clear message.
    let zlib = dir.join("meta-real/recipes-core/zlib/zlib_1.2.13.bb");
    let text_zlib = std::fs::read_to_string(&zlib).expect("invariant: recipe");
    let bad = text_zlib
        .lines()
        .map(|l| {
            if l.starts_with("SRC_URI[sha256sum]") {
                "SRC_URI[sha256sum] = \"0000000000000000000000000000000000000000000000000000000000000000\"".to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&zlib, bad).expect("invariant: write");
    let _ = std::fs::remove_dir_all(dir.join("downloads"));
    let o = bake(&dir, &["zlib"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("checksum mismatch"), "{}", text(&o));
}

#[test]
fn tasks_run_without_network_unless_flagged() {
    let isolated = Command::new("/usr/bin/unshare")
        .args(["--net", "--", "true"])
        .status()
        .is_ok_and(|s| s.success())
        || Command::new("/usr/bin/unshare")
            .args(["--net", "--map-current-user", "--", "true"])
            .status()
            .is_ok_and(|s| s.success());
    assert!(
        isolated,
        "this host does not allow network namespaces (unshare --net): bake's isolation of tasks cannot be tested"
    );
    let dir = shell_layer("network");
    std::fs::write(
        dir.join("recipes/net_1.0.bb"),
        "do_compile() {\n\tcut -d: -f1 /proc/net/dev | tail -n +3 | tr -d ' ' > ${T}/compile-nets\n}\ndo_install() {\n\tcut -d: -f1 /proc/net/dev | tail -n +3 | tr -d ' ' > ${T}/install-nets\n}\ndo_install[network] = \"1\"\n",
    )
    .expect("invariant: write");
    let o = bake_env(&dir, &["net"]);
    assert!(o.status.success(), "{}", text(&o));
    let t = dir.join("tmp/work/net/1.0-r0/temp");
    let compile = std::fs::read_to_string(t.join("compile-nets")).unwrap_or_default();
    assert_eq!(compile.trim(), "lo", "no network without [network]");
    let host = std::fs::read_to_string("/proc/net/dev").unwrap_or_default();
    let install = std::fs::read_to_string(t.join("install-nets")).unwrap_or_default();
    assert_eq!(
        install.lines().count(),
        host.lines().count().saturating_sub(2),
        "the host's interfaces with [network]: {install}"
    );
}

#[test]
fn builds_are_recorded_for_toaster_when_the_configuration_inherits_toaster() {
    let dir = hello_copy("toaster");
    append(&dir.join("conf/local.conf"), "\nINHERIT += \"toaster\"\n");
    assert!(bake(&dir, &["sayhello"]).status.success());
    assert!(bake(&dir, &["sayhello"]).status.success());
    let db = dir.join("toaster.sqlite");
    let conn = bb_toaster::db::open(&db).expect("the database exists");
    let list = bb_toaster::manage::buildslist(&conn).expect("lists");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].targets, vec!["sayhello".to_owned()]);
    assert_eq!(list[0].outcome, "Succeeded");
    let count = |sql: &str, build: i64| -> i64 {
        conn.query_row(sql, [build], |r| r.get(0)).expect("query")
    };
    // The first build ran 16 tasks and one noexec; the second reused everything.
    assert_eq!(
        count(
            "SELECT count(*) FROM orm_task WHERE build_id = ?1 AND outcome = 0",
            list[0].id
        ),
        16
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM orm_task WHERE build_id = ?1 AND outcome = 5",
            list[0].id
        ),
        1
    );
    // With shared state, as real Toaster records it: the tasks under the current
    // setscene tasks are Covered, do_build (above them) Prebuilt.
    assert_eq!(
        count(
            "SELECT count(*) FROM orm_task WHERE build_id = ?1 AND outcome = 1",
            list[1].id
        ),
        16
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM orm_task WHERE build_id = ?1 AND outcome = 3",
            list[1].id
        ),
        1
    );
    // Timing and the log path of a task that ran.
    assert_eq!(
        count(
            "SELECT count(*) FROM orm_task WHERE build_id = ?1 AND task_name = 'do_compile' AND elapsed_time > 0 AND logfile LIKE '%/log.do_compile.%'",
            list[0].id
        ),
        2
    );
    // Variable history points at the file and line that set the variable.
    let line: i64 = conn
        .query_row(
            "SELECT h.line_number FROM orm_variablehistory h JOIN orm_variable v ON h.variable_id = v.id WHERE v.build_id = ?1 AND v.variable_name = 'INHERIT' AND h.file_name LIKE '%/conf/local.conf'",
            [list[0].id],
            |r| r.get(0),
        )
        .expect("INHERIT's history");
    let local = std::fs::read_to_string(dir.join("conf/local.conf")).expect("local.conf");
    let expected = local
        .lines()
        .position(|l| l.starts_with("INHERIT += \"toaster\""))
        .map(|i| i as i64 + 1);
    assert_eq!(Some(line), expected);
    // A layer's file is named relative to the layer, keeping the layer's directory.
    let layer_conf: i64 = count(
        "SELECT count(*) FROM orm_variablehistory h JOIN orm_variable v ON h.variable_id = v.id WHERE v.build_id = ?1 AND h.file_name = 'meta-hello/conf/layer.conf'",
        list[0].id,
    );
    assert!(layer_conf > 0);
    // The whole task graph with its edges, each task with its hash; the order counts
    // every task started or reused.
    for b in [list[0].id, list[1].id] {
        assert_eq!(
            count(
                "SELECT count(*) FROM orm_task WHERE build_id = ?1 AND sstate_checksum != '' AND \"order\" BETWEEN 1 AND 17",
                b
            ),
            17
        );
        assert_eq!(
            count(
                "SELECT count(*) FROM orm_task_dependency d JOIN orm_task t ON d.task_id = t.id WHERE t.build_id = ?1",
                b
            ),
            19
        );
    }
    let (file, layer, deps): (String, String, String) = conn
        .query_row(
            "SELECT r.file_path, l.name, (SELECT group_concat(d.name) FROM orm_recipe_dependency x JOIN orm_recipe d ON x.depends_on_id = d.id WHERE x.recipe_id = r.id) \
             FROM orm_recipe r JOIN orm_layer_version lv ON r.layer_version_id = lv.id JOIN orm_layer l ON lv.layer_id = l.id \
             WHERE lv.build_id = ?1 AND r.name = 'sayhello'",
            [list[0].id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("sayhello's recipe");
    assert_eq!(
        (file.as_str(), layer.as_str(), deps.as_str()),
        (
            "recipes-hello/sayhello/sayhello_1.0.bb",
            "meta-hello",
            "libhello"
        )
    );
    assert!(bb_toaster::db::check(&conn).expect("checks").is_empty());
}

#[test]
fn a_build_stopped_by_an_error_before_its_tasks_is_recorded_failed_with_the_error() {
    let dir = hello_copy("toaster-noprovider");
    append(&dir.join("conf/local.conf"), "\nINHERIT += \"toaster\"\n");
    assert!(!bake(&dir, &["no-such-recipe"]).status.success());
    let conn = bb_toaster::db::open(&dir.join("toaster.sqlite")).expect("recorded");
    let list = bb_toaster::manage::buildslist(&conn).expect("lists");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].outcome, "Failed");
    assert_eq!(list[0].targets, vec!["no-such-recipe".to_owned()]);
    let err: String = conn
        .query_row(
            "SELECT message FROM orm_logmessage WHERE build_id = ?1 AND level = 2 ORDER BY id LIMIT 1",
            [list[0].id],
            |r| r.get(0),
        )
        .expect("the error is stored");
    assert!(err.contains("Nothing PROVIDES 'no-such-recipe'"), "{err}");
}

#[test]
fn a_killed_recording_build_leaves_a_consistent_database_marked_failed_later() {
    let dir = shell_layer("kill");
    // A sleep of its own: the clean-up below must not kill another test's slow task.
    std::fs::write(
        dir.join("recipes/slow_1.0.bb"),
        "do_compile() {\n\tsleep 31\n}\n",
    )
    .expect("invariant: write");
    std::fs::write(dir.join("classes/toaster.bbclass"), "").expect("invariant: write");
    append(&dir.join("conf/bitbake.conf"), "INHERIT += \"toaster\"\n");
    let mut child = start_slow(&dir, std::process::Stdio::null);
    // The task's processes, found before bake dies (they are reparented then).
    let task_processes = descendants(child.id());
    child.kill().expect("invariant: SIGKILL");
    let _ = child.wait();
    for p in task_processes {
        let _ = Command::new("kill")
            .args(["-KILL", &p.to_string()])
            .status();
    }
    let db = dir.join("toaster.sqlite");
    let conn = bb_toaster::db::open(&db).expect("the database opens");
    assert!(
        bb_toaster::db::check(&conn).expect("checks").is_empty(),
        "integrity and foreign keys"
    );
    let list = bb_toaster::manage::buildslist(&conn).expect("lists");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].outcome, "In Progress");
    let failed = bb_toaster::manage::fail_stale_builds(&conn).expect("recovers");
    assert_eq!(failed, vec![list[0].id]);
    assert_eq!(
        bb_toaster::manage::buildslist(&conn).expect("lists")[0].outcome,
        "Failed"
    );
}

#[test]
fn a_failing_task_is_recorded_with_its_log_and_message() {
    let dir = shell_layer("toaster-fail");
    std::fs::write(dir.join("classes/toaster.bbclass"), "").expect("invariant: write");
    append(&dir.join("conf/bitbake.conf"), "INHERIT += \"toaster\"\n");
    let o = bake_env(&dir, &["-k", "all"]);
    assert!(!o.status.success());
    let conn = bb_toaster::db::open(&dir.join("toaster.sqlite")).expect("recorded");
    let list = bb_toaster::manage::buildslist(&conn).expect("lists");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].outcome, "Failed");
    let (logfile, message): (String, String) = conn
        .query_row(
            "SELECT t.logfile, t.message FROM orm_task t JOIN orm_recipe r ON t.recipe_id = r.id WHERE r.name = 'bad' AND t.task_name = 'do_compile' AND t.outcome = 4",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("the failed task");
    assert!(logfile.contains("/log.do_compile."), "{logfile}");
    assert_eq!(message, "recipe bad-1.0-r0: task do_compile: Failed");
    // The error log record of the failure, as Toaster stores it (the message alone;
    // knotty's "Logfile of failure" and "Task ... failed" lines are the UI's own).
    let errors: Vec<String> = conn
        .prepare("SELECT message FROM orm_logmessage WHERE level = 2 ORDER BY id")
        .and_then(|mut st| {
            st.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .expect("the error messages");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("Execution of '")
            && errors[0].contains("/run.do_compile.")
            && errors[0].ends_with("' failed with exit code 1"),
        "{errors:?}"
    );
    // The log itself is where the task's logfile says.
    assert!(
        std::fs::read_to_string(&logfile)
            .unwrap_or_default()
            .contains("about to fail")
    );
    // The good recipe's tasks ran (-k) and are recorded as succeeded.
    let good: i64 = conn
        .query_row(
            "SELECT count(*) FROM orm_task t JOIN orm_recipe r ON t.recipe_id = r.id WHERE r.name = 'good' AND t.outcome = 0",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(good, 3);
}

/// Every descendant of `pid`, parents before children (through /proc).
fn descendants(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut queue = vec![pid];
    while let Some(p) = queue.pop() {
        // Children are listed per thread: bake starts tasks from its worker threads.
        let Ok(threads) = std::fs::read_dir(format!("/proc/{p}/task")) else {
            continue;
        };
        for t in threads.flatten() {
            let children = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
            for c in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                out.push(c);
                queue.push(c);
            }
        }
    }
    out
}

/// Sends `signal` (`-INT`) to every descendant of `pid`, never to a process the test
/// did not start.
fn signal_descendants(pid: u32, signal: &str) {
    for p in descendants(pid) {
        let _ = Command::new("kill").args([signal, &p.to_string()]).status();
    }
}

/// A `[fakeroot]` task runs in a task worker started through FAKEROOTCMD with
/// FAKEROOTENV, as BitBake's fakeroot worker; the other tasks stay in bake's own
/// workers. A Python task function with no native implementation goes to a worker too
/// (and, without Python there, fails naming the function).
#[test]
fn fakeroot_tasks_run_in_a_worker_under_fakerootcmd() {
    let dir = shell_layer("fakeroot");
    let wrapper = dir.join("fakewrap");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"wrapper base=$BASEVAR\" >> {}\nexec \"$@\"\n",
            dir.join("fake.log").display()
        ),
    )
    .expect("invariant: write");
    std::process::Command::new("chmod")
        .args(["+x", &wrapper.to_string_lossy()])
        .status()
        .expect("chmod");
    let log = dir.join("fake.log");
    std::fs::write(
        dir.join("recipes/fr_1.0.bb"),
        format!(
            "FAKEROOTCMD = \"{}\"\nFAKEROOTBASEENV = \"BASEVAR=b1\"\n\
             FAKEROOTENV = \"PSEUDO_TEST=yes\"\nFAKEROOTNOENV = \"PSEUDO_TEST=no\"\n\
             FAKEROOTDIRS = \"${{WORKDIR}}/pseudo\"\n\
             do_install() {{\n\techo \"install pseudo=$PSEUDO_TEST\" >> {}\n}}\n\
             do_install[fakeroot] = \"1\"\n\
             do_compile() {{\n\techo \"compile pseudo=${{PSEUDO_TEST:-unset}}\" >> {}\n}}\n",
            wrapper.display(),
            log.display(),
            log.display()
        ),
    )
    .expect("invariant: write");
    let o = bake_env(&dir, &["fr"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    let got = std::fs::read_to_string(&log).expect("the tasks wrote their log");
    assert!(
        got.contains("compile pseudo=unset"),
        "do_compile runs in bake's own workers:\n{got}"
    );
    assert!(
        got.contains("wrapper base=b1"),
        "the worker was started through FAKEROOTCMD with FAKEROOTBASEENV:\n{got}"
    );
    assert!(
        got.contains("install pseudo=yes"),
        "do_install ran in the fakeroot worker with FAKEROOTENV:\n{got}"
    );
    assert!(
        dir.join("tmp/work/fr/1.0-r0/pseudo").is_dir(),
        "FAKEROOTDIRS made"
    );

    // Python task functions run in a worker's task child with embedded CPython: the
    // datastore, bb.note/bb.warn into the task's log (warnings reach the console),
    // bb.fatal fails the task with its message.
    std::fs::write(
        dir.join("recipes/py_1.0.bb"),
        "python do_compile() {\n    import json, os\n    bb.note('made ' + json.dumps([d.getVar('PN'), 1]))\n    bb.warn('careful')\n    with open(os.path.join(d.getVar('TOPDIR'), 'py.out'), 'w') as f:\n        f.write(d.getVar('PN') + ' ' + str(os.getpid()))\n}\n",
    )
    .expect("invariant: write");
    let o = bake_env(&dir, &["py"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("WARNING: py-1.0-r0 do_compile: careful"), "{t}");
    let out = std::fs::read_to_string(dir.join("py.out")).expect("the Python task wrote");
    assert!(out.starts_with("py "), "{out}");
    let log = std::fs::read_to_string(dir.join("tmp/work/py/1.0-r0/temp/log.do_compile"))
        .expect("the task's log");
    assert!(log.contains("NOTE: made [\"py\", 1]"), "{log}");
    std::fs::write(
        dir.join("recipes/fatal_1.0.bb"),
        "python do_compile() {\n    bb.fatal('no way')\n}\n",
    )
    .expect("invariant: write");
    let o = bake_env(&dir, &["fatal"]);
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(t.contains("no way"), "{t}");
}
