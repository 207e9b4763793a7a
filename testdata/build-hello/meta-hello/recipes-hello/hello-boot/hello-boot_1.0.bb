SUMMARY = "Start-up script that greets at boot with sayhello"
LICENSE = "MIT"

SRC_URI = "file://S90sayhello"
S = "${UNPACKDIR}"

do_install () {
	install -d ${D}${sysconfdir}/init.d
	install -m 0755 ${S}/S90sayhello ${D}${sysconfdir}/init.d/S90sayhello
	# group 100 ("users") without root: recorded, applied in the package and the images
	bake_chown 0 100 ${D}${sysconfdir}/init.d/S90sayhello
}

RDEPENDS:${PN} = "sayhello"
