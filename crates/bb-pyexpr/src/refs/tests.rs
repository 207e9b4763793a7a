use super::*;

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn getvar_family_with_literal_names() {
    let r = python_refs(
        "    a = d.getVar('A')\n    localdata.getVar(\"B\", False)\n    d.appendVar('C', 'x')\n    \
         e.data.prependVar('D', 'y')\n    d.getVar(name)\n    d.getVar('E' 'F')\n",
    )
    .unwrap();
    assert_eq!(r.references, set(&["A", "B", "C", "D", "EF"]));
    assert!(r.execs.is_empty(), "{:?}", r.execs);
}

#[test]
fn flags_are_recorded_as_var_bracket_flag() {
    let r = python_refs("d.getVarFlag('do_x', 'cleandirs')\nd.getVarFlag('Y', f)\n").unwrap();
    assert_eq!(r.references, set(&["do_x[cleandirs]"]));
}

#[test]
fn contains_records_items_not_the_variable() {
    let r = python_refs(
        "    if bb.utils.contains('DISTRO_FEATURES', 'x11 wayland', 'a', 'b', d):\n        pass\n    \
         bb.utils.contains_any('MACHINE_FEATURES', 'alsa pci', 1, 0, d)\n    \
         bb.utils.filter('PACKAGECONFIG', 'gtk', d)\n    bb.utils.contains('IMAGE_FEATURES', item, 1, 0, d)\n",
    )
    .unwrap();
    assert_eq!(r.references, set(&["IMAGE_FEATURES"]));
    assert_eq!(r.contains["DISTRO_FEATURES"], set(&["x11 wayland"]));
    assert_eq!(r.contains["MACHINE_FEATURES"], set(&["alsa", "pci"]));
    assert_eq!(r.contains["PACKAGECONFIG"], set(&["gtk"]));
}

#[test]
fn execs_are_called_names_and_exec_func_targets() {
    let r = python_refs(
        "def helper(d):\n    bb.build.exec_func('do_a', d)\n    bb.build.exec_func(f, d)\n    \
         x = [other(i) for i in range(3)]\n    os.path.join('a', 'b')\n    foo().bar()\n    \
         f = lambda y=dflt(): inner(y)\n",
    )
    .unwrap();
    assert_eq!(
        r.execs,
        set(&[
            "do_a",
            "other",
            "range",
            "os.path.join",
            "foo",
            "dflt",
            "inner"
        ])
    );
}

#[test]
fn expand_literals_are_reported() {
    let r = expr_refs("d.expand('${A} ${B}')").unwrap();
    assert_eq!(r.expands, vec!["${A} ${B}".to_owned()]);
    assert!(r.references.is_empty());
}

#[test]
fn blank_body_has_no_refs() {
    assert_eq!(python_refs("\n   \n").unwrap(), PyRefs::default());
}

#[test]
fn syntax_errors_are_errors() {
    assert!(python_refs("    if x\n").is_err());
}

#[test]
fn function_bodies_may_return_at_the_top_level() {
    // BitBake parses a function body as a module with `ast.parse`, which accepts a bare
    // `return`; rejecting it would lose every reference of the body.
    let body = "    src_uri = (d.getVar('SRC_URI') or '').split()\n    if not src_uri:\n        return\n    try:\n        f = bb.fetch2.Fetch(src_uri, d)\n    except bb.fetch2.BBFetchException as e:\n        bb.fatal(\"failure: %s\" % e)\n";
    let r = python_refs(body).expect("parses");
    assert_eq!(r.references, set(&["SRC_URI"]));
}
