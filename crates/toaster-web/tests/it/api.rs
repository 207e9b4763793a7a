//! The JSON API's schema: field names and types exactly as the manual's §4.4 gives
//! them (`seconds` a string with three decimals, times ISO 8601, counts integers).

use serde_json::Value;

use crate::site;

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() || n.is_u64() => "int",
        Value::Number(_) => "float",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn schema(v: &Value, fields: &[(&str, &str)]) {
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"));
    let mut want: Vec<&str> = fields.iter().map(|f| f.0).collect();
    want.sort_unstable();
    let mut got: Vec<&str> = obj.keys().map(String::as_str).collect();
    got.sort_unstable();
    assert_eq!(got, want, "{v}");
    for (f, t) in fields {
        assert_eq!(kind(&obj[*f]), *t, "field {f} of {v}");
    }
}

fn is_iso(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() >= 20 && b[4] == b'-' && b[10] == b'T' && s.ends_with('Z')
}

fn is_seconds(s: &str) -> bool {
    s.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.len() == 3
            && b.bytes().all(|c| c.is_ascii_digit())
    })
}

const COMMON: &[(&str, &str)] = &[
    ("id", "int"),
    ("name", "string"),
    ("machine", "string"),
    ("distro", "string"),
    ("start", "string"),
    ("target", "string"),
    ("project", "string"),
    ("seconds", "string"),
];

#[test]
fn api_builds() {
    let s = site();
    let v = s.get("/toastergui/api/builds").json();
    schema(&v, &[("count", "int"), ("builds", "array")]);
    let builds = v["builds"].as_array().cloned().unwrap_or_default();
    assert_eq!(v["count"].as_u64(), Some(builds.len() as u64));
    assert_eq!(builds.len(), 4, "every build not in progress");
    let mut fields = COMMON.to_vec();
    fields.extend([
        ("outcome", "string"),
        ("stop", "string"),
        ("errors", "int"),
        ("warnings", "int"),
    ]);
    for b in &builds {
        schema(b, &fields);
        assert!(
            is_iso(b["start"].as_str().unwrap_or("")) && is_iso(b["stop"].as_str().unwrap_or("")),
            "{b}"
        );
        assert!(is_seconds(b["seconds"].as_str().unwrap_or("")), "{b}");
        assert!(
            ["Succeeded", "Failed", "Cancelled"].contains(&b["outcome"].as_str().unwrap_or(""))
        );
    }
    // Newest start first.
    let starts: Vec<&str> = builds.iter().filter_map(|b| b["start"].as_str()).collect();
    assert!(starts.windows(2).all(|w| w[0] >= w[1]));
    let failed = builds
        .iter()
        .find(|b| b["id"] == s.failed)
        .cloned()
        .unwrap_or_default();
    assert_eq!(failed["outcome"], "Failed");
    assert_eq!(failed["errors"], 3);
    assert_eq!(
        failed["target"], "image0 recipe0002:compile",
        "every target, not a lone one"
    );
}

#[test]
fn api_building() {
    let s = site();
    let v = s.get("/toastergui/api/building").json();
    schema(&v, &[("count", "int"), ("building", "array")]);
    assert_eq!(v["count"], 1);
    let b = &v["building"][0];
    let mut fields = COMMON.to_vec();
    fields.extend([("clone", "string"), ("parse", "string"), ("task", "string")]);
    schema(b, &fields);
    assert_eq!(b["id"], s.running);
    let conn = rusqlite::Connection::open(&s.db).unwrap_or_else(|e| panic!("{e}"));
    let (ordered, total): (i64, i64) = conn
        .query_row(
            "SELECT sum(\"order\" IS NOT NULL), count(*) FROM orm_task WHERE build_id = ?1",
            [s.running],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(b["task"], format!("{ordered}:{total}"));
    for f in ["clone", "parse"] {
        let x = b[f].as_str().unwrap_or("");
        assert!(
            x.split_once(':')
                .is_some_and(|(a, c)| a.parse::<i64>().is_ok() && c.parse::<i64>().is_ok()),
            "{f}: {x}"
        );
    }
}

#[test]
fn api_build() {
    let s = site();
    let v = s
        .get(&format!("/toastergui/api/build/{}", s.hostile))
        .json();
    schema(&v, &[("build", "object")]);
    let mut fields = COMMON.to_vec();
    fields.extend([
        ("outcome", "string"),
        ("stop", "string"),
        ("errors", "int"),
        ("warnings", "int"),
        ("cooker_log", "string"),
    ]);
    schema(&v["build"], &fields);
    assert!(
        v["build"]["cooker_log"]
            .as_str()
            .is_some_and(|l| l.ends_with("cooker.log"))
    );
    let missing = s.get("/toastergui/api/build/999999");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json(), serde_json::json!({"build": null}));
}

#[test]
fn most_recent_builds() {
    let s = site();
    let v = s.get("/toastergui/mostrecentbuilds").json();
    let list = v.as_array().cloned().unwrap_or_default();
    assert_eq!(
        list.len(),
        4,
        "the running build, then the three newest finished"
    );
    assert_eq!(list[0]["id"], s.running);
    let fields = [
        ("id", "int"),
        ("dashboard_url", "string"),
        ("buildrequest_id", "null"),
        ("recipes_parsed_percentage", "int"),
        ("repos_cloned_percentage", "int"),
        ("tasks_complete_percentage", "int"),
        ("progress_item", "string"),
        ("state", "string"),
        ("errors", "int"),
        ("dashboard_errors_url", "string"),
        ("warnings", "int"),
        ("dashboard_warnings_url", "string"),
        ("buildtime", "string"),
        ("buildtime_url", "string"),
        ("rebuild_url", "string"),
        ("cancel_url", "string"),
        ("is_default_project_build", "bool"),
        ("build_targets_json", "array"),
        ("completed_on", "string"),
        ("targets", "string"),
        ("targets_abbreviated", "string"),
    ];
    for b in &list {
        schema(b, &fields);
    }
    assert_eq!(list[0]["state"], "In Progress");
    let pct = list[0]["tasks_complete_percentage"].as_i64().unwrap_or(-1);
    assert!((1..100).contains(&pct), "{pct}");
    assert_eq!(list[0]["targets_abbreviated"], "image0 +1");
    assert!(
        list[1..]
            .iter()
            .all(|b| b["tasks_complete_percentage"] == 100)
    );
    let conn = rusqlite::Connection::open(&s.db).unwrap_or_else(|e| panic!("{e}"));
    let project: i64 = conn
        .query_row(
            "SELECT project_id FROM orm_build WHERE id = ?1",
            [s.user],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let mine = s
        .get(&format!(
            "/toastergui/mostrecentbuilds?project_id={project}"
        ))
        .json();
    assert_eq!(mine.as_array().map(Vec::len), Some(1));
    assert_eq!(mine[0]["is_default_project_build"], false);
    let fast = s.get("/toastergui/mostrecentbuilds");
    assert!(fast.statements() <= 2);
}
