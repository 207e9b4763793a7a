//! What a recorded build looks like in the database.

use bb_runqueue::events::BuildEvent;
use bb_toaster::Recorder;

use super::{events, record, rows, start, task, temp_db};

#[test]
fn tasks_and_their_outcomes_match_the_events() {
    let (_tmp, path) = temp_db();
    let id = record(&path);
    let conn = bb_toaster::db::open(&path).expect("opens");
    // Toaster's values: 3 Prebuilt (up to date), 0 Succeeded, 5 Empty (noexec),
    // 4 Failed, -1 Not Available (never run).
    assert_eq!(
        rows(
            &conn,
            "SELECT r.name, t.task_name, t.outcome, t.task_executed, coalesce(t.\"order\", ''), t.script_type, t.sstate_result \
             FROM orm_task t JOIN orm_recipe r ON t.recipe_id = r.id WHERE t.build_id = ?1 ORDER BY t.id",
            [id]
        ),
        [
            "libhello|do_fetch|3|0||0|0",
            "libhello|do_compile|0|1|2|3|0",
            "libhello|do_install|5|0|3|0|0",
            "sayhello|do_compile|4|1|4|3|0",
            "sayhello|do_install|-1|0||0|0",
        ]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT elapsed_time, cpu_time_user, cpu_time_system, disk_io_read, disk_io_write, disk_io, logfile, started <= ended \
             FROM orm_task WHERE build_id = ?1 AND task_name = 'do_compile' ORDER BY id",
            [id]
        ),
        [
            "1.5|0.5|0.25|4096|8192|12288|/t/log.do_compile.1|1",
            "1.5|0.5|0.25|4096|8192|12288|/t2/log.do_compile.1|1",
        ]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT b.outcome, p.name, b.machine, b.distro, b.started_on <= b.completed_on FROM orm_build b JOIN orm_project p ON b.project_id = p.id WHERE b.id = ?1",
            [id]
        ),
        ["1|Command line builds|qemux86-64|bake|1"]
    );
}

#[test]
fn a_failing_task_keeps_its_log_and_error_message() {
    let (_tmp, path) = temp_db();
    let id = record(&path);
    let conn = bb_toaster::db::open(&path).expect("opens");
    assert_eq!(
        rows(
            &conn,
            "SELECT message, logfile FROM orm_task WHERE build_id = ?1 AND outcome = 4",
            [id]
        ),
        ["Execution of '/t2/run.do_compile.1' failed with exit code 1|/t2/log.do_compile.1"]
    );
    let msgs = rows(
        &conn,
        "SELECT m.level, m.message, m.pathname, coalesce(t.task_name, '') FROM orm_logmessage m LEFT JOIN orm_task t ON m.task_id = t.id WHERE m.build_id = ?1 ORDER BY m.id",
        [id],
    );
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(
        msgs[0],
        "1|libhello do_compile: libhello: unused variable|/l/recipes/libhello_1.0.bb|do_compile"
    );
    assert_eq!(
        msgs[1],
        "2|sayhello do_compile: Execution of '/t2/run.do_compile.1' failed with exit code 1\ncc: error: hello.c: no such file|/t2/log.do_compile.1|do_compile"
    );
}

#[test]
fn variable_history_points_at_files_and_lines() {
    let (_tmp, path) = temp_db();
    let id = record(&path);
    let conn = bb_toaster::db::open(&path).expect("opens");
    assert_eq!(
        rows(
            &conn,
            "SELECT v.variable_name, v.variable_value, h.file_name, h.line_number, h.operation, h.value \
             FROM orm_variable v JOIN orm_variablehistory h ON h.variable_id = v.id WHERE v.build_id = ?1 ORDER BY h.id",
            [id]
        ),
        [
            "MACHINE|qemux86-64|/l/conf/layer.conf|7|set?|host",
            "MACHINE|qemux86-64|/b/conf/local.conf|3|set|qemux86-64",
            "CFLAGS|-O2 -g|/b/conf/local.conf|4|set|-O2",
            "CFLAGS|-O2 -g|/b/conf/local.conf|5|:append| -g",
        ]
    );
}

#[test]
fn targets_layers_and_recipes_are_recorded_with_the_build() {
    let (_tmp, path) = temp_db();
    let first = record(&path);
    let second = record(&path);
    let conn = bb_toaster::db::open(&path).expect("opens");
    assert_eq!(
        rows(
            &conn,
            "SELECT target, task FROM orm_target WHERE build_id = ?1",
            [first]
        ),
        ["sayhello|"]
    );
    // One layer, one snapshot (layer version) per build.
    assert_eq!(
        rows(&conn, "SELECT name, local_source_dir FROM orm_layer", []),
        ["hello|/l"]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT lv.build_id, lv.layer_source, lv.priority, lv.local_path, p.name FROM orm_layer_version lv JOIN orm_project p ON lv.project_id = p.id ORDER BY lv.id",
            []
        ),
        [
            format!("{first}|3|5|/l|Command line builds"),
            format!("{second}|3|5|/l|Command line builds")
        ]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT r.name, r.version, r.file_path, d.name FROM orm_recipe_dependency x \
             JOIN orm_recipe r ON x.recipe_id = r.id JOIN orm_recipe d ON x.depends_on_id = d.id \
             JOIN orm_layer_version lv ON r.layer_version_id = lv.id WHERE lv.build_id = ?1",
            [first]
        ),
        ["sayhello|1.0-r0|recipes/sayhello_1.0.bb|libhello"]
    );
}

#[test]
fn a_task_of_an_unlisted_recipe_goes_to_the_unidentified_layer() {
    let (_tmp, path) = temp_db();
    let rec = Recorder::start(&path, start()).expect("records");
    let mut t = task(9, "stray", "do_compile");
    t.fn_name = "/elsewhere/stray.bb".into();
    rec.event(&BuildEvent::TaskStarted {
        task: t.clone(),
        number: 1,
        total: 1,
        log: String::new(),
        noexec: false,
    });
    let id = rec.finish().expect("finishes");
    let conn = bb_toaster::db::open(&path).expect("opens");
    assert_eq!(
        rows(
            &conn,
            "SELECT r.name, l.name, lv.build_id FROM orm_task t JOIN orm_recipe r ON t.recipe_id = r.id \
             JOIN orm_layer_version lv ON r.layer_version_id = lv.id JOIN orm_layer l ON lv.layer_id = l.id WHERE t.build_id = ?1",
            [id]
        ),
        [format!("stray|Unidentified layer|{id}")]
    );
    // No BuildFinished came: the build is recorded as failed, not left in progress.
    assert_eq!(
        rows(&conn, "SELECT outcome FROM orm_build WHERE id = ?1", [id]),
        ["1"]
    );
}

#[test]
fn a_dropped_recorder_leaves_a_finished_build() {
    let (_tmp, path) = temp_db();
    let rec = Recorder::start(&path, start()).expect("records");
    let id = rec.build_id();
    rec.event(&events()[1]);
    drop(rec);
    let conn = bb_toaster::db::open(&path).expect("opens");
    assert_eq!(
        rows(&conn, "SELECT outcome FROM orm_build WHERE id = ?1", [id]),
        ["1"]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT count(*) FROM orm_task WHERE build_id = ?1",
            [id]
        ),
        ["1"]
    );
}

#[test]
fn a_live_recording_is_not_recovered_but_a_dead_one_is_and_the_next_build_does_it() {
    let (_tmp, path) = temp_db();
    let rec = Recorder::start(&path, start()).expect("records");
    let live = rec.build_id();
    let conn = bb_toaster::db::open(&path).expect("opens");
    // The recorder is this process and alive: not stale.
    assert!(
        bb_toaster::manage::fail_stale_builds(&conn)
            .expect("recovers")
            .is_empty()
    );
    // A build whose recorder was a process that is gone.
    conn.execute(
        "INSERT INTO orm_build (project_id, started_on, completed_on, outcome, recorder_pid) SELECT project_id, started_on, completed_on, 2, 999999999 FROM orm_build WHERE id = ?1",
        [live],
    )
    .expect("a dead recording");
    let dead = conn.last_insert_rowid();
    // A build whose pid was reused by another process (a start time that does not match).
    conn.execute(
        "INSERT INTO orm_build (project_id, started_on, completed_on, outcome, recorder_pid, recorder_started) SELECT project_id, started_on, completed_on, 2, 1, -5 FROM orm_build WHERE id = ?1",
        [live],
    )
    .expect("a reused pid");
    let reused = conn.last_insert_rowid();
    let next = Recorder::start(&path, start()).expect("the next build");
    assert_eq!(
        rows(&conn, "SELECT id, outcome FROM orm_build ORDER BY id", []),
        [
            format!("{live}|2"),
            format!("{dead}|1"),
            format!("{reused}|1"),
            format!("{}|2", next.build_id())
        ]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT count(*) FROM orm_logmessage WHERE build_id = ?1 AND level = 2",
            [dead]
        ),
        ["1"]
    );
    next.finish().expect("finishes");
    rec.finish().expect("finishes");
}
