//! bb-toaster's integration tests: synthetic builds recorded into a temporary database,
//! then queried as Toaster's pages would.

mod fixtures;
mod manage;
mod migrate;
mod record;

use std::path::{Path, PathBuf};

use bb_events::{BuildEvent, Outcome, SkipReason, TaskRef, Usage};
use bb_toaster::{
    BuildStart, DepTree, HistoryRow, LayerInfo, RecipeRow, Recorder, TaskRow, VariableRow,
};
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
                ..VariableRow::default()
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
                    HistoryRow {
                        file_name: "/l/conf/documentation.conf".into(),
                        line_number: Some(9),
                        operation: "set".into(),
                        value: "Flags for C".into(),
                    },
                ],
                doc: Some("Flags for the C compiler".into()),
                ..VariableRow::default()
            },
            VariableRow {
                name: "CFLAGS_native".into(),
                value: "-O1".into(),
                ..VariableRow::default()
            },
            VariableRow {
                name: "do_compile".into(),
                value: "make".into(),
                doc: Some("Compiles the source".into()),
                func: true,
                history: vec![HistoryRow {
                    file_name: "/l/classes/base.bbclass".into(),
                    line_number: Some(20),
                    operation: "set".into(),
                    value: "make".into(),
                }],
            },
        ],
        ..BuildStart::default()
    }
}

/// The example's dependency tree: two recipes, sayhello DEPENDS on libhello and on
/// `virtual/hello` (which libhello provides); five tasks in a chain, the first Python.
fn tree() -> DepTree {
    let recipe = |pn: &str, depends: Vec<(String, String)>| RecipeRow {
        fn_name: format!("/l/recipes/{pn}_1.0.bb"),
        name: pn.into(),
        version: ":1.0-r0".into(),
        pf: format!("{pn}-1.0-r0"),
        license: "MIT".into(),
        summary: format!("{pn} summary"),
        inherits: vec!["/l/classes/base.bbclass".into()],
        depends,
        ..RecipeRow::default()
    };
    let lib = "/l/recipes/libhello_1.0.bb".to_owned();
    let t = |pn: &str, task: &str, python: bool| TaskRow {
        fn_name: format!("/l/recipes/{pn}_1.0.bb"),
        task: task.into(),
        python,
        hash: format!("hash-{pn}-{task}"),
    };
    DepTree {
        recipes: vec![
            recipe("libhello", vec![]),
            recipe(
                "sayhello",
                vec![
                    ("libhello".into(), lib.clone()),
                    ("virtual/hello".into(), lib),
                ],
            ),
        ],
        tasks: vec![
            t("libhello", "do_fetch", true),
            t("libhello", "do_compile", false),
            t("libhello", "do_install", false),
            t("sayhello", "do_compile", false),
            t("sayhello", "do_install", false),
        ],
        deps: vec![vec![], vec![0], vec![1], vec![2], vec![3]],
    }
}

/// Stored in hundredths of a second, as Toaster stores them: 1.5 and 0.25.
const USAGE: Usage = Usage {
    elapsed: 1.504,
    cpu_user: 0.5,
    cpu_system: 0.2549,
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
            exitcode: 1,
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
    rec.dep_tree(tree());
    rec.log(
        bb_toaster::model::LogLevel::Warn,
        "libhello do_compile: unused variable",
        "",
        None,
    );
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
