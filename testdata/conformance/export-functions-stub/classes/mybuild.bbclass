mybuild_do_compile() {
	oe_runmake
}
python mybuild_do_configure() {
    bb.note("configure")
}
do_compile[dirs] = "${B}"
EXPORT_FUNCTIONS do_compile do_configure
