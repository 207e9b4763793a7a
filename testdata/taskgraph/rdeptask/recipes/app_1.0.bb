PACKAGES = "${PN} ${PN}-dev"
DEPENDS = "builddep"
RDEPENDS:${PN} = "libfoo-extra (>= 1.0) runtime-x"
RDEPENDS:${PN}-dev = "devtool"
