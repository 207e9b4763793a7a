#!/usr/bin/env python3
"""Regenerates functions.expected from functions.cases: runs every case's function body with
CPython the way BitBake runs an anonymous function (compiled as `def NAME(d):` + body into
the shared metadata namespace, then called with the datastore), against a tiny datastore,
and records the outcome, the final datastore contents and the log.

Run from anywhere; needs python3 (3.11 was used) and checkouts of BitBake and OE-Core:
    BITBAKE_LIB=/work/ext/bitbake/lib OE_LIB=/work/ext/oe-core/meta/lib \
        python3 testdata/bb-pyexpr/gen_functions.py

The Rust test (crates/bb-pyexpr/tests/it/functions.rs) only reads the committed output.

Case file format: a case starts with `=== NAME` (`=== !NAME` when the crate is expected to
answer NeedsPython, which the generator still runs). Then lines `var NAME = VALUE`,
`flag NAME[FLAG] = VALUE`, `list NAME = ITEM ITEM...` (an internal list, as `__inherit_cache`)
and `list NAME[FLAG] = ...`; then `--- def` followed by metadata `def` functions (optional),
then `--- body` followed by the function body (indented). `\\n` in values is a newline.
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
import bb.build  # noqa: E402
import bb.data  # noqa: E402
import bb.parse  # noqa: E402
import bb.utils  # noqa: E402
import oe  # noqa: E402
import oe.data  # noqa: E402
import oe.packagegroup  # noqa: E402
import oe.path  # noqa: E402
import oe.types  # noqa: E402
import oe.utils  # noqa: E402

VAR_REF = re.compile(r"\$\{[a-zA-Z0-9\-_+./~:]+\}")

LOG = []


def logger(level):
    def log(*args, **kwargs):
        if level == "debug":
            if not isinstance(args[0], str):
                args = args[1:]
        LOG.append((level, "".join(args)))
        if level == "fatal":
            raise bb.BBHandledException()

    return log


for _level in ("note", "warn", "error", "debug", "plain", "verbnote", "warnonce", "erroronce", "fatal"):
    setattr(bb, _level, logger(_level))


class DataSmart:
    """The datastore of the Rust test (tests/it/store.rs), with the same semantics."""

    def __init__(self):
        self.vars = {}
        self.flags = {}
        self.lists = {}

    def expand(self, s, varname=None):
        if not isinstance(s, str):
            return s
        for _ in range(20):
            new = VAR_REF.sub(lambda m: self._get(m.group()[2:-1], m.group()), s)
            if new == s:
                break
            s = new
        return s

    def _get(self, name, default):
        v = self.vars.get(name)
        return v if isinstance(v, str) else default

    def getVar(self, var, expand=True, noweakdefault=False, parsing=False):
        if (var, None) in self.lists:
            return self.lists[(var, None)]
        v = self.vars.get(var)
        return self.expand(v) if (v is not None and expand) else v

    def getVarFlag(self, var, flag, expand=True, noweakdefault=False, parsing=False, retparser=False):
        if (var, flag) in self.lists:
            return self.lists[(var, flag)]
        v = self.flags.get(var, {}).get(flag)
        return self.expand(v) if (v is not None and expand) else v

    def getVarFlags(self, var, expand=False, internalflags=False):
        f = self.flags.get(var)
        return dict(f) if f else None

    def keys(self):
        return sorted(k for k, v in self.vars.items() if v is not None)

    def createCopy(self):
        c = DataSmart()
        c.vars = dict(self.vars)
        c.flags = {k: dict(v) for k, v in self.flags.items()}
        c.lists = dict(self.lists)
        return c

    def __iter__(self):
        # bake's DataSmart iterates over its sorted key list (BitBake's over a set).
        return iter(self.keys())

    def setVar(self, var, value, **loginfo):
        self.vars[var] = None if value is None else str(value)

    def appendVar(self, var, value, **loginfo):
        self.vars[var] = (self.vars.get(var) or "") + str(value)

    def prependVar(self, var, value, **loginfo):
        self.vars[var] = str(value) + (self.vars.get(var) or "")

    def delVar(self, var, **loginfo):
        self.vars.pop(var, None)
        self.flags.pop(var, None)

    def renameVar(self, key, newkey, **loginfo):
        if key in self.vars:
            self.vars[newkey] = self.vars.pop(key)
        if key in self.flags:
            self.flags[newkey] = self.flags.pop(key)

    def setVarFlag(self, var, flag, value, **loginfo):
        self.flags.setdefault(var, {})[flag] = None if value is None else str(value)

    def appendVarFlag(self, var, flag, value, **loginfo):
        old = self.flags.get(var, {}).get(flag) or ""
        self.flags.setdefault(var, {})[flag] = old + value

    def prependVarFlag(self, var, flag, value, **loginfo):
        old = self.flags.get(var, {}).get(flag) or ""
        self.flags.setdefault(var, {})[flag] = value + old

    def delVarFlag(self, var, flag, **loginfo):
        self.flags.get(var, {}).pop(flag, None)

    def __getitem__(self, item):
        value = self.getVar(item, False)
        if value is None:
            raise KeyError(item)
        return value

    def __setitem__(self, var, value):
        self.setVar(var, value)

    def __delitem__(self, var):
        self.delVar(var)

    def __contains__(self, var):
        return self.getVar(var, False) is not None


def unescape(s):
    return s.replace("\\n", "\n")


def escape(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def parse_cases(text):
    cases = []
    cur = None
    section = None
    for line in text.split("\n"):
        if line.startswith("=== "):
            cur = {"name": line[4:], "vars": [], "flags": [], "lists": [], "defs": [], "body": []}
            cases.append(cur)
            section = None
            continue
        if cur is None:
            continue
        if line == "--- def":
            section = "defs"
            continue
        if line == "--- body":
            section = "body"
            continue
        if section:
            cur[section].append(line)
            continue
        if line.startswith("var "):
            name, _, value = line[4:].partition(" = ")
            cur["vars"].append((name, unescape(value)))
        elif line.startswith("flag "):
            key, _, value = line[5:].partition(" = ")
            name, _, flag = key.partition("[")
            cur["flags"].append((name, flag.rstrip("]"), unescape(value)))
        elif line.startswith("list "):
            key, _, value = line[5:].partition(" = ")
            name, _, flag = key.partition("[")
            cur["lists"].append((name, flag.rstrip("]") or None, value.split()))
    return cases


def describe(e):
    if isinstance(e, bb.parse.SkipRecipe):
        return "exc", "%s: %s" % ("SkipRecipe", e)
    if isinstance(e, bb.BBHandledException):
        return "exc", "BBHandledException: %s" % (LOG[-1][1] if LOG and LOG[-1][0] == "fatal" else "")
    return "exc", "%s: %s" % (type(e).__name__, e)


def run(case):
    LOG.clear()
    d = DataSmart()
    for name, value in case["vars"]:
        d.vars[name] = value
    for name, flag, value in case["flags"]:
        d.flags.setdefault(name, {})[flag] = value
    for name, flag, items in case["lists"]:
        d.lists[(name, flag)] = items
    glob = {"__builtins__": builtins, "os": os, "bb": bb, "time": time, "sys": sys, "oe": oe}
    outcome = ("ok", "")
    try:
        if case["defs"]:
            src = "\n".join(case["defs"])
            # BitBake compiles each def block on its own; they share the namespace.
            blocks = re.split(r"\n(?=def )", src)
            for b in blocks:
                exec(compile(b, "<def>", "exec"), glob)
        text = "def __anon(d):\n" + "\n".join(case["body"]) + "\n"
        exec(compile(text, "<anon>", "exec"), glob)
        glob["__anon"](d)
    except SyntaxError as e:
        outcome = ("syntax", e.msg)
    except (Exception, SystemExit) as e:  # noqa: BLE001 (bb.msg.fatal exits)
        outcome = describe(e)
    out = ["%s\t%s" % (outcome[0], escape(outcome[1]))]
    for k in sorted(d.vars):
        v = d.vars[k]
        out.append("var\t%s\t%s" % (k, "<None>" if v is None else escape(v)))
    for k in sorted(d.flags):
        for f in sorted(d.flags[k]):
            v = d.flags[k][f]
            out.append("flag\t%s[%s]\t%s" % (k, f, "<None>" if v is None else escape(v)))
    for level, msg in LOG:
        out.append("log\t%s\t%s" % (level, escape(msg)))
    return out


def main():
    with open(os.path.join(HERE, "functions.cases")) as f:
        cases = parse_cases(f.read())
    lines = []
    for case in cases:
        lines.append("=== " + case["name"])
        lines.extend(run(case))
    with open(os.path.join(HERE, "functions.expected"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("%d cases" % len(cases))


if __name__ == "__main__":
    main()
