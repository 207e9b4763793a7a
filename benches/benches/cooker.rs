//! Cooker benchmarks: a cold `bake -p` (no parse cache), a warm one (everything from
//! the cache), and parsing one recipe for `bake -e`. They run on the build directory
//! named by `BAKE_BENCH_BUILDDIR` (for example an openembedded-core build directory)
//! and, always, on a generated world of 1,000 recipes with shared classes, includes,
//! appends and BBCLASSEXTEND variants. For openembedded-core, run it with BitBake's
//! `bin/` on PATH as the oracle ran (its `layer.conf` looks `bitbake` up):
//! `BAKE_BENCH_BUILDDIR=/path/to/oe-build PATH=/path/to/bitbake/bin:$PATH cargo bench -p benches --bench cooker`.
#![expect(
    clippy::disallowed_methods,
    reason = "test inputs are written directly"
)]

use std::path::{Path, PathBuf};

use bb_cooker::{Cooker, CookerOptions};
use criterion::{Criterion, criterion_group, criterion_main};

/// The allocator `bake` uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir).expect("invariant: temp dir is writable");
    }
    std::fs::write(p, text).expect("invariant: temp dir is writable");
}

/// A build directory with `n` recipes.
fn world(n: usize) -> PathBuf {
    let root = std::env::temp_dir().join(format!("bake-bench-world-{n}"));
    if root.join("build/conf/bblayers.conf").exists() {
        return root;
    }
    write(
        &root,
        "build/conf/bblayers.conf",
        "BBPATH = \"${TOPDIR}\"\nBBFILES ?= \"\"\nBBLAYERS ?= \"${TOPDIR}/../meta\"\n",
    );
    write(
        &root,
        "build/conf/local.conf",
        "MACHINE = \"qemux86-64\"\nDISTRO = \"bench\"\n",
    );
    write(
        &root,
        "meta/conf/layer.conf",
        "BBPATH .= \":${LAYERDIR}\"\nBBFILES += \"${LAYERDIR}/recipes-*/*/*.bb ${LAYERDIR}/recipes-*/*/*.bbappend\"\nBBFILE_COLLECTIONS += \"bench\"\nBBFILE_PATTERN_bench = \"^${LAYERDIR}/\"\nBBFILE_PRIORITY_bench = \"5\"\nLAYERSERIES_CORENAMES = \"bench\"\nLAYERSERIES_COMPAT_bench = \"bench\"\n",
    );
    let mut conf = String::from(
        "PN = \"${@bb.parse.vars_from_file(d.getVar('FILE', False),d)[0] or 'defaultpkgname'}\"\nPV = \"${@bb.parse.vars_from_file(d.getVar('FILE', False),d)[1] or '1.0'}\"\nPR = \"${@bb.parse.vars_from_file(d.getVar('FILE', False),d)[2] or 'r0'}\"\nCLASSOVERRIDE ?= \"class-target\"\nOVERRIDES = \"linux:x86-64:${MACHINE}:${CLASSOVERRIDE}:pn-${PN}\"\nWORKDIR = \"${TOPDIR}/tmp/work/${PN}/${PV}\"\nS = \"${WORKDIR}/${PN}-${PV}\"\nB = \"${S}\"\nD = \"${WORKDIR}/image\"\ninclude conf/local.conf\n",
    );
    for i in 0..400 {
        conf.push_str(&format!("CONF_VAR_{i} ?= \"value {i} ${{MACHINE}}\"\nCONF_VAR_{i}:qemux86-64 = \"machine {i}\"\n"));
    }
    write(&root, "meta/conf/bitbake.conf", &conf);
    let mut base = String::from(
        "inherit utils\nPACKAGES = \"${PN} ${PN}-dev ${PN}-doc\"\nFILES:${PN}-dev = \"${includedir}\"\n",
    );
    for t in [
        "fetch",
        "unpack",
        "patch",
        "configure",
        "compile",
        "install",
        "package",
        "build",
    ] {
        base.push_str(&format!(
            "do_{t}() {{\n    echo {t} ${{PN}}\n}}\naddtask {t}\n"
        ));
    }
    base.push_str("python () {\n    if d.getVar('SKIPME') == '1':\n        raise bb.parse.SkipRecipe('skipped on purpose')\n    pn = d.getVar('PN')\n    if pn.endswith('-native'):\n        d.setVar('IS_NATIVE', '1')\n    d.appendVar('DEPENDS', ' base-dep')\n}\n");
    write(&root, "meta/classes/base.bbclass", &base);
    write(
        &root,
        "meta/classes/utils.bbclass",
        "def helper(d):\n    return d.getVar('PN') + '-x'\nUTIL = \"${@helper(d)}\"\n",
    );
    write(
        &root,
        "meta/classes/native.bbclass",
        "CLASSOVERRIDE = \"class-native\"\nDEPENDS:append = \" native-dep\"\n",
    );
    for c in 0..20 {
        let mut cls = String::new();
        for v in 0..30 {
            cls.push_str(&format!(
                "CLS{c}_VAR{v} = \"${{PN}} {v} ${{@'yes' if d.getVar('MACHINE') else 'no'}}\"\n"
            ));
        }
        cls.push_str(&format!(
            "do_configure:append() {{\n    echo class {c}\n}}\nEXTRA_OECONF += \"--with-{c}\"\n"
        ));
        write(&root, &format!("meta/classes/cls{c}.bbclass"), &cls);
    }
    for i in 0..n {
        let group = i % 25;
        let mut r = format!(
            "SUMMARY = \"recipe {i}\"\nLICENSE = \"MIT\"\nrequire common-{group}.inc\ninherit cls{} cls{} cls{}\nDEPENDS = \"pkg{} pkg{}\"\n",
            i % 20,
            (i + 7) % 20,
            (i + 13) % 20,
            (i + 1) % n,
            (i + 2) % n
        );
        if i % 3 == 0 {
            r.push_str("BBCLASSEXTEND = \"native\"\n");
        }
        if i % 50 == 0 {
            r.push_str("SKIPME = \"1\"\n");
        }
        for v in 0..20 {
            r.push_str(&format!(
                "R_VAR_{v} = \"${{PV}} {v}\"\nR_VAR_{v}:append:class-native = \" native\"\n"
            ));
        }
        write(
            &root,
            &format!("meta/recipes-g{group}/pkg{i}/pkg{i}_1.{i}.bb"),
            &r,
        );
        if i % 10 == 0 {
            write(
                &root,
                &format!("meta/recipes-g{group}/pkg{i}/pkg{i}_%.bbappend"),
                "EXTRA = \"appended\"\n",
            );
        }
    }
    for g in 0..25 {
        write(
            &root,
            &format!("meta/recipes-g{g}/pkg{g}/common-{g}.inc"),
            "HOMEPAGE = \"https://example.org\"\nSRC_URI = \"file://a.patch\"\n",
        );
        for i in 0..n {
            if i % 25 == g {
                write(
                    &root,
                    &format!("meta/recipes-g{g}/pkg{i}/common-{g}.inc"),
                    "HOMEPAGE = \"https://example.org\"\nSRC_URI = \"file://a.patch\"\n",
                );
            }
        }
    }
    root
}

fn cooker(builddir: &Path) -> Cooker {
    let mut opts = match CookerOptions::from_process() {
        Ok(o) => o,
        Err(e) => panic!("cannot read the process's options: {e}"),
    };
    opts.cwd = builddir.to_path_buf();
    match Cooker::new(&opts) {
        Ok(c) => c,
        Err(e) => panic!("cooker failed on {}: {e}", builddir.display()),
    }
}

fn bench_builddir(c: &mut Criterion, name: &str, builddir: &Path, recipe_suffix: &str) {
    let mut g = c.benchmark_group(name);
    g.sample_size(10);
    g.bench_function("cold parse (bake -p, no cache)", |b| {
        b.iter(|| {
            let ck = cooker(builddir);
            let r = ck.parse_all(None, &|_, _| {});
            assert!(r.targets() > 0);
        })
    });
    let cache = std::env::temp_dir().join(format!("bake-bench-{name}.cache"));
    let _ = std::fs::remove_file(&cache);
    cooker(builddir).parse_all(Some(&cache), &|_, _| {});
    g.bench_function("warm parse (bake -p, all cached)", |b| {
        b.iter(|| {
            let ck = cooker(builddir);
            let r = ck.parse_all(Some(&cache), &|_, _| {});
            assert_eq!(r.parsed, r.failures.len());
        })
    });
    g.bench_function("configuration + one recipe (bake -e RECIPE, warm)", |b| {
        b.iter(|| {
            let ck = cooker(builddir);
            let r = ck.parse_all(Some(&cache), &|_, _| {});
            let file = r
                .recipes
                .iter()
                .find(|i| i.file.ends_with(recipe_suffix))
                .map(|i| i.file.clone())
                .expect("invariant: the benchmark recipe exists");
            let v = ck
                .parse_file(&file, Some(""))
                .expect("invariant: recipe parses");
            assert!(!v.is_empty());
        })
    });
    g.finish();
}

fn cooker_benches(c: &mut Criterion) {
    // As `bake` does: inline Python may look at the host (clock, paths, `which`).
    bb_pyexpr::set_host(std::sync::Arc::new(bb_pyexpr::SystemHost));
    let w = world(1000);
    bench_builddir(c, "world-1000", &w.join("build"), "/pkg500_1.500.bb");
    if let Some(dir) = std::env::var_os("BAKE_BENCH_BUILDDIR") {
        let suffix =
            std::env::var("BAKE_BENCH_RECIPE").unwrap_or_else(|_| "/busybox_1.38.0.bb".to_owned());
        bench_builddir(c, "builddir", Path::new(&dir), &suffix);
    }
}

criterion_group!(benches, cooker_benches);
criterion_main!(benches);
