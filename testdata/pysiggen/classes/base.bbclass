do_compile() {
	echo compiling ${PN}
}
addtask compile
do_compile[deptask] = "do_install"

do_install() {
	echo installing ${PN}
}
addtask install after do_compile

do_build() {
	:
}
do_build[noexec] = "1"
addtask build after do_install
do_build[rdeptask] = "do_install"
