SUMMARY = "Zlib compression library"
LICENSE = "Zlib"
SRC_URI = "file://zlib_${PV}.dfsg.orig.tar.bz2"
S = "${WORKDIR}/zlib-${PV}"

FILES:${PN}-dev += "${libdir}/pkgconfig"

do_configure() {
	./configure --prefix=${prefix} --libdir=${libdir}
}

do_install() {
	oe_runmake DESTDIR=${D} install
}
