use super::*;
use crate::deps::parse_deps;

#[test]
fn deb_control_fields() {
    let m = PackageMeta {
        name: "app".into(),
        version: "1:1.0-r0".into(),
        arch: "x86_64".into(),
        dpkg_arch: "amd64".into(),
        pn: "app".into(),
        summary: "An app".into(),
        description: "An app.\n\nSecond paragraph.".into(),
        depends: parse_deps("RDEPENDS", "libfoo (>= 1.0) libbar (< 2)").unwrap(),
        ..PackageMeta::default()
    };
    assert_eq!(
        m.control(Format::Deb),
        "Package: app\nVersion: 1:1.0-r0\nDescription: An app\n An app.\n .\n Second paragraph.\nArchitecture: amd64\nOE: app\nPackageArch: x86_64\nDepends: libfoo (>= 1.0), libbar (<< 2)\n"
    );
    assert_eq!(m.file_name(Format::Deb), "app_1.0-r0_amd64.deb");
    assert_eq!(m.file_name(Format::Ipk), "app_1.0-r0_x86_64.ipk");
    let st = parse_stanzas("control", &m.control(Format::Ipk)).unwrap();
    assert_eq!(st.len(), 1);
    assert_eq!(st[0].get("depends"), "libfoo (>= 1.0), libbar (< 2)");
    assert_eq!(
        st[0].get("Description"),
        "An app\nAn app.\n.\nSecond paragraph."
    );
    assert_eq!(st[0].get("Source"), "app");
}

#[test]
fn scripts_as_oe_writes_them() {
    let mut m = PackageMeta::default();
    m.scripts.insert("postinst".into(), "echo hi".into());
    m.scripts
        .insert("postrm".into(), "#!/bin/bash\necho bye".into());
    let s = m.script_files();
    assert_eq!(s[0], ("postinst".into(), "#!/bin/sh\necho hi\n".into()));
    assert_eq!(
        s[1],
        (
            "postrm".into(),
            "#!/bin/bash\n[ \"$1\" != \"upgrade\" ] || exit 0\necho bye\n".into()
        )
    );
}

#[test]
fn stanza_errors_name_the_line() {
    let e = parse_stanzas("Packages", "Package: a\nnonsense\n")
        .unwrap_err()
        .to_string();
    assert_eq!(e, "Packages:2: expected `Field: value`, got `nonsense`");
}
