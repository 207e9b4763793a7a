SUMMARY = "Metadata Python run by CPython"
LICENSE = "MIT"

PY_LIST = "zeta alpha, mu  beta"
PY_SORTED = "${@py_sorted_words(d, 'PY_LIST')}"
PY_JSON = "${@py_json_of(d, 'PN', 'PV')}"
PY_INLINE = "${@__import__('json').dumps(sorted(set('${PY_LIST}'.replace(',', ' ').split())))}"
PY_FORMAT = "${@'{:>8}|{:08.3f}'.format(d.getVar('PN'), 3.14159)}"

python () {
    import json, os, re
    data = json.loads('{"b": [2, 3], "a": {"x": 1}}')
    d.setVar("PY_ANON_KEYS", " ".join(sorted(data)))
    d.setVar("PY_ANON_BASENAME", os.path.basename(d.getVar("FILE")))
    m = re.match(r"(?P<name>[a-z]+)_(?P<ver>[0-9.]+)\.bb$", os.path.basename(d.getVar("FILE")))
    d.setVar("PY_ANON_MATCH", "%s-%s" % (m.group("name"), m.group("ver")))
    d.appendVar("PY_LIST", " omega")
    d.setVarFlag("PY_LIST", "doc", "a list, %d words" % len(d.getVar("PY_LIST").split()))
    total = 0
    for k, v in sorted(data.items()):
        total += len(v)
    d.setVar("PY_ANON_TOTAL", str(total))
}

python () {
    if d.getVar("PY_SKIP") == "1":
        raise bb.parse.SkipRecipe("asked to")
    d.setVar("PY_TASKS", " ".join(sorted(t for t in (d.getVar("__BBTASKS", False) or []))))
}

do_build() {
    echo ${PY_SORTED}
}
addtask build
