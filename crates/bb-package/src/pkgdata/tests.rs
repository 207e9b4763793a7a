use super::*;

#[test]
fn unicode_escape_like_python() {
    assert_eq!(encode("a\nb\\c\té"), "a\\nb\\\\c\\t\\xe9");
    assert_eq!(encode("€"), "\\u20ac");
    for s in ["plain", "two\nlines\n", "tab\there", "é€x\\n"] {
        assert_eq!(decode(&encode(s)), s);
    }
}

#[test]
fn files_info_is_python_json() {
    let mut m = BTreeMap::new();
    m.insert("/usr/bin/b".to_owned(), 2);
    m.insert("/usr/bin/a".to_owned(), 10);
    assert_eq!(
        files_info_json(&m),
        r#"{"/usr/bin/a": 10, "/usr/bin/b": 2}"#
    );
    assert_eq!(files_info_json(&BTreeMap::new()), "{}");
}
