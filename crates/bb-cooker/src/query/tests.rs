//! Tests of the `bitbake-layers` reports: small helpers, and every report run on the
//! `testdata/cooker/layers` case and compared with what real `bitbake-layers` printed there
//! (`expected/NN.txt`, without the status and warning lines).

use std::path::{Path, PathBuf};

use super::*;
use crate::{Cooker, CookerOptions};

#[test]
fn path_helpers_match_python() {
    assert_eq!(dirname("/a/b/conf/layer.conf"), "/a/b/conf");
    assert_eq!(dirname(dirname("/a/b/conf/layer.conf")), "/a/b");
    assert_eq!(dirname("/a"), "/");
    assert_eq!(dirname("a"), "");
    assert_eq!(layer_name("/x/meta-foo/"), "meta-foo");
    assert_eq!(real_fn("virtual:native:/x/a.bb"), ("/x/a.bb", "native"));
    assert_eq!(
        real_fn("virtual:multilib:lib32:/x/a.bb"),
        ("/x/a.bb", "multilib:lib32")
    );
    assert_eq!(real_fn("/x/a.bb"), ("/x/a.bb", ""));
}

#[test]
fn versions_print_pe_not_pr() {
    let v: Version = (Some("1".into()), "2.0".into(), Some("r3".into()));
    assert_eq!(version_str(&v), "1:2.0");
    let v: Version = (Some(String::new()), "2.0".into(), Some("r0".into()));
    assert_eq!(version_str(&v), "2.0");
    let v: Version = (None, "unknown".into(), None);
    assert_eq!(version_str(&v), "unknown");
}

fn case_dir(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/cooker")
        .join(case)
}

/// A cooker on a case's build directory, with a bare environment.
fn cooker(case: &str) -> Cooker {
    let opts = CookerOptions {
        cwd: case_dir(case).join("build"),
        env: vec![("HOME".into(), "/root".into())],
        cmdline: vec!["bitbake-layers".into()],
        host_uname: None,
    };
    // invariant: the testdata case is a valid build directory
    Cooker::new(&opts).unwrap_or_else(|e| panic!("cooker for {case}: {e}"))
}

/// The report lines of `expected/NN.txt`: no exit line, no status or warning lines, paths
/// as `@CASE@`, runs of blanks as one.
fn expected(case: &str, n: u32) -> String {
    let p = case_dir(case).join(format!("expected/{n:02}.txt"));
    // invariant: the testdata files exist
    let text = fs_err::read_to_string(p).unwrap();
    let mut out = String::new();
    for line in text.lines().skip(1) {
        if line.starts_with("NOTE:")
            || line.starts_with("WARNING:")
            || line.starts_with("Loading cache")
            || line.starts_with("Loaded ")
            || line.starts_with("Parsing recipes")
            || line.starts_with("Parsing of ")
        {
            continue;
        }
        out.push_str(&squeeze(line));
        out.push('\n');
    }
    out
}

fn squeeze(line: &str) -> String {
    line.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn normalized(case: &str, text: &str) -> String {
    let dir = case_dir(case);
    let canon = dir.canonicalize().unwrap_or(dir.clone());
    let mut out = String::new();
    for line in text.lines() {
        let l = line
            .replace(&*canon.to_string_lossy(), "@CASE@")
            .replace(&*dir.to_string_lossy(), "@CASE@");
        out.push_str(&squeeze(&l));
        out.push('\n');
    }
    out
}

#[test]
fn show_layers_matches_bitbake() {
    let c = cooker("layers");
    let got = show_layers(&c).unwrap();
    assert_eq!(normalized("layers", &got), expected("layers", 16));
    assert!(got.lines().nth(1).is_some_and(|l| l.len() == 104));
    assert!(got.starts_with(&format!("{:<22}{:<72}priority\n", "layer", "path")));
}

#[test]
fn recipe_reports_match_bitbake() {
    let c = cooker("layers");
    let res = c.parse_all(None, &|_, _| {});
    assert!(res.failures.is_empty(), "{:?}", res.failures);
    let r = &res.recipes;

    let all = show_recipes(&c, r, &RecipeQuery::default()).unwrap();
    assert_eq!(normalized("layers", &all.text), expected("layers", 17));

    let q = RecipeQuery {
        pnspec: vec!["hello".into(), "cmake*".into()],
        ..RecipeQuery::default()
    };
    let some = show_recipes(&c, r, &q).unwrap();
    assert_eq!(normalized("layers", &some.text), expected("layers", 18));

    let q = RecipeQuery {
        inherits: vec!["greeting".into()],
        ..RecipeQuery::default()
    };
    let inh = show_recipes(&c, r, &q).unwrap();
    assert_eq!(normalized("layers", &inh.text), expected("layers", 19));

    let app = show_appends(&c, r, &[]).unwrap();
    assert_eq!(normalized("layers", &app.text), expected("layers", 20));

    let ov = show_overlayed(&c, r, false, false).unwrap();
    assert_eq!(normalized("layers", &ov.text), expected("layers", 21));
    let ov = show_overlayed(&c, r, false, true).unwrap();
    assert_eq!(normalized("layers", &ov.text), expected("layers", 22));
}

#[test]
fn recipe_report_options() {
    let c = cooker("layers");
    let res = c.parse_all(None, &|_, _| {});
    let r = &res.recipes;

    let q = RecipeQuery {
        recipes_only: true,
        pnspec: vec!["[hz]*".into(), "uboot".into()],
        ..RecipeQuery::default()
    };
    let got = show_recipes(&c, r, &q).unwrap();
    assert_eq!(
        got.text,
        "=== Matching recipes: ===\nhello\nuboot (skipped: incompatible with machine plainbox (not in COMPATIBLE_MACHINE))\nzlib\n"
    );

    let q = RecipeQuery {
        multiple: true,
        bare: true,
        layer: Some("meta-base".into()),
        ..RecipeQuery::default()
    };
    // as in BitBake, the `greet:` heading goes with the (filtered out) preferred entry
    let got = show_recipes(&c, r, &q).unwrap();
    assert_eq!(
        got.text,
        "=== Matching recipes: ===\n  meta-base            1.0\nhello:\n  meta-base            2.0\n  meta-base            1.0\n  meta-base            3.0\ntool:\n  meta-base            1:1.0\n  meta-base            2.0\nzlib:\n  meta-base            1.2.11\n  meta-base            1.2.13\n  meta-base            1.3.1\n"
    );

    // variants share the base recipe's file, which is listed once
    let q = RecipeQuery {
        show_variants: true,
        pnspec: vec!["cmake*".into()],
        ..RecipeQuery::default()
    };
    let got = show_recipes(&c, r, &q).unwrap();
    assert_eq!(
        got.text,
        "=== Matching recipes: ===\ncmake:\n  meta-base            3.28\n"
    );

    let q = RecipeQuery {
        inherits: vec!["greeting".into(), "native".into()],
        ..RecipeQuery::default()
    };
    assert_eq!(show_recipes(&c, r, &q).unwrap().text, "");

    let q = RecipeQuery {
        filenames: true,
        pnspec: vec!["greet".into()],
        ..RecipeQuery::default()
    };
    let got = normalized("layers", &show_recipes(&c, r, &q).unwrap().text);
    assert_eq!(
        got,
        "=== Matching recipes: ===\n@CASE@/build/../layers/meta-vendor/recipes-core/greet/greet_1.0.bb\n@CASE@/build/../layers/meta-base/recipes-core/greet/greet_1.0.bb\n"
    );

    let q = RecipeQuery {
        pnspec: vec!["nothing*".into()],
        ..RecipeQuery::default()
    };
    assert_eq!(show_recipes(&c, r, &q).unwrap().text, "");

    let q = RecipeQuery {
        inherits: vec!["nosuchclass".into()],
        ..RecipeQuery::default()
    };
    let err = show_recipes(&c, r, &q).unwrap_err().to_string();
    assert_eq!(err, "No class named nosuchclass found in BBPATH");

    let got = normalized("layers", &show_overlayed(&c, r, true, false).unwrap().text);
    assert_eq!(
        got,
        "=== Overlayed recipes ===\n@CASE@/build/../layers/meta-vendor/recipes-core/greet/greet_1.0.bb\n@CASE@/build/../layers/meta-base/recipes-core/greet/greet_1.0.bb\n"
    );

    let got = show_appends(&c, r, &["cmake".into()]).unwrap();
    assert_eq!(
        normalized("layers", &got.text),
        "=== Matched appended recipes ===\ncmake_3.28.bb:\n@CASE@/build/../layers/meta-apps/recipes-devtools/cmake/cmake_3.28.bbappend\n"
    );
    let got = show_appends(&c, r, &["zlib".into()]).unwrap();
    assert_eq!(
        got.text,
        "=== Matched appended recipes ===\nNo append files found\n"
    );
}
