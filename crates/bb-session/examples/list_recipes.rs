//! Lists the recipes of a build directory with PV and LICENSE, as
//! `bitbake-layers show-recipes` would, through the bb-session API.
//!
//! `cargo run -p bb-session --example list_recipes -- testdata/build-hello`

use std::process::ExitCode;

use bb_session::{Quiet, Session};

fn main() -> ExitCode {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".to_owned());
    match list(&dir) {
        Ok(lines) => {
            for l in lines {
                #[expect(clippy::print_stdout, reason = "the example's output")]
                {
                    println!("{l}");
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            #[expect(clippy::print_stderr, reason = "the example's error")]
            {
                eprintln!("list_recipes: {e}");
            }
            ExitCode::FAILURE
        }
    }
}

/// One line per recipe target: `PN PV LICENSE`, sorted, skipped recipes marked.
fn list(dir: &str) -> Result<Vec<String>, bb_session::Error> {
    let mut session = Session::open(dir)?;
    session.parse(&Quiet)?;
    let mut lines: Vec<String> = session
        .recipes()?
        .iter()
        .map(|r| {
            let skipped = if r.skipped.is_some() {
                " (skipped)"
            } else {
                ""
            };
            format!("{:<24} {:<12} {}{skipped}", r.pn, r.pv, r.about.license)
        })
        .collect();
    lines.sort();
    Ok(lines)
}

#[cfg(test)]
mod tests {
    /// The example lists the bundled example's two recipes with their PV and LICENSE.
    #[test]
    fn lists_the_bundled_example() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let tmp = tempfile::tempdir().expect("tempdir");
        copy(&root.join("meta"), &tmp.path().join("meta"));
        let dir = tmp.path().join("testdata/build-hello");
        copy(&root.join("testdata/build-hello"), &dir);
        let lines = super::list(&dir.to_string_lossy()).expect("lists");
        // The example's two recipes, with PV and LICENSE (meta/ adds its own).
        let line = |pn: &str| {
            lines
                .iter()
                .find(|l| l.starts_with(&format!("{pn} ")))
                .cloned()
                .unwrap_or_default()
        };
        assert!(
            line("libhello").contains(" 1.0 ") && line("libhello").ends_with("MIT"),
            "{lines:?}"
        );
        assert!(line("sayhello").contains(" 1.0 "), "{lines:?}");
        assert!(lines.windows(2).all(|w| w[0] <= w[1]), "sorted: {lines:?}");
    }

    /// The example's build directory and bake's `meta/`, without build outputs.
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        bb_util::fs::copy_tree(from, to, &["tmp", "cache", "downloads", "expected"])
            .expect("copies");
    }
}
