//! Inline Python benchmarks: compiling and evaluating typical `${@...}` expressions of
//! OE-Core (`bb.utils.contains`, `oe.utils.conditional`, a list comprehension, `%` formatting),
//! separately and together, against a small in-memory datastore.

use std::collections::HashMap;
use std::hint::black_box;

use bb_pyexpr::{Context, EvalError};
use criterion::{Criterion, criterion_group, criterion_main};

/// A datastore of a few variables; expansion is the identity (the benchmark measures us).
struct Vars(HashMap<&'static str, &'static str>);

impl Context for Vars {
    fn get_var(&self, name: &str, _expand: bool) -> Result<Option<String>, EvalError> {
        Ok(self.0.get(name).map(|v| (*v).to_owned()))
    }
    fn get_var_flag(
        &self,
        _name: &str,
        _flag: &str,
        _expand: bool,
    ) -> Result<Option<String>, EvalError> {
        Ok(None)
    }
    fn expand(&self, text: &str) -> Result<String, EvalError> {
        Ok(text.to_owned())
    }
}

const EXPRS: &[(&str, &str)] = &[
    (
        "contains",
        "bb.utils.contains('DISTRO_FEATURES', 'systemd x11', '${PN}-systemd', '', d)",
    ),
    (
        "conditional",
        "oe.utils.conditional('TARGET_FPU', 'hard', '-mfloat-abi=hard', '', d)",
    ),
    (
        "comprehension",
        "' '.join([x + ':do_populate_sysroot' for x in d.getVar('SDK_DEPENDS').split() if x != 'b'])",
    ),
    (
        "format",
        "'%s-%s' % (d.getVar('PN'), d.getVar('PV').split('.')[0])",
    ),
];

fn datastore() -> Vars {
    Vars(HashMap::from([
        (
            "DISTRO_FEATURES",
            "acl alsa bluetooth ipv4 ipv6 pam systemd usbhost wifi x11 opengl vulkan",
        ),
        ("TARGET_FPU", "hard"),
        ("SDK_DEPENDS", "a b c d e f g h"),
        ("PN", "busybox"),
        ("PV", "1.36.1"),
    ]))
}

fn bench(c: &mut Criterion) {
    let d = datastore();
    let mut group = c.benchmark_group("pyexpr");
    for (name, src) in EXPRS {
        group.bench_function(format!("compile+eval/{name}"), |b| {
            b.iter(|| bb_pyexpr::eval(black_box(src), &d));
        });
        // invariant: the benchmark expressions are valid.
        let compiled = bb_pyexpr::compile(src).expect("invariant: benchmark expression compiles");
        group.bench_function(format!("eval/{name}"), |b| {
            b.iter(|| black_box(&compiled).eval(&d))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
