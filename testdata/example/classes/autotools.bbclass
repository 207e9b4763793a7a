# Configure-and-make builds.

CONFIGUREOPTS = "--prefix=${prefix} --bindir=${bindir} --libdir=${libdir}"

autotools_do_configure() {
	${S}/configure ${CONFIGUREOPTS} ${EXTRA_OECONF}
}

autotools_do_install() {
	oe_runmake 'DESTDIR=${D}' install
}

EXPORT_FUNCTIONS do_configure do_install
