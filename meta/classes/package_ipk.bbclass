# package_ipk.bbclass of the default `bake` layer: do_package_write_ipk writes every
# package of the recipe (those pkgdata marks as packaged) as a .ipk into
# ${DEPLOY_DIR_IPK}/<PACKAGE_ARCH>/, deterministically (SOURCE_DATE_EPOCH, sorted
# entries, owners from ${BAKE_OWNERS_FILE}).  PACKAGE_CLASSES picks this class;
# an image built with it as the first of PACKAGE_CLASSES installs from that feed.
# `bake` implements the Python task (bb-package).

inherit package

DEPLOY_DIR_IPK ?= "${DEPLOY_DIR}/ipk"

addtask package_write_ipk after do_packagedata do_package
do_package_write_ipk[dirs] = "${WORKDIR}"
# the runtime dependencies' pkgdata (and, through do_rootfs[recrdeptask], their packages)
do_package_write_ipk[rdeptask] = "do_packagedata"
do_package_write_ipk[vardeps] += "MAINTAINER PRIORITY PACKAGE_ARCH SOURCE_DATE_EPOCH"
python do_package_write_ipk () {
    bb.fatal("do_package_write_ipk is implemented by bake (bb-package)")
}

do_rootfs[recrdeptask] += "do_package_write_ipk"
