"""`bb.runqueue`: the run-queue event classes handlers test against."""

import bb.event


class runQueueEvent(bb.event.Event):
    pass


class sceneQueueEvent(runQueueEvent):
    pass


class runQueueTaskStarted(runQueueEvent):
    pass


class sceneQueueTaskStarted(sceneQueueEvent):
    pass


class runQueueTaskFailed(runQueueEvent):
    pass


class sceneQueueTaskFailed(sceneQueueEvent):
    pass


class sceneQueueComplete(sceneQueueEvent):
    pass


class runQueueTaskCompleted(runQueueEvent):
    pass


class sceneQueueTaskCompleted(sceneQueueEvent):
    pass


class runQueueTaskSkipped(runQueueEvent):
    pass


class runQueueExitWait(bb.event.Event):
    pass


# Task ids: `[mc:NAME:]FN:TASK`.
def split_mc(n):
    if n.startswith("mc:") and n.count(":") >= 2:
        _, mc, rest = n.split(":", 2)
        return mc, rest
    return "", n


def mc_from_tid(tid):
    return split_mc(tid)[0]


def fn_from_tid(tid):
    return tid.rsplit(":", 1)[0]


def taskname_from_tid(tid):
    return tid.rsplit(":", 1)[1]


def split_tid(tid):
    mc, fn, taskname, _ = split_tid_mcfn(tid)
    return mc, fn, taskname


def split_tid_mcfn(tid):
    mc, rest = split_mc(tid)
    fn, taskname = rest.rsplit(":", 1)
    mcfn = "mc:%s:%s" % (mc, fn) if mc else fn
    return mc, fn, taskname, mcfn


def build_tid(mc, fn, taskname):
    return ("mc:%s:%s:%s" % (mc, fn, taskname)) if mc else "%s:%s" % (fn, taskname)
