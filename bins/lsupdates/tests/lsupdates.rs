//! `lsupdates` against a loopback HTTP server serving the layer index of
//! testdata/layerindex (layerindex-web's REST API: an API root listing the collections,
//! each collection a JSON list), and from a JSON dump.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::Ordering;

use bb_util::test_http as http;

fn data(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/layerindex")
        .join(version)
}

const COLLECTIONS: [&str; 7] = [
    "branches",
    "layerItems",
    "layerBranches",
    "layerDependencies",
    "recipes",
    "machines",
    "distros",
];

/// A copy of `dir` served by bb_util's loopback server under `/api/`: `api/index.html`
/// (the API root) lists the collections, each `api/<name>.json` (query strings
/// ignored: the importer filters itself). Returns (server, copy, API root URL).
fn serve(dir: PathBuf) -> (http::Server, tempfile::TempDir, String) {
    let copy = tempfile::tempdir().expect("tempdir");
    let api = copy.path().join("api");
    fs_err::create_dir_all(&api).expect("mkdir");
    for n in COLLECTIONS {
        fs_err::copy(dir.join(format!("{n}.json")), api.join(format!("{n}.json"))).expect("copy");
    }
    let server = http::Server::start(copy.path(), false).expect("server");
    let links: serde_json::Map<String, serde_json::Value> = COLLECTIONS
        .iter()
        .map(|n| {
            (
                (*n).to_owned(),
                serde_json::Value::String(format!("{}/api/{n}.json", server.url)),
            )
        })
        .collect();
    fs_err::write(
        api.join("index.html"),
        serde_json::Value::Object(links).to_string(),
    )
    .expect("write the API root");
    let root = format!("{}/api/", server.url);
    (server, copy, root)
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

/// (downloaded, unchanged) of the `answers:` line.
fn answers(out: &str) -> [usize; 2] {
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("answers: "))
        .unwrap_or_else(|| panic!("no answers line in:\n{out}"));
    let nums: Vec<usize> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    [nums[0], nums[1]]
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

#[test]
fn second_run_writes_nothing_and_removed_entries_go() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = db_with_release(tmp.path());
    let (s1, _c1, v1) = serve(data("v1"));
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

    // 1 API root + branches + layerItems + 5 collections of the one known branch
    assert_eq!(answers(&first), [8, 0], "{first}");
    assert_eq!(s1.not_modified.load(Ordering::SeqCst), 0);

    let second = lsupdates(&db, &["--url", &v1]);
    assert_eq!(rows_written(&second), 0, "{second}");
    // Nothing changed on the server: every answer is a 304, nothing downloaded again.
    assert_eq!(answers(&second), [0, 8], "{second}");
    assert_eq!(s1.not_modified.load(Ordering::SeqCst), 8);
    // One collection changes on the server: only it is downloaded.
    fs_err::copy(
        data("v2").join("machines.json"),
        _c1.path().join("api/machines.json"),
    )
    .expect("copy");
    let changed = lsupdates(&db, &["--url", &v1]);
    assert_eq!(answers(&changed), [1, 7], "{changed}");
    assert_eq!(counts(&changed, "machines"), [0, 0, 2, 1, 0], "{changed}");
    assert_eq!(counts(&changed, "recipes"), [0, 0, 5, 0, 0], "{changed}");
    assert_eq!(counts(&second, "layers"), [0, 0, 3, 0, 0]);
    assert_eq!(counts(&second, "recipes"), [0, 0, 5, 0, 0]);
    assert_eq!(counts(&second, "machines"), [0, 0, 3, 0, 0]);
    assert_eq!(counts(&second, "dependency lists"), [0, 0, 3, 0, 0]);

    // Upstream: meta-extra and its recipe gone (its machine went above), a version bumped.
    let (_s2, _c2, v2) = serve(data("v2"));
    let third = lsupdates(&db, &["--url", &v2]);
    assert_eq!(counts(&third, "layers"), [0, 0, 2, 1, 0], "{third}");
    assert_eq!(counts(&third, "layer versions"), [0, 0, 2, 1, 0]);
    assert_eq!(counts(&third, "recipes"), [0, 1, 3, 0, 0]);
    assert_eq!(counts(&third, "machines"), [0, 0, 2, 0, 0]);
    assert_eq!(answers(&third), [8, 0], "another server: {third}");
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
    lsupdates(&db, &["--url", &serve(data("v1")).2]);
    let conn = bb_toaster::db::open(&db).expect("open");
    conn.execute_batch(
        "INSERT INTO orm_project (id, name, release_id) VALUES (7, 'p', 1);
         INSERT INTO orm_projectlayer (project_id, layercommit_id) SELECT 7, lv.id FROM orm_layer_version lv JOIN orm_layer l ON l.id = lv.layer_id WHERE l.name = 'meta-extra';",
    )
    .expect("a project using meta-extra");
    drop(conn);
    let out = lsupdates(&db, &["--url", &serve(data("v2")).2]);
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
