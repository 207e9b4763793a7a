# TaskProgress to the configuration's handlers (inherited through INHERIT by the tests
# that want it): each event's task, progress and rate, in the order they came.
addhandler py_progress_events
py_progress_events[eventmask] = "bb.build.TaskProgress"
python py_progress_events() {
    with open(d.expand("${TOPDIR}/progress-events.txt"), "a") as f:
        f.write("%s %s %r %r\n" % (bb.event.getName(e), d.getVar("BB_RUNTASK"), e.progress, e.rate))
}
