do_build() {
	:
}
do_build[noexec] = "1"
addtask build
