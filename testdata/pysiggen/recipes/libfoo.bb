DEPENDS = "tool"
PACKAGES = "libfoo libfoo-dev"
