"""`bb.data_smart`: the datastore class (bake's Rust datastore) and its errors."""

import os

import _bake

DataSmart = _bake.DataSmart
ExpansionError = _bake.ExpansionError


class OrigEnv:
    """`d.getVar("BB_ORIGENV")`: the environment bake was started with."""

    def getVar(self, var, expand=True):
        return os.environ.get(var)

    def keys(self):
        return list(os.environ.keys())

    def __iter__(self):
        return iter(os.environ)
