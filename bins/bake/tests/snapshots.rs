//! Snapshot tests of whole `bake -e` outputs on the bundled example build directory.
//! Review changes with `cargo insta review`.

use std::path::Path;
use std::process::Command;

fn bake_e(args: &[&str]) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/example")
        .canonicalize()
        .expect("invariant: example exists");
    let out = Command::new(env!("CARGO_BIN_EXE_bake"))
        .args(args)
        .current_dir(&dir)
        .env_clear()
        .env("BBPATH", &dir)
        .env("HOME", "/home/user")
        .env("PATH", "/usr/bin:/bin")
        .output()
        .expect("invariant: bake runs");
    assert!(
        out.status.success(),
        "bake failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout)
        .replace(&dir.to_string_lossy().into_owned(), "@EXAMPLE@");
    let tr: String = dir
        .to_string_lossy()
        .chars()
        .map(|c| if "/.+-@%&~".contains(c) { '_' } else { c })
        .collect();
    text.replace(&tr, "@EXAMPLE_TR@")
        .replace(env!("CARGO_BIN_EXE_bake"), "@BAKE@")
}

#[test]
fn example_configuration() {
    insta::assert_snapshot!(bake_e(&["-e"]));
}

#[test]
fn example_recipe_hello() {
    insta::assert_snapshot!(bake_e(&["-e", "-b", "recipes/hello/hello_2.10.bb"]));
}

#[test]
fn example_recipe_zlib() {
    insta::assert_snapshot!(bake_e(&["-e", "-b", "recipes/zlib/zlib_1.2.13.bb"]));
}
