do_compile[depends] = "tool:do_nosuchtask"
