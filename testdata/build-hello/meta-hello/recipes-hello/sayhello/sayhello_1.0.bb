SUMMARY = "Example program greeting through libhello"
LICENSE = "MIT"

SRC_URI = "file://sayhello.c file://Makefile file://0001-greet-again.patch"
S = "${UNPACKDIR}"

DEPENDS = "libhello"
RDEPENDS:${PN} = "libhello"

inherit make

# Read only by do_compile: changing it reruns do_compile and the tasks after it.
GREETING_NOTE ??= "built from the layer's sources"
do_compile:prepend() {
	bbnote "sayhello: ${GREETING_NOTE}"
}
