//! Tests of provider selection on hand-built recipe lists. Expected orders and texts
//! were checked against BitBake's own `bb.providers` functions run on the same inputs.

use std::collections::BTreeMap;

use bb_data::DataStore;

use super::*;

fn recipe(fn_name: &str, pn: &str, pv: &str) -> RecipeInfo {
    RecipeInfo {
        fn_name: fn_name.to_string(),
        file: fn_name.to_string(),
        pn: pn.to_string(),
        pv: pv.to_string(),
        pr: "r0".to_string(),
        provides: vec![pn.to_string()],
        ..RecipeInfo::default()
    }
}

fn providing(mut r: RecipeInfo, names: &[&str]) -> RecipeInfo {
    r.provides.extend(names.iter().map(|s| s.to_string()));
    r
}

fn config(vars: &[(&str, &str)]) -> DataStore {
    let mut d = DataStore::new();
    for (k, v) in vars {
        d.set_var(k, v);
    }
    d
}

fn texts(log: &[Message], level: Level) -> Vec<&str> {
    log.iter()
        .filter(|m| m.level == level)
        .map(|m| m.text.as_str())
        .collect()
}

fn err_text<T: std::fmt::Debug>(r: Result<T>) -> String {
    match r {
        Err(e) => e.to_string(),
        Ok(v) => panic!("expected an error, got {v:?}"),
    }
}

#[test]
fn highest_priority_group_wins_over_newer_version() {
    let mut old = recipe("/a/foo_1.0.bb", "foo", "1.0");
    old.priority = 10;
    let mut new = recipe("/b/foo_2.0.bb", "foo", "2.0");
    new.priority = 5;
    let recipes = [new, old];
    let p = Providers::new(&recipes);
    let d = config(&[]);
    let mut log = Vec::new();
    assert_eq!(
        p.resolve_build_target("foo", &d, &mut log).ok().as_deref(),
        Some("/a/foo_1.0.bb")
    );
    assert_eq!(
        p.latest_version("foo").ok().flatten().as_deref(),
        Some("/a/foo_1.0.bb")
    );
    assert!(log.iter().all(|m| m.level < Level::Note), "{log:?}");
}

#[test]
fn default_preference_beats_version() {
    let old = recipe("/l/foo_1.0.bb", "foo", "1.0");
    let mut new = recipe("/l/foo_2.0.bb", "foo", "2.0");
    new.default_preference = -1;
    let recipes = [old, new];
    let p = Providers::new(&recipes);
    let d = config(&[]);
    let mut log = Vec::new();
    assert_eq!(
        p.resolve_build_target("foo", &d, &mut log).ok().as_deref(),
        Some("/l/foo_1.0.bb")
    );
    // Equal preference: the higher version.
    let recipes = [
        recipe("/l/foo_1.0.bb", "foo", "1.0"),
        recipe("/l/foo_1.0a.bb", "foo", "1.0a"),
    ];
    let p = Providers::new(&recipes);
    assert_eq!(
        p.resolve_build_target("foo", &d, &mut log).ok().as_deref(),
        Some("/l/foo_1.0a.bb")
    );
}

#[test]
fn preferred_version_wildcard() {
    let recipes = [
        recipe("/l/foo_1.20.bb", "foo", "1.20"),
        recipe("/l/foo_1.2.3.bb", "foo", "1.2.3"),
        recipe("/l/foo_2.0.bb", "foo", "2.0"),
    ];
    let p = Providers::new(&recipes);
    let d = config(&[("PREFERRED_VERSION_foo", "1.2%")]);
    let mut log = Vec::new();
    // As a build target, providers are taken in file-name order.
    assert_eq!(
        p.resolve_build_target("foo", &d, &mut log).ok().as_deref(),
        Some("/l/foo_1.2.3.bb")
    );
    // For the per-PN choice, in parse order.
    let choice = p.best_for_pn("foo", &d, &mut log).ok().flatten();
    let choice = choice.as_ref();
    assert_eq!(
        choice.and_then(|c| c.preferred.as_deref()),
        Some("/l/foo_1.20.bb")
    );
    assert_eq!(choice.map(|c| c.latest.as_str()), Some("/l/foo_2.0.bb"));
    assert!(log.is_empty() || texts(&log, Level::Warning).is_empty());
}

#[test]
fn preferred_version_pn_override_and_messages() {
    let mut e = recipe("/l/foo_2.0.bb", "foo", "2.0");
    e.pe = "1".to_string();
    let recipes = [recipe("/l/foo_1.0.bb", "foo", "1.0"), e];
    let p = Providers::new(&recipes);
    let d = config(&[
        ("PREFERRED_VERSION:pn-foo", "3.0"),
        ("PREFERRED_VERSION", "9"),
    ]);
    let mut log = Vec::new();
    let chosen = p.resolve_build_target("foo", &d, &mut log).ok();
    assert_eq!(
        chosen.as_deref(),
        Some("/l/foo_2.0.bb"),
        "the epoch makes 1:2.0 the latest"
    );
    assert_eq!(
        texts(&log, Level::Warning),
        [
            "preferred version 3.0 of foo not available (for item foo)",
            "versions of foo available: 1.0 1:2.0",
        ]
    );
    // Without an item, no "(for item ...)".
    let mut log = Vec::new();
    let _ = p.preferred_fns(&d, &mut log);
    assert_eq!(
        texts(&log, Level::Warning)[0],
        "preferred version 3.0 of foo not available"
    );
}

#[test]
fn preferred_version_epoch() {
    let mut e1 = recipe("/l/foo_a.bb", "foo", "2.0");
    e1.pe = "1".to_string();
    let plain = recipe("/l/foo_b.bb", "foo", "2.0");
    let recipes = [e1, plain];
    let p = Providers::new(&recipes);
    let mut log = Vec::new();
    let d = config(&[("PREFERRED_VERSION_foo", "1:2.0")]);
    assert_eq!(
        p.resolve_build_target("foo", &d, &mut log).ok().as_deref(),
        Some("/l/foo_a.bb")
    );
    // `0:` does not match an unset PE: BitBake compares epochs as text.
    let d = config(&[("PREFERRED_VERSION_foo", "0:2.0")]);
    let mut log = Vec::new();
    assert_eq!(
        p.preferred_version("foo", &d, &mut log).ok(),
        Some((None, false))
    );
    assert_eq!(
        texts(&log, Level::Warning)[0],
        "preferred version 0:2.0 of foo not available"
    );
}

#[test]
fn required_version_missing() {
    let recipes = [
        recipe("/l/foo_1.0.bb", "foo", "1.0"),
        recipe("/l/foo_2.0.bb", "foo", "2.0"),
    ];
    let p = Providers::new(&recipes);
    let d = config(&[
        ("REQUIRED_VERSION_foo", "3.0"),
        ("PREFERRED_VERSION_foo", "1.0"),
    ]);
    let mut log = Vec::new();
    let err = err_text(p.resolve_build_target("foo", &d, &mut log));
    assert_eq!(
        err,
        "Nothing PROVIDES 'foo'\nNo eligible PROVIDERs exist for 'foo'"
    );
    assert_eq!(
        texts(&log, Level::Warning),
        [
            "REQUIRED_VERSION and PREFERRED_VERSION for package foo (for item foo) are both set using REQUIRED_VERSION 3.0",
            "versions of foo available: 1.0 2.0",
        ]
    );
    assert_eq!(
        texts(&log, Level::Error),
        ["required version 3.0 of foo not available (for item foo)"]
    );
    let mut log = Vec::new();
    let choices = p.preferred_fns(&d, &mut log).unwrap_or_default();
    assert_eq!(choices.len(), 1);
    assert_eq!(choices[0].preferred, None);
    assert!(choices[0].required);
    assert_eq!(choices[0].others.len(), 2);
}

#[test]
fn empty_required_version_makes_nothing_eligible() {
    let recipes = [recipe("/l/foo_1.0.bb", "foo", "1.0")];
    let p = Providers::new(&recipes);
    let d = config(&[("REQUIRED_VERSION", "")]);
    let mut log = Vec::new();
    let (eligible, _) = p
        .filter_providers(&["/l/foo_1.0.bb".to_string()], "foo", &d, &mut log)
        .unwrap_or_default();
    assert!(eligible.is_empty());
}

#[test]
fn virtual_provider_choice() {
    let recipes = [
        providing(recipe("/l/linux-b.bb", "linux-b", "1"), &["virtual/kernel"]),
        providing(recipe("/l/linux-a.bb", "linux-a", "1"), &["virtual/kernel"]),
    ];
    let p = Providers::new(&recipes);
    let mut log = Vec::new();
    let d = config(&[]);
    assert_eq!(
        p.resolve_build_target("virtual/kernel", &d, &mut log)
            .ok()
            .as_deref(),
        Some("/l/linux-a.bb")
    );
    assert_eq!(
        texts(&log, Level::Note),
        [
            "Multiple providers are available for virtual/kernel (linux-a, linux-b)\nConsider defining a PREFERRED_PROVIDER entry to match virtual/kernel"
        ]
    );

    let d = config(&[("PREFERRED_PROVIDER_virtual/kernel", "linux-b")]);
    let mut log = Vec::new();
    assert_eq!(
        p.resolve_build_target("virtual/kernel", &d, &mut log)
            .ok()
            .as_deref(),
        Some("/l/linux-b.bb")
    );
    assert!(texts(&log, Level::Note).is_empty());

    let d = config(&[("PREFERRED_PROVIDERS", "virtual/kernel:linux-b bad")]);
    let mut log = Vec::new();
    assert_eq!(
        p.find_best_provider("virtual/kernel", &d, &mut log)
            .ok()
            .flatten()
            .as_deref(),
        Some("/l/linux-b.bb")
    );
    let mut log = Vec::new();
    let map = preferred_providers(&d, &mut log).unwrap_or_default();
    assert_eq!(
        map.get("virtual/kernel").map(String::as_str),
        Some("linux-b")
    );
    assert_eq!(
        texts(&log, Level::Error),
        ["Malformed option in PREFERRED_PROVIDERS variable: bad"]
    );
}

#[test]
fn pn_equal_to_name_comes_first_but_still_notes() {
    let recipes = [
        providing(recipe("/l/busybox.bb", "busybox", "1"), &["bash"]),
        recipe("/l/zbash.bb", "bash", "1"),
    ];
    let p = Providers::new(&recipes);
    let d = config(&[]);
    let mut log = Vec::new();
    let all = p
        .resolve_build_providers("bash", &d, &mut log)
        .unwrap_or_default();
    assert_eq!(all, ["/l/zbash.bb", "/l/busybox.bb"]);
    assert_eq!(
        texts(&log, Level::Note),
        [
            "Multiple providers are available for bash (bash, busybox)\nConsider defining a PREFERRED_PROVIDER entry to match bash"
        ]
    );
}

#[test]
fn nothing_provides_with_skipped_recipes() {
    let mut skipped = providing(recipe("/l/bar.bb", "bar", "1"), &["virtual/bar"]);
    skipped.skipped = Some("incompatible with machine qemux86".to_string());
    let mut skipped_foo = recipe("/l/foo.bb", "foo", "1");
    skipped_foo.skipped = Some("PREFERRED_PROVIDER_virtual/foo set to other".to_string());
    let recipes = [
        recipe("/l/busybox.bb", "busybox", "1"),
        skipped,
        skipped_foo,
    ];
    let p = Providers::new(&recipes);
    let d = config(&[]);
    let mut log = Vec::new();
    assert_eq!(
        err_text(p.resolve_build_target("virtual/bar", &d, &mut log)),
        "Nothing PROVIDES 'virtual/bar'\nbar PROVIDES virtual/bar but was skipped: incompatible with machine qemux86"
    );
    assert_eq!(
        err_text(p.resolve_build_target("foo", &d, &mut log)),
        "Nothing PROVIDES 'foo'\nfoo was skipped: PREFERRED_PROVIDER_virtual/foo set to other"
    );
    assert_eq!(
        err_text(p.resolve_build_target("busybo", &d, &mut log)),
        "Nothing PROVIDES 'busybo'. Close matches:\n  busybox"
    );
    assert_eq!(
        err_text(p.resolve_build_target("zzz", &d, &mut log)),
        "Nothing PROVIDES 'zzz'"
    );
    assert_eq!(
        err_text(p.resolve_runtime("bar", &d, &mut log)),
        "Nothing RPROVIDES 'bar'\nbar was skipped: incompatible with machine qemux86"
    );
}

#[test]
fn nothing_provides_mentions_runtime_providers() {
    let mut r = recipe("/l/util-linux.bb", "util-linux", "1");
    r.packages = vec!["util-linux".to_string(), "util-linux-mount".to_string()];
    let recipes = [r];
    let p = Providers::new(&recipes);
    let mut log = Vec::new();
    assert_eq!(
        err_text(p.resolve_build_target("util-linux-mount", &config(&[]), &mut log)),
        "Nothing PROVIDES 'util-linux-mount'. Close matches:\n  util-linux\n  util-linux RPROVIDES util-linux-mount"
    );
}

#[test]
fn close_matches_like_difflib() {
    let pool = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        close_matches(
            "busybo",
            &pool(&["busybox", "bash", "busybox-native", "base-files"]),
            3,
            0.7
        ),
        ["busybox"]
    );
    assert_eq!(
        close_matches(
            "virtual/kernl",
            &pool(&["virtual/kernel", "virtual/libc", "linux-yocto", "kernel"]),
            3,
            0.7
        ),
        ["virtual/kernel", "virtual/libc"]
    );
    assert_eq!(
        close_matches(
            "gcc-crss",
            &pool(&[
                "gcc-cross",
                "gcc",
                "gcc-cross-x86_64",
                "gcc-runtime",
                "cross"
            ]),
            3,
            0.7
        ),
        ["gcc-cross"]
    );
}

fn runtime_recipes() -> Vec<RecipeInfo> {
    ["a", "b", "c"]
        .iter()
        .map(|n| {
            let mut r = providing(
                recipe(&format!("/l/{n}.bb"), n, "1"),
                &[&format!("virtual/{n}")],
            );
            r.rprovides = vec!["thing".to_string()];
            r
        })
        .collect()
}

#[test]
fn runtime_multiple_providers() {
    let recipes = runtime_recipes();
    let p = Providers::new(&recipes);
    let d = config(&[]);
    let mut log = Vec::new();
    assert_eq!(
        p.resolve_runtime("thing", &d, &mut log)
            .ok()
            .flatten()
            .as_deref(),
        Some("/l/a.bb")
    );
    assert_eq!(
        texts(&log, Level::Note),
        [
            "Multiple providers are available for runtime thing (a, b, c)\nConsider defining a PREFERRED_RPROVIDER entry to match thing"
        ]
    );
    let d = config(&[
        ("PREFERRED_RPROVIDER_thing", "b"),
        ("PREFERRED_PROVIDER_virtual/c", "c"),
    ]);
    let mut log = Vec::new();
    let (eligible, n) = p
        .filter_providers_runtime(
            &p.runtime_providers("thing", &mut log).unwrap_or_default(),
            "thing",
            &d,
            &mut log,
        )
        .unwrap_or_default();
    assert_eq!(
        (eligible, n),
        (
            vec!["/l/b.bb".into(), "/l/a.bb".into(), "/l/c.bb".into()],
            1
        )
    );
    assert_eq!(
        texts(&log, Level::Verbose),
        ["selecting b to satisfy thing due to PREFERRED_RPROVIDER"]
    );
}

#[test]
fn runtime_preferred_provider_walk_skips_like_bitbake() {
    let recipes = runtime_recipes();
    let p = Providers::new(&recipes);
    let all = ["/l/a.bb", "/l/b.bb", "/l/c.bb"].map(String::from);
    // b is preferred; the walk then passes over c.
    let d = config(&[
        ("PREFERRED_PROVIDER_virtual/b", "b"),
        ("PREFERRED_PROVIDER_virtual/c", "c"),
    ]);
    let mut log = Vec::new();
    let got = p
        .filter_providers_runtime(&all, "thing", &d, &mut log)
        .unwrap_or_default();
    assert_eq!(
        got,
        (
            vec!["/l/b.bb".into(), "/l/a.bb".into(), "/l/c.bb".into()],
            1
        )
    );

    let d = config(&[
        ("PREFERRED_PROVIDER_virtual/a", "a"),
        ("PREFERRED_PROVIDER_virtual/b", "b"),
        ("PREFERRED_PROVIDER_virtual/c", "c"),
    ]);
    let mut log = Vec::new();
    let got = p
        .filter_providers_runtime(&all, "thing", &d, &mut log)
        .unwrap_or_default();
    assert_eq!(
        got,
        (
            vec!["/l/c.bb".into(), "/l/a.bb".into(), "/l/b.bb".into()],
            2
        )
    );
    assert_eq!(
        texts(&log, Level::Error),
        [
            "Trying to resolve runtime dependency thing resulted in conflicting PREFERRED_PROVIDER entries being found.\nThe providers found were: ['/l/a.bb', '/l/c.bb']\nThe PREFERRED_PROVIDER entries resulting in this conflict were: ['PREFERRED_PROVIDER_virtual/a = a', 'PREFERRED_PROVIDER_virtual/c = c']. You could set PREFERRED_RPROVIDER_thing"
        ]
    );
    let mut log = Vec::new();
    assert!(p.resolve_runtime("thing", &d, &mut log).is_err());
}

#[test]
fn runtime_packages_and_dynamic() {
    let mut k = recipe("/l/linux.bb", "linux", "1");
    k.packages = vec!["kernel".to_string(), "kernel-base".to_string()];
    k.packages_dynamic = vec!["^kernel-module-.*".to_string()];
    k.rprovides_pkg = BTreeMap::from([("kernel-base".to_string(), vec!["kernel-abi".to_string()])]);
    let mut s = recipe("/l/gtk+3.bb", "gtk+3", "1");
    s.packages_dynamic = vec!["gtk+3-locale-.*".to_string()];
    let recipes = [k, s, recipe("/l/zlib.bb", "zlib", "1")];
    let p = Providers::new(&recipes);
    let d = config(&[]);
    let mut log = Vec::new();
    let r = |name: &str, log: &mut Vec<Message>| p.resolve_runtime(name, &d, log).ok().flatten();
    assert_eq!(r("kernel-base", &mut log).as_deref(), Some("/l/linux.bb"));
    assert_eq!(r("kernel-abi", &mut log).as_deref(), Some("/l/linux.bb"));
    assert_eq!(
        r("kernel-module-foo", &mut log).as_deref(),
        Some("/l/linux.bb")
    );
    assert_eq!(
        r("gtk+3-locale-de", &mut log).as_deref(),
        Some("/l/gtk+3.bb")
    );
    // PACKAGES defaults to PN.
    assert_eq!(r("zlib", &mut log).as_deref(), Some("/l/zlib.bb"));
    assert_eq!(
        err_text(p.resolve_runtime("kernel-modul", &d, &mut log)),
        "Nothing RPROVIDES 'kernel-modul'"
    );
}

#[test]
fn assume_provided() {
    let recipes = [recipe("/l/git-native.bb", "git-native", "1")];
    let p = Providers::new(&recipes);
    let d = config(&[("ASSUME_PROVIDED", "git-native ^perl-.*")]);
    let mut log = Vec::new();
    assert_eq!(
        err_text(p.resolve_build_target("git-native", &d, &mut log)),
        "git-native is in ASSUME_PROVIDED"
    );
    assert_eq!(
        p.resolve_runtime("perl-module-x", &d, &mut log).ok(),
        Some(None)
    );
}

#[test]
fn preferred_fns_lists_every_pn() {
    let recipes = [
        recipe("/l/foo_1.0.bb", "foo", "1.0"),
        recipe("/l/bar_1.bb", "bar", "1"),
        recipe("/l/foo_2.0.bb", "foo", "2.0"),
    ];
    let p = Providers::new(&recipes);
    let mut log = Vec::new();
    let all = p.preferred_fns(&config(&[]), &mut log).unwrap_or_default();
    let got: Vec<(&str, Option<&str>, Vec<&str>)> = all
        .iter()
        .map(|c| {
            (
                c.pn.as_str(),
                c.preferred.as_deref(),
                c.others.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("foo", Some("/l/foo_2.0.bb"), vec!["/l/foo_1.0.bb"]),
            ("bar", Some("/l/bar_1.bb"), vec![]),
        ]
    );
}

#[test]
fn bad_epoch_is_an_error() {
    let mut a = recipe("/l/foo_1.bb", "foo", "1");
    a.pe = "x".to_string();
    let recipes = [a, recipe("/l/foo_2.bb", "foo", "2")];
    let p = Providers::new(&recipes);
    let mut log = Vec::new();
    assert_eq!(
        err_text(p.resolve_build_target("foo", &config(&[]), &mut log)),
        "invalid literal for int() with base 10: 'x'"
    );
}

#[test]
fn message_texts() {
    assert_eq!(
        nothing_provides_message(
            "x",
            false,
            &["/a.bb".into(), "/b.bb".into()],
            &[],
            &["y".into()]
        ),
        "Nothing PROVIDES 'x' (but /a.bb, /b.bb DEPENDS on or otherwise requires it). Close matches:\n  y"
    );
    assert_eq!(
        nothing_provides_message("x", true, &["/a.bb".into()], &["r".into()], &["y".into()]),
        "Nothing RPROVIDES 'x' (but /a.bb RDEPENDS on or otherwise requires it)\nr"
    );
}
