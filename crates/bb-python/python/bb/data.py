"""`bb.data`: module-level helpers over a datastore."""

import bb
from bb.data_smart import DataSmart, ExpansionError


def init():
    """An empty datastore."""
    return DataSmart()


def init_db(parent=None):
    return parent.createCopy() if parent is not None else DataSmart()


def createCopy(source):
    return source.createCopy()


def setVar(var, value, d):
    d.setVar(var, value)


def getVar(var, d, exp=False):
    return d.getVar(var, exp)


def delVar(var, d):
    d.delVar(var)


def expand(s, d, varname=None):
    return d.expand(s, varname)


def expandKeys(alterdata, readdata=None):
    """Renames every variable whose name holds `${...}` to its expansion."""
    if readdata is None:
        readdata = alterdata
    todo = {}
    for key in alterdata.keys():
        if "${" not in key:
            continue
        ekey = readdata.expand(key)
        if key != ekey:
            todo[key] = ekey
    for key in sorted(todo):
        alterdata.renameVar(key, todo[key])


def update_data(d):
    """Nothing to do: bake's datastore applies overrides when it is read."""


def inherits_class(klass, d):
    """Whether the recipe inherited `klass` (classes/KLASS.bbclass in any class
    directory)."""
    val = d.getVar("__inherit_cache", False) or []
    if isinstance(val, str):
        val = val.split()
    needle = "/%s.bbclass" % klass
    for v in val:
        if v.endswith(needle):
            return True
    return False
