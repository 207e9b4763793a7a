SUMMARY = "Example shared library: libhello.so.1 and hello.h"
LICENSE = "MIT"

SRC_URI = "file://hellolib.c file://hello.h file://Makefile"
S = "${UNPACKDIR}"

inherit make
