# HeartbeatEvent while the run queue is prepared (inherited through INHERIT by its test
# only): the hash check takes a second; the handler records BuildStarted, the
# heartbeats (a run of them as one line) and the first task started, then nothing.
BB_HEARTBEAT_EVENT = "0.2"
BB_HASHCHECK_FUNCTION = "prepbeats_checkhashes"

def prepbeats_checkhashes(sq_data, d, **kwargs):
    import time
    time.sleep(1.0)
    return hooks_checkhashes(sq_data, d, **kwargs)

addhandler py_prep_beats
py_prep_beats[eventmask] = "bb.event.BuildStarted bb.event.HeartbeatEvent bb.runqueue.runQueueTaskStarted bb.runqueue.sceneQueueTaskStarted"
python py_prep_beats() {
    import os
    path = os.path.join(e.data.getVar("TOPDIR"), "prep-beats.txt")
    lines = open(path).readlines() if os.path.exists(path) else []
    if lines and lines[-1].startswith("first task"):
        return
    if isinstance(e, bb.event.HeartbeatEvent):
        line = "HeartbeatEvent %s\n" % type(e.time).__name__
    elif isinstance(e, bb.event.BuildStarted):
        line = "BuildStarted\n"
    else:
        line = "first task %s\n" % e.taskstring.split(":")[-1]
    if lines[-1:] != [line]:
        with open(path, "a") as f:
            f.write(line)
}
