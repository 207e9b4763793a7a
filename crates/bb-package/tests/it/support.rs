//! Helpers: compiling C into a `${D}`, a default `PackageConfig` like meta/'s classes give.

use std::path::{Path, PathBuf};
use std::process::Command;

use bb_package::{PackageConfig, PackageSpec, PkgVar, StripTools};

/// Runs a command, panicking with its output when it fails (test helper).
pub(crate) fn sh(cwd: &Path, argv: &[&str]) -> String {
    let out = Command::new(argv[0])
        .args(&argv[1..])
        .current_dir(cwd)
        .output()
        .unwrap_or_else(|e| panic!("{argv:?}: {e}"));
    assert!(
        out.status.success(),
        "{argv:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn write(path: &Path, text: &str) {
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    fs_err::write(path, text).unwrap();
}

/// Installs libfoo (`libfoo.so.1.0` + links, header, static library, doc, a locale file)
/// into `d`, built with `-g` in `work`.
pub(crate) fn install_libfoo(work: &Path, d: &Path) {
    write(&work.join("foo.c"), "int foo(int x) { return x * 2; }\n");
    write(&work.join("foo.h"), "int foo(int x);\n");
    sh(
        work,
        &[
            "gcc",
            "-g",
            "-fPIC",
            "-shared",
            "-Wl,-soname,libfoo.so.1",
            "-o",
            "libfoo.so.1.0",
            "foo.c",
        ],
    );
    sh(work, &["gcc", "-g", "-c", "-o", "foo.o", "foo.c"]);
    sh(work, &["ar", "rcs", "libfoo.a", "foo.o"]);
    let lib = d.join("usr/lib");
    fs_err::create_dir_all(&lib).unwrap();
    fs_err::copy(work.join("libfoo.so.1.0"), lib.join("libfoo.so.1.0")).unwrap();
    fs_err::copy(work.join("libfoo.a"), lib.join("libfoo.a")).unwrap();
    std::os::unix::fs::symlink("libfoo.so.1.0", lib.join("libfoo.so.1")).unwrap();
    std::os::unix::fs::symlink("libfoo.so.1", lib.join("libfoo.so")).unwrap();
    write(&d.join("usr/include/foo.h"), "int foo(int x);\n");
    write(
        &d.join("usr/lib/pkgconfig/foo.pc"),
        "prefix=/usr\nName: foo\nVersion: 1.0\nLibs: -L${prefix}/lib -lfoo\n",
    );
    write(&d.join("usr/share/doc/libfoo/README"), "libfoo\n");
    write(&d.join("usr/share/locale/de/LC_MESSAGES/libfoo.mo"), "mo\n");
}

/// Installs `app` (uses libfoo from `sysroot`) into `d`.
pub(crate) fn install_app(work: &Path, d: &Path, sysroot: &Path) {
    write(
        &work.join("app.c"),
        "#include <stdio.h>\nint foo(int);\nint main(void) { printf(\"%d\\n\", foo(21)); return 0; }\n",
    );
    let l = format!("-L{}", sysroot.join("usr/lib").display());
    sh(work, &["gcc", "-g", "-o", "app", "app.c", &l, "-lfoo"]);
    let bin = d.join("usr/bin");
    fs_err::create_dir_all(&bin).unwrap();
    fs_err::copy(work.join("app"), bin.join("app")).unwrap();
    write(
        &d.join("usr/lib/pkgconfig/app.pc"),
        "mod=foo\nName: app\nVersion: 1.0\nRequires: ${mod} >= 1.0\n",
    );
}

fn v(name: &str, specific: bool, value: &str) -> PkgVar {
    PkgVar {
        name: name.into(),
        specific,
        value: value.into(),
    }
}

/// The configuration meta/'s package.bbclass gives recipe `pn` 1.0-r0 below `work`.
pub(crate) fn config(pn: &str, work: &Path, pkgdata_dir: &Path) -> PackageConfig {
    let files = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    let mk = |name: String, f: &str, allow_empty: bool, extra: Vec<PkgVar>| {
        let mut vars = vec![
            v("PN", false, pn),
            v("PV", false, "1.0"),
            v("PR", false, "r0"),
            v("PKGV", false, "1.0"),
            v("PKGR", false, "r0"),
            v("LICENSE", false, "MIT"),
            v("SUMMARY", false, &format!("{pn} summary")),
            v("DESCRIPTION", false, &format!("{pn} description")),
        ];
        vars.extend(extra);
        vars.push(v("FILES", true, f));
        PackageSpec {
            name,
            files: files(f),
            allow_empty,
            vars,
        }
    };
    let packages = vec![
        mk(format!("{pn}-src"), "/usr/src/debug", false, vec![]),
        mk(
            format!("{pn}-dbg"),
            "/usr/lib/debug /usr/src/debug",
            true,
            vec![v("SECTION", true, "devel")],
        ),
        mk(
            format!("{pn}-staticdev"),
            "/usr/lib/*.a",
            false,
            vec![v("RDEPENDS", true, &format!("{pn}-dev (= 1.0-r0)"))],
        ),
        mk(
            format!("{pn}-dev"),
            "/usr/include /usr/lib/lib*.so /usr/lib/pkgconfig /usr/share/pkgconfig",
            true,
            vec![v("RDEPENDS", true, &format!("{pn} (= 1.0-r0)"))],
        ),
        mk(
            format!("{pn}-doc"),
            "/usr/share/doc /usr/share/man",
            false,
            vec![],
        ),
        mk(format!("{pn}-locale"), "/usr/share/locale", false, vec![]),
        mk(
            pn.to_owned(),
            "/usr/bin/* /usr/sbin/* /usr/lib/lib*.so.* /etc /usr/share/${BPN}",
            false,
            vec![],
        ),
    ];
    PackageConfig {
        pn: pn.into(),
        pkgv: "1.0".into(),
        packages,
        depends: vec![],
        d: work.join("image"),
        pkgd: work.join("package"),
        pkgdest: work.join("packages-split"),
        pkgdata_work: work.join("pkgdata"),
        pkgdata_dir: pkgdata_dir.to_path_buf(),
        strip: Some(StripTools {
            objcopy: "objcopy".into(),
            strip: "strip".into(),
        }),
        split_debug: true,
        private_libs: vec![],
        lib_dirs: vec!["/usr/lib".into(), "/lib".into()],
        error_qa: vec!["installed-vs-shipped".into(), "packages-list".into()],
        warn_qa: vec!["files-invalid".into()],
        insane_skip: vec![],
        shlib_recipes: None,
        assume_shlibs: vec![],
        pkgdata_vars: "PN PE PV PR PKGE PKGV PKGR LICENSE DESCRIPTION SUMMARY RDEPENDS RPROVIDES RRECOMMENDS RSUGGESTS RREPLACES RCONFLICTS SECTION PKG ALLOW_EMPTY FILES CONFFILES FILES_INFO pkg_postinst pkg_postrm pkg_preinst pkg_prerm"
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    }
}

/// Copies a recipe's pkgdata into a shared PKGDATA_DIR (what do_packagedata does).
pub(crate) fn publish(work: &Path, pkgdata_dir: &Path) {
    sh(
        Path::new("/"),
        &[
            "cp",
            "-a",
            &format!("{}/.", work.join("pkgdata").display()),
            &pkgdata_dir.display().to_string(),
        ],
    );
}

pub(crate) fn tmp() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().to_path_buf();
    (t, p)
}

/// Packages libfoo then app (linked against it) below `top` and writes their packages as
/// `format` into `top/deploy/<format>`; the owners record makes `/usr/bin/app` 1000:1000.
pub(crate) fn build_feed(top: &Path, format: bb_package::Format) -> Vec<PathBuf> {
    let pkgdata_dir = top.join("pkgdata-shared");
    fs_err::create_dir_all(&pkgdata_dir).unwrap();
    let mut written = Vec::new();
    for pn in ["libfoo", "app"] {
        let w = top.join(pn);
        if !w.join("image").exists() {
            fs_err::create_dir_all(&w).unwrap();
            if pn == "libfoo" {
                install_libfoo(&w, &w.join("image"));
            } else {
                install_app(&w, &w.join("image"), &top.join("libfoo/image"));
                write(&w.join("image/etc/app.conf"), "answer=42\n");
            }
        }
        let cfg = config(pn, &w, &pkgdata_dir);
        let out = bb_package::do_package(&cfg).unwrap();
        assert!(!out.failed(), "{:?}", out.issues);
        publish(&w, &pkgdata_dir);
        let mut owners = bb_package::OwnerRecord::new();
        owners.set(
            "/usr/bin/app",
            bb_package::Owner {
                uid: 1000,
                gid: 1000,
                device: None,
            },
        );
        let wc = bb_package::WriteConfig {
            pn: pn.into(),
            pkgdata_work: w.join("pkgdata"),
            pkgdest: w.join("packages-split"),
            package_arch: "x86_64".into(),
            dpkg_arch: bb_package::dpkg_arch("x86_64"),
            maintainer: "bake <bake@example.org>".into(),
            priority: "optional".into(),
            homepage: String::new(),
            owners,
            source_date_epoch: 1_520_598_896,
            deploy_dir: top.join("deploy").join(format.name()),
        };
        written.extend(bb_package::write_packages(format, &wc).unwrap());
    }
    written
}
