//! Signed objects (SSTATE_VERIFY_SIG, SSTATE_SIG_KEY) with the host's `gpg` and a
//! keyring made for the test in a temporary GNUPGHOME: an object whose content was
//! changed under its name, one without its signature, one signed by a key that is not
//! in SSTATE_VALID_SIGS, and a wrong passphrase.

use std::path::PathBuf;
use std::process::Command;

use bb_sstate::{Error, Mirrors, Signing, sig_path};

use super::{fixture, write};

/// A keyring with one signing key (passphrase `s3cret`); its gpg-agent is stopped
/// when the keyring is dropped.
struct Keyring {
    home: tempfile::TempDir,
    /// The key's fingerprint.
    fpr: String,
}

impl Keyring {
    fn stop_agent(&self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.home.path())
            .args(["--kill", "gpg-agent"])
            .output();
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        self.stop_agent();
    }
}

fn gpg(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    let out = Command::new("gpg")
        .arg("--homedir")
        .arg(home)
        .args(["--batch", "--no-permission-warning"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("gpg (package gnupg) is needed by this test: {e}"));
    assert!(out.status.success(), "gpg {args:?}: {out:?}");
    out
}

fn keyring() -> Keyring {
    // A short path: gpg-agent's socket lives in it.
    let home = tempfile::Builder::new()
        .prefix("bake-gpg")
        .tempdir_in("/tmp")
        .unwrap_or_else(|e| panic!("{e}"));
    fs_err::set_permissions(
        home.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    gpg(
        home.path(),
        &[
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "s3cret",
            "--quick-gen-key",
            "bake test <bake@example.invalid>",
            "ed25519",
            "sign",
            "never",
        ],
    );
    let list = gpg(home.path(), &["--with-colons", "--list-secret-keys"]);
    let fpr = String::from_utf8_lossy(&list.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .and_then(|l| l.split(':').find(|f| !f.is_empty()))
        .unwrap_or_else(|| panic!("no fingerprint in {list:?}"))
        .to_owned();
    Keyring { home, fpr }
}

fn signing(k: &Keyring) -> Signing {
    Signing {
        verify: true,
        key: k.fpr.clone(),
        passphrase: "s3cret".to_owned(),
        valid_sigs: Vec::new(),
        gpg: "gpg".to_owned(),
        homedir: Some(k.home.path().to_path_buf()),
    }
}

fn aside(p: &std::path::Path) -> PathBuf {
    PathBuf::from(format!("{}.corrupt", p.display()))
}

#[test]
fn a_tampered_object_an_unsigned_one_and_a_foreign_key_are_refused() {
    let k = keyring();
    let mut f = fixture("libhello");
    f.layout.signing = signing(&k);
    let hash = "5a".repeat(32);
    let out = f.task.dirs[0].output.clone();
    let (obj, _) =
        bb_sstate::save(&f.task, &f.layout, &hash, None).unwrap_or_else(|e| panic!("{e}"));
    let sig = sig_path(&obj);
    assert!(obj.is_file() && sig.is_file());
    bb_sstate::clean("populate_sysroot", &f.layout).unwrap_or_else(|e| panic!("{e}"));
    bb_sstate::restore(&f.task, &f.layout, &hash, &Mirrors::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.join("usr/include/hello.h").is_file());

    // Content changed, name kept: a whole, valid archive of other files.
    write(&f.task.dirs[0].input.join("usr/include/hello.h"), "evil\n");
    let other = f.root.join("other.tar.zst");
    bb_sstate::create(&bb_sstate::members(&f.task, &f.layout), &other)
        .unwrap_or_else(|e| panic!("{e}"));
    fs_err::rename(&other, &obj).unwrap_or_else(|e| panic!("{e}"));
    bb_sstate::clean("populate_sysroot", &f.layout).unwrap_or_else(|e| panic!("{e}"));
    match bb_sstate::restore(&f.task, &f.layout, &hash, &Mirrors::default()) {
        Err(e @ Error::Signature { .. }) => assert!(
            e.to_string().starts_with(&format!(
                "Cannot verify signature on sstate package {}, skipping acceleration...",
                obj.display()
            )),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(
        !out.join("usr/include/hello.h").exists(),
        "nothing installed"
    );
    // Both moved aside: the real task writes and signs a new object.
    assert!(!obj.exists() && !sig.exists() && aside(&obj).is_file() && aside(&sig).is_file());
    write(
        &f.task.dirs[0].input.join("usr/include/hello.h"),
        "int hello(void);\n",
    );
    bb_sstate::save(&f.task, &f.layout, &hash, None).unwrap_or_else(|e| panic!("{e}"));
    bb_sstate::clean("populate_sysroot", &f.layout).unwrap_or_else(|e| panic!("{e}"));
    bb_sstate::restore(&f.task, &f.layout, &hash, &Mirrors::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let text =
        fs_err::read_to_string(out.join("usr/include/hello.h")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(text, "int hello(void);\n");

    // No signature: refused, the object stays; the next save signs it again.
    fs_err::remove_file(&sig).unwrap_or_else(|e| panic!("{e}"));
    match bb_sstate::restore(&f.task, &f.layout, &hash, &Mirrors::default()) {
        Err(e @ Error::Signature { .. }) => assert_eq!(
            e.to_string(),
            format!(
                "No signature file for sstate package {}, skipping acceleration...",
                obj.display()
            )
        ),
        other => panic!("{other:?}"),
    }
    assert!(obj.is_file());
    bb_sstate::clean("populate_sysroot", &f.layout).unwrap_or_else(|e| panic!("{e}"));
    bb_sstate::save(&f.task, &f.layout, &hash, None).unwrap_or_else(|e| panic!("{e}"));
    assert!(sig.is_file());

    // SSTATE_VALID_SIGS: only the keys listed are accepted.
    f.layout.signing.valid_sigs = vec!["0123456789ABCDEF".to_owned()];
    let e = bb_sstate::restore(&f.task, &f.layout, &hash, &Mirrors::default());
    assert!(
        matches!(&e, Err(Error::Signature { reason, .. }) if reason.contains("no accepted signatures")),
        "{e:?}"
    );
    assert!(
        obj.is_file(),
        "a good signature by another key moves nothing aside"
    );
    let long_id = k.fpr[k.fpr.len() - 16..].to_owned();
    f.layout.signing.valid_sigs = vec![long_id];
    bb_sstate::restore(&f.task, &f.layout, &hash, &Mirrors::default())
        .unwrap_or_else(|e| panic!("{e}"));

    // A wrong passphrase: the save fails, naming gpg's complaint, and writes nothing
    // (the agent, which remembers the right one, stopped first).
    k.stop_agent();
    f.layout.signing.passphrase = "wrong".to_owned();
    let hash2 = "6b".repeat(32);
    let obj2 = f
        .layout
        .object_path("populate_sysroot", &hash2)
        .unwrap_or_else(|e| panic!("{e}"));
    bb_sstate::clean("populate_sysroot", &f.layout).unwrap_or_else(|e| panic!("{e}"));
    match bb_sstate::save(&f.task, &f.layout, &hash2, None) {
        Err(e @ Error::Sign { .. }) => {
            assert!(e.to_string().contains("GPG exited with code"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    assert!(!obj2.exists() && !sig_path(&obj2).exists());
    let left: Vec<_> = obj2
        .parent()
        .and_then(|d| fs_err::read_dir(d).ok())
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
}
