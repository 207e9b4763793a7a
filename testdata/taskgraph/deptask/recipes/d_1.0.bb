# deptask naming two tasks, one of them missing in some dependencies
DEPENDS = "a c"
do_compile[deptask] = "do_package do_compile"
