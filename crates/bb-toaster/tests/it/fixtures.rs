//! loaddata and checksettings.
#![expect(
    clippy::disallowed_methods,
    reason = "test inputs are written directly"
)]

use bb_toaster::manage::checksettings;

use super::{fixtures_dir, rows, temp_db};

#[test]
fn checksettings_loads_the_fixtures_once_and_new_projects_get_their_defaults() {
    let (tmp, path) = temp_db();
    let mut conn = bb_toaster::db::open(&path).expect("opens");
    let r = checksettings(&mut conn, &fixtures_dir(), false).expect("first run");
    let names: Vec<&str> = r
        .loaded
        .iter()
        .map(|f| f.rsplit('/').next().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        ["settings.xml", "bake.xml", "oe-core.xml", "custom.xml"]
    );
    // custom.xml overrides settings.xml by pk.
    assert_eq!(
        rows(
            &conn,
            "SELECT value FROM orm_toastersetting WHERE name = 'DEFCONF_MACHINE'",
            []
        ),
        ["qemuarm64"]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT r.name, b.name FROM orm_release r JOIN orm_bitbakeversion b ON r.bitbake_version_id = b.id ORDER BY r.id",
            []
        ),
        ["bake|bake", "blacksail|master", "local|HEAD"]
    );
    // The local release points at the local checkouts once checksettings is told where.
    bb_toaster::manage::patch_local_dir(
        &conn,
        bb_toaster::manage::OE_CORE_PLACEHOLDER,
        "/src/oe-core/meta",
    )
    .expect("patch");
    assert_eq!(
        rows(
            &conn,
            "SELECT l.name, lv.local_path FROM orm_layer_version lv JOIN orm_layer l ON l.id = lv.layer_id JOIN orm_release r ON r.id = lv.release_id WHERE r.name = 'local'",
            []
        ),
        ["openembedded-core|/src/oe-core/meta"]
    );
    // Toaster's default project, as Toaster creates it: no release, no variables.
    assert_eq!(
        rows(
            &conn,
            "SELECT name, short_description, is_default, coalesce(release_id, 'NULL'), (SELECT count(*) FROM orm_projectvariable v WHERE v.project_id = p.id) FROM orm_project p",
            []
        ),
        ["Command line builds|Project for builds started outside Toaster|1|NULL|0"]
    );
    // A new project gets DEFAULT_RELEASE and the DEFCONF_ variables.
    let start = bb_toaster::BuildStart {
        project: Some("mine".into()),
        ..bb_toaster::BuildStart::default()
    };
    bb_toaster::Recorder::start(&path, start)
        .expect("records")
        .finish()
        .expect("finishes");
    assert_eq!(
        rows(
            &conn,
            "SELECT p.name, r.name, p.is_default FROM orm_project p JOIN orm_release r ON p.release_id = r.id",
            []
        ),
        ["mine|bake|0"]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT v.name, v.value FROM orm_projectvariable v JOIN orm_project p ON v.project_id = p.id WHERE p.name = 'mine' ORDER BY v.name",
            []
        ),
        [
            "DISTRO|bake",
            "DL_DIR|${TOPDIR}/../downloads",
            "IMAGE_FSTYPES|ext3 jffs2 tar.bz2",
            "IMAGE_INSTALL:append|",
            "MACHINE|qemuarm64",
            "PACKAGE_CLASSES|package_rpm",
            "SSTATE_DIR|${TOPDIR}/../sstate-cache"
        ]
    );
    let again = checksettings(&mut conn, &fixtures_dir(), false).expect("second run");
    assert!(again.loaded.is_empty());
    assert_eq!(
        rows(
            &conn,
            "SELECT count(*) FROM orm_toastersetting WHERE name = 'DEFAULT_RELEASE'",
            []
        ),
        ["1"]
    );
    drop(tmp);
}

#[test]
fn custom_xml_only_skips_the_release_catalog() {
    let (_tmp, path) = temp_db();
    let mut conn = bb_toaster::db::open(&path).expect("opens");
    let r = checksettings(&mut conn, &fixtures_dir(), true).expect("runs");
    assert_eq!(r.loaded.len(), 2, "{r:?}");
    assert!(r.skipped[0].ends_with("bake.xml"));
    assert!(r.skipped[1].ends_with("oe-core.xml"));
    assert_eq!(rows(&conn, "SELECT count(*) FROM orm_release", []), ["0"]);
    // As a setting in settings.xml, too.
    let (tmp, path) = temp_db();
    let dir = tmp.path().join("fx");
    std::fs::create_dir(&dir).expect("dir");
    std::fs::write(
        dir.join("settings.xml"),
        r#"<django-objects version="1.0"><object model="orm.toastersetting" pk="1"><field name="name">CUSTOM_XML_ONLY</field><field name="value">1</field></object></django-objects>"#,
    )
    .expect("write");
    std::fs::copy(fixtures_dir().join("bake.xml"), dir.join("bake.xml")).expect("copy");
    let mut conn = bb_toaster::db::open(&path).expect("opens");
    let r = checksettings(&mut conn, &dir, false).expect("runs");
    assert_eq!(r.loaded.len(), 1, "{r:?}");
    assert_eq!(rows(&conn, "SELECT count(*) FROM orm_release", []), ["0"]);
}

#[test]
fn loaddata_overwrites_by_pk_and_reads_none_and_escapes() {
    let (tmp, path) = temp_db();
    let mut conn = bb_toaster::db::open(&path).expect("opens");
    let f = tmp.path().join("a.xml");
    std::fs::write(
        &f,
        r#"<?xml version="1.0"?>
<django-objects version="1.0">
  <object model="orm.release" pk="3">
    <field type="CharField" name="name">next</field>
    <field rel="ManyToOneRel" to="orm.bitbakeversion" name="bitbake_version">2</field>
    <field type="TextField" name="helptext"><None></None></field>
    <field type="CharField" name="description">a &amp; b &lt;i&gt;</field>
  </object>
  <object model="orm.bitbakeversion" pk="2">
    <field type="CharField" name="name">bb</field>
  </object>
</django-objects>"#,
    )
    .expect("write");
    assert_eq!(
        bb_toaster::fixtures::loaddata(&mut conn, &f).expect("loads"),
        2
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT id, name, bitbake_version_id, coalesce(helptext, 'NULL'), description FROM orm_release",
            []
        ),
        ["3|next|2|NULL|a & b <i>"]
    );
    std::fs::write(
        &f,
        r#"<django-objects version="1.0"><object model="orm.release" pk="3"><field name="name">renamed</field></object></django-objects>"#,
    )
    .expect("write");
    bb_toaster::fixtures::loaddata(&mut conn, &f).expect("loads");
    assert_eq!(
        rows(&conn, "SELECT id, name, description FROM orm_release", []),
        ["3|renamed|a & b <i>"]
    );
}

#[test]
fn loaddata_errors_name_the_file_object_and_field_and_write_nothing() {
    let (tmp, path) = temp_db();
    let mut conn = bb_toaster::db::open(&path).expect("opens");
    let bad = tmp.path().join("bad.xml");
    let check = |conn: &mut rusqlite::Connection, text: &str, want: &[&str]| {
        std::fs::write(&bad, text).expect("write");
        let e = bb_toaster::fixtures::loaddata(conn, &bad).expect_err("refused");
        let msg = e.to_string();
        assert!(msg.starts_with(&bad.display().to_string()), "{msg}");
        for w in want {
            assert!(msg.contains(w), "{msg} lacks {w}");
        }
        assert_eq!(
            rows(conn, "SELECT count(*) FROM orm_toastersetting", []),
            ["0"],
            "one transaction"
        );
    };
    let setting =
        r#"<object model="orm.toastersetting" pk="9"><field name="name">X</field></object>"#;
    check(
        &mut conn,
        &format!(
            r#"<django-objects>{setting}<object model="orm.release" pk="7"><field name="nosuch">1</field></object></django-objects>"#
        ),
        &["object `orm.release pk=7`, field `nosuch`: unknown field"],
    );
    check(
        &mut conn,
        &format!(
            r#"<django-objects>{setting}<object model="orm.nosuch" pk="1"></object></django-objects>"#
        ),
        &["object `orm.nosuch pk=1`: unknown model"],
    );
    check(
        &mut conn,
        &format!(
            r#"<django-objects>{setting}<object model="orm.release" pk="2"><field name="name">r</field><field rel="ManyToOneRel" name="bitbake_version">99</field></object></django-objects>"#
        ),
        &["orm.release pk=2", "orm.bitbakeversion"],
    );
    check(
        &mut conn,
        &format!(
            r#"<django-objects>{setting}<object model="orm.release" pk="x"></object></django-objects>"#
        ),
        &["pk `x` is not an integer"],
    );
    check(
        &mut conn,
        &format!(
            r#"<django-objects>{setting}<object model="orm.release" pk="4"><field name="name">a</field></object><object model="orm.release" pk="5"><field name="name">a</field></object></django-objects>"#
        ),
        &["orm.release pk=5", "field `name`", "UNIQUE"],
    );
    check(&mut conn, "<django-objects><object", &["XML"]);
    let missing = tmp.path().join("missing.xml");
    let e = bb_toaster::fixtures::loaddata(&mut conn, &missing).expect_err("missing");
    assert!(e.to_string().contains("missing.xml"), "{e}");
}
