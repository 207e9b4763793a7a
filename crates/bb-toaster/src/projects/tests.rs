//! Importing a build directory; the checks of values, URLs, revisions, paths and targets.

use super::*;

#[test]
fn an_imported_build_directory_brings_its_layers_machine_and_distro() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let build = tmp.path().join("build");
    for l in ["meta-a", "meta-b", "not-a-layer"] {
        fs_err::create_dir_all(tmp.path().join(l).join("conf")).unwrap_or_else(|e| panic!("{e}"));
    }
    for l in ["meta-a", "meta-b"] {
        fs_err::write(tmp.path().join(l).join("conf/layer.conf"), "")
            .unwrap_or_else(|e| panic!("{e}"));
    }
    fs_err::create_dir_all(build.join("conf")).unwrap_or_else(|e| panic!("{e}"));
    fs_err::write(
        build.join("conf/bblayers.conf"),
        "BBLAYERS ?= \" \\\n  ${TOPDIR}/../meta-a \\\n  ../meta-b ${OEROOT}/meta ../not-a-layer \\\n  \"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    fs_err::write(
        build.join("conf/local.conf"),
        "MACHINE ??= \"qemux86-64\"\nDISTRO = \"nodistro\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let conn = crate::db::open(&tmp.path().join("t.sqlite")).unwrap_or_else(|e| panic!("{e}"));
    let pid = new_project(
        &conn,
        "imported",
        None,
        false,
        Some(&build.display().to_string()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut st = conn
        .prepare("SELECT l.name FROM orm_projectlayer pl JOIN orm_layer_version lv ON lv.id = pl.layercommit_id JOIN orm_layer l ON l.id = lv.layer_id WHERE pl.project_id = ?1 ORDER BY l.name")
        .unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<String> = st
        .query_map([pid], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"))
        .collect::<std::result::Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names, ["meta-a", "meta-b"]);
    let vars: Vec<String> = conn
        .prepare("SELECT name || '=' || value FROM orm_projectvariable WHERE project_id = ?1 ORDER BY name")
        .unwrap_or_else(|e| panic!("{e}"))
        .query_map([pid], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"))
        .collect::<std::result::Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(vars, ["DISTRO=nodistro", "MACHINE=qemux86-64"]);
    // Not a build directory.
    let err = new_project(
        &conn,
        "x",
        None,
        false,
        Some(&tmp.path().join("meta-a/conf").display().to_string()),
    );
    assert!(err.is_err());
}

#[test]
fn values_that_would_escape_are_refused() {
    for (name, value) in [
        ("TMPDIR", "/x"),
        ("X", "${@bb.utils.remove('/')}"),
        ("X", "a\nb"),
        ("DL_DIR", "rel"),
        ("MACHINE", "a b"),
        ("A=B", "x"),
    ] {
        assert!(check_variable(name, value).is_err(), "{name}={value}");
    }
    assert!(check_variable("IMAGE_INSTALL:append", " sayhello").is_ok());
    assert!(check_variable("X", "<b>\"q\"</b> $(id) `id`").is_ok());
    for url in [
        "ext::sh -c id",
        "-uhttps://x",
        "https://x y",
        "ftp://x",
        "file:relative",
    ] {
        assert!(check_git_url(url).is_err(), "{url}");
    }
    assert!(check_git_url("file:///srv/git/meta-x").is_ok());
    for rev in ["-x", "a..b", "a b", ""] {
        assert!(check_revision(rev).is_err(), "{rev:?}");
    }
    for sub in ["../x", "/abs", "a/../../b"] {
        assert!(check_subdir(sub).is_err(), "{sub}");
    }
    assert_eq!(
        parse_targets("a b:do_compile c:fetch").unwrap_or_default(),
        [
            ("a".to_owned(), String::new()),
            ("b".into(), "compile".into()),
            ("c".into(), "fetch".into())
        ]
    );
    assert!(parse_targets("-e").is_err());
    assert!(parse_targets("a;b").is_err());
}
