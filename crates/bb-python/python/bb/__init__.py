"""bake's `bb` package: the part of BitBake's Python API that metadata uses.

Written for bake (MIT) from BitBake's documented behaviour; it shares no code with
BitBake's GPL-2.0-only lib/bb. Messages go to bake's console through `_bake.log`.
"""

import sys
from collections import namedtuple

import _bake

__version__ = "2.19.0"


# One task of BB_TASKDEPDATA.
TaskData = namedtuple("TaskData", ["pn", "taskname", "fn", "deps", "provides", "taskhash",
                                   "unihash", "hashfn", "taskhash_deps"])


class BBHandledException(Exception):
    """An error already reported to the user: the run fails without a traceback."""


def _text(args):
    return "".join(str(a) for a in args)


def plain(*args):
    _bake.log("PLAIN", _text(args))


def note(*args):
    _bake.log("NOTE", _text(args))


def verbnote(*args):
    _bake.log("NOTE", _text(args))


def debug(lvl, *args):
    if isinstance(lvl, str):
        args = (lvl,) + args
    _bake.log("DEBUG", _text(args))


def warn(*args):
    _bake.log("WARNING", _text(args))


def error(*args, **kwargs):
    _bake.log("ERROR", _text(args))


def erroronce(*args):
    error(*args)


def warnonce(*args):
    warn(*args)


def fatal(*args, **kwargs):
    text = _text(args)
    _bake.log("ERROR", text)
    raise BBHandledException(text)


def deprecated(func, name=None, advice=""):
    return func


def __getattr__(name):
    # Imported when first reached, as `from bb import multiprocessing` does.
    if name == "multiprocessing":
        import multiprocessing

        return multiprocessing
    if name == "fetch":
        import bb.fetch2

        sys.modules["bb.fetch"] = bb.fetch2
        return bb.fetch2
    if name in ("utils", "data", "data_smart", "event", "parse", "build", "fetch2",
                "process", "siggen", "runqueue", "filter", "msg", "progress", "compress"):
        import importlib

        return importlib.import_module("bb." + name)
    raise AttributeError("module 'bb' has no attribute '%s'" % name)
