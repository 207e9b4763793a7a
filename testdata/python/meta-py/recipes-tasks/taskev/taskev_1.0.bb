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

# The run queue waiting for running tasks after a failure (runQueueExitWait): with two
# threads, do_fast fails while do_slow still runs.
do_slow() {
	sleep 2
}
addtask slow
do_fast() {
	false
}
addtask fast
do_both() {
	:
}
addtask both after do_slow do_fast

# Exit codes of failed tasks as the run queue reports them: a task process killed by a
# signal (128 + its number), one that ends itself with a code of its own.
python do_killed() {
    import os, signal
    os.kill(os.getpid(), signal.SIGKILL)
}
addtask killed
python do_exits() {
    import os
    os._exit(3)
}
addtask exits
