use super::*;

#[test]
fn query_parameters_are_lenient() {
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    };
    let q = TableQuery::parse(&pairs(&[
        ("page", "x"),
        ("limit", "-3"),
        ("format", "json"),
    ]));
    assert_eq!((q.page, q.limit, q.json), (1, None, true));
    let q = TableQuery::parse(&pairs(&[("page", "0"), ("limit", "25")]));
    assert_eq!((q.page, q.limit), (1, Some(25)));
}

#[test]
fn like_patterns_escape_wildcards() {
    assert_eq!(like("a%b_c\\"), "%a\\%b\\_c\\\\%");
}

#[test]
fn dates_are_checked() {
    assert_eq!(date("2026-01-31"), Some("2026-01-31".into()));
    assert_eq!(date("2026-1-31"), None);
    assert_eq!(date("2026-01-3x"), None);
}
