OTHER = "other-recipe"
do_build[depends] = "${OTHER}:do_populate"
do_build[nostamp] = "1"
do_build[noexec] = "yes"
do_build[umask] = "022"
addtask build
