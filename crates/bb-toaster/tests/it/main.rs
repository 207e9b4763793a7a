//! bb-toaster's integration tests: synthetic builds recorded into a temporary database,
//! then queried as Toaster's pages would.

mod fixtures;
mod manage;
mod migrate;
mod record;

use std::path::{Path, PathBuf};

use bb_runqueue::events::{BuildEvent, Outcome, SkipReason, TaskRef, Usage};
use bb_toaster::{BuildStart, HistoryRow, LayerInfo, RecipeRow, Recorder, VariableRow};
use rusqlite::Connection;

fn task(i: usize, pn: &str, task: &str) -> TaskRef {
    TaskRef {
        index: i,
        pn: pn.into(),
        fn_name: format!("/l/recipes/{pn}_1.0.bb"),
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
                fn_name: format!("/l/recipes/{pn}_1.0.bb"),
                name: (*pn).into(),
                version: "1.0-r0".into(),
                layer: "hello".into(),
                file_path: format!("recipes/{pn}_1.0.bb"),
                depends: if *pn == "sayhello" {
                    vec!["libhello".into()]
                } else {
                    vec![]
                },
                ..RecipeRow::default()
            })
            .collect(),
        variables: vec![
            VariableRow {
                name: "MACHINE".into(),
                value: "qemux86-64".into(),
                history: vec![
                    HistoryRow {
                        file_name: "/l/conf/layer.conf".into(),
                        line_number: Some(7),
                        operation: "set?".into(),
                        value: "host".into(),
                    },
                    HistoryRow {
                        file_name: "/b/conf/local.conf".into(),
                        line_number: Some(3),
                        operation: "set".into(),
                        value: "qemux86-64".into(),
                    },
                ],
            },
            VariableRow {
                name: "CFLAGS".into(),
                value: "-O2 -g".into(),
                history: vec![
                    HistoryRow {
                        file_name: "/b/conf/local.conf".into(),
                        line_number: Some(4),
                        operation: "set".into(),
                        value: "-O2".into(),
                    },
                    HistoryRow {
                        file_name: "/b/conf/local.conf".into(),
                        line_number: Some(5),
                        operation: ":append".into(),
                        value: " -g".into(),
                    },
                ],
            },
        ],
        ..BuildStart::default()
    }
}

const USAGE: Usage = Usage {
    elapsed: 1.5,
    cpu_user: 0.5,
    cpu_system: 0.25,
    disk_read: 4096,
    disk_write: 8192,
};

/// A failing build of the example: libhello's fetch up to date, its install noexec, its
/// compile run, sayhello's compile failing, sayhello's install never run.
fn events() -> Vec<BuildEvent> {
    vec![
        BuildEvent::BuildStarted {
            targets: vec!["sayhello".into()],
            total: 5,
        },
        BuildEvent::TaskSkipped {
            task: task(0, "libhello", "do_fetch"),
            reason: SkipReason::UpToDate,
        },
        BuildEvent::TaskStarted {
            task: task(1, "libhello", "do_compile"),
            number: 2,
            total: 5,
            log: "/t/log.do_compile.1".into(),
            noexec: false,
        },
        BuildEvent::LogLine {
            task: task(1, "libhello", "do_compile"),
            line: "WARNING: libhello: unused variable".into(),
        },
        BuildEvent::TaskSucceeded {
            task: task(1, "libhello", "do_compile"),
            usage: USAGE,
        },
        BuildEvent::TaskStarted {
            task: task(2, "libhello", "do_install"),
            number: 3,
            total: 5,
            log: "/t/log.do_install.1".into(),
            noexec: true,
        },
        BuildEvent::TaskSkipped {
            task: task(2, "libhello", "do_install"),
            reason: SkipReason::NoExec,
        },
        BuildEvent::TaskStarted {
            task: task(3, "sayhello", "do_compile"),
            number: 4,
            total: 5,
            log: "/t2/log.do_compile.1".into(),
            noexec: false,
        },
        BuildEvent::TaskFailed {
            task: task(3, "sayhello", "do_compile"),
            usage: USAGE,
            log: "/t2/log.do_compile.1".into(),
            message: "Execution of '/t2/run.do_compile.1' failed with exit code 1".into(),
            tail: vec!["cc: error: hello.c: no such file".into()],
        },
        BuildEvent::TaskSkipped {
            task: task(4, "sayhello", "do_install"),
            reason: SkipReason::DependencyFailed,
        },
        BuildEvent::BuildFinished {
            outcome: Outcome::Failed,
            ran: 2,
            skipped: 2,
            failed: 1,
            not_run: 1,
        },
    ]
}

/// Records the example build into `path`; returns its id.
fn record(path: &Path) -> i64 {
    let rec = Recorder::start(path, start()).expect("records");
    for e in events() {
        rec.event(&e);
    }
    rec.finish().expect("finishes")
}

fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("toaster.sqlite");
    (tmp, path)
}

/// The rows of a query as strings (columns joined with `|`).
fn rows(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> Vec<String> {
    let mut st = conn.prepare(sql).expect("prepares");
    let n = st.column_count();
    st.query_map(p, |r| {
        let mut cols = Vec::new();
        for i in 0..n {
            let v: rusqlite::types::Value = r.get(i)?;
            cols.push(match v {
                rusqlite::types::Value::Null => "NULL".to_owned(),
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Real(f) => f.to_string(),
                rusqlite::types::Value::Text(t) => t,
                rusqlite::types::Value::Blob(_) => "<blob>".to_owned(),
            });
        }
        Ok(cols.join("|"))
    })
    .expect("queries")
    .collect::<Result<_, _>>()
    .expect("rows")
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}
