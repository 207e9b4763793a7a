//! Integration tests of the cooker on small build directories made in temporary
//! directories: recipe discovery, variants, skips, broken recipes, and the parse
//! cache (reuse, invalidation by every kind of input, damaged cache files).
#![expect(
    clippy::disallowed_methods,
    reason = "test inputs are written directly"
)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use bb_cooker::{Cooker, CookerOptions, ParseResult};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A build directory with one layer, written fresh for each test.
struct World {
    root: PathBuf,
}

impl World {
    fn new() -> World {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let root = std::env::temp_dir().join(format!("bake-cooker-it-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let w = World { root };
        w.write(
            "build/conf/bblayers.conf",
            "# layers\nBBPATH = \"${TOPDIR}\"\nBBFILES ?= \"\"\nBBLAYERS ?= \" \\\n  ${TOPDIR}/../meta-a \\\n  \"\n",
        );
        w.write("build/conf/local.conf", "MACHINE = \"qemu\"\n");
        w.write(
            "meta-a/conf/layer.conf",
            "BBPATH .= \":${LAYERDIR}\"\nBBFILES += \"${LAYERDIR}/recipes/*/*.bb ${LAYERDIR}/recipes/*/*.bbappend\"\nBBFILE_COLLECTIONS += \"a\"\nBBFILE_PATTERN_a = \"^${LAYERDIR}/\"\nBBFILE_PRIORITY_a = \"6\"\nLAYERSERIES_CORENAMES = \"walnut\"\nLAYERSERIES_COMPAT_a = \"walnut\"\n",
        );
        w.write(
            "meta-a/conf/bitbake.conf",
            "PN = \"${@bb.parse.vars_from_file(d.getVar('FILE', False),d)[0] or 'defaultpkgname'}\"\nPV = \"${@bb.parse.vars_from_file(d.getVar('FILE', False),d)[1] or '1.0'}\"\nPR = \"${@bb.parse.vars_from_file(d.getVar('FILE', False),d)[2] or 'r0'}\"\nCLASSOVERRIDE ?= \"class-target\"\nOVERRIDES = \"${CLASSOVERRIDE}:pn-${PN}\"\ninclude conf/local.conf\ninclude conf/site.conf\n",
        );
        w.write(
            "meta-a/classes/base.bbclass",
            "do_build() {\n    :\n}\naddtask build\npython () {\n    if d.getVar('SKIPME') == '1':\n        raise bb.parse.SkipRecipe('asked to')\n}\n",
        );
        w.write(
            "meta-a/classes/native.bbclass",
            "CLASSOVERRIDE = \"class-native\"\n",
        );
        w.write("meta-a/classes/tool.bbclass", "TOOL = \"1\"\n");
        w.write(
            "meta-a/recipes/alpha/alpha_1.0.bb",
            "require alpha.inc\nBBCLASSEXTEND = \"native\"\n",
        );
        w.write(
            "meta-a/recipes/alpha/alpha.inc",
            "DESCRIPTION = \"alpha\"\n",
        );
        w.write(
            "meta-a/recipes/beta/beta_2.1.bb",
            "inherit tool\nDEPENDS = \"alpha\"\n",
        );
        w.write("meta-a/recipes/gamma/gamma_git.bb", "SKIPME = \"1\"\n");
        w.write("meta-a/recipes/delta/delta.bb", "include delta-extra.inc\n");
        w.write("meta-a/recipes/beta/beta_%.bbappend", "EXTRA = \"yes\"\n");
        w
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.root.join(rel);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).expect("invariant: temp dir is writable");
        }
        std::fs::write(&p, text).expect("invariant: temp dir is writable");
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn cooker(&self) -> Cooker {
        let opts = CookerOptions {
            cwd: self.root.join("build"),
            env: vec![("PATH".to_owned(), "/usr/bin:/bin".to_owned())],
            cmdline: Vec::new(),
            host_uname: None,
        };
        match Cooker::new(&opts) {
            Ok(c) => c,
            Err(e) => panic!("cooker failed: {e}"),
        }
    }

    fn parse(&self) -> ParseResult {
        let c = self.cooker();
        let cache = c.cache_file();
        c.parse_all(cache.as_deref(), &|_, _| {})
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn pv_of(res: &ParseResult, fn_suffix: &str) -> String {
    res.recipes
        .iter()
        .find(|r| r.fn_name.ends_with(fn_suffix))
        .map(|r| r.pv.clone())
        .unwrap_or_default()
}

#[test]
fn parses_targets_variants_and_skips() {
    let w = World::new();
    let res = w.parse();
    assert!(res.failures.is_empty(), "{:?}", res.failures);
    assert_eq!(res.total, 4);
    // alpha, alpha-native, beta, gamma (skipped), delta
    assert_eq!(res.targets(), 5, "{:#?}", res.recipes);
    assert_eq!(res.skipped(), 1);
    let native = res
        .recipes
        .iter()
        .find(|r| r.variant == "native")
        .expect("invariant: alpha has a native variant");
    assert_eq!(native.pn, "alpha-native");
    assert!(native.fn_name.starts_with("virtual:native:/"));
    let gamma = res
        .recipes
        .iter()
        .find(|r| r.pn == "gamma")
        .expect("invariant: gamma parsed");
    assert_eq!(gamma.skipped.as_deref(), Some("asked to"));
    assert_eq!(gamma.pv, "git");
    let beta = res
        .recipes
        .iter()
        .find(|r| r.pn == "beta")
        .expect("invariant: beta parsed");
    assert_eq!(beta.depends, ["alpha"]);
    assert_eq!(beta.priority, 6);
    assert_eq!(beta.collection, "a");
    assert_eq!(pv_of(&res, "delta.bb"), "1.0");
    assert!(res.summary_line().starts_with("Parsing of 4 .bb files complete (0 cached, 4 parsed). 5 targets, 1 skipped, 0 masked, 0 errors."));
}

#[test]
fn warm_cache_reuses_everything() {
    let w = World::new();
    let first = w.parse();
    let second = w.parse();
    assert_eq!(second.cached, 4, "{}", second.summary_line());
    assert_eq!(second.parsed, 0);
    assert_eq!(first.recipes, second.recipes);
}

#[test]
fn cache_invalidated_by_each_input() {
    let w = World::new();
    w.parse();
    // An include read by one recipe.
    w.write(
        "meta-a/recipes/alpha/alpha.inc",
        "DESCRIPTION = \"changed\"\nPV = \"9.9\"\n",
    );
    let r = w.parse();
    assert_eq!((r.cached, r.parsed), (3, 1), "{}", r.summary_line());
    assert_eq!(pv_of(&r, "alpha_1.0.bb"), "9.9");
    // A class read by one recipe.
    w.write("meta-a/classes/tool.bbclass", "TOOL = \"2\"\n");
    let r = w.parse();
    assert_eq!((r.cached, r.parsed), (3, 1), "{}", r.summary_line());
    // A file that did not exist but was looked for (include of a missing file).
    w.write("meta-a/recipes/delta/delta-extra.inc", "PV = \"3.0\"\n");
    let r = w.parse();
    assert_eq!((r.cached, r.parsed), (3, 1), "{}", r.summary_line());
    assert_eq!(pv_of(&r, "delta.bb"), "3.0");
    // An append.
    w.write("meta-a/recipes/beta/beta_%.bbappend", "PV = \"7\"\n");
    let r = w.parse();
    assert_eq!((r.cached, r.parsed), (3, 1), "{}", r.summary_line());
    assert_eq!(pv_of(&r, "beta_2.1.bb"), "7");
    // A new append applying to a recipe.
    w.write("meta-a/recipes/alpha/alpha_1.0.bbappend", "PV = \"8\"\n");
    let r = w.parse();
    assert_eq!((r.cached, r.parsed), (3, 1), "{}", r.summary_line());
    assert_eq!(pv_of(&r, "alpha_1.0.bb"), "8");
    // Configuration: everything is parsed again.
    w.write("build/conf/local.conf", "MACHINE = \"other\"\n");
    let r = w.parse();
    assert_eq!((r.cached, r.parsed), (0, 4), "{}", r.summary_line());
    // A configuration file that did not exist before (conf/site.conf is included).
    w.parse();
    w.write("build/conf/site.conf", "SITE = \"1\"\n");
    let r = w.parse();
    assert_eq!((r.cached, r.parsed), (0, 4), "{}", r.summary_line());
    // A new recipe: parsed, the others cached.
    w.write("meta-a/recipes/eps/eps_1.bb", "");
    let r = w.parse();
    assert_eq!((r.cached, r.parsed), (4, 1), "{}", r.summary_line());
}

/// Sets the modification time of `path`.
fn set_mtime(path: &Path, t: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(t))
        .expect("invariant: temp file is writable");
}

fn mtime(path: &Path) -> std::time::SystemTime {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .expect("invariant: temp file exists")
}

#[test]
fn recipe_changes_are_seen_whatever_their_mtime() {
    let w = World::new();
    // Files older than the cache's settling time: their `stat` is kept and trusted.
    std::thread::sleep(std::time::Duration::from_millis(3200));
    w.parse();
    let r = w.parse();
    assert_eq!((r.cached, r.parsed), (4, 0), "{}", r.summary_line());
    // New content of the same size, the old mtime put back: parsed again.
    let inc = w.path("meta-a/recipes/alpha/alpha.inc");
    let old = mtime(&inc);
    w.write(
        "meta-a/recipes/alpha/alpha.inc",
        "DESCRIPTION = \"ALPHA\"\n",
    );
    set_mtime(&inc, old);
    assert_eq!(mtime(&inc), old);
    let r = w.parse();
    assert_eq!((r.cached, r.parsed), (3, 1), "{}", r.summary_line());
    let alpha = r
        .recipes
        .iter()
        .find(|r| r.fn_name.ends_with("alpha_1.0.bb") && r.variant.is_empty())
        .expect("alpha parsed");
    assert_eq!(alpha.about.description, "ALPHA");
    // A new mtime on the same content (and on a file just written, hashed again): the
    // entries are reused.
    let beta = w.path("meta-a/recipes/beta/beta_2.1.bb");
    set_mtime(&beta, mtime(&beta) - std::time::Duration::from_secs(3600));
    let r = w.parse();
    assert_eq!((r.cached, r.parsed), (4, 0), "{}", r.summary_line());
    let r = w.parse();
    assert_eq!((r.cached, r.parsed), (4, 0), "{}", r.summary_line());
}

#[test]
fn damaged_cache_is_rebuilt_not_trusted() {
    let w = World::new();
    let good = w.parse();
    let cache = w
        .cooker()
        .cache_file()
        .expect("invariant: cache location known");
    let bytes = std::fs::read(&cache).expect("invariant: cache written");
    // Truncated.
    std::fs::write(&cache, &bytes[..bytes.len() / 2]).expect("invariant: writable");
    let r = w.parse();
    assert_eq!(r.cached, 0);
    assert!(
        r.warnings.iter().any(|m| m.contains("damaged")),
        "{:?}",
        r.warnings
    );
    assert_eq!(r.recipes, good.recipes);
    // One byte flipped in the body.
    let mut bytes = std::fs::read(&cache).expect("invariant: cache rewritten");
    let last = bytes.len() - 10;
    bytes[last] ^= 0x20;
    std::fs::write(&cache, &bytes).expect("invariant: writable");
    let r = w.parse();
    assert_eq!(r.cached, 0);
    assert_eq!(r.recipes, good.recipes);
    // Garbage.
    std::fs::write(&cache, b"\x00\x01garbage").expect("invariant: writable");
    let r = w.parse();
    assert_eq!(r.cached, 0);
    assert_eq!(r.recipes, good.recipes);
    // And it is whole again afterwards.
    let r = w.parse();
    assert_eq!(r.cached, 4);
}

#[test]
fn broken_recipe_fails_alone() {
    let w = World::new();
    w.write(
        "meta-a/recipes/bad/bad_1.0.bb",
        "A = \"1\"\nthis is not bitbake\n",
    );
    let r = w.parse();
    assert_eq!(r.failures.len(), 1);
    let f = &r.failures[0];
    assert!(f.file.ends_with("bad_1.0.bb"));
    assert!(f.message.contains("bad_1.0.bb:2"), "{}", f.message);
    assert_eq!(r.targets(), 5);
    assert!(r.summary_line().ends_with("1 errors."));
}

#[test]
fn appends_match_with_wildcards_and_dangling_ones_are_found() {
    let w = World::new();
    w.write("meta-a/recipes/zeta/zeta_1.%.bbappend", "");
    w.write("meta-a/recipes/alpha/alpha_1.%.bbappend", "");
    let c = w.cooker();
    let alpha = c
        .collected
        .recipes
        .iter()
        .find(|r| r.ends_with("alpha_1.0.bb"))
        .expect("invariant: alpha found");
    assert_eq!(c.collected.appends_for(alpha).len(), 1);
    let dangling = c.dangling_appends();
    assert_eq!(dangling.len(), 1);
    assert!(dangling[0].ends_with("zeta_1.%.bbappend"));
}

#[test]
fn bbmask_and_missing_layer() {
    let w = World::new();
    w.write(
        "build/conf/local.conf",
        "BBMASK = \"meta-a/recipes/gamma/ /delta\\.bb$\"\n",
    );
    let r = w.parse();
    assert_eq!(r.masked, 2);
    assert_eq!(r.total, 2);
    w.write(
        "build/conf/bblayers.conf",
        "BBPATH = \"${TOPDIR}\"\nBBLAYERS = \"${TOPDIR}/../meta-a ${TOPDIR}/../nope\"\n",
    );
    let opts = CookerOptions {
        cwd: w.path("build"),
        env: Vec::new(),
        cmdline: Vec::new(),
        host_uname: None,
    };
    let err = Cooker::new(&opts)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("The following layer directories do not exist:"),
        "{err}"
    );
    assert!(err.contains("nope"), "{err}");
    let _ = Path::new("");
}

/// Without an embedded interpreter, Python the native evaluator cannot run is never
/// dropped in silence: each function is an error naming file, line and construct.
#[test]
fn python_without_an_interpreter_is_reported_as_errors() {
    let w = World::new();
    w.write(
        "meta-a/recipes/alpha/alpha_1.0.bb",
        "python () {\n    import json\n    d.setVar('X', json.dumps([1]))\n}\nA = \"1\"\n",
    );
    let r = w.parse();
    assert!(r.failures.is_empty(), "{:?}", r.failures);
    let alpha: Vec<&String> = r
        .dropped_python
        .iter()
        .filter(|e| e.contains("alpha_1.0.bb"))
        .collect();
    assert_eq!(alpha.len(), 1, "{:?}", r.dropped_python);
    assert!(alpha[0].contains("alpha_1.0.bb:1"), "{}", alpha[0]);
    assert!(alpha[0].contains("json.dumps"), "{}", alpha[0]);
    assert_eq!(r.errors(), r.dropped_python.len());
    assert!(
        r.summary_line()
            .ends_with(&format!("{} errors.", r.errors()))
    );
    assert!(r.errors() > 0);
}
