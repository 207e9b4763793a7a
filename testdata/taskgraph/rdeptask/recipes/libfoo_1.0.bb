PACKAGES = "${PN} ${PN}-extra"
RDEPENDS:${PN}-extra = "libfoo"
