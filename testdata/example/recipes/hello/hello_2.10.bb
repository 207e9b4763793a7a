SUMMARY = "GNU Hello, the friendly greeter"
LICENSE = "GPL-3.0-or-later"
SRC_URI = "file://hello_${PV}.orig.tar.gz"
SRC_URI[sha256sum] = "31e066137a962676e89f69d1b65382de95a7ef7d914b8cb956f41ea72e0f516b"

inherit autotools

EXTRA_OECONF += "--disable-nls"
CFLAGS:append = " -DHELLO_EXAMPLE"
CFLAGS:append:qemux86-64 = " -march=x86-64"

do_install:append() {
	rm -rf ${D}${datadir}/info
}

python () {
    d.setVar('HELLO_ANON', 'set by anonymous python')
    d.appendVar('EXTRA_OECONF', ' --without-libiconv-prefix')
}
