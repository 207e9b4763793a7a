do_compile[depends] = "ghost:do_install"
