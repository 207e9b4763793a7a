# [depends] on tasks of other recipes, by PN, by a virtual name, by a
# provided name; none of them is in DEPENDS.
do_compile[depends] = "tool:do_install virtual/gen:do_configure"
do_install[depends] += "virtual/tool:do_compile data:do_fetch"
DEPS_TASK = "do_build"
do_configure[depends] = "data:${DEPS_TASK}"
