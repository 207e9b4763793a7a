fakeroot do_install() {
	install -d x
}
python fakeroot do_pyfake() {
    pass
}
fakeroot python do_pyfake2() {
    pass
}
do_redef() {
	echo shell
}
python do_redef2() {
    pass
}
do_redef2() {
	echo now shell
}
SHOW = "install:${@d.getVarFlag('do_install','fakeroot')} pyfake:${@d.getVarFlag('do_pyfake','fakeroot')}/${@d.getVarFlag('do_pyfake','python')} pyfake2:${@d.getVarFlag('do_pyfake2','fakeroot')}/${@d.getVarFlag('do_pyfake2','python')} redef2:${@d.getVarFlag('do_redef2','python')}"
LINES = "${@d.getVarFlag('do_install','lineno')} ${@d.getVarFlag('do_redef2','lineno')}"
