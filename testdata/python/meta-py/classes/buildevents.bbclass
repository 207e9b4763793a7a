# Build and task events to the configuration's handlers (inherited through INHERIT by the tests
# that want it): what BuildStarted and BuildCompleted carry, and that a value set by the
# first is seen by the second.
addhandler py_build_events
py_build_events[eventmask] = "bb.event.BuildStarted bb.event.BuildCompleted"
python py_build_events() {
    with open(d.expand("${TOPDIR}/build-events.txt"), "a") as f:
        if isinstance(e, bb.event.BuildStarted):
            d.setVar("PY_BUILD_STARTED", "yes")
            d.setVar("PY_BUILD_TUPLE", (1, "x"))
            f.write("%s pkgs=%r failures=%r name=%s named=%s\n" % (bb.event.getName(e), e.getPkgs(), e.getFailures(), e.getName(), d.getVar("BUILDNAME").isdigit()))
        else:
            f.write("%s total=%r failures=%r interrupted=%r started=%s tuple=%r\n" % (bb.event.getName(e), e.total, e.getFailures(), e._interrupted, d.getVar("PY_BUILD_STARTED"), d.getVar("PY_BUILD_TUPLE")))
}

addhandler py_task_events
py_task_events[eventmask] = "bb.build.TaskStarted bb.build.TaskSucceeded bb.build.TaskFailed"
python py_task_events() {
    import os
    with open(d.expand("${TOPDIR}/task-events.txt"), "a") as f:
        f.write("%s %s %s named=%s timed=%s pn=%s\n" % (bb.event.getName(e), e.task, os.path.basename(e.logfile).split(".")[1], (d.getVar("BUILDNAME") or "").isdigit(), isinstance(e.time, float), e.pn))
}
