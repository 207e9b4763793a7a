# The standard task chain, reduced to what the example needs.

BB_DEFAULT_TASK ?= "build"

base_do_fetch() {
	echo "fetching ${SRC_URI}"
}

base_do_unpack() {
	mkdir -p ${S}
}

base_do_configure() {
	:
}

base_do_compile() {
	if [ -e Makefile ]; then
		oe_runmake
	fi
}

base_do_install() {
	:
}

oe_runmake() {
	make ${PARALLEL_MAKE} "$@"
}

python base_do_build() {
    bb.note("building %s" % d.getVar("PF"))
}

addtask fetch
addtask unpack after do_fetch
addtask configure after do_unpack
addtask compile after do_configure
addtask install after do_compile
addtask build after do_install

do_compile[dirs] = "${B}"
do_install[cleandirs] = "${D}"

EXPORT_FUNCTIONS do_fetch do_unpack do_configure do_compile do_install do_build
