do_compile[noexec] = "1"
