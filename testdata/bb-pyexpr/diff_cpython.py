"""CPython side of the `pyexpr-diff` example (crates/bb-pyexpr/examples/pyexpr-diff.rs),
which runs this file as one `python3` process per batch.

Reads `NUMBER<TAB>ESCAPED-EXPRESSION` lines on stdin and writes one line per expression on
stdout: `NUMBER<TAB>KIND<TAB>ESCAPED-TEXT`, KIND being `ok` (the `str()` of the value), `exc` (`Class: message`),
`syntax` (`<1 if unterminated string else 0> message`) or `resource` (CPython ran out of its
memory limit, its recursion limit or its time limit; the case says nothing about us).

Every expression is evaluated as BitBake's `better_eval` does, in a datastore holding the same
variables as the fuzz target `pyexpr` (`expand` returns its input). The process is
constrained: a memory limit, an alarm per case, a working directory of its own, and
`os`/`bb`/`oe` behind proxies that refuse whatever writes files or starts processes (fuzzed
text is not trusted).
"""

import builtins
import io
import os
import re
import resource
import signal
import sys
import time
import types

LIB_DIRS = sys.argv[1:]
sys.path[0:0] = LIB_DIRS
sys.setrecursionlimit(3000)

try:
    import bb  # noqa: E402
    import bb.utils  # noqa: E402
    import bb.fetch2  # noqa: E402
except Exception:  # BitBake is optional: without it `bb.*` is a NameError
    bb = None
try:
    import oe  # noqa: E402
    import oe.path  # noqa: E402
    import oe.types  # noqa: E402
    import oe.utils  # noqa: E402
    import oe.license  # noqa: E402
    import oe.kernel  # noqa: E402
except Exception:
    oe = None

# Helpers that current OE-Core dropped and the crate still provides (as gen_expected.py).
if oe is not None and not hasattr(oe.utils, "any_distro_features"):
    def any_distro_features(d, features, truevalue="1", falsevalue=""):
        return bb.utils.contains_any("DISTRO_FEATURES", features, truevalue, falsevalue, d)

    def all_distro_features(d, features, truevalue="1", falsevalue=""):
        return bb.utils.contains("DISTRO_FEATURES", features, truevalue, falsevalue, d)

    oe.utils.any_distro_features = any_distro_features
    oe.utils.all_distro_features = all_distro_features
if oe is not None and not hasattr(oe.utils, "prune_suffix"):
    def prune_suffix(var, suffixes, d):
        # Each listed suffix the value ends with (in order) goes, then MLPREFIX.
        for suffix in suffixes:
            if suffix and var.endswith(suffix):
                var = var[: -len(suffix)]
        prefix = d.getVar("MLPREFIX")
        if prefix and var.startswith(prefix):
            var = var[len(prefix):]
        return var

    oe.utils.prune_suffix = prune_suffix

DENY = re.compile(
    r"remove|prunedir|mkdir|move|copy|rename|symlink|link|lock|write|exec|system|spawn|kill|"
    r"chmod|chown|rmdir|fork|popen|process|signal|touch|edit|temp|open|chdir|putenv|"
    r"unsetenv|setuid|setgid|sleep|download|unpack|umask|mknod|truncate|utime",
    re.I,
)


class Proxy:
    """A module seen through a deny list (names matching DENY raise AttributeError)."""

    def __init__(self, module):
        object.__setattr__(self, "_m", module)

    def __getattr__(self, name):
        if DENY.search(name):
            raise AttributeError("module %r has no attribute %r" % (self._m.__name__, name))
        value = getattr(self._m, name)
        if isinstance(value, types.ModuleType):
            return Proxy(value)
        return value

    def __setattr__(self, name, value):
        raise AttributeError("read-only")


OS_ALLOWED = {
    "path", "sep", "pathsep", "linesep", "curdir", "pardir", "extsep", "altsep", "name",
    "devnull", "environ", "getcwd", "fspath", "fsencode", "fsdecode", "cpu_count",
}


class OsProxy(Proxy):
    def __getattr__(self, name):
        if name not in OS_ALLOWED:
            raise AttributeError("module 'os' has no attribute %r" % name)
        return Proxy.__getattr__(self, name)


SAFE_BUILTINS = {
    k: v
    for k, v in vars(builtins).items()
    if k not in ("open", "__import__", "exec", "eval", "compile", "input", "breakpoint",
                 "exit", "quit", "help", "globals", "locals", "vars", "memoryview")
}

VARS = {
    "PN": "foo",
    "DISTRO_FEATURES": "systemd x11 pam",
    "BB_GLOBAL_PYMODULES": "os sys time",
    "EMPTY": "",
}


class DataSmart:
    def expand(self, s, varname=None):
        return s

    def getVar(self, var, expand=True, noweakdefault=False, parsing=False):
        return VARS.get(var)

    def __getitem__(self, item):
        value = self.getVar(item, False)
        if value is None:
            raise KeyError(item)
        return value

    def getVarFlag(self, var, flag, expand=True, noweakdefault=False, parsing=False,
                   retparser=False):
        return None


class DataContext(dict):
    excluded = set([i for i in dir(builtins) if not i.startswith("_")] + ["oe"])

    def __init__(self, metadata, context):
        self.metadata = metadata
        dict.__init__(self)
        self["d"] = metadata
        self.context = set(context)

    def __missing__(self, key):
        if key in self.excluded or key in self.context:
            raise KeyError(key)
        value = self.metadata.getVar(key)
        if value is None:
            raise KeyError(key)
        return value


def escape(s):
    return (s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
            .replace("\r", "\\r").replace("\0", "\\0"))


def unescape(s):
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            out.append({"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


class Timeout(BaseException):
    pass


def on_alarm(signum, frame):
    raise Timeout()


def evaluate(code):
    d = DataSmart()
    context = {"__builtins__": SAFE_BUILTINS, "os": OsProxy(os), "time": time, "d": d}
    if bb is not None:
        context["bb"] = Proxy(bb)
    if oe is not None:
        context["oe"] = Proxy(oe)
    try:
        obj = compile(code.strip(), "<expansion>", "eval")
    except SyntaxError as e:
        unterminated = e.msg.startswith("unterminated string literal")
        return "syntax", "%d %s" % (unterminated, e.msg)
    except (MemoryError, RecursionError) as e:
        return "resource", type(e).__name__
    except Exception as e:  # e.g. ValueError for NUL bytes
        return "exc", "%s: %s" % (type(e).__name__, e)
    try:
        value = eval(obj, context, DataContext(d, context))
        return "ok", str(value)
    except (MemoryError, RecursionError) as e:
        return "resource", type(e).__name__
    except Exception as e:
        try:
            return "exc", "%s: %s" % (type(e).__name__, e)
        except Exception as e2:
            return "exc", "%s: <unprintable: %s>" % (type(e).__name__, type(e2).__name__)


def main():
    limit = 3 << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGALRM, on_alarm)
    out = sys.stdout.buffer
    # What the cases print (`print()` is a builtin) must not reach the protocol.
    sys.stdout = io.StringIO()
    for raw in sys.stdin.buffer:
        number, _, line = raw.decode("utf-8", "surrogateescape").rstrip("\n").partition("\t")
        code = unescape(line)
        signal.alarm(3)
        try:
            kind, text = evaluate(code)
        except Timeout:
            kind, text = "resource", "timeout"
        except BaseException as e:  # SystemExit and the like from odd code
            kind, text = "resource", type(e).__name__
        finally:
            signal.alarm(0)
            sys.stdout = io.StringIO()
        try:
            line = "%s\t%s\t%s\n" % (number, kind, escape(text))
        except MemoryError:
            line = "%s\tresource\tMemoryError\n" % number
        out.write(line.encode("utf-8", "backslashreplace"))
        out.flush()


if __name__ == "__main__":
    main()
