//! Recording synthetic builds and querying the database.

use bb_runqueue::events::{BuildEvent, Outcome, SkipReason, TaskRef, Usage};
use bb_toaster::{BuildStart, HistoryRow, LayerInfo, RecipeRow, Recorder, VariableRow};

fn task(i: usize, pn: &str, task: &str) -> TaskRef {
    TaskRef {
        index: i,
        pn: pn.into(),
        fn_name: format!("/l/{pn}_1.0.bb"),
        task: task.into(),
    }
}

fn start() -> BuildStart {
    BuildStart {
        machine: "qemux86-64".into(),
        distro: "bake".into(),
        targets: vec![("sayhello".into(), String::new())],
        layers: vec![LayerInfo {
            name: "hello".into(),
            path: "/l".into(),
            priority: 5,
            ..LayerInfo::default()
        }],
        recipes: ["libhello", "sayhello"]
            .iter()
            .map(|pn| RecipeRow {
                fn_name: format!("/l/{pn}_1.0.bb"),
                name: (*pn).into(),
                version: "1.0-r0".into(),
                layer: "hello".into(),
                file_path: format!("/l/{pn}_1.0.bb"),
                depends: if *pn == "sayhello" {
                    vec!["libhello".into()]
                } else {
                    vec![]
                },
                ..RecipeRow::default()
            })
            .collect(),
        variables: vec![VariableRow {
            name: "MACHINE".into(),
            value: "qemux86-64".into(),
            history: vec![HistoryRow {
                file_name: "/b/conf/local.conf".into(),
                line_number: Some(3),
                operation: "set".into(),
                value: "qemux86-64".into(),
            }],
        }],
        ..BuildStart::default()
    }
}

fn events() -> Vec<BuildEvent> {
    let usage = Usage {
        elapsed: 1.5,
        cpu_user: 0.5,
        cpu_system: 0.25,
        disk_read: 4096,
        disk_write: 8192,
    };
    vec![
        BuildEvent::BuildStarted {
            targets: vec!["sayhello".into()],
            total: 3,
        },
        BuildEvent::TaskSkipped {
            task: task(0, "libhello", "do_fetch"),
            reason: SkipReason::UpToDate,
        },
        BuildEvent::TaskStarted {
            task: task(1, "libhello", "do_compile"),
            number: 2,
            total: 3,
            log: "/t/log.do_compile.1".into(),
            noexec: false,
        },
        BuildEvent::TaskSucceeded {
            task: task(1, "libhello", "do_compile"),
            usage,
        },
        BuildEvent::TaskStarted {
            task: task(2, "sayhello", "do_compile"),
            number: 3,
            total: 3,
            log: "/t2/log.do_compile.1".into(),
            noexec: false,
        },
        BuildEvent::TaskFailed {
            task: task(2, "sayhello", "do_compile"),
            usage,
            log: "/t2/log.do_compile.1".into(),
            message: "Execution of run.do_compile failed".into(),
            tail: vec!["cc: error".into()],
        },
        BuildEvent::BuildFinished {
            outcome: Outcome::Failed,
            ran: 2,
            skipped: 1,
            failed: 1,
            not_run: 0,
        },
    ]
}

#[test]
fn a_build_is_recorded_queried_listed_and_deleted() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("toaster.sqlite");
    let mut ids = Vec::new();
    for _ in 0..2 {
        let rec = Recorder::start(&path, start()).expect("records");
        for e in events() {
            rec.event(&e);
        }
        ids.push(rec.finish().expect("finishes"));
    }
    let mut conn = bb_toaster::db::open(&path).expect("opens");
    let q = |sql: &str| -> Vec<(String, i64)> {
        let mut st = conn.prepare(sql).expect("prepares");
        st.query_map([ids[0]], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("queries")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    let tasks = q(
        "SELECT r.name || ' ' || t.task_name, t.outcome FROM orm_task t JOIN orm_recipe r ON t.recipe_id = r.id WHERE t.build_id = ?1 ORDER BY t.id",
    );
    assert_eq!(
        tasks,
        vec![
            ("libhello do_fetch".to_owned(), 3),
            ("libhello do_compile".to_owned(), 0),
            ("sayhello do_compile".to_owned(), 4)
        ]
    );
    let hist = q(
        "SELECT h.file_name || ':' || h.line_number || ' ' || h.operation, v.build_id FROM orm_variablehistory h JOIN orm_variable v ON h.variable_id = v.id WHERE v.build_id = ?1",
    );
    assert_eq!(hist, vec![("/b/conf/local.conf:3 set".to_owned(), ids[0])]);
    let err = q("SELECT message, level FROM orm_logmessage WHERE build_id = ?1");
    assert_eq!(err.len(), 1);
    assert!(err[0].0.contains("cc: error") && err[0].1 == 2, "{err:?}");
    let outcome = q("SELECT project_id || '', outcome FROM orm_build WHERE id = ?1");
    assert_eq!(outcome[0].1, 1);
    let project: String = conn
        .query_row("SELECT p.name FROM orm_project p JOIN orm_build b ON b.project_id = p.id WHERE b.id = ?1", [ids[0]], |r| r.get(0))
        .expect("project");
    assert_eq!(project, "Command line builds");
    let list = bb_toaster::manage::buildslist(&conn).expect("lists");
    assert_eq!(list.len(), 2);
    assert_eq!(
        list[0].text(),
        format!("{}: qemux86-64 bake sayhello", ids[0])
    );

    bb_toaster::manage::builddelete(&mut conn, &[ids[0]]).expect("deletes");
    let e = bb_toaster::manage::builddelete(&mut conn, &[ids[0]]).expect_err("gone");
    assert!(e.to_string().contains(&ids[0].to_string()), "{e}");
    assert_eq!(
        bb_toaster::manage::buildslist(&conn).expect("lists").len(),
        1
    );
    let left: i64 = conn
        .query_row(
            "SELECT count(*) FROM orm_task WHERE build_id = ?1",
            [ids[0]],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(left, 0);
    assert!(bb_toaster::db::check(&conn).expect("checks").is_empty());
}

#[test]
fn a_build_whose_recorder_died_is_marked_failed() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("toaster.sqlite");
    let rec = Recorder::start(&path, start()).expect("records");
    let id = rec.build_id();
    // The recorder is this process: alive, so not stale yet.
    let conn = bb_toaster::db::open(&path).expect("opens");
    conn.execute(
        "UPDATE orm_build SET recorder_pid = 999999999 WHERE id = ?1",
        [id],
    )
    .expect("pretend another process");
    let stale = bb_toaster::manage::fail_stale_builds(&conn).expect("recovers");
    assert_eq!(stale, vec![id]);
    let outcome: i64 = conn
        .query_row("SELECT outcome FROM orm_build WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .expect("outcome");
    assert_eq!(outcome, 1);
    drop(rec);
}

#[test]
fn checksettings_loads_the_fixtures_once_and_loaddata_overwrites_by_pk() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut conn = bb_toaster::db::open(&tmp.path().join("t.sqlite")).expect("opens");
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let r = bb_toaster::manage::checksettings(&mut conn, &fixtures, false).expect("first run");
    assert_eq!(r.loaded.len(), 2, "settings.xml and custom.xml");
    let machine: String = conn
        .query_row(
            "SELECT value FROM orm_toastersetting WHERE name = 'DEFCONF_MACHINE'",
            [],
            |r| r.get(0),
        )
        .expect("setting");
    assert_eq!(
        machine, "qemux86-64",
        "custom.xml overrides settings.xml by pk"
    );
    let release: String = conn
        .query_row("SELECT r.name || '/' || b.name FROM orm_release r JOIN orm_bitbakeversion b ON r.bitbake_version_id = b.id", [], |r| r.get(0))
        .expect("release");
    assert_eq!(release, "bake/bake");
    let again = bb_toaster::manage::checksettings(&mut conn, &fixtures, false).expect("second run");
    assert!(again.loaded.is_empty());
    // Errors name the object and the field; nothing of the file is written.
    let bad = tmp.path().join("bad.xml");
    std::fs::write(
        &bad,
        r#"<django-objects version="1.0"><object model="orm.toastersetting" pk="9"><field name="name">X</field></object><object model="orm.release" pk="7"><field name="nosuch">1</field></object></django-objects>"#,
    )
    .expect("write");
    let e = bb_toaster::fixtures::loaddata(&mut conn, &bad).expect_err("unknown field");
    let msg = e.to_string();
    assert!(
        msg.contains("orm.release pk=7") && msg.contains("nosuch"),
        "{msg}"
    );
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM orm_toastersetting WHERE id = 9",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(n, 0, "one transaction");
}

#[test]
fn perf_times_every_page_query() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("toaster.sqlite");
    let rec = Recorder::start(&path, start()).expect("records");
    for e in events() {
        rec.event(&e);
    }
    rec.finish().expect("finishes");
    let conn = bb_toaster::db::open(&path).expect("opens");
    let pages = bb_toaster::manage::perf(&conn).expect("times");
    assert_eq!(pages.len(), 5);
    assert!(
        pages
            .iter()
            .any(|p| p.page.starts_with("tasks") && p.rows == 3),
        "{pages:?}"
    );
}
