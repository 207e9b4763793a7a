SUMMARY = "Tiny versions of many common UNIX utilities in a single small executable"
DESCRIPTION = "BusyBox combines tiny versions of many common UNIX utilities into a single small executable. Built statically, with the small applet set of files/tiny.config."
HOMEPAGE = "https://www.busybox.net"
LICENSE = "GPL-2.0-only"
SECTION = "base"

# Debian's copy of the upstream tarball (byte-identical), found through PREMIRRORS.
SRC_URI = "http://deb.debian.org/debian/pool/main/b/busybox/busybox_${PV}.orig.tar.bz2 \
           file://tiny.config"
SRC_URI[sha256sum] = "faeeb244c35a348a334f4a59e44626ee870fb07b6884d68c10ae8bc19f83a694"
S = "${UNPACKDIR}/busybox-${PV}"

# Kbuild: no CFLAGS/LDFLAGS on the make command line (they would replace its own).
EXTRA_OEMAKE = "CC='${CC}' HOSTCC=gcc V=1 SKIP_STRIP=y"
# no build time or path in the binary (reproducible)
export KCONFIG_NOTIMESTAMP = "1"
export SOURCE_DATE_EPOCH

do_configure () {
	oe_runmake allnoconfig
	# turn on the options of tiny.config, then let Kconfig settle the rest
	for opt in $(grep -o '^CONFIG_[A-Z0-9_]*' ${UNPACKDIR}/tiny.config); do
		sed -i -e "/^$opt=/d" -e "/^# $opt is not set/d" .config
	done
	cat ${UNPACKDIR}/tiny.config >> .config
	yes "" | oe_runmake oldconfig >/dev/null
}

do_compile () {
	oe_runmake busybox
}

do_install () {
	oe_runmake CONFIG_PREFIX=${D} install
}
