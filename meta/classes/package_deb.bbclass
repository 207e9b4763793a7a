# package_deb.bbclass of the default `bake` layer: do_package_write_deb writes every
# package of the recipe (those pkgdata marks as packaged) as a .deb into
# ${DEPLOY_DIR_DEB}/<PACKAGE_ARCH>/, deterministically (SOURCE_DATE_EPOCH, sorted
# entries, owners from ${BAKE_OWNERS_FILE}).  PACKAGE_CLASSES picks this class;
# an image built with it as the first of PACKAGE_CLASSES installs from that feed.
# `bake` implements the Python task (bb-package).

inherit package

DEPLOY_DIR_DEB ?= "${DEPLOY_DIR}/deb"

addtask package_write_deb after do_packagedata do_package
do_package_write_deb[dirs] = "${WORKDIR}"
# the runtime dependencies' pkgdata (and, through do_rootfs[recrdeptask], their packages)
do_package_write_deb[rdeptask] = "do_packagedata"
do_package_write_deb[vardeps] += "MAINTAINER PRIORITY PACKAGE_ARCH SOURCE_DATE_EPOCH"
python do_package_write_deb () {
    bb.fatal("do_package_write_deb is implemented by bake (bb-package)")
}

do_rootfs[recrdeptask] += "do_package_write_deb"
