# a cycle inside one recipe
addtask x after do_y before do_build
addtask y after do_x
do_x() {
	:
}
do_y() {
	:
}
