SUMMARY = "A minimal /init for BusyBox images"
DESCRIPTION = "Mounts proc, sys and devtmpfs, runs the postinst scripts deferred to first boot and the start-up scripts /etc/init.d/S* in order, prints a marker line, then powers off (or starts a shell with tiny.shell on the kernel command line)."
LICENSE = "MIT"
SECTION = "base"

SRC_URI = "file://init"
S = "${UNPACKDIR}"

do_install () {
	install -d ${D}/dev ${D}/proc ${D}/sys ${D}/tmp ${D}/root ${D}${sysconfdir}/init.d
	install -m 0755 ${S}/init ${D}/init
	install -d ${D}${base_sbindir}
	ln -sf ../init ${D}${base_sbindir}/init
	chmod 1777 ${D}/tmp
	chmod 0700 ${D}/root
}

FILES:${PN} += "/init /dev /proc /sys /tmp /root"
RDEPENDS:${PN} = "busybox"
