SUMMARY = "Example program greeting through libhello"
LICENSE = "MIT"

SRC_URI = "file://sayhello.c file://Makefile"
S = "${UNPACKDIR}"

DEPENDS = "libhello"
RDEPENDS:${PN} = "libhello"

inherit make
