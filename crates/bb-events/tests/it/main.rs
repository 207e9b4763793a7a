//! Integration tests of bb-events: every event survives a JSON round trip, and the
//! serialized form is pinned (a change here must bump `FORMAT_VERSION`).

use bb_events::{BuildEvent, Outcome, SkipReason, SstateFound, TaskRef, Usage};

#[test]
fn events_are_plain_serde_values() {
    let task = TaskRef {
        index: 3,
        pn: "demo".into(),
        fn_name: "/l/demo_1.0.bb".into(),
        task: "do_compile".into(),
    };
    let events = vec![
        BuildEvent::BuildStarted {
            targets: vec!["demo".into()],
            total: 4,
        },
        BuildEvent::TaskStarted {
            task: task.clone(),
            number: 1,
            total: 4,
            log: "/t/log.do_compile.1".into(),
            noexec: false,
        },
        BuildEvent::TaskSucceeded {
            task: task.clone(),
            usage: Usage {
                elapsed: 0.5,
                cpu_user: 0.25,
                cpu_system: 0.125,
                disk_read: 4096,
                disk_write: 8192,
            },
        },
        BuildEvent::TaskSkipped {
            task: task.clone(),
            reason: SkipReason::UpToDate,
        },
        BuildEvent::BuildFinished {
            outcome: Outcome::Succeeded,
            ran: 1,
            skipped: 3,
            failed: 0,
            not_run: 0,
        },
    ];
    let json = serde_json::to_string(&events).expect("serializes");
    let back: Vec<BuildEvent> = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, events);
    // The wire form is pinned: a change to it is a format change.
    assert_eq!(
        serde_json::to_string(&events[4]).expect("serializes"),
        r#"{"BuildFinished":{"outcome":"Succeeded","ran":1,"skipped":3,"failed":0,"not_run":0}}"#
    );
    assert_eq!(bb_events::FORMAT_VERSION, 4);
}

#[test]
fn setscene_events_are_pinned() {
    let task = TaskRef {
        index: 1,
        pn: "demo".into(),
        fn_name: "/l/demo_1.0.bb".into(),
        task: "do_populate_sysroot".into(),
    };
    let events = vec![
        BuildEvent::SetsceneChecked {
            checked: vec![(task.clone(), "ab12".into(), SstateFound::Local)],
            current: 0,
            total: 1,
        },
        BuildEvent::SetsceneStarted {
            task: task.clone(),
            number: 1,
            total: 1,
            log: "/t/log".into(),
        },
        BuildEvent::SetsceneSucceeded {
            task: task.clone(),
            usage: Usage::default(),
        },
        BuildEvent::SetsceneFailed {
            task: task.clone(),
            usage: Usage::default(),
            log: "/t/log".into(),
            message: "corrupt".into(),
            exitcode: 3,
        },
        BuildEvent::TaskSkipped {
            task,
            reason: SkipReason::Covered,
        },
    ];
    let json = serde_json::to_string(&events).expect("serializes");
    let back: Vec<BuildEvent> = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, events);
    assert_eq!(
        serde_json::to_string(&events[0]).expect("serializes"),
        r#"{"SetsceneChecked":{"checked":[[{"index":1,"pn":"demo","fn_name":"/l/demo_1.0.bb","task":"do_populate_sysroot"},"ab12","Local"]],"current":0,"total":1}}"#
    );
    assert_eq!(
        serde_json::to_string(&events[4]).expect("serializes"),
        r#"{"TaskSkipped":{"task":{"index":1,"pn":"demo","fn_name":"/l/demo_1.0.bb","task":"do_populate_sysroot"},"reason":"Covered"}}"#
    );
}

#[test]
fn task_progress_is_pinned() {
    let e = BuildEvent::TaskProgress {
        task: TaskRef {
            index: 2,
            pn: "demo".into(),
            fn_name: "/l/demo_1.0.bb".into(),
            task: "do_compile".into(),
        },
        progress: 42.5,
        rate: Some("1.0 MiB/s".into()),
    };
    let text = serde_json::to_string(&e).expect("serializes");
    assert_eq!(
        text,
        r#"{"TaskProgress":{"task":{"index":2,"pn":"demo","fn_name":"/l/demo_1.0.bb","task":"do_compile"},"progress":42.5,"rate":"1.0 MiB/s"}}"#
    );
    assert_eq!(
        serde_json::from_str::<BuildEvent>(&text).expect("deserializes"),
        e
    );
}
