//! `bake core-image-tiny` in a copy of `testdata/build-hello` (issue 15): the image boots
//! under QEMU and runs sayhello from its start-up script; real `dpkg --root` installing
//! the image's packages from the same feed gives the same tree as bake's do_rootfs; a
//! second build in another directory gives byte-identical packages and images, and a
//! changed file there changes only its package and the images.
//!
//! Needs the host tools `.ci/packaging-setup` installs (dpkg, qemu-system-x86, a Debian
//! kernel in /var/cache/bake/kernel or `$BAKE_QEMU_KERNEL`) and the source premirror
//! (`../shared/premirror` beside the project, or `$BAKE_PREMIRROR`) for BusyBox.
#![expect(
    clippy::disallowed_methods,
    reason = "test inputs are written directly"
)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "support/tree.rs"]
mod tree;

use tree::{append, repo};

fn premirror() -> PathBuf {
    let m = std::env::var_os("BAKE_PREMIRROR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/premirror"));
    assert!(
        m.join("busybox_1.35.0.orig.tar.bz2").is_file(),
        "no BusyBox tarball in the source mirror {} (set BAKE_PREMIRROR)",
        m.display()
    );
    m
}

fn kernel() -> PathBuf {
    let k = std::env::var_os("BAKE_QEMU_KERNEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/bake/kernel/vmlinuz"));
    assert!(
        k.is_file(),
        "no kernel at {} (run .ci/packaging-setup or set BAKE_QEMU_KERNEL)",
        k.display()
    );
    k
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Builds core-image-tiny in a fresh copy named `name`; returns the build directory.
fn build(name: &str) -> PathBuf {
    let dir =
        tree::hello_copy_in(&Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("image-{name}")));
    append(
        &dir.join("conf/local.conf"),
        &format!("\nSOURCE_MIRROR_DIR = \"{}\"\n", premirror().display()),
    );
    let o = Command::new(env!("CARGO_BIN_EXE_bake"))
        .arg("core-image-tiny")
        .current_dir(&dir)
        .env("BAKE_NO_PROGRESS", "1")
        .env_remove("BBPATH")
        .output()
        .expect("invariant: bake runs");
    assert!(
        o.status.success(),
        "bake core-image-tiny failed:\n{}",
        text(&o)
    );
    dir
}

/// Every path below `root` with what it is: `d 755`, `l target`, `f 644 <contents hash>`.
fn tree_of(root: &Path, skip: &[&str]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    fn go(root: &Path, dir: &Path, skip: &[&str], out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).expect("invariant: readable") {
            let p = e.expect("invariant: entry").path();
            let rel = format!(
                "/{}",
                p.strip_prefix(root).expect("invariant: below").display()
            );
            if skip
                .iter()
                .any(|s| rel == *s || rel.starts_with(&format!("{s}/")))
            {
                continue;
            }
            let m = std::fs::symlink_metadata(&p).expect("invariant: stat");
            let mode = m.permissions().mode() & 0o7777;
            let v = if m.file_type().is_symlink() {
                format!(
                    "l {}",
                    std::fs::read_link(&p).expect("invariant: link").display()
                )
            } else if m.is_dir() {
                go(root, &p, skip, out);
                format!("d {mode:o}")
            } else {
                let data = std::fs::read(&p).expect("invariant: read");
                format!("f {mode:o} {}", blake3::hash(&data))
            };
            out.insert(rel, v);
        }
    }
    go(root, root, skip, &mut out);
    out
}

/// `bake -g core-image-tiny` writes the task graph real BitBake wrote
/// (`testdata/build-hello/expected/core-image-tiny.*`, from `bitbake -g core-image-tiny`:
/// BitBake cannot build the image with bake's `meta/`, so targets.txt does not list it).
#[test]
fn core_image_tiny_task_graph_is_bitbakes() {
    let dir = tree::hello_copy_in(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("image-graph"));
    let o = Command::new(env!("CARGO_BIN_EXE_bake"))
        .args(["-g", "core-image-tiny"])
        .current_dir(&dir)
        .env("BAKE_NO_PROGRESS", "1")
        .env_remove("BBPATH")
        .output()
        .expect("invariant: bake runs");
    assert!(o.status.success(), "{}", text(&o));
    let expected = repo().join("testdata/build-hello/expected");
    let case = dir.display().to_string();
    for f in ["task-depends.dot", "pn-buildlist"] {
        let mut want: Vec<String> =
            std::fs::read_to_string(expected.join(format!("core-image-tiny.{f}")))
                .expect("invariant: expected file")
                .lines()
                .map(str::to_owned)
                .collect();
        let mut got: Vec<String> = std::fs::read_to_string(dir.join(f))
            .expect("invariant: bake wrote it")
            .replace(&case, "@CASE@")
            .lines()
            .map(str::to_owned)
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{f} differs from BitBake's");
    }
}

#[test]
fn core_image_tiny_boots_matches_dpkg_and_is_reproducible() {
    let kernel = kernel();
    let a = build("a");
    let images = a.join("tmp/deploy/images/host");
    let cpio = images.join("core-image-tiny-host.rootfs.cpio.gz");
    assert!(cpio.is_file(), "no {}", cpio.display());
    assert!(images.join("core-image-tiny-host.rootfs.tar.gz").is_file());
    let manifest = std::fs::read_to_string(images.join("core-image-tiny-host.rootfs.manifest"))
        .expect("invariant: manifest written");
    assert_eq!(
        manifest,
        "busybox amd64 1.35.0-r0\nhello-boot amd64 1.0-r0\nhost-libc amd64 1.0-r0\nlibhello amd64 1.0-r0\nsayhello amd64 1.0-r0\ntiny-init amd64 1.0-r0\n"
    );
    let link = std::fs::read_link(&cpio).expect("invariant: link");
    assert!(
        link.to_string_lossy()
            .starts_with("core-image-tiny-host.rootfs-")
            && link.to_string_lossy().ends_with(".cpio.gz"),
        "{}",
        link.display()
    );

    // The owner recorded by bake_chown in hello-boot's do_install, without root.
    let o = Command::new("tar")
        .arg("-tzvf")
        .arg(images.join("core-image-tiny-host.rootfs.tar.gz"))
        .output()
        .expect("invariant: tar runs");
    let listing = text(&o);
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("-rwxr-xr-x root/100 ")
                && l.ends_with(" ./etc/init.d/S90sayhello")),
        "{listing}"
    );
    assert!(
        listing.contains("crw------- root/root       5,1 2018-03-09 12:34 ./dev/console"),
        "{listing}"
    );

    // Boot it.
    let o = Command::new("timeout")
        .args([
            "300",
            "qemu-system-x86_64",
            "-m",
            "512",
            "-nographic",
            "-no-reboot",
            "-nic",
            "none",
            "-kernel",
        ])
        .arg(&kernel)
        .arg("-initrd")
        .arg(&cpio)
        .args(["-append", "console=ttyS0 rdinit=/init panic=-1 quiet"])
        .output()
        .expect("invariant: qemu-system-x86_64 runs");
    let console = text(&o);
    for want in [
        "tiny-init: started",
        "hello-boot: running sayhello",
        "Hello, bake! (from libhello 1.0)",
        "Hello, again! (from libhello 1.0)",
        "tiny-init: start-up scripts done",
    ] {
        assert!(
            console.contains(want),
            "`{want}` not on the console:\n{console}"
        );
    }

    // The same packages installed by dpkg give the same tree.
    let feed = a.join("tmp/deploy/deb/x86_64");
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("image-dpkg-root");
    let _ = std::fs::remove_dir_all(&root);
    for d in ["var/lib/dpkg/info", "var/lib/dpkg/updates"] {
        std::fs::create_dir_all(root.join(d)).expect("invariant: mkdir");
    }
    std::fs::write(root.join("var/lib/dpkg/status"), "").expect("invariant: write");
    let debs: Vec<PathBuf> = manifest
        .lines()
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            feed.join(format!("{}_{}_{}.deb", w[0], w[2], w[1]))
        })
        .collect();
    let o = Command::new("dpkg")
        .arg(format!("--root={}", root.display()))
        .args(["--force-script-chrootless", "--no-triggers", "-i"])
        .args(&debs)
        .output()
        .expect("invariant: dpkg runs");
    assert!(o.status.success(), "dpkg -i failed:\n{}", text(&o));
    let ours = tree_of(&a.join("tmp/work/core-image-tiny/1.0-r0/rootfs"), &[]);
    let theirs = tree_of(&root, &["/var/lib/dpkg", "/var/lib", "/var"]);
    assert_eq!(ours, theirs, "bake's rootfs differs from dpkg's");

    // A second build elsewhere: the same bytes.
    let b = build("b");
    let files = |dir: &Path| -> BTreeMap<String, Vec<u8>> {
        let mut m = BTreeMap::new();
        for e in std::fs::read_dir(dir.join("tmp/deploy/deb/x86_64")).expect("invariant: feed") {
            let p = e.expect("invariant: entry").path();
            if p.extension().is_some_and(|x| x == "deb") {
                let name = p
                    .file_name()
                    .expect("invariant: name")
                    .to_string_lossy()
                    .into_owned();
                m.insert(name, std::fs::read(&p).expect("invariant: read"));
            }
        }
        for t in ["cpio.gz", "tar.gz", "manifest"] {
            let p = dir.join(format!(
                "tmp/deploy/images/host/core-image-tiny-host.rootfs.{t}"
            ));
            m.insert(t.to_owned(), std::fs::read(&p).expect("invariant: image"));
        }
        m
    };
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    let differ: Vec<&String> = fa.keys().filter(|k| fa[*k] != fb[*k]).collect();
    assert!(differ.is_empty(), "differ between two builds: {differ:?}");

    // A changed file changes its package and the images, nothing else.
    append(
        &b.join("meta-hello/recipes-hello/hello-boot/files/S90sayhello"),
        "echo \"hello-boot: done\"\n",
    );
    let o = Command::new(env!("CARGO_BIN_EXE_bake"))
        .arg("core-image-tiny")
        .current_dir(&b)
        .env("BAKE_NO_PROGRESS", "1")
        .env_remove("BBPATH")
        .output()
        .expect("invariant: bake runs");
    assert!(o.status.success(), "rebuild failed:\n{}", text(&o));
    let fc = files(&b);
    let changed: Vec<&String> = fa.keys().filter(|k| fa[*k] != fc[*k]).collect();
    assert_eq!(
        changed,
        ["cpio.gz", "hello-boot_1.0-r0_amd64.deb", "tar.gz"]
    );

    // The same image from the rpm feed (PACKAGE_CLASSES picks the format): the same tree.
    append(
        &a.join("conf/local.conf"),
        "\nPACKAGE_CLASSES = \"package_rpm package_deb\"\n",
    );
    let o = Command::new(env!("CARGO_BIN_EXE_bake"))
        .arg("core-image-tiny")
        .current_dir(&a)
        .env("BAKE_NO_PROGRESS", "1")
        .env_remove("BBPATH")
        .output()
        .expect("invariant: bake runs");
    assert!(o.status.success(), "rpm image build failed:\n{}", text(&o));
    assert!(
        a.join("tmp/deploy/rpm/x86_64/repodata/repomd.xml")
            .is_file()
    );
    let from_rpm = tree_of(&a.join("tmp/work/core-image-tiny/1.0-r0/rootfs"), &[]);
    assert_eq!(ours, from_rpm, "the rootfs from the rpm feed differs");
    let manifest_rpm = std::fs::read_to_string(images.join("core-image-tiny-host.rootfs.manifest"))
        .expect("invariant: manifest written");
    assert_eq!(manifest_rpm, manifest.replace("amd64", "x86_64"));

    // Toaster's default IMAGE_FSTYPES (DEFCONF_IMAGE_FSTYPES): ext3, jffs2 and tar.bz2.
    append(
        &a.join("conf/local.conf"),
        "\nIMAGE_FSTYPES = \"ext3 jffs2 tar.bz2\"\n",
    );
    let o = Command::new(env!("CARGO_BIN_EXE_bake"))
        .arg("core-image-tiny")
        .current_dir(&a)
        .env("BAKE_NO_PROGRESS", "1")
        .env_remove("BBPATH")
        .output()
        .expect("invariant: bake runs");
    assert!(
        o.status.success(),
        "ext3/jffs2/tar.bz2 image build failed:\n{}",
        text(&o)
    );
    let ext3 = images.join("core-image-tiny-host.rootfs.ext3");
    let o = Command::new("e2fsck")
        .arg("-fn")
        .arg(&ext3)
        .output()
        .expect("invariant: e2fsck runs");
    assert!(o.status.success(), "{}", text(&o));
    let o = Command::new("debugfs")
        .args(["-R", "ls -l /etc/init.d"])
        .arg(&ext3)
        .output()
        .expect("invariant: debugfs runs");
    assert!(text(&o).contains("S90sayhello"), "{}", text(&o));
    let o = Command::new("dumpe2fs")
        .arg("-h")
        .arg(&ext3)
        .output()
        .expect("invariant: dumpe2fs runs");
    assert!(text(&o).contains("has_journal"), "{}", text(&o));
    let jffs2 = std::fs::read(images.join("core-image-tiny-host.rootfs.jffs2"))
        .expect("invariant: jffs2 written");
    assert!(jffs2.len().is_multiple_of(0x40000) && jffs2.starts_with(&[0x85, 0x19]));
    let o = Command::new("tar")
        .arg("-tjvf")
        .arg(images.join("core-image-tiny-host.rootfs.tar.bz2"))
        .output()
        .expect("invariant: tar runs");
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("crw------- root/root       5,1 2018-03-09 12:34 ./dev/console"),
        "{}",
        text(&o)
    );
}
