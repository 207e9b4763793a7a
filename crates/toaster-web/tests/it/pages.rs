//! Every route answers, from a recorder-written database; unknown ids are 404 pages;
//! what the pages say matches the database.

use axum::http::StatusCode;

use crate::{Site, routes, site};

#[test]
fn every_route_answers_with_few_statements() {
    let s = site();
    for b in [s.ok, s.failed, s.hostile, s.running, s.user] {
        for r in routes(s, b) {
            let resp = s.get(&r);
            assert!(
                resp.status == StatusCode::OK || resp.status == StatusCode::FOUND,
                "{r}: {} {}",
                resp.status,
                resp.body
            );
            assert!(
                resp.statements() <= 20,
                "{r}: {} statements",
                resp.statements()
            );
        }
    }
}

#[test]
fn unknown_ids_are_404_pages() {
    let s = site();
    for r in [
        "/toastergui/build/999999".to_owned(),
        "/toastergui/build/999999/tasks/".into(),
        "/toastergui/build/abc".into(),
        format!("/toastergui/build/{}/task/999999", s.ok),
        format!("/toastergui/build/{}/recipe/999999", s.ok),
        format!("/toastergui/build/{}/package/999999", s.ok),
        format!("/toastergui/build/{}/target/999999", s.ok),
        format!("/toastergui/build/{}/target/999999/dirinfo", s.ok),
        "/toastergui/project/999999/".into(),
        "/toastergui/project/None/".into(),
        "/toastergui/no-such-page".into(),
        "/elsewhere".into(),
        "/static/nothing.js".into(),
    ] {
        let resp = s.get(&r);
        assert_eq!(resp.status, StatusCode::NOT_FOUND, "{r}");
        assert!(resp.body.contains("does not exist"), "{r}: {}", resp.body);
        assert!(
            resp.body.contains("class=\"brand\""),
            "{r}: the 404 page is a page of the site"
        );
    }
    // A task of another build is not this build's.
    let conn = rusqlite::Connection::open(&s.db).unwrap_or_else(|e| panic!("{e}"));
    let other: i64 = conn
        .query_row(
            "SELECT min(id) FROM orm_task WHERE build_id = ?1",
            [s.failed],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        s.get(&format!("/toastergui/build/{}/task/{other}", s.ok))
            .status,
        StatusCode::NOT_FOUND
    );
}

#[test]
fn landing_and_health() {
    let s = site();
    let r = s.get("/");
    assert_eq!(r.status, StatusCode::FOUND);
    let r = s.get("/toastergui/");
    assert_eq!(
        r.headers.get("location").and_then(|v| v.to_str().ok()),
        Some("/toastergui/landing/")
    );
    let r = s.get("/toastergui/landing/");
    assert_eq!(
        r.headers.get("location").and_then(|v| v.to_str().ok()),
        Some("/toastergui/builds/")
    );
    let r = s.get("/health");
    assert!(r.body.contains("<title>Toaster Health</title>") && r.body.contains("Ok"));
}

#[test]
fn empty_database_has_empty_states() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("toaster.sqlite");
    drop(bb_toaster::db::open(&db).unwrap_or_else(|e| panic!("{e}")));
    let router = Site::over(&db);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let get = |uri: &str| {
        rt.block_on(async {
            use tower::ServiceExt as _;
            let r = router
                .clone()
                .oneshot(
                    axum::http::Request::get(uri)
                        .body(axum::body::Body::empty())
                        .unwrap_or_else(|e| panic!("{e}")),
                )
                .await
                .unwrap_or_else(|e| match e {});
            let st = r.status();
            let b = axum::body::to_bytes(r.into_body(), 1 << 20)
                .await
                .unwrap_or_default();
            (st, String::from_utf8_lossy(&b).into_owned())
        })
    };
    let (st, body) = get("/toastergui/landing/");
    assert_eq!(st, StatusCode::OK);
    assert!(body.contains("id=\"empty-message\""), "{body}");
    let (st, body) = get("/toastergui/builds/");
    assert_eq!(st, StatusCode::OK);
    assert!(
        body.contains("id=\"empty-state-allbuildstable\"")
            && body.contains("Sorry - no data found")
    );
    let (_, body) = get("/toastergui/api/builds");
    assert_eq!(body, r#"{"builds":[],"count":0}"#);
    let (_, body) = get("/toastergui/mostrecentbuilds");
    assert_eq!(body, "[]");
    assert_eq!(get("/toastergui/build/1").0, StatusCode::NOT_FOUND);
}

#[test]
fn dashboard_of_a_failed_build_shows_errors_not_the_summary() {
    let s = site();
    let r = s.get(&format!("/toastergui/build/{}", s.failed));
    assert!(r.body.contains("data-outcome=\"Failed\""));
    // ERROR, CRITICAL and EXCEPTION are errors; the warning is behind the toggle.
    assert_eq!(
        r.body
            .matches("<div class=\"alert alert-danger\" data-level")
            .count(),
        3,
        "{}",
        r.body
    );
    assert!(
        r.body.contains("&lt;b&gt;make"),
        "log text escaped, not markup"
    );
    assert!(r.body.contains("id=\"warning-toggle\""));
    assert!(!r.body.contains("data-role=\"build-summary-heading\""));
    assert!(!r.body.contains("<aside class=\"sidebar\" id=\"nav\""));
    let ok = s.get(&format!("/toastergui/build/{}", s.ok));
    assert!(ok.body.contains("data-role=\"build-summary-heading\""));
    assert!(ok.body.contains("<aside class=\"sidebar\" id=\"nav\""));
    assert!(
        ok.body.contains("data-value=\"target-package-count\">8<"),
        "8 packages installed"
    );
    assert!(ok.body.contains("data-links=\"image-artifacts\""));
    assert!(ok.body.contains("data-links=\"kernel-artifacts\""));
}

#[test]
fn task_page_lists_dependencies_and_survives_a_self_dependency() {
    let s = site();
    let conn = bb_toaster::db::open(&s.db).unwrap_or_else(|e| panic!("{e}"));
    let (task, name): (i64, String) = conn
        .query_row(
            "SELECT t.id, t.task_name FROM orm_task t WHERE t.build_id = ?1 AND t.task_name = 'do_compile' ORDER BY t.id LIMIT 1",
            [s.user],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    // Toaster looped forever on a covered task that depends on itself (YOCTO #9952).
    conn.execute_batch(&format!(
        "UPDATE orm_task SET outcome = 1 WHERE id = {task}; INSERT INTO orm_task_dependency (task_id, depends_on_id) VALUES ({task}, {task});"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let r = s.get(&format!("/toastergui/build/{}/task/{task}", s.user));
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains(&format!("recipe0000_1.0-r0 {name}")),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("id=\"dependencies\"") && r.body.contains("id=\"reverse-dependencies\"")
    );
    assert!(r.body.contains("Covered by"));
}

#[test]
fn time_page_has_the_timeline() {
    let s = site();
    let r = s.get(&format!("/toastergui/build/{}/buildtime", s.ok));
    assert!(
        r.body
            .contains("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"build-timeline\"")
    );
    let tasks: usize = {
        let conn = rusqlite::Connection::open(&s.db).unwrap_or_else(|e| panic!("{e}"));
        conn.query_row(
            "SELECT count(*) FROM orm_task WHERE build_id = ?1 AND started IS NOT NULL",
            [s.ok],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    };
    // Every task is drawn: as its own bar, or in a block of consecutive short ones.
    let mut drawn = 0;
    for piece in r.body.split("<rect class=\"task-bar").skip(1) {
        let tag = &piece[..piece.find('>').unwrap_or(0)];
        drawn += match tag.split("data-tasks=\"").nth(1) {
            Some(rest) => rest[..rest.find('"').unwrap_or(0)]
                .parse::<usize>()
                .unwrap_or(0),
            None => 1,
        };
    }
    assert_eq!(drawn, tasks);
    let recipe = s.get(&routes(s, s.ok)[17]);
    assert!(
        recipe.body.contains("id=\"recipe-timeline\""),
        "{}",
        recipe.body
    );
}

#[test]
fn configvars_default_to_described_variables_and_filter_by_file() {
    let s = site();
    let base = format!("/toastergui/build/{}/configvars", s.ok);
    let all = s
        .get(&format!(
            "{base}?format=json&filter=description_filter:all&limit=1000"
        ))
        .json();
    let described = s.get(&format!("{base}?format=json&limit=1000")).json();
    assert!(described["total"].as_i64() < all["total"].as_i64());
    assert!(
        described["rows"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|r| r["description"] != "")
    );
    let local = s
        .get(&format!(
            "{base}?format=json&filter=vhistory__file_name:local_conf&limit=1000"
        ))
        .json();
    let n = local["total"].as_i64().unwrap_or(0);
    assert!(n > 0 && n < all["total"].as_i64().unwrap_or(0));
    let page = s.get(&base);
    assert!(page.body.contains("class=\"variable-history\""));
    assert!(page.body.contains("/build/conf/local.conf"));
}

#[test]
fn dirinfo_lists_directories_first_with_their_packages() {
    let s = site();
    let conn = rusqlite::Connection::open(&s.db).unwrap_or_else(|e| panic!("{e}"));
    let target: i64 = conn
        .query_row(
            "SELECT min(id) FROM orm_target WHERE build_id = ?1",
            [s.ok],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let j = s
        .get(&format!(
            "/toastergui/dentries/build/{}/target/{target}?start=/usr/p1",
            s.ok
        ))
        .json();
    let list = j.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 5);
    assert_eq!(list[0]["fullpath"], "/usr/p1/file0");
    assert_eq!(list[0]["package"], "pkg0001");
    assert_eq!(list[0]["isdir"], false);
    let root = s
        .get(&format!(
            "/toastergui/dentries/build/{}/target/{target}?start=/",
            s.ok
        ))
        .json();
    assert_eq!(root[0]["name"], "usr");
    assert_eq!(root[0]["isdir"], true);
}
