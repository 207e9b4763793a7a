# Task events and handlers: BitBake's worker fires TaskStarted, TaskSucceeded and
# TaskFailed for shell tasks too, to the configuration's handlers only (this recipe's own
# handler is never called).
addhandler taskev_handler
taskev_handler[eventmask] = "bb.build.TaskStarted bb.build.TaskSucceeded bb.build.TaskFailed"
python taskev_handler() {
    import os
    with open(d.expand("${TOPDIR}/task-events.txt"), "a") as f:
        f.write("recipe handler: %s %s\n" % (bb.event.getName(e), e.task))
}

do_one() {
	echo one
}
addtask one

do_two() {
	false
}
addtask two after do_one
