DEPENDS = "tool libfoo"
PACKAGES = "app"
RDEPENDS:app = "libfoo"
