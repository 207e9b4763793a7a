RDEPENDS:${PN} = "ghost-rt"
