//! Shared state: hash equivalence look-ups per second against `bake-hashserv` over a
//! unix socket and over TCP (1,000 task hashes per `get-stream` batch, half known),
//! and the same against BitBake's `bitbake-hashserv` when
//! `BAKE_BENCH_BITBAKE_HASHSERV` names its script (run with `python3`); restoring an
//! sstate object of 500 files into a fresh directory.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use bb_sstate::hashserv::Client;

const M: &str = "oe.sstatesig.OEOuthashBasic";

/// A real `bitbake-hashserv` started by the bench (a child it stops when dropped).
struct BitbakeServer(std::process::Child);

impl Drop for BitbakeServer {
    fn drop(&mut self) {
        // The pid this bench started.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `bitbake-hashserv` (the script at `script`) on `bind` with database `db`,
/// and waits until `addr` accepts a client.
fn bitbake_server(script: &str, bind: &str, addr: &str, db: &std::path::Path) -> BitbakeServer {
    let child = std::process::Command::new("python3")
        .arg(script)
        .args(["-b", bind, "-d"])
        .arg(db)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("invariant: python3 runs bitbake-hashserv");
    let server = BitbakeServer(child);
    for _ in 0..200 {
        if Client::connect(addr).is_ok() {
            return server;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("bitbake-hashserv did not answer on {addr}");
}

/// 1,000 task hashes, half of them reported, then looked up in one `get-stream`
/// batch per iteration.
fn lookups(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    addr: &str,
) {
    let mut client = Client::connect(addr).expect("invariant: connects");
    let hashes: Vec<String> = (0..1000).map(|i| format!("{i:064x}")).collect();
    for h in hashes.iter().step_by(2) {
        client
            .report(h, M, &format!("{h}o"), h, &[])
            .expect("invariant: report");
    }
    let queries: Vec<(&str, &str)> = hashes.iter().map(|h| (M, h.as_str())).collect();
    g.bench_function(format!("get-stream 1000 look-ups ({name})"), |b| {
        b.iter(|| client.get_unihashes(&queries).expect("invariant: lookups"));
    });
}

fn hashserv(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("invariant: tempdir");
    let sock = tmp.path().join("hs.sock");
    let mut g = c.benchmark_group("hashserv");
    g.throughput(Throughput::Elements(1000));
    for (name, addr) in [
        ("unix", format!("unix://{}", sock.display())),
        ("tcp", "127.0.0.1:0".to_owned()),
    ] {
        let addr = bake_hashserv::Server::bind(
            &addr,
            &tmp.path().join(format!("{name}.db")),
            false,
            false,
        )
        .expect("invariant: server binds")
        .spawn();
        lookups(&mut g, name, &addr);
    }
    // The same look-ups against BitBake's own server, when its script is named
    // (`BAKE_BENCH_BITBAKE_HASHSERV=/path/to/bitbake/bin/bitbake-hashserv`).
    if let Ok(script) = std::env::var("BAKE_BENCH_BITBAKE_HASHSERV") {
        let bb_sock = tmp.path().join("bb.sock");
        let unix = format!("unix://{}", bb_sock.display());
        let _s = bitbake_server(&script, &unix, &unix, &tmp.path().join("bb-unix.db"));
        lookups(&mut g, "unix, bitbake-hashserv", &unix);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("invariant: a free port")
            .port();
        let tcp = format!("127.0.0.1:{port}");
        let _t = bitbake_server(&script, &tcp, &tcp, &tmp.path().join("bb-tcp.db"));
        lookups(&mut g, "tcp, bitbake-hashserv", &tcp);
    }
    g.finish();
}

fn restore(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("invariant: tempdir");
    let root = tmp.path();
    let tmpdir = root.join("tmp");
    let layout = bb_sstate::Layout {
        pn: "big".into(),
        workdir: tmpdir.join("work/big"),
        tmpdir: tmpdir.clone(),
        stamp: String::new(),
        sstate_dir: root.join("sstate-cache"),
        pkgspec: "sstate:big:x86_64-linux:1.0:r0:x86_64:14:".into(),
        extrapath: String::new(),
        manifests: tmpdir.join("sstate-control"),
        manfileprefix: tmpdir
            .join("sstate-control/manifest-x86_64-big")
            .display()
            .to_string(),
        pkgarch: "x86_64".into(),
        allow_overlap: Vec::new(),
        signing: bb_sstate::Signing::default(),
    };
    let task = bb_sstate::SstateTask {
        task: "populate_sysroot".into(),
        dirs: vec![bb_sstate::StateDir {
            name: "sysroot-destdir".into(),
            input: layout.workdir.join("sysroot-destdir"),
            output: tmpdir.join("sysroots-components/big"),
        }],
        plaindirs: Vec::new(),
        lockfiles: Vec::new(),
        lockfiles_shared: Vec::new(),
    };
    for i in 0..500 {
        let p = task.dirs[0]
            .input
            .join(format!("usr/include/d{}/f{i}.h", i % 20));
        fs_err::create_dir_all(p.parent().expect("invariant: parent")).expect("invariant: mkdir");
        bb_util::fs::atomic_write(&p, format!("/* {i} */\n{}\n", "x".repeat(i * 8)).as_bytes())
            .expect("invariant: write");
    }
    let hash = "ab".repeat(32);
    bb_sstate::save(&task, &layout, &hash, None).expect("invariant: save");
    let mut g = c.benchmark_group("sstate");
    g.throughput(Throughput::Elements(500));
    g.bench_function("restore 500 files", |b| {
        b.iter(|| {
            let _ = fs_err::remove_dir_all(&tmpdir);
            bb_sstate::restore(&task, &layout, &hash, &bb_sstate::Mirrors::default())
                .expect("invariant: restore")
        });
    });
    g.finish();
}

criterion_group!(benches, hashserv, restore);
criterion_main!(benches);
