//! What a recorded build looks like in the database.

use bb_events::{BuildEvent, Outcome};
use bb_toaster::Recorder;
use bb_toaster::model::LogLevel;

use super::{events, record, rows, start, task, temp_db};

#[test]
fn tasks_and_their_outcomes_match_the_events() {
    let (_tmp, path) = temp_db();
    let id = record(&path);
    let conn = bb_toaster::db::open(&path).expect("opens");
    // Every task of the tree has a row from the start. Toaster's values: 3 Prebuilt (up
    // to date), 0 Succeeded, 5 Empty (noexec), 4 Failed, -1 Not Available (never run);
    // the order counts started and skipped tasks; script type 3 shell, 0 nothing ran;
    // the hash is recorded once a task is reached.
    assert_eq!(
        rows(
            &conn,
            "SELECT r.name, t.task_name, t.outcome, t.task_executed, coalesce(t.\"order\", ''), t.script_type, t.sstate_result, t.sstate_checksum \
             FROM orm_task t JOIN orm_recipe r ON t.recipe_id = r.id WHERE t.build_id = ?1 ORDER BY t.id",
            [id]
        ),
        [
            "libhello|do_fetch|3|0|1|0|0|hash-libhello-do_fetch",
            "libhello|do_compile|0|1|2|3|0|hash-libhello-do_compile",
            "libhello|do_install|5|0|3|0|0|hash-libhello-do_install",
            "sayhello|do_compile|4|1|4|3|0|hash-sayhello-do_compile",
            "sayhello|do_install|-1|0||0|0|",
        ]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT elapsed_time, cpu_time_user, cpu_time_system, disk_io_read, disk_io_write, disk_io, logfile, started <= ended, message \
             FROM orm_task WHERE build_id = ?1 AND task_name = 'do_compile' ORDER BY id",
            [id]
        ),
        [
            "1.5|0.5|0.25|4096|8192|12288|/t/log.do_compile.1|1|recipe libhello-1.0-r0: task do_compile: Succeeded",
            "1.5|0.5|0.25|4096|8192|12288|/t2/log.do_compile.1|1|recipe sayhello-1.0-r0: task do_compile: Failed",
        ]
    );
    // Task_Dependency edges of the tree.
    assert_eq!(
        rows(
            &conn,
            "SELECT a.task_name || '<-' || b.task_name FROM orm_task_dependency d JOIN orm_task a ON d.task_id = a.id \
             JOIN orm_task b ON d.depends_on_id = b.id WHERE a.build_id = ?1 ORDER BY d.id",
            [id]
        ),
        [
            "do_compile<-do_fetch",
            "do_install<-do_compile",
            "do_compile<-do_install",
            "do_install<-do_compile"
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
fn a_python_task_is_recorded_as_python_when_it_runs() {
    let (_tmp, path) = temp_db();
    let rec = Recorder::start(&path, start()).expect("records");
    rec.dep_tree(super::tree());
    rec.event(&BuildEvent::TaskStarted {
        task: task(0, "libhello", "do_fetch"),
        number: 1,
        total: 5,
        log: "/t/log.do_fetch.1".into(),
        noexec: false,
    });
    let id = rec.finish().expect("finishes");
    let conn = bb_toaster::db::open(&path).expect("opens");
    assert_eq!(
        rows(
            &conn,
            "SELECT script_type, message FROM orm_task WHERE build_id = ?1 AND task_name = 'do_fetch'",
            [id]
        ),
        ["2|recipe libhello-1.0-r0: task do_fetch: Started"]
    );
}

#[test]
fn log_messages_keep_warnings_and_errors_and_an_error_fails_the_build() {
    let (_tmp, path) = temp_db();
    let rec = Recorder::start(&path, start()).expect("records");
    rec.log(LogLevel::Info, "dropped, as Toaster drops notes", "", None);
    rec.log(
        LogLevel::Warn,
        "libhello do_compile: unused variable",
        "",
        None,
    );
    rec.logger().log(
        LogLevel::Error,
        "Nothing PROVIDES 'nope'",
        "/l/x.bb",
        Some(3),
    );
    rec.event(&BuildEvent::BuildFinished {
        outcome: Outcome::Succeeded,
        ran: 0,
        skipped: 0,
        failed: 0,
        not_run: 0,
    });
    let id = rec.finish().expect("finishes");
    let conn = bb_toaster::db::open(&path).expect("opens");
    assert_eq!(
        rows(
            &conn,
            "SELECT level, message, pathname, coalesce(lineno, '') FROM orm_logmessage WHERE build_id = ?1 ORDER BY id",
            [id]
        ),
        [
            "1|libhello do_compile: unused variable||",
            "2|Nothing PROVIDES 'nope'|/l/x.bb|3"
        ]
    );
    // Toaster: any error makes the build failed.
    assert_eq!(
        rows(&conn, "SELECT outcome FROM orm_build WHERE id = ?1", [id]),
        ["1"]
    );
}

#[test]
fn variables_are_stored_as_toaster_stores_them() {
    let (_tmp, path) = temp_db();
    let id = record(&path);
    let conn = bb_toaster::db::open(&path).expect("opens");
    // File names relative to their layer, keeping the layer directory's name; files
    // outside every layer (the build directory's) stay absolute; documentation.conf
    // entries dropped; functions not stored.
    assert_eq!(
        rows(
            &conn,
            "SELECT v.variable_name, v.variable_value, h.file_name, h.line_number, h.operation, h.value \
             FROM orm_variable v JOIN orm_variablehistory h ON h.variable_id = v.id WHERE v.build_id = ?1 ORDER BY h.id",
            [id]
        ),
        [
            "MACHINE|qemux86-64|l/conf/layer.conf|7|set?|host",
            "MACHINE|qemux86-64|/b/conf/local.conf|3|set|qemux86-64",
            "CFLAGS|-O2 -g|/b/conf/local.conf|4|set|-O2",
            "CFLAGS|-O2 -g|/b/conf/local.conf|5|:append| -g",
        ]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT variable_name, description FROM orm_variable WHERE build_id = ?1 ORDER BY id",
            [id]
        ),
        [
            "MACHINE|",
            "CFLAGS|Flags for the C compiler",
            "CFLAGS_native|Flags for the C compiler"
        ]
    );
    // Help texts: every documented key, functions included.
    assert_eq!(
        rows(
            &conn,
            "SELECT area, key, text FROM orm_helptext WHERE build_id = ?1 ORDER BY id",
            [id]
        ),
        [
            "0|CFLAGS|Flags for the C compiler",
            "0|CFLAGS_native|Flags for the C compiler",
            "0|do_compile|Compiles the source"
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
            "SELECT target, task, is_image FROM orm_target WHERE build_id = ?1",
            [first]
        ),
        ["sayhello||0"]
    );
    // One layer (not a git checkout: identified by its directory), one snapshot (layer
    // version) per build.
    assert_eq!(
        rows(
            &conn,
            "SELECT name, local_source_dir, layer_index_url FROM orm_layer",
            []
        ),
        ["hello|/l|http://layers.openembedded.org/layerindex/layer/hello/"]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT lv.build_id, lv.layer_source, lv.priority, lv.local_path, p.name FROM orm_layer_version lv JOIN orm_project p ON lv.project_id = p.id ORDER BY lv.id",
            []
        ),
        [
            format!("{first}|0|5|/l|Command line builds"),
            format!("{second}|0|5|/l|Command line builds")
        ]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT r.name, r.version, r.file_path, r.pathflags, r.license, r.summary FROM orm_recipe r \
             JOIN orm_layer_version lv ON r.layer_version_id = lv.id WHERE lv.build_id = ?1 ORDER BY r.id",
            [first]
        ),
        [
            "libhello|1.0-r0|recipes/libhello_1.0.bb||MIT|libhello summary",
            "sayhello|1.0-r0|recipes/sayhello_1.0.bb||MIT|sayhello summary"
        ]
    );
    // DEPENDS: directly by PN, and through Provides for another name.
    assert_eq!(
        rows(
            &conn,
            "SELECT r.name, d.name, coalesce(p.name, '') FROM orm_recipe_dependency x \
             JOIN orm_recipe r ON x.recipe_id = r.id JOIN orm_recipe d ON x.depends_on_id = d.id \
             LEFT JOIN orm_provides p ON x.via_id = p.id \
             JOIN orm_layer_version lv ON r.layer_version_id = lv.id WHERE lv.build_id = ?1 ORDER BY x.id",
            [first]
        ),
        ["sayhello|libhello|", "sayhello|libhello|virtual/hello"]
    );
}

#[test]
fn a_build_that_never_starts_running_has_no_variables_or_layers() {
    let (_tmp, path) = temp_db();
    let rec = Recorder::start(&path, start()).expect("records");
    rec.log(LogLevel::Error, "Nothing PROVIDES 'nope'", "", None);
    let id = rec.finish().expect("finishes");
    let conn = bb_toaster::db::open(&path).expect("opens");
    assert_eq!(
        rows(
            &conn,
            "SELECT b.outcome, (SELECT count(*) FROM orm_variable v WHERE v.build_id = b.id), \
             (SELECT count(*) FROM orm_layer_version lv WHERE lv.build_id = b.id), \
             (SELECT group_concat(target) FROM orm_target t WHERE t.build_id = b.id) FROM orm_build b WHERE b.id = ?1",
            [id]
        ),
        ["1|0|0|sayhello"]
    );
}

#[test]
fn an_image_recipe_marks_its_target_an_image() {
    let (_tmp, path) = temp_db();
    let rec = Recorder::start(&path, start()).expect("records");
    let mut tree = super::tree();
    tree.recipes[1]
        .inherits
        .push("/l/classes/image.bbclass".into());
    tree.recipes[1].fn_name = "virtual:native:/l/recipes/sayhello_1.0.bb".into();
    rec.dep_tree(tree);
    let id = rec.finish().expect("finishes");
    let conn = bb_toaster::db::open(&path).expect("opens");
    assert_eq!(
        rows(
            &conn,
            "SELECT target, is_image FROM orm_target WHERE build_id = ?1",
            [id]
        ),
        ["sayhello|1"]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT r.name, r.is_image, r.pathflags FROM orm_recipe r JOIN orm_layer_version lv ON r.layer_version_id = lv.id WHERE lv.build_id = ?1 AND r.is_image",
            [id]
        ),
        ["sayhello|1|native:virtual"]
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
