//! deb and ipk packages checked with the real dpkg tools.

use std::path::Path;

use bb_package::{Format, read_feeds, read_package, write_index};

use crate::support::*;

#[test]
fn dpkg_deb_reads_our_debs_and_dpkg_installs_them() {
    let (_t, top) = tmp();
    let debs = build_feed(&top, Format::Deb);
    let names: Vec<String> = debs
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "libfoo-dbg_1.0-r0_amd64.deb",
            "libfoo-staticdev_1.0-r0_amd64.deb",
            "libfoo-dev_1.0-r0_amd64.deb",
            "libfoo-doc_1.0-r0_amd64.deb",
            "libfoo-locale_1.0-r0_amd64.deb",
            "libfoo_1.0-r0_amd64.deb",
            "app-dbg_1.0-r0_amd64.deb",
            "app-dev_1.0-r0_amd64.deb",
            "app_1.0-r0_amd64.deb",
        ]
    );
    let feed = top.join("deploy/deb/x86_64");
    let app = feed.join("app_1.0-r0_amd64.deb");
    let info = sh(
        Path::new("/"),
        &["dpkg-deb", "--info", &app.display().to_string()],
    );
    for want in [
        " Package: app\n",
        " Version: 1.0-r0\n",
        " Architecture: amd64\n",
        " Depends: libfoo (>= 1.0)\n",
        " Maintainer: bake <bake@example.org>\n",
        " Description: app summary\n  app description\n",
    ] {
        assert!(info.contains(want), "missing {want:?} in\n{info}");
    }
    let field = sh(
        Path::new("/"),
        &[
            "dpkg-deb",
            "--field",
            &app.display().to_string(),
            "Package",
            "OE",
        ],
    );
    assert_eq!(field, "Package: app\nOE: app\n");
    let contents = sh(
        Path::new("/"),
        &["dpkg-deb", "--contents", &app.display().to_string()],
    );
    let lines: Vec<&str> = contents.lines().collect();
    assert_eq!(lines.len(), 6, "{contents}");
    assert!(
        lines[0].starts_with("drwxr-xr-x root/root ") && lines[0].ends_with(" ./"),
        "{contents}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("-rw-r--r-- root/root ") && l.ends_with(" ./etc/app.conf"))
    );
    assert!(
        lines.iter().any(|l| l.starts_with("-rwxr-xr-x 1000/1000 ")
            && l.contains(" 2018-03-09 12:34 ./usr/bin/app")),
        "owner from the record, time SOURCE_DATE_EPOCH:\n{contents}"
    );
    let lib = sh(
        Path::new("/"),
        &[
            "dpkg-deb",
            "--contents",
            &feed.join("libfoo_1.0-r0_amd64.deb").display().to_string(),
        ],
    );
    assert!(
        lib.contains(
            "lrwxrwxrwx root/root         0 2018-03-09 12:34 ./usr/lib/libfoo.so.1 -> libfoo.so.1.0"
        ),
        "{lib}"
    );

    // byte-identical when written again
    let before: Vec<Vec<u8>> = debs.iter().map(|p| fs_err::read(p).unwrap()).collect();
    let again = build_feed(&top, Format::Deb);
    let after: Vec<Vec<u8>> = again.iter().map(|p| fs_err::read(p).unwrap()).collect();
    assert!(before == after, "packages differ between two runs");

    // the index
    assert_eq!(write_index(Format::Deb, &feed).unwrap(), 9);
    let feeds = read_feeds(std::slice::from_ref(&feed)).unwrap();
    let a = feeds
        .iter()
        .find(|p| p.stanza.get("Package") == "app")
        .unwrap();
    assert_eq!(a.stanza.get("Filename"), "./app_1.0-r0_amd64.deb");
    assert_eq!(
        a.stanza.get("Size"),
        fs_err::metadata(&app).unwrap().len().to_string()
    );
    assert_eq!(a.stanza.get("SHA256").len(), 64);

    // real dpkg installs the feed into an empty root
    let root = top.join("dpkg-root");
    for d in ["var/lib/dpkg/info", "var/lib/dpkg/updates"] {
        fs_err::create_dir_all(root.join(d)).unwrap();
    }
    fs_err::write(root.join("var/lib/dpkg/status"), "").unwrap();
    let mut argv = vec![
        "dpkg".to_owned(),
        format!("--root={}", root.display()),
        "--force-script-chrootless".into(),
        "--no-triggers".into(),
        "-i".into(),
    ];
    argv.extend(debs.iter().map(|p| p.display().to_string()));
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    sh(Path::new("/"), &argv);
    let run = std::process::Command::new(root.join("usr/bin/app"))
        .env("LD_LIBRARY_PATH", root.join("usr/lib"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "42\n");
    let status = fs_err::read_to_string(root.join("var/lib/dpkg/status")).unwrap();
    assert!(
        status.contains("Package: app\nStatus: install ok installed\n"),
        "{status}"
    );
}

#[test]
fn ipk_layout_and_control() {
    let (_t, top) = tmp();
    let ipks = build_feed(&top, Format::Ipk);
    let app = ipks
        .iter()
        .find(|p| p.ends_with("app_1.0-r0_x86_64.ipk"))
        .unwrap();
    assert!(app.starts_with(top.join("deploy/ipk/x86_64")));
    let read = read_package(app).unwrap();
    assert_eq!(read.control.get("Architecture"), "x86_64");
    assert_eq!(read.control.get("Depends"), "libfoo (>= 1.0)");
    assert_eq!(read.control.get("Source"), "app");
    // the ar layout is the deb one, so dpkg-deb can list it too
    let contents = sh(
        Path::new("/"),
        &["dpkg-deb", "--contents", &app.display().to_string()],
    );
    assert!(contents.contains("./usr/bin/app"), "{contents}");
    write_index(Format::Ipk, &top.join("deploy/ipk/x86_64")).unwrap();
    let idx = fs_err::read_to_string(top.join("deploy/ipk/x86_64/Packages")).unwrap();
    assert!(
        idx.contains("Package: app\n")
            && idx.contains("Filename: app_1.0-r0_x86_64.ipk\n")
            && idx.contains("MD5Sum: "),
        "{idx}"
    );
}
