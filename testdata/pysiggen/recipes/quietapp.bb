inherit quiet
DEPENDS = "libfoo"
RDEPENDS:${PN} = "tool"
