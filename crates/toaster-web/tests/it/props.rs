//! Property test of the table endpoints' query parameters: any value of any parameter
//! gives an answer (never a 500, never a panic), and JSON answers parse.

use proptest::prelude::*;

use crate::site;

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[-0-9]{0,25}",
        "[a-z_:%+-]{0,30}",
        Just("-".to_owned()),
        Just("outcome_filter:date_range".to_owned()),
        Just("2026-01-01,2026-13-45".to_owned()),
        Just("task_outcome:failed".to_owned()),
        Just("filterinfo".to_owned()),
        Just("%00%ff%".to_owned()),
        Just("99999999999999999999999".to_owned()),
    ]
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn table_parameters_never_break_a_table(
        table in 0usize..8,
        json in any::<bool>(),
        params in proptest::collection::vec((prop_oneof![
            Just("page"), Just("limit"), Just("search"), Just("orderby"), Just("filter"),
            Just("filter_value"), Just("cmd"), Just("name"), Just("format"), Just("start"),
            Just("show_matches"), Just("project_id"),
        ], value()), 0..6),
        raw in "[a-zA-Z0-9=&%._~:,-]{0,40}",
    ) {
        let s = site();
        let r = crate::routes(s, s.ok);
        let urls = [
            "/toastergui/builds/".to_owned(), "/toastergui/projects/".into(),
            r[10].clone(), r[16].clone(), r[21].clone(), r[24].clone(), r[29].clone(), "/toastergui/mostrecentbuilds".into(),
        ];
        let mut q: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect();
        if json { q.push("format=json".into()); }
        q.push(raw);
        let url = format!("{}?{}", urls[table], q.join("&"));
        let resp = s.get(&url);
        prop_assert!(resp.status.as_u16() < 500, "{}: {}", url, resp.status);
        prop_assert!(resp.statements() <= 20, "{}: {} statements", url, resp.statements());
        let ctype = resp.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        if ctype.starts_with("application/json") {
            prop_assert!(serde_json::from_str::<serde_json::Value>(&resp.body).is_ok(), "{}", url);
        }
    }
}
