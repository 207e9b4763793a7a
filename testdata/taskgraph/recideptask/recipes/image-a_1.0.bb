inherit collect
DEPENDS = "lib"
# also look through do_prepare's dependencies
do_collect[recideptask] = "do_prepare"
