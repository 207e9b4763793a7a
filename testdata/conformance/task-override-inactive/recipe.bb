FOO = "base"
FOO:task-compile = "compile-only"
EXTRA = "e"
EXTRA:prepend:task-compile = "p-"
