//! Schema versions and upgrades.

use super::{rows, temp_db};

#[test]
fn a_new_database_is_at_the_current_version_with_walk_and_foreign_keys() {
    let (_tmp, path) = temp_db();
    let conn = bb_toaster::db::open(&path).expect("opens");
    assert_eq!(
        bb_toaster::db::version(&conn).expect("version"),
        bb_toaster::db::SCHEMA_VERSION
    );
    assert_eq!(rows(&conn, "PRAGMA journal_mode", []), ["wal"]);
    assert_eq!(rows(&conn, "PRAGMA foreign_keys", []), ["1"]);
    assert_eq!(rows(&conn, "PRAGMA auto_vacuum", []), ["2"], "incremental");
}

#[test]
fn a_version_1_database_is_upgraded_keeping_its_builds() {
    let (_tmp, path) = temp_db();
    {
        let conn = bb_toaster::db::open_unmigrated(&path).expect("opens");
        assert_eq!(bb_toaster::db::migrate_to(&conn, 1).expect("v1"), 1);
        conn.execute_batch(
            "INSERT INTO orm_project (id, name) VALUES (1, 'Command line builds');
             INSERT INTO orm_build (id, project_id, machine, distro, started_on, completed_on, outcome) VALUES (7, 1, 'm', 'd', '2026-01-01 00:00:00', '2026-01-01 00:01:00', 0);
             INSERT INTO orm_target (build_id, target) VALUES (7, 'old');",
        )
        .expect("a v1 build");
    }
    let conn = bb_toaster::db::open(&path).expect("upgrades");
    assert_eq!(
        bb_toaster::db::version(&conn).expect("version"),
        bb_toaster::db::SCHEMA_VERSION
    );
    assert_eq!(
        bb_toaster::manage::buildslist(&conn).expect("lists")[0].text(),
        "7: m d old"
    );
    // Version 2's tables and columns are there.
    assert_eq!(
        rows(&conn, "SELECT count(*) FROM orm_projectvariable", []),
        ["0"]
    );
    assert_eq!(
        rows(&conn, "SELECT recorder_started FROM orm_build", []),
        ["NULL"]
    );
    assert!(bb_toaster::db::check(&conn).expect("checks").is_empty());
}

#[test]
fn a_newer_database_is_refused() {
    let (_tmp, path) = temp_db();
    {
        let conn = bb_toaster::db::open(&path).expect("opens");
        conn.pragma_update(None, "user_version", 99).expect("bump");
    }
    let e = bb_toaster::db::open(&path).expect_err("newer");
    assert!(
        e.to_string().contains("schema version 99") && e.to_string().contains("toaster.sqlite"),
        "{e}"
    );
}

#[test]
fn a_database_made_by_toaster_itself_is_refused_and_left_alone() {
    let (_tmp, path) = temp_db();
    {
        let conn = rusqlite::Connection::open(&path).expect("creates");
        conn.execute_batch(
            "CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app TEXT, name TEXT);
             CREATE TABLE orm_build (id INTEGER PRIMARY KEY, machine TEXT);",
        )
        .expect("a Django-made schema");
    }
    let e = bb_toaster::db::open(&path).expect_err("refused");
    let msg = e.to_string();
    assert!(msg.contains("a database made by Toaster itself"), "{msg}");
    assert!(msg.contains("toaster.sqlite"), "{msg}");
    let conn = rusqlite::Connection::open(&path).expect("opens");
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )
        .expect("counts");
    assert_eq!(tables, 2, "nothing was added");
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("journal mode");
    assert_eq!(mode, "delete", "the journal mode is left as it was");
}
