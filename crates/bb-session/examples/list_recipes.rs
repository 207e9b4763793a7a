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
