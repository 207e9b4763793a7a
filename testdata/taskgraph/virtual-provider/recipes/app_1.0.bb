DEPENDS = "virtual/cc virtual/libc zlib"
do_configure[deptask] = "do_install"
