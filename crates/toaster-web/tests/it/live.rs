//! A build followed live: while bake's recorder records it, `api/building`,
//! `mostrecentbuilds` and the build's dashboard show its parse progress, then its task
//! progress, moving; a task's warning is linked to its task (`LogMessage.task`).

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use bb_events::{BuildEvent, Outcome, TaskRef, Usage};
use bb_toaster::model::LogLevel;
use bb_toaster::{BuildStart, DepTree, RecipeRow, Recorder, TaskRow};
use serde_json::Value;
use tower::ServiceExt as _;

struct Live {
    router: Router,
    rt: tokio::runtime::Runtime,
}

impl Live {
    fn get(&self, uri: &str) -> String {
        self.rt.block_on(async {
            let req = Request::get(uri)
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{uri}: {e}"));
            let r = self
                .router
                .clone()
                .oneshot(req)
                .await
                .unwrap_or_else(|e| match e {});
            assert_eq!(r.status(), 200, "{uri}");
            let bytes = axum::body::to_bytes(r.into_body(), 16 << 20)
                .await
                .unwrap_or_else(|e| panic!("body: {e}"));
            String::from_utf8_lossy(&bytes).into_owned()
        })
    }

    fn json(&self, uri: &str) -> Value {
        let body = self.get(uri);
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{uri}: not JSON ({e}): {body}"))
    }

    /// The one build in progress, as `api/building` and `mostrecentbuilds` show it,
    /// once `ready` holds of them (the recorder writes in batches: this waits up to
    /// ten seconds).
    fn wait(&self, what: &str, ready: impl Fn(&Value, &Value) -> bool) -> (Value, Value) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let building = self.json("/toastergui/api/building");
            let recent = self.json("/toastergui/mostrecentbuilds");
            let b = building["building"][0].clone();
            let m = recent
                .as_array()
                .and_then(|a| a.iter().find(|x| x["id"] == b["id"]).cloned())
                .unwrap_or(Value::Null);
            if ready(&b, &m) {
                return (b, m);
            }
            assert!(
                Instant::now() < deadline,
                "{what}: never came; last api/building {building}, mostrecentbuilds {recent}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn task(i: usize) -> TaskRef {
    TaskRef {
        index: i,
        pn: "hello".into(),
        fn_name: "/l/hello.bb".into(),
        task: ["do_fetch", "do_compile", "do_install", "do_build"][i].into(),
    }
}

#[test]
fn progress_moves_while_recording() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let db = dir.path().join("toaster.sqlite");
    let rec = Recorder::start(
        &db,
        BuildStart {
            machine: "qemux86-64".into(),
            distro: "bake".into(),
            targets: vec![("hello".into(), String::new())],
            ..BuildStart::default()
        },
    )
    .unwrap_or_else(|e| panic!("start: {e}"));
    let live = Live {
        router: crate::Site::over(&db),
        rt: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("runtime: {e}")),
    };
    let id = rec.build_id();

    // Parsing: recipes parsed of the total, as Toaster's Build.recipes_parsed/_to_parse.
    rec.parse_progress(1, 4);
    let (b, m) = live.wait("1 of 4 recipes parsed", |b, _| b["parse"] == "1:4");
    assert_eq!(b["id"], id);
    assert_eq!(m["state"], "Parsing");
    assert_eq!(m["recipes_parsed_percentage"], 25);
    let dash = live.get(&format!("/toastergui/build/{id}"));
    assert!(dash.contains("id=\"build-progress\""), "{dash}");
    assert!(dash.contains("1 of 4 recipes parsed"), "{dash}");
    rec.parse_progress(3, 4);
    let (_, m) = live.wait("3 of 4", |b, _| b["parse"] == "3:4");
    assert_eq!(m["recipes_parsed_percentage"], 75);
    rec.parse_progress(4, 4);
    let (_, m) = live.wait("parsed", |b, _| b["parse"] == "4:4");
    assert_eq!(m["state"], "Starting");

    // Running: tasks done of all the tree's tasks.
    rec.dep_tree(DepTree {
        recipes: vec![RecipeRow {
            fn_name: "/l/hello.bb".into(),
            name: "hello".into(),
            version: ":1.0-r0".into(),
            pf: "hello-1.0-r0".into(),
            ..RecipeRow::default()
        }],
        tasks: (0..4)
            .map(|i| TaskRow {
                fn_name: "/l/hello.bb".into(),
                task: task(i).task,
                ..TaskRow::default()
            })
            .collect(),
        deps: vec![vec![], vec![0], vec![1], vec![2]],
    });
    rec.event(&BuildEvent::BuildStarted {
        targets: vec!["hello".into()],
        total: 4,
    });
    let (b, m) = live.wait("the tree", |b, _| b["task"] == "0:4");
    assert_eq!(m["tasks_complete_percentage"], 0, "{b}");
    let mut last = 0;
    for i in 0..3 {
        rec.event(&BuildEvent::TaskStarted {
            task: task(i),
            number: i + 1,
            total: 4,
            log: String::new(),
            noexec: false,
        });
        if i == 1 {
            rec.logger().log_task(
                LogLevel::Warn,
                "a warning of do_compile",
                "",
                None,
                Some(&task(i)),
            );
        }
        rec.event(&BuildEvent::TaskSucceeded {
            task: task(i),
            usage: Usage::default(),
        });
        let want = format!("{}:4", i + 1);
        let (_, m) = live.wait(&want, |b, _| b["task"] == want.as_str());
        let pc = m["tasks_complete_percentage"]
            .as_i64()
            .unwrap_or_else(|| panic!("{m}"));
        assert!(pc > last, "progress did not move: {pc} after {last}");
        assert_eq!(m["state"], "In Progress");
        last = pc;
    }
    assert_eq!(last, 75);
    let dash = live.get(&format!("/toastergui/build/{id}"));
    assert!(dash.contains("3 of 4 tasks"), "{dash}");

    rec.event(&BuildEvent::TaskStarted {
        task: task(3),
        number: 4,
        total: 4,
        log: String::new(),
        noexec: true,
    });
    rec.event(&BuildEvent::BuildFinished {
        outcome: Outcome::Succeeded,
        ran: 3,
        skipped: 1,
        failed: 0,
        not_run: 0,
    });
    rec.finish().unwrap_or_else(|e| panic!("finish: {e}"));
    assert_eq!(live.json("/toastergui/api/building")["count"], 0);
    let recent = live.json("/toastergui/mostrecentbuilds");
    assert_eq!(recent[0]["state"], "Succeeded");
    assert_eq!(recent[0]["tasks_complete_percentage"], 100);
    let dash = live.get(&format!("/toastergui/build/{id}"));
    assert!(!dash.contains("id=\"build-progress\""));

    // The warning is linked to its task, and the dashboard links it.
    let conn = bb_toaster::db::open(&db).unwrap_or_else(|e| panic!("{e}"));
    let (tid, name): (i64, String) = conn
        .query_row(
            "SELECT t.id, t.task_name FROM orm_logmessage m JOIN orm_task t ON t.id = m.task_id WHERE m.build_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap_or_else(|e| panic!("the warning's task: {e}"));
    assert_eq!(name, "do_compile");
    assert!(
        // (minijinja escapes `/` in attributes)
        dash.contains(&format!(
            "build&#x2f;{id}&#x2f;task&#x2f;{tid}\">hello do_compile</a>"
        )),
        "{dash}"
    );
}
