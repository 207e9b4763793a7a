//! What `bake` records for Toaster, compared with what real Toaster records for the same
//! builds (`bitbake -u toasterui`, with `testdata/toaster/gen-expected.sh`): the example
//! of `testdata/build-hello` built from scratch, again with nothing to do, for a target
//! that has no provider, with a task that warns and fails, and again from shared state
//! into an empty TMPDIR. Each query of
//! `testdata/toaster/queries.sql` is run on bake's database and its rows compared with
//! real Toaster's (`testdata/toaster/expected/*.txt`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "support/tree.rs"]
mod tree;

use tree::append;

fn data() -> PathBuf {
    tree::repo().join("testdata/toaster")
}

fn bake(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bake"))
        .args(args)
        .current_dir(dir)
        // As a shell that changed to `dir` would have it.
        .env("PWD", dir)
        .env("BAKE_NO_PROGRESS", "1")
        .env_remove("BBPATH")
        .env_remove("TOASTER_DIR")
        .output()
        .expect("invariant: bake runs")
}

/// A copy of the example with the configuration the oracle used.
fn example(name: &str) -> PathBuf {
    let dir = tree::hello_copy_in(&Path::new(env!("CARGO_TARGET_TMPDIR")).join(name));
    let extra = std::fs::read_to_string(data().join("local.conf.append")).expect("readable");
    append(&dir.join("conf/local.conf"), &extra);
    dir
}

/// The sections of `queries.sql`: (name, SQL).
fn queries() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(data().join("queries.sql")).expect("queries.sql");
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("-- name: ") {
            out.push((name.to_owned(), String::new()));
        } else if !line.is_empty()
            && !line.starts_with("--")
            && let Some((_, sql)) = out.last_mut()
        {
            if !sql.is_empty() {
                sql.push(' ');
            }
            sql.push_str(line);
        }
    }
    out
}

/// `run.do_compile.1234` → `run.do_compile.<PID>`.
fn no_pids(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("/run.do_") {
        let after = &rest[i + 1..];
        let Some(dot) = after[4..].find('.').map(|d| d + 4) else {
            break;
        };
        let digits = after[dot + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .count();
        out.push_str(&rest[..i + 1 + dot + 1]);
        if digits > 0 {
            out.push_str("<PID>");
        }
        rest = &after[dot + 1 + digits..];
    }
    out.push_str(rest);
    out
}

/// `9f/c0/sstate:x:...:9fc0..._populate_sysroot.tar.zst` →
/// `<xx>/<yy>/sstate:x:...:<HASH>_populate_sysroot.tar.zst` when the two directory
/// levels are the hash's first four characters (bake's task hashes are not BitBake's).
fn no_sstate_hashes(line: &str) -> String {
    line.split('|')
        .map(|cell| {
            let Some((dirs, name)) = cell.split_once("/sstate:") else {
                return cell.to_owned();
            };
            let Some((spec, rest)) = name.rsplit_once(':') else {
                return cell.to_owned();
            };
            let Some((hash, task)) = rest.split_once('_') else {
                return cell.to_owned();
            };
            let prefix = format!(
                "{}/{}",
                hash.get(..2).unwrap_or("?"),
                hash.get(2..4).unwrap_or("?")
            );
            if dirs != prefix || hash.len() < 4 {
                return cell.to_owned();
            }
            format!("<xx>/<yy>/sstate:{spec}:<HASH>_{task}")
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// What `dump.py` prints for real Toaster's database, for build `id` of bake's.
fn dump(db: &Path, id: i64, builddir: &Path) -> String {
    let conn = bb_toaster::db::open(db).expect("the database opens");
    let dir = builddir.to_string_lossy().into_owned();
    let mut out = String::new();
    for (name, sql) in queries() {
        out.push_str(&format!("## {name}\n"));
        let mut st = conn
            .prepare(sql.trim_end_matches(';'))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let n = st.column_count();
        let mut rows = st.query([id]).expect("query runs");
        while let Some(r) = rows.next().expect("a row") {
            let cells: Vec<String> = (0..n)
                .map(|i| match r.get_ref(i).expect("a cell") {
                    rusqlite::types::ValueRef::Null => "NULL".to_owned(),
                    rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                    rusqlite::types::ValueRef::Real(v) => v.to_string(),
                    rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                        String::from_utf8_lossy(t).into_owned()
                    }
                })
                .collect();
            out.push_str(&no_pids(&cells.join("|").replace(&dir, "<B>")));
            out.push('\n');
        }
    }
    out
}

/// Compares section by section; the message lists the rows only one side has.
fn compare(expected_file: &str, actual: &str) {
    let expected = std::fs::read_to_string(data().join("expected").join(expected_file))
        .expect("expected file");
    let sections = |t: &str| -> Vec<(String, Vec<String>)> {
        let mut v: Vec<(String, Vec<String>)> = Vec::new();
        for line in t.lines() {
            if let Some(n) = line.strip_prefix("## ") {
                v.push((n.to_owned(), Vec::new()));
            } else if let Some((_, rows)) = v.last_mut() {
                rows.push(no_sstate_hashes(line));
            }
        }
        v
    };
    let want = sections(&expected);
    let got = sections(actual);
    let mut problems = Vec::new();
    for ((name, w), (_, g)) in want.iter().zip(&got) {
        if w != g {
            let only_w: Vec<&String> = w.iter().filter(|r| !g.contains(r)).collect();
            let only_g: Vec<&String> = g.iter().filter(|r| !w.contains(r)).collect();
            problems.push(format!(
                "{expected_file} / {name}:\n  only Toaster: {only_w:#?}\n  only bake: {only_g:#?}"
            ));
        }
    }
    assert_eq!(want.len(), got.len(), "sections of {expected_file}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_example_is_recorded_as_real_toaster_records_it() {
    let dir = example("toaster-oracle-ok");
    assert!(bake(&dir, &["sayhello"]).status.success());
    assert!(bake(&dir, &["sayhello"]).status.success());
    assert!(!bake(&dir, &["no-such-recipe"]).status.success());
    let db = dir.join("toaster.sqlite");
    for id in 1..=3 {
        compare(&format!("hello-{id}.txt"), &dump(&db, id, &dir));
    }
}

#[test]
fn a_warning_and_a_failing_task_are_recorded_as_real_toaster_records_them() {
    let dir = example("toaster-oracle-fail");
    let fail = std::fs::read_to_string(data().join("fail.append")).expect("fail.append");
    append(
        &dir.join("meta-hello/recipes-hello/sayhello/sayhello_1.0.bb"),
        &fail,
    );
    assert!(!bake(&dir, &["-k", "sayhello"]).status.success());
    compare("fail-1.txt", &dump(&dir.join("toaster.sqlite"), 1, &dir));
}

#[test]
fn a_rebuild_from_shared_state_is_recorded_as_real_toaster_records_it() {
    let dir = example("toaster-oracle-sstate");
    assert!(bake(&dir, &["sayhello"]).status.success());
    std::fs::remove_dir_all(dir.join("tmp")).expect("tmp/ is removed");
    let o = bake(&dir, &["sayhello"]);
    assert!(o.status.success(), "{o:?}");
    compare("sstate-2.txt", &dump(&dir.join("toaster.sqlite"), 2, &dir));
}

#[test]
fn sstate_object_hashes_are_masked() {
    assert_eq!(
        no_sstate_hashes("x|9f/c0/sstate:a:b:14:9fc0aa_populate_sysroot.tar.zst|1"),
        "x|<xx>/<yy>/sstate:a:b:14:<HASH>_populate_sysroot.tar.zst|1"
    );
    assert_eq!(
        no_sstate_hashes("ab/cd/sstate:a:14:ffff_x"),
        "ab/cd/sstate:a:14:ffff_x"
    );
}

#[test]
fn run_script_pids_are_masked() {
    assert_eq!(
        no_pids("Execution of '/b/temp/run.do_compile.1234' failed"),
        "Execution of '/b/temp/run.do_compile.<PID>' failed"
    );
    assert_eq!(no_pids("/x/run.do_fetch.x"), "/x/run.do_fetch.x");
}
