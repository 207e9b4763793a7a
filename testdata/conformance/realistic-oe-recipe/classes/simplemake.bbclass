EXTRA_OEMAKE = "CC='${CC}' CFLAGS='${CFLAGS}' PREFIX=${prefix}"
EXTRA_OEMAKE:append:armv7a = " ARCH=arm"

simplemake_do_configure() {
	if [ -e ${S}/configure ]; then
		${S}/configure --prefix=${prefix}
	fi
}

simplemake_do_compile() {
	oe_runmake all
}

simplemake_do_install() {
	oe_runmake install DESTDIR=${D}
}

EXPORT_FUNCTIONS do_configure do_compile do_install
