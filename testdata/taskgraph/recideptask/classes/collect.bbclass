# do_collect gathers do_install of everything the recipe needs; do_prepare is
# a side task whose [depends] are not ancestors of do_collect.
addtask prepare
do_prepare() {
	:
}
do_prepare[depends] = "tool:do_fetch"
addtask collect after do_install before do_build
do_collect() {
	:
}
