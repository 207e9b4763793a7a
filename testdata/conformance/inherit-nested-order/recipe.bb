ORDER = "recipe"
inherit outer
CACHE = "${@' '.join(x.split('/')[-1] for x in d.getVar('__inherit_cache', False))}"
