# DEPENDS loop: only a problem through [deptask]
DEPENDS = "e"
do_configure[deptask] = "do_install"
