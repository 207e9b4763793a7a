use super::*;

#[test]
fn escapes_markup_and_quotes() {
    assert_eq!(
        esc("<script>alert('x')</script> & \"q\""),
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;q&quot;"
    );
}

#[test]
fn inline_json_cannot_close_the_script() {
    let v = serde_json::json!({"name": "</script><script>x()</script>\u{2028}'&"});
    let s = json_script(&v);
    assert!(!s.contains('<') && !s.contains('>') && !s.contains('\u{2028}'));
    assert!(!s.contains('\'') && !s.contains('&'));
    let back: serde_json::Value = serde_json::from_str(&s).unwrap_or_default();
    assert_eq!(back, v);
}

#[test]
fn formats() {
    assert_eq!(size(10), "10 bytes");
    assert_eq!(size(2048), "2.0 KB");
    assert_eq!(size(3 * 1024 * 1024), "3.0 MB");
    assert_eq!(hms(3725.4), "1:02:05");
    assert_eq!(
        iso("2026-12-07 11:55:52.123456"),
        "2026-12-07T11:55:52.123Z"
    );
    assert_eq!(iso("2026-12-07 11:55:52"), "2026-12-07T11:55:52Z");
    assert_eq!(epoch("1970-01-02 00:00:01.5"), Some(86_401.5));
    assert_eq!(epoch("garbage"), None);
    assert_eq!(urlenc("a b&c/é"), "a%20b%26c%2F%C3%A9");
    assert_eq!(
        query(&[("a", "1"), ("b", ""), ("c", "x y")]),
        "?a=1&c=x%20y"
    );
}

#[test]
fn json_str_writes_what_json_script_writes() {
    for s in [
        "",
        "plain",
        "</script><script>alert('x')</script>",
        "q\"uote\\back\nline\ttab\r\u{1}\u{8}\u{c}\u{1f}",
        "a & b > c \u{2028}\u{2029} é 😀",
    ] {
        let mut out = String::new();
        super::json_str(&mut out, s);
        assert_eq!(out, super::json_script(&serde_json::json!(s)), "{s:?}");
    }
}
