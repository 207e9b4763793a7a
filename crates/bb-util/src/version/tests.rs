//! Tests of the version order: a table of results produced by real BitBake
//! (`testdata/bb-cooker/vercmp.txt`), order laws, and PREFERRED_VERSION parsing.

use std::cmp::Ordering;

use proptest::prelude::*;

use super::*;

const TABLE: &str = include_str!("../../../../testdata/bb-cooker/vercmp.txt");

fn symbol(r: &Result<Ordering, VersionError>) -> &'static str {
    match r {
        Ok(Ordering::Less) => "<",
        Ok(Ordering::Equal) => "=",
        Ok(Ordering::Greater) => ">",
        Err(_) => "E",
    }
}

#[test]
fn matches_bitbake_table() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in TABLE.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 4, "bad table line {line:?}");
        let got = match cols[0] {
            "string" => symbol(&vercmp_string(cols[1], cols[2])),
            "part" => symbol(&Ok(vercmp_part(cols[1], cols[2]))),
            other => panic!("unknown kind {other}"),
        };
        if got != cols[3] {
            failures.push(format!("{line:?}: got {got}"));
        }
        checked += 1;
    }
    assert!(checked >= 200, "only {checked} rows");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn concrete_orders() {
    use Ordering::*;
    let cases = [
        ("1.0~rc1", "1.0", Less),
        ("1.0", "1.0a", Less),
        ("1.0", "1.0.0", Less),
        ("1.0a", "1.0+git", Less),
        ("1.10", "1.9", Greater),
        ("007", "7", Equal),
        ("~", "", Less),
        ("", "", Equal),
        ("a", "B", Greater),
        ("99999999999999999999999", "100000000000000000000000", Less),
    ];
    for (a, b, want) in cases {
        assert_eq!(vercmp_part(a, b), want, "{a} vs {b}");
    }
}

#[test]
fn epochs() {
    assert_eq!(
        vercmp(("", "9", "r9"), ("1", "0", "r0")),
        Ok(Ordering::Less)
    );
    assert_eq!(
        vercmp(("0", "1", "r0"), ("", "1", "r0")),
        Ok(Ordering::Equal)
    );
    assert_eq!(
        vercmp((" 2 ", "1", ""), ("1_0", "1", "")),
        Ok(Ordering::Less)
    );
    assert_eq!(vercmp(("-1", "1", ""), ("", "1", "")), Ok(Ordering::Less));
    let err = vercmp(("x", "1", ""), ("", "1", "")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid literal for int() with base 10: 'x'"
    );
    assert!(vercmp(("1__0", "1", ""), ("", "1", "")).is_err());
}

#[test]
fn split_version_like_bitbake() {
    let s = |v: &str| split_version(v).unwrap_or_default();
    assert_eq!(s(">= 1:2.3-r1"), ("1".into(), "2.3".into(), "r1".into()));
    assert_eq!(s("1:2:3-4-5"), ("1".into(), "2".into(), "".into()));
    assert_eq!(s("2.3-4-5"), ("0".into(), "2.3-4".into(), "5".into()));
}

#[test]
fn string_op() {
    assert_eq!(vercmp_string_op("1.0", "1.0", "=="), Ok(true));
    assert_eq!(vercmp_string_op("1.0", "2", ">>"), Ok(false));
    assert_eq!(vercmp_string_op("1.0", "2", "<="), Ok(true));
    let err = vercmp_string_op("1", "2", "~=").unwrap_err();
    assert_eq!(err.to_string(), "Unsupported comparison operator \"~=\"");
}

#[test]
fn preferred_version_parse() {
    let p = PreferredVersion::parse("1:2.0%");
    assert_eq!(p.epoch.as_deref(), Some("1"));
    assert_eq!(p.version, "2.0%");
    assert!(p.matches("1", "2.0.5"));
    assert!(!p.matches("", "2.0.5"));
    assert!(!p.matches("2", "2.0.5"));
    assert_eq!(p.to_string(), "1:2.0%");

    // The last repeated `DIGITS:` is the epoch.
    let p = PreferredVersion::parse("12:3:abc");
    assert_eq!(p.epoch.as_deref(), Some("3"));
    assert_eq!(p.version, "abc");

    // `_r1` is not split off.
    let p = PreferredVersion::parse("1.0_r1");
    assert_eq!(p.epoch, None);
    assert_eq!(p.version, "1.0_r1");
    assert!(!p.matches("", "1.0"));

    let p = PreferredVersion::parse("1.2%");
    for pv in ["1.2", "1.2.3", "1.20"] {
        assert!(p.matches("", pv), "{pv}");
    }
    assert!(!p.matches("", "1.3"));
    let p = PreferredVersion::parse("1.2");
    assert!(!p.matches("", "1.2.3"));
    assert!(
        p.matches("5", "1.2"),
        "no epoch in the preference accepts any PE"
    );
}

#[test]
fn repr_quotes() {}

/// Random version text: digits, a few letters and every separator kind.
const V: &str = "[0-9a-cA.+~_-]{0,8}";

proptest! {
    #[test]
    fn part_is_reflexive(a in V) {
        prop_assert_eq!(vercmp_part(&a, &a), Ordering::Equal);
    }

    #[test]
    fn part_is_antisymmetric(a in V, b in V) {
        prop_assert_eq!(vercmp_part(&a, &b), vercmp_part(&b, &a).reverse());
    }

    #[test]
    fn part_is_transitive(a in V, b in V, c in V) {
        let mut v = [a, b, c];
        v.sort_by(|x, y| vercmp_part(x, y));
        prop_assert_ne!(vercmp_part(&v[0], &v[1]), Ordering::Greater);
        prop_assert_ne!(vercmp_part(&v[1], &v[2]), Ordering::Greater);
        prop_assert_ne!(vercmp_part(&v[0], &v[2]), Ordering::Greater);
    }

    #[test]
    fn vercmp_is_a_total_order(
        ea in 0u8..3, va in V, ra in V,
        eb in 0u8..3, vb in V, rb in V,
        ec in 0u8..3, vc in V, rc in V,
    ) {
        let e = |x: u8| if x == 0 { String::new() } else { x.to_string() };
        let (ea, eb, ec) = (e(ea), e(eb), e(ec));
        let a = (ea.as_str(), va.as_str(), ra.as_str());
        let b = (eb.as_str(), vb.as_str(), rb.as_str());
        let c = (ec.as_str(), vc.as_str(), rc.as_str());
        let ab = vercmp(a, b).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let ba = vercmp(b, a).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let bc = vercmp(b, c).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let ac = vercmp(a, c).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(vercmp(a, a), Ok(Ordering::Equal));
        prop_assert_eq!(ab, ba.reverse());
        if ab != Ordering::Greater && bc != Ordering::Greater {
            prop_assert_ne!(ac, Ordering::Greater);
        }
        if ab == Ordering::Equal && bc == Ordering::Equal {
            prop_assert_eq!(ac, Ordering::Equal);
        }
    }
}
