use super::*;

#[test]
fn ar_round_trip_and_padding() {
    let a = ar(&[("debian-binary", b"2.0\n"), ("odd", b"abc")], 42);
    assert_eq!(&a[..8], b"!<arch>\n");
    assert_eq!(a.len(), 8 + 60 + 4 + 60 + 4);
    let m = ar_members("x.deb", &a).unwrap();
    assert_eq!(m[0], ("debian-binary".to_owned(), b"2.0\n".as_slice()));
    assert_eq!(m[1], ("odd".to_owned(), b"abc".as_slice()));
    assert!(
        ar_members("x.deb", b"junk")
            .unwrap_err()
            .to_string()
            .starts_with("x.deb:0: not an ar")
    );
}

#[test]
fn gzip_is_deterministic() {
    assert_eq!(gzip(b"hello").unwrap(), gzip(b"hello").unwrap());
    let g = gzip(b"hello").unwrap();
    assert_eq!(&g[4..8], &[0, 0, 0, 0], "no time in the header");
}
