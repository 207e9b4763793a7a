use super::*;

#[test]
fn versions_and_commas() {
    let d = parse_deps("RDEPENDS", "foo (>= 1.0) bar, baz (= 2) foo").unwrap();
    assert_eq!(
        d,
        vec![
            Dep {
                name: "foo".into(),
                version: Some(">= 1.0".into())
            },
            Dep::new("bar"),
            Dep {
                name: "baz".into(),
                version: Some("= 2".into())
            },
        ]
    );
    assert_eq!(join_deps(&d, true), "foo (>= 1.0), bar, baz (= 2)");
    assert_eq!(d[0].constraint(), Some((">=", "1.0")));
}

#[test]
fn errors_name_the_value() {
    let e = parse_deps("RDEPENDS:x", "foo (>= 1")
        .unwrap_err()
        .to_string();
    assert!(e.contains("RDEPENDS:x") && e.contains("unclosed"), "{e}");
    let e = parse_deps("RDEPENDS:x", "(>= 1)").unwrap_err().to_string();
    assert!(e.contains("follows no package"), "{e}");
}
