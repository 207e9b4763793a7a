use super::*;

#[test]
fn file_relative_with_params() {
    let u = SrcUri::parse("file://fix.patch;striplevel=2;patchdir=src").unwrap();
    assert_eq!(u.scheme(), "file");
    assert_eq!(u.host(), "");
    assert_eq!(u.path(), "fix.patch");
    assert_eq!(u.param("striplevel"), Some("2"));
    assert_eq!(u.param("patchdir"), Some("src"));
    assert_eq!(u.uint_param("striplevel", 1).unwrap(), 2);
    assert_eq!(u.basename(), "fix.patch");
    assert_eq!(u.name(), UriName::default_name());
}

#[test]
fn file_subdir_and_absolute() {
    assert_eq!(SrcUri::parse("file://a/b.txt").unwrap().path(), "a/b.txt");
    assert_eq!(SrcUri::parse("file:///abs/c").unwrap().path(), "/abs/c");
}

#[test]
fn git_local_and_host() {
    let u = SrcUri::parse("git:///srv/repo.git;protocol=file;branch=main;name=foo").unwrap();
    assert_eq!(u.host(), "");
    assert_eq!(u.path(), "/srv/repo.git");
    assert_eq!(u.name().as_str(), "foo");
    assert_eq!(u.name().checksum_flag("sha256sum"), "foo.sha256sum");
    let u = SrcUri::parse("git://git.example.com:8080/path/to/x.git;protocol=file").unwrap();
    assert_eq!(u.host(), "git.example.com:8080");
    assert_eq!(u.path(), "/path/to/x.git");
    let u = SrcUri::parse("git://me@host.org/p").unwrap();
    assert_eq!(u.user(), Some("me"));
    assert_eq!(u.host(), "host.org");
}

#[test]
fn https_with_downloadfilename() {
    let u = SrcUri::parse(
        "https://example.com/d/hello-2.10.tar.gz;downloadfilename=x.tgz;sha256sum=ab",
    )
    .unwrap();
    assert_eq!(u.scheme(), "https");
    assert_eq!(u.path(), "/d/hello-2.10.tar.gz");
    assert_eq!(u.param("downloadfilename"), Some("x.tgz"));
    assert_eq!(u.param("sha256sum"), Some("ab"));
    assert_eq!(u.to_string(), u.as_str());
    let u = SrcUri::parse("http://host").unwrap();
    assert_eq!(u.path(), "/");
}

#[test]
fn percent_escapes_are_decoded() {
    assert_eq!(SrcUri::parse("https://h/a%20b").unwrap().path(), "/a b");
    assert_eq!(SrcUri::parse("https://h/a%2").unwrap().path(), "/a%2");
    assert_eq!(SrcUri::parse("https://h/a%zz").unwrap().path(), "/a%zz");
}

#[test]
fn last_value_of_repeated_key_wins() {
    let u = SrcUri::parse("file://a;x=1;;x=2").unwrap();
    assert_eq!(u.param("x"), Some("2"));
    assert_eq!(u.params().count(), 1);
}

#[test]
fn errors_name_the_word() {
    for word in [
        "nourl",
        "://x",
        "file://",
        "file://a;novalue",
        "ht tp://x",
        "",
        "fi|e://x",
        "file://a;=v",
    ] {
        let err = SrcUri::parse(word).unwrap_err().to_string();
        assert!(err.contains(&format!("`{word}`")), "{err}");
    }
    let err = SrcUri::parse("file://a;novalue").unwrap_err().to_string();
    assert!(err.contains("missing `=`"), "{err}");
}

#[test]
fn bool_and_int_params() {
    let u = SrcUri::parse("file://a.tar;unpack=0;apply=yes;striplevel=x").unwrap();
    assert!(!u.bool_param("unpack", true).unwrap());
    assert!(u.bool_param("apply", false).unwrap());
    assert!(u.bool_param("missing", true).unwrap());
    let err = u.uint_param("striplevel", 1).unwrap_err().to_string();
    assert!(
        err.contains("striplevel=x") && err.contains("file://a.tar"),
        "{err}"
    );
}

#[test]
fn parse_whole_value() {
    let v = parse_src_uri("  file://a\n\tfile://b;apply=no ").unwrap();
    assert_eq!(v.len(), 2);
    assert!(parse_src_uri("file://a bad").is_err());
}
