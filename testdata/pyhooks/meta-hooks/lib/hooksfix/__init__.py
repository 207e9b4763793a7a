"""The fixture layer's signature handler: BitBake's basic hash with hash equivalence,
named and registered on bb.siggen as oe-core's oe.sstatesig registers OEEquivHash (bake
computes task hashes for the handler names BitBake's and oe-core's classes have)."""

import bb.siggen


class HooksEquivHash(bb.siggen.SignatureGeneratorUniHashMixIn, bb.siggen.SignatureGeneratorBasicHash):
    name = "OEEquivHash"

    def init_rundepcheck(self, data):
        super().init_rundepcheck(data)
        self.server = data.getVar("BB_HASHSERVE")
        self.method = data.getVar("SSTATE_HASHEQUIV_METHOD")


bb.siggen.SignatureGeneratorOEEquivHash = HooksEquivHash
