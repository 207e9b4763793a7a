# The functions of the modules of every addpylib namespace (each namespace's BBIMPORTS),
# as signatures see them: for each public callable defined in its module's own file, its
# source lines, first line number, the text of every call in it (for bake's own reference
# finder) and its bb_vardeps / bb_vardepsexclude attributes. Run by bb-siggen through
# the embedded interpreter; the result is JSON in `result`.
import ast
import importlib
import inspect
import json
import textwrap

import _bake_runtime


def _call_texts(src):
    try:
        tree = ast.parse(textwrap.dedent(src))
    except SyntaxError:
        return None
    return [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Call)]


def _modules():
    _bake_runtime.import_all_pylibs()
    for ns, pkg in list(dict.items(_bake_runtime.context)):
        if not hasattr(pkg, "__path__"):
            continue
        for sub in getattr(pkg, "BBIMPORTS", []):
            yield ns + "." + sub, importlib.import_module(ns + "." + sub)


def _entries():
    out = []
    for prefix, mod in _modules():
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
            functions.append({
                "name": name,
                "source": src,
                "lineno": lineno,
                "calls": _call_texts(src),
                "vardeps": sorted(getattr(obj, "bb_vardeps", ())),
                "vardepsexclude": sorted(getattr(obj, "bb_vardepsexclude", ())),
            })
    return out


result = json.dumps(_entries())
