"""`bb.build`: task events, and the task-table helpers metadata calls at parse time.

Running tasks (`exec_func`, `exec_task`) is not available while parsing."""

import bb
import bb.event


class FuncFailed(Exception):
    """A task function failed."""


class TaskBase(bb.event.Event):
    def __init__(self, t, fn, logfile, d):
        self._task = t
        self._fn = fn
        self.taskfile = fn
        self.taskname = t
        self.logfile = logfile
        bb.event.Event.__init__(self)

    def getTask(self):
        return self._task

    def setTask(self, task):
        self._task = task

    task = property(getTask, setTask, None, "task property")


class TaskStarted(TaskBase):
    pass


class TaskSucceeded(TaskBase):
    pass


class TaskFailed(TaskBase):
    pass


class TaskFailedSilent(TaskBase):
    pass


class TaskInvalid(TaskBase):
    pass


class TaskProgress(bb.event.Event):
    pass


def _task_deps(d, task):
    deps = d.getVarFlag(task, "deps", False) or []
    if isinstance(deps, str):
        deps = deps.split()
    return deps


def tasksbetween(task_start, task_end, d):
    """The tasks on some dependency path from `task_start` to `task_end` (both
    included), in the order the paths are walked."""
    tasks = [t for t in (d.getVar("__BBTASKS", False) or []) if d.getVarFlag(t, "task")]
    dependents = {}
    for t in tasks:
        for dep in _task_deps(d, t):
            dependents.setdefault(dep, []).append(t)
    found = []
    path = []

    def walk(task):
        if task in path:
            bb.fatal("Circular task dependencies as %s depends on itself via the chain %s"
                     % (task, " -> ".join(path)))
        path.append(task)
        if task == task_end:
            found.extend(t for t in path if t not in found)
        else:
            for nxt in dependents.get(task, []):
                walk(nxt)
        path.pop()

    walk(task_start)
    return found


def addtask(task, before, after, d):
    d._addtask(task, before, after)


def deltask(task, d):
    d._deltask(task)


def listtasks(d):
    return [t for t in (d.getVar("__BBTASKS", False) or [])]


def exec_func(func, d, dirs=None):
    raise FuncFailed("bake does not run task functions at parse time (exec_func of %s)" % func)


def exec_task(fn, task, d, profile=False):
    raise FuncFailed("bake does not run tasks at parse time (%s)" % task)


def preceedtask(task, with_recrdeptasks, d):
    preceed = set()
    if d.getVarFlag(task, "deps", False) is not None:
        preceed.update(_task_deps(d, task))
    if with_recrdeptasks:
        recrdeptask = d.getVarFlag(task, "recrdeptask")
        if recrdeptask:
            preceed.update(recrdeptask.split())
    return preceed
