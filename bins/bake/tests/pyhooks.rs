//! The metadata's own Python shared-state hooks (`testdata/pyhooks`): its
//! BB_HASHCHECK_FUNCTION and BB_SETSCENE_DEPVALID are called with BitBake's arguments
//! and their answers decide what is restored; `bb.parse.siggen.report_unihash` in a
//! task reaches the hash equivalence server bake starts (BB_HASHSERVE = "auto"), and an
//! equivalent output stops the rebuild there; `bb.siggen.dump_this_task` writes the
//! siginfo. Each test works on its own copy.
#![cfg(feature = "python")]
#![expect(
    clippy::disallowed_methods,
    reason = "test inputs are written directly"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pyhooks-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/pyhooks");
    bb_util::fs::copy_tree(&src, &dir, &["tmp", "cache", "sstate-cache"])
        .expect("invariant: the fixture copies");
    dir
}

fn run(dir: &Path, args: &[&str]) -> (Output, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_bake"))
        .args(args)
        .current_dir(dir)
        .env("BAKE_NO_PROGRESS", "1")
        .env_remove("BBPATH")
        .output()
        .expect("invariant: bake runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o, text)
}

fn bake(dir: &Path, args: &[&str]) -> (Output, String) {
    let (o, text) = run(dir, args);
    assert!(o.status.success(), "bake {args:?} failed:\n{text}");
    (o, text)
}

fn append_conf(dir: &Path, line: &str) {
    let conf = dir.join("meta-hooks/conf/bitbake.conf");
    let text = std::fs::read_to_string(&conf).expect("invariant: conf");
    std::fs::write(&conf, format!("{text}{line}\n")).expect("invariant: conf written");
}

/// The calls the hooks logged since the log was last taken (and empties it).
fn take_log(dir: &Path) -> Vec<Value> {
    let path = dir.join("hooks.log");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    text.lines()
        .map(|l| serde_json::from_str(l).expect("invariant: the hooks log JSON"))
        .collect()
}

fn calls<'a>(log: &'a [Value], call: &str) -> Vec<&'a Value> {
    log.iter().filter(|v| v["call"] == call).collect()
}

/// `PN do_task` of each "Running [setscene |noexec ]task" line.
fn ran(text: &str, kind: &str) -> Vec<String> {
    let prefix = format!("NOTE: Running {kind}task ");
    text.lines()
        .filter_map(|l| l.strip_prefix(prefix.as_str()))
        .filter_map(|l| {
            let inner = l.split_once('(')?.1.strip_suffix(')')?;
            let (file, task) = inner.rsplit_once(':')?;
            let pn = file.rsplit('/').next()?.split('_').next()?;
            Some(format!("{pn} {task}"))
        })
        .collect()
}

#[test]
fn metadata_hash_check_and_depvalid_decide_the_restore() {
    let dir = fixture("restore");
    let (_, text) = bake(&dir, &["app"]);
    assert!(
        text.contains("Initialising tasks...Hooks summary: wanted 2 found 0 current 0\n"),
        "{text}"
    );
    let log = take_log(&dir);
    let check = calls(&log, "checkhashes");
    assert_eq!(check.len(), 1, "{log:?}");
    let c = check[0];
    assert_eq!(
        c["tids"],
        serde_json::json!(["app_1.0.bb:do_install", "tool_1.0.bb:do_install"])
    );
    assert_eq!(
        c["hashfn"],
        serde_json::json!([
            "False hooks:app: hooks:app:sw",
            "False hooks:tool: hooks:tool:sw"
        ])
    );
    assert_eq!(c["hashes"], serde_json::json!([64]));
    assert_eq!(c["currentcount"], 0);
    assert_eq!(c["summary"], true);
    assert_eq!(c["siginfo"], false);
    assert_eq!(
        ran(&text, ""),
        ["tool do_install", "app do_install"],
        "{text}"
    );

    // Objects named by unihash, each with the siginfo dump_this_task wrote.
    let reports = calls(&log, "report");
    assert_eq!(reports.len(), 2, "{log:?}");
    for r in &reports {
        let (pn, unihash) = (
            r["pn"].as_str().unwrap_or(""),
            r["after"].as_str().unwrap_or(""),
        );
        let obj = dir.join(format!("sstate-cache/hooks-{pn}-{unihash}.txt"));
        assert!(obj.exists(), "{}", obj.display());
        let sig = bb_siggen::read_sigdata(&PathBuf::from(format!("{}.siginfo", obj.display())))
            .expect("invariant: the siginfo reads back");
        assert_eq!(sig.task, "do_install");
        assert_eq!(sig.taskhash.as_deref(), r["taskhash"].as_str());
        assert!(
            sig.varvals.contains_key("do_install"),
            "{:?}",
            sig.varvals.keys()
        );
        // As BitBake's siginfo: the dependencies' unihashes the hash was made of.
        let deps = sig.runtaskdeps.clone().unwrap_or_default();
        if pn == "app" {
            assert!(deps.iter().any(|t| t == "tool:do_install"), "{deps:?}");
            let hashes = sig.runtaskhashes.clone().unwrap_or_default();
            assert_eq!(hashes.len(), deps.len(), "{hashes:?}");
            assert!(hashes.values().all(|h| h.len() == 64), "{hashes:?}");
        }
        assert!(sig.runtaskdeps.is_some() && sig.file_checksum_values.is_some());
        assert!(sig.unihash.is_some());
    }

    // The outputs were reported to bake's server (BB_HASHSERVE = "auto").
    let db = rusqlite::Connection::open(dir.join("cache/hashserv.db")).expect("invariant: db");
    let mut rows: Vec<(String, String)> = db
        .prepare("SELECT method, taskhash FROM outhashes_v2 ORDER BY taskhash")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()
        })
        .expect("invariant: the server's table");
    rows.sort();
    let mut want: Vec<(String, String)> = reports
        .iter()
        .map(|r| {
            (
                "hooks_outhash".to_owned(),
                r["taskhash"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    want.sort();
    assert_eq!(rows, want);

    // A fresh TMPDIR: both objects found; the hook says the tool's setscene task is
    // not needed by the restored app, so only app's runs.
    std::fs::remove_dir_all(dir.join("tmp")).expect("invariant: rm tmp");
    let (_, text) = bake(&dir, &["app"]);
    assert!(
        text.contains("Initialising tasks...Hooks summary: wanted 2 found 2 current 0\n"),
        "{text}"
    );
    assert_eq!(ran(&text, ""), Vec::<String>::new(), "{text}");
    assert_eq!(
        ran(&text, "setscene "),
        ["app do_install_setscene"],
        "{text}"
    );
    let log = take_log(&dir);
    let dv = calls(&log, "depvalid");
    assert_eq!(dv.len(), 1, "{log:?}");
    assert_eq!(dv[0]["task"], "tool_1.0.bb:do_install");
    assert_eq!(
        dv[0]["taskdependees"],
        serde_json::json!([
            ["app", "do_install", "app_1.0.bb"],
            ["tool", "do_install", "tool_1.0.bb"]
        ])
    );
    assert!(dir.join("tmp/out/app.txt").exists());
    assert!(!dir.join("tmp/out/tool.txt").exists());
}

#[test]
fn reported_equivalent_output_stops_the_rebuild() {
    let dir = fixture("equiv");
    bake(&dir, &["app"]);
    let first = take_log(&dir);
    let tool_unihash = calls(&first, "report")
        .iter()
        .find(|r| r["pn"] == "tool")
        .and_then(|r| r["after"].as_str().map(str::to_owned))
        .expect("invariant: tool reported");

    // A change of what do_install reads but not of what it makes.
    append_conf(&dir, "HOOKS_NOTE:tool = \"second\"");
    let (_, text) = bake(&dir, &["app"]);
    assert_eq!(ran(&text, ""), ["tool do_install"], "{text}");
    let log = take_log(&dir);
    let reports = calls(&log, "report");
    assert_eq!(reports.len(), 1, "{log:?}");
    let r = reports[0];
    assert_ne!(r["taskhash"].as_str(), Some(tool_unihash.as_str()));
    assert_eq!(r["before"], r["taskhash"]);
    // The server gives the new task hash the first build's unihash, BB_UNIHASH takes
    // it, and app's hash (made of it) is unchanged: app does not run.
    assert_eq!(r["after"].as_str(), Some(tool_unihash.as_str()));
}

#[test]
fn a_failing_hash_check_stops_the_build() {
    let dir = fixture("broken");
    // An override: base.bbclass sets the variable after this file.
    append_conf(&dir, "BB_HASHCHECK_FUNCTION:hooks = \"hooks_missing\"");
    let (o, text) = run(&dir, &["app"]);
    assert!(!o.status.success(), "{text}");
    assert!(
        text.contains("BB_HASHCHECK_FUNCTION function hooks_missing failed: NameError: name 'hooks_missing' is not defined"),
        "{text}"
    );
    assert!(!text.contains("Running task"), "{text}");
}
