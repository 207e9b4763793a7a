//! Shared state with `bake` on the libhello/sayhello example (`testdata/build-hello`):
//! a fresh TMPDIR restored with setscene tasks only (the lines BitBake prints for it,
//! checked against a real BitBake run), a damaged object falling back to the real
//! task, SSTATE_MIRRORS, `--setscene-only` / `--skip-setscene` / `--no-setscene`, two
//! builds sharing one SSTATE_DIR at once, a build killed while it writes an object,
//! signed objects (a tampered one, a missing signature). Each test works on its own
//! copy.
#![expect(
    clippy::disallowed_methods,
    reason = "test inputs are written directly"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bb_util::test_http as http;
#[path = "support/tree.rs"]
mod tree;

use tree::append;

/// A copy of the example whose sayhello also stages its program (so that it can be
/// run from what a setscene task restores); SSTATE_DIR inside the build directory.
fn hello_copy(name: &str) -> PathBuf {
    let dir =
        tree::hello_copy_in(&Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sstate-{name}")));
    append(
        &dir.join("conf/local.conf"),
        "\nSYSROOT_DIRS:append:pn-sayhello = \" ${bindir}\"\n",
    );
    dir
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

/// `PN do_task` of the lines starting with `prefix` (`NOTE: Running task `), sorted.
fn tasks(o: &Output, prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = text(o)
        .lines()
        .filter_map(|l| l.strip_prefix(prefix))
        .filter_map(|l| {
            let inner = l.split_once('(')?.1.strip_suffix(')')?;
            let (file, task) = inner.rsplit_once(':')?;
            let pn = file.rsplit('/').next()?.split('_').next()?;
            Some(format!("{pn} {task}"))
        })
        .collect();
    v.sort();
    v
}

fn ran(o: &Output) -> Vec<String> {
    tasks(o, "NOTE: Running task ")
}

fn restored(o: &Output) -> Vec<String> {
    tasks(o, "NOTE: Running setscene task ")
}

fn line<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines().find(|l| l.contains(prefix)).unwrap_or("")
}

/// Runs the staged program with the staged library.
fn sayhello_runs(dir: &Path) -> String {
    let components = dir.join("tmp/sysroots-components");
    let out = Command::new(components.join("sayhello/usr/bin/sayhello"))
        .env("LD_LIBRARY_PATH", components.join("libhello/usr/lib"))
        .output()
        .expect("invariant: sayhello is staged");
    assert!(out.status.success(), "sayhello failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn rm_tmp(dir: &Path) {
    std::fs::remove_dir_all(dir.join("tmp")).expect("invariant: tmp exists");
}

fn objects(sstate: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![sstate.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(".tar.zst") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

const ALL_SAYHELLO: &[&str] = &[
    "libhello do_compile",
    "libhello do_configure",
    "libhello do_fetch",
    "libhello do_install",
    "libhello do_patch",
    "libhello do_populate_sysroot",
    "libhello do_prepare_recipe_sysroot",
    "libhello do_unpack",
    "sayhello do_compile",
    "sayhello do_configure",
    "sayhello do_fetch",
    "sayhello do_install",
    "sayhello do_patch",
    "sayhello do_populate_sysroot",
    "sayhello do_prepare_recipe_sysroot",
    "sayhello do_unpack",
];

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn a_fresh_tmpdir_is_restored_with_setscene_tasks_only() {
    let dir = hello_copy("fresh");
    let o = bake(&dir, &["sayhello"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert_eq!(ran(&o), strings(ALL_SAYHELLO));
    assert_eq!(
        line(&out, "Sstate summary"),
        "Initialising tasks...Sstate summary: Wanted 2 Local 0 Mirrors 0 Missed 2 Current 0 (0% match, 0% complete)"
    );
    let objs = objects(&dir.join("sstate-cache"));
    assert_eq!(objs.len(), 2, "{objs:?}");
    for o in &objs {
        // xx/yy/ from the hash, the spec, the task; a siginfo beside it.
        let name = o
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let hash = name
            .rsplit(':')
            .next()
            .unwrap_or("")
            .split('_')
            .next()
            .unwrap_or("");
        let rel = o.strip_prefix(dir.join("sstate-cache")).unwrap_or(o);
        assert!(
            rel.starts_with(format!("{}/{}", &hash[..2], &hash[2..4])),
            "{}",
            rel.display()
        );
        assert!(
            name.starts_with("sstate:") && name.ends_with("_populate_sysroot.tar.zst"),
            "{name}"
        );
        assert!(PathBuf::from(format!("{}.siginfo", o.display())).is_file());
    }
    assert!(sayhello_runs(&dir).contains("Hello, world!"));

    // tmp/ removed: only setscene tasks run, in BitBake's order and words (a real
    // BitBake run of this layer printed exactly these lines), and the program works.
    rm_tmp(&dir);
    let o = bake(&dir, &["sayhello"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(ran(&o).is_empty(), "{:?}", ran(&o));
    let libhello = dir.join("meta-hello/recipes-hello/libhello/libhello_1.0.bb");
    let sayhello = dir.join("meta-hello/recipes-hello/sayhello/sayhello_1.0.bb");
    let tail: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("Initialising tasks"))
        .collect();
    let want = [
        "Initialising tasks...Sstate summary: Wanted 2 Local 2 Mirrors 0 Missed 0 Current 0 (100% match, 0% complete)".to_owned(),
        "done.".to_owned(),
        "NOTE: Executing Tasks".to_owned(),
        format!("NOTE: Running setscene task 1 of 2 ({}:do_populate_sysroot_setscene)", sayhello.display()),
        "NOTE: recipe sayhello-1.0-r0: task do_populate_sysroot_setscene: Started".to_owned(),
        "NOTE: recipe sayhello-1.0-r0: task do_populate_sysroot_setscene: Succeeded".to_owned(),
        format!("NOTE: Running setscene task 2 of 2 ({}:do_populate_sysroot_setscene)", libhello.display()),
        "NOTE: recipe libhello-1.0-r0: task do_populate_sysroot_setscene: Started".to_owned(),
        "NOTE: recipe libhello-1.0-r0: task do_populate_sysroot_setscene: Succeeded".to_owned(),
        format!("NOTE: Running noexec task 17 of 17 ({}:do_build)", sayhello.display()),
        "NOTE: Tasks Summary: Attempted 17 tasks of which 16 didn't need to be rerun and all succeeded.".to_owned(),
    ];
    assert_eq!(
        tail,
        want.iter().map(String::as_str).collect::<Vec<_>>(),
        "{out}"
    );
    assert!(sayhello_runs(&dir).contains("Hello, world!"));
    // Nothing but the restored output in the work directories.
    assert!(!dir.join("tmp/work/sayhello/1.0-r0/image").exists());
    assert!(!dir.join("tmp/work/libhello/1.0-r0/sources").exists());

    // Then nothing to do: both setscene tasks are current.
    let o = bake(&dir, &["sayhello"]);
    let out = text(&o);
    assert!(ran(&o).is_empty() && restored(&o).is_empty(), "{out}");
    assert_eq!(
        line(&out, "Sstate summary"),
        "Initialising tasks...Sstate summary: Wanted 0 Local 0 Mirrors 0 Missed 0 Current 2 (0% match, 100% complete)"
    );
    // do_build's dependencies were restored, not run: their setscene stamps count, so
    // the noexec do_build is not run again (real BitBake on oe-core after a build from
    // shared state: "Attempted 90 tasks of which 90 didn't need to be rerun").
    assert_eq!(
        line(&out, "Tasks Summary"),
        "NOTE: Tasks Summary: Attempted 17 tasks of which 17 didn't need to be rerun and all succeeded."
    );

    // A clean removes exactly what the setscene task installed, and its manifest.
    let o = bake(&dir, &["libhello", "-c", "clean"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        !dir.join("tmp/sysroots-components/libhello/usr/lib/libhello.so.1.0")
            .exists()
    );
    let manifests: Vec<String> = std::fs::read_dir(dir.join("tmp/sstate-control"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("manifest-"))
        .collect();
    assert_eq!(manifests.len(), 1, "{manifests:?}");
    assert!(
        manifests[0].ends_with("-sayhello.populate_sysroot"),
        "{manifests:?}"
    );
    assert!(
        dir.join("tmp/sysroots-components/sayhello/usr/bin/sayhello")
            .exists()
    );
}

/// Unpacks the data of the packages `names` from the deb feed into `into`, with the
/// host's `ar` and `tar`.
fn unpack_debs(dir: &Path, names: &[&str], into: &Path) {
    std::fs::create_dir_all(into).expect("invariant: mkdir");
    for n in names {
        let deb = dir.join(format!("tmp/deploy/deb/x86_64/{n}_1.0-r0_amd64.deb"));
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ar p '{}' data.tar.gz | tar -xz -C '{}'",
                deb.display(),
                into.display()
            ))
            .status()
            .expect("invariant: sh runs");
        assert!(status.success(), "unpacking {}", deb.display());
    }
}

#[test]
fn packages_come_from_shared_state_too() {
    let dir = hello_copy("packages");
    let args = ["sayhello", "libhello", "-c", "package_write_deb"];
    let o = bake(&dir, &args);
    assert!(o.status.success(), "{}", text(&o));
    let names: Vec<String> = objects(&dir.join("sstate-cache"))
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .map(|n| {
            // sstate:PN:...:HASH_TASK.tar.zst
            let pn = n.split(':').nth(1).unwrap_or("");
            let last = n.rsplit(':').next().unwrap_or("");
            let task = last.split_once('_').map_or("", |x| x.1);
            format!("{pn} {}", task.trim_end_matches(".tar.zst"))
        })
        .collect();
    for want in [
        "libhello package",
        "libhello packagedata",
        "libhello package_write_deb",
        "libhello populate_sysroot",
        "sayhello package",
        "sayhello packagedata",
        "sayhello package_write_deb",
    ] {
        assert!(names.iter().any(|n| n == want), "{want}: {names:?}");
    }
    rm_tmp(&dir);
    let o = bake(&dir, &args);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(ran(&o).is_empty(), "{out}");
    // The two packaging tasks asked for, nothing below them (oe-core's dependency rules).
    assert_eq!(
        restored(&o),
        vec![
            "libhello do_package_write_deb_setscene",
            "sayhello do_package_write_deb_setscene"
        ],
        "{out}"
    );
    // The packages work.
    let root = dir.join("unpacked");
    unpack_debs(&dir, &["sayhello", "libhello"], &root);
    let run = Command::new(root.join("usr/bin/sayhello"))
        .env("LD_LIBRARY_PATH", root.join("usr/lib"))
        .output()
        .expect("invariant: sayhello runs");
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("Hello, world!"),
        "{run:?}"
    );
}

#[test]
fn a_damaged_object_makes_the_real_task_run() {
    let dir = hello_copy("damaged");
    assert!(bake(&dir, &["sayhello"]).status.success());
    rm_tmp(&dir);
    let lib = objects(&dir.join("sstate-cache"))
        .into_iter()
        .find(|p| p.to_string_lossy().contains("sstate:libhello:"))
        .expect("invariant: libhello's object");
    let bytes = std::fs::read(&lib).expect("invariant: object reads");
    std::fs::write(&lib, &bytes[..bytes.len() / 2]).expect("invariant: truncate");
    let o = bake(&dir, &["sayhello"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("WARNING: libhello-1.0-r0 do_populate_sysroot_setscene: sstate object"),
        "{out}"
    );
    assert!(out.contains("is corrupt"), "{out}");
    assert!(
        out.contains(":do_populate_sysroot_setscene) failed with exit code '1' - real task will be run instead"),
        "{out}"
    );
    // libhello is built; sayhello's output comes from its object.
    let libhello: Vec<String> = ALL_SAYHELLO
        .iter()
        .filter(|t| t.starts_with("libhello"))
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(ran(&o), libhello);
    assert!(sayhello_runs(&dir).contains("Hello, world!"));
    // The real task wrote a good object in place of the damaged one.
    let again = std::fs::read(&lib).expect("invariant: rewritten");
    assert_ne!(again.len(), bytes.len() / 2);
    rm_tmp(&dir);
    let o = bake(&dir, &["sayhello"]);
    assert!(ran(&o).is_empty(), "{}", text(&o));
}

#[test]
fn another_build_directory_restores_through_a_file_mirror() {
    let a = hello_copy("mirror-a");
    assert!(bake(&a, &["sayhello"]).status.success());
    let b = hello_copy("mirror-b");
    append(
        &b.join("conf/local.conf"),
        &format!(
            "\nSSTATE_MIRRORS = \"file://.* file://{}/sstate-cache/PATH\"\n",
            a.display()
        ),
    );
    let o = bake(&b, &["sayhello"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert_eq!(
        line(&out, "Sstate summary"),
        "Initialising tasks...Sstate summary: Wanted 2 Local 0 Mirrors 2 Missed 0 Current 0 (100% match, 0% complete)"
    );
    assert!(ran(&o).is_empty(), "{out}");
    assert_eq!(
        objects(&b.join("sstate-cache")).len(),
        2,
        "fetched into SSTATE_DIR"
    );
    assert!(sayhello_runs(&b).contains("Hello, world!"));
}

#[test]
fn another_build_directory_restores_over_http() {
    let a = hello_copy("http-a");
    assert!(bake(&a, &["sayhello"]).status.success());
    let server = http::Server::start(&a.join("sstate-cache"), false)
        .expect("invariant: a loopback server starts");
    let b = hello_copy("http-b");
    append(
        &b.join("conf/local.conf"),
        &format!(
            "\nSSTATE_MIRRORS = \"file://.* {}/PATH;downloadfilename=PATH\"\n",
            server.url
        ),
    );
    // The example sets BB_NO_NETWORK: the mirror is not asked (a dry run shows it).
    let o = bake(&b, &["sayhello", "-n"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert_eq!(
        line(&out, "Sstate summary"),
        "Initialising tasks...Sstate summary: Wanted 2 Local 0 Mirrors 0 Missed 2 Current 0 (0% match, 0% complete)"
    );
    assert_eq!(server.requests.load(std::sync::atomic::Ordering::SeqCst), 0);
    // SSTATE_MIRROR_ALLOW_NETWORK lets the sstate mirror through.
    append(
        &b.join("conf/local.conf"),
        "\nSSTATE_MIRROR_ALLOW_NETWORK = \"1\"\n",
    );
    let o = bake(&b, &["sayhello"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert_eq!(
        line(&out, "Sstate summary"),
        "Initialising tasks...Sstate summary: Wanted 2 Local 0 Mirrors 2 Missed 0 Current 0 (100% match, 0% complete)"
    );
    assert!(ran(&o).is_empty(), "{out}");
    assert_eq!(restored(&o).len(), 2, "{out}");
    assert_eq!(
        objects(&b.join("sstate-cache")).len(),
        2,
        "fetched into SSTATE_DIR"
    );
    assert!(sayhello_runs(&b).contains("Hello, world!"));
}

#[test]
fn setscene_only_skip_setscene_and_no_setscene() {
    let dir = hello_copy("modes");
    assert!(bake(&dir, &["sayhello"]).status.success());
    rm_tmp(&dir);
    // Only libhello's object is there: --setscene-only restores it and runs nothing.
    for o in objects(&dir.join("sstate-cache")) {
        if o.to_string_lossy().contains("sstate:sayhello:") {
            std::fs::remove_file(o).expect("invariant: remove");
        }
    }
    let o = bake(&dir, &["sayhello", "--setscene-only"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert_eq!(
        restored(&o),
        vec!["libhello do_populate_sysroot_setscene"],
        "{out}"
    );
    assert!(ran(&o).is_empty(), "{out}");
    assert!(
        dir.join("tmp/sysroots-components/libhello/usr/lib/libhello.so.1.0")
            .exists()
    );

    // --skip-setscene keeps what was restored and builds sayhello.
    let o = bake(&dir, &["sayhello", "--skip-setscene"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(restored(&o).is_empty(), "{out}");
    let sayhello: Vec<String> = ALL_SAYHELLO
        .iter()
        .filter(|t| t.starts_with("sayhello"))
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(ran(&o), sayhello, "{out}");

    // --no-setscene ignores shared state: everything is built.
    rm_tmp(&dir);
    let o = bake(&dir, &["sayhello", "--no-setscene"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(restored(&o).is_empty(), "{out}");
    assert_eq!(ran(&o), strings(ALL_SAYHELLO), "{out}");
}

#[test]
fn two_builds_share_one_sstate_dir_at_once() {
    let shared = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sstate-shared-cache");
    let _ = std::fs::remove_dir_all(&shared);
    let dirs: Vec<PathBuf> = ["shared-1", "shared-2"]
        .iter()
        .map(|n| {
            let d = hello_copy(n);
            append(
                &d.join("conf/local.conf"),
                &format!("\nSSTATE_DIR = \"{}\"\n", shared.display()),
            );
            d
        })
        .collect();
    let children: Vec<_> = dirs
        .iter()
        .map(|d| {
            Command::new(env!("CARGO_BIN_EXE_bake"))
                .arg("sayhello")
                .current_dir(d)
                .env("BAKE_NO_PROGRESS", "1")
                .env_remove("BBPATH")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("invariant: bake starts")
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().expect("invariant: bake ends");
        let out = text(&o);
        assert!(o.status.success(), "{out}");
        // Neither build saw the other's files or locks as a problem.
        for bad in ["ERROR", "WARNING", "already exist", "lock"] {
            assert!(!out.contains(bad), "`{bad}` in:\n{out}");
        }
    }
    // One object per task, whole (each build restores from it), no temporary left.
    let objs = objects(&shared);
    assert_eq!(objs.len(), 2, "{objs:?}");
    for d in &dirs {
        rm_tmp(d);
        let o = bake(d, &["sayhello"]);
        assert!(ran(&o).is_empty(), "{}", text(&o));
        assert!(sayhello_runs(d).contains("Hello, world!"));
    }
    let mut stack = vec![shared.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            assert!(
                !p.to_string_lossy().ends_with(".tmp"),
                "left behind: {}",
                p.display()
            );
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
}

#[test]
fn hash_equivalence_stops_a_whitespace_change_at_libhello() {
    let dir = hello_copy("hashequiv");
    append(&dir.join("conf/local.conf"), "\nBB_HASHSERVE = \"auto\"\n");
    let o = bake(&dir, &["sayhello"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(ran(&o), strings(ALL_SAYHELLO));
    assert!(dir.join("cache/hashserv.db").is_file());
    // Whitespace only: libhello's hashes change and its tasks run again; its
    // do_populate_sysroot output is the same, so the server gives it the unihash of
    // the first build, and sayhello's tasks (made of that unihash) are current.
    append(
        &dir.join("meta-hello/recipes-hello/libhello/files/hellolib.c"),
        "\n   \n",
    );
    let o = bake(&dir, &["sayhello"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    let libhello: Vec<String> = ALL_SAYHELLO
        .iter()
        .filter(|t| t.starts_with("libhello"))
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(ran(&o), libhello, "{out}");
    assert!(sayhello_runs(&dir).contains("Hello, world!"));
    // A real change of libhello's output does reach sayhello.
    append(
        &dir.join("meta-hello/recipes-hello/libhello/files/hellolib.c"),
        "\nint hello_extra(void) { return 42; }\n",
    );
    let o = bake(&dir, &["sayhello"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(ran(&o).contains(&"sayhello do_compile".to_owned()), "{out}");
}

#[test]
fn toaster_records_restored_tasks_as_cached_and_the_rest_as_covered() {
    let dir = hello_copy("toaster");
    let db_dir = dir.join("toaster-db");
    std::fs::create_dir_all(&db_dir).expect("invariant: mkdir");
    std::fs::write(dir.join(".toaster"), "").expect("invariant: marker");
    let build = |dir: &Path| {
        Command::new(env!("CARGO_BIN_EXE_bake"))
            .arg("sayhello")
            .current_dir(dir)
            .env("BAKE_NO_PROGRESS", "1")
            .env("TOASTER_DIR", &db_dir)
            .env_remove("BBPATH")
            .output()
            .expect("invariant: bake runs")
    };
    assert!(build(&dir).status.success());
    rm_tmp(&dir);
    let o = build(&dir);
    assert!(o.status.success(), "{}", text(&o));
    let db = rusqlite::Connection::open(db_dir.join("toaster.sqlite")).expect("invariant: db");
    let rows = |build: i64| -> Vec<(String, i64, i64)> {
        let mut st = db
            .prepare(
                "SELECT r.name || ' ' || t.task_name, t.outcome, t.sstate_result FROM orm_task t \
                 JOIN orm_recipe r ON r.id = t.recipe_id WHERE t.build_id = ?1 \
                 AND t.task_name IN ('do_compile', 'do_populate_sysroot') ORDER BY 1",
            )
            .expect("invariant: query");
        st.query_map([build], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("invariant: rows")
            .map(|r| r.expect("invariant: row"))
            .collect()
    };
    // Toaster's values: outcome 0 Succeeded, 1 Covered, 2 Cached; sstate_result
    // 0 Not Applicable, 1 Miss (the object was looked for and not found), 3 Restored.
    let row = |n: &str, o: i64, s: i64| (n.to_owned(), o, s);
    assert_eq!(
        rows(1),
        vec![
            row("libhello do_compile", 0, 0),
            row("libhello do_populate_sysroot", 0, 1),
            row("sayhello do_compile", 0, 0),
            row("sayhello do_populate_sysroot", 0, 1),
        ]
    );
    assert_eq!(
        rows(2),
        vec![
            row("libhello do_compile", 1, 0),
            row("libhello do_populate_sysroot", 2, 3),
            row("sayhello do_compile", 1, 0),
            row("sayhello do_populate_sysroot", 2, 3),
        ]
    );
}

/// Every object under `sstate` reads to its end (zstd checksum, tar) into a scratch
/// directory.
fn all_objects_whole(sstate: &Path, scratch: &Path) {
    for obj in objects(sstate) {
        bb_sstate::extract(&obj, scratch)
            .unwrap_or_else(|e| panic!("{} is not whole: {e}", obj.display()));
    }
    let _ = std::fs::remove_dir_all(scratch);
}

#[test]
fn sigkill_while_an_object_is_written_leaves_no_object_that_lies() {
    let dir = hello_copy("sigkill");
    // libhello's object gets 64 MB that do not compress, so that writing it takes a
    // while: the build is killed while a temporary file of it exists.
    append(
        &dir.join("meta-hello/recipes-hello/libhello/libhello_1.0.bb"),
        "\ndo_install:append() {\n    head -c 67108864 /dev/urandom > ${D}${libdir}/big.bin\n}\n",
    );
    let sstate = dir.join("sstate-cache");
    let mut child = Command::new(env!("CARGO_BIN_EXE_bake"))
        .arg("sayhello")
        .current_dir(&dir)
        .env("BAKE_NO_PROGRESS", "1")
        .env_remove("BBPATH")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("invariant: bake starts");
    let writing = |d: &Path| -> Option<PathBuf> {
        let mut stack = vec![d.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                let name = e.file_name().to_string_lossy().into_owned();
                if p.is_dir() {
                    stack.push(p);
                } else if name.starts_with(".sstate:libhello:") && name.ends_with(".tmp") {
                    return Some(p);
                }
            }
        }
        None
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    let tmp = loop {
        if let Some(t) = writing(&sstate) {
            break t;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("bake ended ({status}) before libhello's object was being written");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no object written in 10 minutes"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    // SIGKILL to the bake process this test started, mid-write.
    child.kill().expect("invariant: bake is running");
    let _ = child.wait();
    // The final name holds a whole object or nothing; the temporary file is all that
    // may be left of the write.
    let final_name = tmp
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let final_name = final_name.trim_start_matches('.');
    let final_name = &final_name[..final_name.find(".tar.zst").expect("invariant: an object") + 8];
    let obj = tmp.with_file_name(final_name);
    let scratch = dir.join("scratch");
    if obj.exists() {
        all_objects_whole(&sstate, &scratch);
    }
    // The next build completes (libhello's populate_sysroot again, writing its
    // object), and a fresh TMPDIR is restored from the objects.
    let o = bake(&dir, &["sayhello"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(obj.is_file());
    all_objects_whole(&sstate, &scratch);
    rm_tmp(&dir);
    let o = bake(&dir, &["sayhello"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(ran(&o).is_empty(), "{}", text(&o));
    assert!(sayhello_runs(&dir).contains("Hello, world!"));
    // Several copies of the 64 MB: not kept.
    let _ = std::fs::remove_dir_all(Path::new(env!("CARGO_TARGET_TMPDIR")).join("sstate-sigkill"));
}

/// A keyring in a temporary GNUPGHOME with one key without passphrase; its fingerprint.
/// The caller stops its gpg-agent (`gpgconf --kill`).
fn keyring(home: &Path) -> String {
    std::fs::create_dir_all(home).expect("invariant: mkdir");
    std::fs::set_permissions(home, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .expect("invariant: chmod");
    let gpg = |args: &[&str]| {
        let o = Command::new("gpg")
            .arg("--homedir")
            .arg(home)
            .args(["--batch", "--no-permission-warning"])
            .args(args)
            .output()
            .expect("gpg (package gnupg) is needed by this test");
        assert!(o.status.success(), "gpg {args:?}: {o:?}");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    gpg(&[
        "--passphrase",
        "",
        "--quick-gen-key",
        "bake test <bake@example.invalid>",
        "ed25519",
        "sign",
        "never",
    ]);
    gpg(&["--with-colons", "--list-secret-keys"])
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .and_then(|l| l.split(':').find(|f| !f.is_empty()))
        .expect("invariant: a fingerprint")
        .to_owned()
}

#[test]
fn a_tampered_signed_object_makes_the_real_task_run() {
    let dir = hello_copy("signed");
    // A short GNUPGHOME: gpg-agent's socket lives in it.
    let home = tempfile::Builder::new()
        .prefix("bake-gpg")
        .tempdir_in("/tmp")
        .expect("invariant: a temporary directory");
    let key = keyring(home.path());
    struct Agent<'a>(&'a Path);
    impl Drop for Agent<'_> {
        fn drop(&mut self) {
            let _ = Command::new("gpgconf")
                .arg("--homedir")
                .arg(self.0)
                .args(["--kill", "gpg-agent"])
                .output();
        }
    }
    let _agent = Agent(home.path());
    append(
        &dir.join("conf/local.conf"),
        &format!(
            "\nSSTATE_VERIFY_SIG = \"1\"\nSSTATE_SIG_KEY = \"{key}\"\nGPG_PATH = \"{}\"\n",
            home.path().display()
        ),
    );
    let o = bake(&dir, &["sayhello"]);
    assert!(o.status.success(), "{}", text(&o));
    let objs = objects(&dir.join("sstate-cache"));
    assert_eq!(objs.len(), 2, "{objs:?}");
    for obj in &objs {
        assert!(
            bb_sstate::sig_path(obj).is_file(),
            "{} signed",
            obj.display()
        );
    }
    // libhello's object replaced by sayhello's: whole, but not what was signed.
    let lib = objs
        .iter()
        .find(|p| p.to_string_lossy().contains("sstate:libhello:"))
        .expect("invariant: libhello's object");
    let say = objs
        .iter()
        .find(|p| p.to_string_lossy().contains("sstate:sayhello:"))
        .expect("invariant: sayhello's object");
    std::fs::copy(say, lib).expect("invariant: copy");
    rm_tmp(&dir);
    let o = bake(&dir, &["sayhello"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains(&format!(
            "do_populate_sysroot_setscene: Cannot verify signature on sstate package {}, skipping acceleration...",
            lib.display()
        )),
        "{out}"
    );
    let libhello: Vec<String> = ALL_SAYHELLO
        .iter()
        .filter(|t| t.starts_with("libhello"))
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(ran(&o), libhello, "{out}");
    assert!(sayhello_runs(&dir).contains("Hello, world!"));
    // The real task wrote and signed a good object; without its signature, an object
    // is not restored either.
    rm_tmp(&dir);
    std::fs::remove_file(bb_sstate::sig_path(say)).expect("invariant: signature");
    let o = bake(&dir, &["sayhello"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains(&format!(
            "do_populate_sysroot_setscene: No signature file for sstate package {}, skipping acceleration...",
            say.display()
        )),
        "{out}"
    );
    let sayhello: Vec<String> = ALL_SAYHELLO
        .iter()
        .filter(|t| t.starts_with("sayhello"))
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(ran(&o), sayhello, "{out}");
    assert!(sayhello_runs(&dir).contains("Hello, world!"));
}

#[test]
fn objects_are_looked_up_under_the_unihash_the_server_gives() {
    let dir = hello_copy("unihash");
    append(&dir.join("conf/local.conf"), "\nBB_HASHSERVE = \"auto\"\n");
    let sstate = dir.join("sstate-cache");
    let o = bake(&dir, &["sayhello"]);
    assert!(o.status.success(), "{}", text(&o));
    let first = objects(&sstate);
    assert_eq!(first.len(), 2, "{first:?}");
    // Whitespace only: libhello's task hashes change, its output does not; the
    // server maps its new do_populate_sysroot hash to the first build's unihash.
    append(
        &dir.join("meta-hello/recipes-hello/libhello/files/hellolib.c"),
        "\n   \n",
    );
    let o = bake(&dir, &["sayhello"]);
    assert!(o.status.success(), "{}", text(&o));
    // As oe-core's `sstate_report_unihash` before the object is named: libhello's
    // rebuilt output is reported first and named by the server's answer, the first
    // build's object, so no object is written (BitBake writes none either).
    assert_eq!(objects(&sstate), first, "{}", text(&o));
    // A fresh TMPDIR is restored from the first build's objects, found by unihash.
    rm_tmp(&dir);
    let o = bake(&dir, &["sayhello"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(ran(&o).is_empty(), "{out}");
    assert_eq!(restored(&o).len(), 2, "{out}");
    assert_eq!(objects(&sstate), first);
    assert!(sayhello_runs(&dir).contains("Hello, world!"));
}
