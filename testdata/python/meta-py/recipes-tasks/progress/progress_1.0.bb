# Task progress and live messages: the `[progress]` flag's handlers reading a shell
# task's output (percent, outof, a custom class of the layer's lib), TaskProgress and
# MultiStageProgressReporter fired by a Python task, messages from both kinds, and a
# task that waits for a file the test writes once it has seen the task's warning.
PF = "${PN}-${PV}-${PR}"

# As oe-core's logging.bbclass: shell messages go through LOGFIFO to the worker.
LOGFIFO = "${T}/fifo.${@os.getpid()}"
bbnote() {
	printf "%b\0" "bbnote $*" > ${LOGFIFO}
}
bbwarn() {
	printf "%b\0" "bbwarn $*" > ${LOGFIFO}
}
bbplain() {
	printf "%b\0" "bbplain $*" > ${LOGFIFO}
}

do_pct[progress] = "percent"
do_pct() {
	bbwarn "shell warning"
	bbplain "plain from shell"
	bbnote "note from shell"
	echo "starting 10%"
	sleep 0.3
	echo "halfway 50%"
	sleep 0.3
	echo "again 50%"
	sleep 0.3
	echo "done 100%"
}
addtask pct

do_outof[progress] = "outof:^\[(\d+)/(\d+)\]\s+"
do_outof() {
	for i in 1 2 3 4; do
		echo "[$i/4] building part $i"
		sleep 0.3
	done
}
addtask outof

do_custom[progress] = "custom:pyfix.steps.StepHandler:step"
do_custom() {
	for i in 1 2 3 4; do
		echo "step $i"
		echo "other output $i"
		sleep 0.3
	done
}
addtask custom

do_badprogress[progress] = "sideways"
do_badprogress() {
	echo "50%"
}
addtask badprogress

python do_pyprog() {
    bb.event.fire(bb.build.TaskProgress(25, "1 B/s"), d)
    bb.event.fire(bb.build.TaskProgress(-1), d)
    reporter = bb.progress.MultiStageProgressReporter(d, [1, 3])
    reporter.next_stage()
    reporter.update(50)
    reporter.next_stage(10)
    reporter.update(5)
    reporter.finish()
    bb.warn("python warning")
    bb.plain("plain from python")
    bb.note("note from python")
}
addtask pyprog

python do_waitgo() {
    import os, time
    bb.warn("waiting for go")
    go = d.expand("${TOPDIR}/go")
    for _ in range(600):
        if os.path.exists(go):
            bb.plain("got go")
            return
        time.sleep(0.1)
    bb.fatal("no go within 60 s")
}
addtask waitgo
