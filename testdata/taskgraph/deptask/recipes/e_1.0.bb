# a task with deptask but no DEPENDS
do_compile[deptask] = "do_install"
