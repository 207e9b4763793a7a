SUMMARY = "An example recipe"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

inherit autotools pkgconfig
inherit_defer ${@'native' if d.getVar('X') else ''}
require example.inc

SRC_URI = "https://example.org/${BP}.tar.gz"
SRC_URI[sha256sum] = "ffff"

do_configure:prepend() {
	echo "before configure"
	if [ -n "${X}" ]; then
		echo }
	fi
}

fakeroot do_install() {
	install -d ${D}${bindir}
}

python do_report () {
    bb.note("report for %s" % d.getVar('PN'))
}

python () {
    if d.getVar('FOO'):
        d.appendVar('DEPENDS', ' bar')
}

python __anonymous () {
    pass
}

def example_helper(d):
    return d.getVar('PN')

EXTRA_OECONF = "${@example_helper(d)}"

addtask report after do_compile before do_install # report it
addtask do_fetch2 do_patch2
deltask do_patch2
