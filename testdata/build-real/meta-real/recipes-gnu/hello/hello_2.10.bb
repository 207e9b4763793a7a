SUMMARY = "GNU hello, from the upstream release tarball"
LICENSE = "GPL-3.0-or-later"

# The Debian archive's name for the unmodified upstream tarball; PREMIRRORS
# (conf/local.conf) maps it to SOURCE_MIRROR_DIR.
SRC_URI = "https://deb.debian.org/debian/pool/main/h/hello/hello_${PV}.orig.tar.gz"
SRC_URI[sha256sum] = "31e066137a962676e89f69d1b65382de95a7ef7d914b8cb956f41ea72e0f516b"

inherit autotools
