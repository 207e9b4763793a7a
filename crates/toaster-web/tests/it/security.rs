//! What the spec's "Security" line asks: values escaped in HTML and inline JSON, CSRF
//! on unsafe methods, downloads only of recorded paths, no stack traces, GET changes
//! nothing.

use axum::body::Body;
use axum::http::Request;

use crate::synthetic::HOSTILE;
use crate::{routes, site};

#[test]
fn hostile_names_render_inert() {
    let s = site();
    let mut checked = 0;
    for r in routes(s, s.hostile) {
        for url in [
            r.clone(),
            format!("{r}{}format=json", if r.contains('?') { '&' } else { '?' }),
        ] {
            let resp = s.get(&url);
            let ctype = resp
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            assert!(!resp.body.contains("<script>alert"), "{url}: {}", resp.body);
            assert!(!resp.body.contains("</script><script>"), "{url}");
            if ctype.starts_with("application/json") {
                assert!(
                    !resp.body.contains('\u{2028}'),
                    "{url}: U+2028 unescaped in JSON"
                );
                assert!(
                    !resp.body.contains('<') && !resp.body.contains('>'),
                    "{url}: raw markup in JSON"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 40);
    // The hostile recipe appears, escaped.
    let recipes = s.get(&format!(
        "/toastergui/build/{}/recipes/?search=script",
        s.hostile
    ));
    assert!(
        recipes
            .body
            .contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&quot;q"),
        "{}",
        recipes.body
    );
    let j = s
        .get(&format!(
            "/toastergui/build/{}/recipes/?format=json&search=script",
            s.hostile
        ))
        .json();
    let name = j["rows"][0]["name"].as_str().unwrap_or("");
    assert_eq!(
        name, HOSTILE,
        "the JSON carries the value itself, its markup as \\u escapes"
    );
    let api = s.get(&format!("/toastergui/api/build/{}", s.hostile));
    assert!(api.body.contains("\\u003c") || !api.body.contains("script"));
}

#[test]
fn unsafe_methods_need_the_csrf_token() {
    let s = site();
    for m in ["POST", "PUT", "DELETE", "PATCH"] {
        let r = s.send(
            Request::builder()
                .method(m)
                .uri("/toastergui/builds/")
                .body(Body::empty())
                .unwrap_or_default(),
        );
        assert_eq!(r.status, 403, "{m}");
    }
    let first = s.get("/toastergui/builds/");
    let cookie = first
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let token = cookie
        .split(';')
        .next()
        .and_then(|c| c.strip_prefix("csrftoken="))
        .unwrap_or("")
        .to_owned();
    assert_eq!(token.len(), 64, "{cookie}");
    assert!(
        first
            .body
            .contains(&format!("<meta name=\"csrf-token\" content=\"{token}\">"))
    );
    // A token in the header alone, or a forged one, is refused.
    let r = s.send(
        Request::post("/toastergui/builds/")
            .header("x-csrftoken", &token)
            .body(Body::empty())
            .unwrap_or_default(),
    );
    assert_eq!(r.status, 403);
    let forged = format!("{}{}", &token[..32], "0".repeat(32));
    let r = s.send(
        Request::post("/toastergui/builds/")
            .header("cookie", format!("csrftoken={forged}"))
            .header("x-csrftoken", &forged)
            .body(Body::empty())
            .unwrap_or_default(),
    );
    assert_eq!(r.status, 403);
    let r = s.send(
        Request::post("/toastergui/builds/")
            .header("cookie", format!("csrftoken={token}"))
            .header("x-csrftoken", &token)
            .body(Body::empty())
            .unwrap_or_default(),
    );
    assert_eq!(
        r.status, 405,
        "with the token: allowed through, but nothing here changes"
    );
}

#[test]
fn gets_change_nothing() {
    let s = site();
    let before = fs_err::read(&s.db).unwrap_or_default();
    for b in [s.ok, s.failed] {
        for r in routes(s, b) {
            s.get(&r);
        }
    }
    let conn = rusqlite::Connection::open(&s.db).unwrap_or_else(|e| panic!("{e}"));
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap_or_else(|e| panic!("{e}"));
    let after = fs_err::read(&s.db).unwrap_or_default();
    // Other tests may write their own fixture rows; compare the builds' rows instead
    // when the file changed.
    if before != after {
        let n: i64 = conn
            .query_row("SELECT count(*) FROM orm_build", [], |r| r.get(0))
            .unwrap_or(0);
        assert_eq!(n, 5);
    }
}

#[test]
fn downloads_only_recorded_files() {
    let s = site();
    let log = s.get(&format!(
        "/toastergui/build/{0}/artifact/cookerlog/id/{0}",
        s.hostile
    ));
    assert_eq!(log.status, 200);
    assert_eq!(log.body, "NOTE: the cooker's log\n");
    assert_eq!(
        log.headers
            .get("content-disposition")
            .and_then(|v| v.to_str().ok()),
        Some("attachment; filename=\"cooker.log\"")
    );
    let conn = rusqlite::Connection::open(&s.db).unwrap_or_else(|e| panic!("{e}"));
    let failed_task: i64 = conn
        .query_row(
            "SELECT id FROM orm_task WHERE build_id = ?1 AND outcome = 4",
            [s.failed],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let t = s.get(&format!(
        "/toastergui/build/{}/artifact/tasklogfile/id/{failed_task}",
        s.failed
    ));
    assert_eq!((t.status.as_u16(), t.body.as_str()), (200, "compiling\n"));
    // The same task through another build: not that build's artifact.
    let other = s.get(&format!(
        "/toastergui/build/{}/artifact/tasklogfile/id/{failed_task}",
        s.ok
    ));
    assert_eq!(other.status, 404);
    assert!(other.body.contains("The artifact is unavailable"));
    // A recorded path that climbs with `..` is not served.
    let climbing: i64 = conn
        .query_row("SELECT id FROM orm_task WHERE build_id = ?1 AND task_name = 'do_fetch' AND logfile LIKE '%..%' LIMIT 1", [s.ok], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    let r = s.get(&format!(
        "/toastergui/build/{}/artifact/tasklogfile/id/{climbing}",
        s.ok
    ));
    assert_eq!(r.status, 404);
    assert!(!r.body.contains("root:"));
    for kind in ["nothing", "..", "cookerlog%2F..%2F"] {
        let r = s.get(&format!(
            "/toastergui/build/{0}/artifact/{kind}/id/{0}",
            s.ok
        ));
        assert_eq!(r.status, 404, "{kind}");
    }
}

#[test]
fn security_headers() {
    let s = site();
    let r = s.get("/toastergui/builds/");
    let h = |n: &str| {
        r.headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    assert!(h("content-security-policy").contains("script-src 'self'"));
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert_eq!(h("x-frame-options"), "DENY");
    // No inline script: everything runs from /static/toaster.js under the CSP.
    assert!(!r.body.contains("<script>"));
}
