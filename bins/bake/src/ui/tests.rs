//! Knotty's footer lines of running tasks.

use super::{Running, elapsed, running_line};

fn task(progress: Option<(f64, Option<String>)>) -> Running {
    Running {
        key: 0,
        since: std::time::Instant::now(),
        label: "demo-1.0-r0 do_compile".to_owned(),
        progress,
    }
}

#[test]
fn a_running_task_shows_its_progress_as_knotty_does() {
    assert_eq!(
        running_line(0, &task(None)),
        "0: demo-1.0-r0 do_compile - 0s"
    );
    assert_eq!(
        running_line(1, &task(Some((50.0, Some("2 MiB/s".to_owned()))))),
        "1: demo-1.0-r0 do_compile - 0s  50% |##########          | 2 MiB/s"
    );
    // Above 100 is drawn as 100; a fraction is dropped, as knotty's `%3d%%`.
    assert_eq!(
        running_line(0, &task(Some((133.3, None)))),
        "0: demo-1.0-r0 do_compile - 0s 100% |####################|"
    );
    assert_eq!(
        running_line(0, &task(Some((12.9, None)))),
        "0: demo-1.0-r0 do_compile - 0s  12% |##                  |"
    );
    // Unknown amount: a marker instead of a percentage.
    assert_eq!(
        running_line(0, &task(Some((-1.0, None)))),
        "0: demo-1.0-r0 do_compile - 0s |#                   |"
    );
}

#[test]
fn elapsed_times_read_as_knotty_s() {
    assert_eq!(elapsed(5), "5s");
    assert_eq!(elapsed(125), "2m5s");
    assert_eq!(elapsed(3725), "1h2m5s");
}
