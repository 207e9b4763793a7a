# Failing Python tasks: bb.fatal, an exception, and a long one (Ctrl-C).
python do_fatal() {
    bb.note("before the end")
    bb.fatal("stopped here on purpose")
}
addtask fatal

def pyfail_helper(d):
    return {}["missing"]

python do_raise() {
    pyfail_helper(d)
}
addtask raise

python do_slow() {
    import time
    with open(d.expand("${TOPDIR}/slow.started"), "w") as f:
        f.write("started\n")
    time.sleep(60)
}
addtask slow
do_slow[nostamp] = "1"

do_slowsh() {
	echo started > ${TOPDIR}/slowsh.started
	sleep 60
}
addtask slowsh
do_slowsh[nostamp] = "1"
