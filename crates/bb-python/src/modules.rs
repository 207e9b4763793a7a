//! The Python sources shipped inside the binary (the `bb` package and the runtime that
//! runs metadata Python), and the import hook that serves them.
//!
//! The hook is a meta-path finder installed first on `sys.meta_path`, so that the
//! embedded `bb` wins over any `bb` on the module path. Module files show in tracebacks
//! as `<bake>/bb/utils.py`.

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// (module name, is a package, source).
const SOURCES: &[(&str, bool, &str)] = &[
    (
        "_bake_runtime",
        false,
        include_str!("../python/_bake_runtime.py"),
    ),
    (
        "_bake_sighandler",
        false,
        include_str!("../python/_bake_sighandler.py"),
    ),
    ("bb", true, include_str!("../python/bb/__init__.py")),
    ("bb.build", false, include_str!("../python/bb/build.py")),
    (
        "bb.compress",
        true,
        include_str!("../python/bb/compress/__init__.py"),
    ),
    (
        "bb.compress.zstd",
        false,
        include_str!("../python/bb/compress/zstd.py"),
    ),
    ("bb.data", false, include_str!("../python/bb/data.py")),
    (
        "bb.data_smart",
        false,
        include_str!("../python/bb/data_smart.py"),
    ),
    ("bb.event", false, include_str!("../python/bb/event.py")),
    ("bb.fetch", false, include_str!("../python/bb/fetch.py")),
    (
        "bb.fetch2",
        true,
        include_str!("../python/bb/fetch2/__init__.py"),
    ),
    ("bb.filter", false, include_str!("../python/bb/filter.py")),
    ("bb.msg", false, include_str!("../python/bb/msg.py")),
    (
        "bb.parse",
        true,
        include_str!("../python/bb/parse/__init__.py"),
    ),
    ("bb.process", false, include_str!("../python/bb/process.py")),
    (
        "bb.progress",
        false,
        include_str!("../python/bb/progress.py"),
    ),
    (
        "bb.runqueue",
        false,
        include_str!("../python/bb/runqueue.py"),
    ),
    ("bb.siggen", false, include_str!("../python/bb/siggen.py")),
    ("bb.utils", false, include_str!("../python/bb/utils.py")),
];

/// The finder and loader, run once before anything is imported.
const BOOTSTRAP: &str = r#"
import sys
import importlib.abc
import importlib.machinery
import _bake

_SOURCES = _bake.sources()


class _BakeLoader(importlib.abc.Loader):
    def __init__(self, name, is_pkg, source):
        self.name = name
        self.is_pkg = is_pkg
        self.source = source

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        path = "<bake>/" + module.__name__.replace(".", "/")
        path += "/__init__.py" if self.is_pkg else ".py"
        module.__file__ = path
        exec(compile(self.source, path, "exec"), module.__dict__)

    def get_source(self, name):
        return self.source


class _BakeFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        entry = _SOURCES.get(name)
        if entry is None:
            return None
        is_pkg, source = entry
        return importlib.machinery.ModuleSpec(
            name, _BakeLoader(name, is_pkg, source), is_package=is_pkg
        )


sys.meta_path.insert(0, _BakeFinder())
"#;

/// Installs the import hook (once, with the GIL held).
pub(crate) fn bootstrap(py: Python<'_>) -> PyResult<()> {
    let code = std::ffi::CString::new(BOOTSTRAP)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    py.run(&code, None, None)
}

/// `_bake.sources()`: `{name: (is_package, source)}`.
#[pyfunction]
#[pyo3(name = "sources")]
pub(crate) fn py_sources(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let out = PyDict::new(py);
    for (name, is_pkg, src) in SOURCES {
        out.set_item(*name, (*is_pkg, *src))?;
    }
    Ok(out)
}
