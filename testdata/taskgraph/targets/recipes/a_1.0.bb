DEPENDS = "b"
do_configure[deptask] = "do_install"
addtask extra after do_fetch
do_extra() {
	:
}
