//! Dependency discovery, base hashes and sig data on small recipes.

use std::collections::BTreeSet;

use bb_siggen::{SigData, build_dependencies, compare, task_basehashes};

use crate::recipe;

const BASE: &str = "\
CFLAGS = \"-O2 ${EXTRA}\"
EXTRA = \"-g\"
UNRELATED = \"u\"
IGNORED = \"i\"
SKIPPED = \"s\"
helper() {
\techo ${HELPER_OPT}
}
HELPER_OPT = \"h\"
do_compile() {
\thelper
\tcc ${CFLAGS} ${IGNORED} ${SKIPPED} -o x x.c
}
do_compile[vardepsexclude] = \"SKIPPED\"
addtask compile
";

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn a_task_depends_on_what_it_references_transitively() {
    let d = recipe(BASE);
    let sigs = task_basehashes(&d, &[]).unwrap();
    let sig = &sigs["do_compile"];
    assert_eq!(
        sig.taskdeps,
        set(&["CFLAGS", "EXTRA", "HELPER_OPT", "helper"])
    );
    assert_eq!(sig.gendeps["CFLAGS"], set(&["EXTRA"]));
    assert_eq!(sig.gendeps["helper"], set(&["HELPER_OPT"]));
    assert_eq!(sig.varvals["EXTRA"].as_deref(), Some("-g"));
}

#[test]
fn vardepsexclude_and_ignored_vars_are_removed() {
    let d = recipe(BASE);
    let deps = build_dependencies(&d, "do_compile").unwrap();
    assert!(!deps.deps.contains("SKIPPED"));
    assert!(!deps.deps.contains("IGNORED"));
    assert!(deps.deps.contains("CFLAGS"));
}

#[test]
fn vardepvalue_replaces_the_value_and_its_references() {
    let d = recipe(&format!(
        "{BASE}\nEXTRA = \"${{DATE}}\"\nDATE = \"today\"\nEXTRA[vardepvalue] = \"fixed\"\n"
    ));
    let deps = build_dependencies(&d, "EXTRA").unwrap();
    assert_eq!(deps.value.as_deref(), Some("fixed"));
    assert!(deps.deps.is_empty(), "{:?}", deps.deps);
}

#[test]
fn only_referenced_variables_change_the_basehash() {
    let a = task_basehashes(&recipe(BASE), &[]).unwrap();
    let unrelated = task_basehashes(&recipe(&format!("{BASE}UNRELATED = \"v\"\n")), &[]).unwrap();
    let ignored = task_basehashes(&recipe(&format!("{BASE}IGNORED = \"v\"\n")), &[]).unwrap();
    let referenced = task_basehashes(&recipe(&format!("{BASE}EXTRA = \"-g3\"\n")), &[]).unwrap();
    assert_eq!(a["do_compile"].basehash, unrelated["do_compile"].basehash);
    assert_eq!(a["do_compile"].basehash, ignored["do_compile"].basehash);
    assert_ne!(a["do_compile"].basehash, referenced["do_compile"].basehash);
}

#[test]
fn contains_checks_record_only_the_item() {
    let text = "\
FEATURES = \"x11 ipv6\"
python do_configure() {
    if bb.utils.contains('FEATURES', 'x11', True, False, d):
        bb.note('x11')
}
addtask configure
";
    let d = recipe(text);
    let sig = &task_basehashes(&d, &[]).unwrap()["do_configure"];
    assert!(!sig.taskdeps.contains("FEATURES"));
    assert!(
        sig.varvals["do_configure"]
            .as_deref()
            .unwrap()
            .ends_with("\nFEATURES{x11} = Set")
    );
    assert_eq!(sig.contains["FEATURES"], set(&["x11"]));
    // Another feature changes nothing; dropping x11 changes the hash.
    let other = recipe(&text.replace("x11 ipv6", "x11 wayland"));
    let dropped = recipe(&text.replace("x11 ipv6", "ipv6"));
    let h = |d| {
        task_basehashes(d, &[]).unwrap()["do_configure"]
            .basehash
            .clone()
    };
    assert_eq!(sig.basehash, h(&other));
    assert_ne!(sig.basehash, h(&dropped));
}

#[test]
fn compare_explains_a_changed_value() {
    let a = SigData::from_task(&task_basehashes(&recipe(BASE), &[]).unwrap()["do_compile"]);
    let b = SigData::from_task(
        &task_basehashes(&recipe(&format!("{BASE}EXTRA = \"-g3\"\n")), &[]).unwrap()["do_compile"],
    );
    let why = compare(&a, &b);
    assert_eq!(why.len(), 2, "{why:#?}");
    assert_eq!(
        why[0],
        format!("basehash changed from {} to {}", a.basehash, b.basehash)
    );
    assert_eq!(why[1], "Variable EXTRA value changed from '-g' to '-g3'");
}

#[test]
fn compare_explains_dependency_and_task_hash_changes() {
    let a_sig = &task_basehashes(&recipe(BASE), &[]).unwrap()["do_compile"];
    let text = BASE.replace("\thelper\n", "\thelper\n\techo ${NEWVAR}\n");
    let b_sig =
        &task_basehashes(&recipe(&format!("{text}NEWVAR = \"n\"\n")), &[]).unwrap()["do_compile"];
    let mut a = SigData::from_task(a_sig);
    let mut b = SigData::from_task(b_sig);
    a.set_runtime(
        &[("libhello:do_install", "h1")],
        &[("/s/./f.patch".into(), "c1".into())],
        None,
    );
    b.set_runtime(
        &[("libhello:do_install", "h2")],
        &[("/s/./f.patch".into(), "c2".into())],
        None,
    );
    let why = compare(&a, &b);
    assert!(
        why[0].starts_with(
            "Task dependencies changed from:\n['CFLAGS', 'EXTRA', 'HELPER_OPT', 'helper']\nto:\n"
        ),
        "{why:#?}"
    );
    // As in BitBake's files, `gendeps` has no entry for the task itself: the change of
    // its own dependencies shows in `Task dependencies` only.
    assert!(
        !why.iter()
            .any(|l| l.starts_with("List of dependencies for variable do_compile")),
        "{why:#?}"
    );
    assert!(why.contains(&"Dependency on variable NEWVAR was added".to_owned()));
    assert!(
        why.iter()
            .any(|l| l.starts_with("Variable do_compile value changed:\n"))
    );
    assert!(why.contains(&"Checksum for file ./f.patch changed from c1 to c2".to_owned()));
    assert!(why.contains(
        &"Hash for task dependency libhello:do_install changed from h1 to h2".to_owned()
    ));
    assert!(compare(&a, &a).is_empty());
}

#[test]
fn sigdata_round_trips_through_a_file_and_dumps() {
    let sig = &task_basehashes(&recipe(BASE), &[]).unwrap()["do_compile"];
    let mut data = SigData::from_task(sig);
    data.set_runtime(&[("r:do_fetch", "abc")], &[], Some("nostamp:1234"));
    let dir = std::env::temp_dir().join(format!("bb-siggen-it-{}", std::process::id()));
    fs_err::create_dir_all(&dir).unwrap();
    let path = dir.join("r.do_compile.sigdata");
    bb_siggen::write_sigdata(&path, &data).unwrap();
    let back = bb_siggen::read_sigdata(&path).unwrap();
    fs_err::remove_dir_all(&dir).unwrap();
    assert_eq!(back, data);
    let text = bb_siggen::dump(&back);
    assert!(text.contains("Task dependencies: ['CFLAGS', 'EXTRA', 'HELPER_OPT', 'helper']\n"));
    assert!(text.contains(&format!(
        "Computed base hash is {0} and from file {0}\n",
        data.basehash
    )));
    assert!(text.contains("Tainted (by forced/invalidated task): nostamp(uuid4):1234\n"));
    assert_eq!(data.computed_taskhash(), data.taskhash);
}
