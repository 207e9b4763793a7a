//! bb-sstate on real files: save, clean, restore, corrupt and truncated objects,
//! overlapping files, mirrors, concurrent writers.

use bb_util::test_http as http;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use bb_sstate::{Error, Layout, Mirrors, Signing, SstateTask, StateDir};

mod sign;

struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    layout: Layout,
    task: SstateTask,
}

fn layout(root: &Path, pn: &str) -> Layout {
    let tmpdir = root.join("tmp");
    let manifests = tmpdir.join("sstate-control");
    Layout {
        pn: pn.to_owned(),
        workdir: tmpdir.join("work").join(pn),
        tmpdir: tmpdir.clone(),
        stamp: format!("{}/stamps/{pn}", tmpdir.display()),
        sstate_dir: root.join("sstate-cache"),
        pkgspec: format!("sstate:{pn}:x86_64-linux:1.0:r0:x86_64:14:"),
        extrapath: String::new(),
        manfileprefix: format!("{}/manifest-x86_64-{pn}", manifests.display()),
        manifests,
        pkgarch: "x86_64".to_owned(),
        allow_overlap: Vec::new(),
        signing: Signing::default(),
    }
}

fn task_for(layout: &Layout, pn: &str) -> SstateTask {
    SstateTask {
        task: "populate_sysroot".to_owned(),
        dirs: vec![StateDir {
            name: "sysroot-destdir".to_owned(),
            input: layout.workdir.join("sysroot-destdir"),
            output: layout.tmpdir.join("sysroots-components").join(pn),
        }],
        plaindirs: vec![layout.workdir.join("plain")],
        lockfiles: vec![layout.tmpdir.join("sysroot.lock")],
        lockfiles_shared: Vec::new(),
    }
}

fn write(path: &Path, text: &str) {
    if let Some(d) = path.parent() {
        fs_err::create_dir_all(d).unwrap_or_else(|e| panic!("{e}"));
    }
    bb_util::fs::atomic_write(path, text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
}

fn fixture(pn: &str) -> Fixture {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = tmp.path().to_path_buf();
    let layout = layout(&root, pn);
    let task = task_for(&layout, pn);
    fill(&task);
    Fixture {
        _tmp: tmp,
        root,
        layout,
        task,
    }
}

fn fill(task: &SstateTask) {
    let input = &task.dirs[0].input;
    write(&input.join("usr/include/hello.h"), "int hello(void);\n");
    write(&input.join("usr/lib/libhello.so.1.0"), "ELF");
    let exe = input.join("usr/lib/libhello.so.1.0");
    fs_err::set_permissions(&exe, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink("libhello.so.1.0", input.join("usr/lib/libhello.so.1"))
        .unwrap_or_else(|e| panic!("{e}"));
    fs_err::create_dir_all(input.join("usr/share/empty")).unwrap_or_else(|e| panic!("{e}"));
    write(&task.plaindirs[0].join("note"), "plain\n");
}

fn tree(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir_list(dir);
    out.sort();
    out
}

fn walkdir_list(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        let rel = p.strip_prefix(dir).unwrap_or(&p).display().to_string();
        let meta = std::fs::symlink_metadata(&p).unwrap_or_else(|e| panic!("{e}"));
        if meta.file_type().is_symlink() {
            let t = std::fs::read_link(&p).unwrap_or_else(|e| panic!("{e}"));
            out.push(format!("{rel} -> {}", t.display()));
        } else if meta.is_dir() {
            out.push(format!("{rel}/"));
            for sub in walkdir_list(&p) {
                out.push(format!("{rel}/{sub}"));
            }
        } else {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            out.push(format!(
                "{rel} {:o} {text:?}",
                meta.permissions().mode() & 0o7777
            ));
        }
    }
    out
}

#[test]
fn save_clean_restore_round_trip() {
    let f = fixture("libhello");
    let hash = "ab".repeat(32);
    let out = f.task.dirs[0].output.clone();
    let (obj, inst) =
        bb_sstate::save(&f.task, &f.layout, &hash, Some(b"sig")).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        obj.starts_with(f.root.join("sstate-cache/ab/ab/")),
        "{}",
        obj.display()
    );
    assert!(obj.to_string_lossy().ends_with("_populate_sysroot.tar.zst"));
    assert!(PathBuf::from(format!("{}.siginfo", obj.display())).is_file());
    assert_eq!(inst.files, 3);
    let installed = tree(&out);
    assert!(installed.contains(&"usr/lib/libhello.so.1 -> libhello.so.1.0".to_owned()));
    let manifest = fs_err::read_to_string(&inst.manifest).unwrap_or_else(|e| panic!("{e}"));
    let lines: Vec<&str> = manifest.lines().collect();
    // Files first, then directories deepest first.
    assert!(lines[0].ends_with("usr/include/hello.h"), "{manifest}");
    assert!(
        lines.last().is_some_and(|l| l.ends_with("/usr/")),
        "{manifest}"
    );

    // A clean removes exactly what was installed; a foreign file stays.
    write(&out.join("usr/lib/foreign"), "x");
    let removed = bb_sstate::clean("populate_sysroot", &f.layout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(removed, 3);
    assert_eq!(
        tree(&out),
        vec!["usr/", "usr/lib/", "usr/lib/foreign 644 \"x\""]
    );
    assert!(!inst.manifest.exists());
    fs_err::remove_file(out.join("usr/lib/foreign")).unwrap_or_else(|e| panic!("{e}"));

    // Restore into a fresh TMPDIR: the same files, modes and links.
    fs_err::remove_dir_all(&f.layout.tmpdir).unwrap_or_else(|e| panic!("{e}"));
    let (found, inst2) = bb_sstate::restore(&f.task, &f.layout, &hash, &Mirrors::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found, bb_sstate::Found::Local(obj));
    assert_eq!(inst2.files, 3);
    assert_eq!(tree(&out), installed);
    assert!(tree(&out).contains(&"usr/lib/libhello.so.1.0 755 \"ELF\"".to_owned()));
    assert_eq!(
        fs_err::read_to_string(f.task.plaindirs[0].join("note")).unwrap_or_default(),
        "plain\n"
    );
    assert!(!f.layout.install_dir("populate_sysroot").exists());
}

#[test]
fn corrupt_and_truncated_objects_are_refused_and_change_nothing() {
    let f = fixture("libhello");
    let hash = "cd".repeat(32);
    let (obj, _) =
        bb_sstate::save(&f.task, &f.layout, &hash, None).unwrap_or_else(|e| panic!("{e}"));
    let bytes = fs_err::read(&obj).unwrap_or_else(|e| panic!("{e}"));
    bb_sstate::clean("populate_sysroot", &f.layout).unwrap_or_else(|e| panic!("{e}"));
    let out = f.task.dirs[0].output.clone();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", bytes[..bytes.len() / 2].to_vec()),
        ("empty", Vec::new()),
        ("garbage", b"not an archive at all".to_vec()),
        ("flipped", {
            let mut b = bytes.clone();
            let mid = b.len() / 2;
            b[mid] ^= 0x55;
            b
        }),
    ];
    for (what, data) in cases {
        bb_util::fs::atomic_write(&obj, &data).unwrap_or_else(|e| panic!("{e}"));
        let aside = PathBuf::from(format!("{}.corrupt", obj.display()));
        let r = bb_sstate::restore(&f.task, &f.layout, &hash, &Mirrors::default());
        match r {
            Err(Error::Corrupt { path, reason }) => {
                assert_eq!(path, obj, "{what}");
                assert!(!reason.is_empty(), "{what}");
            }
            other => panic!("{what}: {other:?}"),
        }
        assert!(!obj.exists() && aside.is_file(), "{what}: moved aside");
        assert!(!f.layout.manifest("populate_sysroot").exists(), "{what}");
        assert!(!out.join("usr/include/hello.h").exists(), "{what}");
    }
}

#[test]
fn overlapping_files_are_reported_with_their_manifest() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = tmp.path();
    let a = layout(root, "a");
    let mut ta = task_for(&a, "a");
    let b = layout(root, "b");
    let mut tb = task_for(&b, "b");
    // Both install into the same shared directory.
    let shared = root.join("tmp/shared");
    ta.dirs[0].output = shared.clone();
    tb.dirs[0].output = shared.clone();
    fill(&ta);
    fill(&tb);
    bb_sstate::install_dirs(&ta, &a).unwrap_or_else(|e| panic!("{e}"));
    let err = bb_sstate::install_dirs(&tb, &b);
    let Err(e) = err else {
        panic!("no overlap reported")
    };
    let msg = e.to_string();
    assert!(
        msg.starts_with(
            "Recipe b is trying to install files into a shared area when those files already exist."
        ),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("{}/usr/include/hello.h", shared.display())),
        "{msg}"
    );
    assert!(
        msg.contains("(matched in manifest-x86_64-a.populate_sysroot)"),
        "{msg}"
    );
    assert!(!b.manifest("populate_sysroot").exists());
    // Allowed overlap: installs.
    let mut b2 = b.clone();
    b2.allow_overlap = vec![shared.display().to_string()];
    bb_sstate::install_dirs(&tb, &b2).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn file_mirror_and_no_network() {
    let f = fixture("libhello");
    let hash = "ef".repeat(32);
    bb_sstate::save(&f.task, &f.layout, &hash, Some(b"sig")).unwrap_or_else(|e| panic!("{e}"));
    // Another build directory with the first's SSTATE_DIR as its mirror.
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let other = layout(tmp.path(), "libhello");
    let task = task_for(&other, "libhello");
    let mirrors = Mirrors::parse(
        &format!(
            "file://.* file://{}/PATH \\n https://.* https://example.invalid/PATH",
            f.layout.sstate_dir.display()
        ),
        true,
    );
    let found = bb_sstate::locate(&other, "populate_sysroot", &hash, &mirrors)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(found, Some(bb_sstate::Found::Mirror(ref u)) if u.starts_with("file://")),
        "{found:?}"
    );
    let (from, inst) =
        bb_sstate::restore(&task, &other, &hash, &mirrors).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(from, bb_sstate::Found::Mirror(_)));
    assert_eq!(inst.files, 3);
    let local = other
        .object_path("populate_sysroot", &hash)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(local.is_file());
    assert!(PathBuf::from(format!("{}.siginfo", local.display())).is_file());
    // Missing everywhere: None.
    let none = bb_sstate::locate(&other, "populate_sysroot", &"00".repeat(32), &mirrors)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(none, None);
}

#[test]
fn concurrent_writers_share_one_sstate_dir() {
    // Two builds writing the same object at once: each writes its own temporary file
    // and renames it; the object is whole afterwards and no temporary file is left.
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let hash = "12".repeat(32);
    let mut fixtures = Vec::new();
    for n in 0..4 {
        let mut l = layout(&tmp.path().join(format!("b{n}")), "libhello");
        l.sstate_dir = tmp.path().join("shared-sstate");
        let t = task_for(&l, "libhello");
        fill(&t);
        fixtures.push((l, t));
    }
    let hash_ref = hash.as_str();
    std::thread::scope(|s| {
        for (l, t) in &fixtures {
            s.spawn(move || {
                for _ in 0..5 {
                    let obj = l
                        .object_path("populate_sysroot", hash_ref)
                        .unwrap_or_else(|e| panic!("{e}"));
                    bb_sstate::create(&bb_sstate::members(t, l), &obj)
                        .unwrap_or_else(|e| panic!("{e}"));
                }
            });
        }
    });
    let (l, t) = &fixtures[0];
    let obj = l
        .object_path("populate_sysroot", &hash)
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = obj.parent().unwrap_or(Path::new("/"));
    let names: Vec<String> = fs_err::read_dir(dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    fs_err::remove_dir_all(&l.tmpdir).unwrap_or_else(|e| panic!("{e}"));
    bb_sstate::restore(t, l, &hash, &Mirrors::default()).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_failed_write_leaves_no_object() {
    let f = fixture("libhello");
    // A member that cannot be read makes the write fail half-way.
    let bad = f.task.dirs[0].input.join("usr/unreadable");
    write(&bad, "secret");
    fs_err::set_permissions(&bad, std::fs::Permissions::from_mode(0o000))
        .unwrap_or_else(|e| panic!("{e}"));
    let readable = std::fs::read(&bad).is_ok(); // root reads anything
    let obj = f
        .layout
        .object_path("populate_sysroot", &"34".repeat(32))
        .unwrap_or_else(|e| panic!("{e}"));
    let r = bb_sstate::create(&bb_sstate::members(&f.task, &f.layout), &obj);
    if readable {
        // As root the read succeeds: make the member a dangling directory entry
        // instead (a FIFO cannot be archived as a regular file).
        assert!(r.is_ok());
        fs_err::remove_file(&obj).unwrap_or_else(|e| panic!("{e}"));
        fs_err::remove_file(&bad).unwrap_or_else(|e| panic!("{e}"));
        let sock = f.task.dirs[0].input.join("usr/sock");
        let _l = std::os::unix::net::UnixListener::bind(&sock).unwrap_or_else(|e| panic!("{e}"));
        let r = bb_sstate::create(&bb_sstate::members(&f.task, &f.layout), &obj);
        assert!(r.is_err(), "a socket cannot be archived");
    } else {
        assert!(r.is_err());
    }
    assert!(!obj.exists());
    let dir = obj.parent().unwrap_or(Path::new("/"));
    let left = fs_err::read_dir(dir)
        .map(|rd| rd.flatten().count())
        .unwrap_or(0);
    assert_eq!(left, 0usize);
}

#[test]
fn http_mirror_look_up_fetch_and_a_cut_transfer() {
    let f = fixture("libhello");
    let hash = "9a".repeat(32);
    bb_sstate::save(&f.task, &f.layout, &hash, Some(b"sig")).unwrap_or_else(|e| panic!("{e}"));
    let server = http::Server::start(&f.layout.sstate_dir, false)
        .expect("invariant: a loopback server starts");
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let other = layout(tmp.path(), "libhello");
    let task = task_for(&other, "libhello");
    let value = format!("file://.* {}/PATH;downloadfilename=PATH", server.url);
    // BB_NO_NETWORK: the HTTP mirror is not used at all.
    let off = Mirrors::parse(&value, true);
    assert!(off.is_empty());
    assert_eq!(
        bb_sstate::locate(&other, "populate_sysroot", &hash, &off)
            .unwrap_or_else(|e| panic!("{e}")),
        None
    );
    assert_eq!(server.requests.load(std::sync::atomic::Ordering::SeqCst), 0);
    let mirrors = Mirrors::parse(&value, false);
    let found = bb_sstate::locate(&other, "populate_sysroot", &hash, &mirrors)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(&found, Some(bb_sstate::Found::Mirror(u)) if u.starts_with(&server.url)),
        "{found:?}"
    );
    assert_eq!(
        bb_sstate::locate(&other, "populate_sysroot", &"00".repeat(32), &mirrors)
            .unwrap_or_else(|e| panic!("{e}")),
        None
    );
    let (from, inst) =
        bb_sstate::restore(&task, &other, &hash, &mirrors).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(from, bb_sstate::Found::Mirror(_)));
    assert_eq!(inst.files, 3);
    let local = other
        .object_path("populate_sysroot", &hash)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(PathBuf::from(format!("{}.siginfo", local.display())).is_file());

    // A transfer cut half-way leaves no object (and the restore fails).
    let cut = http::Server::start(&f.layout.sstate_dir, true)
        .expect("invariant: a loopback server starts");
    let tmp2 = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let third = layout(tmp2.path(), "libhello");
    let mirrors = Mirrors::parse(&format!("file://.* {}/PATH", cut.url), false);
    let r = bb_sstate::restore(&task_for(&third, "libhello"), &third, &hash, &mirrors);
    assert!(matches!(r, Err(Error::Mirror { .. })), "{r:?}");
    let obj = third
        .object_path("populate_sysroot", &hash)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!obj.exists());
    let dir = obj.parent().unwrap_or(Path::new("/"));
    let left = fs_err::read_dir(dir)
        .map(|rd| rd.flatten().count())
        .unwrap_or(0);
    assert_eq!(left, 0, "no temporary file left");
}

#[test]
fn outhash_sees_contents_modes_and_links_not_times_or_places() {
    let opts = bb_sstate::OuthashOptions {
        pkgspec: "sstate:libhello:x86_64-linux:1.0:r0:x86_64:14:".to_owned(),
        task: "do_populate_sysroot".to_owned(),
        include_root: true,
        ..Default::default()
    };
    let a = fixture("libhello");
    let b = fixture("libhello");
    let hash = |f: &Fixture| {
        let mut sig = Vec::new();
        let h = bb_sstate::outhash(
            &bb_sstate::members(&f.task, &f.layout),
            &opts,
            Some(&mut sig),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        (h, String::from_utf8_lossy(&sig).into_owned())
    };
    let (ha, sig) = hash(&a);
    // Another directory, other mtimes: the same output.
    assert_eq!(hash(&b).0, ha);
    assert!(
        sig.starts_with("OEOuthashBasic\nSSTATE_PKGSPEC=sstate:libhello:"),
        "{sig}"
    );
    assert!(
        sig.contains("lrwx           ")
            && sig.contains("./sysroot-destdir/usr/lib/libhello.so.1 -> libhello.so.1.0"),
        "{sig}"
    );
    assert!(sig.contains("-rwx                    3 "), "{sig}");
    // A mode, a content, a link target: another output.
    let lib = b.task.dirs[0].input.join("usr/lib/libhello.so.1.0");
    fs_err::set_permissions(&lib, std::fs::Permissions::from_mode(0o644))
        .unwrap_or_else(|e| panic!("{e}"));
    let hb = hash(&b).0;
    assert_ne!(hb, ha);
    fs_err::set_permissions(&lib, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(hash(&b).0, ha);
    write(&lib, "ELF2");
    fs_err::set_permissions(&lib, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(hash(&b).0, ha);
    let c = fixture("libhello");
    let link = c.task.dirs[0].input.join("usr/lib/libhello.so.1");
    fs_err::remove_file(&link).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink("elsewhere", &link).unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(hash(&c).0, ha);
    // Owners count only when asked.
    let with_owners = bb_sstate::OuthashOptions {
        include_owners: true,
        ..opts.clone()
    };
    let mut sig = Vec::new();
    bb_sstate::outhash(
        &bb_sstate::members(&a.task, &a.layout),
        &with_owners,
        Some(&mut sig),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let sig = String::from_utf8_lossy(&sig);
    assert!(sig.contains("rwxr-xr-x"), "{sig}");
}
