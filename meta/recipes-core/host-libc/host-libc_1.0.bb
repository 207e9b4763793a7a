SUMMARY = "The build host's C library, for images of programs built with the host toolchain"
DESCRIPTION = "bake's default layer builds with the host's compiler, so its programs link against the host's glibc. This recipe packages the run-time parts of that library (the dynamic loader, libc, libm) from the paths the host compiler reports, as an external-toolchain layer would."
LICENSE = "LGPL-2.1-or-later"
SECTION = "libs"

HOST_LIBC_LIBS ?= "libc.so.6 libm.so.6"

do_install () {
	libdir_host=$(dirname $(readlink -f $(${CC} -print-file-name=libc.so.6)))
	install -d ${D}${base_libdir}/$(basename $libdir_host)
	for l in ${HOST_LIBC_LIBS}; do
		install -m 0755 $(readlink -f $libdir_host/$l) ${D}${base_libdir}/$(basename $libdir_host)/$l
	done
	# the program interpreter, at the path programs name it
	interp=$(readelf -l $(command -v sh) | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	install -d ${D}$(dirname $interp)
	install -m 0755 $(readlink -f $interp) ${D}$interp
}

FILES:${PN} = "/"
INSANE_SKIP:${PN} += "installed-vs-shipped"
INHIBIT_PACKAGE_STRIP = "1"
