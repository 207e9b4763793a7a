DEPENDS = "lib"
do_configure[noexec] = "1"
addtask lint after do_compile before do_install
do_lint() {
	echo lint > ${B}/lint.txt
}
do_lint[nostamp] = "1"
do_lint[dirs] = "${B}"
