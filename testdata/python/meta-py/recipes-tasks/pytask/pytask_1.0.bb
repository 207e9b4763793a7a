# Python tasks: the prefunc, the task and the postfunc share one datastore (a string
# and an int set by the prefunc are seen by the task, the task's write by the
# postfunc); bb.build.exec_func of a shell function ([dirs], bbnote through LOGFIFO)
# and of a Python function; BB_TASKDEPDATA, BB_TASKHASH and LOGFIFO in the task.
# do_report writes what it saw to ${TOPDIR}/report.json.

# As oe-core's logging.bbclass: shell messages go through LOGFIFO to the worker.
LOGFIFO = "${T}/fifo.${@os.getpid()}"
bbnote() {
	if [ -p ${LOGFIFO} ] ; then
		printf "%b\0" "bbnote $*" > ${LOGFIFO}
	else
		echo "NOTE: $*"
	fi
}

BB_DEFAULT_UMASK = "022"

python pre_report() {
    d.setVar("SHARED", "from-prefunc")
    d.setVar("COUNT", 3)
}

shell_part() {
	bbnote "a note from the shell"
	echo "shell ran in $(basename $(pwd))" > ${WORKDIR}/shell.out
}
shell_part[dirs] = "${WORKDIR}/shelldir"

python py_part() {
    d.setVar("PY_PART", d.getVar("SHARED") + "+py_part")
}

python do_report() {
    import json
    bb.build.exec_func("shell_part", d)
    bb.build.exec_func("py_part", d)
    deps = d.getVar("BB_TASKDEPDATA", False)
    with open(d.expand("${WORKDIR}/shell.out")) as f:
        shell = f.read().strip()
    report = {
        "shared": d.getVar("SHARED"),
        "count": [d.getVar("COUNT"), type(d.getVar("COUNT")).__name__],
        "py_part": d.getVar("PY_PART"),
        "shell": shell,
        "taskdepdata": sorted("%s %s %s" % (v.pn, v.taskname, sorted(dep.rsplit(":", 1)[1] for dep in v.deps)) for v in deps.values()),
        "taskdepdata_type": type(deps).__name__,
        "has_taskhash": len(d.getVar("BB_TASKHASH") or "") > 0,
        "logfifo": os.path.basename(d.getVar("LOGFIFO")) == "fifo.%d" % os.getpid(),
        "runtask": d.getVar("BB_RUNTASK"),
        "currenttask": d.getVar("BB_CURRENTTASK"),
        "workercontext": d.getVar("BB_WORKERCONTEXT"),
        "cwd": os.path.basename(os.getcwd()),
        "run_link": os.readlink(d.expand("${T}/run.do_report")).startswith("run.do_report."),
        "run_shell": os.path.exists(d.expand("${T}/run.shell_part.%d" % os.getpid())),
    }
    with open(d.expand("${TOPDIR}/report.json"), "w") as f:
        json.dump(report, f, sort_keys=True, indent=1)
    d.setVar("AFTER", "from-task")
}
do_report[dirs] = "${B}"
do_report[prefuncs] = "pre_report"
do_report[postfuncs] = "post_report"
do_report[depends] = "pydep:do_dep"
do_report[nostamp] = "1"
addtask report

python post_report() {
    with open(d.expand("${TOPDIR}/post.txt"), "w") as f:
        f.write(d.getVar("AFTER") + "\n")
}
