//! bb-runqueue pieces on small hand-made inputs: run scripts, stamps, events, and
//! builds of hand-made graphs (`build.rs`: what tasks are measured to use).
#![expect(
    clippy::disallowed_methods,
    reason = "test inputs are written directly"
)]

mod build;

use bb_data::DataStore;

fn recipe() -> DataStore {
    let mut d = DataStore::new();
    d.set_var("PN", "demo");
    d.set_var("CC", "gcc");
    d.set_var_flag("CC", "export", "1");
    d.set_var("HIDDEN", "not exported");
    d.set_var("QUOTED", "say \"hi\" for $5");
    d.set_var_flag("QUOTED", "export", "1");
    d.set_var("do_compile", "\thelper one\n\techo ${PN}\n");
    d.set_var_flag("do_compile", "func", "1");
    d.set_var("helper", "\techo helper \"$@\"\n");
    d.set_var_flag("helper", "func", "1");
    d.set_var("unused", "\techo never\n");
    d.set_var_flag("unused", "func", "1");
    d.set_var("DROPPED", "x");
    d.set_var_flag("DROPPED", "unexport", "1");
    d.set_var("TICKS", "a `b`");
    d.set_var_flag("TICKS", "export", "1");
    d.set_var_flag("do_compile", "umask", "022");
    d
}

#[test]
fn run_scripts_hold_exports_called_functions_and_the_working_directory() {
    let d = recipe();
    let s = bb_runqueue::exec::run_script_text(
        &d,
        "do_compile",
        "do_compile",
        Some(std::path::Path::new("/b")),
        "abc",
    )
    .expect("script");
    assert!(s.starts_with("#!/bin/sh\n"), "{s}");
    assert!(s.contains("set -e"), "{s}");
    assert!(
        s.contains("trap 'bb_sh_exit_handler' 0"),
        "the exit trap reports failures: {s}"
    );
    assert!(s.contains("unset DROPPED\n"), "{s}");
    assert!(s.contains("export TICKS=\"a \\`b\\`\"\n"), "{s}");
    assert!(s.contains("export CC=\"gcc\"\n"), "{s}");
    assert!(
        s.contains("export QUOTED=\"say \\\"hi\\\" for \\$5\"\n"),
        "{s}"
    );
    assert!(!s.contains("HIDDEN"), "{s}");
    assert!(
        s.contains("helper() {"),
        "called functions are emitted: {s}"
    );
    assert!(!s.contains("unused()"), "{s}");
    assert!(s.contains("echo demo"), "bodies are expanded: {s}");
    assert!(
        s.contains("umask 022\ncd '/b'\ndo_compile\n\n# cleanup\nret=$?\ntrap '' 0\nexit $ret\n"),
        "{s}"
    );
    // The task first, then what it calls, each after its origin comment.
    let task_at = s.find("do_compile() {").expect("the task is emitted");
    let helper_at = s.find("helper() {").expect("the helper is emitted");
    assert!(task_at < helper_at, "{s}");
    assert!(
        s.contains("# line: None, file: None\ndo_compile() {"),
        "{s}"
    );
    assert!(s.contains("export BB_TASKHASH=\"abc\""), "{s}");
}

#[test]
fn a_new_stamp_replaces_the_task_s_old_stamps_but_not_taints_or_sigdata() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let base = tmp.path().join("stamps/demo/1.0-r0");
    let dir = tmp.path().join("stamps/demo");
    std::fs::create_dir_all(&dir).expect("dir");
    for name in [
        "1.0-r0.do_compile.old",
        "1.0-r0.do_compile.taint",
        "1.0-r0.do_compile.sigdata.old",
        "1.0-r0.do_install.keep",
    ] {
        std::fs::write(dir.join(name), "").expect("write");
    }
    let plan = bb_runqueue::hashes::TaskPlan {
        pn: "demo".into(),
        basehash: "b".into(),
        taskhash: "new".into(),
        unihash: "new".into(),
        stamp: Some(std::path::PathBuf::from(format!(
            "{}.do_compile.new",
            base.display()
        ))),
        noexec: false,
        up_to_date: false,
        tainted: false,
        sigdata_path: None,
        taint: None,
        file_checksums: Vec::new(),
        hash_deps: None,
    };
    bb_runqueue::hashes::write_stamp(&plan, "do_compile").expect("stamp");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "1.0-r0.do_compile.new",
            "1.0-r0.do_compile.sigdata.old",
            "1.0-r0.do_compile.taint",
            "1.0-r0.do_install.keep"
        ]
    );
}
