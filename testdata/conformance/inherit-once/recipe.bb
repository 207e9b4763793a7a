inherit once
inherit once other
EMPTYCLS = ""
inherit ${EMPTYCLS}
CACHE = "${@' '.join(x.split('/')[-1] for x in d.getVar('__inherit_cache', False))}"
