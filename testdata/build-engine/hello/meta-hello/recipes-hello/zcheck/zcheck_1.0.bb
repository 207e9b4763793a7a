SUMMARY = "Example program linked against the zlib recipe (not the host's)"
LICENSE = "MIT"

SRC_URI = "file://zcheck.c file://Makefile"
S = "${UNPACKDIR}"

DEPENDS = "zlib"
RDEPENDS:${PN} = "zlib"

inherit make
