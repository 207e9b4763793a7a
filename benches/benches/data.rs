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

/// Files held in memory.
struct Mem(std::collections::HashMap<String, String>);

impl FileSource for Mem {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        self.0
            .get(path.to_str().unwrap_or(""))
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "missing"))
    }
    fn exists(&self, path: &Path) -> bool {
        self.0.contains_key(path.to_str().unwrap_or(""))
    }
    fn is_file(&self, path: &Path) -> bool {
        self.exists(path)
    }
}

/// A configuration and a recipe the size of an OpenEmbedded one: about 1,500
/// variables with overrides, appends, removes, references and inline Python.
fn recipe_sized() -> Mem {
    let mut conf = String::from(
        "OVERRIDES = \"linux:x86-64:pn-${PN}:qemux86-64:class-target\"\nPN = \"big\"\nDISTRO_FEATURES = \"ipv6 x11 systemd\"\n",
    );
    for i in 0..1200 {
        conf.push_str(&format!(
            "CONF_{i} ?= \"value-{i} ${{CONF_{}}} ${{PN}}\"\n",
            i / 3
        ));
        if i % 7 == 0 {
            conf.push_str(&format!("CONF_{i}:qemux86-64 = \"machine-{i}\"\n"));
        }
        if i % 11 == 0 {
            conf.push_str(&format!("CONF_{i}:append = \" ${{@bb.utils.contains('DISTRO_FEATURES', 'x11', 'gui', 'cli', d)}}\"\n"));
        }
    }
    let mut bb = String::new();
    for i in 0..300 {
        bb.push_str(&format!(
            "R_{i} = \"${{CONF_{}}} recipe\"\nR_{i}:remove = \"value-{}\"\n",
            i * 4,
            i
        ));
    }
    bb.push_str("do_compile() {\n\toe_runmake ${CONF_1}\n}\naddtask compile\n");
    bb.push_str("python () {\n    d.setVar('ANON', d.getVar('CONF_5'))\n}\n");
    let mut files = std::collections::HashMap::new();
    files.insert("/big/conf/bitbake.conf".to_owned(), conf);
    files.insert("/big/classes/base.bbclass".to_owned(), String::new());
    files.insert("/big/big_1.0.bb".to_owned(), bb);
    Mem(files)
}

/// [`recipe_sized`] with what finalizing an OpenEmbedded recipe does most: 30
/// anonymous functions reading and writing variables and flags (each in its own
/// transaction of the datastore), and recipe statements that write variables OVERRIDES
/// is computed from without changing the overrides (class files set CLASSOVERRIDE and
/// friends again).
fn recipe_sized_anon() -> Mem {
    let mut mem = recipe_sized();
    let conf = mem
        .0
        .get_mut("/big/conf/bitbake.conf")
        .expect("invariant: made above");
    let conf_with_inputs = conf.replace(
        "OVERRIDES = \"linux:x86-64:pn-${PN}:qemux86-64:class-target\"",
        "CLASSOVERRIDE = \"class-target\"\nMACHINEOVERRIDES = \"qemux86-64\"\nOVERRIDES = \"linux:x86-64:pn-${PN}:${MACHINEOVERRIDES}:${CLASSOVERRIDE}\"",
    );
    *conf = conf_with_inputs;
    let bb = mem
        .0
        .get_mut("/big/big_1.0.bb")
        .expect("invariant: made above");
    for i in 0..30 {
        bb.push_str(&format!(
            "CLASSOVERRIDE = \"class-target\"\nR_{i}:append = \" ${{CONF_{i}}}\"\n"
        ));
        bb.push_str(&format!(
            "python () {{\n    v = d.getVar('R_{i}') or ''\n    if 'recipe' in v.split():\n        d.appendVar('ANON_{i}', ' ' + d.getVar('CONF_{}'))\n    d.setVarFlag('do_compile', 'depends', 'dep-{i}:do_populate_sysroot')\n    d.setVar('R_{}', v + ' more')\n}}\n",
            i * 7,
            i + 100
        ));
    }
    mem
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

fn bench_recipe_sized(c: &mut Criterion) {
    let mem = recipe_sized();
    let ev = Evaluator::new(&mem);
    let mut base = DataStore::new();
    base.set_var("BBPATH", "/big");
    base.set_var("TOPDIR", "/big");
    ev.parse_base_config(&mut base)
        .expect("invariant: config parses");
    c.bench_function("recipe-sized: parse + finalize (1.5k vars)", |b| {
        b.iter(|| {
            black_box(
                ev.parse_recipe(&base, "/big/big_1.0.bb", &[])
                    .expect("invariant: parses"),
            )
        })
    });
    c.bench_function(
        "recipe-sized: parse + finalize + expand every variable",
        |b| {
            b.iter(|| {
                let r = ev
                    .parse_recipe(&base, "/big/big_1.0.bb", &[])
                    .expect("invariant: parses");
                for k in r.keys() {
                    let _ = black_box(r.get_var(&k));
                }
            })
        },
    );
}

fn bench_recipe_sized_anon(c: &mut Criterion) {
    let mem = recipe_sized_anon();
    let ev = Evaluator::new(&mem);
    let mut base = DataStore::new();
    base.set_var("BBPATH", "/big");
    base.set_var("TOPDIR", "/big");
    ev.parse_base_config(&mut base)
        .expect("invariant: config parses");
    c.bench_function(
        "recipe-sized: parse + finalize, 30 anonymous functions, OVERRIDES inputs rewritten",
        |b| {
            b.iter(|| {
                black_box(
                    ev.parse_recipe(&base, "/big/big_1.0.bb", &[])
                        .expect("invariant: parses"),
                )
            })
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench, bench_recipe_sized, bench_recipe_sized_anon
}
criterion_main!(benches);
