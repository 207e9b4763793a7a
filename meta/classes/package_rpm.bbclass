# package_rpm.bbclass of the default `bake` layer: do_package_write_rpm writes every
# package of the recipe (those pkgdata marks as packaged) as a .rpm into
# ${DEPLOY_DIR_RPM}/<PACKAGE_ARCH>/, deterministically (SOURCE_DATE_EPOCH, sorted
# entries, owners from ${BAKE_OWNERS_FILE}).  PACKAGE_CLASSES picks this class;
# an image built with it as the first of PACKAGE_CLASSES installs from that feed.
# `bake` implements the Python task (bb-package).

inherit package

DEPLOY_DIR_RPM ?= "${DEPLOY_DIR}/rpm"

addtask package_write_rpm after do_packagedata do_package
do_package_write_rpm[dirs] = "${WORKDIR}"
# the runtime dependencies' pkgdata (and, through do_rootfs[recrdeptask], their packages)
do_package_write_rpm[rdeptask] = "do_packagedata"
do_package_write_rpm[vardeps] += "MAINTAINER PRIORITY PACKAGE_ARCH SOURCE_DATE_EPOCH"
python do_package_write_rpm () {
    bb.fatal("do_package_write_rpm is implemented by bake (bb-package)")
}

do_rootfs[recrdeptask] += "do_package_write_rpm"
