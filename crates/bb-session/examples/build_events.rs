//! Builds a target with the bb-session API and prints each task's outcome and duration
//! from the event stream, then the summary.
//!
//! `cargo run -p bb-session --example build_events -- testdata/build-hello sayhello`

use std::process::ExitCode;
use std::sync::mpsc;

use bb_events::BuildEvent;
use bb_session::{BuildRequest, Quiet, Session};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(target)) = (args.next(), args.next()) else {
        say("usage: build_events BUILDDIR TARGET");
        return ExitCode::FAILURE;
    };
    match build(&dir, &target) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            say(&format!("build_events: {e}"));
            ExitCode::FAILURE
        }
    }
}

#[expect(clippy::print_stdout, reason = "the example's output")]
fn say(line: &str) {
    println!("{line}");
}

/// Builds `target` in `dir`; true when every task succeeded.
fn build(dir: &str, target: &str) -> Result<bool, bb_session::Error> {
    let mut session = Session::open(dir)?;
    session.parse(&Quiet)?;
    let (tx, rx) = mpsc::channel();
    let printer = std::thread::spawn(move || {
        for event in rx {
            match event {
                BuildEvent::TaskSucceeded { task, usage } => say(&format!(
                    "{:<10} {}:{} {:.2}s",
                    "succeeded", task.pn, task.task, usage.elapsed
                )),
                BuildEvent::TaskFailed { task, usage, .. } => say(&format!(
                    "{:<10} {}:{} {:.2}s",
                    "failed", task.pn, task.task, usage.elapsed
                )),
                BuildEvent::TaskSkipped { task, reason } => {
                    say(&format!(
                        "{:<10} {}:{} ({reason:?})",
                        "skipped", task.pn, task.task
                    ));
                }
                _ => {}
            }
        }
    });
    let req = BuildRequest {
        targets: vec![target.to_owned()],
        ..Default::default()
    };
    let report = session.build(&req, &tx, &Quiet);
    drop(tx);
    let _ = printer.join();
    let summary = report?.summary;
    say(&format!("{summary:?}"));
    Ok(summary.is_some_and(|s| s.failed == 0 && s.not_run == 0))
}
