//! `lsupdates` against a loopback HTTP server serving the layer index of
//! testdata/layerindex (layerindex-web's REST API: an API root listing the collections,
//! each collection a JSON list), and from a JSON dump.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

fn data(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/layerindex")
        .join(version)
}

/// Serves `dir` at `http://127.0.0.1:PORT/api/`: the root lists the collections, each
/// collection is `dir/<name>.json` (query strings ignored: the importer filters itself).
/// Returns the root URL; the server thread lives as long as the test process.
fn serve(dir: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener.local_addr().expect("local address").port();
    let root = format!("http://127.0.0.1:{port}/api/");
    let base = root.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut line = String::new();
            let mut r = BufReader::new(s.try_clone().expect("clone the stream"));
            if r.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).map(|n| n == 0).unwrap_or(true) || h == "\r\n" {
                    break;
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let path = path.split('?').next().unwrap_or("").to_owned();
            let (status, body) = if path == "/api/" {
                let links: serde_json::Map<String, serde_json::Value> = [
                    "branches",
                    "layerItems",
                    "layerBranches",
                    "layerDependencies",
                    "recipes",
                    "machines",
                    "distros",
                ]
                .iter()
                .map(|n| {
                    (
                        (*n).to_owned(),
                        serde_json::Value::String(format!("{base}{n}/")),
                    )
                })
                .collect();
                ("200 OK", serde_json::Value::Object(links).to_string())
            } else {
                let name = path.trim_start_matches("/api/").trim_end_matches('/');
                match std::fs::read_to_string(dir.join(format!("{name}.json"))) {
                    Ok(t) => ("200 OK", t),
                    Err(_) => ("404 Not Found", "{}".to_owned()),
                }
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    root
}

fn db_with_release(dir: &Path) -> PathBuf {
    let db = dir.join("toaster.sqlite");
    let conn = bb_toaster::db::open(&db).expect("open the database");
    conn.execute_batch(
        "INSERT INTO orm_bitbakeversion (id, name, giturl, branch) VALUES (1, 'master', 'git://x', 'master');
         INSERT INTO orm_release (id, name, description, bitbake_version_id, branch_name) VALUES (1, 'blacksail', 'current', 1, 'master');",
    )
    .expect("a release");
    db
}

fn lsupdates(db: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lsupdates"))
        .arg("--database")
        .arg(db)
        .arg("--quiet")
        .args(args)
        .output()
        .expect("run lsupdates");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "lsupdates {args:?} failed: {}{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// (created, changed, unchanged, removed, kept) of the line for `what`.
fn counts(out: &str, what: &str) -> [usize; 5] {
    let line = out
        .lines()
        .find(|l| l.starts_with(what))
        .unwrap_or_else(|| panic!("no `{what}` line in:\n{out}"));
    let nums: Vec<usize> = line[what.len()..]
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    [nums[0], nums[1], nums[2], nums[3], nums[4]]
}

fn rows_written(out: &str) -> u64 {
    out.lines()
        .find_map(|l| l.strip_prefix("rows written: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no rows written line in:\n{out}"))
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

#[test]
fn second_run_writes_nothing_and_removed_entries_go() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = db_with_release(tmp.path());
    let v1 = serve(data("v1"));
    let first = lsupdates(&db, &["--url", &v1]);
    assert!(first.contains("releases blacksail"), "{first}");
    assert!(first.contains("skipped: kirkstone"), "{first}");
    assert_eq!(counts(&first, "layers"), [3, 0, 0, 0, 0]);
    assert_eq!(counts(&first, "layer versions"), [3, 0, 0, 0, 0]);
    assert_eq!(counts(&first, "recipes"), [5, 0, 0, 0, 0]);
    assert_eq!(counts(&first, "machines"), [3, 0, 0, 0, 0]);
    assert_eq!(counts(&first, "distros"), [1, 0, 0, 0, 0]);
    assert!(rows_written(&first) > 0);
    assert_eq!(
        count(&db, "SELECT count(*) FROM orm_layerversiondependency"),
        3
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM orm_recipe WHERE is_image AND name = 'core-image-minimal'"
        ),
        1
    );
    // Markup is stored as text.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM orm_machine WHERE description = 'A board <script>alert(1)</script>'"
        ),
        1
    );

    let second = lsupdates(&db, &["--url", &v1]);
    assert_eq!(rows_written(&second), 0, "{second}");
    assert_eq!(counts(&second, "layers"), [0, 0, 3, 0, 0]);
    assert_eq!(counts(&second, "recipes"), [0, 0, 5, 0, 0]);
    assert_eq!(counts(&second, "machines"), [0, 0, 3, 0, 0]);
    assert_eq!(counts(&second, "dependency lists"), [0, 0, 3, 0, 0]);

    // Upstream: meta-extra, its recipe and a machine gone, a version bumped.
    let v2 = serve(data("v2"));
    let third = lsupdates(&db, &["--url", &v2]);
    assert_eq!(counts(&third, "layers"), [0, 0, 2, 1, 0], "{third}");
    assert_eq!(counts(&third, "layer versions"), [0, 0, 2, 1, 0]);
    assert_eq!(counts(&third, "recipes"), [0, 1, 3, 0, 0]);
    assert_eq!(counts(&third, "machines"), [0, 0, 2, 1, 0]);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM orm_layer WHERE name = 'meta-extra'"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM orm_recipe WHERE name = 'extra-tool'"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM orm_recipe WHERE name = 'sayhello' AND version = '1.1'"
        ),
        1
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM orm_layerversiondependency"),
        1
    );
    let fourth = lsupdates(&db, &["--url", &v2]);
    assert_eq!(rows_written(&fourth), 0, "{fourth}");
}

#[test]
fn a_layer_a_project_uses_is_kept() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = db_with_release(tmp.path());
    lsupdates(&db, &["--url", &serve(data("v1"))]);
    let conn = bb_toaster::db::open(&db).expect("open");
    conn.execute_batch(
        "INSERT INTO orm_project (id, name, release_id) VALUES (7, 'p', 1);
         INSERT INTO orm_projectlayer (project_id, layercommit_id) SELECT 7, lv.id FROM orm_layer_version lv JOIN orm_layer l ON l.id = lv.layer_id WHERE l.name = 'meta-extra';",
    )
    .expect("a project using meta-extra");
    drop(conn);
    let out = lsupdates(&db, &["--url", &serve(data("v2"))]);
    assert_eq!(counts(&out, "layer versions"), [0, 0, 2, 0, 1], "{out}");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM orm_layer WHERE name = 'meta-extra'"
        ),
        1
    );
}

#[test]
fn from_a_json_dump_and_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = db_with_release(tmp.path());
    let mut dump = serde_json::Map::new();
    for name in [
        "branches",
        "layerItems",
        "layerBranches",
        "layerDependencies",
        "recipes",
        "machines",
        "distros",
    ] {
        let text = std::fs::read_to_string(data("v1").join(format!("{name}.json"))).expect("read");
        dump.insert(name.to_owned(), serde_json::from_str(&text).expect("json"));
    }
    let file = tmp.path().join("index.json");
    fs_err::write(&file, serde_json::Value::Object(dump).to_string()).expect("write");
    let out = lsupdates(&db, &["--file", file.to_str().expect("utf-8")]);
    assert_eq!(counts(&out, "recipes"), [5, 0, 0, 0, 0]);
    let again = lsupdates(&db, &["--file", file.to_str().expect("utf-8")]);
    assert_eq!(rows_written(&again), 0);

    // A bad item names the collection and the item.
    fs_err::write(&file, r#"{"branches": [{"id": "x", "name": "master"}]}"#).expect("write");
    let bad = Command::new(env!("CARGO_BIN_EXE_lsupdates"))
        .arg("--database")
        .arg(&db)
        .arg("--file")
        .arg(&file)
        .output()
        .expect("run");
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("`branches` item 0"), "{err}");
    // No release of the database in the index.
    fs_err::write(&file, r#"{"branches": [{"id": 1, "name": "zeus"}]}"#).expect("write");
    let none = Command::new(env!("CARGO_BIN_EXE_lsupdates"))
        .arg("--database")
        .arg(&db)
        .arg("--file")
        .arg(&file)
        .output()
        .expect("run");
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("zeus"));
}
