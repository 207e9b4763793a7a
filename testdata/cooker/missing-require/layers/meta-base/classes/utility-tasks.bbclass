do_listtasks() {
	echo "${PN}"
}
addtask listtasks
do_listtasks[nostamp] = "1"
