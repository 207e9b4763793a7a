//! bb-fetch end to end, on fixtures made at test time: local files through FILESPATH,
//! every archive kind through a `file://` PREMIRROR with checksums, archives that try
//! to escape, git repositories, and patches.
#![expect(
    clippy::disallowed_methods,
    reason = "test inputs are written directly"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use bb_fetch::{Error, FetchConfig, Mirror, Source, fetch, parse_src_uri, patch, unpack};

struct Env {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Env {
    fn new() -> Env {
        let tmp = tempfile::tempdir().expect("invariant: temp dir");
        let root = tmp.path().to_path_buf();
        Env { _tmp: tmp, root }
    }

    fn cfg(&self) -> FetchConfig {
        let mut cfg = FetchConfig::new(
            self.root.join("downloads"),
            self.root.join("work/sources"),
            self.root.join("work/sources"),
        );
        cfg.set_filespath(&format!(
            "{}:{}",
            self.root.join("files-a").display(),
            self.root.join("files-b").display()
        ));
        cfg.no_network = true;
        cfg.premirrors = Mirror::parse_list(&format!(
            "https?://.*/.* file://{}/",
            self.root.join("mirror").display()
        ))
        .expect("invariant: mirror list");
        cfg
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().expect("invariant: parent")).expect("invariant: dir");
        std::fs::write(&p, text).expect("invariant: write");
        p
    }
}

fn sha256(path: &Path) -> String {
    use sha2_for_tests::sha256_hex;
    sha256_hex(&std::fs::read(path).expect("invariant: readable"))
}

mod sha2_for_tests {
    /// SHA-256 through the host's `sha256sum` (the test checks our fetcher against it).
    pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
        use std::io::Write as _;
        let mut child = std::process::Command::new("sha256sum")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("invariant: sha256sum runs");
        child
            .stdin
            .take()
            .expect("invariant: stdin")
            .write_all(bytes)
            .expect("invariant: write");
        let out = child.wait_with_output().expect("invariant: sha256sum ends");
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_owned()
    }
}

/// Runs a Python 3 snippet (archives are made with the standard library).
fn python(code: &str) {
    let out = Command::new("python3")
        .args(["-c", code])
        .output()
        .expect("invariant: python3 runs");
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn local_files_are_found_through_filespath_first_hit_first() {
    let env = Env::new();
    env.write("files-a/one.txt", "from a\n");
    env.write("files-b/one.txt", "from b\n");
    env.write("files-b/sub/two.txt", "two\n");
    env.write("files-b/dir/x/y.txt", "y\n");
    let cfg = env.cfg();
    let uris = parse_src_uri("file://one.txt file://sub/two.txt file://dir").expect("parses");
    let f = fetch(&cfg, &uris).expect("fetches");
    assert_eq!(f[0].source, Source::Local(env.root.join("files-a/one.txt")));
    unpack(&cfg, &f).expect("unpacks");
    let src = env.root.join("work/sources");
    assert_eq!(
        std::fs::read_to_string(src.join("one.txt")).unwrap_or_default(),
        "from a\n"
    );
    assert!(src.join("sub/two.txt").exists(), "sub-path kept");
    assert!(src.join("dir/x/y.txt").exists(), "directories copied");
    let missing = parse_src_uri("file://nope.c").expect("parses");
    let e = fetch(&cfg, &missing).expect_err("missing file");
    let msg = e.to_string();
    assert!(matches!(e, Error::LocalNotFound { .. }));
    assert!(
        msg.contains("files-a/nope.c") && msg.contains("files-b/nope.c"),
        "{msg}"
    );
}

#[test]
fn every_archive_kind_comes_from_the_premirror_checked_and_unpacked() {
    let env = Env::new();
    let mirror = env.root.join("mirror");
    std::fs::create_dir_all(&mirror).expect("invariant: dir");
    let m = mirror.display();
    python(&format!(
        r#"
import tarfile, zipfile, io, os
def add(t, name, data):
    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
for ext, mode in [("tar", "w"), ("tar.gz", "w:gz"), ("tgz", "w:gz"), ("tar.bz2", "w:bz2"), ("tar.xz", "w:xz")]:
    with tarfile.open("{m}/pkg-" + ext.replace(".", "-") + "." + ext, mode) as t:
        add(t, "pkg-" + ext + "/README", b"hello " + ext.encode() + b"\n")
with zipfile.ZipFile("{m}/pkg-zip.zip", "w") as z:
    z.writestr("pkg-zip/README", "hello zip\n")
import gzip
open("{m}/single.txt.gz", "wb").write(gzip.compress(b"single\n"))
"#
    ));
    let mut kinds = vec![
        "tar",
        "tar-gz.tar.gz",
        "tgz.tgz",
        "tar-bz2.tar.bz2",
        "tar-xz.tar.xz",
        "zip.zip",
    ];
    let zstd = Command::new("zstd")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if zstd {
        let tar = mirror.join("pkg-tar-zst.tar");
        python(&format!(
            r#"
import tarfile, io
with tarfile.open("{}", "w") as t:
    i = tarfile.TarInfo("pkg-tar.zst/README"); d = b"hello tar.zst\n"; i.size = len(d); t.addfile(i, io.BytesIO(d))
"#,
            tar.display()
        ));
        let ok = Command::new("zstd")
            .args(["-q", "--rm"])
            .arg(&tar)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "zstd compresses");
        kinds.push("tar-zst.tar.zst");
    }
    let mut cfg = env.cfg();
    let mut words = Vec::new();
    for k in &kinds {
        let file = if *k == "tar" {
            "pkg-tar.tar".to_owned()
        } else {
            format!("pkg-{k}")
        };
        let name = file.replace(['.', '-'], "_");
        words.push(format!("https://example.org/dl/{file};name={name}"));
        cfg.set_sha256(&name, sha256(&mirror.join(&file)));
    }
    words.push("https://example.org/dl/single.txt.gz;name=single".into());
    cfg.set_sha256("single", sha256(&mirror.join("single.txt.gz")));
    let uris = parse_src_uri(&words.join(" ")).expect("parses");
    let f = fetch(&cfg, &uris).expect("fetches from the premirror");
    for item in &f {
        let Source::Download(p) = &item.source else {
            panic!("not a download: {item:?}");
        };
        assert!(p.starts_with(env.root.join("downloads")));
        let done = PathBuf::from(format!("{}.done", p.display()));
        assert!(done.exists(), "{} has its .done marker", p.display());
    }
    unpack(&cfg, &f).expect("unpacks");
    let src = env.root.join("work/sources");
    for ext in ["tar", "tar.gz", "tgz", "tar.bz2", "tar.xz"] {
        let text =
            std::fs::read_to_string(src.join(format!("pkg-{ext}/README"))).unwrap_or_default();
        assert_eq!(text, format!("hello {ext}\n"));
    }
    assert_eq!(
        std::fs::read_to_string(src.join("pkg-zip/README")).unwrap_or_default(),
        "hello zip\n"
    );
    assert_eq!(
        std::fs::read_to_string(src.join("single.txt")).unwrap_or_default(),
        "single\n"
    );
    if zstd {
        assert!(src.join("pkg-tar.zst/README").exists());
    }
    // DL_DIR is a cache: with the mirror gone, a second fetch still succeeds.
    std::fs::remove_dir_all(&mirror).expect("invariant: remove");
    fetch(&cfg, &uris).expect("served from DL_DIR");
}

#[test]
fn checksum_mismatch_and_no_network_are_clear_errors() {
    let env = Env::new();
    env.write("mirror/a.tar.gz", "not really an archive");
    let mut cfg = env.cfg();
    cfg.set_sha256("default", "00".repeat(32));
    let uris = parse_src_uri("https://example.org/a.tar.gz").expect("parses");
    let e = fetch(&cfg, &uris).expect_err("mismatch");
    let msg = e.to_string();
    assert!(matches!(e, Error::ChecksumMismatch { .. }), "{msg}");
    assert!(
        msg.contains("a.tar.gz") && msg.contains(&"00".repeat(32)),
        "{msg}"
    );
    let uris = parse_src_uri("https://example.org/elsewhere.tar.gz").expect("parses");
    let e = fetch(&cfg, &uris).expect_err("no network");
    assert!(matches!(e, Error::NetworkDisabled { .. }), "{e}");
    assert!(e.to_string().contains("BB_NO_NETWORK"), "{e}");
}

#[test]
fn archive_entries_that_escape_are_refused() {
    let env = Env::new();
    let m = env.root.join("mirror");
    std::fs::create_dir_all(&m).expect("invariant: dir");
    let md = m.display();
    python(&format!(
        r#"
import tarfile, io
def add(t, name, data=b"x", link=None):
    i = tarfile.TarInfo(name)
    if link is not None:
        i.type = tarfile.SYMTYPE; i.linkname = link
    else:
        i.size = len(data)
    t.addfile(i, None if link is not None else io.BytesIO(data))
with tarfile.open("{md}/dotdot.tar", "w") as t: add(t, "ok/../../evil")
with tarfile.open("{md}/abs.tar", "w") as t: add(t, "/tmp/bake-evil-abs")
with tarfile.open("{md}/link.tar", "w") as t:
    add(t, "pkg/out", link="../../outside")
with tarfile.open("{md}/through.tar", "w") as t:
    add(t, "pkg/dir", link=".")
    add(t, "pkg/inner/x", b"fine")
"#
    ));
    for (file, needle) in [
        ("dotdot.tar", "ok/../../evil"),
        ("abs.tar", "/tmp/bake-evil-abs"),
        ("link.tar", "pkg/out"),
    ] {
        let cfg = env.cfg();
        let uris = parse_src_uri(&format!("https://example.org/{file}")).expect("parses");
        let f = fetch(&cfg, &uris).expect("fetches");
        let e = unpack(&cfg, &f).expect_err("refused");
        let msg = e.to_string();
        assert!(matches!(e, Error::UnsafeEntry { .. }), "{msg}");
        assert!(msg.contains(needle) && msg.contains(file), "{msg}");
    }
    assert!(!env.root.join("evil").exists() && !Path::new("/tmp/bake-evil-abs").exists());
    // A link that stays inside is fine.
    let cfg = env.cfg();
    let uris = parse_src_uri("https://example.org/through.tar").expect("parses");
    let f = fetch(&cfg, &uris).expect("fetches");
    unpack(&cfg, &f).expect("a link inside the destination is allowed");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.org")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.org")
        .output()
        .expect("invariant: git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn git_sources_by_commit_and_tag_through_a_download_mirror() {
    let env = Env::new();
    let repo = env.root.join("repo/hello.git");
    std::fs::create_dir_all(&repo).expect("invariant: dir");
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("a.txt"), "one\n").expect("invariant: write");
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "one"]);
    let first = git(&repo, &["rev-parse", "HEAD"]);
    git(&repo, &["tag", "v1"]);
    std::fs::write(repo.join("a.txt"), "two\n").expect("invariant: write");
    git(&repo, &["commit", "-q", "-am", "two"]);
    let word = format!("git://{};protocol=file;branch=main", repo.display());
    let uris = parse_src_uri(&word).expect("parses");

    let mut cfg = env.cfg();
    cfg.set_srcrev("default", "v1");
    let f = fetch(&cfg, &uris).expect("fetches by tag");
    let Source::Git { mirror, rev } = &f[0].source else {
        panic!("not git: {:?}", f[0].source);
    };
    assert_eq!(rev, &first);
    assert!(mirror.starts_with(env.root.join("downloads/git2")));
    unpack(&cfg, &f).expect("unpacks");
    assert_eq!(
        std::fs::read_to_string(env.root.join("work/sources/git/a.txt")).unwrap_or_default(),
        "one\n"
    );
    // A commit made after the mirror was taken: the mirror is updated.
    std::fs::write(repo.join("a.txt"), "three\n").expect("invariant: write");
    git(&repo, &["commit", "-q", "-am", "three"]);
    let third = git(&repo, &["rev-parse", "HEAD"]);
    cfg.set_srcrev("default", third.clone());
    let f = fetch(&cfg, &uris).expect("fetches the new commit");
    unpack(&cfg, &f).expect("unpacks");
    assert_eq!(
        std::fs::read_to_string(env.root.join("work/sources/git/a.txt")).unwrap_or_default(),
        "three\n"
    );
    cfg.set_srcrev("default", "feedfacefeedfacefeedfacefeedfacefeedface");
    let e = fetch(&cfg, &uris).expect_err("unknown revision");
    assert!(e.to_string().contains("feedface"), "{e}");
}

#[test]
fn patches_apply_in_order_with_striplevel_and_patchdir_and_failures_name_the_patch() {
    let env = Env::new();
    env.write("files-a/src/hello.c", "int main(void) { return 0; }\n");
    env.write(
        "files-a/p1.patch",
        "--- a/src/hello.c\n+++ b/src/hello.c\n@@ -1 +1 @@\n-int main(void) { return 0; }\n+int main(void) { return 1; }\n",
    );
    env.write(
        "files-a/p0.diff",
        "--- hello.c\n+++ hello.c\n@@ -1 +1 @@\n-int main(void) { return 1; }\n+int main(void) { return 2; }\n",
    );
    env.write("files-a/notes.patch", "not applied\n");
    let cfg = env.cfg();
    let uris = parse_src_uri("file://src file://p1.patch file://p0.diff;striplevel=0;patchdir=src file://notes.patch;apply=no")
        .expect("parses");
    let f = fetch(&cfg, &uris).expect("fetches");
    unpack(&cfg, &f).expect("unpacks");
    patch(&cfg, &f).expect("patches apply");
    assert_eq!(
        std::fs::read_to_string(env.root.join("work/sources/src/hello.c")).unwrap_or_default(),
        "int main(void) { return 2; }\n"
    );
    // Applying again fails (already applied): the error names the patch.
    let again = parse_src_uri("file://p1.patch").expect("parses");
    let f = fetch(&cfg, &again).expect("fetches");
    let e = patch(&cfg, &f).expect_err("does not apply");
    assert!(matches!(e, Error::PatchFailed { .. }));
    assert!(e.to_string().contains("p1.patch"), "{e}");
}
