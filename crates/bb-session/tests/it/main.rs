//! bb-session on a copy of the bundled example (`testdata/build-hello` with bake's
//! `meta/`): what an embedding program sees.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc;

use bb_events::{BuildEvent, Outcome};
use bb_session::{BuildRequest, Error, Observer, Quiet, Session};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_dir(from: &Path, to: &Path) {
    bb_util::fs::copy_tree(from, to, &["tmp", "cache", "downloads", "expected"]).expect("copies");
}

/// A fresh copy of the example; returns (the temp dir to keep, the build directory).
fn example() -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().expect("tempdir");
    copy_dir(&repo().join("meta"), &root.path().join("meta"));
    let dir = root.path().join("testdata/build-hello");
    copy_dir(&repo().join("testdata/build-hello"), &dir);
    (root, dir)
}

/// Collects what a session says.
#[derive(Default)]
struct Record {
    lines: std::sync::Mutex<Vec<String>>,
    progress: std::sync::atomic::AtomicUsize,
    started: std::sync::atomic::AtomicBool,
    ready: std::sync::atomic::AtomicUsize,
}

impl Observer for Record {
    fn status(&self, line: &str) {
        self.lines.lock().expect("lock").push(line.to_owned());
    }
    fn parse_progress(&self, done: usize, _total: usize) {
        self.progress.store(done, Ordering::SeqCst);
    }
    fn build_started(&self) {
        self.started.store(true, Ordering::SeqCst);
    }
    fn tasks_ready(&self, ready: &bb_session::TasksReady<'_>) {
        self.ready.store(ready.graph.tasks.len(), Ordering::SeqCst);
        assert_eq!(ready.plans.len(), ready.graph.tasks.len());
    }
}

#[test]
fn recipes_datastores_and_the_task_graph() {
    let (_keep, dir) = example();
    let mut s = Session::open(&dir).expect("opens");
    assert!(matches!(s.recipes(), Err(Error::NotParsed)));
    let rec = Record::default();
    let res = s.parse(&rec).expect("parses");
    assert!(res.failures.is_empty());
    assert!(rec.progress.load(Ordering::SeqCst) > 0, "progress reported");
    let pns: Vec<&str> = s
        .recipes()
        .expect("parsed")
        .iter()
        .map(|r| r.pn.as_str())
        .collect();
    assert!(
        pns.contains(&"libhello") && pns.contains(&"sayhello"),
        "{pns:?}"
    );
    let d = s.recipe_data("sayhello", &Quiet).expect("recipe data");
    assert_eq!(
        d.get_var("PN").expect("expands").as_deref(),
        Some("sayhello")
    );
    // Unexpanded value and history are there too.
    assert!(d.get_raw("S").is_some());
    assert!(!d.history("PN").is_empty());
    assert_eq!(s.default_task(None), "build");
    let opts = bb_taskgraph::GraphOptions {
        targets: Vec::new(),
        runall: Vec::new(),
        runonly: Vec::new(),
        halt: true,
        allow_incomplete: true,
    };
    let (g, errors) = s
        .task_graph(&["sayhello".to_owned()], "build", opts, &Quiet)
        .expect("graph");
    assert!(!errors);
    assert!(
        g.tasks
            .iter()
            .any(|t| t.task == "do_compile" && t.fn_name.ends_with("libhello_1.0.bb"))
    );
    let err = s
        .recipe_data("no-such-recipe", &Quiet)
        .expect_err("no provider");
    assert!(err.to_string().contains("no-such-recipe"), "{err}");
}

#[test]
fn a_dry_run_build_streams_events_and_a_cancelled_one_runs_nothing() {
    let (_keep, dir) = example();
    let mut s = Session::open(&dir).expect("opens");
    s.parse(&Quiet).expect("parses");
    let rec = Record::default();
    let (tx, rx) = mpsc::channel();
    let req = BuildRequest {
        targets: vec!["sayhello".into()],
        dry_run: true,
        ..Default::default()
    };
    let report = s.build(&req, &tx, &rec).expect("builds");
    drop(tx);
    let events: Vec<BuildEvent> = rx.iter().collect();
    let summary = report.summary.expect("ran");
    assert_eq!(summary.outcome, Outcome::Succeeded);
    assert!(rec.started.load(Ordering::SeqCst));
    assert!(rec.ready.load(Ordering::SeqCst) > 0);
    let started = events
        .iter()
        .filter(|e| matches!(e, BuildEvent::TaskStarted { .. }))
        .count();
    assert_eq!(started, summary.ran, "one start event per task run");
    assert!(summary.ran > 10, "{summary:?}");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, BuildEvent::TaskFailed { .. }))
    );
    assert!(matches!(
        events.last(),
        Some(BuildEvent::BuildFinished { .. })
    ));
    assert!(
        rec.lines
            .lock()
            .expect("lock")
            .iter()
            .any(|l| l == "NOTE: Executing Tasks")
    );

    let (tx, rx) = mpsc::channel();
    let req = BuildRequest {
        targets: vec!["sayhello".into()],
        ..Default::default()
    };
    req.cancel.store(true, Ordering::SeqCst);
    let report = s.build(&req, &tx, &Quiet).expect("builds");
    drop(tx);
    assert_eq!(report.summary.expect("ran").outcome, Outcome::Cancelled);
    assert!(
        !rx.iter()
            .any(|e| matches!(e, BuildEvent::TaskStarted { .. }))
    );
}
