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
import time

import bb
import bb.build
import bb.data
import bb.event
import bb.fetch2
import bb.parse
import bb.utils

_MISSING = object()

# The datastores of the calls under way, innermost last.
_stack = []

# Namespaces added with addpylib, not yet imported.
_pylibs = {}


class _Context(dict):
    """The global namespace: resolves metadata functions and addpylib namespaces."""

    def __missing__(self, name):
        if name == "d" and _stack:
            return _stack[-1]
        if _stack:
            found = _stack[-1]._def_source(name)
            if found is not None:
                source, file, line = found
                return _function(name, source, file, line)
        if name in _pylibs:
            return _import_namespace(name)
        raise KeyError(name)


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
        if key in self.excluded or dict.__contains__(context, key):
            raise KeyError(key)
        value = self.metadata.getVar(key)
        if value is None or self.metadata.getVarFlag(key, "func", False):
            raise KeyError(key)
        return value


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
    _stack.append(d)
    try:
        value = eval(compiled, context, DataContext(d, d=d))
    finally:
        _stack.pop()
    return str(value)


def run_function(d, name, source, file, line):
    """Calls metadata function `name` (an anonymous function or a `def`) as `name(d)`."""
    fn = _function(name, source, file, line)
    _stack.append(d)
    try:
        fn(d)
    finally:
        _stack.pop()


def fire_handler(d, name, source, file, line, classname, attrs):
    """Calls event handler `name` as `name(e, d)` with an event of class `classname`."""
    fn = _function(name, source, file, line)
    e = bb.event.make_event(classname, attrs)
    e.data = d
    _stack.append(d)
    try:
        fn(e, d)
    finally:
        _stack.pop()
        try:
            del e.data
        except AttributeError:
            pass


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
