"""Runs metadata Python for bake: inline expressions, functions, event handlers.

Part of bake (MIT). The Rust side (bb-python's host.rs) calls the four entry points
below with `d`, bake's datastore object, moved in for the call.

The global namespace of metadata Python is one dictionary per process, as in BitBake
(`bb.utils._context`). Names it lacks are looked up, in order, as: `d` (the datastore
of the call under way), a `def` function of that datastore, a namespace added with
`addpylib` (imported on first use), then Python's builtins.
"""

import builtins
import importlib
import os
import sys
import threading
import time

import bb
import bb.build
import bb.data
import bb.event
import bb.fetch2
import bb.parse
import bb.utils

_MISSING = object()



class _Calls(threading.local):
    """The datastores of the calls under way on this thread, innermost last (parse
    threads take turns in Python, so each keeps its own)."""

    def __init__(self):
        self.stack = []


_calls = _Calls()

# Namespaces added with addpylib, not yet imported.
_pylibs = {}

# Parse threads take turns in Python, but imports release the GIL: whatever changes the
# global namespace or imports namespaces holds this lock.
_lock = threading.RLock()


class _Context(dict):
    """The global namespace: resolves metadata functions and addpylib namespaces."""

    def __missing__(self, name):
        stack = _calls.stack
        if name == "d" and stack:
            return stack[-1]
        if stack:
            found = stack[-1]._def_source(name)
            if found is not None:
                source, file, line = found
                return _function(name, source, file, line)
        if name in _pylibs:
            return _import_namespace(name)
        raise KeyError(name)

    def __contains__(self, name):
        # `name in globals()` (oe-core's BUILDCFG_FUNCS check) sees the `def` functions
        # of the datastore under way, as BitBake's global namespace holds them.
        if dict.__contains__(self, name):
            return True
        stack = _calls.stack
        return bool(stack) and stack[-1]._def_source(name) is not None


# BitBake makes `bb` and `os` builtins: modules under lib/ use them unimported.
builtins.bb = bb
builtins.os = os

context = _Context(os=os, bb=bb, time=time)
bb.utils._context = context


class DataContext(dict):
    """Local names of an inline expression: a name that is not a builtin, nor a
    function, reads the variable of that name (BitBake's DataContext)."""

    excluded = {n for n in dir(builtins) if not n.startswith("_")} | {"oe"}

    def __init__(self, metadata, **kwargs):
        dict.__init__(self, **kwargs)
        self.metadata = metadata

    def __missing__(self, key):
        if dict.__contains__(context, key) or hasattr(builtins, key):
            raise KeyError(key)
        if key not in self.excluded:
            value = self.metadata.getVar(key)
            if value is not None and not self.metadata.getVarFlag(key, "func", False):
                return value
        # Top-level code reads globals without __missing__ (LOAD_NAME looks in the
        # dict itself), so the names the global namespace resolves are resolved here.
        return context[key]


_code_cache = {}
_function_cache = {}


def _compile(source, file, line, mode):
    key = (source, file, line, mode)
    code = _code_cache.get(key)
    if code is None:
        text = "\n" * max(line - 1, 0) + source
        code = compile(text, file or "<code>", mode)
        _code_cache[key] = code
    return code


def _function(name, source, file, line):
    """The function object of metadata function `name` (`def` source), with the
    global namespace as its globals; it is not stored in the namespace."""
    key = (name, source, file, line)
    fn = _function_cache.get(key)
    if fn is not None:
        return fn
    with _lock:
        return _define(key, name, source, file, line)


def _define(key, name, source, file, line):
    fn = _function_cache.get(key)
    if fn is not None:
        return fn
    code = _compile(source, file, line, "exec")
    saved = dict.get(context, name, _MISSING)
    exec(code, context)
    fn = dict.pop(context, name, None)
    if saved is not _MISSING:
        dict.__setitem__(context, name, saved)
    if fn is None:
        raise NameError("name '%s' is not defined by its source" % name)
    _function_cache[key] = fn
    return fn


def _import_namespace(name):
    """Imports an addpylib namespace; the modules it lists in BBIMPORTS are imported
    when first reached as attributes (`oe.path`), which BitBake does at once."""
    with _lock:
        if dict.__contains__(context, name):
            return dict.__getitem__(context, name)
        return _import_namespace_locked(name)


def _import_namespace_locked(name):
    _pylibs.pop(name, None)
    mod = importlib.import_module(name)
    toimport = list(getattr(mod, "BBIMPORTS", []))
    if toimport and not hasattr(mod, "__getattr__"):

        def _lazy(attr, _mod=mod, _names=toimport):
            if attr in _names:
                return importlib.import_module(_mod.__name__ + "." + attr)
            raise AttributeError("module '%s' has no attribute '%s'" % (_mod.__name__, attr))

        mod.__getattr__ = _lazy
    dict.__setitem__(context, name, mod)
    return mod


def eval_expr(d, code, varname):
    """`${@code}`: str() of the value."""
    filename = "Var <%s>" % varname if varname else "<expansion>"
    compiled = _compile(code.strip(), filename, 0, "eval")
    _calls.stack.append(d)
    try:
        value = eval(compiled, context, DataContext(d, d=d))
    finally:
        _calls.stack.pop()
    return str(value)


def run_function(d, name, source, file, line):
    """Calls metadata function `name` (an anonymous function or a `def`) as `name(d)`."""
    fn = _function(name, source, file, line)
    _calls.stack.append(d)
    try:
        fn(d)
    finally:
        _calls.stack.pop()


def check_syntax(source, file, line):
    """Compiles `def` source (its `def` line at `line` of `file`); a syntax error is
    raised with BitBake's message: the file, the line and the code around it."""
    try:
        _compile(source, file, line, "exec")
    except SyntaxError as e:
        lines = ["Error in compiling python function in %s, line %s:" % (file, e.lineno), "",
                 "The code lines resulting in this error were:"]
        # four lines either side of the offending one, counted in the text as BitBake
        # keeps it (a blank line before the next statement belongs to the function)
        src = source.split("\n")
        bad = (e.lineno or line) - line
        for i in range(max(0, bad - 4), min(len(src), bad + 5)):
            lines.append("%s%04d:%s" % (" *** " if i == bad else "     ", i + 1, src[i].rstrip()))
        lines.append("%s: %s" % (e.__class__.__name__, e))
        raise SyntaxError("\n".join(lines)) from None


def call_function(d, name, source, file, line):
    """Calls metadata function `name` from a task (`bb.build.exec_func`), with `d` as
    the datastore names resolve through."""
    run_function(d, name, source, file, line)


def call_handler(d, name, source, file, line, event):
    """Calls event handler `name` as `name(e, d)` with the event object `event`."""
    fn = _function(name, source, file, line)
    event.data = d
    _calls.stack.append(d)
    try:
        fn(event, d)
    finally:
        _calls.stack.pop()


def run_task(d, fn, task, logfile, taskdepdata):
    """A whole task in a worker's child (see bb.build._run_task). With
    BAKE_PYPROFILE=DIR, the task's Python is profiled into DIR/TASK.PID.prof."""
    _calls.stack.append(d)
    try:
        prof_dir = os.environ.get("BAKE_PYPROFILE")
        if prof_dir:
            import cProfile

            cProfile.runctx(
                "bb.build._run_task(d, fn, task, logfile, taskdepdata)",
                globals(),
                {"d": d, "fn": fn, "task": task, "logfile": logfile, "taskdepdata": taskdepdata},
                os.path.join(prof_dir, "%s.%d.prof" % (task, os.getpid())),
            )
        else:
            bb.build._run_task(d, fn, task, logfile, taskdepdata)
    finally:
        _calls.stack.pop()


def fire_handler(d, name, source, file, line, classname, attrs):
    """Calls event handler `name` as `name(e, d)` with an event of class `classname`."""
    fn = _function(name, source, file, line)
    e = bb.event.make_event(classname, attrs)
    e.data = d
    _calls.stack.append(d)
    try:
        fn(e, d)
    finally:
        _calls.stack.pop()
        try:
            del e.data
        except AttributeError:
            pass


def import_all_pylibs():
    """Imports every addpylib namespace with all of its BBIMPORTS, as BitBake does when
    it reads `addpylib` (filters register themselves on import)."""
    with _lock:
        for name in list(_pylibs):
            _import_namespace(name)
    for name, mod in list(dict.items(context)):
        for sub in getattr(mod, "BBIMPORTS", []) if hasattr(mod, "__path__") else []:
            importlib.import_module(mod.__name__ + "." + sub)


_all_imported = False


def apply_filter(expr, val):
    """`d.setVarFilter` expression `expr` applied to `val`."""
    global _all_imported
    import bb.filter

    if not _all_imported:
        with _lock:
            if not _all_imported:
                import_all_pylibs()
                _all_imported = True
    result = bb.filter.apply_filters(val, [expr])
    return None if result is None else str(result)


def add_pylib(libdir, namespace):
    """`addpylib DIR NAMESPACE`."""
    if libdir not in sys.path:
        sys.path.append(libdir)
    if not dict.__contains__(context, namespace):
        _pylibs[namespace] = libdir
        # A namespace imported before (another multiconfig) is imported again as is.
        importlib.invalidate_caches()
    for m in ("os", "sys", "time"):
        if not dict.__contains__(context, m):
            dict.__setitem__(context, m, importlib.import_module(m))


def _traced(kind, fn, label):
    """With BAKE_PYTRACE=FILE, each call appends `seconds kind label` to FILE."""

    def wrapper(*args):
        start = time.perf_counter()
        try:
            return fn(*args)
        finally:
            with open(_trace_file, "a") as f:
                f.write("%.6f %s %s\n" % (time.perf_counter() - start, kind, label(args).replace("\n", " ")[:200]))

    return wrapper


_trace_file = os.environ.get("BAKE_PYTRACE")
if _trace_file:
    eval_expr = _traced("expr", eval_expr, lambda a: a[1])
    run_function = _traced("func", run_function, lambda a: a[1])
    fire_handler = _traced("handler", fire_handler, lambda a: a[1] + " " + a[5])
    apply_filter = _traced("filter", apply_filter, lambda a: a[0])
