# Plain Makefile builds with the host compiler.  The Makefile gets the
# toolchain and flags (pointing at ${RECIPE_SYSROOT}) on the make command
# line, and installs with DESTDIR=${D} and PREFIX=${prefix}.

EXTRA_OEMAKE ?= "'CC=${CC}' 'CFLAGS=${CFLAGS}' 'CPPFLAGS=${CPPFLAGS}' 'LDFLAGS=${LDFLAGS}' 'AR=${AR}' 'PREFIX=${prefix}'"
PARALLEL_MAKEINST ?= "${PARALLEL_MAKE}"
EXTRA_OEMAKE_INSTALL ?= "'DESTDIR=${D}'"

make_do_configure() {
	:
}

make_do_compile() {
	oe_runmake ${PARALLEL_MAKE}
}

make_do_install() {
	oe_runmake ${PARALLEL_MAKEINST} ${EXTRA_OEMAKE_INSTALL} install
}

EXPORT_FUNCTIONS do_configure do_compile do_install
