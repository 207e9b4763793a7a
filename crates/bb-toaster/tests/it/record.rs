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

/// Packages (`SinglePackageInfo`) and an image (`ImagePkgList`, its tree and image
/// files) as Toaster's buildinfohelper stores them.
#[test]
fn packages_and_an_image() {
    use bb_toaster::model::{InodeType, PackageDependencyType as Dep};
    use bb_toaster::{ImageFile, ImageRow, InstalledPackage, PackageRow};
    let (_tmp, path) = temp_db();
    let rec = Recorder::start(&path, start()).expect("records");
    rec.dep_tree(super::tree());
    let pkg = |recipe: &str, name: &str, deps: Vec<(Dep, &str)>| PackageRow {
        recipe: format!("/l/recipes/{recipe}_1.0.bb"),
        name: name.into(),
        installed_name: if name == "libhello" {
            "libhello1".into()
        } else {
            name.into()
        },
        version: "1.0".into(),
        revision: "r0".into(),
        license: "MIT".into(),
        size: 100,
        files: vec![(format!("/usr/bin/{name}"), 100)],
        deps: deps.into_iter().map(|(k, n)| (k, n.to_owned())).collect(),
        ..PackageRow::default()
    };
    let lib = pkg("libhello", "libhello", vec![(Dep::Rdepends, "libc6")]);
    let say = pkg(
        "sayhello",
        "sayhello",
        vec![
            (Dep::Rdepends, "libhello"),
            (Dep::Rrecommends, "sayhello-doc"),
        ],
    );
    rec.packages(vec![lib.clone()]);
    rec.packages(vec![say.clone()]);
    let f = |path: &str, inode: InodeType, link: Option<&str>| ImageFile {
        path: path.into(),
        size: 7,
        inode: Some(inode),
        permission: "rwxr-xr-x".into(),
        owner: "root".into(),
        group: "root".into(),
        link: link.map(str::to_owned),
    };
    rec.image(ImageRow {
        target: "sayhello".into(),
        installed: vec![
            InstalledPackage {
                package: lib,
                installed_size: 4096,
                depends: vec![],
            },
            InstalledPackage {
                package: say,
                installed_size: 8192,
                depends: vec![("libhello1".into(), false), ("not-installed".into(), true)],
            },
        ],
        files: vec![
            f("/usr/bin/sayhello", InodeType::Regular, None),
            f("/usr", InodeType::Directory, None),
            f("/usr/bin", InodeType::Directory, None),
            f("/usr/bin/hi", InodeType::Symlink, Some("../bin/sayhello")),
            f("/usr/bin/gone", InodeType::Symlink, Some("/nowhere")),
        ],
        image_files: vec![("/deploy/x.rootfs.tar.gz".into(), 1234)],
        package_manifest: Some("/deploy/x.rootfs.manifest".into()),
    });
    rec.event(&BuildEvent::BuildFinished {
        outcome: Outcome::Succeeded,
        ran: 0,
        skipped: 0,
        failed: 0,
        not_run: 0,
    });
    let id = rec.finish().expect("finishes");
    let conn = bb_toaster::db::open(&path).expect("opens");
    // Built packages with their recipe; a dependency on a package not built is a
    // package of size -1 (Toaster's placeholder).
    assert_eq!(
        rows(
            &conn,
            "SELECT p.name, p.installed_name, coalesce(r.name, ''), p.version, p.revision, p.size, p.installed_size FROM orm_package p LEFT JOIN orm_recipe r ON r.id = p.recipe_id WHERE p.build_id = ?1 ORDER BY p.name",
            [id]
        ),
        [
            "libc6|||||-1|0",
            "libhello|libhello1|libhello|1.0|r0|100|4096",
            "sayhello|sayhello|sayhello|1.0|r0|100|8192",
            "sayhello-doc|||||-1|0",
        ]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT p.name, d.name, x.dep_type, x.target_id IS NOT NULL FROM orm_package_dependency x JOIN orm_package p ON p.id = x.package_id JOIN orm_package d ON d.id = x.depends_on_id WHERE p.build_id = ?1 ORDER BY 1, 2, 3",
            [id]
        ),
        [
            "libhello|libc6|0|0",
            "sayhello|libhello|0|0",
            // TRDEPENDS inside the image; the recommends of a package not installed is
            // left out.
            "sayhello|libhello|1|1",
            "sayhello|sayhello-doc|2|0",
        ]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT f.path, f.size FROM orm_package_file f JOIN orm_package p ON p.id = f.package_id WHERE p.build_id = ?1 ORDER BY 1",
            [id]
        ),
        ["/usr/bin/libhello|100", "/usr/bin/sayhello|100"]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT t.is_image, t.package_manifest_path, p.name FROM orm_target t JOIN orm_target_installed_package i ON i.target_id = t.id JOIN orm_package p ON p.id = i.package_id WHERE t.build_id = ?1 ORDER BY 3",
            [id]
        ),
        [
            "1|/deploy/x.rootfs.manifest|libhello",
            "1|/deploy/x.rootfs.manifest|sayhello"
        ]
    );
    // The tree: the root first, each entry under its directory, links to what they
    // point at when it is in the image.
    assert_eq!(
        rows(
            &conn,
            "SELECT f.path, f.inodetype, f.permission, coalesce(d.path, 'NULL'), coalesce(s.path, 'NULL') FROM orm_target_file f JOIN orm_target t ON t.id = f.target_id LEFT JOIN orm_target_file d ON d.id = f.directory_id LEFT JOIN orm_target_file s ON s.id = f.sym_target_id WHERE t.build_id = ?1 ORDER BY f.id",
            [id]
        ),
        [
            "/|2||NULL|NULL",
            "/usr|2|rwxr-xr-x|/|NULL",
            "/usr/bin|2|rwxr-xr-x|/usr|NULL",
            "/usr/bin/sayhello|1|rwxr-xr-x|/usr/bin|NULL",
            "/usr/bin/hi|3|rwxr-xr-x|/usr/bin|/usr/bin/sayhello",
            "/usr/bin/gone|3|rwxr-xr-x|/usr/bin|NULL",
        ]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT f.file_name, f.file_size FROM orm_target_image_file f JOIN orm_target t ON t.id = f.target_id WHERE t.build_id = ?1",
            [id]
        ),
        ["/deploy/x.rootfs.tar.gz|1234"]
    );
    assert!(bb_toaster::db::check(&conn).expect("checks").is_empty());
}
