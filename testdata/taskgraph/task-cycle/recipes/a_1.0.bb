do_compile[depends] = "b:do_install"
