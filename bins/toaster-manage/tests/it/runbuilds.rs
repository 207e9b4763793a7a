//! `runbuilds`: two processes on one database never take the same request; a layer that
//! cannot be found fails the request before the build starts; a cancel interrupts the
//! running build. The build program is a stand-in script here (the browser test runs the
//! real `bake`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use bb_toaster::bldcontrol;

use super::{fixtures, manage};

/// A database set up by `checksettings`, with a project of release `bake` (bake's
/// meta/ as its layer). Returns (tmp, db, project).
fn setup() -> (tempfile::TempDir, PathBuf, i64) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = tmp.path().join("toaster.sqlite");
    let fx = fixtures();
    let o = manage(
        &db,
        &["checksettings", "--fixtures", fx.to_str().expect("utf-8")],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let conn = bb_toaster::db::open(&db).expect("opens");
    let p = bb_toaster::projects::new_project(&conn, "p", Some(1), false, None).expect("project");
    let layers: i64 = conn
        .query_row(
            "SELECT count(*) FROM orm_projectlayer WHERE project_id = ?1",
            [p],
            |r| r.get(0),
        )
        .expect("layers");
    assert_eq!(layers, 1, "the release's default layer (bakecore)");
    (tmp, db, p)
}

/// A stand-in for bake: notes `$TOASTER_BRBE` and its pid in `claims`, then waits
/// `secs` (an interrupt ends it with status 130).
fn fake_bake(dir: &Path, secs: &str) -> PathBuf {
    let p = dir.join("fake-bake");
    fs_err::write(
        &p,
        format!(
            "#!/bin/sh\ntrap 'echo \"$TOASTER_BRBE interrupted\" >> \"{0}/claims\"; exit 130' INT\necho \"$TOASTER_BRBE $PPID\" >> \"{0}/claims\"\nsleep {secs} &\nwait $!\n",
            dir.display()
        ),
    )
    .expect("write the script");
    let mut perm = fs_err::metadata(&p).expect("metadata").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    fs_err::set_permissions(&p, perm).expect("chmod");
    p
}

fn runbuilds(db: &Path, bake: &Path, once: bool) -> Child {
    let mut c = Command::new(env!("CARGO_BIN_EXE_toaster-manage"));
    c.arg("--database")
        .arg(db)
        .arg("runbuilds")
        .arg("--bake")
        .arg(bake)
        .args(["--poll-ms", "50"]);
    if once {
        c.arg("--once");
    }
    c.stdout(std::process::Stdio::null())
        .spawn()
        .expect("runbuilds starts")
}

#[test]
fn two_runbuilds_on_one_database_never_take_the_same_request() {
    let (tmp, db, p) = setup();
    let conn = bb_toaster::db::open(&db).expect("opens");
    // A second build environment: two builds may run at once, one per environment.
    conn.execute(
        "INSERT INTO bldcontrol_buildenvironment (sourcedir, builddir) VALUES (?1, ?2)",
        [
            tmp.path().join("src2").display().to_string(),
            tmp.path().join("build2").display().to_string(),
        ],
    )
    .expect("environment");
    let mut requests = Vec::new();
    for _ in 0..8 {
        requests.push(
            bldcontrol::schedule_build(&conn, p, &[("sayhello".into(), String::new())])
                .expect("queued")
                .0,
        );
    }
    let bake = fake_bake(tmp.path(), "0.2");
    let mut a = runbuilds(&db, &bake, true);
    let mut b = runbuilds(&db, &bake, true);
    let (pa, pb) = (i64::from(a.id()), i64::from(b.id()));
    assert!(a.wait().expect("waits").success());
    assert!(b.wait().expect("waits").success());
    let claims = fs_err::read_to_string(tmp.path().join("claims")).expect("claims");
    let mut seen: Vec<i64> = claims
        .lines()
        .map(|l| {
            l.split(':')
                .next()
                .and_then(|r| r.parse().ok())
                .expect("request id")
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, requests, "each request run exactly once:\n{claims}");
    let mut st = conn
        .prepare("SELECT runner_pid, state FROM bldcontrol_buildrequest ORDER BY id")
        .expect("prepare");
    let rows: Vec<(i64, i64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    for (runner, state) in &rows {
        assert!(*runner == pa || *runner == pb, "{rows:?}");
        assert_eq!(*state, bldcontrol::RequestState::Completed as i64);
    }
    // Environments are free again.
    let locked: i64 = conn
        .query_row(
            "SELECT count(*) FROM bldcontrol_buildenvironment WHERE lock != 0",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(locked, 0);
}

#[test]
fn a_layer_that_cannot_be_found_fails_the_request_before_the_build() {
    let (tmp, db, p) = setup();
    let conn = bb_toaster::db::open(&db).expect("opens");
    bb_toaster::projects::import_layer(
        &conn,
        p,
        &bb_toaster::projects::ImportLayer {
            name: "meta-gone".into(),
            local_dir: tmp.path().join("no-such-layer").display().to_string(),
            ..Default::default()
        },
    )
    .expect("imported");
    let (req, build) = bldcontrol::schedule_build(&conn, p, &[("sayhello".into(), String::new())])
        .expect("queued");
    let bake = fake_bake(tmp.path(), "0");
    assert!(runbuilds(&db, &bake, true).wait().expect("waits").success());
    assert!(
        !tmp.path().join("claims").exists(),
        "the build must not start"
    );
    let (errtype, msg): (String, String) = conn
        .query_row(
            "SELECT errtype, errmsg FROM bldcontrol_brerror WHERE req_id = ?1",
            [req],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("a request error");
    assert_eq!(errtype, "prepare");
    assert!(msg.contains("layer `meta-gone` cannot be found"), "{msg}");
    let (outcome, log): (i64, String) = conn
        .query_row(
            "SELECT b.outcome, m.message FROM orm_build b JOIN orm_logmessage m ON m.build_id = b.id WHERE b.id = ?1",
            [build],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("the build failed with the message");
    assert_eq!(outcome, 1);
    assert_eq!(log, msg);
    assert_eq!(
        bldcontrol::state(&conn, req).expect("state"),
        Some(bldcontrol::RequestState::Failed)
    );
}

#[test]
fn a_cancel_interrupts_the_running_build_and_a_queued_one_never_starts() {
    let (tmp, db, p) = setup();
    let conn = bb_toaster::db::open(&db).expect("opens");
    let (running, build) =
        bldcontrol::schedule_build(&conn, p, &[("sayhello".into(), String::new())])
            .expect("queued");
    let (queued, queued_build) =
        bldcontrol::schedule_build(&conn, p, &[("sayhello".into(), "compile".into())])
            .expect("queued");
    // The queued one is cancelled at once.
    assert_eq!(
        bldcontrol::cancel(&conn, p, queued).expect("cancel"),
        bldcontrol::Cancel::Dequeued
    );
    let bake = fake_bake(tmp.path(), "30");
    let mut rb = runbuilds(&db, &bake, true);
    let t0 = Instant::now();
    while !tmp.path().join("claims").exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the build never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        bldcontrol::cancel(&conn, p, running).expect("cancel"),
        bldcontrol::Cancel::Cancelling
    );
    assert!(rb.wait().expect("waits").success());
    assert!(
        t0.elapsed() < Duration::from_secs(20),
        "the cancel did not interrupt the build"
    );
    let claims = fs_err::read_to_string(tmp.path().join("claims")).expect("claims");
    assert!(
        claims.contains(&format!("{running}:1 interrupted")),
        "{claims}"
    );
    assert!(!claims.contains(&format!("{queued}:")), "{claims}");
    for b in [build, queued_build] {
        let outcome: i64 = conn
            .query_row("SELECT outcome FROM orm_build WHERE id = ?1", [b], |r| {
                r.get(0)
            })
            .expect("outcome");
        assert_eq!(outcome, 3, "build {b} Cancelled");
    }
    assert_eq!(
        bldcontrol::state(&conn, running).expect("state"),
        Some(bldcontrol::RequestState::Completed)
    );
}

#[test]
fn a_request_left_by_a_dead_runbuilds_fails_and_frees_its_environment() {
    let (tmp, db, p) = setup();
    let conn = bb_toaster::db::open(&db).expect("opens");
    let (req, build) = bldcontrol::schedule_build(&conn, p, &[("sayhello".into(), String::new())])
        .expect("queued");
    // Claimed by a process that is gone.
    let mut gone = Command::new("true").spawn().expect("runs true");
    let dead = gone.id();
    gone.wait().expect("waits");
    let claimed = bldcontrol::claim_next(&conn, dead)
        .expect("claims")
        .expect("a request");
    assert_eq!(claimed.request, req);
    assert!(
        bldcontrol::claim_next(&conn, dead)
            .expect("claims")
            .is_none(),
        "the only environment is locked"
    );
    let bake = fake_bake(tmp.path(), "0");
    assert!(runbuilds(&db, &bake, true).wait().expect("waits").success());
    let msg: String = conn
        .query_row(
            "SELECT errmsg FROM bldcontrol_brerror WHERE req_id = ?1",
            [req],
            |r| r.get(0),
        )
        .expect("a request error");
    assert!(msg.contains("found in progress"), "{msg}");
    let outcome: i64 = conn
        .query_row(
            "SELECT outcome FROM orm_build WHERE id = ?1",
            [build],
            |r| r.get(0),
        )
        .expect("outcome");
    assert_eq!(outcome, 1);
    let locked: i64 = conn
        .query_row(
            "SELECT count(*) FROM bldcontrol_buildenvironment WHERE lock != 0",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(locked, 0);
}

#[test]
fn an_imported_build_directory_gets_the_settings_merged_into_its_own_conf_files() {
    let (tmp, db, _) = setup();
    let conn = bb_toaster::db::open(&db).expect("opens");
    let bdir = tmp.path().join("imported");
    fs_err::create_dir_all(bdir.join("conf")).expect("conf");
    fs_err::write(
        bdir.join("conf/local.conf"),
        "MACHINE = \"qemux86-64\"\n# the user's own line\nBB_NUMBER_THREADS = \"2\"",
    )
    .expect("local.conf");
    let p = bb_toaster::projects::new_project(
        &conn,
        "imported",
        Some(1),
        false,
        Some(bdir.to_str().expect("utf-8")),
    )
    .expect("project");
    let merged: bool = conn
        .query_row(
            "SELECT merged_attr FROM orm_project WHERE id = ?1",
            [p],
            |r| r.get(0),
        )
        .expect("project");
    assert!(merged, "an imported build directory is a merged project");
    let meta = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../meta");
    let meta = fs_err::canonicalize(meta).expect("meta/");
    bb_toaster::projects::import_layer(
        &conn,
        p,
        &bb_toaster::projects::ImportLayer {
            name: "meta-bake".into(),
            local_dir: meta.display().to_string(),
            ..Default::default()
        },
    )
    .expect("imported");
    conn.execute(
        "INSERT INTO orm_projectvariable (project_id, name, value) VALUES (?1, 'DISTRO', 'nodistro'), (?1, 'INTERNAL_PROJECT_SPECIFIC_SKIPRELEASE', '1')",
        [p],
    )
    .expect("variables");
    let bake = fake_bake(tmp.path(), "0");
    for _ in 0..2 {
        bldcontrol::schedule_build(&conn, p, &[("sayhello".into(), String::new())])
            .expect("queued");
        assert!(runbuilds(&db, &bake, true).wait().expect("waits").success());
    }
    let errors: Vec<String> = conn
        .prepare("SELECT errmsg FROM bldcontrol_brerror")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("errors");
    assert!(errors.is_empty(), "{errors:?}");
    let local = fs_err::read_to_string(bdir.join("conf/local.conf")).expect("local.conf");
    assert_eq!(
        local,
        "MACHINE = \"qemux86-64\"\n# the user's own line\nBB_NUMBER_THREADS = \"2\"\n\n\
         #=== TOASTER_CONFIG_PROLOG ===\nMACHINE=\"qemux86-64\"\nDISTRO=\"nodistro\"\nINHERIT += \"toaster\"\n\
         #=== TOASTER_CONFIG_EPILOG ===\n",
        "one block after two builds, the user's lines kept, MACHINE imported from them, no INTERNAL_ variable"
    );
    let save = fs_err::read_to_string(bdir.join("conf/local.conf.save")).expect("saved");
    assert_eq!(save, local, "the second build saved what the first wrote");
    let bbl = fs_err::read_to_string(bdir.join("conf/bblayers.conf")).expect("bblayers.conf");
    assert!(
        bbl.ends_with(&format!(
            "\n#=== TOASTER_CONFIG_PROLOG ===\nBBLAYERS = \"\\\n  {} \\\n  \"\n#=== TOASTER_CONFIG_EPILOG ===\n",
            meta.display()
        )),
        "{bbl}"
    );
    assert!(!bdir.join("conf/toaster.conf").exists());
    assert!(!bdir.join("conf/toaster-bblayers.conf").exists());
    let claims = fs_err::read_to_string(tmp.path().join("claims")).expect("claims");
    assert_eq!(claims.lines().count(), 2, "{claims}");
}
