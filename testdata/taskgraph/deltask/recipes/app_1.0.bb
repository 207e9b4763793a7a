# deltask does not re-link: do_compile loses its predecessor.
deltask do_configure

# deltask expands its argument
DROP = "lint"
do_lint() {
	:
}
addtask lint after do_fetch before do_build
deltask ${DROP}

# unknown task and empty expansion: harmless
deltask do_nosuch
NOTHING = ""
deltask ${NOTHING}

# a task whose successor is deleted keeps running in its own place
addtask check after do_compile before do_package
do_check() {
	:
}
addtask package after do_install before do_build
do_package() {
	:
}
deltask package
