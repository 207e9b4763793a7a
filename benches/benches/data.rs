//! Datastore benchmarks: the O(1) copy the cooker relies on, reading with overrides,
//! and parsing plus finalizing a recipe-sized datastore.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use bb_data::{DataStore, Evaluator, FileSource};
use criterion::{Criterion, criterion_group, criterion_main};

struct Fs;

impl FileSource for Fs {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }
    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }
}

/// A configuration-sized datastore: `n` variables, a tenth of them with overrides.
fn big_store(n: usize) -> DataStore {
    let mut d = DataStore::new();
    d.set_var("OVERRIDES", "linux:x86-64:qemux86-64:class-target");
    for i in 0..n {
        d.set_var(
            &format!("VAR_{i}"),
            &format!("value {i} ${{VAR_{}}}", i / 2),
        );
        if i % 10 == 0 {
            d.set_var(&format!("VAR_{i}:qemux86-64"), "machine value");
            d.set_var_flag(&format!("VAR_{i}"), "doc", "documentation");
        }
    }
    d
}

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/example")
        .canonicalize()
        .expect("invariant: example exists")
}

fn bench(c: &mut Criterion) {
    let d = big_store(20_000);
    c.bench_function("datastore copy (20k vars)", |b| {
        b.iter(|| black_box(d.clone()))
    });
    c.bench_function("datastore copy + write (20k vars)", |b| {
        b.iter(|| {
            let mut copy = d.clone();
            copy.set_var("VAR_5", "changed");
            black_box(copy)
        })
    });
    c.bench_function("getVar with overrides and references", |b| {
        b.iter(|| {
            let copy = d.clone();
            black_box(copy.get_var("VAR_1000").expect("invariant: expands"))
        })
    });

    let dir = example_dir();
    let src = Fs;
    let ev = Evaluator::new(&src);
    let mut base = DataStore::new();
    base.set_var("BBPATH", &dir.to_string_lossy());
    base.set_var("TOPDIR", &dir.to_string_lossy());
    ev.parse_base_config(&mut base)
        .expect("invariant: example config parses");
    let recipe = dir
        .join("recipes/hello/hello_2.10.bb")
        .to_string_lossy()
        .into_owned();
    c.bench_function("parse + finalize example recipe", |b| {
        b.iter(|| {
            black_box(
                ev.parse_recipe(&base, &recipe, &[])
                    .expect("invariant: parses"),
            )
        })
    });
    c.bench_function("parse + finalize + expand every variable", |b| {
        b.iter(|| {
            let r = ev
                .parse_recipe(&base, &recipe, &[])
                .expect("invariant: parses");
            for k in r.keys() {
                let _ = black_box(r.get_var(&k));
            }
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
