SUMMARY = "cJSON, a small JSON parser in C (CMake build)"
LICENSE = "MIT"

SRC_URI = "https://deb.debian.org/debian/pool/main/c/cjson/cjson_${PV}.orig.tar.gz"
SRC_URI[sha256sum] = "5308fd4bd90cef7aa060558514de6a1a4a0819974a26e6ed13973c5f624c24b2"
S = "${UNPACKDIR}/cJSON-${PV}"

inherit cmake

EXTRA_OECMAKE = "-DENABLE_CJSON_TEST=OFF -DBUILD_SHARED_AND_STATIC_LIBS=OFF"
