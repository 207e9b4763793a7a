# core-image.bbclass of the default `bake` layer: an image with BusyBox and
# tiny-init (an init that mounts the kernel file systems, runs deferred postinst
# scripts and the start-up scripts /etc/init.d/S*).  Add packages with
# CORE_IMAGE_EXTRA_INSTALL or IMAGE_INSTALL:append.

CORE_IMAGE_BASE_INSTALL ?= "busybox tiny-init"
CORE_IMAGE_EXTRA_INSTALL ?= ""
IMAGE_INSTALL ?= "${CORE_IMAGE_BASE_INSTALL} ${CORE_IMAGE_EXTRA_INSTALL}"

inherit image
