SUMMARY = "GNU Hello, the friendly greeter"
PV = "2.4"
LICENSE = "GPL-3.0-or-later"
SECTION = "examples"
SRC_URI = "https://ftp.gnu.org/gnu/hello/hello-${PV}.tar.gz"
DEPENDS = "gettext-native"
DEPENDS:append:class-target = " virtual/libc"
RDEPENDS:${PN} = "libc"

inherit simplemake

EXTRA_OEMAKE += "V=1"
CFLAGS:append = " -DHELLO"
FILES:${PN} += "${datadir}/hello"
PACKAGES:remove = "${PN}-locale"

do_install:append() {
	install -d ${D}${docdir}/${BPN}
	install -m 0644 ${S}/README ${D}${docdir}/${BPN}/
}

python do_greet() {
    bb.plain("Hello from %s" % d.getVar('PF'))
}
addtask greet after do_compile before do_install
do_greet[nostamp] = "1"
