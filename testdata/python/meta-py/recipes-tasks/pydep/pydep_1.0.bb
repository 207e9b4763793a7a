# A dependency of pytask's do_report (for BB_TASKDEPDATA).
do_first() {
	:
}
addtask first
do_dep() {
	:
}
addtask dep after do_first
