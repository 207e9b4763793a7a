"""`bb.siggen`: the signature generator base classes that Python signature handlers
(openembedded-core's `oe.sstatesig`) derive from. bake computes task hashes in Rust
(bb-siggen); in a task, `bb.parse.siggen` is an instance of BB_SIGNATURE_HANDLER's class
that knows the hashes of BB_TASKDEPDATA and reports output hashes to the hash
equivalence server (`report_unihash`, through bake's client: the `hashserv` service).

`_bake_hashcheck` and `_bake_depvalid` call the metadata's BB_HASHCHECK_FUNCTION and
BB_SETSCENE_DEPVALID for bake's run queue, with BitBake's arguments."""

import json
import os

import _bake
import bb


class SignatureGenerator:
    name = "noop"
    supports_multiconfig_datacaches = False

    def __init__(self, data):
        self.basehash = {}
        self.taskhash = {}
        self.unihash = {}
        self.runtaskdeps = {}
        self.file_checksum_values = {}
        self.taints = {}
        self.unitaskhashes = {}
        self.tidtopn = {}
        self.setscenetasks = set()

    def finalise(self, fn, d, varient):
        return

    def postparsing_clean_cache(self):
        return

    def setup_datacache(self, datacaches):
        self.datacaches = datacaches

    def tasks_resolved(self, virtmap, virtpnmap, dataCache):
        """Called once the build's providers are known: `virtual/*` names to recipe
        files and to PNs."""

    def setup_datacache_from_datastore(self, mcfn, d):
        pass

    def get_unihash(self, tid):
        return self.unihash.get(tid) or self.taskhash[tid]

    def set_unihash(self, tid, unihash):
        self.unihash[tid] = unihash

    def stampfile_base(self, mcfn):
        return mcfn

    def get_taskhash(self, tid, deps, dataCaches):
        self.taskhash[tid] = ""
        return self.taskhash[tid]

    def set_setscene_tasks(self, setscene_tasks):
        self.setscenetasks = set(setscene_tasks)

    def dump_sigtask(self, mcfn, task, stampbase, runtime):
        return

    def invalidate_task(self, task, mcfn):
        pass

    def dump_sigs(self, dataCache, options):
        return

    def get_taskdata(self):
        return (self.runtaskdeps, self.taskhash, self.unihash, self.file_checksum_values,
                self.taints, self.basehash, self.unitaskhashes, self.tidtopn, self.setscenetasks)

    def set_taskdata(self, data):
        (self.runtaskdeps, self.taskhash, self.unihash, self.file_checksum_values,
         self.taints, self.basehash, self.unitaskhashes, self.tidtopn, self.setscenetasks) = data

    def reset(self, data):
        self.__init__(data)

    def exit(self):
        return


class SignatureGeneratorBasic(SignatureGenerator):
    name = "basic"

    def __init__(self, data):
        super().__init__(data)
        self.basehash_ignore_vars = set((data.getVar("BB_BASEHASH_IGNORE_VARS") or "").split())
        self.taskhash_ignore_tasks = None
        self.init_rundepcheck(data)

    def init_rundepcheck(self, data):
        import re

        self.taskhash_ignore_tasks = data.getVar("BB_TASKHASH_IGNORE_TASKS") or None
        self.twl = re.compile(self.taskhash_ignore_tasks) if self.taskhash_ignore_tasks else None

    def rundep_check(self, fn, recipename, task, dep, depname, dataCaches):
        """Whether the edge counts in the task's hash (bake applies this rule natively;
        a subclass may call it): edges to recipes BB_TASKHASH_IGNORE_TASKS matches are
        dropped, unless the recipe itself matches."""
        return not (self.twl and not self.twl.search(recipename) and self.twl.search(depname))


class SignatureGeneratorBasicHash(SignatureGeneratorBasic):
    name = "basichash"


class SignatureGeneratorUniHashMixIn:
    """Hash equivalence: unihashes from the run queue, output hashes reported."""

    def __init__(self, data):
        self.extramethod = {}
        self.server = None
        self.method = None
        super().__init__(data)

    def _server(self, d):
        server = (self.server or d.getVar("BB_HASHSERVE") or "").strip()
        if server == "auto":
            # bake starts this server for the build (a TCP port only when this path is
            # too long for a unix socket, which a task cannot know).
            sock = os.path.join(d.getVar("TOPDIR") or "", "hashserve.sock")
            if len(sock) >= 100:
                bb.fatal("bake's automatic hash equivalence server listens on a TCP port "
                         "because %s is too long for a socket; a task cannot reach it: "
                         "set BB_HASHSERVE to a server's address" % sock)
            server = "unix://" + sock
        return server

    def report_unihash(self, path, task, d):
        """The output hash of `task` (its output in `path`), computed with
        SSTATE_HASHEQUIV_METHOD, reported to the server; BB_UNIHASH becomes the
        unihash the server answers (an earlier task's when the outputs are equal)."""
        import importlib

        taskhash = d.getVar("BB_TASKHASH")
        unihash = d.getVar("BB_UNIHASH", False)
        mcfn = d.getVar("BB_FILENAME")
        tid = mcfn + ":do_" + task
        if self.setscenetasks and tid not in self.setscenetasks:
            return
        tempdir = d.getVar("T")
        name = "depsig.do_%s.%d" % (task, os.getpid())
        link = os.path.join(tempdir, "depsig.do_%s" % task)
        method = self.method or d.getVar("SSTATE_HASHEQUIV_METHOD")
        if not method:
            bb.fatal("report_unihash needs SSTATE_HASHEQUIV_METHOD")
        sigfile = open(os.path.join(tempdir, name), "w+b")
        try:
            if "." in method:
                module, attr = method.rsplit(".", 1)
                fn = getattr(importlib.import_module(module), attr)
                outhash = fn(path, sigfile, task, d)
            else:
                outhash = bb.utils.better_eval(method + "(path, sigfile, task, d)",
                                               {"path": path, "sigfile": sigfile, "task": task, "d": d})
            extra = {}
            owner = d.getVar("SSTATE_HASHEQUIV_OWNER")
            if owner:
                extra["owner"] = owner
            if d.getVar("SSTATE_HASHEQUIV_REPORT_TASKDATA") == "1":
                sigfile.seek(0)
                extra["PN"] = d.getVar("PN")
                extra["PV"] = d.getVar("PV")
                extra["PR"] = d.getVar("PR")
                extra["task"] = task
                extra["outhash_siginfo"] = sigfile.read().decode("utf-8")
            server = self._server(d)
            try:
                new = _bake.service("hashserv", d, ["report", server, taskhash,
                                                    method + self.extramethod.get(tid, ""),
                                                    outhash, unihash, json.dumps(extra)])
            except RuntimeError as e:
                bb.warn("Error contacting Hash Equivalence Server %s: %s" % (server, e))
                return
            if new != unihash:
                bb.debug(1, "Task %s unihash changed %s -> %s by server %s" % (taskhash, unihash, new, server))
                self.set_unihash(tid, new)
                d.setVar("BB_UNIHASH", new)
            else:
                bb.debug(1, "Reported task %s as unihash %s to %s" % (taskhash, unihash, server))
        finally:
            sigfile.close()
            bb.utils.remove(link)
            try:
                os.symlink(name, link)
            except OSError:
                pass


class _UniHash(SignatureGeneratorUniHashMixIn, SignatureGeneratorBasicHash):
    """A task's generator when BB_SIGNATURE_HANDLER names no class known here but a
    hash server is set: output hashes are still reported."""

    name = "bake-unihash"


def dump_this_task(outfile, d):
    """Writes the signature data of the task under way to `outfile` (the `.siginfo`
    beside an sstate object), as bake's `-S` writes it."""
    task = "do_" + (d.getVar("BB_CURRENTTASK") or "")
    _bake.service("siginfo", d, [outfile, task, d.getVar("BB_TASKHASH") or ""])


def _siggen_for(d):
    """An instance of BB_SIGNATURE_HANDLER's class (a Python signature handler of the
    metadata, such as oe-core's OEEquivHash, or one of these), as `bb.siggen.init`."""
    wanted = d.getVar("BB_SIGNATURE_HANDLER") or "noop"
    classes = [o for o in list(globals().values())
               if isinstance(o, type) and issubclass(o, SignatureGenerator) and o.name == wanted]
    if classes:
        try:
            return classes[0](d)
        except bb.BBHandledException:
            raise
        except Exception as e:
            text = "Cannot set up signature handler %s: %s: %s" % (wanted, type(e).__name__, e)
            bb.error(text)
            raise bb.BBHandledException(text)
    siggen = _UniHash(d) if d.getVar("BB_HASHSERVE") else SignatureGeneratorBasicHash(d)
    siggen.name = wanted
    return siggen


def _worker_siggen(d, fn, task):
    """`bb.parse.siggen` of a task: BB_SIGNATURE_HANDLER's class with the task hashes
    and unihashes of BB_TASKDEPDATA, and the task's own (BB_TASKHASH, BB_UNIHASH, as
    the run queue gave them)."""
    siggen = _siggen_for(d)
    for tid, entry in (d.getVar("BB_TASKDEPDATA", False) or {}).items():
        siggen.taskhash[tid] = entry.taskhash
        siggen.unihash[tid] = entry.unihash
    own = fn + ":" + (task[:-len("_setscene")] if task.endswith("_setscene") else task)
    siggen.taskhash[own] = d.getVar("BB_TASKHASH")
    siggen.unihash[own] = d.getVar("BB_UNIHASH")
    return siggen


def _main_siggen(d):
    """`bb.parse.siggen` of bake's own process (the hooks reach it), made once."""
    import bb.parse

    if getattr(bb.parse, "siggen", None) is None:
        # BitBake has imported every addpylib namespace by now (oe.sstatesig registers
        # its classes on import); bake imports them on first use.
        import _bake_runtime

        _bake_runtime.import_all_pylibs()
        bb.parse.siggen = _siggen_for(d)
    return bb.parse.siggen


def _bake_args(d):
    return json.loads(d.getVar("__BAKE_HOOK_ARGS", False) or "{}")


def _bake_hashcheck(d, func):
    """BB_HASHCHECK_FUNCTION `func` as BitBake's run queue calls it; the answer (JSON):
    the tids found and the lines it printed with `bb.plain`."""
    args = _bake_args(d)
    _main_siggen(d)
    printed = []
    saved = bb.plain

    def plain(*a):
        printed.append("".join(str(x) for x in a))

    bb.plain = plain
    try:
        found = bb.utils.better_eval(
            func + "(sq_data, d, siginfo=siginfo, currentcount=currentcount, summary=summary)",
            {"sq_data": args["sq_data"], "d": d, "siginfo": False,
             "currentcount": args["currentcount"], "summary": args["summary"]})
    except Exception:
        _hook_failed("BB_HASHCHECK_FUNCTION", func)
        raise
    finally:
        bb.plain = saved
    return json.dumps({"found": sorted(found or ()), "plain": printed})


def _bake_depvalid(d, func):
    """BB_SETSCENE_DEPVALID `func` as BitBake's run queue calls it: True when the
    setscene task can be left out."""
    args = _bake_args(d)
    _main_siggen(d)
    try:
        valid = bb.utils.better_eval(func + "(task, taskdata, notneeded, d)",
                                     {"task": args["task"], "taskdata": args["taskdata"],
                                      "notneeded": set(args["notneeded"]), "d": d})
    except Exception:
        _hook_failed("BB_SETSCENE_DEPVALID", func)
        raise
    return json.dumps(bool(valid))


def _hook_failed(var, func):
    import traceback

    bb.error("%s function %s failed:\n%s" % (var, func, traceback.format_exc()))


def find_siginfo(pn, taskname, taskhashlist, d):
    return {}


find_siginfo_version = 1


def init(d):
    return SignatureGeneratorBasicHash(d)
