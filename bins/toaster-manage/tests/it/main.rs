//! toaster-manage's integration tests: the binary run on temporary databases, including
//! a recording process killed with SIGKILL.
#![expect(
    clippy::disallowed_methods,
    reason = "test inputs are written directly"
)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn manage(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_toaster-manage"))
        .arg("--database")
        .arg(db)
        .args(args)
        .env_remove("CUSTOM_XML_ONLY")
        .output()
        .expect("invariant: toaster-manage runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

#[test]
fn a_recording_killed_with_sigkill_leaves_a_consistent_database_marked_failed_by_checksettings() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = tmp.path().join("toaster.sqlite");
    let mut child = Command::new(env!("CARGO_BIN_EXE_toaster-manage"))
        .arg("--database")
        .arg(&db)
        .args(["record-demo", "--tasks", "100000", "--delay-ms", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::from(
            std::fs::File::create(tmp.path().join("child.err")).expect("stderr file"),
        ))
        .spawn()
        .expect("invariant: toaster-manage starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("invariant: piped"))
        .read_line(&mut first)
        .expect("the build id");
    let id: i64 = first
        .trim()
        .strip_prefix("build ")
        .and_then(|s| s.parse().ok())
        .expect("`build ID`");
    // Let it record some tasks, then kill it (Child::kill is SIGKILL).
    let conn = bb_toaster::db::open(&db).expect("opens");
    let t0 = Instant::now();
    loop {
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM orm_task WHERE build_id = ?1 AND outcome = 0",
                [id],
                |r| r.get(0),
            )
            .expect("count");
        if n >= 50 || t0.elapsed() > Duration::from_secs(20) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    drop(conn);

    let conn = bb_toaster::db::open(&db).expect("the database opens");
    assert!(
        bb_toaster::db::check(&conn).expect("checks").is_empty(),
        "integrity_check and foreign_key_check pass"
    );
    let list = bb_toaster::manage::buildslist(&conn).expect("lists");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].outcome, "In Progress");
    let tasks: i64 = conn
        .query_row(
            "SELECT count(*) FROM orm_task WHERE build_id = ?1",
            [id],
            |r| r.get(0),
        )
        .expect("count");
    assert!(
        tasks >= 50,
        "{tasks} tasks recorded before the kill; the recorder said: {}",
        std::fs::read_to_string(tmp.path().join("child.err")).unwrap_or_default()
    );
    drop(conn);

    let o = manage(
        &db,
        &[
            "checksettings",
            "--fixtures",
            &fixtures().display().to_string(),
        ],
    );
    assert!(o.status.success(), "{o:?}");
    assert!(
        stdout(&o).contains(&format!(
            "build {id} was in progress with no recorder: marked failed"
        )),
        "{}",
        stdout(&o)
    );
    let o = manage(&db, &["buildslist", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(json[0]["outcome"], "Failed");
    // Running it again finds nothing more to recover.
    let o = manage(
        &db,
        &[
            "checksettings",
            "--fixtures",
            &fixtures().display().to_string(),
        ],
    );
    assert_eq!(stdout(&o), "");
}

#[test]
fn migrate_buildslist_builddelete_and_perf_from_the_command_line() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = tmp.path().join("toaster.sqlite");
    let o = manage(&db, &["migrate"]);
    assert!(stdout(&o).ends_with(&format!(
        "schema version {} (from 0)\n",
        bb_toaster::db::SCHEMA_VERSION
    )));
    assert!(stdout(&manage(&db, &["migrate"])).ends_with("(up to date)\n"));
    for _ in 0..2 {
        let o = manage(&db, &["record-demo", "--tasks", "3", "--delay-ms", "0"]);
        assert!(o.status.success(), "{o:?}");
    }
    assert_eq!(
        stdout(&manage(&db, &["buildslist"])),
        "1: demo bake demo\n2: demo bake demo\n"
    );
    let o = manage(&db, &["builddelete", "2", "7"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "ERROR: build 7 does not exist\n"
    );
    let o = manage(&db, &["builddelete", "2"]);
    assert_eq!(stdout(&o), "build 2 deleted\n");
    assert_eq!(stdout(&manage(&db, &["buildslist"])), "1: demo bake demo\n");
    let o = manage(&db, &["perf"]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(stdout(&o).lines().count(), 5, "{}", stdout(&o));
    let bad = tmp.path().join("bad.xml");
    std::fs::write(
        &bad,
        r#"<django-objects><object model="orm.release" pk="1"><field name="nope">x</field></object></django-objects>"#,
    )
    .expect("write");
    let o = manage(&db, &["loaddata", &bad.display().to_string()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("object `orm.release pk=1`, field `nope`: unknown field"),
        "{o:?}"
    ); // Fixtures by name, from the fixtures directory, as Django's loaddata finds them.
    let dir = fixtures();
    let o = manage(
        &db,
        &[
            "loaddata",
            "--fixtures",
            &dir.display().to_string(),
            "settings",
            "custom",
        ],
    );
    assert!(o.status.success(), "{o:?}");
    assert!(
        stdout(&o).ends_with(" object(s) from 2 fixture(s)\n"),
        "{o:?}"
    );
}
