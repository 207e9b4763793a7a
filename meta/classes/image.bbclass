# image.bbclass of the default `bake` layer: a root filesystem and image files from
# the package feed.
#
#   do_rootfs [recrdeptask] do_packagedata do_package_write_<format>
#     -> do_image -> do_image_complete -> do_build
#
# do_rootfs installs PACKAGE_INSTALL (IMAGE_INSTALL plus FEATURE_PACKAGES_<f> of
# each IMAGE_FEATURES word) and its Depends/Recommends closure from the feed of the
# first PACKAGE_CLASSES format (PACKAGE_EXCLUDE, BAD_RECOMMENDATIONS,
# NO_RECOMMENDATIONS honoured) into ${IMAGE_ROOTFS}, without a host package manager
# and without root (owners go to ${BAKE_ROOTFS_OWNERS}); postinst scripts run with
# $D set, a failing one is deferred to first boot (/etc/<format>-postinsts/).
# do_image writes each IMAGE_FSTYPES type (tar, tar.gz, tar.bz2, tar.zst, cpio,
# cpio.gz, ext2, ext3, ext4, jffs2) as ${IMAGE_NAME}.<type> with a ${IMAGE_LINK_NAME}.<type> link and the
# manifest beside them in ${IMGDEPLOYDIR}; do_image_complete deploys them to
# ${DEPLOY_DIR_IMAGE}.  `bake` implements the three Python tasks (bb-package).

LICENSE ?= "MIT"
PACKAGES = ""
IMAGE_INSTALL ?= ""
IMAGE_FEATURES ?= ""
FEATURE_INSTALL = "${@' '.join([d.getVar('FEATURE_PACKAGES_' + f) or '' for f in (d.getVar('IMAGE_FEATURES') or '').split()])}"
PACKAGE_INSTALL ?= "${IMAGE_INSTALL} ${FEATURE_INSTALL}"
RDEPENDS += "${PACKAGE_INSTALL}"
PACKAGE_EXCLUDE ??= ""
BAD_RECOMMENDATIONS ??= ""
NO_RECOMMENDATIONS ??= ""

IMAGE_ROOTFS = "${WORKDIR}/rootfs"
IMGDEPLOYDIR = "${WORKDIR}/deploy-${PN}-image-complete"
DEPLOY_DIR ?= "${TMPDIR}/deploy"
DEPLOY_DIR_IMAGE ?= "${DEPLOY_DIR}/images/${MACHINE}"
IMAGE_FSTYPES ??= "tar.gz"
IMAGE_BASENAME ?= "${PN}"
IMAGE_MACHINE_SUFFIX ??= "-${MACHINE}"
IMAGE_NAME_SUFFIX ??= ".rootfs"
IMAGE_LINK_NAME ?= "${IMAGE_BASENAME}${IMAGE_MACHINE_SUFFIX}${IMAGE_NAME_SUFFIX}"
IMAGE_VERSION_SUFFIX ?= "-${DATETIME}"
IMAGE_VERSION_SUFFIX[vardepsexclude] += "DATETIME"
IMAGE_NAME ?= "${IMAGE_LINK_NAME}${IMAGE_VERSION_SUFFIX}"
IMAGE_NAME[vardepsexclude] += "DATETIME"
IMAGE_OVERHEAD_FACTOR ?= "1.3"
IMAGE_ROOTFS_EXTRA_SPACE ?= "0"
# device nodes and owners added to the image: "PATH UID GID c|b MAJOR MINOR MODE;..."
IMAGE_DEVICE_NODES ??= ""
BAKE_ROOTFS_MANIFEST = "${WORKDIR}/rootfs.manifest"
BAKE_ROOTFS_OWNERS = "${WORKDIR}/rootfs.owners"

# an image has no packages of its own: image-nopackage drops the package tasks
# (deferred, so that it runs after base.bbclass's deferred PACKAGE_CLASSES)
inherit_defer image-nopackage
deltask do_populate_sysroot

addtask rootfs after do_prepare_recipe_sysroot
do_rootfs[dirs] = "${WORKDIR}"
do_rootfs[recrdeptask] += "do_packagedata"
do_rootfs[vardeps] += "PACKAGE_INSTALL PACKAGE_EXCLUDE BAD_RECOMMENDATIONS NO_RECOMMENDATIONS PACKAGE_CLASSES"
python do_rootfs () {
    bb.fatal("do_rootfs is implemented by bake (bb-package); BitBake needs openembedded-core's image.bbclass")
}

addtask image after do_rootfs
do_image[dirs] = "${WORKDIR}"
do_image[cleandirs] = "${IMGDEPLOYDIR}"
do_image[vardeps] += "IMAGE_FSTYPES SOURCE_DATE_EPOCH IMAGE_DEVICE_NODES"
python do_image () {
    bb.fatal("do_image is implemented by bake (bb-package)")
}

addtask image_complete after do_image before do_build
do_image_complete[dirs] = "${WORKDIR}"
python do_image_complete () {
    bb.fatal("do_image_complete is implemented by bake (bb-package)")
}
