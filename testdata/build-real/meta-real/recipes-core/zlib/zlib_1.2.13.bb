SUMMARY = "zlib compression library, from Debian's repack of the 1.2.13 release"
LICENSE = "Zlib"

SRC_URI = "https://deb.debian.org/debian/pool/main/z/zlib/zlib_${PV}.dfsg.orig.tar.bz2"
SRC_URI[sha256sum] = "71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1"
S = "${UNPACKDIR}/zlib-${PV}.dfsg"

inherit make

# zlib's own configure script (not autoconf) records CC/CFLAGS/LDFLAGS from
# the environment in the Makefile, so make gets no overrides.
EXTRA_OEMAKE = ""

do_configure() {
	./configure --prefix=${prefix} --libdir=${libdir} --includedir=${includedir}
}
