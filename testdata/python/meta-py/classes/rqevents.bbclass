# The run queue's events to the configuration's handlers (inherited through INHERIT by the
# tests that want it): each event's class, task names, the run queue's counts, and the
# attributes of its class, in the order they came.
addhandler py_rq_events
py_rq_events[eventmask] = "bb.runqueue.runQueueTaskStarted bb.runqueue.runQueueTaskCompleted bb.runqueue.runQueueTaskFailed bb.runqueue.runQueueTaskSkipped bb.runqueue.sceneQueueTaskStarted bb.runqueue.sceneQueueTaskCompleted bb.runqueue.sceneQueueTaskFailed bb.runqueue.sceneQueueComplete bb.runqueue.runQueueExitWait"
python py_rq_events() {
    import os
    path = d.expand("${TOPDIR}/rq-events.txt")
    if isinstance(e, bb.runqueue.runQueueExitWait):
        # Fired again each time the run queue looks while it waits: each value once.
        line = "%s remain=%r message=%s\n" % (bb.event.getName(e), e.remain, e.message)
        last = open(path).readlines()[-1:] if os.path.exists(path) else []
        if last != [line]:
            with open(path, "a") as f:
                f.write(line)
        return
    s = e.stats
    counts = "completed=%d skipped=%d failed=%d active=%d total=%d" % (s.completed, s.skipped, s.failed, s.active, s.total)
    with open(path, "a") as f:
        if isinstance(e, bb.runqueue.sceneQueueComplete):
            f.write("%s %s\n" % (bb.event.getName(e), counts))
            return
        extra = ""
        if isinstance(e, bb.runqueue.runQueueTaskStarted):
            extra = " noexec=%r" % e.noexec
        elif isinstance(e, (bb.runqueue.runQueueTaskFailed, bb.runqueue.sceneQueueTaskFailed)):
            extra = " exitcode=%r str=%s" % (e.exitcode, os.path.basename(str(e)))
        elif isinstance(e, bb.runqueue.runQueueTaskSkipped):
            extra = " reason=%s" % e.reason
        f.write("%s %s %s %s %s hash=%d %s%s\n" % (bb.event.getName(e), os.path.basename(e.taskid), os.path.basename(e.taskstring), e.taskname, os.path.basename(e.taskfile), len(e.taskhash), counts, extra))
}
