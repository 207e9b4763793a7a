DEPENDS = "d"
do_configure[deptask] = "do_install"
