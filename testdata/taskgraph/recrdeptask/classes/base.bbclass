# Minimal task chain for the task-graph corpus: every task is a no-op shell
# function, so that the cases can also be built.

do_fetch() {
	:
}
addtask fetch

do_configure() {
	:
}
addtask configure after do_fetch

do_compile() {
	:
}
addtask compile after do_configure
do_compile[dirs] = "${B}"

do_install() {
	:
}
addtask install after do_compile

addtask build after do_install
do_build[noexec] = "1"
