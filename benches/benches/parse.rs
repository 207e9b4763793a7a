//! Parser benchmark: every metadata file of an OpenEmbedded-Core checkout, parsed from
//! memory with the reader its extension selects.
//!
//! The tree is `$OE_CORE` (default `/work/ext/oe-core`), or this repository's
//! `testdata/` when that is absent. All files are read before measuring, so the figure
//! (criterion's throughput, in MB/s) is parsing alone. It writes nothing.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bb_parse::FileKind;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// The directory to read: `$OE_CORE`, the usual checkout, or the repository's testdata.
fn root() -> PathBuf {
    let oe = std::env::var_os("OE_CORE")
        .map_or_else(|| PathBuf::from("/work/ext/oe-core"), PathBuf::from);
    if oe.is_dir() {
        oe
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")
    }
}

/// Every metadata file under `dir`, in path order, as (name, text, reader).
fn load(dir: &Path) -> Vec<(String, String, FileKind)> {
    let mut files: Vec<(String, String, FileKind)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let name = e.path().to_string_lossy().into_owned();
            let kind = FileKind::from_path(&name)?;
            let text = std::fs::read_to_string(e.path()).ok()?;
            Some((name, text, kind))
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

fn parse_tree(c: &mut Criterion) {
    let dir = root();
    let files = load(&dir);
    let bytes: usize = files.iter().map(|f| f.1.len()).sum();
    let mut group = c.benchmark_group("parse");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::BytesDecimal(bytes as u64));
    let id = if dir.ends_with("testdata") {
        "testdata"
    } else {
        "oe-core"
    };
    group.bench_function(id, |b| {
        b.iter(|| {
            let mut stmts = 0usize;
            for (name, text, kind) in &files {
                let (file, diags) = bb_parse::parse(name, text, *kind);
                stmts += file.stmts.len() + diags.len();
            }
            black_box(stmts)
        });
    });
    group.finish();
}

criterion_group!(benches, parse_tree);
criterion_main!(benches);
