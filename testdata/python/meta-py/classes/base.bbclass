# The base class of the metadata-Python fixture: a def function, event handlers and a
# helper module from the layer's lib/ (added with addpylib).

def py_sorted_words(d, var):
    import re
    words = re.split(r"[\s,]+", (d.getVar(var) or "").strip())
    return " ".join(sorted(w for w in words if w))

def py_json_of(d, *names):
    import json
    return json.dumps({n: d.getVar(n) for n in names}, sort_keys=True)

addhandler py_config_handler
py_config_handler[eventmask] = "bb.event.ConfigParsed"
python py_config_handler() {
    import json, os
    info = {"event": bb.event.getName(e), "tmpdir_is_abs": os.path.isabs(d.getVar("TMPDIR"))}
    d.setVar("PY_CONFIG_EVENT", json.dumps(info, sort_keys=True))
}

addhandler py_recipe_handler
py_recipe_handler[eventmask] = "bb.event.RecipeParsed bb.event.RecipePreFinalise"
python py_recipe_handler() {
    from collections import OrderedDict
    seen = OrderedDict.fromkeys((d.getVar("PY_EVENTS") or "").split())
    seen[bb.event.getName(e)] = None
    d.setVar("PY_EVENTS", " ".join(seen))
}

PY_HELPER = "${@pyfix.helpers.shout(d.getVar('PN'))}"
PY_HELPER_COUNT = "${@str(pyfix.helpers.count_words(d, 'PY_LIST'))}"
