//! rpm packages checked with the real rpm tools.

use std::path::Path;

use bb_package::Format;

use crate::support::*;

#[test]
fn rpm_accepts_our_packages() {
    let (_t, top) = tmp();
    let rpms = build_feed(&top, Format::Rpm);
    let app = rpms
        .iter()
        .find(|p| p.ends_with("app-1.0-r0.x86_64.rpm"))
        .unwrap();
    let db = top.join("rpmdb");
    fs_err::create_dir_all(&db).unwrap();
    let dbarg = format!("_dbpath {}", db.display());
    let k = sh(
        Path::new("/"),
        &["rpm", "--define", &dbarg, "-K", &app.display().to_string()],
    );
    assert!(k.trim_end().ends_with("digests OK"), "{k}");
    let l = sh(
        Path::new("/"),
        &[
            "rpm",
            "--define",
            &dbarg,
            "-qpl",
            &app.display().to_string(),
        ],
    );
    assert_eq!(l, "/etc\n/etc/app.conf\n/usr\n/usr/bin\n/usr/bin/app\n");
    let q = sh(
        Path::new("/"),
        &[
            "rpm",
            "--define",
            &dbarg,
            "-qp",
            "--qf",
            "%{NAME} %{VERSION} %{RELEASE} %{ARCH} %{LICENSE}\\n[%{REQUIRENAME} %{REQUIREFLAGS:depflags} %{REQUIREVERSION}\\n]",
            &app.display().to_string(),
        ],
    );
    assert_eq!(q, "app 1.0 r0 x86_64 MIT\nlibfoo >= 1.0\n");
    let v = sh(
        Path::new("/"),
        &[
            "rpm",
            "--define",
            &dbarg,
            "-qplv",
            &app.display().to_string(),
        ],
    );
    assert!(v.contains("-rwxr-xr-x    1 1000     1000"), "{v}");
    for r in &rpms {
        let k = sh(
            Path::new("/"),
            &["rpm", "--define", &dbarg, "-K", &r.display().to_string()],
        );
        assert!(k.trim_end().ends_with("digests OK"), "{k}");
    }
    // the repodata index
    let feed = top.join("deploy/rpm/x86_64");
    assert_eq!(
        bb_package::write_rpm_index(&feed, 1_520_598_896).unwrap(),
        9
    );
    let primary = sh(&feed, &["sh", "-c", "gzip -dc repodata/primary.xml.gz"]);
    assert!(primary.contains("packages=\"9\""), "{primary}");
    assert!(primary.contains("<name>app</name>\n  <arch>x86_64</arch>\n  <version epoch=\"0\" ver=\"1.0\" rel=\"r0\"/>"), "{primary}");
    assert!(
        primary
            .contains("<rpm:entry name=\"libfoo\" flags=\"GE\" epoch=\"0\" ver=\"1.0\" rel=\"\"/>"),
        "{primary}"
    );
    assert!(primary.contains("<file>/usr/bin/app</file>"), "{primary}");
    assert!(
        primary.contains("<location href=\"app-1.0-r0.x86_64.rpm\"/>"),
        "{primary}"
    );
    // well-formed XML (Python's parser)
    sh(
        &feed,
        &[
            "python3",
            "-c",
            "import gzip, xml.dom.minidom as m; m.parseString(gzip.open('repodata/primary.xml.gz').read()); m.parse('repodata/repomd.xml')",
        ],
    );
    let repomd = fs_err::read_to_string(feed.join("repodata/repomd.xml")).unwrap();
    let gz = fs_err::read(feed.join("repodata/primary.xml.gz")).unwrap();
    let sum = sh(&feed, &["sha256sum", "repodata/primary.xml.gz"]);
    assert!(
        repomd.contains(&format!(
            "<checksum type=\"sha256\">{}</checksum>",
            &sum[..64]
        )),
        "{repomd}"
    );
    assert!(repomd.contains(&format!("<size>{}</size>", gz.len())));
    // the same bytes when written again
    let before: Vec<Vec<u8>> = rpms.iter().map(|p| fs_err::read(p).unwrap()).collect();
    let again = build_feed(&top, Format::Rpm);
    assert!(
        before
            == again
                .iter()
                .map(|p| fs_err::read(p).unwrap())
                .collect::<Vec<_>>()
    );
}
