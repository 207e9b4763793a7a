//! Shared state: hash equivalence look-ups per second against `bake-hashserv` over a
//! unix socket and over TCP (1,000 task hashes per `get-stream` batch, half known),
//! and restoring an sstate object of 500 files into a fresh directory.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use bb_sstate::hashserv::Client;

const M: &str = "oe.sstatesig.OEOuthashBasic";

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
        let mut client = Client::connect(&addr).expect("invariant: connects");
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
