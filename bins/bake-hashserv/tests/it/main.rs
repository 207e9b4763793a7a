//! The server through bake's client (`bb_sstate::hashserv::Client`), over TCP and a
//! unix socket: equivalence by output hash, batch look-ups, the read-only mode, a
//! chunked message, an unknown command.

use bake_hashserv::Server;
use bb_sstate::hashserv::Client;

const M: &str = "oe.sstatesig.OEOuthashBasic";

fn h(s: &str) -> String {
    format!("{s:0>64}")
}

fn server(dir: &std::path::Path, addr: &str, read_only: bool) -> String {
    Server::bind(addr, &dir.join("db.sqlite"), read_only, false)
        .unwrap_or_else(|e| panic!("{e}"))
        .spawn()
}

#[test]
fn equivalent_outputs_share_a_unihash() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let addr = server(tmp.path(), "127.0.0.1:0", false);
    let mut c = Client::connect(&addr).unwrap_or_else(|e| panic!("{e}"));
    assert!(c.ping().unwrap_or(false));
    let (a, b, x, y) = (h("a1"), h("b2"), h("0f1"), h("0f2"));
    // First report of an output: the task keeps its own hash as unihash.
    assert_eq!(
        c.report(
            &a,
            M,
            &x,
            &a,
            &[("PN", "libhello"), ("task", "do_populate_sysroot")]
        )
        .ok(),
        Some(a.clone())
    );
    // Another task hash with the same output: the first one's unihash.
    assert_eq!(c.report(&b, M, &x, &b, &[]).ok(), Some(a.clone()));
    // A third with another output keeps its own.
    let c3 = h("c3");
    assert_eq!(c.report(&c3, M, &y, &c3, &[]).ok(), Some(c3.clone()));
    // Reporting again changes nothing.
    assert_eq!(c.report(&b, M, &x, &b, &[]).ok(), Some(a.clone()));
    let got = c
        .get_unihashes(&[
            (M, &a),
            (M, &b),
            (M, &c3),
            (M, &h("dd")),
            ("other.method", &a),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        got,
        vec![
            Some(a.clone()),
            Some(a.clone()),
            Some(c3.clone()),
            None,
            None
        ]
    );
    // Back to normal mode after a stream, then `get` with every column.
    let full = c
        .invoke(
            "get",
            serde_json::json!({"method": M, "taskhash": a, "all": true}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(full["PN"], "libhello");
    assert_eq!(full["outhash"], x.as_str());
    assert_eq!(full["unihash"], a.as_str());
    let o = c
        .invoke(
            "get-outhash",
            serde_json::json!({"method": M, "outhash": x, "taskhash": b}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o["taskhash"], a.as_str(), "the first task with that output");
    // A message over the chunk size arrives whole.
    let big = "s".repeat(100_000);
    let d = h("d4");
    assert_eq!(
        c.report(&d, M, &h("0f3"), &d, &[("outhash_siginfo", &big)])
            .ok(),
        Some(d.clone())
    );
    let full = c
        .invoke(
            "get",
            serde_json::json!({"method": M, "taskhash": d, "all": true}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        full["outhash_siginfo"].as_str().map(str::len),
        Some(100_000)
    );
    // Unknown commands are an error and end the connection.
    let e = c.invoke("no-such-command", serde_json::Value::Null);
    assert!(e.is_err());
    let stats = Client::connect(&addr)
        .and_then(|mut c| c.invoke("get-stats", serde_json::Value::Null))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        stats["requests"]["num"].as_u64().unwrap_or(0) >= 10,
        "{stats}"
    );
}

#[test]
fn a_read_only_server_answers_without_recording_over_a_unix_socket() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let sock = tmp.path().join("hashserve.sock");
    // Filled by a writable server first.
    let rw = server(tmp.path(), "127.0.0.1:0", false);
    let (a, b, x) = (h("a1"), h("b2"), h("0f1"));
    let mut c = Client::connect(&rw).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.report(&a, M, &x, &a, &[]).ok(), Some(a.clone()));
    let ro = server(tmp.path(), &format!("unix://{}", sock.display()), true);
    let mut c = Client::connect(&ro).unwrap_or_else(|e| panic!("{e}"));
    // The equivalent unihash is given, but nothing is recorded.
    assert_eq!(c.report(&b, M, &x, &b, &[]).ok(), Some(a.clone()));
    let got = c
        .get_unihashes(&[(M, &a), (M, &b)])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got, vec![Some(a.clone()), None]);
    assert!(
        c.invoke(
            "report-equiv",
            serde_json::json!({"method": M, "taskhash": b, "unihash": a})
        )
        .is_err()
    );
}

#[test]
fn many_look_ups_in_one_stream_do_not_block() {
    // More questions than the sockets' buffers hold answers for at once.
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let sock = tmp.path().join("hs.sock");
    let addr = server(tmp.path(), &format!("unix://{}", sock.display()), false);
    let mut c = Client::connect(&addr).unwrap_or_else(|e| panic!("{e}"));
    let hashes: Vec<String> = (0..20_000).map(|i| format!("{i:064x}")).collect();
    let q: Vec<(&str, &str)> = hashes.iter().map(|h| (M, h.as_str())).collect();
    let got = c.get_unihashes(&q).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.len(), 20_000);
    assert!(got.iter().all(Option::is_none));
}
