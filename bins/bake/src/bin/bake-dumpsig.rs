//! `bake-dumpsig FILE`: prints what went into a task's signature, from a sig data file
//! written by `bake -S none` (like `bitbake-dumpsig`).

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;

/// `bake-dumpsig`: dump a signature data file.
#[derive(Debug, Parser)]
#[command(name = "bake-dumpsig", version, about = "Dump a task's signature data")]
struct Cli {
    /// The sig data file (`${STAMP}.do_task.sigdata.<hash>`).
    file: std::path::PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match bb_siggen::read_sigdata(&cli.file) {
        Ok(data) => {
            let text = bb_siggen::dump(&data);
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            if !text.ends_with('\n') {
                let _ = out.write_all(b"\n");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "ERROR: {}: {e}", cli.file.display());
            ExitCode::FAILURE
        }
    }
}
