addtask deploy after do_install before do_build
do_deploy() {
	:
}
