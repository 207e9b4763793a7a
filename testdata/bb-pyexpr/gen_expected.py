#!/usr/bin/env python3
"""Regenerates differential.expected from differential.cases by evaluating every case with
CPython the way BitBake's data_smart.py does (better_eval with a DataContext).

Run from anywhere; needs python3 (3.11 was used) and checkouts of BitBake and OE-Core:
    BITBAKE_LIB=/work/ext/bitbake/lib OE_LIB=/work/ext/oe-core/meta/lib \
        python3 testdata/bb-pyexpr/gen_expected.py

The Rust test (crates/bb-pyexpr/tests/it/differential.rs) only reads the committed output.
"""

import builtins
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[0:0] = [
    os.environ.get("BITBAKE_LIB", "/work/ext/bitbake/lib"),
    os.environ.get("OE_LIB", "/work/ext/oe-core/meta/lib"),
]

import bb  # noqa: E402
import bb.utils  # noqa: E402
import oe  # noqa: E402
import oe.path  # noqa: E402
import oe.types  # noqa: E402
import oe.utils  # noqa: E402
import bb.fetch2  # noqa: E402
import oe.license  # noqa: E402
import oe.kernel  # noqa: E402

# Helpers removed from current OE-Core that the crate still provides.
if not hasattr(oe.utils, "any_distro_features"):
    def any_distro_features(d, features, truevalue="1", falsevalue=""):
        return bb.utils.contains_any("DISTRO_FEATURES", features, truevalue, falsevalue, d)

    def all_distro_features(d, features, truevalue="1", falsevalue=""):
        return bb.utils.contains("DISTRO_FEATURES", features, truevalue, falsevalue, d)

    oe.utils.any_distro_features = any_distro_features
    oe.utils.all_distro_features = all_distro_features

VAR_REF = re.compile(r"\$\{[a-zA-Z0-9\-_+./~:]+\}")


class DataSmart:
    """A tiny datastore with the same semantics as the Rust test's context."""

    def __init__(self, variables, flags):
        self.variables = variables
        self.flags = flags

    def expand(self, s, varname=None):
        if not isinstance(s, str):
            return s
        for _ in range(20):
            new = VAR_REF.sub(lambda m: self.variables.get(m.group()[2:-1], m.group()), s)
            if new == s:
                break
            s = new
        return s

    def getVar(self, var, expand=True, noweakdefault=False, parsing=False):
        v = self.variables.get(var)
        return self.expand(v) if (v is not None and expand) else v

    def __getitem__(self, item):
        value = self.getVar(item, False)
        if value is None:
            raise KeyError(item)
        return value

    def getVarFlag(self, var, flag, expand=True, noweakdefault=False, parsing=False, retparser=False):
        v = self.flags.get((var, flag))
        return self.expand(v) if (v is not None and expand) else v


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
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


def evaluate(code, d):
    context = {"os": os, "bb": bb, "time": time, "oe": oe, "d": d}
    try:
        obj = compile(code.strip(), "<expansion>", "eval")
    except SyntaxError as e:
        unterminated = e.msg.startswith("unterminated string literal")
        return "syntax", "%d %s" % (unterminated, e.msg)
    except Exception as e:  # e.g. ValueError for NUL bytes
        return "exc", "%s: %s" % (type(e).__name__, e)
    try:
        value = eval(obj, context, DataContext(d, context))
        return "ok", str(value)
    except Exception as e:
        return "exc", "%s: %s" % (type(e).__name__, e)


def main():
    variables = {}
    flags = {}
    out = []
    with open(os.path.join(HERE, "differential.cases"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("var "):
            name, _, value = line[4:].partition(" = ")
            variables[name] = value.replace("\\n", "\n")
            continue
        if line.startswith("flag "):
            key, _, value = line[5:].partition(" = ")
            name, _, flag = key.partition("[")
            flags[(name, flag.rstrip("]"))] = value
            continue
        code = line[1:] if line[:1] in ("!", "~") else line
        kind, payload = evaluate(code, DataSmart(dict(variables), dict(flags)))
        out.append("expr\t%s\n%s\t%s\n" % (escape(line), kind, escape(payload)))
    with open(os.path.join(HERE, "differential.expected"), "w", encoding="utf-8") as f:
        f.write("".join(out))


if __name__ == "__main__":
    main()
