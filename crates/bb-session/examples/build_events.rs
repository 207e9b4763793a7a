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

#[cfg(test)]
mod tests {
    /// The example builds the bundled example's `sayhello` (compiling libhello and
    /// sayhello with the host's compiler) and reports success.
    #[test]
    fn builds_the_bundled_example() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let tmp = tempfile::tempdir().expect("tempdir");
        copy(&root.join("meta"), &tmp.path().join("meta"));
        let dir = tmp.path().join("testdata/build-hello");
        copy(&root.join("testdata/build-hello"), &dir);
        assert!(super::build(&dir.to_string_lossy(), "sayhello").expect("builds"));
        assert!(
            dir.join("tmp/work/sayhello/1.0-r0/image/usr/bin/sayhello")
                .is_file()
        );
    }

    /// The example's build directory and bake's `meta/`, without build outputs.
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        bb_util::fs::copy_tree(from, to, &["tmp", "cache", "downloads", "expected"])
            .expect("copies");
    }
}
