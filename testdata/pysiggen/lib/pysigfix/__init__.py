"""Signature handlers of the fixture layer, registered on bb.siggen as oe-core's
oe.sstatesig registers its classes (BitBake's bb.siggen.init finds them by `name`)."""

import bb.runqueue
import bb.siggen


class PysigDropTool(bb.siggen.SignatureGeneratorBasicHash):
    """basichash, but the tasks of `tool` never count in other recipes' hashes, and
    recipes inheriting `quiet` count no other recipe's tasks."""

    name = "PysigDropTool"

    def rundep_check(self, fn, recipename, task, dep, depname, dataCaches):
        if depname == "tool" and recipename != depname:
            return False
        mc, _ = bb.runqueue.split_mc(fn)
        if "/quiet.bbclass" in " ".join(dataCaches[mc].inherits[fn]) and recipename != depname:
            return False
        return super().rundep_check(fn, recipename, task, dep, depname, dataCaches)


class PysigOEEquivHash(bb.siggen.SignatureGeneratorBasicHash):
    """A layer's own rules under openembedded-core's name: a recipe's hashes leave out
    the recipes its packages RDEPEND on (dataCaches' rundeps)."""

    name = "OEEquivHash"

    def rundep_check(self, fn, recipename, task, dep, depname, dataCaches):
        mc, _ = bb.runqueue.split_mc(fn)
        rdeps = set()
        for names in dataCaches[mc].rundeps[fn].values():
            rdeps.update(names)
        depfn = bb.runqueue.fn_from_tid(dep)
        if dataCaches[mc].pkg_fn[depfn] in rdeps:
            return False
        return True


class PysigOwnHash(bb.siggen.SignatureGeneratorBasicHash):
    """Computes task hashes itself, which bake cannot call."""

    name = "PysigOwnHash"

    def get_taskhash(self, tid, deps, dataCaches):
        return "0" * 64


class PysigVirtual(bb.siggen.SignatureGeneratorBasicHash):
    """basichash, but the recipe that provides `virtual/tool` (as BitBake's run queue
    tells `tasks_resolved`: a recipe file in virtmap, its PN in virtpnmap) never counts
    in other recipes' hashes."""

    name = "PysigVirtual"
    dropped = frozenset()

    def tasks_resolved(self, virtmap, virtpnmap, dataCache):
        fn = virtmap.get("virtual/tool", "")
        if fn.endswith("/tool.bb") and dataCache.pkg_fn[fn] == virtpnmap["virtual/tool"]:
            self.dropped = frozenset([virtpnmap["virtual/tool"]])

    def rundep_check(self, fn, recipename, task, dep, depname, dataCaches):
        if depname in self.dropped and recipename != depname:
            return False
        return super().rundep_check(fn, recipename, task, dep, depname, dataCaches)


bb.siggen.PysigDropTool = PysigDropTool
bb.siggen.PysigVirtual = PysigVirtual
bb.siggen.SignatureGeneratorOEEquivHash = PysigOEEquivHash
bb.siggen.PysigOwnHash = PysigOwnHash
