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

mod runbuilds;

pub(crate) fn manage(db: &Path, args: &[&str]) -> Output {
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

pub(crate) fn fixtures() -> PathBuf {
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
    let o = manage(&db, &["perf", "--runs", "2"]);
    assert!(o.status.success(), "{o:?}");
    let text = stdout(&o);
    // The five queries, then every route over HTTP, with real ids.
    assert!(text.lines().take(5).all(|l| l.contains(" ms ")), "{text}");
    let routes: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("/toastergui/"))
        .collect();
    assert!(routes.len() > 30, "{text}");
    assert!(
        routes
            .iter()
            .any(|l| l.trim_start().starts_with("200") && l.ends_with("/toastergui/build/1")),
        "{text}"
    );
    assert!(
        text.lines()
            .last()
            .is_some_and(|l| l.starts_with("worst p95: ")),
        "{text}"
    );
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

/// Reads the server's first line (`Starting server at http://ADDR/ ...`).
fn server_address(
    child: &mut std::process::Child,
) -> (String, BufReader<std::process::ChildStdout>) {
    let mut first = String::new();
    let mut reader = BufReader::new(child.stdout.take().expect("invariant: piped"));
    reader
        .read_line(&mut first)
        .expect("the server's first line");
    let addr = first
        .strip_prefix("Starting server at http://")
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_owned();
    (addr, reader)
}

fn http_get(addr: &str, path: &str) -> String {
    http_get_as(addr, addr, path)
}

fn http_get_as(addr: &str, host: &str, path: &str) -> String {
    use std::io::{Read as _, Write as _};
    let mut s = std::net::TcpStream::connect(addr).expect("connects");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("writes");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("reads");
    out
}

#[test]
fn runserver_answers_and_stops_cleanly_on_ctrl_c() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = tmp.path().join("toaster.sqlite");
    assert!(
        manage(&db, &["record-demo", "--tasks", "3", "--delay-ms", "0"])
            .status
            .success()
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_toaster-manage"))
        .arg("--database")
        .arg(&db)
        .args(["runserver", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("invariant: toaster-manage starts");
    let (addr, mut reader) = server_address(&mut child);
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let health = http_get(&addr, "/health");
    assert!(
        health.starts_with("HTTP/1.1 200") && health.ends_with("Ok</body></html>"),
        "{health}"
    );
    let api = http_get(&addr, "/toastergui/api/builds");
    assert!(api.contains("\"count\":1"), "{api}");
    // Bound to loopback, it answers only to its own names (no DNS rebinding).
    let port = addr.rsplit(':').next().unwrap_or("");
    assert!(
        http_get_as(&addr, &format!("localhost:{port}"), "/health").starts_with("HTTP/1.1 200")
    );
    let rebound = http_get_as(&addr, "attacker.example", "/toastergui/api/builds");
    assert!(rebound.starts_with("HTTP/1.1 400"), "{rebound}");
    // Ctrl-C: SIGINT to the process.
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let status = child.wait().expect("waits");
    assert!(status.success(), "{status:?}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).expect("reads");
    assert!(rest.contains("Server stopped."), "{rest}");
}

#[test]
fn start_webport_serves_in_the_background_until_stop() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = tmp.path().join("toaster.sqlite");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binds")
        .local_addr()
        .expect("addr")
        .port();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_toaster-manage"))
            .arg("--database")
            .arg(&db)
            .args(args)
            .env("TOASTER_DIR", tmp.path())
            .output()
            .expect("invariant: toaster-manage runs")
    };
    let o = run(&["start", &format!("webport=127.0.0.1:{port}")]);
    assert!(o.status.success(), "{o:?}");
    assert!(tmp.path().join(".toaster").exists());
    let pid = std::fs::read_to_string(tmp.path().join(".toastermain.pid")).expect("pid file");
    let health = http_get(&format!("127.0.0.1:{port}"), "/health");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    // The port is taken now: a second start says so, in the terminal.
    let again = run(&["start", &format!("webport=127.0.0.1:{port}")]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("cannot listen on"),
        "{again:?}"
    );
    let o = run(&["stop"]);
    assert!(o.status.success(), "{o:?}");
    assert!(
        stdout(&o).contains(&format!("web server {} stopped", pid.trim())),
        "{o:?}"
    );
    assert!(!tmp.path().join(".toastermain.pid").exists());
    assert!(!tmp.path().join(".toaster").exists());
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "still listening"
    );
    let bad = run(&["start", "webport=nowhere"]);
    assert!(!bad.status.success());
}
