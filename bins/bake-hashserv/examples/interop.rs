//! Interoperability with BitBake's own hash equivalence tools, both directions:
//! BitBake's `bitbake-hashclient` against `bake-hashserv`, and bake's client against
//! BitBake's `bitbake-hashserv`. Needs a BitBake checkout (not part of this
//! repository): `cargo run -p bake-hashserv --example interop -- /path/to/bitbake`.
//! Exits non-zero, saying what differed, when anything does.

#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line example: results on stdout, errors on stderr"
)]

use std::process::{Command, ExitCode};
use std::time::Duration;

use bb_sstate::hashserv::Client;

const M: &str = "oe.sstatesig.OEOuthashBasic";

fn h(s: &str) -> String {
    format!("{s:0>64}")
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        return Err(format!("{cmd:?} failed:\n{text}"));
    }
    Ok(text)
}

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what.to_owned()) }
}

/// BitBake's client against bake's server.
fn bitbake_client(bitbake: &str, dir: &std::path::Path) -> Result<(), String> {
    let server = bake_hashserv::Server::bind("127.0.0.1:0", &dir.join("bake.db"), false, false)
        .map_err(|e| e.to_string())?;
    let addr = server.spawn();
    let client = format!("{bitbake}/bin/bitbake-hashclient");
    let hc = |args: &[&str]| {
        let mut c = Command::new(&client);
        c.arg("--address").arg(&addr).args(args);
        run(&mut c)
    };
    let ping = hc(&["ping"])?;
    expect(
        ping.contains("Number of pings:         10"),
        &format!("ping: {ping}"),
    )?;
    let first = hc(&["stress", "--clients", "4", "--requests", "250", "--report"])?;
    expect(
        first.contains("Hashes missed:        1000"),
        &format!("first stress: {first}"),
    )?;
    let second = hc(&["stress", "--clients", "4", "--requests", "250"])?;
    expect(
        second.contains("Hashes found:         1000"),
        &format!("second stress: {second}"),
    )?;
    let rate = second
        .lines()
        .find(|l| l.starts_with("Total request rate"))
        .unwrap_or("")
        .to_owned();
    let stats = hc(&["stats"])?;
    expect(stats.contains("\"num\""), &format!("stats: {stats}"))?;
    println!(
        "bitbake-hashclient -> bake-hashserv: ping, stress (report, then 1000 of 1000 found), stats: ok; {rate}"
    );
    Ok(())
}

/// bake's client against BitBake's server.
fn bake_client(bitbake: &str, dir: &std::path::Path) -> Result<(), String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(format!("{bitbake}/bin/bitbake-hashserv"))
        .args(["-b", &addr, "-d"])
        .arg(dir.join("bitbake.db"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("bitbake-hashserv: {e}"))?;
    let result = (|| {
        let mut c = None;
        for _ in 0..100 {
            if let Ok(cl) = Client::connect(&addr) {
                c = Some(cl);
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut c = c.ok_or("bitbake-hashserv did not start")?;
        let e = |e: bb_sstate::Error| e.to_string();
        expect(c.ping().map_err(e)?, "ping")?;
        let (a, b, x) = (h("a1"), h("b2"), h("0f1"));
        expect(
            c.report(&a, M, &x, &a, &[("PN", "libhello")]).map_err(e)? == a,
            "first report",
        )?;
        expect(
            c.report(&b, M, &x, &b, &[]).map_err(e)? == a,
            "equivalent report",
        )?;
        let got = c
            .get_unihashes(&[(M, &a), (M, &b), (M, &h("cc"))])
            .map_err(e)?;
        expect(
            got == vec![Some(a.clone()), Some(a.clone()), None],
            &format!("get-stream: {got:?}"),
        )?;
        let full = c
            .invoke(
                "get",
                serde_json::json!({"method": M, "taskhash": a, "all": true}),
            )
            .map_err(e)?;
        expect(full["PN"] == "libhello", &format!("get all: {full}"))?;
        // 1000 look-ups in one stream, timed.
        let qs: Vec<String> = (0..1000).map(|i| h(&format!("{i:x}"))).collect();
        let pairs: Vec<(&str, &str)> = qs.iter().map(|q| (M, q.as_str())).collect();
        let t0 = std::time::Instant::now();
        c.get_unihashes(&pairs).map_err(e)?;
        let rate = 1000.0 / t0.elapsed().as_secs_f64();
        println!(
            "bake client -> bitbake-hashserv: ping, report (equivalence), get-stream, get all: ok; {rate:.0} look-ups/s"
        );
        Ok(())
    })();
    let _ = child.kill();
    let _ = child.wait();
    result
}

fn main() -> ExitCode {
    let Some(bitbake) = std::env::args().nth(1) else {
        eprintln!("usage: interop BITBAKE_CHECKOUT");
        return ExitCode::FAILURE;
    };
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    for (what, r) in [
        (
            "bitbake-hashclient -> bake-hashserv",
            bitbake_client(&bitbake, dir.path()),
        ),
        (
            "bake client -> bitbake-hashserv",
            bake_client(&bitbake, dir.path()),
        ),
    ] {
        if let Err(e) = r {
            eprintln!("{what}: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
