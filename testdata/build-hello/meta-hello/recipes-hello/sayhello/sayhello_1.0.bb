SUMMARY = "Example program greeting through libhello"
LICENSE = "MIT"

SRC_URI = "file://sayhello.c file://Makefile file://0001-greet-again.patch"
S = "${UNPACKDIR}"

DEPENDS = "libhello"
RDEPENDS:${PN} = "libhello"

inherit make
