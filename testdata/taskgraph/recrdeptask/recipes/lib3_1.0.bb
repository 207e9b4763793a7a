addtask world
do_world() {
	:
}
