//! Toaster's generic ToasterTable test (`test_views.py`) over every table of the read
//! side: rows, default order, each orderable column sorts both ways, each filter
//! action's count is the number of rows it keeps, search finds rows, `limit=1` gives one
//! row, page 2 differs from page 1; plus the DOM hooks the browser tests use.

use serde_json::Value;

use crate::{Site, site};

fn tables(s: &Site) -> Vec<(String, &'static str)> {
    let r = crate::routes(s, s.ok);
    let project: i64 = {
        let conn = rusqlite::Connection::open(&s.db).unwrap_or_else(|e| panic!("{e}"));
        conn.query_row(
            "SELECT project_id FROM orm_build WHERE id = ?1",
            [s.ok],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    };
    vec![
        ("/toastergui/builds/".into(), "allbuildstable"),
        ("/toastergui/projects/".into(), "projectstable"),
        (
            format!("/toastergui/project/{project}/builds/"),
            "projectbuildstable",
        ),
        (r[10].clone(), "buildtaskstable"),
        (r[11].clone(), "buildtaskstable"),
        (r[12].clone(), "buildtaskstable"),
        (r[13].clone(), "buildtaskstable"),
        (r[16].clone(), "builtrecipestable"),
        (r[21].clone(), "builtpackagestable"),
        (r[24].clone(), "installedpackagestable"),
        (
            format!("{}?filter=description_filter:all", r[29]),
            "variablestable",
        ),
    ]
}

fn with(url: &str, q: &str) -> String {
    format!("{url}{}{q}", if url.contains('?') { '&' } else { '?' })
}

fn rows(v: &Value) -> Vec<Value> {
    v["rows"].as_array().cloned().unwrap_or_default()
}

#[test]
fn generic_table_test() {
    let s = site();
    for (url, id) in tables(s) {
        let page = s.get(&url);
        assert_eq!(page.status, 200, "{url}");
        for hook in [
            format!("id=\"{id}\""),
            format!("id=\"search-input-{id}\""),
            format!("id=\"search-submit-{id}\""),
            "id=\"edit-columns-button\"".into(),
            "class=\"dropdown-menu editcol".into(),
            format!("select class=\"pagesize-{id}\""),
            format!("id=\"filter-modal-{id}\""),
        ] {
            assert!(page.body.contains(&hook), "{url}: no {hook}");
        }
        let all = s.get(&with(&url, "format=json&limit=1000")).json();
        assert_eq!(all["error"], "ok", "{url}");
        let total = all["total"].as_i64().unwrap_or(0);
        assert!(total > 1, "{url}: {total} rows");
        assert_eq!(rows(&all).len() as i64, total, "{url}");
        let default = s.get(&with(&url, "format=json")).json();
        let order = default["default_orderby"].as_str().unwrap_or("").to_owned();
        assert!(!order.is_empty(), "{url}");
        let columns = all["columns"].as_array().cloned().unwrap_or_default();
        for c in &columns {
            let f = c["field_name"].as_str().unwrap_or("");
            // Unhideable columns are disabled in the column editor.
            let checkbox = format!("id=\"checkbox-{f}\"");
            let i = page
                .body
                .find(&checkbox)
                .unwrap_or_else(|| panic!("{url}: no {checkbox}"));
            let tag = &page.body[i..i + page.body[i..].find('>').unwrap_or(0)];
            assert_eq!(
                tag.contains("disabled"),
                c["hideable"] == false,
                "{url}: {tag}"
            );
            if c["orderable"] != true {
                continue;
            }
            let values: Vec<String> = rows(&all).iter().map(|r| r[f].to_string()).collect();
            let distinct: std::collections::BTreeSet<&String> = values.iter().collect();
            let asc = s
                .get(&with(&url, &format!("format=json&limit=1000&orderby={f}")))
                .json();
            let desc = s
                .get(&with(&url, &format!("format=json&limit=1000&orderby=-{f}")))
                .json();
            assert_eq!(asc["total"], all["total"], "{url} orderby {f}");
            if distinct.len() > 1 {
                let a: Vec<Value> = rows(&asc).iter().map(|r| r["id"].clone()).collect();
                let d: Vec<Value> = rows(&desc).iter().map(|r| r["id"].clone()).collect();
                assert_ne!(a, d, "{url}: sorting by {f} both ways gives one order");
            }
            // The page marks the sorted column.
            let sorted = s.get(&with(&url, &format!("orderby=-{f}")));
            assert!(
                sorted.body.contains("class=\"sorted sorted-desc\""),
                "{url} orderby -{f}"
            );
        }
        for c in &columns {
            let Some(filter) = c["filter_name"].as_str() else {
                continue;
            };
            let info = s
                .get(&with(
                    &url,
                    &format!("format=json&cmd=filterinfo&name={filter}"),
                ))
                .json();
            assert_eq!(info["name"], filter, "{url}");
            let actions = info["filter_actions"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert_eq!(
                actions.first().map(|a| a["action_name"].clone()),
                Some("all".into())
            );
            for a in actions.iter().skip(1) {
                let Some(count) = a["count"].as_i64() else {
                    assert_eq!(a["type"], "daterange");
                    continue;
                };
                let name = a["action_name"].as_str().unwrap_or("");
                let got = s
                    .get(&with(
                        &url,
                        &format!("format=json&limit=1000&filter={filter}:{name}"),
                    ))
                    .json();
                assert_eq!(
                    got["total"].as_i64(),
                    Some(count),
                    "{url} filter {filter}:{name}"
                );
                assert_eq!(
                    rows(&got).len() as i64,
                    count,
                    "{url} filter {filter}:{name}"
                );
                if count > 0 {
                    let b = s.get(&with(&url, &format!("filter={filter}:{name}")));
                    assert!(
                        b.body
                            .contains(&format!("filter-btn btn-primary\" id=\"{filter}\"")),
                        "{url}: {filter} not shown active"
                    );
                }
            }
        }
        // Some letter finds rows.
        let found = ["e", "a", "r", "0", "1", "p"].iter().any(|l| {
            let v = s
                .get(&with(&url, &format!("format=json&search={l}")))
                .json();
            v["total"].as_i64().unwrap_or(0) > 0
        });
        assert!(found, "{url}: no letter finds a row");
        let one = s.get(&with(&url, "format=json&limit=1")).json();
        assert_eq!(rows(&one).len(), 1, "{url}");
        let two = s.get(&with(&url, "format=json&limit=1&page=2")).json();
        assert_eq!(rows(&two).len(), 1, "{url}");
        assert_ne!(
            rows(&one)[0]["id"],
            rows(&two)[0]["id"],
            "{url}: page 2 is page 1"
        );
        // Out of range is page 1.
        let far = s.get(&with(&url, "format=json&limit=1&page=100000")).json();
        assert_eq!(rows(&far)[0]["id"], rows(&one)[0]["id"], "{url}");
    }
}

#[test]
fn builds_tables_leave_out_builds_in_progress_and_mark_cli_builds() {
    let s = site();
    let v = s.get("/toastergui/builds/?format=json&limit=100").json();
    let ids: Vec<i64> = rows(&v).iter().filter_map(|r| r["id"].as_i64()).collect();
    assert!(ids.contains(&s.ok) && ids.contains(&s.failed) && ids.contains(&s.user));
    assert!(!ids.contains(&s.running));
    let page = s.get("/toastergui/builds/?limit=100");
    // Rebuild only for builds of user projects; the CLI project has its help icon.
    assert_eq!(page.body.matches("class=\"rebuild-btn").count(), 1);
    assert!(page.body.contains("help-icon get-help"));
    // Time links only for succeeded builds.
    let failed_row = rows(&v)
        .into_iter()
        .find(|r| r["id"] == s.failed)
        .unwrap_or_default();
    assert_eq!(failed_row["failed_tasks"], 1);
    assert_eq!(failed_row["errors_no"], 3);
    assert_eq!(failed_row["warnings_no"], 1);
    assert_eq!(failed_row["target"], "image0 recipe0002:compile");
    let projects = s.get("/toastergui/projects/?format=json").json();
    let cli = rows(&projects)
        .into_iter()
        .find(|r| r["name"] == "Command line builds")
        .unwrap_or_default();
    assert_eq!(cli["machine"], "Not applicable");
}

#[test]
fn search_words_are_anded_and_wildcards_are_literal() {
    let s = site();
    let url = format!("/toastergui/build/{}/recipes/?format=json", s.ok);
    let one = s.get(&format!("{url}&search=recipe0003")).json();
    assert_eq!(one["total"], 1);
    let both = s.get(&format!("{url}&search=recipe0003+GPL")).json();
    assert_eq!(both["total"], 1);
    let none = s.get(&format!("{url}&search=recipe0003+MIT")).json();
    assert_eq!(none["total"], 0);
    let pct = s.get(&format!("{url}&search=%25")).json();
    assert_eq!(pct["total"], 0, "`%` is a character, not a wildcard");
}
