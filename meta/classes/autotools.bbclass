# GNU autotools builds: ${S}/configure run from a separate build directory
# ${B}, for the host toolchain; headers and libraries of build dependencies
# come from ${RECIPE_SYSROOT} through CPPFLAGS/LDFLAGS.  A source tree
# without a configure script is bootstrapped with autoreconf first.

B = "${WORKDIR}/build"
EXTRA_OECONF ??= ""
CONFIGUREOPTS = "--build=${BUILD_SYS} --host=${HOST_SYS} --prefix=${prefix} \
    --exec_prefix=${exec_prefix} --bindir=${bindir} --sbindir=${sbindir} \
    --libdir=${libdir} --includedir=${includedir} --datadir=${datadir} \
    --mandir=${mandir} --infodir=${infodir} --sysconfdir=${sysconfdir} \
    --localstatedir=${localstatedir}"
PARALLEL_MAKEINST ?= "${PARALLEL_MAKE}"

do_configure[cleandirs] = "${@d.getVar('B') if d.getVar('B') != d.getVar('S') else ''}"

autotools_do_configure() {
	if [ ! -x ${S}/configure ]; then
		( cd ${S} && autoreconf -fi ) || die "autoreconf failed"
	fi
	${S}/configure ${CONFIGUREOPTS} ${EXTRA_OECONF} "$@" || die "configure failed (see ${B}/config.log)"
}

autotools_do_compile() {
	oe_runmake ${PARALLEL_MAKE}
}

autotools_do_install() {
	oe_runmake ${PARALLEL_MAKEINST} 'DESTDIR=${D}' install
	# libtool archives point at build paths: not wanted in the sysroot
	find ${D}${libdir} -name '*.la' -delete 2>/dev/null || true
}

EXPORT_FUNCTIONS do_configure do_compile do_install
