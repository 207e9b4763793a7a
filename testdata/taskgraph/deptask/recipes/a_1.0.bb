DEPENDS = "b libc hostpkg"
