"""`bb.siggen`: the signature generator base classes that Python signature handlers
(openembedded-core's `oe.sstatesig`) derive from. bake computes signatures in Rust
(bb-siggen); these classes exist so that such modules import and can be inspected."""

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

    def setup_datacache_from_datastore(self, mcfn, d):
        pass

    def get_unihash(self, tid):
        return self.taskhash[tid]

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
        self.taskhash_ignore_tasks = data.getVar("BB_TASKHASH_IGNORE_TASKS") or None

    def rundep_check(self, fn, recipename, task, dep, depname, dataCaches):
        return True


class SignatureGeneratorBasicHash(SignatureGeneratorBasic):
    name = "basichash"


class SignatureGeneratorUniHashMixIn:
    def __init__(self, data):
        self.extramethod = {}
        super().__init__(data)


def dump_this_task(outfile, d):
    pass


def find_siginfo(pn, taskname, taskhashlist, d):
    return {}


find_siginfo_version = 1


def init(d):
    return SignatureGeneratorBasicHash(d)
