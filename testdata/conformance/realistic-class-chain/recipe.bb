SUMMARY = "A recipe using a class chain"
LICENSE = "MIT"
DEPENDS = "zlib"
PACKAGECONFIG ??= "ssl ${@bb.utils.filter('DISTRO_FEATURES', 'systemd x11', d)}"
PACKAGECONFIG[ssl] = "-DWITH_SSL=ON,-DWITH_SSL=OFF,openssl"
PACKAGECONFIG[systemd] = "-DWITH_SYSTEMD=ON,-DWITH_SYSTEMD=OFF,systemd"
PACKAGECONFIG[gtk] = "-DWITH_GTK=ON,-DWITH_GTK=OFF,gtk+3"
REQUIRED_DISTRO_FEATURES = "pam wayland"

inherit cmakeish features_check
inherit_defer ${EXTRA_CLASS}
EXTRA_CLASS = ""
EXTRA_CLASS:pn-recipe = "native"

EXTRA_OECMAKE = "-DBUILD_TESTS=OFF"
EXTRA_OECMAKE:append:class-native = " -DNATIVE=1"
EXTRA_OECMAKE:append:class-target = " -DTARGET=1"

do_install:append() {
	rm -rf ${D}/usr/share/doc
}

python do_report() {
    bb.plain("%s %s" % (d.getVar('PN'), d.getVar('PACKAGECONFIG')))
}
addtask report after do_compile
