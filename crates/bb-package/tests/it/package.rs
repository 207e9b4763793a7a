//! do_package on real ELF files: splitting, stripping, shlibs, chains, pkgdata, QA.

use std::path::Path;

use bb_package::{Level, do_package, read_runtime};

use crate::support::*;

fn list(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in walkdir(dir) {
        out.push(e);
    }
    out.sort();
    out
}

fn walkdir(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn go(root: &Path, d: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd {
            let e = e.unwrap();
            let p = e.path();
            out.push(format!("/{}", p.strip_prefix(root).unwrap().display()));
            if e.file_type().unwrap().is_dir() {
                go(root, &p, out);
            }
        }
    }
    go(dir, dir, &mut out);
    out
}

#[test]
fn splits_strips_and_records_libfoo_then_app() {
    let (_t, top) = tmp();
    let pkgdata_dir = top.join("pkgdata-shared");
    fs_err::create_dir_all(&pkgdata_dir).unwrap();

    // libfoo
    let w = top.join("libfoo");
    fs_err::create_dir_all(&w).unwrap();
    install_libfoo(&w, &w.join("image"));
    let cfg = config("libfoo", &w, &pkgdata_dir);
    let out = do_package(&cfg).unwrap();
    assert!(!out.failed(), "{:?}", out.issues);
    let names: Vec<&str> = out.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "libfoo-src",
            "libfoo-dbg",
            "libfoo-staticdev",
            "libfoo-dev",
            "libfoo-doc",
            "libfoo-locale",
            "libfoo"
        ]
    );
    let split = w.join("packages-split");
    assert_eq!(
        list(&split.join("libfoo")),
        [
            "/usr",
            "/usr/lib",
            "/usr/lib/libfoo.so.1",
            "/usr/lib/libfoo.so.1.0"
        ]
    );
    assert_eq!(
        list(&split.join("libfoo-dbg")),
        [
            "/usr",
            "/usr/lib",
            "/usr/lib/.debug",
            "/usr/lib/.debug/libfoo.so.1.0"
        ]
    );
    assert_eq!(
        list(&split.join("libfoo-dev")),
        [
            "/usr",
            "/usr/include",
            "/usr/include/foo.h",
            "/usr/lib",
            "/usr/lib/libfoo.so",
            "/usr/lib/pkgconfig",
            "/usr/lib/pkgconfig/foo.pc"
        ]
    );
    assert_eq!(
        list(&split.join("libfoo-staticdev")),
        ["/usr", "/usr/lib", "/usr/lib/libfoo.a"]
    );
    assert!(
        list(&split.join("libfoo-locale"))
            .contains(&"/usr/share/locale/de/LC_MESSAGES/libfoo.mo".to_owned())
    );
    assert!(list(&split.join("libfoo-doc")).contains(&"/usr/share/doc/libfoo/README".to_owned()));
    // stripped, with a debug link to the split debug file that has the debug info
    let lib = split.join("libfoo/usr/lib/libfoo.so.1.0");
    let sections = sh(
        Path::new("/"),
        &["readelf", "-S", &lib.display().to_string()],
    );
    assert!(
        !sections.contains(".symtab") && !sections.contains(".debug_info"),
        "{sections}"
    );
    assert!(sections.contains(".gnu_debuglink"), "{sections}");
    let dbg = split.join("libfoo-dbg/usr/lib/.debug/libfoo.so.1.0");
    let dsec = sh(
        Path::new("/"),
        &["readelf", "-S", &dbg.display().to_string()],
    );
    assert!(dsec.contains(".debug_info"), "{dsec}");
    // the image directory is untouched
    let orig = sh(
        Path::new("/"),
        &[
            "readelf",
            "-S",
            &w.join("image/usr/lib/libfoo.so.1.0").display().to_string(),
        ],
    );
    assert!(orig.contains(".debug_info"));

    // pkgdata
    let pd = w.join("pkgdata");
    assert_eq!(
        fs_err::read_to_string(pd.join("libfoo")).unwrap(),
        "PACKAGES: libfoo-src libfoo-dbg libfoo-staticdev libfoo-dev libfoo-doc libfoo-locale libfoo\n"
    );
    assert_eq!(
        fs_err::read_to_string(pd.join("shlibs2/libfoo.list")).unwrap(),
        "libfoo.so.1:/usr/lib:1.0\n"
    );
    let rt = read_runtime(&pd.join("runtime/libfoo")).unwrap();
    assert_eq!(rt["PN"], "libfoo");
    assert_eq!(rt["PKG:libfoo"], "libfoo");
    assert_eq!(
        rt["FILES:libfoo"],
        "/usr/bin/* /usr/sbin/* /usr/lib/lib*.so.* /etc /usr/share/${BPN}"
    );
    let size = fs_err::metadata(&lib).unwrap().len();
    assert_eq!(
        rt["FILES_INFO:libfoo"],
        format!(r#"{{"/usr/lib/libfoo.so.1": 13, "/usr/lib/libfoo.so.1.0": {size}}}"#)
    );
    assert_eq!(rt["PKGSIZE:libfoo"], (size + 13).to_string());
    assert!(pd.join("runtime/libfoo.packaged").exists());
    assert!(
        pd.join("runtime/libfoo-dev.packaged").exists(),
        "ALLOW_EMPTY and not empty"
    );
    assert!(
        !pd.join("runtime/libfoo-src.packaged").exists(),
        "empty, not ALLOW_EMPTY"
    );
    assert!(pd.join("runtime/libfoo-src").exists());
    assert_eq!(
        fs_err::read_link(pd.join("runtime-reverse/libfoo"))
            .unwrap()
            .display()
            .to_string(),
        "../runtime/libfoo"
    );
    let dev = read_runtime(&pd.join("runtime/libfoo-dev")).unwrap();
    assert_eq!(dev["RDEPENDS:libfoo-dev"], "libfoo (= 1.0-r0)");
    publish(&w, &pkgdata_dir);

    // app, linked against libfoo: automatic RDEPENDS from its NEEDED entry
    let w2 = top.join("app");
    fs_err::create_dir_all(&w2).unwrap();
    install_app(&w2, &w2.join("image"), &w.join("image"));
    let mut cfg2 = config("app", &w2, &pkgdata_dir);
    cfg2.depends = vec!["libfoo".into()];
    let out2 = do_package(&cfg2).unwrap();
    let app = out2.packages.iter().find(|p| p.name == "app").unwrap();
    assert_eq!(app.rdepends, "libfoo (>= 1.0)");
    let rt = read_runtime(&w2.join("pkgdata/runtime/app")).unwrap();
    assert_eq!(rt["RDEPENDS:app"], "libfoo (>= 1.0)");
    let dev = out2.packages.iter().find(|p| p.name == "app-dev").unwrap();
    // pkg-config: app.pc requires foo, which libfoo-dev provides
    assert_eq!(dev.rdepends, "app (= 1.0-r0) libfoo-dev");
    assert_eq!(
        fs_err::read_to_string(w.join("pkgdata/shlibs2/libfoo-dev.pclist")).unwrap(),
        "foo\n"
    );
    assert_eq!(dev.rrecommends, "libfoo-dev");
    let dbg = out2.packages.iter().find(|p| p.name == "app-dbg").unwrap();
    assert_eq!(dbg.rrecommends, "libfoo-dbg");
    // libc has no provider in this feed: a note, as BitBake gives
    assert!(
        out2.notes
            .iter()
            .any(|n| n.starts_with("Couldn't find shared library provider for libc.so.6")),
        "{:?}",
        out2.notes
    );
}

#[test]
fn installed_but_not_shipped_is_bitbakes_qa_error_and_keeps_the_rest() {
    let (_t, w) = tmp();
    write(&w.join("image/usr/bin/tool"), "#!/bin/sh\n");
    write(&w.join("image/opt/extra/data"), "x\n");
    let mut cfg = config("tool", &w, &w.join("none"));
    cfg.packages[6].files.push("/usr/share//tool".into());
    let out = do_package(&cfg).unwrap();
    assert!(out.failed());
    let err = out
        .issues
        .iter()
        .find(|i| i.class == "installed-vs-shipped")
        .unwrap();
    assert_eq!(err.level, Level::Error);
    assert_eq!(
        err.line(),
        "ERROR: QA Issue: tool: Files/directories were installed but not shipped in any package:\n  /opt\n  /opt/extra\n  /opt/extra/data\nPlease set FILES such that these items are packaged. Alternatively if they are unneeded, avoid installing them or delete them within do_install.\ntool: 3 installed and not shipped files. [installed-vs-shipped]"
    );
    let inv = out
        .issues
        .iter()
        .find(|i| i.class == "files-invalid")
        .unwrap();
    assert_eq!(inv.level, Level::Warning);
    assert!(
        inv.message
            .starts_with("FILES variable for package tool contains '//' which is invalid.")
    );
    // the rest was still packaged
    assert!(w.join("packages-split/tool/usr/bin/tool").exists());
    assert!(w.join("pkgdata/runtime/tool.packaged").exists());
}

#[test]
fn files_escaping_the_image_directory_is_refused() {
    let (_t, w) = tmp();
    write(&w.join("image/usr/bin/tool"), "x");
    let mut cfg = config("tool", &w, &w.join("none"));
    cfg.packages[6].files = vec!["/../../etc/passwd".into()];
    let e = do_package(&cfg).unwrap_err().to_string();
    assert!(e.starts_with("`/../../etc/passwd` escapes"), "{e}");
}

#[test]
fn package_before_pn_and_first_match_wins() {
    let (_t, w) = tmp();
    write(&w.join("image/usr/bin/tool"), "x");
    write(&w.join("image/usr/bin/tool-extra"), "y");
    let mut cfg = config("tool", &w, &w.join("none"));
    // PACKAGE_BEFORE_PN = "tool-extra" with FILES:tool-extra
    let mut extra = cfg.packages[6].clone();
    extra.name = "tool-extra".into();
    extra.files = vec!["/usr/bin/tool-extra".into()];
    cfg.packages.insert(6, extra);
    cfg.packages.push(cfg.packages[6].clone());
    let out = do_package(&cfg).unwrap();
    assert!(out.issues.iter().any(|i| i.class == "packages-list"
        && i.message
            == "tool-extra is listed in PACKAGES multiple times, this leads to packaging errors."));
    let extra = out
        .packages
        .iter()
        .find(|p| p.name == "tool-extra")
        .unwrap();
    assert_eq!(
        extra.files.keys().collect::<Vec<_>>(),
        ["/usr/bin/tool-extra"]
    );
    let main = out.packages.iter().find(|p| p.name == "tool").unwrap();
    assert_eq!(main.files.keys().collect::<Vec<_>>(), ["/usr/bin/tool"]);
}

#[test]
fn files_naming_d_is_bitbakes_expanded_d() {
    let (_t, w) = tmp();
    write(&w.join("image/usr/bin/tool"), "x");
    let mut cfg = config("tool", &w, &w.join("none"));
    cfg.error_qa.push("expanded-d".into());
    cfg.packages[6]
        .files
        .push(format!("{}/usr/bin/tool", w.join("image").display()));
    let out = do_package(&cfg).unwrap();
    let i = out.issues.iter().find(|i| i.class == "expanded-d").unwrap();
    assert_eq!(
        i.line(),
        "ERROR: QA Issue: FILES in tool recipe should not contain the ${D} variable as it references the local build directory not the target filesystem, best solution is to remove the ${D} reference [expanded-d]"
    );
    assert!(out.failed());
    // the pattern matched nothing (it is not a path inside the package) and lost nothing
    assert!(w.join("packages-split/tool/usr/bin/tool").exists());
}
