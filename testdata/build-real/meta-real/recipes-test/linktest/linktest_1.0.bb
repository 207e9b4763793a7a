SUMMARY = "Test program linked against the zlib and cJSON recipes (not the host's)"
LICENSE = "MIT"

SRC_URI = "file://linktest.c file://Makefile"
S = "${UNPACKDIR}"

DEPENDS = "zlib cjson"
RDEPENDS:${PN} = "zlib cjson"

inherit make
