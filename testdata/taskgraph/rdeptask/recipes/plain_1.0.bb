# RDEPENDS without a package suffix
RDEPENDS = "devtool"
