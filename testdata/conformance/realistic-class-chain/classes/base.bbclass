addtask configure
addtask compile after do_configure
addtask install after do_compile
addtask build after do_install
do_build[noexec] = "1"
base_do_configure() {
	:
}
base_do_compile() {
	:
}
base_do_install() {
	:
}
EXPORT_FUNCTIONS do_configure do_compile do_install
