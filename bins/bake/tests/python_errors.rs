//! `def` functions that do not compile fail the parse as in BitBake, with BitBake's report
//! (`testdata/python-errors/expected/bitbake-p.txt`, from real BitBake), and valid Python
//! beyond the native evaluator is no error.

#![cfg(feature = "python")]

#[path = "support/tree.rs"]
#[expect(dead_code, reason = "shared with the other integration tests")]
mod tree;

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn bake(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bake"))
        .args(args)
        .current_dir(root)
        .env("BBPATH", root)
        .env("BAKE_NO_PROGRESS", "1")
        .stdin(Stdio::null())
        .output()
        .expect("invariant: the bake binary runs")
}

/// The `ERROR:` blocks of a report: from an `ERROR:` line to the exception line, with the
/// text before the message (bake names the line, BitBake the file) left out.
fn blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in text.lines() {
        if let Some(i) = line.find("Error in compiling python function in ") {
            cur = Some(line[i..].to_owned());
            continue;
        }
        if let Some(b) = cur.as_mut() {
            b.push('\n');
            b.push_str(line);
            if line.starts_with("SyntaxError:") || line.starts_with("IndentationError:") {
                out.extend(cur.take());
            }
        }
    }
    out
}

#[test]
fn def_syntax_errors_fail_the_parse_with_bitbakes_report() {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-errors");
    let _ = std::fs::remove_dir_all(&root);
    tree::copy_dir(&tree::repo().join("testdata/python-errors"), &root);
    let out = bake(&root, &["-p"]);
    let stderr =
        String::from_utf8_lossy(&out.stderr).replace(&format!("{}/", root.display()), "@ROOT@/");
    assert!(!out.status.success(), "bake -p must fail:\n{stderr}");
    let want =
        std::fs::read_to_string(tree::repo().join("testdata/python-errors/expected/bitbake-p.txt"))
            .expect("invariant: the golden file is in the repository");
    let want = blocks(&want);
    assert_eq!(want.len(), 2, "BitBake reports two functions");
    assert_eq!(blocks(&stderr), want, "stderr:\n{stderr}");
    assert!(
        stderr.contains("ERROR: ParseError at @ROOT@/broken-def.bb:3: "),
        "the error names the file and the def's line:\n{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1 targets, 0 skipped, 0 masked, 2 errors."),
        "{stdout}"
    );

    // valid Python the native parser does not read: compiled by CPython, run, no error
    let out = bake(&root, &["-e", "-b", "valid-beyond-native.bb"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.lines().any(|l| l == "MATCHED=\"other\""),
        "BitBake gives MATCHED=\"other\""
    );
}
