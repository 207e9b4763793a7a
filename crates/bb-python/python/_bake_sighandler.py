"""BB_SIGNATURE_HANDLER classes defined in Python, for bake's run queue (bake's own
module; bb-session's `pysiggen.rs` calls it).

`describe(d)` finds the class BB_SIGNATURE_HANDLER names the way BitBake's
`bb.siggen.init` does (the first class in `bb.siggen`'s namespace whose `name` is
the handler's, once every `addpylib` namespace and its BBIMPORTS are imported) and says,
for each method bake's hashing depends on, which class defines it and a digest of its
content. bake compares the digests with those of the releases of openembedded-core
whose rules it implements natively.

`rundep_edges(d)` calls the handler's `tasks_resolved` with the build's `virtual/*`
providers, then asks its `rundep_check` about every dependency edge of the build
(arguments in `__BAKE_SIGGEN_ARGS`, JSON) and answers the edges it drops.

The digest of a function is made of its tokens (comments, blank lines and the amount of
indentation left out, so that reformatting does not change it) and, by name, the digests
of the module-level functions it names, so that a helper replaced by another (a layer
assigning `oe.sstatesig.sstate_rundepfilter`) changes the digest of its callers.
`source_digest(text, qualname)` gives the same digest from a module's source text (how
bake's table of known values is made)."""

import ast
import collections
import hashlib
import inspect
import io
import json
import os
import textwrap
import tokenize

# The methods whose definitions bake looks at: the dependency rules, then those that
# compute hashes (which bake computes itself).
RULE_METHODS = ("rundep_check", "init_rundepcheck", "tasks_resolved")
HASH_METHODS = ("get_taskhash", "prep_taskhash", "get_unihash", "get_cached_unihash",
                "get_stampfile_hash", "stampfile")

ARGS_VAR = "__BAKE_SIGGEN_ARGS"


def _tokens(src):
    """The tokens of `src` (dedented) without comments and blank lines; indentation
    as markers; an f-string as its source text whichever tokenizer splits it."""
    src = textwrap.dedent(src)
    lines = src.splitlines(keepends=True)
    out = []
    fstart = None
    depth = 0
    fstring_start = getattr(tokenize, "FSTRING_START", None)
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if fstring_start is not None and tok.type == fstring_start:
            if depth == 0:
                fstart = tok.start
            depth += 1
            continue
        if depth:
            if tok.type == fstring_end:
                depth -= 1
                if depth == 0:
                    (l0, c0), (l1, c1) = fstart, tok.end
                    text = "".join(lines[l0 - 1:l1])
                    end = sum(len(x) for x in lines[l0 - 1:l1 - 1]) + c1
                    out.append(text[c0:end])
            continue
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER):
            continue
        if tok.type == tokenize.INDENT:
            out.append("<indent>")
        elif tok.type == tokenize.DEDENT:
            out.append("<dedent>")
        elif tok.type == tokenize.NEWLINE:
            out.append("<newline>")
        else:
            out.append(tok.string)
    return "\x00".join(out)


def _code_names(code):
    """The global and attribute names a code object and the code nested in it use."""
    names = set(code.co_names)
    for c in code.co_consts:
        if hasattr(c, "co_names"):
            names |= _code_names(c)
    return names


def _names(src, code=None):
    """The names `src` uses (candidates for module-level functions it calls): from
    `code`, the function's code object, or from `src` compiled."""
    if code is None:
        module = compile(textwrap.dedent(src), "<digest>", "exec")
        code = next(c for c in module.co_consts if hasattr(c, "co_names"))
    return sorted(_code_names(code))


def _digest(src, resolve, seen, code=None):
    """sha256 of `src`'s tokens and, by name, of the functions `resolve(name)` finds
    (their source, and how to resolve their own names); `code`: `src`'s code object."""
    h = hashlib.sha256(_tokens(src).encode("utf-8"))
    for name in _names(src, code):
        found = resolve(name)
        if found is None:
            continue
        key, fsrc, fresolve, fcode = found
        if key in seen:
            h.update(("\x01%s=<recursive>" % name).encode("utf-8"))
            continue
        digest = _digest(fsrc, fresolve, seen | {key}, fcode)
        h.update(("\x01%s=%s" % (name, digest)).encode("utf-8"))
    return h.hexdigest()


def _function_source(fn):
    """Source of a Python function, or None (a builtin, code without a file)."""
    fn = inspect.unwrap(fn)
    if not inspect.isfunction(fn):
        return None
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return None


def _resolver(fn):
    """Resolves names in `fn`'s module namespace to the functions defined there."""
    glb = getattr(fn, "__globals__", {})

    def resolve(name):
        obj = glb.get(name)
        if obj is None or not inspect.isfunction(obj):
            return None
        src = _function_source(obj)
        if src is None:
            return None
        return (id(obj), src, _resolver(obj), inspect.unwrap(obj).__code__)

    return resolve


def function_digest(fn):
    """The digest of a live function (see the module's text), or None without source."""
    src = _function_source(fn)
    if src is None:
        return None
    fn = inspect.unwrap(fn)
    return _digest(src, _resolver(fn), frozenset({id(fn)}), fn.__code__)


def source_digest(text, qualname):
    """The digest of function `qualname` (`func` or `Class.method`) of the module whose
    source is `text`, as `function_digest` gives it for that module loaded."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    top = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}

    def src_of(node):
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])
        return "".join(lines[start - 1:node.end_lineno])

    def resolve(name):
        node = top.get(name)
        if node is None:
            return None
        return (name, src_of(node), resolve, None)

    if "." in qualname:
        cls, meth = qualname.split(".", 1)
        node = next(n for n in classes[cls].body
                    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == meth)
    else:
        node = top[qualname]
    return _digest(src_of(node), resolve, frozenset({qualname}))


def _handler_class(d):
    """BB_SIGNATURE_HANDLER's class as `bb.siggen.init` finds it, or None."""
    import _bake_runtime
    import bb.siggen

    _bake_runtime.import_all_pylibs()
    wanted = d.getVar("BB_SIGNATURE_HANDLER") or "noop"
    for obj in list(vars(bb.siggen).values()):
        if isinstance(obj, type) and issubclass(obj, bb.siggen.SignatureGenerator) \
                and obj.name == wanted:
            return obj
    return None


def _where(obj):
    try:
        return "%s:%d" % (inspect.getsourcefile(obj), inspect.getsourcelines(obj)[1])
    except (OSError, TypeError):
        return ""


def _is_bakes(fn):
    """Whether `fn` is bake's own code (its `bb.siggen`), not the metadata's."""
    code = getattr(inspect.unwrap(fn), "__code__", None)
    return code is not None and code.co_filename == "<bake>/bb/siggen.py"


def describe(d):
    """JSON: {"found": False, "available": [names]} or {"found": True, "class":
    "module.Class", "methods": {name: [definition, ...]}} where the definitions of each
    method of RULE_METHODS and HASH_METHODS are listed along the class's MRO (the first
    is the one called; `super()` reaches the others), each {"owner": "module.Class",
    "bake": bake's own code, "digest": hex or None, "where":
    "file:line"}."""
    import bb.siggen

    cls = _handler_class(d)
    if cls is None:
        names = sorted({o.name for o in list(vars(bb.siggen).values())
                        if isinstance(o, type) and issubclass(o, bb.siggen.SignatureGenerator)})
        return json.dumps({"found": False, "available": names})
    methods = {}
    for meth in RULE_METHODS + HASH_METHODS:
        defs = []
        for owner in cls.__mro__:
            fn = vars(owner).get(meth)
            if fn is None:
                continue
            defs.append({
                "owner": "%s.%s" % (owner.__module__, owner.__qualname__),
                "bake": _is_bakes(fn),
                "digest": None if _is_bakes(fn) else function_digest(fn),
                "where": _where(fn),
            })
        if defs:
            methods[meth] = defs
    return json.dumps({"found": True, "class": "%s.%s" % (cls.__module__, cls.__qualname__),
                       "methods": methods, "files": _module_files()})


def _module_files():
    """The source files of the modules loaded outside Python's own library (the
    metadata's `addpylib` namespaces and what they import): the answer of `describe`
    holds while none of them changes (bake keeps it with the parse cache)."""
    import sys
    import sysconfig

    own = tuple(os.path.join(p, "") for p in {sysconfig.get_paths()[k]
                                              for k in ("stdlib", "platstdlib")})
    files = set()
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None)
        if isinstance(f, str) and os.path.isabs(f) and not f.startswith(own) \
                and os.path.isfile(f):
            files.add(f)
    return sorted(files)


class _CacheData:
    """What BitBake's `bb.cache` keeps of the recipes of one multiconfig, as signature
    handlers read it (`dataCaches[mc].inherits[fn]` and the like)."""

    def __init__(self, recipes):
        self.pkg_fn = {}
        self.pkg_pn = {}
        self.pkg_pepvpr = {}
        self.inherits = {}
        self.rundeps = collections.defaultdict(lambda: collections.defaultdict(list))
        self.runrecs = collections.defaultdict(lambda: collections.defaultdict(list))
        self.packages = {}
        self.packages_dynamic = {}
        self.rproviders = {}
        self.fn_provides = {}
        self.pn_provides = {}
        self.deps = {}
        self.stamp = {}
        self.basetaskhash = {}
        self.task_deps = {}
        for r in recipes:
            fn, pn = r["fn"], r["pn"]
            self.pkg_fn[fn] = pn
            self.pkg_pn.setdefault(pn, []).append(fn)
            self.pkg_pepvpr[fn] = (r["pe"], r["pv"], r["pr"])
            self.inherits[fn] = list(r["inherits"] or [])
            for k, v in (r["rundeps"] or {}).items():
                self.rundeps[fn][k] = list(v)
            for k, v in (r["runrecs"] or {}).items():
                self.runrecs[fn][k] = list(v)
            for p in r["packages"] or []:
                self.packages.setdefault(p, []).append(fn)
            for p in r["packages_dynamic"] or []:
                self.packages_dynamic.setdefault(p, []).append(fn)
            for p in r["rprovides"] or []:
                self.rproviders.setdefault(p, []).append(fn)
            self.fn_provides[fn] = list(r["provides"] or [])
            self.pn_provides.setdefault(pn, [])
            for p in r["provides"] or []:
                if p not in self.pn_provides[pn]:
                    self.pn_provides[pn].append(p)
            self.deps[fn] = list(r["depends"] or [])
            self.stamp[fn] = r["stamp"]
            for task, h in r["basehashes"].items():
                self.basetaskhash[fn + ":" + task] = h
            self.task_deps[fn] = {"tasks": list(r["basehashes"])}


def rundep_edges(d):
    """Calls the handler's `rundep_check(fn, recipename, task, dep, depname, dataCaches)`
    for every edge in `__BAKE_SIGGEN_ARGS` ({"recipes": [...], "tasks": [[recipe index,
    task], ...], "edges": [[task index, dependency index], ...], "virtmap": {virtual/*
    name: recipe file}}), after `tasks_resolved`; JSON answer: the indexes of the edges
    it drops."""
    import bb.siggen

    args = json.loads(d.getVar(ARGS_VAR, False) or "{}")
    siggen = bb.siggen._main_siggen(d)
    recipes = args["recipes"]
    caches = {"": _CacheData(recipes)}
    if hasattr(siggen, "setup_datacache"):
        siggen.setup_datacache(caches)
    # As BitBake's run queue once the providers are known, before any hash: the
    # `virtual/*` names the build resolved, to their recipe files and to their PNs.
    if hasattr(siggen, "tasks_resolved"):
        virtmap = args.get("virtmap", {})
        virtpnmap = {v: caches[""].pkg_fn[f] for v, f in virtmap.items()}
        siggen.tasks_resolved(virtmap, virtpnmap, caches[""])
    tasks = args["tasks"]
    tids = [recipes[r]["fn"] + ":" + t for r, t in tasks]
    check = siggen.rundep_check
    dropped = []
    for n, (i, j) in enumerate(args["edges"]):
        ri, task = tasks[i]
        rj = tasks[j][0]
        if not check(recipes[ri]["fn"], recipes[ri]["pn"], task, tids[j], recipes[rj]["pn"], caches):
            dropped.append(n)
    return json.dumps(dropped)
