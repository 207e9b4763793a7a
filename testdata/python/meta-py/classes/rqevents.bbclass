# The run queue's events to the configuration's handlers (inherited through INHERIT by the
# tests that want it): each event's class, task names, the run queue's counts, and the
# attributes of its class, in the order they came.
addhandler py_rq_events
py_rq_events[eventmask] = "bb.runqueue.runQueueTaskStarted bb.runqueue.runQueueTaskCompleted bb.runqueue.runQueueTaskFailed bb.runqueue.runQueueTaskSkipped bb.runqueue.sceneQueueTaskStarted bb.runqueue.sceneQueueTaskCompleted bb.runqueue.sceneQueueTaskFailed bb.runqueue.sceneQueueComplete"
python py_rq_events() {
    import os
    s = e.stats
    counts = "completed=%d skipped=%d failed=%d active=%d total=%d" % (s.completed, s.skipped, s.failed, s.active, s.total)
    with open(d.expand("${TOPDIR}/rq-events.txt"), "a") as f:
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
