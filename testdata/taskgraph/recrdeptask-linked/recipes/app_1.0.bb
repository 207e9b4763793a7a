DEPENDS = "lib"
RDEPENDS:${PN} = "lib2"
do_compile[depends] = "tool:do_install"
addtask world
do_world() {
	:
}
