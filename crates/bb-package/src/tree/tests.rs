use super::*;

fn sample() -> (tempfile::TempDir, Tree) {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    for d in ["usr/bin/.debug", "usr/lib/pkgconfig", "usr/share/doc/x"] {
        fs_err::create_dir_all(r.join(d)).unwrap();
    }
    for f in [
        "usr/bin/a",
        "usr/bin/.hidden",
        "usr/bin/.debug/a",
        "usr/lib/libx.so.1.0",
        "usr/lib/libx.a",
        "usr/lib/pkgconfig/x.pc",
        "usr/share/doc/x/README",
    ] {
        fs_err::write(r.join(f), "x").unwrap();
    }
    std::os::unix::fs::symlink("libx.so.1.0", r.join("usr/lib/libx.so.1")).unwrap();
    std::os::unix::fs::symlink("libx.so.1", r.join("usr/lib/libx.so")).unwrap();
    let tree = Tree::scan(r).unwrap();
    (t, tree)
}

#[test]
fn python_glob_rules() {
    let (_t, tree) = sample();
    assert_eq!(tree.glob("./usr/bin/*"), vec!["./usr/bin/a"]);
    assert_eq!(
        tree.glob("./usr/bin/.*"),
        vec!["./usr/bin/.debug", "./usr/bin/.hidden"]
    );
    assert_eq!(
        tree.glob("./usr/lib/lib*.so.*"),
        vec!["./usr/lib/libx.so.1", "./usr/lib/libx.so.1.0"]
    );
    assert_eq!(tree.glob("./usr/lib/lib*.so"), vec!["./usr/lib/libx.so"]);
    assert_eq!(tree.glob("./usr/lib/*.[ab]"), vec!["./usr/lib/libx.a"]);
    assert_eq!(tree.glob("./usr/include"), Vec::<String>::new());
    assert_eq!(
        tree.glob("./usr/share/**"),
        vec![
            "./usr/share",
            "./usr/share/doc",
            "./usr/share/doc/x",
            "./usr/share/doc/x/README"
        ]
    );
}

#[test]
fn walk_lists_files_before_directories() {
    let (_t, tree) = sample();
    let w = tree.walk_order();
    assert_eq!(w[0], "./usr");
    let lib: Vec<&String> = w.iter().filter(|p| p.starts_with("./usr/lib/")).collect();
    assert_eq!(
        lib,
        vec![
            "./usr/lib/libx.a",
            "./usr/lib/libx.so",
            "./usr/lib/libx.so.1",
            "./usr/lib/libx.so.1.0",
            "./usr/lib/pkgconfig",
            "./usr/lib/pkgconfig/x.pc"
        ]
    );
}

#[test]
fn fnmatch_classes() {
    assert!(fnmatch("lib[!y]*", "libx.so"));
    assert!(!fnmatch("lib[!x]*", "libx.so"));
    assert!(fnmatch("[a-c]?", "bz"));
    assert!(fnmatch("a[", "a["));
}
