# Signatures' view of the Python modules of every addpylib namespace (each namespace's
# BBIMPORTS), loaded by bb-siggen into the embedded interpreter as module `_bake_siggen`:
# `listing()` gives, for each public callable defined in its module's own file, its source
# lines, first line number, the text of each call in it (for bake's own reference finder)
# and its bb_vardeps / bb_vardepsexclude attributes; `visit(src, names)` applies the
# `visitorcode` of module functions to their calls in a function body; `listing_key()`
# what `listing()` depends on, for the copy bake keeps on disk.
import ast
import copy
import hashlib
import importlib
import inspect
import json
import os
import sys
import textwrap

import _bake_runtime

# Dotted name -> the function's `visitorcode` (what a call of it contributes, decided from
# the call's arguments instead of the call itself).
_visitors = {}


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


class _Shallow(ast.NodeTransformer):
    """A copy of one call with the calls nested in it replaced by a plain name (each
    nested call is looked at on its own; a name is no variable name to the reader)."""

    def __init__(self, top):
        self.top = top

    def visit_Call(self, node):
        if node is not self.top:
            return ast.Name("_bake_nested_call")
        return self.generic_visit(node)


def _parse(src):
    # An indented body (`python do_x() {` text) is parsed inside an `if` block, as
    # BitBake parses it, so that the walk order of its calls is BitBake's.
    if src[:1] in (" ", "\t"):
        src = "if 1:\n" + src
    try:
        return ast.parse(src)
    except SyntaxError:
        try:
            return ast.parse(textwrap.dedent(src))
        except SyntaxError:
            return None


_CONTAINS = ("bb.utils.contains", "base_contains")
_CONTAINS_ANY = ("bb.utils.contains_any", "bb.utils.filter")


def _visit_tree(tree):
    """The calls with a visitor, in `ast.walk` order: (contains, execs, visited names).
    A visitor's checks replace what was collected for its variable so far, and later
    `bb.utils.contains`-style checks of such a variable add to it, as BitBake collects
    them; `contains` holds the final items of the variables visitors touched."""
    contains, touched, execs, visited = {}, set(), set(), set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        visitor = _visitors.get(name)
        if visitor is not None:
            visited.add(name)
            c, e, _warn = visitor(name, node.args)
            for k, v in c.items():
                contains[k] = set(v)
                touched.add(k)
            execs |= set(e)
        elif name in _CONTAINS + _CONTAINS_ANY and len(node.args) > 1:
            var, item = node.args[0], node.args[1]
            if not (isinstance(var, ast.Constant) and isinstance(var.value, str)):
                continue
            if not isinstance(item, ast.Constant):
                continue
            items = contains.setdefault(var.value, set())
            if name in _CONTAINS:
                items.add(item.value)
            else:
                items.update(item.value.split())
    return (
        {k: sorted(v) for k, v in contains.items() if k in touched},
        sorted(execs),
        sorted(visited),
    )


def _calls(tree):
    """The text of a shallow copy of each call without a visitor, and what the calls
    with one contribute (see `_visit_tree`)."""
    texts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _dotted(node.func) not in _visitors:
            dup = copy.deepcopy(node)
            texts.append(ast.unparse(_Shallow(dup).visit(dup)))
    contains, execs, _visited = _visit_tree(tree)
    return texts, contains, execs


def visit(src):
    """The calls of a function body: JSON of {"calls": [texts of the calls without a
    visitor, nested calls replaced by a name] (null when the body does not parse), "contains": {var: [items]}
    (replacing what the other calls collected for var), "execs": [names], "visited":
    [names]} for the calls with a visitor."""
    tree = _parse(src)
    if tree is None:
        return json.dumps({"calls": None, "contains": {}, "execs": [], "visited": []})
    texts, _contains, _execs = _calls(tree)
    contains, execs, visited = _visit_tree(tree)
    return json.dumps({"calls": texts, "contains": contains, "execs": execs, "visited": visited})


def _modules():
    _bake_runtime.import_all_pylibs()
    for ns, pkg in list(dict.items(_bake_runtime.context)):
        if not hasattr(pkg, "__path__"):
            continue
        for sub in getattr(pkg, "BBIMPORTS", []):
            yield ns + "." + sub, importlib.import_module(ns + "." + sub)


def _register_visitors(mods):
    for prefix, mod in mods:
        for name in dir(mod):
            visitor = getattr(getattr(mod, name), "visitorcode", None)
            if not name.startswith("_") and visitor is not None:
                _visitors[prefix + "." + name] = visitor


def listing_key():
    """Imports the modules (and takes their visitors, as `listing()` does), then returns
    a sha256 of what the listing is made from: the interpreter's version, the modules
    listed, and the name and content of every `.py` file under each namespace's
    directories (a name a module imports from a sibling module is in its listing)."""
    mods = list(_modules())
    _register_visitors(mods)
    h = hashlib.sha256()
    h.update(sys.version.encode())
    h.update(json.dumps([prefix for prefix, _ in mods]).encode())
    for ns, pkg in sorted(dict.items(_bake_runtime.context), key=lambda kv: kv[0]):
        for top in sorted(getattr(pkg, "__path__", None) or ()):
            for root, dirs, files in os.walk(top):
                dirs.sort()
                for f in sorted(files):
                    if not f.endswith(".py"):
                        continue
                    path = os.path.join(root, f)
                    h.update(b"\0" + ns.encode() + b"\0" + path.encode() + b"\0")
                    with open(path, "rb") as fh:
                        h.update(fh.read())
    return h.hexdigest()


def _entries():
    out = []
    mods = list(_modules())
    _register_visitors(mods)
    for prefix, mod in mods:
        path = getattr(mod, "__file__", None)
        names = [n for n in dir(mod) if not n.startswith("_") and callable(getattr(mod, n))]
        functions = []
        out.append({"module": prefix, "names": names, "functions": functions})
        for name in names:
            obj = getattr(mod, name)
            try:
                if inspect.getsourcefile(obj) != path:
                    continue
                lines, lineno = inspect.getsourcelines(obj)
            except (TypeError, OSError):
                continue
            src = "".join(lines)
            tree = _parse(src)
            texts, contains, execs = _calls(tree) if tree is not None else (None, {}, [])
            functions.append({
                "name": name,
                "source": src,
                "lineno": lineno,
                "calls": texts,
                "visited_contains": contains,
                "visited_execs": execs,
                "visitor": prefix + "." + name in _visitors,
                "vardeps": sorted(getattr(obj, "bb_vardeps", ())),
                "vardepsexclude": sorted(getattr(obj, "bb_vardepsexclude", ())),
            })
    return out


def listing():
    """JSON of every namespace module: {"module", "names", "functions": [...]}."""
    return json.dumps(_entries())
