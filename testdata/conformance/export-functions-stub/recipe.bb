B = "/build"
inherit mybuild
SHOW = "${@d.getVarFlag('mybuild_do_compile', 'dirs')}"
