"""`bb.parse`: parse-time exceptions, dependency marks and function decorators."""

import os

import bb


class ParseError(Exception):
    """A metadata file could not be parsed."""

    def __init__(self, msg, filename, lineno=0):
        self.msg = msg
        self.filename = filename
        self.lineno = lineno
        Exception.__init__(self, msg, filename, lineno)

    def __str__(self):
        if self.lineno:
            return "ParseError at %s:%d: %s" % (self.filename, self.lineno, self.msg)
        return "ParseError in %s: %s" % (self.filename, self.msg)


class SkipRecipe(Exception):
    """Raised by metadata to skip the recipe being parsed."""


SkipPackage = SkipRecipe


def vars_from_file(mypkg, d):
    """(PN, PV, PR) from a recipe file name `PN_PV_PR.bb`; missing parts are None, and
    a file that is not a recipe gives (None, None, None)."""
    if not mypkg or not mypkg.endswith((".bb", ".bbappend")):
        return (None, None, None)
    stem = os.path.splitext(os.path.basename(mypkg))[0]
    parts = stem.split("_")
    if len(parts) > 3:
        raise ParseError("Unable to generate default variables from filename (too many underscores)", mypkg)
    return tuple(parts + [None] * (3 - len(parts)))


def cached_mtime_noerror(f):
    try:
        return os.stat(f).st_mtime
    except OSError:
        return 0


def mark_dependency(d, f):
    """Records that the parse of the recipe read file `f`."""
    if f.startswith("./"):
        f = "%s/%s" % (os.getcwd(), f[2:])
    deps = d.getVar("__depends", False) or ""
    if f not in deps.split("\n"):
        d.setVar("__depends", (deps + "\n" + f) if deps else f)


def check_dependency(d, f):
    deps = d.getVar("__depends", False) or ""
    return f in deps.split("\n")


def vardeps(*varnames):
    """Declares the variables a Python function depends on (for signatures)."""

    def decorator(func):
        func.bb_vardeps = set(varnames)
        return func

    return decorator


def vardepsexclude(*varnames):
    """Declares variables a Python function reads that signatures must ignore."""

    def decorator(func):
        func.bb_vardepsexclude = set(varnames)
        return func

    return decorator
