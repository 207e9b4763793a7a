# package.bbclass of the default `bake` layer: splitting ${D} into packages.
#
#   do_install -> do_package -> do_packagedata
#                  [deptask] do_packagedata (shlib providers of DEPENDS)
#
# do_package copies ${D} to ${PKGD}, splits the debug information of ELF files
# into .debug/ directories and strips them, splits ${PKGD} into one directory
# per package of PACKAGES under ${PKGDEST} (FILES:<pkg>, first match wins),
# adds shared-library dependencies (ELF NEEDED/SONAME) to RDEPENDS and the
# -dev/-dbg recommendation chains, runs the QA checks of ERROR_QA/WARN_QA and
# writes pkgdata to ${PKGDESTWORK}; do_packagedata copies that into
# ${PKGDATA_DIR}.  `bake` runs its own implementation of both Python tasks
# (bb-package); the bodies below only say so to BitBake, which needs
# openembedded-core's package.bbclass to package.
#
# Owners: a build without root cannot chown.  `bake_chown UID GID PATH...` in
# do_install records owners of files under ${D} in ${BAKE_OWNERS_FILE} (what
# pseudo's database is for BitBake); the package writers apply the record.

PKGD = "${WORKDIR}/package"
PKGDEST = "${WORKDIR}/packages-split"
PKGDESTWORK = "${WORKDIR}/pkgdata"
PKGDATA_DIR ?= "${TMPDIR}/pkgdata/${MACHINE}"
DEPLOY_DIR ?= "${TMPDIR}/deploy"
TUNE_PKGARCH ??= "${BUILD_ARCH}"
PACKAGE_ARCH ?= "${TUNE_PKGARCH}"
MACHINE_ARCH ?= "${@(d.getVar('MACHINE') or '').replace('-', '_')}"
PACKAGE_ARCHS ?= "all any noarch ${TUNE_PKGARCH} ${MACHINE_ARCH}"
# 2018-03-09 12:34:56 UTC, oe-core's REPRODUCIBLE_TIMESTAMP_ROOTFS: every time in
# packages and images
SOURCE_DATE_EPOCH ??= "1520598896"
MAINTAINER ??= "bake <bake@example.invalid>"
PRIORITY ??= "optional"
ERROR_QA ??= "installed-vs-shipped packages-list expanded-d"
WARN_QA ??= "files-invalid"
PKGDATA_VARS = "PN PE PV PR PKGE PKGV PKGR LICENSE DESCRIPTION SUMMARY RDEPENDS \
    RPROVIDES RRECOMMENDS RSUGGESTS RREPLACES RCONFLICTS SECTION PKG ALLOW_EMPTY \
    FILES CONFFILES FILES_INFO pkg_postinst pkg_postrm pkg_preinst pkg_prerm"
BAKE_OWNERS_FILE ??= "${WORKDIR}/pseudo/owners"
OBJCOPY ??= "objcopy"

do_install[cleandirs] += "${WORKDIR}/pseudo"

bake_chown() {
	uid=$1
	gid=$2
	shift 2
	mkdir -p $(dirname ${BAKE_OWNERS_FILE})
	for p in "$@"; do
		echo "${p#${D}} $uid $gid" >> ${BAKE_OWNERS_FILE}
	done
}

addtask package after do_install
do_package[dirs] = "${WORKDIR}"
do_package[deptask] = "do_packagedata"
do_package[vardeps] += "PACKAGES PKGDATA_VARS ERROR_QA WARN_QA"
python do_package () {
    bb.fatal("do_package is implemented by bake (bb-package); BitBake needs openembedded-core's package.bbclass")
}

addtask packagedata after do_package
do_packagedata[dirs] = "${WORKDIR}"
python do_packagedata () {
    bb.fatal("do_packagedata is implemented by bake (bb-package)")
}
