//! Event handlers: which events are fired, in which order, to which handlers, and what
//! their outcomes do to the datastore.

use std::collections::HashMap;

use bb_data::{DataStore, Evaluator};

use crate::Mem;

const CFG_HANDLER: &str = "addhandler cfg_handler
python cfg_handler() {
    d.appendVar('LOG', ' cfg:' + bb.event.getName(e))
    if isinstance(e, bb.event.RecipePreDeferredInherits):
        d.setVar('INH', ','.join(e.inherits))
    if isinstance(e, bb.event.RecipeTaskPreProcess):
        d.setVar('TASKS', ' '.join(e.tasklist))
    if isinstance(e, bb.event.RecipeEvent) and not isinstance(e, bb.event.ConfigParsed):
        d.setVar('FN', e.fn)
}\n";

/// Parses `conf` with `base` as base.bbclass, then `bb` as `/l/r.bb`.
fn parse(base: &str, bb: &str, extra: &[(&str, &str)]) -> (DataStore, DataStore) {
    let mut files: HashMap<String, String> = HashMap::new();
    files.insert("/l/conf/bitbake.conf".into(), "LOG = \"\"\n".into());
    files.insert("/l/classes/base.bbclass".into(), base.into());
    files.insert("/l/r.bb".into(), bb.into());
    for (k, v) in extra {
        files.insert((*k).into(), (*v).into());
    }
    let mem = Mem(files);
    let ev = Evaluator::new(&mem);
    let mut d = DataStore::new();
    d.set_var("BBPATH", "/l");
    ev.parse_base_config(&mut d).expect("config parses");
    let r = ev.parse_recipe(&d, "/l/r.bb", &[]).expect("recipe parses");
    (d, r)
}

fn var(d: &DataStore, name: &str) -> Option<String> {
    d.get_var(name).expect("expands")
}

#[test]
fn events_fire_in_bitbake_order_to_registered_handlers() {
    let bb = "inherit_defer later
addhandler r_handler
r_handler[eventmask] = \"bb.event.RecipePreFinalise bb.event.RecipeParsed\"
python r_handler() {
    d.appendVar('LOG', ' r:' + bb.event.getName(e))
}
do_build() {
\t:
}
addtask build\n";
    let extra = [("/l/classes/later.bbclass", "LATER = \"1\"\n")];
    let (cfg, r) = parse(CFG_HANDLER, bb, &extra);
    assert_eq!(
        var(&cfg, "LOG").as_deref(),
        Some(" cfg:ConfigParsed"),
        "{:?}",
        cfg.needs_python()
    );
    assert_eq!(
        var(&r, "LOG").as_deref(),
        Some(
            " cfg:ConfigParsed cfg:RecipePreDeferredInherits cfg:RecipePreFinalise \
             r:RecipePreFinalise cfg:RecipePostKeyExpansion cfg:RecipeTaskPreProcess \
             cfg:RecipeParsed r:RecipeParsed"
        )
    );
    assert_eq!(var(&r, "INH").as_deref(), Some("later"));
    assert_eq!(var(&r, "TASKS").as_deref(), Some("do_build"));
    assert_eq!(var(&r, "FN").as_deref(), Some("/l/r.bb"));
    assert_eq!(var(&r, "LATER").as_deref(), Some("1"));
}

#[test]
fn no_deferred_inherits_is_one_empty_name() {
    let (_, r) = parse(CFG_HANDLER, "A = \"1\"\n", &[]);
    assert_eq!(var(&r, "INH").as_deref(), Some(""));
}

#[test]
fn mask_names_exact_classes() {
    // A handler for RecipeEvent does not see its subclasses: BitBake matches the mask
    // against the fired class's own name.
    let base = "addhandler h\nh[eventmask] = \"bb.event.RecipeEvent bb.event.ConfigParsed\"
python h() {\n    d.appendVar('LOG', ' ' + bb.event.getName(e))\n}\n";
    let (_, r) = parse(base, "A = \"1\"\n", &[]);
    assert_eq!(var(&r, "LOG").as_deref(), Some(" ConfigParsed"));
}

#[test]
fn skip_recipe_from_a_handler_skips_the_recipe() {
    let bb = "addhandler s\ns[eventmask] = \"bb.event.RecipeParsed\"
python s() {\n    raise bb.parse.SkipRecipe('not wanted')\n}\n";
    let (_, r) = parse("", bb, &[]);
    assert_eq!(var(&r, "__SKIPPED").as_deref(), Some("not wanted"));
}

#[test]
fn handler_needing_python_is_recorded_and_has_no_effect() {
    let base = "addhandler np\nnp[eventmask] = \"bb.event.RecipePreFinalise\"
python np() {\n    d.setVar('HALF', 'done')\n    import subprocess\n    subprocess.run(['true'])\n}\n";
    let (_, r) = parse(base, "A = \"1\"\n", &[]);
    assert_eq!(var(&r, "HALF"), None);
    assert!(
        r.needs_python().iter().any(|n| n.contains("`np`")),
        "{:?}",
        r.needs_python()
    );
}

#[test]
fn configuration_handler_changes_persist() {
    let base = "addhandler c\nc[eventmask] = \"bb.event.ConfigParsed\"
python c() {\n    d.setVar('FROM_CONFIG', 'yes')\n}\n";
    let (cfg, r) = parse(base, "A = \"${FROM_CONFIG}\"\n", &[]);
    assert_eq!(var(&cfg, "FROM_CONFIG").as_deref(), Some("yes"));
    assert_eq!(var(&r, "A").as_deref(), Some("yes"));
}

#[test]
fn undefined_handler_fails() {
    let mut files: HashMap<String, String> = HashMap::new();
    files.insert("/l/conf/bitbake.conf".into(), String::new());
    files.insert(
        "/l/classes/base.bbclass".into(),
        "addhandler missing\n".into(),
    );
    let mem = Mem(files);
    let ev = Evaluator::new(&mem);
    let mut d = DataStore::new();
    d.set_var("BBPATH", "/l");
    let e = ev.parse_base_config(&mut d).expect_err("undefined handler");
    assert!(
        e.to_string()
            .contains("Undefined event handler function 'missing'"),
        "{e}"
    );
}

#[test]
fn var_filters_apply_to_expanded_reads() {
    let base = r#"addhandler nf
nf[eventmask] = "bb.event.RecipePreFinalise"
python nf() {
    d.setVarFilter("DEPENDS", "native_filter(val, 'foo-native', 'foo', selfref=False)")
    d.setVarFilter("RDEPENDS", "native_filter(val, 'foo-native', 'foo')")
    d.setVarFilter("EMPTY", "native_filter(val, 'foo-native', 'foo')")
}
"#;
    let bb = "DEPENDS = \"zlib foo-native gcc-cross-x86_64 ${EXTRA}\"\nEXTRA = \"quilt-native\"\n\
DEPENDS:append = \" bar\"\nRDEPENDS:foo-native = \"foo-native libx (>= 1.0)\"\n\
ALL = \"${DEPENDS}\"\nEMPTY = \"\"\n";
    let (_, r) = parse(base, bb, &[]);
    // Finalization writes the filtered DEPENDS back (handleVirtRecipeProviders) and reads
    // filter it again, as in BitBake: `-cross-` names are mapped twice.
    assert_eq!(
        var(&r, "DEPENDS").as_deref(),
        Some("zlib-native gcc-native-x86_64-native quilt-native bar-native")
    );
    assert_eq!(var(&r, "ALL"), var(&r, "DEPENDS"));
    assert_eq!(
        var(&r, "RDEPENDS:foo-native").as_deref(),
        Some("foo-native libx-native")
    );
    assert_eq!(var(&r, "EMPTY").as_deref(), Some(""));
    // Unexpanded reads are not filtered.
    assert_eq!(
        r.get_var_opts("EXTRA", false, false)
            .expect("reads")
            .as_deref(),
        Some("quilt-native")
    );
}

#[test]
fn class_extender_maps_names_through_filters() {
    let bb = r#"PN = "nativesdk-foo"
PACKAGES = "foo-dev nativesdk-foo"
DEPENDS = "virtual/cross-cc zlib nativesdk-bar gcc-crosssdk-x86 libfoo-nativesdk"
PROVIDES = "virtual/libiconv"
RDEPENDS:foo-dev = "libz"
python () {
    import oe.classextend
    c = oe.classextend.ClassExtender("nativesdk", [], d)
    c.rename_package_variables(["RDEPENDS"])
    c.set_filter("DEPENDS", deps=True)
    c.set_filter("PROVIDES", deps=False)
}
"#;
    let (_, r) = parse("", bb, &[]);
    assert!(r.needs_python().is_empty(), "{:?}", r.needs_python());
    assert_eq!(
        var(&r, "DEPENDS").as_deref(),
        Some(
            "gcc-crosssdk-x86 nativesdk-bar nativesdk-libfoo nativesdk-zlib virtual/nativesdk-cross-cc"
        )
    );
    assert_eq!(
        var(&r, "PROVIDES").as_deref(),
        Some("virtual/nativesdk-libiconv")
    );
    assert_eq!(
        var(&r, "PACKAGES").as_deref(),
        Some("nativesdk-foo-dev nativesdk-foo")
    );
    assert_eq!(
        var(&r, "RDEPENDS:nativesdk-foo-dev").as_deref(),
        Some("libz")
    );
}
