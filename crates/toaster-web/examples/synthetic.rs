//! Writes the synthetic builds of the web interface's tests into a database, for
//! `toaster-manage perf` and the browser tests: `cargo run -p toaster-web --example
//! synthetic -- DB [big|small]`. `big` (the default) is the 10,000-task build (1,000
//! recipes of 10 tasks, 2,000 packages, 50,000 files, 5,000 variables); `small` a build
//! of 12 recipes with a failing task.

#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool"
)]

use std::process::ExitCode;

#[path = "../tests/it/synthetic.rs"]
mod synthetic;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(db) = args.next() else {
        eprintln!("usage: synthetic DB [big|small]");
        return ExitCode::FAILURE;
    };
    let spec = match args.next().as_ref().and_then(|s| s.to_str()) {
        None | Some("big") => synthetic::Spec {
            recipes: 1000,
            tasks_per_recipe: 10,
            variables: 5000,
            packages: 2000,
            files_per_package: 25,
            ..synthetic::Spec::default()
        },
        Some("small") => synthetic::Spec {
            fail: Some(3),
            ..synthetic::Spec::default()
        },
        Some(other) => {
            eprintln!("synthetic: unknown size `{other}` (big or small)");
            return ExitCode::FAILURE;
        }
    };
    let id = synthetic::record(std::path::Path::new(&db), &spec);
    println!("recorded build {id} into {}", db.to_string_lossy());
    ExitCode::SUCCESS
}
