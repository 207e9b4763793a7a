do_compile[depends] = "a:do_install"
