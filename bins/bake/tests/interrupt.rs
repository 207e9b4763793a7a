//! Ctrl-C while the recipes are parsed: bake stops the parse as BitBake does (its
//! lines, a non-zero exit, no parse cache written), and a second one ends it at once.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A layer of `n` recipes, each sleeping `ms` milliseconds in an anonymous function.
fn slow_layer(name: &str, n: usize, ms: u64) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("interrupt-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    let w = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("invariant: parent")).expect("invariant: dir");
        fs_err::write(p, text).expect("invariant: write");
    };
    w(
        "conf/bitbake.conf",
        "BBFILES = \"${TOPDIR}/recipes/*.bb\"\nCACHE = \"${TOPDIR}/cache\"\nTMPDIR = \"${TOPDIR}/tmp\"\n",
    );
    w("classes/base.bbclass", "");
    for i in 0..n {
        w(
            &format!("recipes/r{i}_1.0.bb"),
            &format!(
                "python __anonymous() {{\n    import time\n    time.sleep({})\n}}\n",
                ms as f64 / 1000.0
            ),
        );
    }
    dir
}

/// Starts `bake -p` and returns once it has started parsing recipes, with the lines
/// read so far.
fn start_parse(
    dir: &Path,
) -> (
    std::process::Child,
    Vec<String>,
    BufReader<std::process::ChildStdout>,
) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bake"))
        .arg("-p")
        .current_dir(dir)
        .env("BBPATH", dir)
        .env("BAKE_NO_PROGRESS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("invariant: bake starts");
    let mut out = BufReader::new(child.stdout.take().expect("invariant: piped"));
    let mut seen = Vec::new();
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let done = line.starts_with("Loaded ");
        seen.push(line);
        if done {
            break;
        }
    }
    (child, seen, out)
}

#[test]
fn ctrl_c_while_parsing_stops_the_parse_as_bitbake_does() {
    // 400 recipes of 50 ms on 2 threads: about 10 s of parsing when nothing stops it.
    let dir = slow_layer("once", 400, 50);
    let (mut child, seen, mut out) = start_parse(&dir);
    assert!(
        seen.iter().any(|l| l.starts_with("Loaded 0 entries")),
        "{seen:?}"
    );
    let t0 = Instant::now();
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let mut rest = String::new();
    let _ = out.read_to_string(&mut rest);
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let status = child.wait().expect("invariant: bake ends");
    let text = format!("{rest}{err}");
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "stopped soon, not after the whole parse: {:?}\n{text}",
        t0.elapsed()
    );
    assert_eq!(status.code(), Some(1), "{text}");
    // knotty's lines, in its order (the error goes to stderr, the rest to stdout).
    let mut at = 0;
    for line in [
        "Keyboard Interrupt, closing down...",
        "Summary: There was 1 ERROR message, returning a non-zero exit code.",
        "Execution was interrupted, returning a non-zero exit code.",
    ] {
        let Some(i) = rest[at..].find(line) else {
            panic!("`{line}` (in order) in:\n{rest}");
        };
        at += i + line.len();
    }
    assert!(
        err.contains("ERROR: Parsing halted due to errors, see error messages above"),
        "{err}"
    );
    assert!(
        !text.contains("Parsing of 400 .bb files complete"),
        "{text}"
    );
    // The cache is written only by a parse that completed.
    assert!(!dir.join("cache/bake_recipes.cache").exists());
}

#[test]
fn a_second_ctrl_c_ends_bake_at_once() {
    // Each recipe sleeps 6 s: after the first signal bake waits for the ones started.
    let dir = slow_layer("twice", 8, 6000);
    let (mut child, _seen, _out) = start_parse(&dir);
    let pid = child.id().to_string();
    // Recipes are being parsed (a signal before the first one starts ends the parse at
    // once, with nothing to wait for).
    std::thread::sleep(Duration::from_millis(1500));
    let t0 = Instant::now();
    let _ = Command::new("kill").args(["-INT", &pid]).status();
    std::thread::sleep(Duration::from_millis(200));
    let _ = Command::new("kill").args(["-INT", &pid]).status();
    let status = child.wait().expect("invariant: bake ends");
    assert!(
        t0.elapsed() < Duration::from_millis(2500),
        "the second signal did not wait for the parse: {:?}",
        t0.elapsed()
    );
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc_sigint()), "{status:?}");
}

/// SIGINT's number on Linux.
fn libc_sigint() -> i32 {
    2
}
