"""`bb.runqueue`: the run-queue event classes handlers test against."""

import bb.event


class RunQueueStats:
    """The run queue's counts when an event was fired: tasks completed, skipped, failed
    and running, setscene tasks running, covered and not, and the totals."""

    def __init__(self, total, setscene_total):
        self.completed = 0
        self.skipped = 0
        self.failed = 0
        self.active = 0
        self.setscene_active = 0
        self.setscene_covered = 0
        self.setscene_notcovered = 0
        self.setscene_total = setscene_total
        self.total = total

    def copy(self):
        other = RunQueueStats(self.total, self.setscene_total)
        other.__dict__.update(self.__dict__)
        return other


def _stats(text):
    """RunQueueStats from bake's `name=N ...` text."""
    counts = dict(kv.split("=", 1) for kv in text.split())
    stats = RunQueueStats(int(counts.get("total", 0)), int(counts.get("setscene_total", 0)))
    for name, value in counts.items():
        setattr(stats, name, int(value))
    return stats


class runQueueEvent(bb.event.Event):
    """A run-queue task event: `taskid`/`taskstring` (`FN:do_task`), `taskname`,
    `taskfile`, `taskhash` and the run queue's `stats` then. bake fires these from its
    scheduler's events, with the attributes BitBake's carry."""

    _bake_conv = {"stats": _stats, "noexec": lambda v: v == "1", "exitcode": int}


class sceneQueueEvent(runQueueEvent):
    pass


class runQueueTaskStarted(runQueueEvent):
    pass


class sceneQueueTaskStarted(sceneQueueEvent):
    pass


class runQueueTaskFailed(runQueueEvent):
    def __str__(self):
        return "Task (%s) failed with exit code '%s'" % (self.taskstring, self.exitcode)


class sceneQueueTaskFailed(sceneQueueEvent):
    def __str__(self):
        return "Setscene task (%s) failed with exit code '%s' - real task will be run instead" % (
            self.taskstring, self.exitcode)


class sceneQueueComplete(sceneQueueEvent):
    pass


class runQueueTaskCompleted(runQueueEvent):
    pass


class sceneQueueTaskCompleted(sceneQueueEvent):
    pass


class runQueueTaskSkipped(runQueueEvent):
    pass


class runQueueExitWait(bb.event.Event):
    """The build stops and waits for `remain` running tasks."""

    _bake_ints = ("remain",)


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
