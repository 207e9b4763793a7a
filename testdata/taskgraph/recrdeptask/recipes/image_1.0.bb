# the whole closure of DEPENDS, RDEPENDS and [depends] gets do_install and
# (where it exists) do_deploy
RDEPENDS:${PN} = "app"
addtask rootfs after do_install before do_build
do_rootfs() {
	:
}
do_rootfs[recrdeptask] = "do_install do_deploy"

# self-referencing recursion, as do_build[recrdeptask] = "do_build" does
addtask world
do_world() {
	:
}
do_world[recrdeptask] = "do_world do_compile"
