//! `bake-diffsigs A B`: explains in words why two task signatures differ, from two sig
//! data files written by `bake -S none` (like `bitbake-diffsigs`).

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;

/// `bake-diffsigs`: compare two signature data files.
#[derive(Debug, Parser)]
#[command(
    name = "bake-diffsigs",
    version,
    about = "Compare task signature data files"
)]
struct Cli {
    /// The older sig data file.
    a: std::path::PathBuf,
    /// The newer sig data file.
    b: std::path::PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let read = |p: &std::path::Path| {
        bb_siggen::read_sigdata(p).map_err(|e| format!("ERROR: {}: {e}", p.display()))
    };
    let (a, b) = match (read(&cli.a), read(&cli.b)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            let _ = writeln!(std::io::stderr(), "{e}");
            return ExitCode::FAILURE;
        }
    };
    let lines = bb_siggen::compare(&a, &b);
    let mut out = std::io::stdout().lock();
    if lines.is_empty() {
        let _ = writeln!(out, "No differences found");
    }
    for l in lines {
        let _ = writeln!(out, "{l}");
    }
    ExitCode::SUCCESS
}
