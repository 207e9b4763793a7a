//! Event handlers ([`bb_pyexpr::run_handler`]), event classes and the host helpers the
//! configuration's handlers use.

use std::sync::Arc;

use bb_pyexpr::{
    Context, EvalError, Event, EventAttr, Host, PathInfo, ProcessIds, eval, run_handler,
};

use crate::store::StoreCtx;

fn handler(body: &str) -> String {
    format!("def h(e, d):\n{body}")
}

#[test]
fn handler_sees_the_event_and_the_datastore() {
    let ctx = StoreCtx::default();
    let e = Event::new("bb.event.RecipeTaskPreProcess")
        .with(
            "tasklist",
            EventAttr::List(vec!["do_a".into(), "do_b".into()]),
        )
        .with("fn", EventAttr::Str("/r.bb".into()));
    let src = handler(
        "    d.setVar('N', bb.event.getName(e))\n    \
         d.setVar('T', ' '.join(e.tasklist))\n    \
         e.data.setVar('F', e.fn)\n    \
         d.setVar('C', repr([isinstance(e, c) for c in (bb.event.Event, bb.event.RecipeEvent, \
         bb.event.RecipeTaskPreProcess, bb.event.RecipeParsed, bb.event.ConfigParsed, \
         bb.build.TaskFailed)]))\n    \
         d.setVar('M', repr(isinstance(e, (bb.event.ConfigParsed, bb.event.RecipeEvent))))\n",
    );
    assert_eq!(run_handler(&src, &e, &ctx), Ok(()));
    assert_eq!(ctx.var("N").as_deref(), Some("RecipeTaskPreProcess"));
    assert_eq!(ctx.var("T").as_deref(), Some("do_a do_b"));
    assert_eq!(ctx.var("F").as_deref(), Some("/r.bb"));
    assert_eq!(
        ctx.var("C").as_deref(),
        Some("[True, True, True, False, False, False]")
    );
    assert_eq!(ctx.var("M").as_deref(), Some("True"));
}

#[test]
fn multiple_bases_and_non_events() {
    let ctx = StoreCtx::default();
    let e = Event::new("bb.event.BuildStarted");
    let src = handler(
        "    d.setVar('R', repr((isinstance(e, bb.event.OperationStarted), \
         isinstance(e, bb.event.BuildBase), isinstance('x', bb.event.Event), \
         bb.event.getName(bb.event.ConfigParsed))))\n",
    );
    assert_eq!(run_handler(&src, &e, &ctx), Ok(()));
    assert_eq!(
        ctx.var("R").as_deref(),
        Some("(True, True, False, 'ConfigParsed')")
    );
}

#[test]
fn skip_recipe_from_a_handler() {
    let ctx = StoreCtx::default();
    let e = Event::new("bb.event.RecipeParsed");
    let r = run_handler(
        &handler("    raise bb.parse.SkipRecipe('PREFERRED_PROVIDER_virtual/x set to y, not z')\n"),
        &e,
        &ctx,
    );
    assert_eq!(
        r,
        Err(EvalError::Exception {
            kind: "SkipRecipe".into(),
            message: "PREFERRED_PROVIDER_virtual/x set to y, not z".into()
        })
    );
}

#[test]
fn unknown_event_class_needs_python() {
    let ctx = StoreCtx::default();
    let e = Event::new("bb.event.ConfigParsed");
    let r = run_handler(
        &handler("    isinstance(e, bb.event.NoSuchEvent)\n"),
        &e,
        &ctx,
    );
    assert!(matches!(r, Err(EvalError::NeedsPython { .. })), "{r:?}");
}

/// A host with fixed answers.
struct FakeHost {
    files: Vec<(&'static str, &'static str)>,
    dirs: Vec<&'static str>,
    cpus: Option<usize>,
}

impl Host for FakeHost {
    fn now(&self) -> f64 {
        0.0
    }
    fn path_info(&self, path: &str) -> PathInfo {
        let file = self.files.iter().any(|(p, _)| *p == path);
        let dir = self.dirs.contains(&path);
        PathInfo {
            exists: file || dir,
            is_file: file,
            is_dir: dir,
            is_link: false,
        }
    }
    fn cwd(&self) -> Option<String> {
        Some("/".into())
    }
    fn read_to_string(&self, path: &str) -> Option<String> {
        self.files
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, t)| (*t).to_owned())
    }
    fn ids(&self) -> Option<ProcessIds> {
        None
    }
    fn original_env(&self) -> Option<Vec<(String, String)>> {
        Some(vec![("PATH".into(), "/usr/bin:/bin".into())])
    }
    fn is_executable(&self, path: &str) -> Option<bool> {
        Some(path == "/bin/sh")
    }
    fn cpu_count(&self) -> Option<usize> {
        self.cpus
    }
}

/// [`StoreCtx`] reads with a given host.
struct WithHost(StoreCtx, Arc<dyn Host>);

impl Context for WithHost {
    fn get_var(&self, name: &str, expand: bool) -> Result<Option<String>, EvalError> {
        self.0.get_var(name, expand)
    }
    fn get_var_flag(&self, n: &str, f: &str, e: bool) -> Result<Option<String>, EvalError> {
        self.0.get_var_flag(n, f, e)
    }
    fn expand(&self, text: &str) -> Result<String, EvalError> {
        self.0.expand(text)
    }
    fn host(&self) -> Option<Arc<dyn Host>> {
        Some(self.1.clone())
    }
}

fn host(cpus: Option<usize>) -> WithHost {
    WithHost(
        StoreCtx::with(&[("HOSTTOOLS_DIR", "/ht")]),
        Arc::new(FakeHost {
            files: vec![(
                "/etc/os-release",
                "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
                 VERSION_ID=\"12\"\nID=debian\nbroken line\n",
            )],
            dirs: vec!["/ht"],
            cpus,
        }),
    )
}

#[test]
fn cpu_count_is_the_affinity_mask_clamped() {
    let ctx = host(Some(2));
    assert_eq!(eval("oe.utils.cpu_count()", &ctx).as_deref(), Ok("2"));
    assert_eq!(
        eval("oe.utils.cpu_count(at_least=4)", &ctx).as_deref(),
        Ok("4")
    );
    assert_eq!(eval("oe.utils.cpu_count(1, 1)", &ctx).as_deref(), Ok("1"));
    let r = eval("oe.utils.cpu_count()", &host(None));
    assert!(matches!(r, Err(EvalError::NeedsPython { .. })), "{r:?}");
}

#[test]
fn distro_identifier_reads_os_release() {
    let ctx = host(None);
    assert_eq!(
        eval("oe.lsb.distro_identifier(d)", &ctx).as_deref(),
        Ok("debian-12")
    );
    assert_eq!(eval("bb.__version__", &ctx).as_deref(), Ok("2.19.0"));
}

#[test]
fn host_tools_without_writes() {
    let ctx = host(None);
    // An existing directory needs no write; the original environment answers getVar.
    assert_eq!(
        eval("bb.utils.mkdirhier('/ht')", &ctx).as_deref(),
        Ok("None")
    );
    let r = eval("bb.utils.mkdirhier('/new')", &ctx);
    assert!(matches!(r, Err(EvalError::NeedsPython { .. })), "{r:?}");
    assert_eq!(
        eval("d.getVar('BB_ORIGENV', False).getVar('PATH')", &ctx).as_deref(),
        Ok("/usr/bin:/bin")
    );
    assert_eq!(
        eval(
            "bb.utils.which('/usr/bin:/bin', 'sh', executable=True)",
            &ctx
        )
        .as_deref(),
        Ok("/bin/sh")
    );
    assert_eq!(
        eval(
            "repr(bb.utils.which('/usr/bin:/bin', 'nope', executable=True))",
            &ctx
        )
        .as_deref(),
        Ok("''")
    );
}

#[test]
fn filters() {
    use bb_pyexpr::apply_filter;
    let ok = |e: &str, v: &str| apply_filter(e, v).expect("runs natively");
    assert_eq!(
        ok(
            "native_filter(val, 'foo-native', 'foo', regex=True)",
            "^foo-(.*)$ ^x-native$ libfoo-dev"
        ),
        Some("^foo-(.*)-native$ ^x-native$ libfoo-dev-native".to_owned())
    );
    assert_eq!(ok("native_filter(val, 'a-native', 'a')", ""), None);
    assert_eq!(ok("suffix(val, '-x')", "a  b"), Some("a-x b-x".to_owned()));
    assert_eq!(ok("prefix(val, 'p-')", "a b"), Some("p-a p-b".to_owned()));
    assert_eq!(ok("sort(val)", "b a c"), Some("a b c".to_owned()));
    assert_eq!(ok("remove(val, 'a c')", "a b c d"), Some("b d".to_owned()));
    assert_eq!(ok("remove(val, 'b', ',')", "a,b,c"), Some("a,c".to_owned()));
    assert_eq!(
        ok(
            "suffix_filter_deps(val, 'nativesdk', ['lib32'])",
            "a b a lib32-x virtual/y"
        ),
        Some("nativesdk-a nativesdk-b lib32-x virtual/nativesdk-y".to_owned())
    );
    // OE-Core's suffix_filter_deps run by CPython (oe-core 35a2c6ed79, BitBake c251833d) on
    // lists with versions: sorted by name, a name mapped twice keeps its first place and
    // its last versions. (Without versions the written order stays: docs/compat.md.)
    for (val, prefixes, want) in [
        (
            "b (>= 1) a, c-native (< 2) (> 1) b",
            "[]",
            "nativesdk-a nativesdk-b (>= 1) c-native (< 2) c-native (> 2 1)",
        ),
        ("x nativesdk-x x-nativesdk (= 2)", "[]", "nativesdk-x (= 2)"),
        (
            "zlib (>= 1.2) virtual/libc lib32-foo (<< 3) perl",
            "['lib32']",
            "lib32-foo (<< 3) nativesdk-perl virtual/nativesdk-libc nativesdk-zlib (>= 1.2)",
        ),
        (
            "a (>=1.0) b ( = 2 ) c(x)",
            "[]",
            "nativesdk-a (>= 1.0) nativesdk-b (= 2) nativesdk-c(x)",
        ),
        (
            "${PN}-dev (= ${EXTENDPKGV}) bash",
            "[]",
            "nativesdk-${PN}-dev (= ${EXTENDPKGV}) nativesdk-bash",
        ),
    ] {
        let e = format!("suffix_filter_deps(val, 'nativesdk', {prefixes})");
        assert_eq!(ok(&e, val), Some(want.to_owned()), "{val}");
    }
    // CPython raises for these (TypeError comparing None, VersionStringException).
    for val in ["(>= 1) a", "a (~ 1)"] {
        let r = apply_filter("suffix_filter_deps(val, 'nativesdk', [])", val);
        assert!(
            matches!(r, Err(EvalError::NeedsPython { .. })),
            "{val}: {r:?}"
        );
    }
    assert_eq!(
        ok(
            "package_suffix_filter(val, 'nativesdk')",
            "foo-dev nativesdk-foo"
        ),
        Some("nativesdk-foo-dev nativesdk-foo".to_owned())
    );
    assert_eq!(
        ok(
            "suffix_filter_regex(val, 'nativesdk', [])",
            "^nativesdk-a ^b.* c"
        ),
        Some("^nativesdk-a ^nativesdk-b.* nativesdk-c".to_owned())
    );
    for e in ["d.getVar('X')", "other_filter(val)", "suffix(val, X)"] {
        let r = apply_filter(e, "a");
        assert!(
            matches!(r, Err(EvalError::NeedsPython { .. })),
            "{e}: {r:?}"
        );
    }
}

const LICENSES: &str = r#"{"licenseListVersion": "3.0", "licenses": [
  {"isDeprecatedLicenseId": false, "licenseId": "GPL-2.0-only", "name": "x {y}"},
  {"isDeprecatedLicenseId": true, "licenseId": "GPL-2.0", "seeAlso": ["a", "b"]},
  {"isDeprecatedLicenseId": false, "licenseId": "MIT", "referenceNumber": 3}
]}"#;
const EXCEPTIONS: &str = r#"{"exceptions": [
  {"isDeprecatedLicenseId": false, "licenseExceptionId": "Classpath-exception-2.0"}
]}"#;

fn license_ctx(license: &str) -> WithHost {
    WithHost(
        StoreCtx::with(&[
            ("PN", "foo"),
            ("PACKAGES", "foo foo-doc"),
            ("LICENSE", license),
            ("COREBASE", "/oe"),
            ("COMMON_LICENSE_DIR", "/oe/meta/files/common-licenses"),
        ]),
        Arc::new(FakeHost {
            files: vec![
                ("/oe/meta/files/spdx-licenses.json", LICENSES),
                ("/oe/meta/files/spdx-exceptions.json", EXCEPTIONS),
                ("/oe/meta/files/common-licenses/Known", "text"),
            ],
            dirs: vec![],
            cpus: None,
        }),
    )
}

#[test]
fn license_format_checks() {
    let check = |lic: &str| eval("oe.license.check_license_format(d)", &license_ctx(lic));
    for good in [
        "MIT",
        "gpl-2.0-only AND (MIT OR LicenseRef-Known)",
        "GPL-2.0-only WITH Classpath-exception-2.0 OR MIT",
        "Unknown",
        "CLOSED",
        "INVALID",
    ] {
        assert_eq!(check(good).as_deref(), Ok("None"), "{good}");
    }
    // Deprecated identifiers only warn.
    let ctx = license_ctx("GPL-2.0 AND MIT");
    assert_eq!(
        eval("oe.license.check_license_format(d)", &ctx).as_deref(),
        Ok("None")
    );
    for needs in [
        "GPL-2.0-only & MIT",
        "GPLv2",
        "MIT AND",
        "(MIT",
        "MIT WITH MIT",
        "GPL-2.0-only+",
        "LicenseRef-Missing",
    ] {
        let r = check(needs);
        assert!(
            matches!(r, Err(EvalError::NeedsPython { .. })),
            "{needs}: {r:?}"
        );
    }
}

/// A host whose file system is a few directory listings (`/w/b/dangling` is a dangling
/// symbolic link, `/w/c` a file).
struct DirHost;

impl Host for DirHost {
    fn now(&self) -> f64 {
        0.0
    }
    fn path_info(&self, path: &str) -> PathInfo {
        let file = ["/w/a/x", "/w/a/.h", "/w/a/y", "/w/b/x", "/w/b/z", "/w/c"].contains(&path);
        let dir = ["/w/a", "/w/b"].contains(&path);
        PathInfo {
            exists: file || dir,
            is_file: file,
            is_dir: dir,
            is_link: path == "/w/b/dangling",
        }
    }
    fn cwd(&self) -> Option<String> {
        Some("/w".into())
    }
    fn read_to_string(&self, _: &str) -> Option<String> {
        None
    }
    fn ids(&self) -> Option<ProcessIds> {
        None
    }
    fn read_dir(&self, path: &str) -> Option<Option<Vec<String>>> {
        let names: &[&str] = match path {
            "/w/a" => &["y", ".h", "x"],
            "/w/b" => &["z", "dangling", "x"],
            _ => return Some(None),
        };
        Some(Some(names.iter().map(|n| (*n).to_owned()).collect()))
    }
}

/// `oe.path.which_wild('*', ...)` as OE-Core's gives it (oe-core 35a2c6ed79, CPython 3.11,
/// on the same tree under /tmp).
#[test]
fn which_wild_lists_directories_through_the_host() {
    let ctx = WithHost(StoreCtx::with(&[]), Arc::new(DirHost));
    let p = "'/w/a:/w/b/:/w/missing:/w/c'";
    assert_eq!(
        eval(
            &format!("oe.path.which_wild('*', {p}, candidates=True)"),
            &ctx
        )
        .as_deref(),
        Ok("[('/w/a/x', ['/w/a/x']), ('/w/a/y', ['/w/a/y']), ('/w/b/z', ['/w/a/z', '/w/b/z'])]")
    );
    assert_eq!(
        eval(&format!("oe.path.which_wild('*', {p})"), &ctx).as_deref(),
        Ok("['/w/a/x', '/w/a/y', '/w/b/z']")
    );
    assert_eq!(
        eval(
            &format!("oe.path.which_wild('*', {p}, reverse=True, candidates=True)"),
            &ctx
        )
        .as_deref(),
        Ok("[('/w/b/x', ['/w/c/x', '/w/missing/x', '/w/b/x']), \
            ('/w/b/z', ['/w/c/z', '/w/missing/z', '/w/b/z']), \
            ('/w/a/y', ['/w/c/y', '/w/missing/y', '/w/b/y', '/w/a/y'])]")
    );
    // A relative directory is taken from the working directory.
    assert_eq!(
        eval("oe.path.which_wild('*', 'a')", &ctx).as_deref(),
        Ok("['/w/a/x', '/w/a/y']")
    );
    for e in [
        "oe.path.which_wild('x*', '/w/a')",
        "oe.path.which_wild('*')",
        "oe.path.which_wild('*', '/w/a', 1)",
        "oe.path.which_wild('*', '/w/a', 0, True)",
    ] {
        let r = eval(e, &ctx);
        assert!(
            matches!(r, Err(EvalError::NeedsPython { .. })),
            "{e}: {r:?}"
        );
    }
    let r = eval("oe.path.which_wild('*', '/w/a')", &StoreCtx::with(&[]));
    assert!(matches!(r, Err(EvalError::NeedsPython { .. })), "{r:?}");
}
