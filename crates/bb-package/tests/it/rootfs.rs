//! do_rootfs from a feed and the image writers.

use std::path::{Path, PathBuf};

use bb_package::{
    Format, ImageConfig, Owner, OwnerRecord, PackageMeta, RootfsConfig, build_rootfs, write_images,
    write_index, write_package,
};

use crate::support::*;

fn feed(top: &Path) -> PathBuf {
    build_feed(top, Format::Deb);
    let f = top.join("deploy/deb/x86_64");
    write_index(Format::Deb, &f).unwrap();
    f
}

fn rootfs_cfg(top: &Path, feeds: Vec<PathBuf>, install: &[&str]) -> RootfsConfig {
    RootfsConfig {
        format: Format::Deb,
        feeds,
        install: install.iter().map(|s| s.to_string()).collect(),
        exclude: vec![],
        bad_recommendations: vec![],
        no_recommendations: false,
        rootfs: top.join("rootfs"),
    }
}

fn names(out: &bb_package::RootfsOutcome) -> Vec<&str> {
    out.installed.iter().map(|p| p.name.as_str()).collect()
}

#[test]
fn closure_recommendations_and_exclusions() {
    let (_t, top) = tmp();
    let f = feed(&top);
    let out = build_rootfs(&rootfs_cfg(&top, vec![f.clone()], &["app"])).unwrap();
    assert_eq!(names(&out), ["libfoo", "app"], "dependencies first");
    assert_eq!(
        out.manifest(),
        "app x86_64 1.0-r0\nlibfoo x86_64 1.0-r0\n".replace("x86_64", "amd64")
    );
    assert!(top.join("rootfs/usr/lib/libfoo.so.1.0").is_file());
    assert_eq!(
        out.owners.get("/usr/bin/app").uid,
        1000,
        "owner from the package, no root needed"
    );

    // app-dev depends on app and (pkg-config) libfoo-dev
    let out = build_rootfs(&rootfs_cfg(&top, vec![f.clone()], &["app-dev"])).unwrap();
    assert_eq!(names(&out), ["libfoo", "app", "libfoo-dev", "app-dev"]);
    // app-dbg recommends libfoo-dbg (dependency chain)
    let out = build_rootfs(&rootfs_cfg(&top, vec![f.clone()], &["app-dbg"])).unwrap();
    assert_eq!(names(&out), ["libfoo-dbg", "app-dbg"]);
    let mut cfg = rootfs_cfg(&top, vec![f.clone()], &["app-dbg"]);
    cfg.bad_recommendations = vec!["libfoo-dbg".into()];
    assert_eq!(names(&build_rootfs(&cfg).unwrap()), ["app-dbg"]);
    cfg.bad_recommendations.clear();
    cfg.no_recommendations = true;
    assert_eq!(names(&build_rootfs(&cfg).unwrap()), ["app-dbg"]);

    // a missing provider, and an excluded one
    let e = build_rootfs(&rootfs_cfg(&top, vec![f.clone()], &["nosuch"]))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("Cannot satisfy the following dependencies for IMAGE_INSTALL:\n\tnosuch\n"),
        "{e}"
    );
    let mut cfg = rootfs_cfg(&top, vec![f.clone()], &["app"]);
    cfg.exclude = vec!["libfoo".into()];
    let e = build_rootfs(&cfg).unwrap_err().to_string();
    assert!(e.starts_with("Cannot satisfy the following dependencies for app:\n\tlibfoo (excluded by PACKAGE_EXCLUDE)\n"), "{e}");
}

#[test]
fn same_tree_as_dpkg_root() {
    let (_t, top) = tmp();
    let f = feed(&top);
    let out = build_rootfs(&rootfs_cfg(&top, vec![f.clone()], &["app", "libfoo-doc"])).unwrap();
    let root = top.join("dpkg-root");
    for d in ["var/lib/dpkg/info", "var/lib/dpkg/updates"] {
        fs_err::create_dir_all(root.join(d)).unwrap();
    }
    fs_err::write(root.join("var/lib/dpkg/status"), "").unwrap();
    let mut argv: Vec<String> = vec![
        "dpkg".into(),
        format!("--root={}", root.display()),
        "--force-script-chrootless".into(),
        "--no-triggers".into(),
        "-i".into(),
    ];
    for p in &out.installed {
        argv.push(
            f.join(format!("{}_{}_amd64.deb", p.name, p.version))
                .display()
                .to_string(),
        );
    }
    sh(
        Path::new("/"),
        &argv.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    fs_err::remove_dir_all(root.join("var")).unwrap();
    let listing = |r: &Path| {
        sh(
            r,
            &[
                "sh",
                "-c",
                "find . -printf '%p %y %m %l\\n' | sort && find . -type f | sort | xargs md5sum",
            ],
        )
    };
    assert_eq!(listing(&top.join("rootfs")), listing(&root));
}

#[test]
fn file_clash_is_refused_like_opkg() {
    let (_t, top) = tmp();
    let f = feed(&top);
    let clone = top.join("clone");
    write(&clone.join("usr/bin/app"), "other app\n");
    let meta = PackageMeta {
        name: "app-clone".into(),
        version: "1.0-r0".into(),
        arch: "x86_64".into(),
        dpkg_arch: "amd64".into(),
        pn: "app-clone".into(),
        ..PackageMeta::default()
    };
    write_package(Format::Deb, &clone, &meta, &OwnerRecord::new(), 0, &f).unwrap();
    write_index(Format::Deb, &f).unwrap();
    let e = build_rootfs(&rootfs_cfg(&top, vec![f], &["app", "app-clone"]))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "package app-clone wants to install file /usr/bin/app\n\tBut that file is already provided by package  * app"
    );
}

#[test]
fn rconflicts_and_rprovides() {
    let (_t, top) = tmp();
    let f = top.join("feed");
    for (name, provides, conflicts) in [
        ("a", "virtual-a", ""),
        ("b", "", "virtual-a"),
        ("c", "", ""),
    ] {
        let dir = top.join(name);
        write(&dir.join(format!("etc/{name}")), "x\n");
        let meta = PackageMeta {
            name: name.into(),
            version: "1.0-r0".into(),
            arch: "x86_64".into(),
            dpkg_arch: "amd64".into(),
            provides: bb_package::parse_deps("RPROVIDES", provides).unwrap(),
            conflicts: bb_package::parse_deps("RCONFLICTS", conflicts).unwrap(),
            depends: bb_package::parse_deps("RDEPENDS", if name == "c" { "virtual-a" } else { "" })
                .unwrap(),
            ..PackageMeta::default()
        };
        write_package(Format::Deb, &dir, &meta, &OwnerRecord::new(), 0, &f).unwrap();
    }
    write_index(Format::Deb, &f).unwrap();
    let out = build_rootfs(&rootfs_cfg(&top, vec![f.clone()], &["c"])).unwrap();
    assert_eq!(names(&out), ["a", "c"], "virtual-a provided by a");
    let e = build_rootfs(&rootfs_cfg(&top, vec![f], &["c", "b"]))
        .unwrap_err()
        .to_string();
    assert_eq!(e, "The following packages conflict with b:\n\ta");
}

#[test]
fn postinsts_run_with_d_or_are_deferred() {
    let (_t, top) = tmp();
    let f = top.join("feed");
    for (name, script) in [
        ("good", "echo configured > $D/etc/good.state"),
        ("later", "if [ -n \"$D\" ]; then exit 1; fi\necho on target"),
    ] {
        let dir = top.join(name);
        write(&dir.join(format!("etc/{name}.conf")), "x\n");
        let mut meta = PackageMeta {
            name: name.into(),
            version: "1.0-r0".into(),
            arch: "x86_64".into(),
            dpkg_arch: "amd64".into(),
            ..PackageMeta::default()
        };
        meta.scripts.insert("postinst".into(), script.into());
        write_package(Format::Deb, &dir, &meta, &OwnerRecord::new(), 0, &f).unwrap();
    }
    write_index(Format::Deb, &f).unwrap();
    let out = build_rootfs(&rootfs_cfg(&top, vec![f], &["good", "later"])).unwrap();
    assert_eq!(
        fs_err::read_to_string(top.join("rootfs/etc/good.state")).unwrap(),
        "configured\n"
    );
    assert_eq!(out.deferred, ["later"]);
    let deferred = fs_err::read_to_string(top.join("rootfs/etc/deb-postinsts/101-later")).unwrap();
    assert!(deferred.contains("echo on target"), "{deferred}");
}

#[test]
fn a_package_entry_leaving_the_root_is_refused() {
    let (_t, top) = tmp();
    let f = top.join("feed");
    fs_err::create_dir_all(&f).unwrap();
    // a data.tar with `./../evil`, which no writer of ours produces
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.as_gnu_mut().unwrap().name[..9].copy_from_slice(b"./../evil");
    h.set_size(1);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    b.append(&h, &b"x"[..]).unwrap();
    let gz = |data: &[u8]| {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    };
    let mut c = tar::Builder::new(Vec::new());
    let control = b"Package: evil\nVersion: 1\nArchitecture: amd64\n";
    let mut ch = tar::Header::new_gnu();
    ch.set_size(control.len() as u64);
    ch.set_mode(0o644);
    ch.set_cksum();
    c.append_data(&mut ch, "control", &control[..]).unwrap();
    let w = top.join("parts");
    fs_err::create_dir_all(&w).unwrap();
    fs_err::write(w.join("debian-binary"), "2.0\n").unwrap();
    fs_err::write(w.join("control.tar.gz"), gz(&c.into_inner().unwrap())).unwrap();
    fs_err::write(w.join("data.tar.gz"), gz(&b.into_inner().unwrap())).unwrap();
    let deb = f.join("evil_1_amd64.deb");
    sh(
        &w,
        &[
            "ar",
            "rc",
            &deb.display().to_string(),
            "debian-binary",
            "control.tar.gz",
            "data.tar.gz",
        ],
    );
    write_index(Format::Deb, &f).unwrap();
    let e = build_rootfs(&rootfs_cfg(&top, vec![f], &["evil"]))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("`./../evil` escapes"), "{e}");
    assert!(!top.join("evil").exists());
}

#[test]
fn images_of_every_type_with_owners_devices_and_stable_bytes() {
    let (_t, top) = tmp();
    let f = feed(&top);
    let out = build_rootfs(&rootfs_cfg(&top, vec![f], &["app"])).unwrap();
    let mut owners = out.owners.clone();
    owners.merge(&OwnerRecord::parse("IMAGE_DEVICE_NODES", "/dev/console 0 0 c 5 1 0600").unwrap());
    owners.set(
        "/etc/app.conf",
        Owner {
            uid: 0,
            gid: 5,
            device: None,
        },
    );
    let cfg = ImageConfig {
        rootfs: top.join("rootfs"),
        owners,
        fstypes: [
            "tar.gz", "tar.bz2", "tar.zst", "cpio.gz", "ext2", "ext3", "ext4", "jffs2",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        deploy_dir: top.join("images"),
        image_name: "img-host.rootfs-20180309123456".into(),
        link_name: "img-host.rootfs".into(),
        source_date_epoch: 1_520_598_896,
        extra_space_kb: 1024,
        overhead_factor: 1.3,
        manifest: out.manifest(),
    };
    let written = write_images(&cfg).unwrap();
    assert_eq!(written.len(), 9);
    let img = top.join("images");
    assert_eq!(
        fs_err::read_link(img.join("img-host.rootfs.cpio.gz"))
            .unwrap()
            .display()
            .to_string(),
        "img-host.rootfs-20180309123456.cpio.gz"
    );
    assert_eq!(
        fs_err::read_to_string(img.join("img-host.rootfs.manifest")).unwrap(),
        out.manifest()
    );
    let t = sh(&img, &["tar", "-tzvf", "img-host.rootfs.tar.gz"]);
    assert!(t.contains("-rwxr-xr-x 1000/1000"), "{t}");
    assert!(t.contains("./usr/bin/app"), "{t}");
    assert!(
        t.contains("crw------- root/root       5,1 2018-03-09 12:34 ./dev/console"),
        "{t}"
    );
    assert!(t.contains("-rw-r--r-- root/5 "), "{t}");
    let z = sh(
        &img,
        &[
            "sh",
            "-c",
            "zstd -dc < img-host.rootfs.tar.zst | tar -tvf -",
        ],
    );
    assert_eq!(z, t, "tar.zst holds the same tar");
    let b = sh(&img, &["tar", "-tjvf", "img-host.rootfs.tar.bz2"]);
    assert_eq!(b, t, "tar.bz2 holds the same tar");
    let c = sh(
        &img,
        &[
            "sh",
            "-c",
            "gzip -dc img-host.rootfs.cpio.gz | cpio -itv --quiet",
        ],
    );
    assert!(
        c.contains("usr/bin/app") && c.contains("dev/console"),
        "{c}"
    );
    for (fstype, journal, extents) in [
        ("ext2", false, false),
        ("ext3", true, false),
        ("ext4", true, true),
    ] {
        let image = format!("img-host.rootfs.{fstype}");
        let e = sh(&img, &["debugfs", "-R", "ls -l /usr/bin", &image]);
        assert!(e.contains(" app"), "{fstype}: {e}");
        let h = sh(&img, &["dumpe2fs", "-h", &image]);
        let features = h
            .lines()
            .find_map(|l| l.strip_prefix("Filesystem features:"))
            .unwrap_or_default();
        assert_eq!(features.contains("has_journal"), journal, "{fstype}: {h}");
        assert_eq!(features.contains("extent"), extents, "{fstype}: {h}");
        // a clean file system, as the kernel would mount it
        sh(&img, &["e2fsck", "-fn", &image]);
    }
    // jffs2: padded to its erase blocks, little-endian nodes (magic 0x1985), the device
    // node and the file with its group from the device table
    let j = fs_err::read(img.join("img-host.rootfs.jffs2")).unwrap();
    assert!(
        !j.is_empty() && j.len().is_multiple_of(0x40000),
        "{}",
        j.len()
    );
    assert_eq!(&j[..2], &[0x85, 0x19]);
    let dump = sh(
        &img,
        &[
            "jffs2dump",
            "-c",
            "-e",
            "/dev/null",
            "img-host.rootfs.jffs2",
        ],
    );
    for name in ["app", "console", "app.conf"] {
        assert!(dump.contains(&format!("name {name}")), "{name}: {dump}");
    }
    // again: the same bytes
    let first: Vec<Vec<u8>> = written.iter().map(|p| fs_err::read(p).unwrap()).collect();
    // a second later: the ext4 inodes' ctime must not follow the clock
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let again = write_images(&cfg).unwrap();
    for (a, p) in first.iter().zip(&again) {
        assert!(
            *a == fs_err::read(p).unwrap(),
            "{} differs when written again",
            p.display()
        );
    }
}

#[test]
fn ipk_feed_gives_the_same_tree_as_the_deb_feed() {
    let (_t, top) = tmp();
    let deb = feed(&top);
    build_feed(&top, Format::Ipk);
    let ipk = top.join("deploy/ipk/x86_64");
    write_index(Format::Ipk, &ipk).unwrap();
    let mut cfg = rootfs_cfg(&top, vec![ipk], &["app"]);
    cfg.format = Format::Ipk;
    cfg.rootfs = top.join("rootfs-ipk");
    let a = build_rootfs(&cfg).unwrap();
    let b = build_rootfs(&rootfs_cfg(&top, vec![deb], &["app"])).unwrap();
    assert_eq!(names(&a), names(&b));
    assert_eq!(
        listing(&top.join("rootfs-ipk")),
        listing(&top.join("rootfs"))
    );
    assert_eq!(a.manifest(), "app x86_64 1.0-r0\nlibfoo x86_64 1.0-r0\n");
}

/// The tree and owners of a root filesystem, as `find` and `md5sum` see them.
fn listing(r: &Path) -> String {
    sh(
        r,
        &[
            "sh",
            "-c",
            "find . -printf '%p %y %m %l\\n' | sort && find . -type f | sort | xargs md5sum",
        ],
    )
}

#[test]
fn rpm_feed_gives_the_same_tree_as_the_deb_feed_and_as_real_rpm() {
    let (_t, top) = tmp();
    let deb = feed(&top);
    let rpms = build_feed(&top, Format::Rpm);
    let dir = top.join("deploy/rpm/x86_64");
    write_index(Format::Rpm, &dir).unwrap();
    let mut cfg = rootfs_cfg(&top, vec![dir.clone()], &["app", "app-dbg"]);
    cfg.format = Format::Rpm;
    cfg.rootfs = top.join("rootfs-rpm");
    let a = build_rootfs(&cfg).unwrap();
    let b = build_rootfs(&rootfs_cfg(&top, vec![deb], &["app", "app-dbg"])).unwrap();
    assert_eq!(
        names(&a),
        names(&b),
        "the same closure (RDEPENDS and RRECOMMENDS) from the rpm index"
    );
    assert_eq!(
        listing(&top.join("rootfs-rpm")),
        listing(&top.join("rootfs"))
    );
    assert_eq!(
        a.owners.get("/usr/bin/app").uid,
        1000,
        "owner from the rpm payload"
    );
    assert!(
        a.manifest().starts_with("app x86_64 1.0-r0\n"),
        "{}",
        a.manifest()
    );

    // real rpm installing the same packages into an empty root gives the same tree
    let root = top.join("rpm-root");
    fs_err::create_dir_all(&root).unwrap();
    let mut argv: Vec<String> = vec![
        "rpm".into(),
        format!("--root={}", root.display()),
        "--dbpath=/rpmdb".into(),
        "--nodeps".into(),
        "--noscripts".into(),
        "--ignorearch".into(),
        "--ignoreos".into(),
        "-i".into(),
    ];
    for p in &a.installed {
        let f = rpms
            .iter()
            .find(|f| {
                f.file_name().is_some_and(|n| {
                    n.to_string_lossy() == format!("{}-{}.x86_64.rpm", p.name, p.version)
                })
            })
            .unwrap_or_else(|| panic!("{} not written", p.name));
        argv.push(f.display().to_string());
    }
    sh(
        Path::new("/"),
        &argv.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    fs_err::remove_dir_all(root.join("rpmdb")).unwrap();
    assert_eq!(listing(&top.join("rootfs-rpm")), listing(&root));
}

#[test]
fn a_broken_rpm_index_names_the_file_line_and_column() {
    let (_t, top) = tmp();
    build_feed(&top, Format::Rpm);
    let dir = top.join("deploy/rpm/x86_64");
    write_index(Format::Rpm, &dir).unwrap();
    fs_err::write(
        dir.join("repodata/repomd.xml"),
        "<repomd>\n  <data type=\"primary\">\n    <location href=\"../../etc/passwd\"/>\n  </data>\n</repomd>\n",
    )
    .unwrap();
    let mut cfg = rootfs_cfg(&top, vec![dir.clone()], &["app"]);
    cfg.format = Format::Rpm;
    let e = build_rootfs(&cfg).unwrap_err().to_string();
    assert!(e.contains("`../../etc/passwd` escapes"), "{e}");
    fs_err::write(
        dir.join("repodata/repomd.xml"),
        "<repomd>\n  <data type=\"primary\">\n    <location href=\"x\"/>\n  </dat>\n</repomd>\n",
    )
    .unwrap();
    let e = build_rootfs(&cfg).unwrap_err().to_string();
    assert!(e.contains("repomd.xml:4: column"), "{e}");
}
