//! Integration tests of the datastore: metadata text evaluated through the real parser
//! and evaluator, then read back. Expected values follow BitBake's behaviour (the cases
//! marked "trap" in the semantics reference).

mod events;
mod laws;

use std::collections::HashMap;
use std::path::Path;

use bb_data::{DataStore, Evaluator, FileSource};

/// Files held in memory.
pub(crate) struct Mem(pub(crate) HashMap<String, String>);

impl FileSource for Mem {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        self.0
            .get(path.to_str().unwrap_or(""))
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }
    fn exists(&self, path: &Path) -> bool {
        let p = path.to_str().unwrap_or("");
        self.0.contains_key(p) || self.0.keys().any(|k| k.starts_with(&format!("{p}/")))
    }
    fn is_file(&self, path: &Path) -> bool {
        self.0.contains_key(path.to_str().unwrap_or(""))
    }
}

/// Evaluates `conf` as `/l/conf/bitbake.conf` (plus extra files) and finalizes.
pub(crate) fn eval_with(conf: &str, extra: &[(&str, &str)]) -> DataStore {
    let mut files: HashMap<String, String> = HashMap::new();
    files.insert("/l/conf/bitbake.conf".into(), conf.into());
    files.insert("/l/classes/base.bbclass".into(), String::new());
    for (k, v) in extra {
        files.insert((*k).into(), (*v).into());
    }
    let mem = Mem(files);
    let ev = Evaluator::new(&mem);
    let mut d = DataStore::new();
    d.set_var("BBPATH", "/l");
    ev.parse_base_config(&mut d).expect("config parses");
    ev.finalize(&mut d).expect("finalizes");
    d
}

pub(crate) fn eval(conf: &str) -> DataStore {
    eval_with(conf, &[])
}

fn get(conf: &str, var: &str) -> Option<String> {
    eval(conf).get_var(var).expect("expands")
}

fn recipe(conf: &str, bb: &str, var: &str) -> Option<String> {
    recipe_store(conf, bb).get_var(var).expect("expands")
}

fn recipe_store(conf: &str, bb: &str) -> DataStore {
    let mut files: HashMap<String, String> = HashMap::new();
    files.insert(
        "/l/classes/late.bbclass".into(),
        "SEEN = \"${CLS}\"\nCLS = \"overridden by class\"\n".into(),
    );
    files.insert("/l/conf/bitbake.conf".into(), conf.into());
    files.insert("/l/classes/base.bbclass".into(), String::new());
    files.insert("/l/r.bb".into(), bb.into());
    let mem = Mem(files);
    let ev = Evaluator::new(&mem);
    let mut d = DataStore::new();
    d.set_var("BBPATH", "/l");
    ev.parse_base_config(&mut d).expect("config parses");
    ev.parse_recipe(&d, "/l/r.bb", &[]).expect("recipe parses")
}

#[test]
fn operators_read_raw_values() {
    assert_eq!(get("A += \"a\"\n", "A").as_deref(), Some(" a"));
    assert_eq!(get("A = \"x\"\nA =+ \"p\"\n", "A").as_deref(), Some("p x"));
    assert_eq!(
        get("A = \"x\"\nA .= \"y\"\nA =. \"w\"\n", "A").as_deref(),
        Some("wxy")
    );
    assert_eq!(get("V ??= \"d\"\nV += \"e\"\n", "V").as_deref(), Some(" e"));
    assert_eq!(get("A ?= \"1\"\nA ?= \"2\"\n", "A").as_deref(), Some("1"));
    assert_eq!(get("A ??= \"1\"\nA ??= \"2\"\n", "A").as_deref(), Some("2"));
    assert_eq!(
        get("A ??= \"weak\"\nA ?= \"soft\"\n", "A").as_deref(),
        Some("soft")
    );
}

#[test]
fn file_assignment_keeps_queued_operations() {
    assert_eq!(
        get("A = \"a\"\nA:append = \"x\"\nA = \"b\"\n", "A").as_deref(),
        Some("bx")
    );
    assert_eq!(
        get("T = \"v b\"\nT:remove = \"v\"\nT = \"v b\"\n", "T").as_deref(),
        Some(" b")
    );
    assert_eq!(
        get("A:append = \"x\"\nA ?= \"d\"\n", "A").as_deref(),
        Some("dx")
    );
}

#[test]
fn mixed_example_applies_appends_in_order() {
    let c = "B = \"x\"\nB:append = \"y\"\nB:append = \"z\"\nB += \"p\"\nB .= \"q\"\n";
    assert_eq!(get(c, "B").as_deref(), Some("x pqyz"));
}

#[test]
fn immediate_sees_appends_and_they_apply_again() {
    assert_eq!(
        get("C = \"c\"\nC:append = \"+\"\nC := \"${C}x\"\n", "C").as_deref(),
        Some("c+x+")
    );
    assert_eq!(
        get("A := \"${U}x\"\nU = \"u\"\n", "A").as_deref(),
        Some("ux")
    );
}

#[test]
fn override_selection() {
    let c = "OVERRIDES = \"a:b\"\nX = \"0\"\nX:b = \"b\"\nX:a = \"a\"\n";
    assert_eq!(get(c, "X").as_deref(), Some("b"));
    let c = "OVERRIDES = \"a:b\"\nX:b = \"b\"\nX:a:b = \"ab\"\n";
    assert_eq!(get(c, "X").as_deref(), Some("ab"));
    let c = "OVERRIDES = \"a:b\"\nX:b:a = \"ba\"\nX:a:b = \"ab\"\n";
    assert_eq!(get(c, "X").as_deref(), Some("ab"));
    let c = "OVERRIDES = \"o\"\nA = \"a\"\nA:append = \"1\"\nA:o = \"ao\"\nA:o:append = \"2\"\n";
    assert_eq!(get(c, "A").as_deref(), Some("ao21"));
    let c = "OVERRIDES = \"o\"\nA = \"a\"\nA:o = \"ao\"\nA += \"x\"\n";
    assert_eq!(get(c, "A").as_deref(), Some("ao"));
    assert_eq!(
        get("OVERRIDES = \"bar\"\nTEST2:bar = \"v\"\n", "TEST2").as_deref(),
        Some("v")
    );
    assert_eq!(get("OVERRIDES = \"x\"\nTEST2:bar = \"v\"\n", "TEST2"), None);
    assert_eq!(
        get("OVERRIDES = \"Foo\"\nA = \"a\"\nA:Foo = \"f\"\n", "A").as_deref(),
        Some("a")
    );
}

/// OVERRIDES computed from inside the expansion of a variable it reads itself (oe-core:
/// TARGET_ARCH -> TUNE_ARCH, whose variants need the overrides, which read TARGET_ARCH):
/// the computation is an expansion of its own, not a recursion (BitBake's
/// `need_overrides`), so the overrides come out whole.
#[test]
fn overrides_computed_inside_an_expansion_they_read() {
    let c = "OVERRIDES = \"arch-${ARCH}:foo${EMPTY}\"\nEMPTY = \"\"\nTUNE = \"a\"\nTUNE:bar = \"b\"\nARCH = \"${TUNE}\"\nX = \"no\"\nX:arch-a = \"yes\"\n";
    let mut d = eval(c);
    // A write to a variable OVERRIDES reads drops the overrides; the next read of
    // ARCH computes them while ARCH is being expanded.
    d.set_var("EMPTY", "");
    assert_eq!(d.get_var("ARCH").expect("expands").as_deref(), Some("a"));
    assert_eq!(d.get_var("X").expect("expands").as_deref(), Some("yes"));
    // A copy keeps the overrides, and sees later writes like the original.
    let mut copy = d.clone();
    assert_eq!(copy.get_var("X").expect("expands").as_deref(), Some("yes"));
    copy.set_var("ARCH", "z");
    assert_eq!(copy.get_var("X").expect("expands").as_deref(), Some("no"));
    assert_eq!(d.get_var("X").expect("expands").as_deref(), Some("yes"));
}

#[test]
fn append_position_matters() {
    let c = "OVERRIDES = \"foo\"\nA = \"Z\"\nA:append:foo = \"X\"\n";
    assert_eq!(get(c, "A").as_deref(), Some("ZX"));
    let c = "OVERRIDES = \"foo\"\nA = \"Z\"\nA:foo:append = \"X\"\n";
    assert_eq!(get(c, "A").as_deref(), Some("X"));
    let c = "OVERRIDES = \"bar\"\nA = \"Z\"\nA:append:foo = \"X\"\n";
    assert_eq!(get(c, "A").as_deref(), Some("Z"));
}

#[test]
fn prepends_last_defined_first() {
    assert_eq!(
        get("X = \"x\"\nX:prepend = \"1\"\nX:prepend = \"2\"\n", "X").as_deref(),
        Some("21x")
    );
}

#[test]
fn removes_keep_separators() {
    assert_eq!(
        get("A = \"a b c ab a b\"\nA:remove = \"a b\"\n", "A").as_deref(),
        Some("  c ab  ")
    );
    assert_eq!(
        get("A = \" A B\"\nA:remove = \"B\"\n", "A").as_deref(),
        Some(" A ")
    );
    assert_eq!(
        get("A = \"  x  y \"\nA:remove = \"z\"\n", "A").as_deref(),
        Some("  x  y ")
    );
    assert_eq!(
        get("A = \"foobar\"\nA:remove = \"foo\"\n", "A").as_deref(),
        Some("foobar")
    );
    assert_eq!(
        get("A = \"a b\"\nA:remove = \"b\"\nA:append = \" b\"\n", "A").as_deref(),
        Some("a  ")
    );
    assert_eq!(
        get("A = \"a b\"\nA:remove = \"${R}\"\nR = \"a\"\n", "A").as_deref(),
        Some(" b")
    );
    assert_eq!(
        get("A ??= \"a b\"\nA:remove = \"a\"\n", "A").as_deref(),
        Some(" b")
    );
    assert_eq!(
        get("V ??= \"d\"\nV:append = \"e\"\n", "V").as_deref(),
        Some("de")
    );
    assert_eq!(
        get("A = \"a b\"\nA:remove = \"a\"\nB = \"${A}\"\n", "B").as_deref(),
        Some(" b")
    );
}

#[test]
fn unknown_references_stay_and_python_waits() {
    assert_eq!(get("A = \"${FOO}x\"\n", "A").as_deref(), Some("${FOO}x"));
    assert_eq!(
        get("A = \"${@d.getVar('U')}\"\n", "A").as_deref(),
        Some("None")
    );
    let c = "foo = \"f\"\nbar = \"${unsetvar}\"\nA = \"${@d.getVar('foo') + ' ${bar}'}\"\n";
    assert_eq!(
        get(c, "A").as_deref(),
        Some("${@d.getVar('foo') + ' ${unsetvar}'}")
    );
    assert_eq!(
        get("FOO = \"f\"\nA = \"${@FOO + 'x'}\"\n", "A").as_deref(),
        Some("fx")
    );
    assert_eq!(get("A = \"${@'}\"\n", "A").as_deref(), Some("${@'}"));
    assert_eq!(
        get("A = \"${foo bar} ${} I${\"\n", "A").as_deref(),
        Some("${foo bar} ${} I${")
    );
}

#[test]
fn nested_names_and_recursion() {
    let c = "foo = \"a\"\nbar = \"b\"\nvalue_of_ab = \"yes\"\nX = \"${value_of_${foo}${bar}}\"\n";
    assert_eq!(get(c, "X").as_deref(), Some("yes"));
    let d = eval("A = \"${A}\"\nB = \"${C}\"\nC = \"${B}\"\nD = \"ok\"\n");
    assert!(d.get_var("A").is_err());
    assert!(d.get_var("B").is_err());
    assert!(d.get_var("C").is_err());
    assert_eq!(d.get_var("D").expect("fine").as_deref(), Some("ok"));
}

#[test]
fn key_expansion_renames_in_sorted_order() {
    let c = "V${N} = \"new\"\nN = \"7\"\nV7 = \"old\"\n";
    assert_eq!(get(c, "V7").as_deref(), Some("new"));
    let c = "FOO = \"foo\"\nBAR = \"foo\"\nVAL_${FOO} = \"from foo\"\nVAL_${BAR} = \"from bar\"\n";
    assert_eq!(get(c, "VAL_foo").as_deref(), Some("from foo"));
    let c = "OVERRIDES = \"local\"\nLOCAL = \"local\"\nTEST = \"t\"\nTEST:${LOCAL} = \"l\"\n";
    assert_eq!(get(c, "TEST").as_deref(), Some("l"));
}

#[test]
fn flags_and_weak_flag_defaults() {
    let d = eval(
        "A[f] = \"set\"\nA[f] ?= \"q\"\nB[f] ??= \"d\"\nC[f] ??= \"weak\"\nC[f] += \"more\"\n",
    );
    assert_eq!(
        d.get_var_flag("A", "f", true).expect("ok").as_deref(),
        Some("set")
    );
    assert_eq!(
        d.get_var_flag("B", "f", true).expect("ok").as_deref(),
        Some("d")
    );
    assert_eq!(
        d.get_var_flag("C", "f", true).expect("ok").as_deref(),
        Some(" more")
    );
    assert_eq!(d.get_var("A").expect("ok"), None);
    let d = eval("A:append[f] = \"x\"\n");
    assert_eq!(d.get_var_flag("A", "f", true).expect("ok"), None);
}

#[test]
fn unset_drops_everything_including_variant_links() {
    let c = "OVERRIDES = \"o\"\nA = \"1\"\nA:o = \"ov\"\nunset A\nA = \"2\"\n";
    assert_eq!(get(c, "A").as_deref(), Some("2"));
    let d = eval("A = \"1\"\nA[fl] = \"x\"\nunset A[fl]\n");
    assert_eq!(d.get_var_flag("A", "fl", true).expect("ok"), None);
    assert_eq!(d.get_var("A").expect("ok").as_deref(), Some("1"));
}

#[test]
fn overrides_settle_through_references() {
    let c = "MACHINE = \"m\"\nOVERRIDES = \"${MACHINE}:x\"\nOVERRIDES:append = \":b\"\nA = \"0\"\nA:m = \"m\"\nA:b = \"b\"\n";
    assert_eq!(get(c, "A").as_deref(), Some("b"));
    let c = "OVERRIDES = \"${EXTRA}\"\nEXTRA = \"e\"\nEXTRA:e = \"e:f\"\nA:f = \"yes\"\n";
    assert_eq!(get(c, "A").as_deref(), Some("yes"));
}

#[test]
fn include_require_and_include_all() {
    let d = eval_with(
        "include conf/a.conf\ninclude conf/missing.conf\ninclude_all conf/some.conf\n",
        &[
            ("/l/conf/a.conf", "A = \"a\"\n"),
            ("/l/conf/some.conf", "S += \"l1\"\n"),
        ],
    );
    assert_eq!(d.get_var("A").expect("ok").as_deref(), Some("a"));
    assert_eq!(d.get_var("S").expect("ok").as_deref(), Some(" l1"));
}

#[test]
fn recipe_functions_inherit_and_anonymous_python() {
    let conf = "OVERRIDES = \"o\"\n";
    let bb = "inherit foo\nX = \"early\"\npython () {\n    d.setVar('X', 'late')\n    d.appendVar('Y', '+')\n}\nY = \"y\"\n";
    let mut files: HashMap<String, String> = HashMap::new();
    files.insert("/l/conf/bitbake.conf".into(), conf.into());
    files.insert("/l/classes/base.bbclass".into(), String::new());
    files.insert(
        "/l/classes/foo.bbclass".into(),
        "FOO = \"${FILE}\"\nfoo_do_x() {\n\techo\n}\nEXPORT_FUNCTIONS do_x\n".into(),
    );
    files.insert("/l/r.bb".into(), bb.into());
    let mem = Mem(files);
    let ev = Evaluator::new(&mem);
    let mut d = DataStore::new();
    d.set_var("BBPATH", "/l");
    ev.parse_base_config(&mut d).expect("config");
    let r = ev.parse_recipe(&d, "/l/r.bb", &[]).expect("recipe");
    assert_eq!(r.get_var("X").expect("ok").as_deref(), Some("late"));
    assert_eq!(r.get_var("Y").expect("ok").as_deref(), Some("y+"));
    assert_eq!(r.get_var("FOO").expect("ok").as_deref(), Some("/l/r.bb"));
    assert_eq!(
        r.get_var_opts("do_x", false, false).expect("ok").as_deref(),
        Some("    # Export function set\n    foo_do_x\n")
    );
    assert_eq!(
        r.get_var_opts("foo_do_x", false, false)
            .expect("ok")
            .as_deref(),
        Some("\techo\n")
    );
}

#[test]
fn deferred_inherit_sees_later_assignments() {
    let r = recipe("", "inherit_defer ${CLS}\nCLS = \"late\"\n", "CLS");
    assert_eq!(r.as_deref(), Some("overridden by class"));
}

#[test]
fn copies_are_independent() {
    let base = eval("A = \"1\"\n");
    let mut copy = base.clone();
    copy.set_var("A", "2");
    assert_eq!(base.get_var("A").expect("ok").as_deref(), Some("1"));
    assert_eq!(copy.get_var("A").expect("ok").as_deref(), Some("2"));
}

#[test]
fn host_uname_is_what_the_caller_gives() {
    let mut d = eval("A = \"${@os.uname()[4]}-${@os.uname()[0]}\"\n");
    assert!(
        d.get_var("A").is_err(),
        "without host facts os.uname() needs Python"
    );
    d.set_host_uname([
        "Linux".into(),
        "h".into(),
        "6.1".into(),
        "#1".into(),
        "x86_64".into(),
    ]);
    assert_eq!(d.get_var("A").expect("ok").as_deref(), Some("x86_64-Linux"));
}

#[test]
fn anonymous_python_adds_and_deletes_tasks() {
    let bb = "addtask a\naddtask b after do_a\npython () {\n    if d.getVar('WANT') == '1':\n        bb.build.addtask('do_c', 'do_b', 'do_a', d)\n    bb.build.deltask('do_a', d)\n}\nWANT = \"1\"\n";
    let r = recipe_store("", bb);
    assert_eq!(r.get_raw("__BB_ANON_NEEDS_PYTHON"), None);
    assert_eq!(r.get_raw("__BBTASKS").as_deref(), Some("do_b do_c"));
    assert_eq!(r.get_raw_flag("do_b", "deps").as_deref(), Some("do_c"));
    assert_eq!(r.get_raw_flag("do_c", "deps").as_deref(), Some(""));
}

/// Cached expansions are dropped exactly when something they read changes: directly,
/// through another variable, through inline Python, through a flag, through an
/// override, or through a whole-datastore read.
#[test]
fn expansion_cache_follows_what_was_read() {
    let mut d = DataStore::new();
    d.set_var("A", "${B}-${@d.getVar('C')}");
    d.set_var("B", "b1");
    d.set_var("C", "c1");
    d.set_var("UNRELATED", "x");
    assert_eq!(d.get_var("A").ok().flatten().as_deref(), Some("b1-c1"));
    d.set_var("UNRELATED", "y");
    assert_eq!(d.get_var("A").ok().flatten().as_deref(), Some("b1-c1"));
    d.set_var("B", "b2");
    assert_eq!(d.get_var("A").ok().flatten().as_deref(), Some("b2-c1"));
    d.set_var("C", "c2");
    assert_eq!(d.get_var("A").ok().flatten().as_deref(), Some("b2-c2"));
    // Through an intermediate variable that is itself cached.
    d.set_var("OUTER", "<${A}>");
    assert_eq!(
        d.get_var("OUTER").ok().flatten().as_deref(),
        Some("<b2-c2>")
    );
    d.set_var("C", "c3");
    assert_eq!(
        d.get_var("OUTER").ok().flatten().as_deref(),
        Some("<b2-c3>")
    );
    // Appends and conditional variants of something read.
    d.set_var("B:append", "+");
    assert_eq!(
        d.get_var("OUTER").ok().flatten().as_deref(),
        Some("<b2+-c3>")
    );
    d.set_var("OVERRIDES", "foo");
    d.set_var("B:foo", "bf");
    assert_eq!(
        d.get_var("OUTER").ok().flatten().as_deref(),
        Some("<bf+-c3>")
    );
    // A flag read from inline Python.
    d.set_var("F", "${@d.getVarFlag('G', 'doc')}");
    d.set_var_flag("G", "doc", "one");
    assert_eq!(d.get_var("F").ok().flatten().as_deref(), Some("one"));
    d.set_var_flag("G", "doc", "two");
    assert_eq!(d.get_var("F").ok().flatten().as_deref(), Some("two"));
    // A read of the datastore as a whole.
    d.set_var("K", "${@len([k for k in d.keys() if k.startswith('ZZ')])}");
    assert_eq!(d.get_var("K").ok().flatten().as_deref(), Some("0"));
    d.set_var("ZZ1", "1");
    assert_eq!(d.get_var("K").ok().flatten().as_deref(), Some("1"));
}
