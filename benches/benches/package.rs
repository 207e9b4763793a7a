//! Packaging benchmarks (issue 15), each beside the same work done with the usual tools:
//! do_package of a recipe with 5,000 files; writing them as deb (vs `dpkg-deb -b`), ipk
//! and rpm; a tar.gz image of the tree (vs `tar -czf`); do_rootfs from the deb feed (vs
//! `dpkg --root -i`). A small harness: the median of a few runs, printed as a table.
#![expect(
    clippy::disallowed_methods,
    reason = "benchmark inputs are written directly"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bb_package::{
    Format, ImageConfig, OwnerRecord, PackageConfig, PackageMeta, PackageSpec, RootfsConfig,
    build_rootfs, do_package, write_images, write_index, write_package,
};

const FILES: usize = 5000;
const RUNS: usize = 5;

fn median(mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn run(argv: &[&str]) {
    let o = Command::new(argv[0])
        .args(&argv[1..])
        .output()
        .expect("invariant: the tool runs");
    assert!(
        o.status.success(),
        "{argv:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `${D}` with FILES files in 50 directories (1-4 KiB each).
fn image_dir(d: &Path) {
    for i in 0..FILES {
        let dir = d.join(format!("usr/share/bench/d{:02}", i % 50));
        std::fs::create_dir_all(&dir).expect("invariant: mkdir");
        let body = format!("file {i}\n").repeat(100 + (i % 300));
        std::fs::write(dir.join(format!("f{i:05}.txt")), body).expect("invariant: write");
    }
}

fn main() {
    let top: PathBuf =
        std::env::temp_dir().join(format!("bb-package-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&top);
    let d = top.join("image");
    image_dir(&d);
    let cfg = PackageConfig {
        pn: "bench".into(),
        pkgv: "1.0".into(),
        packages: vec![PackageSpec {
            name: "bench".into(),
            files: vec!["/usr/share/bench".into()],
            ..PackageSpec::default()
        }],
        d: d.clone(),
        pkgd: top.join("package"),
        pkgdest: top.join("packages-split"),
        pkgdata_work: top.join("pkgdata"),
        pkgdata_dir: top.join("pkgdata-shared"),
        strip: None,
        split_debug: true,
        lib_dirs: vec!["/usr/lib".into()],
        pkgdata_vars: vec!["PN".into(), "FILES_INFO".into()],
        ..PackageConfig::default()
    };
    let mut rows: Vec<(String, Duration, String, Option<Duration>)> = Vec::new();
    let t = median(|| {
        do_package(&cfg).expect("invariant: do_package");
    });
    rows.push((
        "do_package, 5,000 files".into(),
        t,
        "cp -a ${D} (copy only)".into(),
        Some(median(|| {
            let _ = std::fs::remove_dir_all(top.join("cp"));
            run(&[
                "cp",
                "-a",
                &d.display().to_string(),
                &top.join("cp").display().to_string(),
            ]);
        })),
    ));
    let pkgdir = top.join("packages-split/bench");
    let meta = PackageMeta {
        name: "bench".into(),
        version: "1.0-r0".into(),
        arch: "x86_64".into(),
        dpkg_arch: "amd64".into(),
        pn: "bench".into(),
        summary: "bench".into(),
        maintainer: "bake <bake@example.invalid>".into(),
        ..PackageMeta::default()
    };
    let owners = OwnerRecord::new();
    // dpkg-deb -b over the same tree, with a DEBIAN/control
    let debroot = top.join("debroot");
    run(&[
        "cp",
        "-a",
        &pkgdir.display().to_string(),
        &debroot.display().to_string(),
    ]);
    std::fs::create_dir_all(debroot.join("DEBIAN")).expect("invariant: mkdir");
    std::fs::write(debroot.join("DEBIAN/control"), meta.control(Format::Deb))
        .expect("invariant: write");
    for (format, tool) in [
        (Format::Deb, true),
        (Format::Ipk, false),
        (Format::Rpm, false),
    ] {
        let out = top.join(format!("deploy-{}", format.name()));
        let t = median(|| {
            write_package(format, &pkgdir, &meta, &owners, 1_520_598_896, &out)
                .expect("invariant: write");
        });
        let (other, ot) = if tool {
            let deb = top.join("dpkg-deb.deb");
            (
                "dpkg-deb -b -Zgzip --root-owner-group".to_owned(),
                Some(median(|| {
                    run(&[
                        "dpkg-deb",
                        "-b",
                        "-Zgzip",
                        "--root-owner-group",
                        &debroot.display().to_string(),
                        &deb.display().to_string(),
                    ]);
                })),
            )
        } else {
            (String::new(), None)
        };
        rows.push((format!("write {}", format.name()), t, other, ot));
    }
    let img = ImageConfig {
        rootfs: pkgdir.clone(),
        owners: OwnerRecord::new(),
        fstypes: vec!["tar.gz".into()],
        deploy_dir: top.join("images"),
        image_name: "bench".into(),
        link_name: String::new(),
        source_date_epoch: 1_520_598_896,
        extra_space_kb: 0,
        overhead_factor: 1.3,
        manifest: String::new(),
    };
    let t = median(|| {
        write_images(&img).expect("invariant: image");
    });
    let tarball = top.join("tar.tar.gz");
    rows.push((
        "image tar.gz".into(),
        t,
        "tar -czf --sort=name".into(),
        Some(median(|| {
            run(&[
                "tar",
                "--sort=name",
                "-czf",
                &tarball.display().to_string(),
                "-C",
                &pkgdir.display().to_string(),
                ".",
            ]);
        })),
    ));
    let feed = top.join("deploy-deb/x86_64");
    std::fs::create_dir_all(&feed).expect("invariant: mkdir");
    write_package(Format::Deb, &pkgdir, &meta, &owners, 1_520_598_896, &feed)
        .expect("invariant: write");
    write_index(Format::Deb, &feed).expect("invariant: index");
    let rcfg = RootfsConfig {
        format: Format::Deb,
        feeds: vec![feed.clone()],
        install: vec!["bench".into()],
        exclude: vec![],
        bad_recommendations: vec![],
        no_recommendations: false,
        rootfs: top.join("rootfs"),
    };
    let t = median(|| {
        build_rootfs(&rcfg).expect("invariant: rootfs");
    });
    let droot = top.join("dpkg-root");
    let deb = feed.join("bench_1.0-r0_amd64.deb");
    rows.push((
        "do_rootfs (1 package, 5,000 files)".into(),
        t,
        "dpkg --root -i".into(),
        Some(median(|| {
            let _ = std::fs::remove_dir_all(&droot);
            for sub in ["var/lib/dpkg/info", "var/lib/dpkg/updates"] {
                std::fs::create_dir_all(droot.join(sub)).expect("invariant: mkdir");
            }
            std::fs::write(droot.join("var/lib/dpkg/status"), "").expect("invariant: write");
            run(&[
                "dpkg",
                &format!("--root={}", droot.display()),
                "--force-script-chrootless",
                "--no-triggers",
                "-i",
                &deb.display().to_string(),
            ]);
        })),
    ));
    // the same from the rpm feed, against real rpm installing it
    let rfeed = top.join("deploy-rpm/x86_64");
    std::fs::create_dir_all(&rfeed).expect("invariant: mkdir");
    write_package(Format::Rpm, &pkgdir, &meta, &owners, 1_520_598_896, &rfeed)
        .expect("invariant: write");
    write_index(Format::Rpm, &rfeed).expect("invariant: index");
    let rpm_cfg = RootfsConfig {
        format: Format::Rpm,
        feeds: vec![rfeed.clone()],
        rootfs: top.join("rootfs-rpm"),
        ..rcfg.clone()
    };
    let t = median(|| {
        build_rootfs(&rpm_cfg).expect("invariant: rootfs");
    });
    let rroot = top.join("rpm-root");
    let rpm = rfeed.join("bench-1.0-r0.x86_64.rpm");
    rows.push((
        "do_rootfs from rpm (1 package, 5,000 files)".into(),
        t,
        "rpm --root -i".into(),
        Some(median(|| {
            let _ = std::fs::remove_dir_all(&rroot);
            std::fs::create_dir_all(&rroot).expect("invariant: mkdir");
            run(&[
                "rpm",
                &format!("--root={}", rroot.display()),
                "--dbpath=/rpmdb",
                "--nodeps",
                "--noscripts",
                "--ignorearch",
                "-i",
                &rpm.display().to_string(),
            ]);
        })),
    ));
    #[expect(clippy::print_stdout, reason = "a bench prints its table")]
    {
        println!("| work | bb-package | usual tool | tool |");
        println!("|---|---|---|---|");
        for (what, t, tool, tt) in rows {
            let tt = tt
                .map(|d| format!("{:.0} ms", d.as_secs_f64() * 1000.0))
                .unwrap_or_default();
            println!(
                "| {what} | {:.0} ms | {tool} | {tt} |",
                t.as_secs_f64() * 1000.0
            );
        }
    }
    let _ = std::fs::remove_dir_all(&top);
}
