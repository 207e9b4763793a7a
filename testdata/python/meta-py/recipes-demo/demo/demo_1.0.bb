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

# Values stored from Python keep their type, from one anonymous function to the next,
# through createCopy() and in expansions made after the parse; -e prints their str().
python () {
    d.setVar("TYPED_INT", 5)
    d.setVar("TYPED_LIST", ["b", "a"])
    d.setVar("TYPED_DICT", {"k": [1, 2]})
    d.setVarFlag("TYPED_INT", "doc", 7)
}

python () {
    n = d.getVar("TYPED_INT")
    names = d.getVar("TYPED_LIST")
    kinds = [type(v).__name__ for v in (n, names, d.getVar("TYPED_DICT"), d.getVarFlag("TYPED_INT", "doc"))]
    d.setVar("TYPED_SEEN", "%s %d" % (" ".join(kinds), n + len(names)))
    d.setVar("TYPED_COPY", type(d.createCopy().getVar("TYPED_DICT")).__name__)
}

TYPED_LATE = "${@type(d.getVar('TYPED_LIST')).__name__}:${@d.getVar('TYPED_INT') + 1}"
