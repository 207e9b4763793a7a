SUMMARY = "A tiny image: BusyBox and an init that runs the image's start-up scripts"
DESCRIPTION = "Boots as an initramfs (cpio.gz) with rdinit=/init."
LICENSE = "MIT"

inherit core-image

IMAGE_FSTYPES ?= "cpio.gz tar.gz"
IMAGE_DEVICE_NODES = "/dev/console 0 0 c 5 1 0600"
